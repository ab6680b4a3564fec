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
 * The control socket of the network process (control.h): accepts
 * immpctl(8) clients, checks who they are, reads their requests, relays
 * them to the process that answers and passes the answers back.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "imsg.h"
#include "ipc.h"
#include "ipc_ctl.h"
#include "log.h"
#include "session.h"
#include "util.h"
#include "control.h"

#define CTL_WORDS	4

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	uint32_t		 id;
	int			 fd;
	uid_t			 uid;
	struct event		*rev;
	struct event		*wev;
	struct event		*timer;
	struct evbuffer		*in;
	struct evbuffer		*out;
	uint64_t		 reqid;		/* awaited, 0: none */
	uint32_t		 seq;
	int			 closing;	/* flush, then free */
};

static struct {
	struct event_base	*base;
	struct event		*ev;
	int			 unpriv;
	uid_t			 self;
	uint32_t		 next_id;
	size_t			 nclients;
	uint64_t		 connections;	/* IMMP accepts */
	uint64_t		 requests;
	TAILQ_HEAD(, ctl_client) clients;
} ctl;

static void	 control_accept(int, short, void *);
static void	 client_read(int, short, void *);
static void	 client_write(int, short, void *);
static void	 client_timeout(int, short, void *);
static void	 client_drop(struct ctl_client *, const char *);
static void	 client_free(struct ctl_client *);
static void	 client_flush(struct ctl_client *);
static void	 client_requests(struct ctl_client *);
static void	 client_request(struct ctl_client *, char *);
static void	 client_line(struct ctl_client *, const char *);
static void	 client_end(struct ctl_client *, int, const char *);
static void	 client_idle(struct ctl_client *);
static void	 client_refuse(struct ctl_client *);
static void	 relay(struct ctl_client *, struct imsgev *, int, int,
		    const char *);
static void	 local_stats(struct ctl_client *);

void
control_init(struct event_base *base, int unpriv)
{
	struct stat	 st;
	int		 flags;

	TAILQ_INIT(&ctl.clients);
	ctl.base = base;
	ctl.unpriv = unpriv;
	ctl.self = geteuid();
	ctl.next_id = 1;
	if (fstat(IPC_FD_CONTROL, &st) == -1 || !S_ISSOCK(st.st_mode))
		fatalx("control socket: fd %d is not a socket", IPC_FD_CONTROL);
	if ((flags = fcntl(IPC_FD_CONTROL, F_GETFL)) == -1 ||
	    fcntl(IPC_FD_CONTROL, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(IPC_FD_CONTROL, F_SETFD, FD_CLOEXEC) == -1)
		fatal("control socket");
	if ((ctl.ev = event_new(base, IPC_FD_CONTROL, EV_READ | EV_PERSIST,
	    control_accept, NULL)) == NULL || event_add(ctl.ev, NULL) == -1)
		fatalx("control socket: event_new");
}

void
control_connection(void)
{
	ctl.connections++;
}

void
control_shutdown(void)
{
	struct ctl_client	*c;

	while ((c = TAILQ_FIRST(&ctl.clients)) != NULL)
		client_free(c);
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct ctl_client	*c;
	struct timeval		 tv = { CTL_IDLE_TIMEOUT, 0 };
	uid_t			 uid;
	gid_t			 gid;
	int			 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (getpeereid(s, &uid, &gid) == -1) {
		log_warn("control: getpeereid");
		close(s);
		return;
	}
	if (uid != 0 && !(ctl.unpriv && uid == ctl.self)) {
		log_warnx("control refused uid=%u reason=not-permitted",
		    (unsigned int)uid);
		close(s);
		return;
	}
	if (ctl.nclients >= CTL_MAX_CLIENTS) {
		log_warnx("control refused uid=%u reason=too-many-clients",
		    (unsigned int)uid);
		close(s);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control");
		close(s);
		return;
	}
	c->fd = s;
	c->uid = uid;
	c->id = ctl.next_id++;
	if (ctl.next_id == 0)
		ctl.next_id = 1;
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL ||
	    (c->rev = event_new(ctl.base, s, EV_READ | EV_PERSIST,
	    client_read, c)) == NULL ||
	    (c->wev = event_new(ctl.base, s, EV_WRITE | EV_PERSIST,
	    client_write, c)) == NULL ||
	    (c->timer = evtimer_new(ctl.base, client_timeout, c)) == NULL) {
		log_warnx("control: out of memory");
		if (c->timer != NULL)
			event_free(c->timer);
		if (c->wev != NULL)
			event_free(c->wev);
		if (c->rev != NULL)
			event_free(c->rev);
		if (c->out != NULL)
			evbuffer_free(c->out);
		if (c->in != NULL)
			evbuffer_free(c->in);
		free(c);
		close(s);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl.clients, c, entry);
	ctl.nclients++;
	event_add(c->rev, NULL);
	evtimer_add(c->timer, &tv);
	log_debug("control connect client=%u uid=%u", c->id,
	    (unsigned int)uid);
}

static void
client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&ctl.clients, c, entry);
	ctl.nclients--;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->timer);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	close(c->fd);
	free(c);
}

/* A client that broke the protocol or went away: no answer, freed. */
static void
client_drop(struct ctl_client *c, const char *why)
{
	if (why != NULL)
		log_warnx("control dropped client=%u uid=%u reason=%s", c->id,
		    (unsigned int)c->uid, why);
	else
		log_debug("control close client=%u", c->id);
	client_free(c);
}

static void
client_timeout(int fd, short ev, void *arg)
{
	client_drop(arg, "timeout");
}

static void
client_idle(struct ctl_client *c)
{
	struct timeval	tv = { CTL_IDLE_TIMEOUT, 0 };

	evtimer_add(c->timer, &tv);
}

static void
client_read(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;
	int			 n;

	n = evbuffer_read(c->in, fd, 4096);
	if (n == 0) {
		client_drop(c, NULL);
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_drop(c, "read-error");
		return;
	}
	/* A client that sends ahead may queue a few requests, no more. */
	if (evbuffer_get_length(c->in) > 4 * (CTL_LINE_MAX + 1)) {
		client_drop(c, "too-much-input");
		return;
	}
	client_requests(c);
}

/* Runs the buffered requests while no answer is awaited. */
static void
client_requests(struct ctl_client *c)
{
	struct evbuffer_ptr	 eol;
	char			 line[CTL_LINE_MAX + 1];
	size_t			 len;

	while (c->reqid == 0 && !c->closing) {
		eol = evbuffer_search(c->in, "\n", 1, NULL);
		if (eol.pos == -1) {
			if (evbuffer_get_length(c->in) > CTL_LINE_MAX) {
				client_drop(c, "request-too-long");
				return;
			}
			return;
		}
		len = (size_t)eol.pos;
		if (len > CTL_LINE_MAX) {
			client_drop(c, "request-too-long");
			return;
		}
		if (evbuffer_remove(c->in, line, len + 1) != (int)(len + 1))
			fatalx("control: evbuffer_remove");
		line[len] = '\0';
		client_idle(c);
		/* Never frees c; a refused client is marked closing. */
		client_request(c, line);
	}
}

static void
client_write(int fd, short ev, void *arg)
{
	struct ctl_client	*c = arg;

	if (evbuffer_write(c->out, fd) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_drop(c, NULL);
		return;
	}
	if (evbuffer_get_length(c->out) > 0)
		return;
	event_del(c->wev);
	if (c->closing)
		client_drop(c, NULL);
}

static void
client_flush(struct ctl_client *c)
{
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
}

/* Adds prefix, text and LF; bytes outside printable ASCII become '?'. */
static void
client_add(struct ctl_client *c, const char *prefix, const char *text)
{
	char	buf[IPC_CTL_TEXT_MAX];
	size_t	i;

	for (i = 0; text[i] != '\0' && i < sizeof(buf); i++)
		buf[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	evbuffer_add(c->out, prefix, strlen(prefix));
	evbuffer_add(c->out, buf, i);
	evbuffer_add(c->out, "\n", 1);
}

static void
client_line(struct ctl_client *c, const char *text)
{
	if (evbuffer_get_length(c->out) > CTL_OUT_MAX) {
		/* A client that does not read its answer: stop it. */
		c->closing = 1;
		return;
	}
	client_add(c, "+ ", text);
}

static void
client_end(struct ctl_client *c, int ok, const char *why)
{
	c->reqid = 0;
	if (ok)
		evbuffer_add(c->out, ".\n", 2);
	else
		client_add(c, "! ", why);
	if (evbuffer_get_length(c->out) > CTL_OUT_MAX + IPC_CTL_TEXT_MAX)
		c->closing = 1;
	client_flush(c);
}

static struct ctl_client *
client_byreq(uint64_t reqid)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &ctl.clients, entry)
		if (c->reqid != 0 && c->reqid == reqid)
			return c;
	return NULL;
}

/* Sends the request on ch; the client waits for its END. */
static void
relay(struct ctl_client *c, struct imsgev *ch, int op, int which,
    const char *arg)
{
	struct ipc_ctl_req	r;

	memset(&r, 0, sizeof(r));
	if (++c->seq == 0)
		c->seq = 1;
	c->reqid = ((uint64_t)c->id << 32) | c->seq;
	r.reqid = c->reqid;
	r.op = op;
	r.which = which;
	if (arg != NULL)
		(void)strlcpy(r.arg, arg, sizeof(r.arg));
	if (imsgev_compose(ch, IMSG_CTL_REQ, 0, -1, &r, sizeof(r)) == -1)
		fatal("control: imsgev_compose");
}

/* "all" or a queue id (the message UUID). */
static int
id_valid(const char *s, int all_ok)
{
	return uuid_valid(s) || (all_ok && strcmp(s, "all") == 0);
}

/* A table name as immpd.conf(5) allows it: [A-Za-z0-9_.-]{1,63}. */
static int
table_name_valid(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len < CONF_NAME_MAX && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == len;
}

static void
local_stats(struct ctl_client *c)
{
	char	buf[128];

	(void)snprintf(buf, sizeof(buf), "network.sessions.current=%u",
	    env->nsessions);
	client_line(c, buf);
	(void)snprintf(buf, sizeof(buf), "network.sessions.total=%" PRIu64,
	    ctl.connections);
	client_line(c, buf);
	(void)snprintf(buf, sizeof(buf), "network.sessions.max=%u",
	    env->conf.max_sessions);
	client_line(c, buf);
	(void)snprintf(buf, sizeof(buf), "network.accept=%s",
	    net_accept_paused() ? "paused" : "running");
	client_line(c, buf);
	(void)snprintf(buf, sizeof(buf), "network.control.clients=%zu",
	    ctl.nclients);
	client_line(c, buf);
	(void)snprintf(buf, sizeof(buf), "network.control.requests=%" PRIu64,
	    ctl.requests);
	client_line(c, buf);
}

/*
 * A malformed request: the client gets "! malformed request" and is
 * disconnected once that is written (or at its timeout).
 */
static void
client_refuse(struct ctl_client *c)
{
	log_warnx("control dropped client=%u uid=%u reason=bad-request",
	    c->id, (unsigned int)c->uid);
	c->closing = 1;
	client_end(c, 0, "malformed request");
}

/*
 * One request line (NUL-terminated, at most CTL_LINE_MAX octets).  A
 * line that is not printable ASCII or not single-space separated drops
 * the client; a well-formed line with an unknown command is answered
 * "! unknown command" and the client may go on.
 */
static void
client_request(struct ctl_client *c, char *line)
{
	char		*w[CTL_WORDS], *p;
	size_t		 n = 0, i;
	int		 which;

	for (p = line; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e) {
			client_refuse(c);
			return;
		}
	p = line;
	while (*p != '\0') {
		if (n == CTL_WORDS || *p == ' ') {
			client_refuse(c);
			return;
		}
		w[n++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
		if (*p == '\0') {
			client_refuse(c);	/* trailing space */
			return;
		}
	}
	if (n == 0) {
		client_refuse(c);		/* empty line */
		return;
	}
	ctl.requests++;
	for (i = n; i < CTL_WORDS; i++)
		w[i] = "";
	log_debug("control request client=%u: %s %s %s %s", c->id, w[0],
	    w[1], w[2], w[3]);

	if (n == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "queue") == 0)
		relay(c, env->queue, CTL_OP_SHOW_QUEUE, 0, NULL);
	else if (n == 3 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "envelope") == 0 && id_valid(w[2], 0))
		relay(c, env->queue, CTL_OP_SHOW_ENVELOPE, 0, w[2]);
	else if (n == 2 && strcmp(w[0], "show") == 0 &&
	    strcmp(w[1], "stats") == 0) {
		local_stats(c);
		relay(c, env->queue, CTL_OP_STATS, 0, NULL);
	} else if (n == 2 && strcmp(w[0], "schedule") == 0 &&
	    id_valid(w[1], 1))
		relay(c, env->queue, CTL_OP_SCHEDULE, 0, w[1]);
	else if (n == 2 && strcmp(w[0], "remove") == 0 && id_valid(w[1], 1))
		relay(c, env->queue, CTL_OP_REMOVE, 0, w[1]);
	else if (n == 2 && strcmp(w[0], "hold") == 0 && id_valid(w[1], 1))
		relay(c, env->queue, CTL_OP_HOLD, 0, w[1]);
	else if (n == 2 && strcmp(w[0], "release") == 0 &&
	    id_valid(w[1], 1))
		relay(c, env->queue, CTL_OP_RELEASE, 0, w[1]);
	else if (n == 2 && (strcmp(w[0], "pause") == 0 ||
	    strcmp(w[0], "resume") == 0)) {
		if (strcmp(w[1], "accept") == 0) {
			net_accept_pause(w[0][0] == 'p');
			log_info("control %s accept client=%u", w[0], c->id);
			client_line(c, w[0][0] == 'p' ? "accept=paused" :
			    "accept=running");
			client_end(c, 1, "");
			return;
		}
		if (strcmp(w[1], "deliver") == 0)
			which = CTL_WHICH_DELIVER;
		else if (strcmp(w[1], "relay") == 0)
			which = CTL_WHICH_RELAY;
		else {
			client_end(c, 0, "pause/resume: accept, deliver or "
			    "relay");
			return;
		}
		relay(c, env->queue, w[0][0] == 'p' ? CTL_OP_PAUSE :
		    CTL_OP_RESUME, which, NULL);
	} else if (n == 2 && strcmp(w[0], "log") == 0 &&
	    (strcmp(w[1], "brief") == 0 || strcmp(w[1], "verbose") == 0))
		relay(c, env->parent, CTL_OP_LOG, w[1][0] == 'v', NULL);
	else if (n == 1 && strcmp(w[0], "reload") == 0)
		relay(c, env->parent, CTL_OP_RELOAD, 0, NULL);
	else if (n == 3 && strcmp(w[0], "update") == 0 &&
	    strcmp(w[1], "table") == 0 && table_name_valid(w[2]))
		relay(c, env->lookup, CTL_OP_UPDATE_TABLE, 0, w[2]);
	else
		client_end(c, 0, "unknown command or bad argument");
}

void
control_imsg(struct imsg *imsg, const char *from)
{
	struct ipc_ctl_line	*l;
	struct ipc_ctl_end	*e;
	struct ctl_client	*c;

	if (imsg->fd != -1)
		fatalx("%s: unexpected descriptor", from);
	switch (imsg->hdr.type) {
	case IMSG_CTL_LINE:
		l = ipc_payload(imsg, sizeof(*l));
		if (!ipc_check_str(l->text, sizeof(l->text)))
			fatalx("%s: bad control line", from);
		if ((c = client_byreq(l->reqid)) != NULL && !c->closing)
			client_line(c, l->text);
		break;
	case IMSG_CTL_END:
		e = ipc_payload(imsg, sizeof(*e));
		if (!ipc_check_str(e->text, sizeof(e->text)) ||
		    (e->result != IPC_OK && e->result != IPC_FAIL))
			fatalx("%s: bad control end", from);
		if ((c = client_byreq(e->reqid)) == NULL)
			break;
		client_end(c, e->result == IPC_OK, e->text);
		/* The next request the client sent ahead, if any. */
		client_requests(c);
		break;
	default:
		fatalx("%s: unexpected imsg %u", from, imsg->hdr.type);
	}
}
