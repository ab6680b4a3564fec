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
 * Group commit of received messages through the journal (commit.h).
 *
 * Threads: everything here runs in the event loop except flusher(),
 * of which COMMIT_FLUSHERS run, each on one job at a time; a flusher
 * only touches its job and the directory descriptors of the store.  A
 * job goes over under fl.mtx; its end is signalled through a pipe (one
 * octet: the flusher's number).  While one job waits in fdatasync(2),
 * the next can be written and flushed: a fdatasync that returns covers
 * everything written to the file before it.  Each flusher writes
 * through a descriptor of its own, so that a write-back error is
 * reported to each of them (errseq).  A new segment is only started
 * when no job is running.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "commit.h"
#include "ipc.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "store.h"

TAILQ_HEAD(commit_list, commit_req);

/* commit_req.state */
#define RQ_FAILED	0
#define RQ_READY	1	/* record in the job */

/* What a segment knows about the messages it committed. */
struct slot {
	char		uuid[IPC_UUID_MAX];
	uint8_t		live;
};

struct seg {
	TAILQ_ENTRY(seg)	 entry;
	uint64_t		 seq;
	int			 closed;
	int			 retiring;	/* in a job's durable pass */
	time_t			 closed_at;
	uint32_t		 live;
	uint32_t		 nslots;
	uint32_t		 cap;
	struct slot		*slots;
};

TAILQ_HEAD(seg_list, seg);

/* One pass, handed to the flusher. */
struct job {
	struct commit_list	 batch;
	uint32_t		 slot[COMMIT_BATCH_MAX];
	struct jbuf		 buf;		/* records to append */
	int			 syncfd[COMMIT_BATCH_MAX]; /* large spools */
	int			 nsync;
	int			 ncommit;	/* 'C' records in buf */
	int			 fd;		/* segment, the flusher's own */
	struct seg		*seg;		/* the segment written to */
	struct seg		*retire[16];	/* durable pass, then remove */
	int			 nretire;
	int			*durfd;		/* their files, owned */
	int			 ndur;
	uint64_t		 unlink[64];	/* segments to remove */
	int			 nunlink;
	/* results */
	int			 err;		/* errno of the append */
	int			 durerr;	/* errno of the durable pass */
};

static struct {
	struct event_base	*base;
	struct store		*st;
	struct commit_list	 pending;
	int			 npending;
	struct event		*kick;
	int			 kicked;
	struct event		*tick;
	struct event		*tombev;	/* done records, soon */
	struct event		*done;
	struct job		*inflight[COMMIT_FLUSHERS];
	int			 nrunning;
	int			 started;
	struct job		*deferred;	/* waits to start a segment */
	int			 segfd[COMMIT_FLUSHERS]; /* current segment */
	uint64_t		 seq;		/* current segment, 0: none */
	uint64_t		 size;		/* its size */
	int			 rotate;	/* start a new one next pass */
	struct jbuf		 tomb;		/* pending 'D' records */
	struct seg_list		 segs;
} cm;

/* The flusher threads. */
static struct {
	pthread_t		 th[COMMIT_FLUSHERS];
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cv;
	struct job		*job[COMMIT_FLUSHERS];	/* handed over */
	int			 pipe[2];
} fl;

static void	commit_kick(void);
static void	pass_start(int, short, void *);
static void	pass_done(int, short, void *);
static void	job_done(struct job *);
static void	tick(int, short, void *);

static void
flush_job(struct job *j)
{
	char	name[JRNL_NAME_LEN + 1];
	int	i;

	/* Spool files not in the journal, and their names. */
	for (i = 0; i < j->nsync && j->err == 0; i++)
		if (fsync(j->syncfd[i]) == -1)
			j->err = errno;
	if (j->err == 0 && j->nsync > 0 && fsync(cm.st->queue) == -1)
		j->err = errno;
	/* Done records alone need no flush (commit_forget). */
	if (j->err == 0 && j->buf.len > 0 &&
	    (write_full(j->fd, j->buf.p, j->buf.len) == -1 ||
	    (j->ncommit > 0 && fdatasync(j->fd) == -1)))
		j->err = errno ? errno : EIO;

	/* Retirement: make the survivors durable, then drop segments. */
	for (i = 0; i < j->ndur && j->durerr == 0; i++)
		if (fsync(j->durfd[i]) == -1)
			j->durerr = errno;
	if (j->nretire > 0 && j->durerr == 0 && fsync(cm.st->queue) == -1)
		j->durerr = errno;
	for (i = 0; i < j->nretire && j->durerr == 0; i++) {
		jrnl_seg_name(j->retire[i]->seq, name, sizeof(name));
		if (unlinkat(cm.st->journal, name, 0) == -1 &&
		    errno != ENOENT)
			log_warn("journal/%s", name);
	}
	for (i = 0; i < j->nunlink; i++) {
		jrnl_seg_name(j->unlink[i], name, sizeof(name));
		if (unlinkat(cm.st->journal, name, 0) == -1 &&
		    errno != ENOENT)
			log_warn("journal/%s", name);
	}
	if (j->nunlink > 0 || (j->nretire > 0 && j->durerr == 0))
		(void)fsync(cm.st->journal);
}

static void *
flusher(void *arg)
{
	struct job	*j;
	char		 c = (char)(intptr_t)arg;
	int		 i = (int)(intptr_t)arg;

	for (;;) {
		pthread_mutex_lock(&fl.mtx);
		while (fl.job[i] == NULL)
			pthread_cond_wait(&fl.cv, &fl.mtx);
		j = fl.job[i];
		fl.job[i] = NULL;
		pthread_mutex_unlock(&fl.mtx);
		flush_job(j);
		while (write(fl.pipe[1], &c, 1) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

void
commit_init(struct event_base *base, struct store *st)
{
	struct timeval	tv = { 10, 0 };
	int		i;

	cm.base = base;
	cm.st = st;
	cm.rotate = 1;
	TAILQ_INIT(&cm.pending);
	TAILQ_INIT(&cm.segs);
	for (i = 0; i < COMMIT_FLUSHERS; i++)
		cm.segfd[i] = -1;
	if (pipe2(fl.pipe, O_CLOEXEC) == -1)
		fatal("commit: pipe");
	if ((cm.kick = evtimer_new(base, pass_start, NULL)) == NULL ||
	    (cm.tick = event_new(base, -1, EV_PERSIST, tick, NULL)) == NULL ||
	    (cm.tombev = evtimer_new(base, pass_start, NULL)) == NULL ||
	    (cm.done = event_new(base, fl.pipe[0], EV_READ | EV_PERSIST,
	    pass_done, NULL)) == NULL || event_add(cm.done, NULL) == -1 ||
	    event_add(cm.tick, &tv) == -1)
		fatalx("commit: event_new");
}

void
commit_start(uint64_t nextseq)
{
	intptr_t	i;

	cm.seq = nextseq > 0 ? nextseq - 1 : 0;
	if (pthread_mutex_init(&fl.mtx, NULL) != 0 ||
	    pthread_cond_init(&fl.cv, NULL) != 0)
		fatalx("commit: cannot start the flusher threads");
	for (i = 0; i < COMMIT_FLUSHERS; i++)
		if (pthread_create(&fl.th[i], NULL, flusher, (void *)i) != 0)
			fatalx("commit: cannot start the flusher threads");
	cm.started = 1;
	commit_kick();
}

static void
commit_kick(void)
{
	struct timeval	tv = { 0, 0 };

	if (cm.kicked || !cm.started || cm.nrunning == COMMIT_FLUSHERS)
		return;
	cm.kicked = 1;
	if (evtimer_add(cm.kick, &tv) == -1)
		fatalx("commit: evtimer_add");
}

void
commit_add(struct commit_req *req)
{
	TAILQ_INSERT_TAIL(&cm.pending, req, entry);
	cm.npending++;
	commit_kick();
}

int
commit_pending(void)
{
	return cm.npending;
}

static struct seg *
seg_find(uint64_t seq)
{
	struct seg	*s;

	TAILQ_FOREACH_REVERSE(s, &cm.segs, seg_list, entry)
		if (s->seq == seq)
			return s;
	return NULL;
}

static void
seg_free(struct seg *s)
{
	TAILQ_REMOVE(&cm.segs, s, entry);
	free(s->slots);
	free(s);
}

static void
slot_release(struct seg *s, uint32_t i)
{
	if (i >= s->nslots || !s->slots[i].live)
		return;
	s->slots[i].live = 0;
	s->live--;
	if (s->closed && s->live == 0)
		commit_kick();
}

int
commit_covered(const struct envelope *env)
{
	struct seg	*s;

	if (env->jseq == 0 || (s = seg_find(env->jseq)) == NULL ||
	    s->retiring || env->jslot >= s->nslots)
		return 0;
	return s->slots[env->jslot].live &&
	    strcmp(s->slots[env->jslot].uuid, env->uuid) == 0;
}

void
commit_forget(const struct envelope *env)
{
	struct seg	*s;

	if (jrnl_put_done(&cm.tomb, env->uuid) == -1)
		log_warn("commit: done record uuid=%s", env->uuid);
	if (env->jseq != 0 && (s = seg_find(env->jseq)) != NULL &&
	    env->jslot < s->nslots &&
	    strcmp(s->slots[env->jslot].uuid, env->uuid) == 0)
		slot_release(s, env->jslot);
	/* Without commits, done records still get written soon. */
	if (cm.tomb.len >= 64 * 1024)
		commit_kick();
	else if (!evtimer_pending(cm.tombev, NULL)) {
		struct timeval	tv = { 0, COMMIT_DONE_DELAY * 1000 };

		if (evtimer_add(cm.tombev, &tv) == -1)
			fatalx("commit: evtimer_add");
	}
}

void
commit_shutdown(void)
{
	/* The flushers are idle: the segment is ours for a moment. */
	if (cm.nrunning > 0 || cm.tomb.len == 0 || cm.segfd[0] == -1 ||
	    cm.rotate)
		return;
	if (write_full(cm.segfd[0], cm.tomb.p, cm.tomb.len) == -1)
		log_warn("commit: done records");
	jbuf_free(&cm.tomb);
}

/* Reads the whole spool file (size octets) into a malloc'ed buffer. */
static void *
read_spool(int fd, uint64_t size)
{
	uint8_t		*buf;
	uint64_t	 off = 0;
	ssize_t		 n;

	if ((buf = malloc(size ? size : 1)) == NULL)
		return NULL;
	while (off < size) {
		n = pread(fd, buf + off, size - off, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			errno = n == 0 ? EBADMSG : errno;
			return NULL;
		}
		off += n;
	}
	return buf;
}

/*
 * Everything of req but the flush: digest, envelope in a pool file,
 * spool file to queue/<uuid>.msg, journal record into j->buf.  Sets
 * req->state: RQ_READY, or RQ_FAILED with every file let go.
 */
static void
prepare(struct job *j, struct commit_req *req)
{
	struct envelope	*env = &req->env;
	char		 msg[IPC_UUID_MAX + 8];
	char		*text = NULL;
	uint8_t		*body = NULL;
	size_t		 len;
	int		 fd = -1, placed = 0;

	req->state = RQ_FAILED;
	req->envfile = 0;
	if (env->size <= JRNL_BODY_MAX) {
		if ((body = read_spool(req->fd, env->size)) == NULL) {
			log_warn("commit uuid=%s: read", env->uuid);
			goto out;
		}
		crypto_generichash(env->digest, sizeof(env->digest), body,
		    env->size, NULL, 0);
	} else if (store_digest(req->fd, env->size, env->digest) == -1) {
		log_warn("commit uuid=%s: digest", env->uuid);
		goto out;
	}
	env->has_digest = 1;
	if (env_format(env, &text, &len) == -1) {
		log_warn("commit uuid=%s: envelope", env->uuid);
		goto out;
	}
	if ((fd = store_pool_take(cm.st, &req->envfile)) == -1 ||
	    write_full(fd, text, len) == -1 || close(fd) == -1) {
		log_warn("commit uuid=%s: write envelope", env->uuid);
		if (fd != -1) {
			(void)close(fd);
			store_pool_release(cm.st, req->envfile);
		}
		req->envfile = 0;
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "%s.msg", env->uuid);
	if (store_pool_place(cm.st, req->spool, cm.st->queue, msg, 0) == -1) {
		log_warn("commit uuid=%s: rename message", env->uuid);
		goto out;
	}
	placed = 1;
	if (jrnl_put_commit(&j->buf, env, text, len, body) == -1) {
		log_warn("commit uuid=%s: journal record", env->uuid);
		goto out;
	}
	if (body == NULL)
		j->syncfd[j->nsync++] = req->fd;
	req->state = RQ_READY;
out:
	if (req->state == RQ_FAILED) {
		if (req->envfile != 0)
			store_pool_release(cm.st, req->envfile);
		req->envfile = 0;
		if (placed)
			store_discard(cm.st, env->uuid);
		else
			store_pool_release(cm.st, req->spool);
	}
	free(text);
	free(body);
}

static uint32_t
slot_add(struct seg *s, const char *uuid)
{
	struct slot	*p;
	uint32_t	 cap;

	if (s->nslots == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if ((p = reallocarray(s->slots, cap, sizeof(*p))) == NULL)
			fatal("commit");
		s->slots = p;
		s->cap = cap;
	}
	p = &s->slots[s->nslots];
	strlcpy(p->uuid, uuid, sizeof(p->uuid));
	p->live = 1;
	s->live++;
	return s->nslots++;
}

/* Opens the files of a retiring segment's survivors for the flusher. */
static void
retire_open(struct job *j, struct seg *s)
{
	char		 name[IPC_UUID_MAX + 8];
	uint32_t	 i;
	int		*p, k, fd;

	p = reallocarray(j->durfd, j->ndur + 2 * (size_t)s->live + 2,
	    sizeof(*p));
	if (p == NULL)
		fatal("commit");
	j->durfd = p;
	for (i = 0; i < s->nslots; i++) {
		if (!s->slots[i].live)
			continue;
		for (k = 0; k < 2; k++) {
			(void)snprintf(name, sizeof(name), "%s.%s",
			    s->slots[i].uuid, k ? "env" : "msg");
			fd = openat(cm.st->queue, name, O_RDONLY | O_CLOEXEC |
			    O_NOFOLLOW | O_NONBLOCK);
			if (fd != -1)
				j->durfd[j->ndur++] = fd;
		}
	}
	s->retiring = 1;
	j->retire[j->nretire++] = s;
}

/* Segments to remove or to retire in this pass. */
static void
plan_retirement(struct job *j)
{
	struct seg	*s, *next;
	time_t		 now = time(NULL);

	TAILQ_FOREACH_SAFE(s, &cm.segs, entry, next) {
		if (!s->closed || s->retiring)
			continue;
		if (s->live == 0) {
			if (j->nunlink == (int)(sizeof(j->unlink) /
			    sizeof(j->unlink[0])))
				continue;
			j->unlink[j->nunlink++] = s->seq;
			seg_free(s);
		} else if (now - s->closed_at >= COMMIT_RETIRE_AGE &&
		    j->nretire < (int)(sizeof(j->retire) /
		    sizeof(j->retire[0])))
			retire_open(j, s);
	}
}

/*
 * Starts a new segment: closes the current one (for the bookkeeping)
 * and opens one descriptor on the new one per flusher.  No job may be
 * running.  0, or -1 with errno (cm.rotate stays set).
 */
static int
rotate(void)
{
	struct seg	*s;
	char		 name[JRNL_NAME_LEN + 1];
	int		 i, fd, saved;

	if ((fd = jrnl_seg_create(cm.st, cm.seq + 1)) == -1)
		return -1;
	for (i = 0; i < COMMIT_FLUSHERS; i++) {
		if (cm.segfd[i] != -1)
			close(cm.segfd[i]);
		cm.segfd[i] = -1;
	}
	cm.segfd[0] = fd;
	jrnl_seg_name(cm.seq + 1, name, sizeof(name));
	for (i = 1; i < COMMIT_FLUSHERS; i++) {
		cm.segfd[i] = openat(cm.st->journal, name, O_WRONLY |
		    O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (cm.segfd[i] == -1) {
			saved = errno;
			while (i-- > 0) {
				close(cm.segfd[i]);
				cm.segfd[i] = -1;
			}
			(void)unlinkat(cm.st->journal, name, 0);
			errno = saved;
			return -1;
		}
	}
	if ((s = TAILQ_LAST(&cm.segs, seg_list)) != NULL && !s->closed) {
		s->closed = 1;
		s->closed_at = time(NULL);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("commit");
	s->seq = ++cm.seq;
	TAILQ_INSERT_TAIL(&cm.segs, s, entry);
	cm.size = JRNL_MAGIC_LEN;
	cm.rotate = 0;
	return 0;
}

/* Prepares a job from the pending commits and done records. */
static struct job *
job_new(void)
{
	struct job		*j;
	struct commit_req	*req;
	int			 n = 0;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("commit");
	TAILQ_INIT(&j->batch);
	/* Pending done records go first. */
	j->buf = cm.tomb;
	memset(&cm.tomb, 0, sizeof(cm.tomb));
	while ((req = TAILQ_FIRST(&cm.pending)) != NULL &&
	    n < COMMIT_BATCH_MAX) {
		TAILQ_REMOVE(&cm.pending, req, entry);
		TAILQ_INSERT_TAIL(&j->batch, req, entry);
		prepare(j, req);
		if (req->state == RQ_READY)
			j->ncommit++;
		n++;
	}
	return j;
}

static void
pass_start(int fd, short ev, void *arg)
{
	struct job		*j;
	struct commit_req	*req;
	int			 n, i;

	cm.kicked = 0;
	if (!cm.started || cm.nrunning == COMMIT_FLUSHERS)
		return;
	if ((j = cm.deferred) != NULL) {
		if (cm.nrunning > 0)
			return;
		cm.deferred = NULL;
	} else
		j = job_new();
	if (j->ncommit > 0 && (cm.rotate || cm.seq == 0 ||
	    (cm.size > JRNL_MAGIC_LEN &&
	    cm.size + j->buf.len > JRNL_SEG_MAX))) {
		if (cm.nrunning > 0) {
			/* The running jobs write to the current one. */
			cm.deferred = j;
			return;
		}
		if (rotate() == -1) {
			j->err = errno;
			log_warn("commit: new journal segment");
			job_done(j);
			if (!TAILQ_EMPTY(&cm.pending))
				commit_kick();
			return;
		}
	}
	if (j->ncommit == 0 && (cm.seq == 0 || cm.rotate))
		/* No segment to write done records to: they can go. */
		jbuf_free(&j->buf);
	if (j->ncommit > 0) {
		j->seg = TAILQ_LAST(&cm.segs, seg_list);
		n = 0;
		TAILQ_FOREACH(req, &j->batch, entry) {
			if (req->state == RQ_READY)
				j->slot[n] = slot_add(j->seg, req->env.uuid);
			n++;
		}
	}
	plan_retirement(j);
	if (TAILQ_EMPTY(&j->batch) && j->buf.len == 0 && j->nretire == 0 &&
	    j->nunlink == 0) {
		free(j);
		return;
	}
	for (i = 0; i < COMMIT_FLUSHERS; i++)
		if (cm.inflight[i] == NULL)
			break;
	j->fd = cm.segfd[i];
	cm.size += j->buf.len;
	cm.inflight[i] = j;
	cm.nrunning++;
	pthread_mutex_lock(&fl.mtx);
	fl.job[i] = j;
	pthread_cond_broadcast(&fl.cv);
	pthread_mutex_unlock(&fl.mtx);
	/* Another flusher may take the next commits right away. */
	if (!TAILQ_EMPTY(&cm.pending))
		commit_kick();
}

/* Back from a flusher: renames, reports, bookkeeping. */
static void
job_done(struct job *j)
{
	struct commit_req	*req;
	struct seg		*s = j->seg;
	char			 name[IPC_UUID_MAX + 8];
	int			 i, res, n;

	if (j->err != 0) {
		errno = j->err;
		log_warn("commit: journal write");
		/* Whatever was written is suspect: a new segment. */
		cm.rotate = 1;
	}
	n = 0;
	while ((req = TAILQ_FIRST(&j->batch)) != NULL) {
		TAILQ_REMOVE(&j->batch, req, entry);
		cm.npending--;
		res = IPC_TEMPFAIL;
		if (req->state == RQ_READY && j->err == 0) {
			(void)snprintf(name, sizeof(name), "%s.env",
			    req->env.uuid);
			if (store_pool_place(cm.st, req->envfile,
			    cm.st->queue, name, 0) == 0)
				res = IPC_OK;
			else
				log_warn("commit uuid=%s: rename envelope",
				    req->env.uuid);
		}
		if (res == IPC_OK) {
			req->env.jseq = s->seq;
			req->env.jslot = j->slot[n];
		} else if (req->state == RQ_READY) {
			if (s != NULL)
				slot_release(s, j->slot[n]);
			if (jrnl_put_done(&cm.tomb, req->env.uuid) == -1)
				log_warn("commit: done record");
			store_pool_release(cm.st, req->envfile);
			store_discard(cm.st, req->env.uuid);
		}
		n++;
		req->done(req, res, req->arg);
	}

	for (i = 0; i < j->ndur; i++)
		close(j->durfd[i]);
	free(j->durfd);
	for (i = 0; i < j->nretire; i++) {
		if (j->durerr != 0) {
			errno = j->durerr;
			log_warn("commit: journal segment retirement");
			j->retire[i]->retiring = 0;
			j->retire[i]->closed_at = time(NULL);
		} else
			seg_free(j->retire[i]);
	}
	jbuf_free(&j->buf);
	free(j);
}

static void
pass_done(int fd, short ev, void *arg)
{
	struct seg	*s;
	char		 c[2 * COMMIT_FLUSHERS];
	ssize_t		 n, k;
	struct job	*j;

	if ((n = read(fl.pipe[0], c, sizeof(c))) <= 0)
		return;
	for (k = 0; k < n; k++) {
		if (c[k] < 0 || c[k] >= COMMIT_FLUSHERS ||
		    (j = cm.inflight[(int)c[k]]) == NULL)
			fatalx("commit: unexpected flusher report");
		cm.inflight[(int)c[k]] = NULL;
		cm.nrunning--;
		job_done(j);
	}
	if (!TAILQ_EMPTY(&cm.pending) || cm.deferred != NULL)
		commit_kick();
	else {
		if (cm.tomb.len > 0 && !evtimer_pending(cm.tombev, NULL)) {
			struct timeval	tv = { 0, COMMIT_DONE_DELAY * 1000 };

			if (evtimer_add(cm.tombev, &tv) == -1)
				fatalx("commit: evtimer_add");
		}
		TAILQ_FOREACH(s, &cm.segs, entry)
			if (s->closed && !s->retiring && s->live == 0) {
				commit_kick();
				break;
			}
	}
}

/* Now and then: segments that have waited long enough. */
static void
tick(int fd, short ev, void *arg)
{
	struct seg	*s;
	time_t		 now = time(NULL);

	TAILQ_FOREACH(s, &cm.segs, entry)
		if (s->closed && !s->retiring &&
		    (s->live == 0 || now - s->closed_at >= COMMIT_RETIRE_AGE)) {
			commit_kick();
			return;
		}
	if (cm.tomb.len > 0)
		commit_kick();
}
