/*
 * Outbound IMMP sessions (outbound.h), the connection side: connect,
 * greeting, UPGRADE TLS, handshake and pin check, line I/O and reply
 * reading, AUTH COOKIE, KEY REQUEST and the AUTH VERIFY call-back.  One
 * state machine drives both purposes; the relay of messages over an
 * authenticated session is in outbound_relay.c (outbound_int.h).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

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
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "ipc_relay.h"
#include "log.h"
#include "outbound.h"
#include "outbound_int.h"
#include "reply.h"
#include "session.h"
#include "spool.h"
#include "util.h"

struct outbound_state	 ob;

static void		 conn_free(struct ob_conn *);
static void		 conn_connect(struct ob_conn *);
static void		 conn_ev(int, short, void *);
static void		 conn_timeout(int, short, void *);
static int		 conn_read(struct ob_conn *);
static void		 conn_lines(struct ob_conn *);
static void		 conn_reply(struct ob_conn *, const char *, int,
			    const char *);
static void		 conn_handshake(struct ob_conn *);
static void		 conn_secure(struct ob_conn *);
static void		 conn_keys(struct ob_conn *);
static void		 conn_keys_line(struct ob_conn *, int, int,
			    const char *);

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
void
ob_lower(char *dst, const char *src, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 :
		    src[i];
	dst[i] = '\0';
}

/* Printable ASCII only, for reasons that go into a bounce and logs. */
void
ob_clean(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			*s = '?';
}

/*
 * Connections.
 */

struct ob_conn *
conn_new(enum ob_purpose purpose, const char *domain)
{
	struct ob_conn		*c;
	struct ipc_route_req	 rq;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("outbound");
	c->id = ob.nextid++;
	c->purpose = purpose;
	c->fd = -1;
	ob_lower(c->domain, domain, sizeof(c->domain));
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

struct ob_conn *
conn_byid(uint64_t id)
{
	struct ob_conn	*c;

	TAILQ_FOREACH(c, &ob.conns, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

void
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
void
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
	int			 on = 1;

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
		/* Commands are written whole: no need to wait for ACKs. */
		if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) == -1)
			log_debug("outbound: TCP_NODELAY: %s", strerror(errno));
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

void
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
int
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
void
ob_reply_reason(char *buf, size_t size, const char *what, int code,
    const char *text)
{
	(void)snprintf(buf, size, "%s: remote reply %d %s", what, code, text);
	ob_clean(buf);
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
			ob_reply_reason(why, sizeof(why), "greeting", code,
			    text);
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
			ob_reply_reason(why, sizeof(why), "UPGRADE TLS", code,
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
			ob_reply_reason(why, sizeof(why), "AUTH COOKIE", code,
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
	case OB_DATA:
	case OB_DONE:
	case OB_LINE:
		job_reply(c, code, text);
		return;
	case OB_QUIT:
		return;
	default:
		ob_reply_reason(why, sizeof(why), "unexpected reply", code,
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
		ob_clean(why);
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

void
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

void
conn_quit(struct ob_conn *c)
{
	conn_send(c, "QUIT");
	c->state = OB_QUIT;
	conn_arm(c, 5);
	if (conn_flush(c) == -1)
		conn_free(c);
}

/*
 * imsg.
 */

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
outbound_callback(uint64_t reqid, const char *receiver, const char *issuer,
    const char *nonce, const uint8_t *cookie)
{
	struct ob_conn	*c;

	c = conn_new(OB_CALLBACK, issuer);
	c->sreqid = reqid;
	ob_lower(c->receiver, receiver, sizeof(c->receiver));
	(void)strlcpy(c->nonce, nonce, sizeof(c->nonce));
	memcpy(c->cookie, cookie, sizeof(c->cookie));
}
