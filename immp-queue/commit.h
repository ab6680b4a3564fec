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
 * Commits that arrive while a pass is running are batched into the
 * next one.  A pass, prepared in the event loop: computes each spool
 * file's digest, writes its envelope to a pool file and renames the
 * spool file to queue/<uuid>.msg (none of it synchronised), and
 * encodes one journal record per message (journal.h).  A flusher
 * thread then appends the records (with any pending 'D' records) to the
 * journal segment with one write(2) and one fdatasync(2), while the
 * event loop goes on; spool files too large for the journal are
 * fsynced, with queue/, before that.  Back in the event loop, each
 * envelope is renamed into queue/ and every commit of the batch is
 * reported.  Only after that report may the client hear 273.
 *
 * Segments: a new one is started when the current one would pass
 * JRNL_SEG_MAX.  A closed segment is removed as soon as every message
 * it committed is finished (commit_forget); one whose messages are
 * still queued after COMMIT_RETIRE_AGE seconds has their .msg and .env
 * fsynced (and queue/) by the flusher, and is removed then.
 */
#ifndef IMMP_QUEUE_COMMIT_H
#define IMMP_QUEUE_COMMIT_H

#include <sys/queue.h>

#include "store.h"

struct event_base;
struct commit_req;

/*
 * Called once per request when its pass is over; result is IPC_OK
 * (committed; in queue/) or IPC_TEMPFAIL (every file of the message
 * has gone back to the pool).  The callee owns req again (and req->env.rcpt).
 */
typedef void	(*commit_done_cb)(struct commit_req *req, int result,
		    void *arg);

struct commit_req {
	TAILQ_ENTRY(commit_req)	 entry;
	struct envelope		 env;	/* complete envelope to write */
	int			 fd;	/* spool file, not owned */
	uint64_t		 spool;	/* its pool number (store_create) */
	commit_done_cb		 done;
	void			*arg;
	/* private to commit.c */
	int			 state;
	uint64_t		 envfile;	/* pool number of the .env */
};

#define COMMIT_BATCH_MAX	64
/*
 * Jobs written and flushed at once.  Two overlap a commit with the
 * fdatasync(2) of the one before; on a virtio disk that measured no
 * faster than one, which makes fewer flushes.
 */
#define COMMIT_FLUSHERS		1
#define COMMIT_RETIRE_AGE	60	/* seconds */
#define COMMIT_DONE_DELAY	100	/* milliseconds */

/*
 * commit_init: sets the event base and the store used by every pass
 * (before store_recover).  commit_start: starts the flusher thread;
 * nextseq (from store_recover) numbers the first segment.  Commits
 * added before commit_start wait for it.
 */
void	 commit_init(struct event_base *base, struct store *st);
void	 commit_start(uint64_t nextseq);

/*
 * commit_add: queues req (filled in by the caller; req->spool is the
 * spool file, which commit_add takes over) for the next pass, which
 * runs from the event loop after the current callbacks, so the caller
 * sees the result later.
 */
void	 commit_add(struct commit_req *req);

/* commit_pending: number of requests waiting for or inside a pass. */
int	 commit_pending(void);

/*
 * commit_forget: env's message is finished and its files are gone:
 * queues a 'D' record (written with the next pass, at the latest
 * COMMIT_DONE_DELAY ms later, with no flush of its own) and releases
 * its hold on its journal segment.
 */
void	 commit_forget(const struct envelope *env);

/*
 * commit_shutdown: before exit: writes the pending 'D' records unless a
 * pass is running (they only save work after a restart).
 */
void	 commit_shutdown(void);

/*
 * commit_covered: 1 if env's journal record still covers the message
 * (so a change to its files need not be synchronised), else 0.
 */
int	 commit_covered(const struct envelope *env);

#endif
