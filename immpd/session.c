/*
 * IMMP sessions in the network process (DESIGN §5, immp(7)).
 *
 * Each connection is a small state machine driven by libevent.  All
 * socket I/O goes through session_io(), which (1) advances a TLS
 * handshake, (2) executes buffered input, (3) flushes the output buffer
 * and (4) reads more input when the session may take it.  With TLS,
 * either direction may need the other poll event (TLS_WANT_POLLIN /
 * TLS_WANT_POLLOUT), so the event each operation last asked for is
 * remembered and the union is registered.
 *
 * Commands run strictly one at a time: while a command waits for
 * another process (session_wait), neither further commands of its line
 * nor new input are looked at, and the socket is not read.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>
#include <tls.h>

#include "cmd.h"
#include "log.h"
#include "mbox.h"
#include "push.h"
#include "reply.h"
#include "session.h"
#include "set.h"

#define IO_CHUNK		16384	/* octets per read/write call */
#define IO_ROUNDS		16	/* reads per wake-up before yielding */
#define SESSION_IN_HIWAT	(CMD_MAXLINE + 2 + IO_CHUNK)
#define REQSEQ_BITS		IPC_REQSEQ_BITS

RB_HEAD(session_tree, session);
static int	 session_cmp(struct session *, struct session *);
RB_PROTOTYPE(session_tree, session, entry, session_cmp);
RB_GENERATE(session_tree, session, entry, session_cmp);

static struct session_tree	sessions = RB_INITIALIZER(&sessions);
static uint64_t			next_id = 1;

static void	 session_free(struct session *);
static void	 session_io(struct session *);
static void	 session_ev(int, short, void *);
static void	 session_timeout(int, short, void *);
static void	 session_events(struct session *);
static int	 session_handshake(struct session *);
static int	 session_starttls(struct session *);
static int	 session_flush(struct session *);
static int	 session_read(struct session *);
static int	 session_linger(struct session *);
static int	 session_busy(struct session *);
static int	 session_readable(struct session *);
static void	 session_process(struct session *);
static int	 session_input(struct session *);
static void	 session_overlong(struct session *);
static void	 session_cmdline(struct session *, size_t);
static void	 session_b64line(struct session *, size_t);
static void	 session_exec(struct session *, const struct cmd *);
static void	 session_greeting(struct session *);
static void	 session_vreply(struct session *, const char *, int, int,
		    const char *, va_list)
		    __attribute__((format(printf, 5, 0)));
static const char *session_domain(void);
static void	 cmd_noop(struct session *, const struct cmd *);
static void	 cmd_quit(struct session *, const struct cmd *);
static void	 cmd_upgrade(struct session *, const struct cmd *);
static void	 cmd_auth_other(struct session *, const struct cmd *);

static const struct {
	const char	*kw;
	const char	*kw2;	/* second keyword, NULL: any */
	int		 plain;	/* allowed before TLS */
	void		(*fn)(struct session *, const struct cmd *);
} commands[] = {
	{ "NOOP",	NULL,		1, cmd_noop },
	{ "QUIT",	NULL,		1, cmd_quit },
	{ "UPGRADE",	NULL,		1, cmd_upgrade },
	{ "AUTH",	"SECRET",	0, auth_secret },
	{ "AUTH",	"RESPONSE",	0, auth_response },
	{ "AUTH",	"COOKIE",	0, auth_cookie },
	{ "AUTH",	"VERIFY",	0, auth_verify },
	{ "AUTH",	NULL,		0, cmd_auth_other },
	{ "DELIVER",	NULL,		0, msg_deliver },
	{ "DONE",	NULL,		0, msg_done },
	{ "KEY",	NULL,		0, key_cmd },
	{ "MBOX",	NULL,		0, mbox_cmd },
	{ "SET",	NULL,		0, set_cmd },
	{ "PUSH",	NULL,		0, push_cmd },		/* push.c */
	{ "SUBSCRIBE",	NULL,		0, subscribe_cmd },
	{ "UNSUBSCRIBE", NULL,		0, unsubscribe_cmd },
	{ "PUBLISH",	NULL,		0, publish_cmd },
};

static int
session_cmp(struct session *a, struct session *b)
{
	if (a->id < b->id)
		return (-1);
	return (a->id > b->id);
}

static void
sockaddr_text(const struct sockaddr *sa, char *buf, size_t size,
    unsigned int *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	*port = 0;
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)sa;
		*port = ntohs(sin->sin_port);
		if (inet_ntop(AF_INET, &sin->sin_addr, buf, size) != NULL)
			return;
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		*port = ntohs(sin6->sin6_port);
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, size) != NULL)
			return;
		break;
	}
	(void)strlcpy(buf, "unknown", size);
}

void
session_accept(struct listener *l, int fd, const struct sockaddr *sa)
{
	static const char	 busy[] = "721 Too many sessions.\r\n";
	struct session		*s;
	uint8_t			 nonce[SESSION_NONCE_LEN];
	char			 addr[IPC_ADDR_MAX];
	unsigned int		 port;
	struct timeval		 tv = { SESSION_IDLE_TIMEOUT, 0 };
	int			 on = 1;

	sockaddr_text(sa, addr, sizeof(addr), &port);
	if (env->nsessions >= env->conf.max_sessions) {
		log_info("session refused addr=%s port=%u "
		    "reason=too-many-sessions", addr, port);
		if (!l->conf->implicit_tls)
			(void)send(fd, busy, sizeof(busy) - 1,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	/*
	 * Replies are gathered in s->out already: Nagle's algorithm would
	 * only hold a reply back until the client's delayed ACK (~40 ms).
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_debug("session: TCP_NODELAY: %s", strerror(errno));
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("session");
		close(fd);
		return;
	}
	s->id = next_id++;
	s->fd = fd;
	s->listener = l;
	s->state = STATE_UNENCRYPTED;
	s->io = IO_PLAIN;
	s->rd_want = EV_READ;
	s->wr_want = EV_WRITE;
	s->inmode = IN_COMMAND;
	(void)strlcpy(s->addr, addr, sizeof(s->addr));
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(s->nonce, sizeof(s->nonce), nonce, sizeof(nonce),
	    sodium_base64_VARIANT_ORIGINAL);
	if ((s->in = evbuffer_new()) == NULL ||
	    (s->out = evbuffer_new()) == NULL ||
	    (s->rev = event_new(env->base, fd, EV_READ | EV_PERSIST,
	    session_ev, s)) == NULL ||
	    (s->wev = event_new(env->base, fd, EV_WRITE | EV_PERSIST,
	    session_ev, s)) == NULL ||
	    (s->timer = evtimer_new(env->base, session_timeout, s)) == NULL) {
		log_warnx("session: out of memory");
		if (s->timer != NULL)
			event_free(s->timer);
		if (s->wev != NULL)
			event_free(s->wev);
		if (s->rev != NULL)
			event_free(s->rev);
		if (s->out != NULL)
			evbuffer_free(s->out);
		if (s->in != NULL)
			evbuffer_free(s->in);
		free(s);
		close(fd);
		return;
	}
	RB_INSERT(session_tree, &sessions, s);
	env->nsessions++;
	log_info("session connect id=%016" PRIx64 " addr=%s port=%u "
	    "listener=%s:%u", s->id, s->addr, port, l->conf->addr,
	    l->conf->port);
	evtimer_add(s->timer, &tv);

	if (l->conf->implicit_tls) {
		if (session_starttls(s) == -1) {
			session_free(s);
			return;
		}
	} else
		session_greeting(s);
	session_io(s);
}

static void
session_free(struct session *s)
{
	log_info("session close id=%016" PRIx64 " reason=%s", s->id,
	    s->reason != NULL ? s->reason : "unknown");
	msg_free(s);
	mbox_free(s);
	free(s->cmds);
	if (s->tls != NULL) {
		if (!s->lingering)
			(void)tls_close(s->tls);
		tls_free(s->tls);
	}
	close(s->fd);
	event_free(s->timer);
	event_free(s->wev);
	event_free(s->rev);
	evbuffer_free(s->out);
	evbuffer_free(s->in);
	RB_REMOVE(session_tree, &sessions, s);
	env->nsessions--;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

void
session_shutdown(void)
{
	struct session	*s, *next;

	RB_FOREACH_SAFE(s, session_tree, &sessions, next) {
		s->reason = "shutdown";
		session_free(s);
	}
}

void
session_foreach(void (*fn)(struct session *, void *), void *arg)
{
	struct session	*s, *next;

	RB_FOREACH_SAFE(s, session_tree, &sessions, next)
		fn(s, arg);
}

void
session_close(struct session *s, const char *reason)
{
	struct timeval	 tv = { SESSION_FLUSH_TIMEOUT, 0 };

	if (s->closing)
		return;
	s->closing = 1;
	s->reason = reason;
	evtimer_add(s->timer, &tv);
}

uint64_t
session_reqid(struct session *s)
{
	s->reqseq = (s->reqseq + 1) & ((1U << REQSEQ_BITS) - 1);
	return ((s->id << REQSEQ_BITS) | s->reqseq);
}

struct session *
session_byreq(uint64_t reqid)
{
	struct session	 key;

	key.id = reqid >> REQSEQ_BITS;
	return (RB_FIND(session_tree, &sessions, &key));
}

void
session_wait(struct session *s, enum session_wait what, uint64_t reqid)
{
	s->wait = what;
	s->reqid = reqid;
}

void
session_kick(struct session *s)
{
	session_io(s);
}

void
session_literal(struct session *s, uint64_t n)
{
	s->inmode = IN_LITERAL;
	s->litleft = n;
}

void
session_b64lines(struct session *s)
{
	s->inmode = IN_B64LINES;
	s->empties = 0;
}

int
session_last_cmd(struct session *s)
{
	return (s->curcmd >= s->ncmds);
}

void
session_skip_rest(struct session *s)
{
	while (s->curcmd < s->ncmds) {
		session_replyid(s, s->cmds[s->curcmd].id, 400,
		    0, "Command after a DATA literal.");
		s->curcmd++;
	}
}

/*
 * Replies.
 */

void
session_reply(struct session *s, int code, int more, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vreply(s, s->cmdid, code, more, fmt, ap);
	va_end(ap);
}

void
session_replyid(struct session *s, const char *id, int code, int more,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vreply(s, id, code, more, fmt, ap);
	va_end(ap);
}

static void
session_vreply(struct session *s, const char *id, int code, int more,
    const char *fmt, va_list ap)
{
	char	 text[REPLY_MAXLINE], line[REPLY_MAXLINE];
	int	 n;

	if (s->closing)
		return;
	if (id != NULL && *id == '\0')
		id = NULL;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    (n = reply_format(line, sizeof(line), id, code, more, "%s",
	    text)) == -1) {
		log_warnx("session %016" PRIx64 ": cannot format reply %d",
		    s->id, code);
		n = reply_format(line, sizeof(line), id, 700, 0,
		    "Internal error, try again later.");
		if (n == -1) {
			session_close(s, "internal-error");
			return;
		}
	}
	log_debug("session %016" PRIx64 " > %.*s", s->id,
	    n >= 2 ? n - 2 : n, line);
	if (evbuffer_add(s->out, line, n) == -1)
		session_close(s, "out-of-memory");
}

static const char *
session_domain(void)
{
	struct conf_domain	*d;

	if ((d = TAILQ_FIRST(&env->conf.domains)) == NULL)
		return ("localhost");
	return (d->name);
}

/* immp(7) GREETING; on an implicit TLS listener after the handshake. */
static void
session_greeting(struct session *s)
{
	const char	*dom = session_domain();

	if (s->io == IO_PLAIN) {
		session_replyid(s, NULL, 100, 1, "immpd IMMP/1.0 server at %s",
		    dom);
		session_replyid(s, NULL, 100, 0, "TLS1.3 TLS1.2");
	} else
		session_replyid(s, NULL, 100, 0, "immpd IMMP/1.0 server at %s",
		    dom);
	session_replyid(s, NULL, 101, 0, "p=IMMP v=1.0 d=%s i=%s", dom,
	    s->nonce);
}

/*
 * I/O engine.
 */

static void
session_ev(int fd, short ev, void *arg)
{
	session_io(arg);
}

static void
session_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	if (s->closing) {
		session_free(s);
		return;
	}
	/* No 730 inside a streamed answer: it would corrupt it. */
	if (s->io == IO_HANDSHAKE || s->upgrading || mbox_streaming(s)) {
		s->reason = "timeout";
		session_free(s);
		return;
	}
	s->cmdid = NULL;
	session_reply(s, 730, 0, "Idle timeout.");
	session_close(s, "timeout");
	session_io(s);
}

/* 1 if no command may run now. */
static int
session_busy(struct session *s)
{
	return (s->closing || s->upgrading || s->io == IO_HANDSHAKE ||
	    s->wait != WAIT_NONE || mbox_streaming(s) ||
	    evbuffer_get_length(s->out) >= SESSION_OUT_HIWAT);
}

/* 1 if more input may be read from the socket now. */
static int
session_readable(struct session *s)
{
	return (!session_busy(s) && s->curcmd >= s->ncmds &&
	    evbuffer_get_length(s->in) < SESSION_IN_HIWAT);
}

static void
session_io(struct session *s)
{
	int	 r, rounds = 0;

	for (;;) {
		if (s->io == IO_HANDSHAKE) {
			if ((r = session_handshake(s)) == -1) {
				session_free(s);
				return;
			}
			if (r == 0)
				break;
		}
		session_process(s);
		if (session_flush(s) == -1) {
			session_free(s);
			return;
		}
		if (evbuffer_get_length(s->out) == 0) {
			if (s->closing) {
				if (session_linger(s) == 0)
					break;
				session_free(s);
				return;
			}
			if (s->upgrading) {
				if (session_starttls(s) == -1) {
					session_free(s);
					return;
				}
				continue;
			}
		}
		if (!session_readable(s)) {
			/* A streamed MBOX answer goes on while it drains. */
			if (!mbox_wants_more(s))
				break;
			if (rounds++ == IO_ROUNDS) {
				mbox_pump(s);	/* the write event resumes */
				break;
			}
			continue;
		}
		if (rounds++ == IO_ROUNDS) {
			/* Let other sessions run; TLS may hold data. */
			event_active(s->rev, EV_READ, 1);
			break;
		}
		if ((r = session_read(s)) == -1) {
			session_free(s);
			return;
		}
		if (r == 0)
			break;
	}
	session_events(s);
}

static void
session_events(struct session *s)
{
	short	 want = 0;

	if (s->lingering)
		want = EV_READ;
	else if (s->io == IO_HANDSHAKE)
		want = s->hs_want;
	else {
		if (evbuffer_get_length(s->out) > 0)
			want |= s->wr_want;
		if (session_readable(s))
			want |= s->rd_want;
	}
	if (want & EV_READ) {
		if (!event_pending(s->rev, EV_READ, NULL))
			event_add(s->rev, NULL);
	} else
		event_del(s->rev);
	if (want & EV_WRITE) {
		if (!event_pending(s->wev, EV_WRITE, NULL))
			event_add(s->wev, NULL);
	} else
		event_del(s->wev);
}

/* Starts TLS on the socket: after 204, or at once on a "tls" listener. */
static int
session_starttls(struct session *s)
{
	s->upgrading = 0;
	if (tls_accept_socket(s->listener->tls, &s->tls, s->fd) == -1) {
		log_warnx("session %016" PRIx64 ": tls_accept_socket: %s",
		    s->id, tls_error(s->listener->tls));
		s->reason = "tls-error";
		return (-1);
	}
	s->io = IO_HANDSHAKE;
	s->hs_want = EV_READ;
	s->wlen = 0;
	return (0);
}

/* 1: done, 0: needs another event (hs_want), -1: failed. */
static int
session_handshake(struct session *s)
{
	switch (tls_handshake(s->tls)) {
	case 0:
		break;
	case TLS_WANT_POLLIN:
		s->hs_want = EV_READ;
		return (0);
	case TLS_WANT_POLLOUT:
		s->hs_want = EV_WRITE;
		return (0);
	default:
		log_debug("session %016" PRIx64 ": tls handshake: %s", s->id,
		    tls_error(s->tls));
		s->reason = "tls-handshake-failed";
		return (-1);
	}
	s->io = IO_TLS;
	s->state = STATE_UNAUTH;
	s->rd_want = EV_READ;
	s->wr_want = EV_WRITE;
	log_info("session tls id=%016" PRIx64 " version=%s cipher=%s", s->id,
	    tls_conn_version(s->tls), tls_conn_cipher(s->tls));
	if (s->listener->conf->implicit_tls)
		session_greeting(s);
	return (1);
}

/* Writes as much output as the socket takes.  0, or -1 (reason set). */
static int
session_flush(struct session *s)
{
	size_t		 len;
	ssize_t		 n;
	unsigned char	*p;

	if (s->io == IO_HANDSHAKE)
		return (0);
	while ((len = evbuffer_get_length(s->out)) > 0) {
		if (s->io == IO_PLAIN) {
			if (len > IO_CHUNK)
				len = IO_CHUNK;
			if ((p = evbuffer_pullup(s->out, len)) == NULL)
				goto nomem;
			n = send(s->fd, p, len, MSG_NOSIGNAL);
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR) {
					s->wr_want = EV_WRITE;
					return (0);
				}
				s->reason = "write-error";
				return (-1);
			}
		} else {
			/* A retried tls_write must repeat the same octets. */
			if (s->wlen != 0)
				len = s->wlen;
			else if (len > IO_CHUNK)
				len = IO_CHUNK;
			if ((p = evbuffer_pullup(s->out, len)) == NULL)
				goto nomem;
			n = tls_write(s->tls, p, len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
				s->wlen = len;
				s->wr_want = n == TLS_WANT_POLLIN ?
				    EV_READ : EV_WRITE;
				return (0);
			}
			if (n == -1) {
				log_debug("session %016" PRIx64 ": tls_write: "
				    "%s", s->id, tls_error(s->tls));
				s->reason = "write-error";
				return (-1);
			}
			s->wlen = 0;
		}
		s->wr_want = EV_WRITE;
		evbuffer_drain(s->out, n);
	}
	return (0);
 nomem:
	s->reason = "out-of-memory";
	return (-1);
}

/* 1: got data, 0: would block (rd_want set), -1: closed (reason set). */
static int
session_read(struct session *s)
{
	char		 buf[IO_CHUNK];
	ssize_t		 n;
	struct timeval	 tv = { SESSION_IDLE_TIMEOUT, 0 };

	if (s->io == IO_PLAIN) {
		n = read(s->fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				s->rd_want = EV_READ;
				return (0);
			}
			s->reason = "read-error";
			return (-1);
		}
	} else {
		n = tls_read(s->tls, buf, sizeof(buf));
		if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT) {
			s->rd_want = n == TLS_WANT_POLLIN ? EV_READ : EV_WRITE;
			return (0);
		}
		if (n == -1) {
			log_debug("session %016" PRIx64 ": tls_read: %s",
			    s->id, tls_error(s->tls));
			s->reason = "read-error";
			return (-1);
		}
	}
	if (n == 0) {
		s->reason = "client-closed";
		return (-1);
	}
	if (evbuffer_add(s->in, buf, n) == -1) {
		s->reason = "out-of-memory";
		return (-1);
	}
	s->rd_want = EV_READ;
	evtimer_add(s->timer, &tv);
	return (1);
}

/*
 * The output is flushed and the session is to be closed.  Closing a
 * socket with unread input makes the kernel send a reset, which can
 * destroy the last reply (432, 201) before the client reads it; so the
 * write side is shut down first and the input drained until the client
 * closes or the flush timer fires.  Returns 0 while draining, -1 when
 * the session can be freed.
 */
static int
session_linger(struct session *s)
{
	char	 buf[IO_CHUNK];
	ssize_t	 n;
	int	 i;

	if (!s->lingering) {
		s->lingering = 1;
		if (s->io == IO_TLS)
			(void)tls_close(s->tls);	/* close_notify */
		if (shutdown(s->fd, SHUT_WR) == -1)
			return (-1);
	}
	for (i = 0; i < IO_ROUNDS; i++) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return (0);
		return (-1);
	}
	return (0);
}

/*
 * Input.
 */

/* Runs commands and consumes buffered input while nothing blocks. */
static void
session_process(struct session *s)
{
	mbox_pump(s);
	while (!session_busy(s)) {
		if (s->curcmd < s->ncmds) {
			s->curcmd++;
			session_exec(s, &s->cmds[s->curcmd - 1]);
			continue;
		}
		/* Every command of the line has run; words stay in line. */
		free(s->cmds);
		s->cmds = NULL;
		s->ncmds = s->curcmd = 0;
		if (session_input(s) == 0)
			break;
	}
}

/* Consumes one unit of input.  Returns 1 if it did, 0 if more is needed. */
static int
session_input(struct session *s)
{
	struct evbuffer_ptr	 p;
	char			 buf[IO_CHUNK];
	size_t			 avail, len, eol;

	if (s->inmode == IN_LITERAL && s->litleft == 0) {
		s->inmode = IN_COMMAND;
		msg_part_end(s);
		return (1);
	}
	if ((avail = evbuffer_get_length(s->in)) == 0)
		return (0);

	if (s->inmode == IN_LITERAL) {
		len = avail < sizeof(buf) ? avail : sizeof(buf);
		if (len > s->litleft)
			len = s->litleft;
		if (evbuffer_remove(s->in, buf, len) != (int)len)
			fatalx("session: evbuffer_remove");
		s->litleft -= len;
		msg_input(s, buf, len);
		return (1);
	}

	p = evbuffer_search_eol(s->in, NULL, &eol, EVBUFFER_EOL_LF);
	if (s->skipline) {
		if (p.pos == -1) {
			evbuffer_drain(s->in, avail);
			return (0);
		}
		evbuffer_drain(s->in, p.pos + eol);
		s->skipline = 0;
		return (1);
	}
	if (p.pos == -1) {
		if (avail <= CMD_MAXLINE + 1)
			return (0);
		evbuffer_drain(s->in, avail);
		s->skipline = 1;
		session_overlong(s);
		return (1);
	}
	len = p.pos;
	if (len > CMD_MAXLINE + 1) {
		evbuffer_drain(s->in, len + eol);
		session_overlong(s);
		return (1);
	}
	if (evbuffer_remove(s->in, s->line, len) != (int)len)
		fatalx("session: evbuffer_remove");
	evbuffer_drain(s->in, eol);
	if (len > 0 && s->line[len - 1] == '\r')
		len--;
	if (len > CMD_MAXLINE) {
		session_overlong(s);
		return (1);
	}
	s->line[len] = '\0';
	if (s->inmode == IN_B64LINES)
		session_b64line(s, len);
	else
		session_cmdline(s, len);
	return (1);
}

/* A line longer than CMD_MAXLINE (the rest up to LF is dropped). */
static void
session_overlong(struct session *s)
{
	if (s->inmode == IN_B64LINES) {
		/* Inside a +BASE64 block: the part is bad, go on reading. */
		s->empties = 0;
		s->part.bad64 = 1;
		return;
	}
	s->cmdid = NULL;
	session_reply(s, 400, 0, "Line too long.");
}

/* One line of a +BASE64 block without LENGTH; two empty lines end it. */
static void
session_b64line(struct session *s, size_t len)
{
	if (len == 0) {
		if (++s->empties == 2) {
			s->inmode = IN_COMMAND;
			s->empties = 0;
			msg_part_end(s);
		}
		return;
	}
	s->empties = 0;
	msg_line(s, s->line, len);
}

static void
session_cmdline(struct session *s, size_t len)
{
	const char	*errstr = NULL, *text;

	s->ncmds = s->curcmd = 0;
	s->cmdid = NULL;
	if (s->cmds == NULL &&
	    (s->cmds = reallocarray(NULL, CMD_MAXCMDS, sizeof(*s->cmds))) ==
	    NULL) {
		log_warn("session %016" PRIx64, s->id);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	if (cmd_parse_line(s->line, len, s->cmds, CMD_MAXCMDS, &s->ncmds,
	    &errstr) == 0)
		return;
	s->ncmds = 0;
	if (errstr == NULL)
		errstr = "syntax error";
	if (strcmp(errstr, "line too long") == 0)
		text = "Line too long.";
	else if (strcmp(errstr, "invalid UTF-8") == 0)
		text = "Invalid UTF-8.";
	else if (strcmp(errstr, "control character") == 0)
		text = "Control character in command.";
	else if (strcmp(errstr, "bad pipeline id") == 0)
		text = "Bad pipeline id.";
	else {
		session_reply(s, 400, 0, "Syntax error: %s.", errstr);
		return;
	}
	session_reply(s, 400, 0, "%s", text);
}

static void
session_exec(struct session *s, const struct cmd *c)
{
	size_t	 i;

	s->cmdid = c->id;
	if (c->nwords == 0) {
		session_reply(s, 400, 0, "Syntax error: empty command.");
		return;
	}
	log_debug("session %016" PRIx64 " < %s%s%s", s->id, c->word[0],
	    c->nwords > 1 ? " " : "", c->nwords > 1 ? c->word[1] : "");
	/* DATA handles every state itself: its literal must be skipped. */
	if (cmd_kw(c, 0, "DATA")) {
		msg_data(s, c);
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!cmd_kw(c, 0, commands[i].kw))
			continue;
		if (commands[i].kw2 != NULL && !cmd_kw(c, 1, commands[i].kw2))
			continue;
		if (s->state == STATE_UNENCRYPTED && !commands[i].plain)
			break;
		commands[i].fn(s, c);
		return;
	}
	if (s->state == STATE_UNENCRYPTED)
		session_reply(s, 403, 0,
		    "TLS required: use UPGRADE TLS first.");
	else
		session_reply(s, 401, 0, "Unknown command.");
}

/*
 * Commands without state.
 */

static void
cmd_noop(struct session *s, const struct cmd *c)
{
	if (c->nwords != 1 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: NOOP.");
		return;
	}
	session_reply(s, 200, 0, "OK.");
}

static void
cmd_quit(struct session *s, const struct cmd *c)
{
	if (c->nwords != 1 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: QUIT.");
		return;
	}
	if (mbox_quit(s))
		return;		/* FETCH +DELETE: expunge first, then 201 */
	session_reply(s, 201, 0, "Bye.");
	session_close(s, "quit");
}

/*
 * UPGRADE TLS (DESIGN §5).  Nothing received in the clear after the
 * UPGRADE line may be acted upon once TLS is on (the STARTTLS command
 * injection problem, CVE-2011-0411): the rest of the line and any
 * buffered input are dropped.
 */
static void
cmd_upgrade(struct session *s, const struct cmd *c)
{
	static const char *const methods[] = {
		"TLS", "TLS1.2", "TLS1.3", "TLS2", "TLS3", NULL
	};
	size_t	 i, drop;

	if (c->nwords != 2 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: UPGRADE TLS.");
		return;
	}
	if (s->io != IO_PLAIN) {
		session_reply(s, 402, 0, "TLS is already active.");
		return;
	}
	for (i = 0; methods[i] != NULL; i++)
		if (cmd_kw(c, 1, methods[i]))
			break;
	if (methods[i] == NULL) {
		session_reply(s, 400, 0, "Unknown upgrade method.");
		return;
	}
	session_reply(s, 204, 0, "Upgrading to TLS.");
	s->upgrading = 1;
	drop = evbuffer_get_length(s->in);
	if (s->curcmd < s->ncmds || drop > 0)
		log_info("session %016" PRIx64 ": dropped %zu commands and %zu "
		    "octets sent in the clear after UPGRADE", s->id,
		    s->ncmds - s->curcmd, drop);
	s->curcmd = s->ncmds = 0;
	evbuffer_drain(s->in, drop);
}

static void
cmd_auth_other(struct session *s, const struct cmd *c)
{
	session_reply(s, 400, 0, "Unsupported authentication method.");
}
