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


/* Group commit of received messages (commit.h). */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "commit.h"
#include "ipc.h"
#include "log.h"
#include "store.h"

TAILQ_HEAD(commit_list, commit_req);

static struct {
	struct event		*ev;
	struct store		*st;
	struct commit_list	 pending;
	int			 npending;
	int			 scheduled;
} cm;

static void	commit_pass(int, short, void *);

void
commit_init(struct event_base *base, struct store *st)
{
	cm.st = st;
	TAILQ_INIT(&cm.pending);
	if ((cm.ev = evtimer_new(base, commit_pass, NULL)) == NULL)
		fatalx("commit: evtimer_new");
}

void
commit_add(struct commit_req *req)
{
	struct timeval	tv = { 0, 0 };

	TAILQ_INSERT_TAIL(&cm.pending, req, entry);
	cm.npending++;
	if (!cm.scheduled) {
		cm.scheduled = 1;
		if (evtimer_add(cm.ev, &tv) == -1)
			fatalx("commit: evtimer_add");
	}
}

int
commit_pending(void)
{
	return cm.npending;
}

static void
fail_req(struct commit_req *req, int *res, int i, const char *what)
{
	log_warn("commit uuid=%s: %s", req->env.uuid, what);
	res[i] = IPC_TEMPFAIL;
}

static void
commit_pass(int fd, short ev, void *arg)
{
	struct commit_list	 batch;
	struct commit_req	*req, *next;
	char			 env[IPC_UUID_MAX + 8], msg[IPC_UUID_MAX + 8];
	int			 res[64], n = 0, i, dirfail = 0;

	cm.scheduled = 0;
	TAILQ_INIT(&batch);
	/* At most 64 per pass; the rest goes to a pass right after. */
	while ((req = TAILQ_FIRST(&cm.pending)) != NULL && n < 64) {
		TAILQ_REMOVE(&cm.pending, req, entry);
		TAILQ_INSERT_TAIL(&batch, req, entry);
		res[n++] = IPC_OK;
	}
	if (!TAILQ_EMPTY(&cm.pending)) {
		struct timeval	tv = { 0, 0 };

		cm.scheduled = 1;
		if (evtimer_add(cm.ev, &tv) == -1)
			fatalx("commit: evtimer_add");
	}

	/* Data and envelopes on disk. */
	i = 0;
	TAILQ_FOREACH(req, &batch, entry) {
		if (fsync(req->fd) == -1)
			fail_req(req, res, i, "fsync");
		else if (store_write_env(cm.st, &req->env) == -1)
			fail_req(req, res, i, "write envelope");
		i++;
	}
	/* Into queue/: the .msg first, the .env is the commit point. */
	i = 0;
	TAILQ_FOREACH(req, &batch, entry) {
		if (res[i] == IPC_OK) {
			(void)snprintf(msg, sizeof(msg), "%s.msg",
			    req->env.uuid);
			(void)snprintf(env, sizeof(env), "%s.env",
			    req->env.uuid);
			if (renameat(cm.st->incoming, req->env.uuid,
			    cm.st->queue, msg) == -1)
				fail_req(req, res, i, "rename message");
			else if (renameat(cm.st->incoming, env,
			    cm.st->queue, env) == -1)
				fail_req(req, res, i, "rename envelope");
		}
		i++;
	}
	if (fsync(cm.st->incoming) == -1 || fsync(cm.st->queue) == -1) {
		log_warn("commit: fsync of the queue directories");
		dirfail = 1;
	}

	i = 0;
	TAILQ_FOREACH_SAFE(req, &batch, entry, next) {
		TAILQ_REMOVE(&batch, req, entry);
		cm.npending--;
		if (dirfail)
			res[i] = IPC_TEMPFAIL;
		if (res[i] != IPC_OK)
			store_discard(cm.st, req->env.uuid, 1);
		req->done(req, res[i], req->arg);
		i++;
	}
}
