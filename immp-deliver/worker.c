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


/* Per-owner delivery workers (worker.h). */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_push.h"
#include "log.h"
#include "maildir.h"
#include "mbox_index.h"
#include "mbox_ops.h"
#include "mime.h"
#include "push_store.h"
#include "worker.h"

#define WORKER_FD	3	/* the channel, in the worker */

struct wjob {
	TAILQ_ENTRY(wjob)	 entry;
	uint64_t		 id;	/* delivery id or request id */
	int			 mbox;	/* 1: a mailbox request */
};

struct worker {
	TAILQ_ENTRY(worker)	 entry;
	uid_t			 uid;
	pid_t			 pid;		/* 0 once reaped */
	struct imsgev		*iev;
	struct event		*timer;
	TAILQ_HEAD(, wjob)	 jobs;
};

static struct {
	struct event_base	*base;
	struct immpd_conf	*conf;
	const char		*host;
	int			 unpriv;
	int			 debug;
	worker_done_cb		 done;
	worker_mbox_cb		 mbox;
	worker_event_cb		 event;
	TAILQ_HEAD(, worker)	 workers;
	/* in the worker: events held back until the answer is out */
	struct ipc_mbox_event	*held;
	size_t			 nheld, capheld;
} wk;

static void	worker_fail(struct worker *, const char *);

void
worker_init(struct event_base *base, struct immpd_conf *conf,
    const char *host, int unpriv, int debug, worker_done_cb done,
    worker_mbox_cb mbox, worker_event_cb event)
{
	wk.base = base;
	wk.conf = conf;
	wk.host = host;
	wk.unpriv = unpriv;
	wk.debug = debug;
	wk.done = done;
	wk.mbox = mbox;
	wk.event = event;
	TAILQ_INIT(&wk.workers);
}

static void
report(uint64_t id, int result, const char *reason)
{
	struct ipc_mda_done	d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.result = result;
	strlcpy(d.reason, reason, sizeof(d.reason));
	wk.done(&d);
}

/* ---- in the worker process ---- */

static void
worker_drop(uid_t uid, gid_t gid, const char *user)
{
	if (wk.unpriv)
		return;
	if (initgroups(user, gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("worker: cannot change to user %s", user);
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid || setuid(0) != -1)
		fatalx("worker: identity change to %s failed", user);
}

/* One delivery of a batch, as received. */
struct wdel {
	struct imsg		 imsg;
	struct ipc_mda_deliver	 d;
	struct mime_envelope	 env;
	char			 root[CONF_PATH_MAX];
};

/* Checks one IMSG_MDA_DELIVER and fills in w and its job. */
static void
worker_prepare(struct wdel *w, struct maildir_job *job)
{
	struct imsg	*imsg = &w->imsg;
	const char	*at;

	if (imsg->hdr.type != IMSG_MDA_DELIVER ||
	    imsg->datalen != sizeof(w->d) || imsg->fd == -1)
		fatalx("worker: unexpected imsg type %u", imsg->hdr.type);
	memcpy(&w->d, imsg->data, sizeof(w->d));
	/* deliver checked every string before forwarding it. */
	if (!ipc_check_str(w->d.uuid, sizeof(w->d.uuid)) ||
	    !ipc_check_str(w->d.account, sizeof(w->d.account)) ||
	    !ipc_check_str(w->d.folder, sizeof(w->d.folder)) ||
	    !ipc_check_str(w->d.sender, sizeof(w->d.sender)) ||
	    !ipc_check_str(w->d.rcpts, sizeof(w->d.rcpts)) ||
	    (at = strchr(w->d.account, '@')) == NULL)
		fatalx("worker: malformed delivery");
	memset(job, 0, sizeof(*job));
	memset(&w->env, 0, sizeof(w->env));
	w->env.uuid = w->d.uuid;
	w->env.sender = w->d.sender;
	w->env.rcpts = w->d.rcpts;
	w->env.host = at + 1;	/* the receiving (local) domain */
	w->env.accepted = w->d.accepted;
	w->env.flags = w->d.flags;
	job->root = w->root;
	job->folder = w->d.folder;
	job->env = &w->env;
	job->spoolfd = imsg->fd;
	job->result = IPC_OK;
	if (conf_maildir_path(wk.conf->maildir, w->d.account, w->root,
	    sizeof(w->root)) == -1) {
		job->result = IPC_FAIL;
		strlcpy(job->reason, "cannot build the maildir path",
		    sizeof(job->reason));
	}
}

/*
 * Reads one delivery (blocking), then whatever else has already
 * arrived, up to MAILDIR_BATCH_MAX, so that they share one sync.  A
 * mailbox request ends the batch: it goes to *req (*have set).
 * Returns the number of deliveries read; exits when the channel is
 * closed.
 */
static size_t
worker_collect(struct wdel *w, struct imsg *req, int *have)
{
	struct pollfd	pfd;
	size_t		n = 0;
	int		r;

	*have = 0;
	do {
		if ((r = imsg_read_one(WORKER_FD, &w[n].imsg)) == 0) {
			if (n > 0)
				break;
			_exit(0);
		}
		if (r == -1)
			fatal("worker: read");
		if (w[n].imsg.hdr.type == IMSG_MBOX_REQUEST) {
			*req = w[n].imsg;
			*have = 1;
			break;
		}
		n++;
		pfd.fd = WORKER_FD;
		pfd.events = POLLIN;
		pfd.revents = 0;
	} while (n < MAILDIR_BATCH_MAX && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLIN));
	return n;
}

/* Sends an event to deliver now (deliveries) or after the answer. */
static void
worker_emit(const struct ipc_mbox_event *ev, void *arg)
{
	struct ipc_mbox_event	*t;

	if (arg == NULL) {
		if (imsg_write_one(WORKER_FD, IMSG_MBOX_EVENT, 0, -1, ev,
		    sizeof(*ev)) == -1)
			fatal("worker: write");
		return;
	}
	if (wk.nheld == wk.capheld) {
		wk.capheld = wk.capheld ? wk.capheld * 2 : 16;
		if ((t = reallocarray(wk.held, wk.capheld, sizeof(*t))) ==
		    NULL)
			fatal("worker");
		wk.held = t;
	}
	wk.held[wk.nheld++] = *ev;
}

/* Performs one mailbox request and answers it, then its events. */
static void
worker_request_run(struct imsg *imsg)
{
	struct ipc_mbox_req	req;
	struct ipc_mbox_res	res;
	char			root[CONF_PATH_MAX];
	size_t			i;
	int			fd = -1;

	if (imsg->datalen != sizeof(req) || imsg->fd != -1)
		fatalx("worker: malformed mailbox request");
	memcpy(&req, imsg->data, sizeof(req));
	free(imsg->data);
	if (!ipc_check_str(req.mailbox, sizeof(req.mailbox)))
		fatalx("worker: malformed mailbox request");
	wk.nheld = 0;
	if (conf_maildir_path(wk.conf->maildir, req.mailbox, root,
	    sizeof(root)) == -1) {
		memset(&res, 0, sizeof(res));
		res.reqid = req.reqid;
		res.result = IPC_TEMPFAIL;
		res.code = 740;
		strlcpy(res.text, "Mailbox temporarily unavailable.",
		    sizeof(res.text));
	} else if (req.op >= PUSH_OP_FIRST && req.op <= PUSH_OP_LAST)
		push_request(&req, root, &res, &fd);	/* push_store.c */
	else
		mbox_request(&req, root, &res, &fd, worker_emit, &wk);
	if (imsg_write_one(WORKER_FD, IMSG_MBOX_RESULT, 0, fd, &res,
	    sizeof(res)) == -1)
		fatal("worker: write");
	if (fd != -1)
		close(fd);
	for (i = 0; i < wk.nheld; i++)
		worker_emit(&wk.held[i], NULL);
	wk.nheld = 0;
}

/* Index records and 150 events for what the batch delivered. */
static void
worker_record(struct wdel *w, struct maildir_job *jobs, size_t n)
{
	struct mbox_delivered	d[MAILDIR_BATCH_MAX];
	size_t			i, nd = 0;

	for (i = 0; i < n; i++) {
		if (jobs[i].result != IPC_OK || (w[i].d.flags & MSGF_PUSH) ||
		    strcmp(jobs[i].reason, "already delivered") == 0)
			continue;
		d[nd].account = w[i].d.account;
		d[nd].root = jobs[i].root;
		d[nd].folder = jobs[i].folder;
		d[nd].name = jobs[i].name;
		d[nd].uuid = w[i].d.uuid;
		nd++;
	}
	mbox_record_delivered(d, nd, worker_emit, NULL);
}

static void
worker_batch(struct wdel *w, struct maildir_job *jobs)
{
	struct maildir_job	*todo[MAILDIR_BATCH_MAX];
	struct maildir_job	 run[MAILDIR_BATCH_MAX];
	struct ipc_mda_done	 res;
	struct imsg		 req;
	size_t			 n, i, nrun = 0;
	int			 have;

	memset(&req, 0, sizeof(req));
	n = worker_collect(w, &req, &have);
	for (i = 0; i < n; i++) {
		worker_prepare(&w[i], &jobs[i]);
		/* A push goes to the notification store (push_store.c). */
		if (jobs[i].result == IPC_OK && (w[i].d.flags & MSGF_PUSH))
			push_deliver(&w[i].d, &jobs[i], worker_emit, NULL);
		else if (jobs[i].result == IPC_OK) {
			todo[nrun] = &jobs[i];
			run[nrun++] = jobs[i];
		}
	}
	if (nrun > 0)
		maildir_deliver_batch(run, nrun, wk.host);
	for (i = 0; i < nrun; i++)
		*todo[i] = run[i];
	if (nrun > 0)
		worker_record(w, jobs, n);
	for (i = 0; i < n; i++) {
		memset(&res, 0, sizeof(res));
		res.id = w[i].d.id;
		res.result = jobs[i].result;
		strlcpy(res.reason, jobs[i].reason, sizeof(res.reason));
		close(w[i].imsg.fd);
		free(w[i].imsg.data);
		if (imsg_write_one(WORKER_FD, IMSG_MDA_DONE, 0, -1, &res,
		    sizeof(res)) == -1)
			fatal("worker: write");
	}
	if (have)
		worker_request_run(&req);
}

static void __attribute__((noreturn))
worker_main(int sock, uid_t uid, gid_t gid, const char *user)
{
	struct wdel		*w;
	struct maildir_job	*jobs;

	/* Only the channel stays open; syslog reconnects below. */
	closelog();
	if (dup2(sock, WORKER_FD) == -1)
		_exit(1);
	closefrom(WORKER_FD + 1);
	log_init(wk.debug, LOG_MAIL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	worker_drop(uid, gid, user);
	umask(077);
	if (chdir("/") == -1)
		fatal("worker: chdir");
	mbox_gmime_init();
	if ((w = calloc(MAILDIR_BATCH_MAX, sizeof(*w))) == NULL ||
	    (jobs = calloc(MAILDIR_BATCH_MAX, sizeof(*jobs))) == NULL)
		fatal("worker");
	log_debug("worker for %s started", user);
	for (;;)
		worker_batch(w, jobs);
}

/* ---- in deliver ---- */

/* The 740 answer for a request whose worker failed. */
static void
mbox_unavailable(uint64_t reqid)
{
	struct ipc_mbox_res	res;

	memset(&res, 0, sizeof(res));
	res.reqid = reqid;
	res.result = IPC_TEMPFAIL;
	res.code = 740;
	strlcpy(res.text, "Mailbox temporarily unavailable.",
	    sizeof(res.text));
	wk.mbox(&res, -1);
}

/* 1 if text may be sent as (the text of) a reply line. */
static int
line_safe(const char *text, size_t size)
{
	size_t	i;

	if (!ipc_check_str(text, size))
		return 0;
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\r' || text[i] == '\n')
			return 0;
	return 1;
}

/* An answer of the worker: checked, then on to the network. */
static int
worker_result(struct worker *w, struct imsg *imsg)
{
	struct ipc_mbox_res	 res;
	struct wjob		*j;

	if (imsg->datalen != sizeof(res))
		return -1;
	memcpy(&res, imsg->data, sizeof(res));
	TAILQ_FOREACH(j, &w->jobs, entry)
		if (j->mbox && j->id == res.reqid)
			break;
	if (j == NULL || !line_safe(res.text, sizeof(res.text)) ||
	    res.code < 200 || res.code > 799 ||
	    (res.result != IPC_OK && res.result != IPC_FAIL &&
	    res.result != IPC_TEMPFAIL) ||
	    (imsg->fd == -1 && (res.lines != 0 || res.length != 0)) ||
	    (imsg->fd != -1 && res.result != IPC_OK))
		return -1;
	TAILQ_REMOVE(&w->jobs, j, entry);
	free(j);
	wk.mbox(&res, imsg->fd);
	imsg->fd = -1;
	return 0;
}

static int
worker_event(struct imsg *imsg)
{
	struct ipc_mbox_event	ev;

	if (imsg->datalen != sizeof(ev) || imsg->fd != -1)
		return -1;
	memcpy(&ev, imsg->data, sizeof(ev));
	if (!ipc_check_str(ev.mailbox, sizeof(ev.mailbox)) ||
	    !ipc_check_str(ev.folder, sizeof(ev.folder)) ||
	    !ipc_check_str(ev.uuid, sizeof(ev.uuid)) ||
	    !line_safe(ev.text, sizeof(ev.text)) ||
	    ((ev.code < 150 || ev.code > 153) &&
	    ev.code != PUSH_CODE_EVENT && ev.code != PUSH_CODE_IMPORTANT) ||
	    ev.kind < MBOX_EV_NEW || ev.kind > MBOX_EV_FOLDER)
		return -1;
	wk.event(&ev);
	return 0;
}

static void
worker_free(struct worker *w)
{
	struct wjob	*j;

	while ((j = TAILQ_FIRST(&w->jobs)) != NULL) {
		TAILQ_REMOVE(&w->jobs, j, entry);
		free(j);
	}
	TAILQ_REMOVE(&wk.workers, w, entry);
	event_free(w->timer);
	imsgev_free(w->iev);
	free(w);
}

/* Kills the worker and temp-fails what it had in flight. */
static void
worker_fail(struct worker *w, const char *why)
{
	struct wjob	*j;

	log_warnx("worker uid=%u pid=%ld: %s", (unsigned int)w->uid,
	    (long)w->pid, why);
	if (w->pid > 0)
		(void)kill(w->pid, SIGKILL);
	TAILQ_FOREACH(j, &w->jobs, entry) {
		if (j->mbox)
			mbox_unavailable(j->id);
		else
			report(j->id, IPC_TEMPFAIL, "delivery process failed");
	}
	worker_free(w);
}

static void
worker_timeout(int fd, short ev, void *arg)
{
	worker_fail(arg, "delivery timed out");
}

static void
worker_arm(struct worker *w)
{
	struct timeval	tv = { WORKER_TIMEOUT, 0 };

	if (TAILQ_EMPTY(&w->jobs))
		evtimer_del(w->timer);
	else if (evtimer_add(w->timer, &tv) == -1)
		fatalx("worker: evtimer_add");
}

static void
worker_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct worker		*w = arg;
	struct ipc_mda_done	 d;
	struct wjob		*j;

	if (imsg->hdr.type == IMSG_MBOX_RESULT ||
	    imsg->hdr.type == IMSG_MBOX_EVENT) {
		if ((imsg->hdr.type == IMSG_MBOX_RESULT ?
		    worker_result(w, imsg) : worker_event(imsg)) == -1) {
			if (imsg->fd != -1)
				close(imsg->fd);
			worker_fail(w, "protocol violation");
			return;
		}
		worker_arm(w);
		return;
	}
	if (imsg->fd != -1)
		close(imsg->fd);
	if (imsg->hdr.type != IMSG_MDA_DONE || imsg->datalen != sizeof(d) ||
	    imsg->fd != -1) {
		worker_fail(w, "protocol violation");
		return;
	}
	memcpy(&d, imsg->data, sizeof(d));
	TAILQ_FOREACH(j, &w->jobs, entry)
		if (!j->mbox && j->id == d.id)
			break;
	if (j == NULL || !ipc_check_str(d.reason, sizeof(d.reason)) ||
	    (d.result != IPC_OK && d.result != IPC_FAIL &&
	    d.result != IPC_TEMPFAIL)) {
		worker_fail(w, "protocol violation");
		return;
	}
	TAILQ_REMOVE(&w->jobs, j, entry);
	free(j);
	wk.done(&d);
	worker_arm(w);
}

static void
worker_closed(struct imsgev *iev, void *arg)
{
	worker_fail(arg, "channel closed");
}

static struct worker *
worker_start(uid_t uid, gid_t gid, const char *user)
{
	struct worker	*w;
	int		 sp[2];
	pid_t		 pid;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("worker: socketpair");
		free(w);
		return NULL;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("worker: fork");
		close(sp[0]);
		close(sp[1]);
		free(w);
		return NULL;
	case 0:
		close(sp[0]);
		worker_main(sp[1], uid, gid, user);
	}
	close(sp[1]);
	w->uid = uid;
	w->pid = pid;
	TAILQ_INIT(&w->jobs);
	if ((w->timer = evtimer_new(wk.base, worker_timeout, w)) == NULL ||
	    (w->iev = imsgev_new(wk.base, sp[0], worker_dispatch,
	    worker_closed, w)) == NULL)
		fatalx("worker: out of memory");
	TAILQ_INSERT_TAIL(&wk.workers, w, entry);
	log_debug("worker uid=%u pid=%ld for %s", (unsigned int)uid,
	    (long)pid, user);
	return w;
}

int
worker_deliver(uid_t uid, gid_t gid, const char *user,
    const struct ipc_mda_deliver *d, int fd)
{
	struct worker	*w;
	struct wjob	*j;

	TAILQ_FOREACH(w, &wk.workers, entry)
		if (w->uid == uid)
			break;
	if (w == NULL && (w = worker_start(uid, gid, user)) == NULL) {
		close(fd);
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		close(fd);
		return -1;
	}
	j->id = d->id;
	if (imsgev_compose(w->iev, IMSG_MDA_DELIVER, 0, fd, d,
	    sizeof(*d)) == -1) {
		log_warn("worker: imsg");
		free(j);
		return -1;
	}
	TAILQ_INSERT_TAIL(&w->jobs, j, entry);
	/* The clock runs for the oldest delivery, not the newest. */
	if (!evtimer_pending(w->timer, NULL))
		worker_arm(w);
	return 0;
}

int
worker_request(uid_t uid, gid_t gid, const char *user,
    const struct ipc_mbox_req *req)
{
	struct worker	*w;
	struct wjob	*j;

	TAILQ_FOREACH(w, &wk.workers, entry)
		if (w->uid == uid)
			break;
	if (w == NULL && (w = worker_start(uid, gid, user)) == NULL)
		return -1;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->id = req->reqid;
	j->mbox = 1;
	if (imsgev_compose(w->iev, IMSG_MBOX_REQUEST, 0, -1, req,
	    sizeof(*req)) == -1) {
		log_warn("worker: imsg");
		free(j);
		return -1;
	}
	TAILQ_INSERT_TAIL(&w->jobs, j, entry);
	if (!evtimer_pending(w->timer, NULL))
		worker_arm(w);
	return 0;
}

void
worker_shutdown(void)
{
	struct worker	*w;
	pid_t		 pid;
	int		 i, left;

	/* Closed channels: each worker ends after the batch it is in. */
	TAILQ_FOREACH(w, &wk.workers, entry) {
		imsgev_free(w->iev);
		w->iev = NULL;
	}
	for (i = 0; i < 500; i++) {
		left = 0;
		TAILQ_FOREACH(w, &wk.workers, entry) {
			if (w->pid > 0 && (pid = waitpid(w->pid, NULL,
			    WNOHANG)) != 0)
				w->pid = 0;
			if (w->pid > 0)
				left = 1;
		}
		if (!left)
			return;
		usleep(10000);
	}
	TAILQ_FOREACH(w, &wk.workers, entry)
		if (w->pid > 0) {
			(void)kill(w->pid, SIGKILL);
			(void)waitpid(w->pid, NULL, 0);
		}
}

void
worker_reap(void)
{
	struct worker	*w;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(w, &wk.workers, entry)
			if (w->pid == pid)
				w->pid = 0;
		if (WIFSIGNALED(status))
			log_warnx("worker pid=%ld killed by signal %d",
			    (long)pid, WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_warnx("worker pid=%ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
	}
}
