/*
 * Outbound IMMP sessions (outbound.h): relay to other domains and the
 * AUTH COOKIE call-back.  One state machine drives both; the relay
 * jobs wait per destination domain, at most relay_max_conn sessions
 * per destination carry them, each at most relay_max_msgs messages.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>
#include <tls.h>

#include "envelope_keys.h"
#include "envelope_wire.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "ipc_push.h"
#include "ipc_relay.h"
#include "log.h"
#include "outbound.h"
#include "push.h"
#include "reply.h"
#include "session.h"
#include "spool.h"
#include "util.h"

#define OB_CHUNK	(64 * 1024)	/* literal octets read at once */
#define OB_OUT_HIWAT	(256 * 1024)

enum ob_purpose {
	OB_RELAY,
	OB_CALLBACK,
};

enum ob_state {
	OB_ROUTE,		/* waiting for the route */
	OB_CONNECT,		/* connect(2) in progress */
	OB_GREETING,		/* reading up to 101 */
	OB_UPGRADE,		/* UPGRADE TLS sent */
	OB_HANDSHAKE,		/* TLS handshake */
	OB_PIN,			/* waiting for the pin check */
	OB_COOKIE,		/* waiting for our cookie (lookup) */
	OB_AUTH,		/* AUTH COOKIE sent */
	OB_VERIFY,		/* AUTH VERIFY sent (call-back) */
	OB_KEYS,		/* KEY REQUEST sent (envelope_keys.h) */
	OB_KEYPIN,		/* waiting for the key pin check (queue) */
	OB_IDLE,		/* authenticated, no message */
	OB_ENVELOPE,		/* waiting for the envelope (lookup) */
	OB_DELIVER,		/* DELIVER sent */
	OB_DATA,		/* DATA + literal sent */
	OB_DONE,		/* DONE sent */
	OB_QUIT,		/* QUIT sent, closing */
	OB_LINE,		/* a line job's command sent (outbound_line) */
};

struct ob_rcpt {
	uint64_t	 id;
	char		 account[IPC_ACCOUNT_MAX];
	char		 folder[IPC_FOLDER_MAX];
	int		 settled;
};

struct ob_job {
	TAILQ_ENTRY(ob_job)	 entry;
	struct ipc_relay_msg	 m;
	char			*line;	/* a line job (outbound_line), or NULL */
	uint64_t		 lreqid;	/* caller's id, 0: answered */
	int			 fd;
	struct ob_rcpt		*rcpts;
	size_t			 nrcpt;
};

struct ob_conn;

struct ob_dest {
	TAILQ_ENTRY(ob_dest)	 entry;
	char			 domain[IPC_DOMAIN_MAX];
	char			 issuer[IPC_DOMAIN_MAX];
	TAILQ_HEAD(, ob_job)	 jobs;
	TAILQ_HEAD(, ob_conn)	 conns;
	uint32_t		 nconn;
};

struct ob_conn {
	TAILQ_ENTRY(ob_conn)	 entry;		/* all */
	TAILQ_ENTRY(ob_conn)	 dentry;	/* dest->conns */
	uint64_t		 id;
	enum ob_purpose		 purpose;
	enum ob_state		 state;
	struct ob_dest		*dest;
	char			 domain[IPC_DOMAIN_MAX];	/* peer */
	int			 fd;
	struct tls		*tls;
	int			 tls_verify;
	int			 tls_up;
	size_t			 wlen;		/* tls_write length to retry */
	int			 insecure;	/* pin or cert check failed */
	int			 authed;
	struct event		*rev, *wev, *timer;
	struct evbuffer		*in, *out;
	struct ipc_route_result	 route;
	uint32_t		 addrcur;
	char			 rdomain[IPC_DOMAIN_MAX];	/* 101 d= */
	char			 rnonce[IPC_NONCE_MAX];	/* 101 i= */
	char			 lasterr[IPC_REASON_MAX];
	uint32_t		 nmsgs;
	/* relay: the peer's domain keys (KEY REQUEST, ipc_env.h) */
	struct envkeys		*keys;
	struct ipc_keypin_result keypin;
	/* relay: the current message's envelope (envelope_wire.h) */
	char			*envtext;
	size_t			 envlen;
	int			 envmode;	/* sent with the envelope */
	int			 envskip;	/* sent without one */
	/* relay: the message being sent */
	struct ob_job		*job;
	struct spool_part	*parts;
	int			 nparts;
	int			 partcur;
	uint64_t		 litleft;
	off_t			 litoff;
	/* call-back */
	uint64_t		 sreqid;
	char			 receiver[IPC_DOMAIN_MAX];
	char			 nonce[IPC_NONCE_MAX];
	uint8_t			 cookie[IPC_COOKIE_LEN];
	char			 tag[20];
};

static struct {
	struct tls_config	*cfg_pin;	/* pins, no PKIX */
	struct tls_config	*cfg_verify;	/* PKIX ("tls verify") */
	TAILQ_HEAD(, ob_dest)	 dests;
	TAILQ_HEAD(, ob_conn)	 conns;
	uint64_t		 nextid;
	struct ob_rcpt		 pending[MSG_MAX_RCPTS];
	size_t			 npending;
} ob;

static struct ob_conn	*conn_new(enum ob_purpose, const char *);
static void		 conn_free(struct ob_conn *);
static struct ob_conn	*conn_byid(uint64_t);
static void		 conn_fail(struct ob_conn *, int, const char *);
static void		 conn_connect(struct ob_conn *);
static void		 conn_ev(int, short, void *);
static void		 conn_timeout(int, short, void *);
static void		 conn_arm(struct ob_conn *, int);
static int		 conn_flush(struct ob_conn *);
static int		 conn_read(struct ob_conn *);
static void		 conn_lines(struct ob_conn *);
static void		 conn_reply(struct ob_conn *, const char *, int,
			    const char *);
static void		 conn_send(struct ob_conn *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static void		 conn_handshake(struct ob_conn *);
static void		 conn_secure(struct ob_conn *);
static void		 conn_next(struct ob_conn *);
static void		 conn_pump(struct ob_conn *);
static void		 conn_quit(struct ob_conn *);
static void		 conn_keys(struct ob_conn *);
static void		 conn_keys_line(struct ob_conn *, int, int,
			    const char *);
static void		 job_deliver(struct ob_conn *);
static int		 job_envelope(struct ob_conn *);
static int		 job_refused(struct ob_conn *, int, const char *,
			    const char *);
static void		 job_envelope_part(struct ob_conn *);
static void		 job_part(struct ob_conn *);
static void		 job_deliver_reply(struct ob_conn *, int,
			    const char *);
static void		 job_settle(struct ob_job *, int, const char *);
static void		 job_free(struct ob_job *);
static void		 rcpt_result(struct ob_rcpt *, int, const char *);
static void		 dest_kick(struct ob_dest *);
static void		 dest_fail_all(struct ob_dest *, int, const char *);

/*
 * Set-up.
 */

void
outbound_init(void)
{
	TAILQ_INIT(&ob.dests);
	TAILQ_INIT(&ob.conns);
	ob.nextid = 1;
	if ((ob.cfg_pin = tls_config_new()) == NULL ||
	    (ob.cfg_verify = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_protocols(ob.cfg_pin,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1 ||
	    tls_config_set_protocols(ob.cfg_verify,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1)
		fatalx("tls protocols");
	/* Trust on first use: the pin store decides (draft 3.5). */
	tls_config_insecure_noverifycert(ob.cfg_pin);
	tls_config_insecure_noverifyname(ob.cfg_pin);
	if (env->conf.tls_ca[0] != '\0' &&
	    tls_config_set_ca_file(ob.cfg_verify, env->conf.tls_ca) == -1)
		fatalx("tls ca %s: %s", env->conf.tls_ca,
		    tls_config_error(ob.cfg_verify));
}

void
outbound_shutdown(void)
{
	struct ob_conn	*c;

	while ((c = TAILQ_FIRST(&ob.conns)) != NULL)
		conn_free(c);
}

/*
 * Helpers.
 */

/* Lower-case copy of a valid domain. */
static void
lower(char *dst, const char *src, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 :
		    src[i];
	dst[i] = '\0';
}

/* Printable ASCII only, for reasons that go into a bounce and logs. */
static void
clean(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			*s = '?';
}

/*
 * Connections.
 */

static struct ob_conn *
conn_new(enum ob_purpose purpose, const char *domain)
{
	struct ob_conn		*c;
	struct ipc_route_req	 rq;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("outbound");
	c->id = ob.nextid++;
	c->purpose = purpose;
	c->fd = -1;
	lower(c->domain, domain, sizeof(c->domain));
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL ||
	    (c->timer = evtimer_new(env->base, conn_timeout, c)) == NULL)
		fatalx("outbound: out of memory");
	TAILQ_INSERT_TAIL(&ob.conns, c, entry);
	c->state = OB_ROUTE;
	conn_arm(c, purpose == OB_CALLBACK ? OB_CALLBACK_TIMEOUT :
	    OB_STEP_TIMEOUT);
	memset(&rq, 0, sizeof(rq));
	rq.reqid = c->id;
	(void)strlcpy(rq.domain, c->domain, sizeof(rq.domain));
	net_compose(env->lookup, IMSG_RELAY_ROUTE, &rq, sizeof(rq));
	log_debug("outbound %" PRIu64 ": %s %s", c->id,
	    purpose == OB_RELAY ? "relay to" : "call-back to", c->domain);
	return (c);
}

static struct ob_conn *
conn_byid(uint64_t id)
{
	struct ob_conn	*c;

	TAILQ_FOREACH(c, &ob.conns, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

static void
conn_arm(struct ob_conn *c, int secs)
{
	struct timeval	tv = { secs, 0 };

	evtimer_add(c->timer, &tv);
}

static void
conn_close_io(struct ob_conn *c)
{
	if (c->rev != NULL) {
		event_free(c->rev);
		c->rev = NULL;
	}
	if (c->wev != NULL) {
		event_free(c->wev);
		c->wev = NULL;
	}
	if (c->tls != NULL) {
		if (c->tls_up)
			(void)tls_close(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	c->tls_up = 0;
	c->wlen = 0;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
}

static void
conn_free(struct ob_conn *c)
{
	struct ob_dest	*d = c->dest;

	if (c->job != NULL) {
		job_settle(c->job, IPC_TEMPFAIL, c->lasterr[0] != '\0' ?
		    c->lasterr : "connection lost");
		job_free(c->job);
		c->job = NULL;
	}
	conn_close_io(c);
	free(c->parts);
	free(c->keys);
	free(c->envtext);
	event_free(c->timer);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	TAILQ_REMOVE(&ob.conns, c, entry);
	if (d != NULL) {
		TAILQ_REMOVE(&d->conns, c, dentry);
		d->nconn--;
	}
	sodium_memzero(c, sizeof(*c));
	free(c);
	if (d != NULL)
		dest_kick(d);
}

/*
 * The session failed before or while carrying messages: result for
 * the message in progress, and, if the peer was never reached and no
 * other session to the destination is authenticated, for every message
 * waiting for the destination (so that they retry later instead of
 * trying the same dead host at once).
 */
static void
conn_fail(struct ob_conn *c, int result, const char *why)
{
	struct ob_dest	*d = c->dest;
	struct ob_conn	*o;
	int		 reached = c->authed;

	if (d != NULL && !reached)
		TAILQ_FOREACH(o, &d->conns, dentry)
			if (o != c && o->authed)
				reached = 1;	/* others carry the jobs */

	log_info("outbound %" PRIu64 " domain=%s %s: %s", c->id, c->domain,
	    c->purpose == OB_RELAY ? "relay failed" : "call-back failed",
	    why);
	if (c->purpose == OB_CALLBACK) {
		cookie_callback_done(c->sreqid, IPC_FAIL);
		c->purpose = OB_RELAY;	/* answered once */
		c->sreqid = 0;
		conn_free(c);
		return;
	}
	(void)strlcpy(c->lasterr, why, sizeof(c->lasterr));
	if (c->job != NULL) {
		job_settle(c->job, result, why);
		job_free(c->job);
		c->job = NULL;
	}
	if (!reached && d != NULL) {
		/* Detach first so that dest_kick starts nothing new. */
		TAILQ_REMOVE(&d->conns, c, dentry);
		d->nconn--;
		c->dest = NULL;
		dest_fail_all(d, result, why);
	}
	conn_free(c);
}

static void
conn_timeout(int fd, short ev, void *arg)
{
	struct ob_conn	*c = arg;

	if (c->state == OB_IDLE || c->state == OB_QUIT) {
		conn_free(c);
		return;
	}
	conn_fail(c, IPC_TEMPFAIL, c->state <= OB_CONNECT ?
	    "connection timed out" : "timeout waiting for the server");
}

static void
conn_route(struct ob_conn *c, const struct ipc_route_result *r)
{
	if (r->result != IPC_OK || r->naddr == 0) {
		conn_fail(c, r->result == IPC_FAIL ? IPC_FAIL : IPC_TEMPFAIL,
		    r->result == IPC_FAIL ? "no IMMP server for the domain" :
		    "cannot resolve the domain now");
		return;
	}
	c->route = *r;
	c->tls_verify = r->tls_verify;
	c->addrcur = 0;
	conn_connect(c);
}

/* Connects to the next address of the route. */
static void
conn_connect(struct ob_conn *c)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct ipc_route_addr	*a;
	socklen_t		 len;

	for (; c->addrcur < c->route.naddr &&
	    c->addrcur < IPC_ROUTE_ADDRS; c->addrcur++) {
		a = &c->route.addr[c->addrcur];
		memset(&ss, 0, sizeof(ss));
		if (inet_pton(AF_INET, a->addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(a->port);
			len = sizeof(*sin);
		} else if (inet_pton(AF_INET6, a->addr,
		    &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(a->port);
			len = sizeof(*sin6);
		} else
			continue;
		conn_close_io(c);
		if ((c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			(void)snprintf(c->lasterr, sizeof(c->lasterr),
			    "socket: %s", strerror(errno));
			continue;
		}
		if (connect(c->fd, (struct sockaddr *)&ss, len) == -1 &&
		    errno != EINPROGRESS) {
			(void)snprintf(c->lasterr, sizeof(c->lasterr),
			    "connect %s port %u: %s", a->addr,
			    (unsigned int)a->port, strerror(errno));
			continue;
		}
		if ((c->rev = event_new(env->base, c->fd, EV_READ | EV_PERSIST,
		    conn_ev, c)) == NULL || (c->wev = event_new(env->base,
		    c->fd, EV_WRITE | EV_PERSIST, conn_ev, c)) == NULL)
			fatalx("outbound: event_new");
		c->state = OB_CONNECT;
		event_add(c->wev, NULL);
		return;
	}
	conn_fail(c, IPC_TEMPFAIL, c->lasterr[0] != '\0' ? c->lasterr :
	    "no usable address");
}

static void
conn_send(struct ob_conn *c, const char *fmt, ...)
{
	char	 line[CMD_MAXLINE + 2];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		fatalx("outbound: command too long");
	log_debug("outbound %" PRIu64 " > %s", c->id, line);
	line[n++] = '\r';
	line[n++] = '\n';
	if (evbuffer_add(c->out, line, n) == -1)
		fatalx("outbound: out of memory");
}

/* Writes what the socket takes.  0, or -1 (connection gone). */
static int
conn_flush(struct ob_conn *c)
{
	ssize_t	 n;
	size_t	 len;

	while ((len = evbuffer_get_length(c->out)) > 0) {
		if (len > OB_CHUNK)
			len = OB_CHUNK;
		if (c->tls_up) {
			/* A write that wants more I/O is retried as it was. */
			if (c->wlen != 0)
				len = c->wlen;
			n = tls_write(c->tls, evbuffer_pullup(c->out, len),
			    len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				c->wlen = len;
				break;
			}
			c->wlen = 0;
			if (n == -1) {
				(void)snprintf(c->lasterr, sizeof(c->lasterr),
				    "tls write: %s", tls_error(c->tls));
				return (-1);
			}
		} else {
			n = send(c->fd, evbuffer_pullup(c->out, len), len,
			    MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n == -1) {
				(void)snprintf(c->lasterr, sizeof(c->lasterr),
				    "write: %s", strerror(errno));
				return (-1);
			}
		}
		evbuffer_drain(c->out, n);
		if (c->litleft > 0 || (c->state == OB_DATA &&
		    evbuffer_get_length(c->out) < OB_OUT_HIWAT))
			conn_pump(c);
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
	return (0);
}

/* Reads what there is.  0, or -1 (connection gone). */
static int
conn_read(struct ob_conn *c)
{
	char	 buf[16384];
	ssize_t	 n;

	for (;;) {
		if (c->tls_up) {
			n = tls_read(c->tls, buf, sizeof(buf));
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
				return (0);
			if (n == -1) {
				(void)snprintf(c->lasterr, sizeof(c->lasterr),
				    "tls read: %s", tls_error(c->tls));
				return (-1);
			}
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return (0);
			if (n == -1) {
				(void)snprintf(c->lasterr, sizeof(c->lasterr),
				    "read: %s", strerror(errno));
				return (-1);
			}
		}
		if (n == 0) {
			if (c->lasterr[0] == '\0')
				(void)strlcpy(c->lasterr,
				    "connection closed by the server",
				    sizeof(c->lasterr));
			return (-1);
		}
		if (evbuffer_add(c->in, buf, n) == -1)
			fatalx("outbound: out of memory");
		if (evbuffer_get_length(c->in) > 4 * REPLY_MAXLINE &&
		    evbuffer_search(c->in, "\n", 1, NULL).pos == -1) {
			(void)strlcpy(c->lasterr, "reply line too long",
			    sizeof(c->lasterr));
			return (-1);
		}
		/* The handshake must not run ahead of the 204. */
		if (!c->tls_up && c->state == OB_UPGRADE)
			return (0);
	}
}

static void
conn_ev(int fd, short ev, void *arg)
{
	struct ob_conn	*c = arg;
	uint64_t	 id = c->id;
	int		 err;
	socklen_t	 len = sizeof(err);

	if (c->state == OB_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			(void)snprintf(c->lasterr, sizeof(c->lasterr),
			    "connect %s port %u: %s",
			    c->route.addr[c->addrcur].addr,
			    (unsigned int)c->route.addr[c->addrcur].port,
			    strerror(err));
			c->addrcur++;
			conn_connect(c);
			return;
		}
		event_del(c->wev);
		event_add(c->rev, NULL);
		c->state = OB_GREETING;
		return;
	}
	if (c->state == OB_HANDSHAKE) {
		conn_handshake(c);
		return;
	}
	if (conn_flush(c) == -1 || conn_read(c) == -1) {
		if (c->state == OB_QUIT) {
			conn_free(c);
			return;
		}
		conn_fail(c, IPC_TEMPFAIL, c->lasterr);
		return;
	}
	conn_lines(c);
	if ((c = conn_byid(id)) != NULL && c->fd != -1 &&
	    c->state != OB_HANDSHAKE && conn_flush(c) == -1)
		conn_fail(c, IPC_TEMPFAIL, c->lasterr);
}

/* Runs the reply lines in the input. */
static void
conn_lines(struct ob_conn *c)
{
	char		*line;
	const char	*id, *text;
	char		 idbuf[CMD_MAXID + 1];
	size_t		 len, idlen;
	int		 code, more;
	uint64_t	 cid = c->id;

	while ((line = evbuffer_readln(c->in, &len,
	    EVBUFFER_EOL_CRLF)) != NULL) {
		if (reply_parse(line, len, &id, &idlen, &code, &more,
		    &text) == -1 || idlen > CMD_MAXID) {
			free(line);
			conn_fail(c, IPC_TEMPFAIL, "bad reply from the server");
			return;
		}
		log_debug("outbound %" PRIu64 " < %s", c->id, line);
		memcpy(idbuf, id != NULL ? id : "", idlen);
		idbuf[idlen] = '\0';
		if (c->state == OB_KEYS)
			conn_keys_line(c, code, more, text);
		else if (!more)
			conn_reply(c, idbuf, code, text);
		else if (code >= 700 && c->state == OB_GREETING)
			conn_reply(c, idbuf, code, text);
		free(line);
		/* The reply may have freed the connection. */
		if ((c = conn_byid(cid)) == NULL || c->fd == -1 ||
		    c->state == OB_HANDSHAKE)
			return;
	}
}

/* Code and text of a reply for logs and bounces. */
static void
reply_reason(char *buf, size_t size, const char *what, int code,
    const char *text)
{
	(void)snprintf(buf, size, "%s: remote reply %d %s", what, code, text);
	clean(buf);
}

static void
conn_reply(struct ob_conn *c, const char *id, int code, const char *text)
{
	char	 why[IPC_REASON_MAX];

	switch (c->state) {
	case OB_GREETING:
		if (code != 101) {
			if (code == 100)
				return;
			reply_reason(why, sizeof(why), "greeting", code, text);
			conn_fail(c, IPC_TEMPFAIL, why);
			return;
		}
		if (outbound_greeting_parse(text, c->rdomain,
		    c->rnonce) == -1) {
			conn_fail(c, IPC_TEMPFAIL, "bad 101 greeting");
			return;
		}
		conn_send(c, "UPGRADE TLS");
		c->state = OB_UPGRADE;
		return;
	case OB_UPGRADE:
		if (code != 204) {
			reply_reason(why, sizeof(why), "UPGRADE TLS", code,
			    text);
			conn_fail(c, IPC_TEMPFAIL, why);
			return;
		}
		if (evbuffer_get_length(c->in) > 0) {
			conn_fail(c, IPC_TEMPFAIL, "data after 204");
			return;
		}
		if ((c->tls = tls_client()) == NULL ||
		    tls_configure(c->tls, c->tls_verify ? ob.cfg_verify :
		    ob.cfg_pin) == -1 ||
		    tls_connect_socket(c->tls, c->fd, c->route.host) == -1) {
			(void)snprintf(why, sizeof(why), "tls: %s",
			    c->tls != NULL ? tls_error(c->tls) : "no memory");
			conn_fail(c, IPC_TEMPFAIL, why);
			return;
		}
		c->state = OB_HANDSHAKE;
		conn_handshake(c);
		return;
	case OB_AUTH:
		if (code == 301)
			return;
		if (code != 210) {
			reply_reason(why, sizeof(why), "AUTH COOKIE", code,
			    text);
			conn_fail(c, IPC_TEMPFAIL, why);
			return;
		}
		c->authed = 1;
		log_info("outbound %" PRIu64 " domain=%s authenticated as %s",
		    c->id, c->domain, c->dest->issuer);
		conn_keys(c);
		return;
	case OB_VERIFY:
		if (strcmp(id, c->tag) != 0)
			return;		/* not the answer to our request */
		log_info("outbound %" PRIu64 " call-back domain=%s "
		    "result=%s", c->id, c->domain, code == 211 ? "valid" :
		    "invalid");
		cookie_callback_done(c->sreqid, code == 211 ? IPC_OK :
		    IPC_FAIL);
		c->purpose = OB_RELAY;
		c->sreqid = 0;
		if (code != 211) {
			conn_quit(c);
			return;
		}
		/* Learn and pin the issuer's domain keys (draft 6.1). */
		conn_keys(c);
		if (conn_flush(c) == -1)
			conn_free(c);
		return;
	case OB_DELIVER:
		job_deliver_reply(c, code, text);
		return;
	case OB_DATA:
		if (code == 271)
			return;
		if (code != 272) {
			reply_reason(why, sizeof(why), "DATA", code, text);
			job_settle(c->job, code >= 700 ? IPC_TEMPFAIL :
			    IPC_FAIL, why);
			job_free(c->job);
			c->job = NULL;
			c->litleft = 0;
			conn_quit(c);	/* the literal may be cut short */
			return;
		}
		if (++c->partcur < c->nparts) {
			job_part(c);
			return;
		}
		conn_send(c, "DONE");
		c->state = OB_DONE;
		return;
	case OB_DONE:
		if (code == 273) {
			reply_reason(why, sizeof(why), "delivered", code,
			    text);
			job_settle(c->job, IPC_OK, why);
		} else {
			reply_reason(why, sizeof(why), "DONE", code, text);
			/* envelope_wire.h: recipients are refused at DONE */
			if (c->envmode && job_refused(c, code, text, why))
				return;
			job_settle(c->job, code >= 700 ? IPC_TEMPFAIL :
			    IPC_FAIL, why);
		}
		job_free(c->job);
		c->job = NULL;
		c->nmsgs++;
		c->state = OB_IDLE;
		conn_next(c);
		return;
	case OB_LINE:	/* outbound_line: the final reply is the answer */
		if (code >= 300 && code < 400)
			return;
		subscribe_line_done(c->job->lreqid, code, text);
		c->job->lreqid = 0;
		job_free(c->job);
		c->job = NULL;
		c->nmsgs++;
		c->state = OB_IDLE;
		conn_next(c);
		return;
	case OB_QUIT:
		return;
	default:
		reply_reason(why, sizeof(why), "unexpected reply", code,
		    text);
		conn_fail(c, IPC_TEMPFAIL, why);
		return;
	}
}

static void
conn_handshake(struct ob_conn *c)
{
	struct ipc_pin_check	 pc;
	const uint8_t		*pem;
	size_t			 len;
	char			 why[IPC_REASON_MAX];
	int			 r;

	r = tls_handshake(c->tls);
	if (r == TLS_WANT_POLLIN) {
		event_del(c->wev);
		return;
	}
	if (r == TLS_WANT_POLLOUT) {
		event_add(c->wev, NULL);
		return;
	}
	event_del(c->wev);
	if (r == -1) {
		(void)snprintf(why, sizeof(why), "tls handshake: %s",
		    tls_error(c->tls));
		clean(why);
		if (c->tls_verify) {
			/* A certificate that fails PKIX is insecure. */
			log_warnx("outbound %" PRIu64 " domain=%s: certificate "
			    "check failed: %s", c->id, c->domain, why);
			c->insecure = 1;
			conn_fail(c, IPC_RELAY_HOLD, why);
			return;
		}
		conn_fail(c, IPC_TEMPFAIL, why);
		return;
	}
	c->tls_up = 1;
	if ((pem = tls_peer_cert_chain_pem(c->tls, &len)) == NULL ||
	    outbound_spki(pem, len, pc.spki) == -1) {
		conn_fail(c, IPC_TEMPFAIL, "no usable server certificate");
		return;
	}
	memset(&pc, 0, sizeof(pc) - sizeof(pc.spki));
	pc.reqid = c->id;
	(void)strlcpy(pc.domain, c->domain, sizeof(pc.domain));
	c->state = OB_PIN;
	net_compose(env->queue, IMSG_RELAY_PIN_CHECK, &pc, sizeof(pc));
}

static void
conn_pin(struct ob_conn *c, int state)
{
	switch (state) {
	case IPC_PIN_MATCH:
	case IPC_PIN_NEW:
		break;
	case IPC_PIN_MISMATCH:
		log_warnx("relay pin mismatch domain=%s: the server's key "
		    "differs from the pinned one (immpctl pin accept %s "
		    "after checking)", c->domain, c->domain);
		c->insecure = 1;
		break;
	default:
		c->insecure = 1;
		log_warnx("relay pin domain=%s: pin store unusable",
		    c->domain);
		break;
	}
	if (c->insecure && (c->purpose == OB_CALLBACK ||
	    env->conf.pin_policy == CONF_PIN_REFUSE)) {
		conn_fail(c, IPC_RELAY_HOLD, "TLS pin check failed");
		return;
	}
	conn_secure(c);
}

/* TLS is up and checked: authenticate (relay) or verify (call-back). */
static void
conn_secure(struct ob_conn *c)
{
	struct ipc_cookie_req	 cq;
	char			 b64[sodium_base64_ENCODED_LEN(IPC_COOKIE_LEN,
				    sodium_base64_VARIANT_ORIGINAL)];
	uint8_t			 rnd[8];

	if (c->purpose == OB_CALLBACK) {
		randombytes_buf(rnd, sizeof(rnd));
		(void)snprintf(c->tag, sizeof(c->tag), "v%02x%02x%02x%02x"
		    "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		    rnd[4], rnd[5], rnd[6], rnd[7]);
		sodium_bin2base64(b64, sizeof(b64), c->cookie,
		    sizeof(c->cookie), sodium_base64_VARIANT_ORIGINAL);
		/*
		 * Base64 may begin with "+" (a switch, immp(7) GRAMMAR):
		 * nonce and cookie always travel quoted.
		 */
		conn_send(c, "AS %s AUTH VERIFY %s %s \"%s\" \"%s\"",
		    c->tag, c->receiver, c->domain, c->nonce, b64);
		c->state = OB_VERIFY;
		(void)conn_flush(c);
		return;
	}
	memset(&cq, 0, sizeof(cq));
	cq.reqid = c->id;
	(void)strlcpy(cq.receiver, c->rdomain, sizeof(cq.receiver));
	(void)strlcpy(cq.issuer, c->dest->issuer, sizeof(cq.issuer));
	(void)strlcpy(cq.nonce, c->rnonce, sizeof(cq.nonce));
	c->state = OB_COOKIE;
	net_compose(env->lookup, IMSG_RELAY_COOKIE_MAKE, &cq, sizeof(cq));
}

static void
conn_cookie(struct ob_conn *c, const struct ipc_cookie *ck)
{
	char	 b64[sodium_base64_ENCODED_LEN(IPC_COOKIE_LEN,
		    sodium_base64_VARIANT_ORIGINAL)];

	if (ck->result != IPC_OK) {
		conn_fail(c, IPC_TEMPFAIL, "cannot make a cookie");
		return;
	}
	sodium_bin2base64(b64, sizeof(b64), ck->cookie, sizeof(ck->cookie),
	    sodium_base64_VARIANT_ORIGINAL);
	conn_send(c, "AUTH COOKIE %s \"%s\"", c->dest->issuer, b64);
	c->state = OB_AUTH;
	if (conn_flush(c) == -1)
		conn_fail(c, IPC_TEMPFAIL, c->lasterr);
}

/*
 * KEY REQUEST for the destination's domain keys after AUTH COOKIE
 * (draft 6.1, immp(7) RELAY); the queue checks them against the key
 * pins (ipc_env.h) before the first message.
 */
static void
conn_keys(struct ob_conn *c)
{
	if (c->keys == NULL && (c->keys = calloc(1, sizeof(*c->keys))) ==
	    NULL)
		fatal("outbound");
	envkeys_init(c->keys, c->domain);
	conn_send(c, "KEY REQUEST %s", c->domain);
	c->state = OB_KEYS;
	conn_arm(c, OB_STEP_TIMEOUT);
}

static void
conn_keys_line(struct ob_conn *c, int code, int more, const char *text)
{
	struct ipc_keypin_check	 kc;
	char			 why[IPC_REASON_MAX];
	enum ek_status		 st;

	/* 401: a server without KEY REQUEST publishes no keys. */
	st = code == 401 && !more ? EK_NOKEYS :
	    envkeys_line(c->keys, code, more, text);
	if (st == EK_MORE)
		return;
	if (st == EK_ERROR) {
		(void)snprintf(why, sizeof(why), "KEY REQUEST: %s (%d)",
		    c->keys->err, code);
		conn_fail(c, code >= 400 && code < 700 ? IPC_FAIL :
		    IPC_TEMPFAIL, why);
		return;
	}
	memset(&kc, 0, sizeof(kc));
	kc.reqid = c->id;
	kc.have = st == EK_DONE;
	(void)strlcpy(kc.domain, c->domain, sizeof(kc.domain));
	if (kc.have)
		kc.view = c->keys->view;
	c->state = OB_KEYPIN;
	net_compose(env->queue, IMSG_ENV_KEYPIN_CHECK, &kc, sizeof(kc));
}

static void
conn_quit(struct ob_conn *c)
{
	conn_send(c, "QUIT");
	c->state = OB_QUIT;
	conn_arm(c, 5);
	if (conn_flush(c) == -1)
		conn_free(c);
}

/* The next message for an idle, authenticated session, or QUIT. */
static void
conn_next(struct ob_conn *c)
{
	struct ob_dest	*d = c->dest;
	struct ob_job	*j;

	for (;;) {
		if (c->nmsgs >= env->conf.relay_max_msgs ||
		    (j = TAILQ_FIRST(&d->jobs)) == NULL)
			break;
		TAILQ_REMOVE(&d->jobs, j, entry);
		if (j->line != NULL) {	/* outbound_line */
			c->job = j;
			conn_send(c, "%s", j->line);
			c->state = OB_LINE;
			conn_arm(c, OB_STEP_TIMEOUT);
			return;
		}
		if ((j->m.flags & MSGF_SECURE) && c->insecure) {
			log_warnx("relay held uuid=%s domain=%s: +SECURE "
			    "message and the TLS pin check failed; retry in "
			    "%d s", j->m.uuid, d->domain, RELAY_HOLD_SECONDS);
			job_settle(j, IPC_RELAY_HOLD, "TLS pin check failed, "
			    "+SECURE message held");
			job_free(j);
			continue;
		}
		c->job = j;
		c->envmode = c->envskip = 0;
		job_deliver(c);
		return;
	}
	if (c->nmsgs >= env->conf.relay_max_msgs ||
	    TAILQ_EMPTY(&d->jobs) == 0) {
		conn_quit(c);
		return;
	}
	c->state = OB_IDLE;
	conn_arm(c, OB_IDLE_TIMEOUT);
}

/*
 * Jobs.
 */

static void
rcpt_result(struct ob_rcpt *r, int result, const char *why)
{
	struct ipc_relay_result	 rr;

	if (r->settled)
		return;
	r->settled = 1;
	memset(&rr, 0, sizeof(rr));
	rr.id = r->id;
	rr.result = result;
	(void)strlcpy(rr.reason, why, sizeof(rr.reason));
	clean(rr.reason);
	net_compose(env->queue, IMSG_RELAY_RESULT, &rr, sizeof(rr));
}

static void
job_settle(struct ob_job *j, int result, const char *why)
{
	size_t	i;

	if (j->line != NULL && j->lreqid != 0) {	/* outbound_line */
		subscribe_line_done(j->lreqid, 0, why);
		j->lreqid = 0;
	}
	for (i = 0; i < j->nrcpt; i++)
		rcpt_result(&j->rcpts[i], result, why);
}

static void
job_free(struct ob_job *j)
{
	free(j->line);
	if (j->fd != -1)
		close(j->fd);
	free(j->rcpts);
	free(j);
}

/*
 * The recipient as the sender wrote it: local[+folder]@domain; for a
 * push (MSGF_PUSH, ipc_push.h) the folder is the node's name: not shown.
 */
static void
job_imid(const struct ob_rcpt *r, int push, char *buf, size_t size)
{
	const char	*at = strchr(r->account, '@');

	if (r->folder[0] == '\0' || at == NULL || push)
		(void)snprintf(buf, size, "%s", r->account);
	else
		(void)snprintf(buf, size, "%.*s+%s%s", (int)(at - r->account),
		    r->account, r->folder, at);
}

/*
 * A 420 or 421 "<imid>: reason" (to DELIVER, or to DONE of a message
 * with an envelope) names one recipient: it is settled as refused and
 * the message sent again to the others.  Returns 1 if so, else 0.
 */
static int
job_refused(struct ob_conn *c, int code, const char *text, const char *why)
{
	struct ob_job	*j = c->job;
	char		 one[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	const char	*colon;
	size_t		 i, n;

	if ((code != 420 && code != 421) ||
	    (colon = strstr(text, ": ")) == NULL)
		return (0);
	n = colon - text;
	for (i = 0; i < j->nrcpt; i++) {
		job_imid(&j->rcpts[i], (j->m.flags & MSGF_PUSH) != 0, one,
		    sizeof(one));
		if (!j->rcpts[i].settled && strlen(one) == n &&
		    strncasecmp(one, text, n) == 0)
			break;
	}
	if (i == j->nrcpt)
		return (0);
	log_info("relay uuid=%s rcpt=%s refused: %s", j->m.uuid, one, why);
	rcpt_result(&j->rcpts[i], IPC_FAIL, why);
	c->envmode = 0;
	job_deliver(c);	/* the others again */
	return (1);
}

/* DELIVER TO the recipients not settled yet. */
static void
job_deliver(struct ob_conn *c)
{
	struct ob_job	*j = c->job;
	char		 line[CMD_MAXLINE], one[IPC_ACCOUNT_MAX +
			    IPC_FOLDER_MAX];
	const char	*at;
	size_t		 i, len, n = 0;

	if (!c->envskip && job_envelope(c) == 0)
		return;
	len = strlcpy(line, (j->m.flags & MSGF_PUSH) ? "PUSH TO" :
	    "DELIVER TO", sizeof(line));
	for (i = 0; i < j->nrcpt; i++) {
		if (j->rcpts[i].settled)
			continue;
		job_imid(&j->rcpts[i], (j->m.flags & MSGF_PUSH) != 0, one,
		    sizeof(one));
		len += snprintf(line + len, sizeof(line) - len, " %s", one);
		n++;
	}
	if (n == 0) {
		job_free(j);
		c->job = NULL;
		conn_next(c);
		return;
	}
	if (j->m.flags & MSGF_IMPORTANT)
		len += snprintf(line + len, sizeof(line) - len, " +IMPORTANT");
	if (j->m.flags & MSGF_UNIMPORTANT)
		len += snprintf(line + len, sizeof(line) - len, " -IMPORTANT");
	if (j->m.flags & MSGF_MULTIPART)
		len += snprintf(line + len, sizeof(line) - len, " +MULTIPART");
	if (j->m.flags & MSGF_SECURE)
		len += snprintf(line + len, sizeof(line) - len, " +SECURE");
	if ((j->m.flags & MSGF_PUSH) && (at = strchr(j->m.sender, '@')) !=
	    NULL)	/* "FROM owner/name@domain" (ipc_push.h) */
		(void)snprintf(line + len, sizeof(line) - len,
		    " FROM %.*s/%s%s", (int)(at - j->m.sender), j->m.sender,
		    j->rcpts[0].folder, at);
	else
		(void)snprintf(line + len, sizeof(line) - len, " FROM %s",
		    j->m.sender);
	conn_send(c, "%s", line);
	c->state = OB_DELIVER;
	conn_arm(c, OB_STEP_TIMEOUT);
}

static void
job_deliver_reply(struct ob_conn *c, int code, const char *text)
{
	struct ob_job	*j = c->job;
	char		 why[IPC_REASON_MAX];

	if (code == 270) {
		if (c->parts == NULL && (c->parts = calloc(SPOOL_MAX_PARTS,
		    sizeof(*c->parts))) == NULL)
			fatal("outbound");
		if (spool_read_index(j->fd, c->parts, SPOOL_MAX_PARTS,
		    &c->nparts) == -1 || c->nparts == 0) {
			log_warn("relay uuid=%s: spool file", j->m.uuid);
			job_settle(j, IPC_TEMPFAIL, "spool file unreadable");
			job_free(j);
			c->job = NULL;
			conn_quit(c);
			return;
		}
		c->partcur = 0;
		if (c->envmode) {	/* the envelope first */
			job_envelope_part(c);
			return;
		}
		job_part(c);
		return;
	}
	reply_reason(why, sizeof(why), "DELIVER", code, text);
	if (job_refused(c, code, text, why))
		return;
	job_settle(j, code >= 700 ? IPC_TEMPFAIL : IPC_FAIL, why);
	job_free(j);
	c->job = NULL;
	conn_next(c);
}

/*
 * A message for a domain whose keys are pinned goes with an envelope
 * (envelope_wire.h): reads the spool index, hashes the parts and asks
 * immp-lookup to sign and seal (OB_ENVELOPE; outbound_env_made goes
 * on).  Returns 0 when it did (or settled the job), -1 when the message
 * goes the plain way: no keys pinned, a push, too many recipients.
 */
static int
job_envelope(struct ob_conn *c)
{
	struct ob_job		*j = c->job;
	struct ipc_env_make	*req;
	char			 one[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	size_t			 i;

	if ((c->keypin.state != KEYPIN_MATCH && c->keypin.state !=
	    KEYPIN_NEW && c->keypin.state != KEYPIN_ROLLOVER) ||
	    (j->m.flags & MSGF_PUSH))
		return (-1);
	if ((req = calloc(1, sizeof(*req))) == NULL)
		fatal("outbound");
	req->reqid = c->id;
	(void)strlcpy(req->origin, c->dest->issuer, sizeof(req->origin));
	(void)strlcpy(req->destination, c->domain, sizeof(req->destination));
	memcpy(req->seal_pk, c->keypin.seal_pk, sizeof(req->seal_pk));
	(void)strlcpy(req->sender, j->m.sender, sizeof(req->sender));
	req->flags = j->m.flags & (MSGF_IMPORTANT | MSGF_UNIMPORTANT |
	    MSGF_MULTIPART | MSGF_SECURE);
	for (i = 0; i < j->nrcpt; i++) {
		if (j->rcpts[i].settled)
			continue;
		job_imid(&j->rcpts[i], 0, one, sizeof(one));
		if (envout_add_rcpt(req, one) == -1) {
			log_info("relay uuid=%s domain=%s: too many "
			    "recipients for one envelope, sent without",
			    j->m.uuid, c->domain);
			free(req);
			c->envskip = 1;
			return (-1);
		}
	}
	if (c->parts == NULL && (c->parts = calloc(SPOOL_MAX_PARTS,
	    sizeof(*c->parts))) == NULL)
		fatal("outbound");
	if (spool_read_index(j->fd, c->parts, SPOOL_MAX_PARTS,
	    &c->nparts) == -1 || c->nparts == 0 ||
	    envout_digest(j->fd, c->parts, c->nparts, req->digest) == -1) {
		log_warn("relay uuid=%s: spool file", j->m.uuid);
		free(req);
		job_settle(j, IPC_TEMPFAIL, "spool file unreadable");
		job_free(j);
		c->job = NULL;
		conn_quit(c);
		return (0);
	}
	free(c->envtext);
	c->envtext = NULL;
	net_compose(env->lookup, IMSG_ENV_MAKE, req, sizeof(*req));
	sodium_memzero(req, sizeof(*req));
	free(req);
	c->state = OB_ENVELOPE;
	conn_arm(c, OB_STEP_TIMEOUT);
	return (0);
}

/* DATA of the envelope part, before the parts of the message. */
static void
job_envelope_part(struct ob_conn *c)
{
	conn_send(c, "DATA NAME \"envelope\" TYPE %s LENGTH %zu",
	    ENVELOPE_TYPE, c->envlen);
	if (evbuffer_add(c->out, c->envtext, c->envlen) == -1)
		fatalx("outbound: out of memory");
	c->partcur = -1;	/* the 272 goes on with part 0 */
	c->litleft = 0;
	c->state = OB_DATA;
	conn_arm(c, OB_STEP_TIMEOUT);
}

/* DATA for the current part, and its literal. */
static void
job_part(struct ob_conn *c)
{
	struct spool_part	*p = &c->parts[c->partcur];
	char			 name[2 * SPOOL_NAME_MAX + 3];
	size_t			 i, n = 0;

	name[n++] = '"';
	for (i = 0; p->name[i] != '\0'; i++) {
		if (p->name[i] == '"' || p->name[i] == '\\')
			name[n++] = '\\';
		name[n++] = p->name[i];
	}
	name[n++] = '"';
	name[n] = '\0';
	conn_send(c, "DATA NAME %s TYPE %s LENGTH %" PRIu64 "%s", name,
	    p->type, p->length, p->content ? " +CONTENT" : "");
	c->litleft = p->length;
	c->litoff = p->offset;
	c->state = OB_DATA;
	conn_arm(c, OB_STEP_TIMEOUT);
	conn_pump(c);
}

/* Moves literal octets from the spool file into the output. */
static void
conn_pump(struct ob_conn *c)
{
	char	 buf[OB_CHUNK];
	size_t	 n;

	while (c->litleft > 0 && c->job != NULL &&
	    evbuffer_get_length(c->out) < OB_OUT_HIWAT) {
		n = c->litleft < sizeof(buf) ? c->litleft : sizeof(buf);
		if (pread_full(c->job->fd, c->litoff, buf, n) == -1) {
			log_warn("relay uuid=%s: spool read", c->job->m.uuid);
			(void)strlcpy(c->lasterr, "spool file unreadable",
			    sizeof(c->lasterr));
			/* The literal cannot be completed: drop the session. */
			c->litleft = 0;
			if (c->fd != -1)
				shutdown(c->fd, SHUT_RDWR);
			return;
		}
		if (evbuffer_add(c->out, buf, n) == -1)
			fatalx("outbound: out of memory");
		c->litleft -= n;
		c->litoff += n;
	}
	if (c->wev != NULL && evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
}

/*
 * Destinations.
 */

static struct ob_dest *
dest_get(const char *domain, const char *issuer)
{
	struct ob_dest	*d;

	TAILQ_FOREACH(d, &ob.dests, entry)
		if (strcmp(d->domain, domain) == 0 &&
		    strcmp(d->issuer, issuer) == 0)
			return (d);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("outbound");
	(void)strlcpy(d->domain, domain, sizeof(d->domain));
	(void)strlcpy(d->issuer, issuer, sizeof(d->issuer));
	TAILQ_INIT(&d->jobs);
	TAILQ_INIT(&d->conns);
	TAILQ_INSERT_TAIL(&ob.dests, d, entry);
	return (d);
}

/* Gives waiting jobs to an idle session or opens one within limits. */
static void
dest_kick(struct ob_dest *d)
{
	struct ob_conn	*c;

	if (TAILQ_EMPTY(&d->jobs)) {
		if (d->nconn == 0) {
			TAILQ_REMOVE(&ob.dests, d, entry);
			free(d);
		}
		return;
	}
	TAILQ_FOREACH(c, &d->conns, dentry)
		if (c->state == OB_IDLE) {
			conn_next(c);
			if (c->state != OB_IDLE && c->fd != -1 &&
			    conn_flush(c) == -1)
				conn_fail(c, IPC_TEMPFAIL, c->lasterr);
			return;
		}
	if (d->nconn >= env->conf.relay_max_conn)
		return;
	c = conn_new(OB_RELAY, d->domain);
	c->dest = d;
	TAILQ_INSERT_TAIL(&d->conns, c, dentry);
	d->nconn++;
}

static void
dest_fail_all(struct ob_dest *d, int result, const char *why)
{
	struct ob_job	*j;

	while ((j = TAILQ_FIRST(&d->jobs)) != NULL) {
		TAILQ_REMOVE(&d->jobs, j, entry);
		job_settle(j, (j->m.flags & MSGF_SECURE) ||
		    result != IPC_RELAY_HOLD ? result : IPC_TEMPFAIL, why);
		job_free(j);
	}
	if (d->nconn == 0) {
		TAILQ_REMOVE(&ob.dests, d, entry);
		free(d);
	}
}

/*
 * imsg.
 */

int
outbound_queue_imsg(struct imsg *imsg)
{
	struct ipc_relay_rcpt	 rr;
	struct ipc_relay_msg	 rm;
	struct ipc_pin_result	 pr;
	struct ipc_keypin_result kr;
	struct ob_job		*j;
	struct ob_dest		*d;
	struct ob_conn		*c;
	const char		*at;
	char			 issuer[IPC_DOMAIN_MAX];

	switch (imsg->hdr.type) {
	case IMSG_RELAY_RCPT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with RELAY_RCPT");
		memcpy(&rr, ipc_payload(imsg, sizeof(rr)), sizeof(rr));
		if (!ipc_check_str(rr.account, sizeof(rr.account)) ||
		    !ipc_check_str(rr.folder, sizeof(rr.folder)) ||
		    ob.npending >= MSG_MAX_RCPTS)
			fatalx("queue: bad RELAY_RCPT");
		ob.pending[ob.npending].id = rr.id;
		(void)strlcpy(ob.pending[ob.npending].account, rr.account,
		    IPC_ACCOUNT_MAX);
		(void)strlcpy(ob.pending[ob.npending].folder, rr.folder,
		    IPC_FOLDER_MAX);
		ob.pending[ob.npending].settled = 0;
		ob.npending++;
		return (1);
	case IMSG_RELAY_MSG:
		memcpy(&rm, ipc_payload(imsg, sizeof(rm)), sizeof(rm));
		if (!ipc_check_str(rm.uuid, sizeof(rm.uuid)) ||
		    !ipc_check_str(rm.domain, sizeof(rm.domain)) ||
		    !ipc_check_str(rm.sender, sizeof(rm.sender)) ||
		    rm.nrcpt != ob.npending || rm.nrcpt == 0 ||
		    imsg->fd == -1 || !imid_domain_valid(rm.domain) ||
		    (at = strrchr(rm.sender, '@')) == NULL)
			fatalx("queue: bad RELAY_MSG");
		if ((j = calloc(1, sizeof(*j))) == NULL ||
		    (j->rcpts = calloc(rm.nrcpt, sizeof(*j->rcpts))) == NULL)
			fatal("outbound");
		j->m = rm;
		j->fd = imsg->fd;
		j->nrcpt = rm.nrcpt;
		memcpy(j->rcpts, ob.pending, rm.nrcpt * sizeof(*j->rcpts));
		ob.npending = 0;
		/* The cookie is issued for the sender's (local) domain. */
		if (conf_is_local(&env->conf, at + 1))
			lower(issuer, at + 1, sizeof(issuer));
		else
			(void)strlcpy(issuer,
			    TAILQ_FIRST(&env->conf.domains)->name,
			    sizeof(issuer));
		d = dest_get(rm.domain, issuer);
		TAILQ_INSERT_TAIL(&d->jobs, j, entry);
		log_debug("relay uuid=%s domain=%s rcpts=%u queued", rm.uuid,
		    rm.domain, rm.nrcpt);
		dest_kick(d);
		return (1);
	case IMSG_ENV_KEYPIN_RESULT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with KEYPIN_RESULT");
		memcpy(&kr, ipc_payload(imsg, sizeof(kr)), sizeof(kr));
		if ((c = conn_byid(kr.reqid)) == NULL ||
		    c->state != OB_KEYPIN)
			return (1);
		c->keypin = kr;
		if (c->dest == NULL) {
			/* A call-back: the keys are pinned, nothing to send. */
			log_info("outbound %" PRIu64 " call-back domain=%s "
			    "keys=%s", c->id, c->domain,
			    kr.state == KEYPIN_NONE ? "none" :
			    kr.state == KEYPIN_MISMATCH ||
			    kr.state == KEYPIN_GONE ? "refused" :
			    kr.state == KEYPIN_ERROR ? "error" : "pinned");
			conn_quit(c);
			return (1);
		}
		if (kr.state == KEYPIN_MISMATCH || kr.state == KEYPIN_GONE) {
			c->authed = 0;	/* every waiting message waits */
			conn_fail(c, IPC_RELAY_HOLD, kr.state ==
			    KEYPIN_GONE ? "the domain no longer publishes "
			    "its pinned keys" : "the domain's keys changed "
			    "without a rollover (immpctl key pin accept)");
			return (1);
		}
		if (kr.state == KEYPIN_ERROR) {
			c->authed = 0;
			conn_fail(c, IPC_TEMPFAIL, "key pin store unusable");
			return (1);
		}
		c->state = OB_IDLE;
		conn_next(c);
		if (c->state != OB_IDLE && c->fd != -1 && conn_flush(c) == -1)
			conn_fail(c, IPC_TEMPFAIL, c->lasterr);
		return (1);
	case IMSG_RELAY_PIN_RESULT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with PIN_RESULT");
		memcpy(&pr, ipc_payload(imsg, sizeof(pr)), sizeof(pr));
		if ((c = conn_byid(pr.reqid)) != NULL && c->state == OB_PIN)
			conn_pin(c, pr.state);
		return (1);
	default:
		return (0);
	}
}

int
outbound_lookup_imsg(struct imsg *imsg)
{
	struct ipc_route_result	 rr;
	struct ipc_cookie	 ck;
	struct ob_conn		*c;
	uint32_t		 i;

	switch (imsg->hdr.type) {
	case IMSG_RELAY_ROUTE_RESULT:
		memcpy(&rr, ipc_payload(imsg, sizeof(rr)), sizeof(rr));
		if (!ipc_check_str(rr.domain, sizeof(rr.domain)) ||
		    !ipc_check_str(rr.host, sizeof(rr.host)) ||
		    rr.naddr > IPC_ROUTE_ADDRS)
			fatalx("lookup: bad ROUTE_RESULT");
		for (i = 0; i < rr.naddr; i++)
			if (!ipc_check_str(rr.addr[i].addr,
			    sizeof(rr.addr[i].addr)))
				fatalx("lookup: bad ROUTE_RESULT address");
		if ((c = conn_byid(rr.reqid)) != NULL && c->state == OB_ROUTE)
			conn_route(c, &rr);
		return (1);
	case IMSG_RELAY_COOKIE:
		memcpy(&ck, ipc_payload(imsg, sizeof(ck)), sizeof(ck));
		if ((c = conn_byid(ck.reqid)) != NULL && c->state == OB_COOKIE)
			conn_cookie(c, &ck);
		sodium_memzero(&ck, sizeof(ck));
		return (1);
	default:
		return (0);
	}
}

void
outbound_line(const char *domain, const char *issuer, const char *line,
    uint64_t reqid)
{
	struct ob_job	*j;
	struct ob_dest	*d;
	char		 dom[IPC_DOMAIN_MAX], iss[IPC_DOMAIN_MAX];

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->line = strdup(line)) == NULL)
		fatal("outbound");
	j->fd = -1;
	j->lreqid = reqid;
	lower(dom, domain, sizeof(dom));
	lower(iss, issuer, sizeof(iss));
	d = dest_get(dom, iss);
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	log_debug("outbound line to %s queued", dom);
	dest_kick(d);
}

void
outbound_env_made(struct imsg *imsg)
{
	struct ipc_env_made	 res;
	struct ob_conn		*c;

	memcpy(&res, ipc_payload(imsg, sizeof(res)), sizeof(res));
	if (!ipc_check_str(res.reason, sizeof(res.reason)) ||
	    (res.result == IPC_OK) != (imsg->fd != -1))
		fatalx("lookup: bad ENV_MADE");
	if ((c = conn_byid(res.reqid)) == NULL || c->state != OB_ENVELOPE ||
	    c->job == NULL) {
		if (imsg->fd != -1)
			close(imsg->fd);
		return;
	}
	if (res.result == IPC_OK) {
		c->envtext = envout_read(imsg->fd, &c->envlen);
		close(imsg->fd);
		if (c->envtext == NULL)
			fatal("lookup: envelope descriptor");
		c->envmode = 1;
		log_debug("relay uuid=%s domain=%s: envelope %zu octets",
		    c->job->m.uuid, c->domain, c->envlen);
		conn_send(c, "DELIVER TO %s", c->domain);
		c->state = OB_DELIVER;
	} else if (res.result == IPC_FAIL) {
		/* No keys of our own to sign with: sent as before. */
		log_info("relay uuid=%s domain=%s: sent without an "
		    "envelope: %s", c->job->m.uuid, c->domain, res.reason);
		c->envskip = 1;
		job_deliver(c);
	} else {
		job_settle(c->job, IPC_TEMPFAIL, res.reason);
		job_free(c->job);
		c->job = NULL;
		conn_quit(c);
	}
	if (c->fd != -1 && conn_flush(c) == -1)
		conn_fail(c, IPC_TEMPFAIL, c->lasterr);
}

void
outbound_callback(uint64_t reqid, const char *receiver, const char *issuer,
    const char *nonce, const uint8_t *cookie)
{
	struct ob_conn	*c;

	c = conn_new(OB_CALLBACK, issuer);
	c->sreqid = reqid;
	lower(c->receiver, receiver, sizeof(c->receiver));
	(void)strlcpy(c->nonce, nonce, sizeof(c->nonce));
	memcpy(c->cookie, cookie, sizeof(c->cookie));
}
