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
 * Per-owner delivery workers (DESIGN §3): deliver (root) forks one
 * worker per mailbox owner uid; the worker changes to that user
 * (supplementary groups, then gid, then uid; not in -u mode), closes
 * every descriptor but its channel, and then handles IMSG_MDA_DELIVER
 * (with the spool descriptor) in batches: it waits for one, takes
 * every other one already sent (up to MAILDIR_BATCH_MAX), delivers
 * them together so that they share their synchronisation
 * (maildir_deliver_batch), and answers an IMSG_MDA_DONE for each.
 * A worker that dies, breaks the protocol or takes longer than
 * WORKER_TIMEOUT seconds for a delivery is killed and its deliveries
 * in flight are reported as IPC_TEMPFAIL; the next delivery for that
 * owner starts a new worker.
 *
 * The same worker answers the mailbox requests of its owner (immp(7)
 * MBOX, mbox_ops.h): IMSG_MBOX_REQUEST in, IMSG_MBOX_RESULT (+fd) out,
 * in order with the deliveries; after a batch of deliveries it records
 * them in the folder indexes and sends IMSG_MBOX_EVENT (150) for each.
 * Requests in flight when a worker fails are answered 740.
 */
#ifndef IMMP_DELIVER_WORKER_H
#define IMMP_DELIVER_WORKER_H

#include <sys/types.h>

#include "conf.h"
#include "ipc.h"
#include "ipc_mbox.h"

struct event_base;

#define WORKER_TIMEOUT	600

/* Called for every delivery result that must go back to the queue. */
typedef void	(*worker_done_cb)(const struct ipc_mda_done *done);

/*
 * Called for every mailbox answer (fd: -1 or a descriptor the callee
 * takes over) and every change event, to go to the network process.
 */
typedef void	(*worker_mbox_cb)(const struct ipc_mbox_res *res, int fd);
typedef void	(*worker_event_cb)(const struct ipc_mbox_event *ev);

/*
 * worker_init: conf and host (maildir_hostname) must outlive the
 * workers; unpriv: -u mode (no identity change); debug: log to stderr.
 */
void	 worker_init(struct event_base *base, struct immpd_conf *conf,
	    const char *host, int unpriv, int debug, worker_done_cb done,
	    worker_mbox_cb mbox, worker_event_cb event);

/*
 * worker_request: hands the checked request req to the worker of uid
 * (started as user/gid when there is none); its answer comes back
 * through the mbox callback.  Returns 0, or -1 if no worker could be
 * started (the caller answers 740).
 */
int	 worker_request(uid_t uid, gid_t gid, const char *user,
	    const struct ipc_mbox_req *req);

/*
 * worker_deliver: hands d and the spool descriptor fd (taken over in
 * every case) to the worker of uid, starting it (as user/gid) when
 * there is none.  Returns 0, or -1 if no worker could be started (the
 * caller reports IPC_TEMPFAIL).
 */
int	 worker_deliver(uid_t uid, gid_t gid, const char *user,
	    const struct ipc_mda_deliver *d, int fd);

/*
 * worker_shutdown: closes every worker's channel and waits (at most
 * 5 s, then SIGKILL) until they have finished their batch and exited;
 * deliver exits right after.
 */
void	 worker_shutdown(void);

/* worker_reap: collects exited children (SIGCHLD handler). */
void	 worker_reap(void);

#endif
