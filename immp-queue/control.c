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

/* The queue's side of the control socket (control.h). */

#include <sys/types.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_ctl.h"
#include "log.h"
#include "qshow.h"
#include "scheduler.h"
#include "store.h"
#include "util.h"
#include "control.h"

struct fail_domain {
	char		 name[IPC_DOMAIN_MAX];
	uint64_t	 count;
	uint64_t	 last;		/* tick of the last failure */
};

static struct {
	struct imsgev		*net;
	struct immpd_conf	*conf;
	int			 relay_paused;
	time_t			 started;
	uint64_t		 accepted;
	uint64_t		 delivered;
	uint64_t		 tempfail;
	uint64_t		 permfail;
	uint64_t		 bounced;
	uint64_t		 tick;
	struct fail_domain	 fail[QCTL_FAIL_DOMAINS];
} qc;

struct walk {
	uint64_t	 reqid;
	int		 nrcpt;		/* pending recipients */
	int		 nheld;		/* held messages */
};

void
qctl_init(struct imsgev *net, struct immpd_conf *conf)
{
	qc.net = net;
	qc.conf = conf;
	qc.started = time(NULL);
}

void
qctl_count_accepted(void)
{
	qc.accepted++;
}

void
qctl_count_bounce(void)
{
	qc.bounced++;
}

int
qctl_relay_paused(void)
{
	return qc.relay_paused;
}

void
qctl_count_delivery(const char *account, const char *result)
{
	struct fail_domain	*f, *old = NULL;
	const char		*dom;
	size_t			 i;

	if (strcmp(result, "ok") == 0) {
		qc.delivered++;
		return;
	}
	if (strcmp(result, "tempfail") == 0)
		qc.tempfail++;
	else
		qc.permfail++;
	if ((dom = strrchr(account, '@')) == NULL || dom[1] == '\0')
		return;
	dom++;
	qc.tick++;
	for (i = 0; i < QCTL_FAIL_DOMAINS; i++) {
		f = &qc.fail[i];
		if (f->name[0] != '\0' && strcmp(f->name, dom) == 0) {
			f->count++;
			f->last = qc.tick;
			return;
		}
		if (old == NULL || f->last < old->last)
			old = f;
	}
	/* A new domain replaces the one whose last failure is oldest. */
	(void)strlcpy(old->name, dom, sizeof(old->name));
	old->count = 1;
	old->last = qc.tick;
}

static void
line(uint64_t reqid, const char *text)
{
	struct ipc_ctl_line	l;

	memset(&l, 0, sizeof(l));
	l.reqid = reqid;
	(void)strlcpy(l.text, text, sizeof(l.text));
	if (imsgev_compose(qc.net, IMSG_CTL_LINE, 0, -1, &l, sizeof(l)) ==
	    -1)
		fatal("imsg to network");
}

static void
end(uint64_t reqid, int ok, const char *text)
{
	struct ipc_ctl_end	e;

	memset(&e, 0, sizeof(e));
	e.reqid = reqid;
	e.result = ok ? IPC_OK : IPC_FAIL;
	(void)strlcpy(e.text, text, sizeof(e.text));
	if (imsgev_compose(qc.net, IMSG_CTL_END, 0, -1, &e, sizeof(e)) == -1)
		fatal("imsg to network");
}

static void
linef(uint64_t reqid, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
linef(uint64_t reqid, const char *fmt, ...)
{
	char	buf[IPC_CTL_TEXT_MAX];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line(reqid, buf);
}

static void
list_one(const struct envelope *env, int held, void *arg)
{
	struct walk	*w = arg;
	char		 buf[QSHOW_LINE_MAX];
	int		 i;

	for (i = 0; i < env->nrcpt; i++) {
		if (env->rcpt[i].state == RCPT_PENDING)
			w->nrcpt++;
		if (w->reqid != 0 &&
		    qshow_rcpt(env, i, held, buf, sizeof(buf)) == 0)
			line(w->reqid, buf);
	}
	if (held)
		w->nheld++;
}

static void
env_line(const char *text, void *arg)
{
	line(*(uint64_t *)arg, text);
}

static void
stats(uint64_t reqid)
{
	struct walk	 w;
	size_t		 i;

	memset(&w, 0, sizeof(w));
	sched_walk(list_one, &w);
	linef(reqid, "queue.messages=%d", sched_count());
	linef(reqid, "queue.recipients.pending=%d", w.nrcpt);
	linef(reqid, "queue.held=%d", w.nheld);
	linef(reqid, "queue.accepted=%" PRIu64, qc.accepted);
	linef(reqid, "queue.delivered=%" PRIu64, qc.delivered);
	linef(reqid, "queue.tempfail=%" PRIu64, qc.tempfail);
	linef(reqid, "queue.permfail=%" PRIu64, qc.permfail);
	linef(reqid, "queue.bounced=%" PRIu64, qc.bounced);
	linef(reqid, "queue.deliver=%s", sched_paused() ? "paused" :
	    "running");
	linef(reqid, "queue.relay=%s", qc.relay_paused ? "paused" :
	    "running");
	linef(reqid, "queue.uptime=%lld",
	    (long long)(time(NULL) - qc.started));
	for (i = 0; i < QCTL_FAIL_DOMAINS; i++)
		if (qc.fail[i].name[0] != '\0')
			linef(reqid, "queue.failures.%s=%" PRIu64,
			    qc.fail[i].name, qc.fail[i].count);
	end(reqid, 1, "");
}

static void
apply(uint64_t reqid, const char *arg, enum sched_ctl_op op,
    const char *what)
{
	const char	*uuid = strcmp(arg, "all") == 0 ? NULL : arg;
	int		 n, busy = 0;

	if ((n = sched_ctl(uuid, op, &busy)) == -1) {
		end(reqid, 0, "no such message");
		return;
	}
	if (uuid != NULL && busy > 0) {
		end(reqid, 0, "message is being delivered, try again");
		return;
	}
	log_info("control %s id=%s messages=%d", what, arg, n);
	linef(reqid, "%s=%d", what, n);
	if (busy > 0)
		linef(reqid, "busy=%d", busy);
	end(reqid, 1, "");
}

void
qctl_request(struct imsg *imsg)
{
	struct ipc_ctl_req	 r;
	const struct envelope	*env;
	struct walk		 w;
	int			 held, on;

	memcpy(&r, ipc_payload(imsg, sizeof(r)), sizeof(r));
	if (!ipc_check_str(r.arg, sizeof(r.arg)))
		fatalx("network: CTL_REQ: unterminated argument");
	switch (r.op) {
	case CTL_OP_SHOW_QUEUE:
		memset(&w, 0, sizeof(w));
		w.reqid = r.reqid;
		sched_walk(list_one, &w);
		end(r.reqid, 1, "");
		break;
	case CTL_OP_SHOW_ENVELOPE:
		if (!uuid_valid(r.arg))
			fatalx("network: CTL_REQ: bad id");
		if ((env = sched_lookup(r.arg, &held)) == NULL) {
			end(r.reqid, 0, "no such message");
			break;
		}
		if (qshow_envelope(env, held, env_line, &r.reqid) == -1) {
			end(r.reqid, 0, "cannot format the envelope");
			break;
		}
		end(r.reqid, 1, "");
		break;
	case CTL_OP_SCHEDULE:
	case CTL_OP_REMOVE:
	case CTL_OP_HOLD:
	case CTL_OP_RELEASE:
		if (!uuid_valid(r.arg) && strcmp(r.arg, "all") != 0)
			fatalx("network: CTL_REQ: bad id");
		if (r.op == CTL_OP_SCHEDULE)
			apply(r.reqid, r.arg, SCHED_CTL_SCHEDULE, "scheduled");
		else if (r.op == CTL_OP_REMOVE)
			apply(r.reqid, r.arg, SCHED_CTL_REMOVE, "removed");
		else if (r.op == CTL_OP_HOLD)
			apply(r.reqid, r.arg, SCHED_CTL_HOLD, "held");
		else
			apply(r.reqid, r.arg, SCHED_CTL_RELEASE, "released");
		break;
	case CTL_OP_PAUSE:
	case CTL_OP_RESUME:
		on = r.op == CTL_OP_PAUSE;
		if (r.which == CTL_WHICH_DELIVER) {
			sched_pause(on);
			log_info("control %s deliver", on ? "pause" : "resume");
			linef(r.reqid, "deliver=%s", on ? "paused" :
			    "running");
		} else if (r.which == CTL_WHICH_RELAY) {
			qc.relay_paused = on;
			log_info("control %s relay", on ? "pause" : "resume");
			linef(r.reqid, "relay=%s", on ? "paused" : "running");
		} else
			fatalx("network: CTL_REQ: bad pause target");
		end(r.reqid, 1, "");
		break;
	case CTL_OP_STATS:
		stats(r.reqid);
		break;
	default:
		fatalx("network: CTL_REQ: unexpected op %d", r.op);
	}
}

void
qctl_reload(struct imsg *imsg)
{
	struct immpd_conf	nc;

	ipc_payload(imsg, 0);
	if (imsg->fd == -1)
		fatalx("parent: reload without a descriptor");
	if (conf_parse_fd(imsg->fd, qc.conf->path, &nc) == -1) {
		log_warnx("reload: cannot parse the new configuration, "
		    "keeping the running one");
		close(imsg->fd);
		return;
	}
	close(imsg->fd);
	(void)conf_reload(qc.conf, &nc, NULL, 0);
	conf_clear(&nc);
	log_debug("reload: configuration applied");
}
