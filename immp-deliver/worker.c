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
#include "log.h"
#include "maildir.h"
#include "mime.h"
#include "worker.h"

#define WORKER_FD	3	/* the channel, in the worker */

struct wjob {
	TAILQ_ENTRY(wjob)	 entry;
	uint64_t		 id;
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
	TAILQ_HEAD(, worker)	 workers;
} wk;

static void	worker_fail(struct worker *, const char *);

void
worker_init(struct event_base *base, struct immpd_conf *conf,
    const char *host, int unpriv, int debug, worker_done_cb done)
{
	wk.base = base;
	wk.conf = conf;
	wk.host = host;
	wk.unpriv = unpriv;
	wk.debug = debug;
	wk.done = done;
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
	    (at = strchr(w->d.sender, '@')) == NULL)
		fatalx("worker: malformed delivery");
	memset(job, 0, sizeof(*job));
	memset(&w->env, 0, sizeof(w->env));
	w->env.uuid = w->d.uuid;
	w->env.sender = w->d.sender;
	w->env.rcpts = w->d.rcpts;
	w->env.host = at + 1;
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
 * arrived, up to MAILDIR_BATCH_MAX, so that they share one sync.
 * Returns the number read; exits when the channel is closed.
 */
static size_t
worker_collect(struct wdel *w)
{
	struct pollfd	pfd;
	size_t		n = 0;
	int		r;

	do {
		if ((r = imsg_read_one(WORKER_FD, &w[n].imsg)) == 0) {
			if (n > 0)
				break;
			_exit(0);
		}
		if (r == -1)
			fatal("worker: read");
		n++;
		pfd.fd = WORKER_FD;
		pfd.events = POLLIN;
		pfd.revents = 0;
	} while (n < MAILDIR_BATCH_MAX && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & POLLIN));
	return n;
}

static void
worker_batch(struct wdel *w, struct maildir_job *jobs)
{
	struct maildir_job	*todo[MAILDIR_BATCH_MAX];
	struct maildir_job	 run[MAILDIR_BATCH_MAX];
	struct ipc_mda_done	 res;
	size_t			 n, i, nrun = 0;

	n = worker_collect(w);
	for (i = 0; i < n; i++) {
		worker_prepare(&w[i], &jobs[i]);
		if (jobs[i].result == IPC_OK) {
			todo[nrun] = &jobs[i];
			run[nrun++] = jobs[i];
		}
	}
	if (nrun > 0)
		maildir_deliver_batch(run, nrun, wk.host);
	for (i = 0; i < nrun; i++)
		*todo[i] = run[i];
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
	if ((w = calloc(MAILDIR_BATCH_MAX, sizeof(*w))) == NULL ||
	    (jobs = calloc(MAILDIR_BATCH_MAX, sizeof(*jobs))) == NULL)
		fatal("worker");
	log_debug("worker for %s started", user);
	for (;;)
		worker_batch(w, jobs);
}

/* ---- in deliver ---- */

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
	TAILQ_FOREACH(j, &w->jobs, entry)
		report(j->id, IPC_TEMPFAIL, "delivery process failed");
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

	if (imsg->fd != -1)
		close(imsg->fd);
	if (imsg->hdr.type != IMSG_MDA_DONE || imsg->datalen != sizeof(d) ||
	    imsg->fd != -1) {
		worker_fail(w, "protocol violation");
		return;
	}
	memcpy(&d, imsg->data, sizeof(d));
	TAILQ_FOREACH(j, &w->jobs, entry)
		if (j->id == d.id)
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
