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


/* Delivery scheduling, retries, expiry and bounces (scheduler.h). */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "commit.h"
#include "conf.h"
#include "control.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "log.h"
#include "relay.h"
#include "scheduler.h"
#include "spool.h"
#include "store.h"

struct qmsg {
	TAILQ_ENTRY(qmsg)	 ready_entry;
	TAILQ_ENTRY(qmsg)	 all_entry;	/* sched_walk */
	int			 held;		/* immpctl hold */
	int			 on_ready;
	struct event		*timer;
	struct envelope		 env;
	uint8_t			 busy[ENV_MAX_RCPT];	/* in flight */
	int			 nbusy;
};

struct delivery {
	TAILQ_ENTRY(delivery)	 entry;
	uint64_t		 id;
	struct qmsg		*m;
	int			 idx;
};

struct bounce {
	struct commit_req	 req;
	struct qmsg		*m;
	int			 idx;
};

static struct {
	struct event_base	*base;
	struct immpd_conf	*conf;
	struct store		*st;
	struct imsgev		*mda;
	int			 max;
	int			 inflight;
	uint64_t		 nextid;
	struct event		*kick;
	int			 kicked;
	int			 count;
	TAILQ_HEAD(, qmsg)	 ready;
	TAILQ_HEAD(, delivery)	 deliveries;
	TAILQ_HEAD(, qmsg)	 all;		/* every message */
	int			 paused;	/* immpctl pause deliver */
} sc;

static void	sched_run(int, short, void *);
static void	msg_timer(int, short, void *);
static void	msg_reschedule(struct qmsg *);
static void	msg_settle(struct qmsg *, int);
static void	log_delivery(struct qmsg *, int, const char *, const char *);
static void	rcpt_failed(struct qmsg *, int, const char *);

void
sched_init(struct event_base *base, struct immpd_conf *conf,
    struct store *st, struct imsgev *mda, int max_inflight)
{
	sc.base = base;
	sc.conf = conf;
	sc.st = st;
	sc.mda = mda;
	sc.max = max_inflight > 0 ? max_inflight : 1;
	sc.nextid = 1;
	TAILQ_INIT(&sc.ready);
	TAILQ_INIT(&sc.deliveries);
	TAILQ_INIT(&sc.all);
	if ((sc.kick = evtimer_new(base, sched_run, NULL)) == NULL)
		fatalx("scheduler: evtimer_new");
}

int
sched_count(void)
{
	return sc.count;
}

static void
kick(void)
{
	struct timeval	tv = { 0, 0 };

	if (sc.kicked)
		return;
	sc.kicked = 1;
	if (evtimer_add(sc.kick, &tv) == -1)
		fatalx("scheduler: evtimer_add");
}

/*
 * The recipient as the sender wrote it: local[+folder]@domain, or
 * "@domain" for a push to a domain's subscribers (ipc_push.h).
 */
static void
rcpt_imid(const struct env_rcpt *r, char *buf, size_t size)
{
	const char	*at = strchr(r->account, '@');

	if (r->folder[0] == '\0' || at == NULL || at == r->account)
		(void)snprintf(buf, size, "%s", r->account);
	else
		(void)snprintf(buf, size, "%.*s+%s%s", (int)(at - r->account),
		    r->account, r->folder, at);
}

/* Printable ASCII without quotes or backslashes, for log lines. */
static void
clean_reason(const char *in, char *out, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && in[i] != '\0'; i++)
		out[i] = (in[i] < 0x20 || in[i] > 0x7e || in[i] == '"' ||
		    in[i] == '\\') ? '?' : in[i];
	out[i] = '\0';
}

static uint32_t
backoff(uint32_t tries)
{
	uint64_t	d = sc.conf->retry_first ? sc.conf->retry_first : 1;

	while (tries-- > 1 && d < sc.conf->retry_max)
		d *= 2;
	if (d > sc.conf->retry_max && sc.conf->retry_max > 0)
		d = sc.conf->retry_max;
	return d;
}

static int
msg_all_final(const struct qmsg *m)
{
	int	i;

	for (i = 0; i < m->env.nrcpt; i++)
		if (m->env.rcpt[i].state == RCPT_PENDING)
			return 0;
	return 1;
}

static void
msg_free(struct qmsg *m)
{
	if (m->on_ready)
		TAILQ_REMOVE(&sc.ready, m, ready_entry);
	TAILQ_REMOVE(&sc.all, m, all_entry);
	event_free(m->timer);
	env_free(&m->env);
	free(m);
	sc.count--;
}

void
sched_add(struct envelope *env)
{
	struct qmsg	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("scheduler");
	m->env = *env;
	memset(env, 0, sizeof(*env));
	if ((m->timer = evtimer_new(sc.base, msg_timer, m)) == NULL)
		fatalx("scheduler: evtimer_new");
	TAILQ_INSERT_TAIL(&sc.all, m, all_entry);
	sc.count++;
	msg_settle(m, 0);
}

static void
msg_timer(int fd, short ev, void *arg)
{
	msg_reschedule(arg);
}

static void
msg_reschedule(struct qmsg *m)
{
	struct timeval	 tv;
	int64_t		 now = time(NULL), future = INT64_MAX;
	int		 i, due = 0;

	for (i = 0; i < m->env.nrcpt; i++) {
		if (m->env.rcpt[i].state != RCPT_PENDING || m->busy[i])
			continue;
		if (m->env.rcpt[i].next <= now)
			due = 1;
		else if (m->env.rcpt[i].next < future)
			future = m->env.rcpt[i].next;
	}
	if (due && !m->on_ready && !m->held) {
		TAILQ_INSERT_TAIL(&sc.ready, m, ready_entry);
		m->on_ready = 1;
		kick();
	}
	if (future != INT64_MAX) {
		tv.tv_sec = future - now;
		tv.tv_usec = 0;
		if (evtimer_add(m->timer, &tv) == -1)
			fatalx("scheduler: evtimer_add");
	} else
		evtimer_del(m->timer);
}

/*
 * After a change: removes a finished message, otherwise writes the
 * envelope (if changed) and schedules what is left.
 */
static void
msg_settle(struct qmsg *m, int changed)
{
	if (m->nbusy == 0 && msg_all_final(m)) {
		if (store_remove(sc.st, m->env.uuid) == 0)
			log_debug("removed uuid=%s", m->env.uuid);
		commit_forget(&m->env);
		msg_free(m);
		return;
	}
	if (changed && store_update(sc.st, &m->env,
	    !commit_covered(&m->env)) == -1)
		log_warn("envelope update uuid=%s", m->env.uuid);
	msg_reschedule(m);
}

/*
 * The To: header of delivered copies stays well inside one 998-octet
 * header line (RFC 5322 2.1.1) and the composer's limit (mime.h).
 */
#define TO_LIST_MAX	800

/* The To: list: every recipient, or a group when they do not fit. */
static void
to_list(const struct qmsg *m, char *buf, size_t size)
{
	char	one[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	size_t	len = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < m->env.nrcpt; i++) {
		rcpt_imid(&m->env.rcpt[i], one, sizeof(one));
		if (len + strlen(one) + 2 >= size || len + strlen(one) + 2 >=
		    TO_LIST_MAX) {
			/* Too many to name in one header line: a group. */
			(void)strlcpy(buf, "undisclosed-recipients:;", size);
			return;
		}
		len += snprintf(buf + len, size - len, "%s%s",
		    i ? ", " : "", one);
	}
}

static int
dispatch(struct qmsg *m, int i)
{
	struct ipc_mda_deliver	 d;
	struct delivery		*dl;
	int			 fd;

	/*
	 * A push for another domain's subscribers ("@domain") whose domain
	 * became one of ours (configuration changed while it was queued):
	 * there is no such account to deliver to.
	 */
	if (m->env.rcpt[i].account[0] == '@' &&
	    !relay_remote(sc.conf, m->env.rcpt[i].account)) {
		log_delivery(m, i, "permfail", "the domain is ours now");
		rcpt_failed(m, i, "the domain is ours now");
		return 1;
	}
	if ((fd = store_open_msg(sc.st, m->env.uuid)) == -1) {
		log_warn("delivery uuid=%s: open queue/%s.msg", m->env.uuid,
		    m->env.uuid);
		m->env.rcpt[i].next = time(NULL) + backoff(1);
		return -1;
	}
	if ((dl = calloc(1, sizeof(*dl))) == NULL)
		fatal("scheduler");
	memset(&d, 0, sizeof(d));
	d.id = dl->id = sc.nextid++;
	strlcpy(d.uuid, m->env.uuid, sizeof(d.uuid));
	strlcpy(d.account, m->env.rcpt[i].account, sizeof(d.account));
	strlcpy(d.folder, m->env.rcpt[i].folder, sizeof(d.folder));
	strlcpy(d.sender, m->env.sender, sizeof(d.sender));
	to_list(m, d.rcpts, sizeof(d.rcpts));
	d.flags = m->env.flags;
	d.accepted = m->env.accepted;
	if (relay_remote(sc.conf, d.account))
		relay_add(d.id, &m->env, i, fd);	/* relay.c */
	else if (imsgev_compose(sc.mda, IMSG_MDA_DELIVER, 0, fd, &d,
	    sizeof(d)) == -1)
		fatal("scheduler: imsg to deliver");
	dl->m = m;
	dl->idx = i;
	TAILQ_INSERT_TAIL(&sc.deliveries, dl, entry);
	m->busy[i] = 1;
	m->nbusy++;
	sc.inflight++;
	return 0;
}

static void
sched_run(int fd, short ev, void *arg)
{
	struct qmsg	*m;
	int64_t		 now = time(NULL);
	int		 i, settled;

	sc.kicked = 0;
	if (sc.paused)
		return;
	while (sc.inflight < sc.max && (m = TAILQ_FIRST(&sc.ready)) != NULL) {
		settled = 0;
		for (i = 0; i < m->env.nrcpt; i++) {
			if (m->env.rcpt[i].state != RCPT_PENDING ||
			    m->busy[i] || m->env.rcpt[i].next > now)
				continue;
			if (sc.inflight >= sc.max)
				break;
			if (dispatch(m, i) == 1)
				settled = 1;
		}
		if (i < m->env.nrcpt)
			break;		/* cap reached, m stays first */
		TAILQ_REMOVE(&sc.ready, m, ready_entry);
		m->on_ready = 0;
		msg_settle(m, settled);	/* may free m */
	}
}

static void
log_delivery(struct qmsg *m, int i, const char *result, const char *reason)
{
	char	imid[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX], clean[IPC_REASON_MAX];

	rcpt_imid(&m->env.rcpt[i], imid, sizeof(imid));
	clean_reason(reason, clean, sizeof(clean));
	qctl_count_delivery(m->env.rcpt[i].account, result);
	log_info("delivery uuid=%s rcpt=%s result=%s delay=%llds "
	    "reason=\"%s\"", m->env.uuid, imid, result,
	    (long long)(time(NULL) - m->env.accepted), clean);
}

/* The bounce text (immpd(8) BOUNCES), plain ASCII. */
static int
bounce_spool(int fd, struct qmsg *m, int i, const char *reason)
{
	struct spool_writer	 w;
	struct tm		 tm;
	time_t			 t = m->env.accepted;
	char			 imid[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	char			 clean[IPC_REASON_MAX], date[64], *text;
	const char		*meta;
	int			 n, r;

	rcpt_imid(&m->env.rcpt[i], imid, sizeof(imid));
	clean_reason(reason, clean, sizeof(clean));
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		strlcpy(date, "?", sizeof(date));
	n = asprintf(&text,
	    "This is the mail system at %s.\n\n"
	    "Your message could not be delivered to one of its recipients.\n"
	    "\n"
	    "Message:   %s\n"
	    "Accepted:  %s\n"
	    "Recipient: %s\n"
	    "Reason:    %s\n",
	    TAILQ_EMPTY(&sc.conf->domains) ? "localhost" :
	    TAILQ_FIRST(&sc.conf->domains)->name, m->env.uuid, date, imid,
	    clean);
	if (n == -1)
		return -1;
	meta = "Subject: Undelivered message\n";
	r = -1;
	if (spool_w_init(&w, fd) == 0 &&
	    spool_w_begin(&w, "text/rfc822-headers", "", 0) == 0 &&
	    spool_w_data(&w, meta, strlen(meta)) == 0 &&
	    spool_w_end(&w) == 0 &&
	    spool_w_begin(&w, "text/plain", "", 1) == 0 &&
	    spool_w_data(&w, text, n) == 0 &&
	    spool_w_end(&w) == 0 &&
	    spool_w_finish(&w) == 0)
		r = 0;
	free(text);
	return r;
}

static void
bounce_committed(struct commit_req *req, int result, void *arg)
{
	struct bounce	*b = arg;
	struct qmsg	*m = b->m;
	char		 buuid[IPC_UUID_MAX];

	close(req->fd);
	m->busy[b->idx] = 0;
	m->nbusy--;
	if (result == IPC_OK) {
		strlcpy(buuid, req->env.uuid, sizeof(buuid));
		log_info("bounce uuid=%s rcpt=%s to=%s bounce=%s",
		    m->env.uuid, m->env.rcpt[b->idx].account, m->env.sender,
		    buuid);
		qctl_count_bounce();
		m->env.rcpt[b->idx].state = RCPT_FAILED;
		sched_add(&req->env);
	} else {
		log_warnx("bounce uuid=%s: cannot queue the bounce, will "
		    "retry", m->env.uuid);
		m->env.rcpt[b->idx].next = time(NULL) + backoff(1);
		env_free(&req->env);
	}
	free(b);
	msg_settle(m, 1);
}

/* A permanent failure: bounce to the sender, or give up on a bounce. */
static void
rcpt_failed(struct qmsg *m, int i, const char *reason)
{
	struct bounce	*b;
	struct stat	 sb;
	const char	*at = strchr(m->env.sender, '@');
	int		 fd;

	/*
	 * A push to another domain's subscribers ("@domain", ipc_push.h):
	 * nobody to tell but the log (a 489 already cleaned the list).
	 */
	if (m->env.rcpt[i].account[0] == '@') {
		log_info("push uuid=%s rcpt=%s failed: %s", m->env.uuid,
		    m->env.rcpt[i].account, reason);
		m->env.rcpt[i].state = RCPT_FAILED;
		return;
	}
	/* A remote sender's bounce is relayed back (relay.c). */
	if (m->env.bounce || at == NULL) {
		log_info("bounce uuid=%s dropped: %s", m->env.uuid,
		    m->env.bounce ? "the message is a bounce" :
		    "no sender");
		m->env.rcpt[i].state = RCPT_FAILED;
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("scheduler");
	if ((b->req.env.rcpt = calloc(1, sizeof(*b->req.env.rcpt))) == NULL)
		fatal("scheduler");
	if ((fd = store_create(sc.st, b->req.env.uuid,
	    &b->req.spool)) == -1 ||
	    bounce_spool(fd, m, i, reason) == -1 || fstat(fd, &sb) == -1) {
		log_warn("bounce uuid=%s: cannot create the bounce",
		    m->env.uuid);
		if (fd != -1) {
			close(fd);
			store_pool_release(sc.st, b->req.spool);
		}
		env_free(&b->req.env);
		free(b);
		m->env.rcpt[i].next = time(NULL) + backoff(1);
		return;
	}
	b->req.fd = fd;
	b->req.env.accepted = time(NULL);
	strlcpy(b->req.env.sender, "mailer-daemon@",
	    sizeof(b->req.env.sender));
	strlcat(b->req.env.sender, TAILQ_EMPTY(&sc.conf->domains) ?
	    "localhost" : TAILQ_FIRST(&sc.conf->domains)->name,
	    sizeof(b->req.env.sender));
	b->req.env.size = sb.st_size;
	b->req.env.bounce = 1;
	b->req.env.nrcpt = 1;
	strlcpy(b->req.env.rcpt[0].account, m->env.sender,
	    sizeof(b->req.env.rcpt[0].account));
	b->req.done = bounce_committed;
	b->req.arg = b;
	b->m = m;
	b->idx = i;
	m->busy[i] = 1;
	m->nbusy++;
	commit_add(&b->req);
}

void
sched_mda_done(const struct ipc_mda_done *done)
{
	struct delivery	*dl;
	struct qmsg	*m;
	struct env_rcpt	*r;
	char		 reason[IPC_REASON_MAX + 16];
	int64_t		 now = time(NULL);
	int		 i;

	TAILQ_FOREACH(dl, &sc.deliveries, entry)
		if (dl->id == done->id)
			break;
	if (dl == NULL)
		fatalx("deliver: result for unknown delivery %" PRIu64,
		    done->id);
	TAILQ_REMOVE(&sc.deliveries, dl, entry);
	m = dl->m;
	i = dl->idx;
	free(dl);
	sc.inflight--;
	m->busy[i] = 0;
	m->nbusy--;
	r = &m->env.rcpt[i];
	r->tries++;

	switch (done->result) {
	case IPC_OK:
		log_delivery(m, i, "ok", done->reason);
		r->state = RCPT_DONE;
		break;
	case IPC_TEMPFAIL:
		log_delivery(m, i, "tempfail", done->reason);
		if (now - m->env.accepted >= (int64_t)sc.conf->expire) {
			(void)snprintf(reason, sizeof(reason),
			    "expired: %s", done->reason);
			log_delivery(m, i, "permfail", reason);
			rcpt_failed(m, i, reason);
		} else
			r->next = now + backoff(r->tries);
		break;
	case IPC_FAIL:
		log_delivery(m, i, "permfail", done->reason);
		rcpt_failed(m, i, done->reason);
		break;
	case IPC_RELAY_HOLD:
		/* +SECURE over an unchecked connection: relay.c. */
		log_delivery(m, i, "held", done->reason);
		if (now - m->env.accepted >= (int64_t)sc.conf->expire)
			rcpt_failed(m, i, done->reason);
		else
			r->next = now + (sc.conf->retry_max <
			    RELAY_HOLD_SECONDS ? sc.conf->retry_max :
			    RELAY_HOLD_SECONDS);
		break;
	default:
		fatalx("deliver: bad result %d", done->result);
	}
	msg_settle(m, 1);
	kick();
}

/*
 * immpctl (control.c): listing, schedule, remove, hold and release,
 * pause and resume of deliveries.
 */

void
sched_walk(void (*cb)(const struct envelope *, int, void *), void *arg)
{
	struct qmsg	*m;

	TAILQ_FOREACH(m, &sc.all, all_entry)
		cb(&m->env, m->held, arg);
}

const struct envelope *
sched_lookup(const char *uuid, int *held)
{
	struct qmsg	*m;

	TAILQ_FOREACH(m, &sc.all, all_entry)
		if (strcmp(m->env.uuid, uuid) == 0) {
			*held = m->held;
			return &m->env;
		}
	return NULL;
}

/* One message; returns 1 if it was changed, 0 if not. */
static int
msg_ctl(struct qmsg *m, enum sched_ctl_op op, int *busy)
{
	int64_t	now = time(NULL);
	int	i, n = 0;

	switch (op) {
	case SCHED_CTL_SCHEDULE:
		for (i = 0; i < m->env.nrcpt; i++)
			if (m->env.rcpt[i].state == RCPT_PENDING &&
			    !m->busy[i] && m->env.rcpt[i].next > now) {
				m->env.rcpt[i].next = now;
				n = 1;
			}
		if (n)
			msg_reschedule(m);
		return n;
	case SCHED_CTL_REMOVE:
		if (m->nbusy > 0) {
			(*busy)++;
			return 0;
		}
		log_info("msg removed uuid=%s by=immpctl", m->env.uuid);
		for (i = 0; i < m->env.nrcpt; i++)
			if (m->env.rcpt[i].state == RCPT_PENDING)
				m->env.rcpt[i].state = RCPT_FAILED;
		msg_settle(m, 1);	/* frees m */
		return 1;
	case SCHED_CTL_HOLD:
		if (m->held)
			return 0;
		m->held = 1;
		if (m->on_ready) {
			TAILQ_REMOVE(&sc.ready, m, ready_entry);
			m->on_ready = 0;
		}
		return 1;
	case SCHED_CTL_RELEASE:
		if (!m->held)
			return 0;
		m->held = 0;
		msg_reschedule(m);
		return 1;
	}
	return 0;
}

int
sched_ctl(const char *uuid, enum sched_ctl_op op, int *busy)
{
	struct qmsg	*m, *next;
	int		 n = 0;

	*busy = 0;
	for (m = TAILQ_FIRST(&sc.all); m != NULL; m = next) {
		next = TAILQ_NEXT(m, all_entry);
		if (uuid != NULL && strcmp(m->env.uuid, uuid) != 0)
			continue;
		n += msg_ctl(m, op, busy);
		if (uuid != NULL)
			return n;
	}
	return uuid != NULL ? -1 : n;
}

void
sched_pause(int on)
{
	sc.paused = on;
	if (!on)
		kick();
}

int
sched_paused(void)
{
	return sc.paused;
}
