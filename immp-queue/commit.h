/*
 * Copyright (c) 2026 The immpd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * Group commit (DESIGN §4 step 3): makes received messages durable.
 * Commits that arrive while a pass is pending or running are batched;
 * one pass fsyncs each spool file, writes and fsyncs each envelope in
 * incoming/, renames each .msg and then its .env into queue/ (the .env
 * rename is the commit point), fsyncs incoming/ and queue/ once, and
 * then reports every commit of the batch.  Only after that report may
 * the client hear 273.
 */
#ifndef IMMP_QUEUE_COMMIT_H
#define IMMP_QUEUE_COMMIT_H

#include <sys/queue.h>

#include "store.h"

struct event_base;
struct commit_req;

/*
 * Called once per request when its pass is over; result is IPC_OK
 * (durable in queue/) or IPC_TEMPFAIL (every file of the message has
 * been removed).  The callee owns req again (and req->env.rcpt).
 */
typedef void	(*commit_done_cb)(struct commit_req *req, int result,
		    void *arg);

struct commit_req {
	TAILQ_ENTRY(commit_req)	 entry;
	struct envelope		 env;	/* complete envelope to write */
	int			 fd;	/* incoming/<uuid>, not owned */
	commit_done_cb		 done;
	void			*arg;
};

/* commit_init: sets the event base and the store used by every pass. */
void	 commit_init(struct event_base *base, struct store *st);

/*
 * commit_add: queues req (filled in by the caller; req->env.uuid names
 * incoming/<uuid>) for the next pass, which runs from the event loop
 * after the current callbacks, so the caller sees the result later.
 */
void	 commit_add(struct commit_req *req);

/* commit_pending: number of requests waiting for or inside a pass. */
int	 commit_pending(void);

#endif
