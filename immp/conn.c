/*
 * immp(1) connection handling: TCP, greeting, UPGRADE TLS, replies.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <tls.h>

#include "conn.h"

static int	conn_fill(struct conn *);
static void	conn_show(struct conn *, const char *, const char *, size_t);

static void
conn_show(struct conn *c, const char *dir, const char *s, size_t len)
{
	size_t	i;

	if (!c->verbose)
		return;
	fprintf(stderr, "%s ", dir);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fputc('\n', stderr);
}

int
conn_connect(struct conn *c, const char *host, const char *port,
    int verbose)
{
	struct addrinfo	 hints, *res, *ai;
	struct timeval	 tv;
	int		 error, fd = -1, saved = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->verbose = verbose;
	if (strchr(host, ':') != NULL)
		snprintf(c->peer, sizeof(c->peer), "[%s]:%s", host, port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "immp: %s: %s\n", c->peer,
		    gai_strerror(error));
		return EXIT_TEMP;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		fprintf(stderr, "immp: connect to %s: %s\n", c->peer,
		    strerror(saved));
		return EXIT_TEMP;
	}
	tv.tv_sec = CONN_TIMEOUT;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	if (c->verbose)
		fprintf(stderr, "-- connected to %s\n", c->peer);
	return 0;
}

/* Reads more octets into the buffer; 0, or EXIT_TEMP (printed). */
static int
conn_fill(struct conn *c)
{
	ssize_t	n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return EXIT_PERM;
	for (;;) {
		if (c->tls != NULL) {
			n = tls_read(c->tls, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
				continue;
			if (n == -1) {
				fprintf(stderr, "immp: read from %s: %s\n",
				    c->peer, tls_error(c->tls));
				return EXIT_TEMP;
			}
		} else {
			n = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				fprintf(stderr, "immp: read from %s: %s\n",
				    c->peer, errno == EAGAIN ? "timed out" :
				    strerror(errno));
				return EXIT_TEMP;
			}
		}
		break;
	}
	if (n == 0) {
		fprintf(stderr, "immp: %s closed the connection\n", c->peer);
		return EXIT_TEMP;
	}
	c->len += n;
	return 0;
}

int
conn_reply(struct conn *c, struct reply *r)
{
	const char	*id, *text, *nl;
	size_t		 idlen, len;
	int		 rv;

	memset(r, 0, sizeof(*r));
	for (;;) {
		nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl != NULL)
			break;
		if (c->len - c->off >= REPLY_MAXLINE) {
			fprintf(stderr, "immp: %s: reply line too long\n",
			    c->peer);
			return EXIT_PERM;
		}
		if ((rv = conn_fill(c)) != 0)
			return rv;
	}
	len = nl - (c->buf + c->off);
	if (len > 0 && c->buf[c->off + len - 1] == '\r')
		len--;
	if (len >= sizeof(r->line)) {
		fprintf(stderr, "immp: %s: reply line too long\n", c->peer);
		return EXIT_PERM;
	}
	memcpy(r->line, c->buf + c->off, len);
	r->line[len] = '\0';
	c->off = (nl - c->buf) + 1;
	conn_show(c, "S:", r->line, len);

	if (memchr(r->line, '\0', len) != NULL ||
	    reply_parse(r->line, len, &id, &idlen, &r->code, &r->more,
	    &text) == -1 || idlen > CMD_MAXID) {
		fprintf(stderr, "immp: %s: not an IMMP reply: %s\n", c->peer,
		    r->line);
		return EXIT_PERM;
	}
	if (id != NULL)
		memcpy(r->id, id, idlen);
	r->id[idlen] = '\0';
	strlcpy(r->text, text, sizeof(r->text));
	return 0;
}

int
conn_status(int code)
{
	return (code >= 700 && code <= 799) ? EXIT_TEMP : EXIT_PERM;
}

int
conn_expect(struct conn *c, struct reply *r, int want, const char *what)
{
	int	rv;

	for (;;) {
		if ((rv = conn_reply(c, r)) != 0)
			return rv;
		if (r->id[0] != '\0' || r->more)
			continue;
		/* unsolicited information (e.g. new mail) is not an answer */
		if (r->code < 200 && want >= 200)
			continue;
		break;
	}
	if (r->code == want)
		return 0;
	fprintf(stderr, "immp: %s: server replied: %s\n", what, r->line);
	return conn_status(r->code);
}

int
conn_greeting(struct conn *c)
{
	struct reply	r;
	int		rv;

	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (r.code == 100 || (r.code == 101 && r.more))
			continue;
		if (r.code == 101)
			return 0;
		fprintf(stderr, "immp: %s: unexpected greeting: %s\n",
		    c->peer, r.line);
		return (r.code >= 700) ? EXIT_TEMP : EXIT_PERM;
	}
}

int
conn_upgrade(struct conn *c, const char *servername, const char *cafile,
    int insecure)
{
	struct reply	r;
	int		rv;

	if ((rv = conn_cmd(c, NULL, "UPGRADE TLS")) != 0)
		return rv;
	if ((rv = conn_expect(c, &r, 204, "UPGRADE TLS")) != 0)
		return rv;
	if (c->off != c->len) {
		fprintf(stderr, "immp: %s: data before the TLS handshake, "
		    "giving up\n", c->peer);
		return EXIT_PERM;
	}
	c->off = c->len = 0;

	if ((c->cfg = tls_config_new()) == NULL ||
	    (c->tls = tls_client()) == NULL) {
		fprintf(stderr, "immp: out of memory\n");
		return EXIT_TEMP;
	}
	if (tls_config_set_protocols(c->cfg,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1) {
		fprintf(stderr, "immp: %s\n", tls_config_error(c->cfg));
		return EXIT_PERM;
	}
	if (insecure) {
		tls_config_insecure_noverifycert(c->cfg);
		tls_config_insecure_noverifyname(c->cfg);
	} else if (cafile != NULL &&
	    tls_config_set_ca_file(c->cfg, cafile) == -1) {
		fprintf(stderr, "immp: CA file %s: %s\n", cafile,
		    tls_config_error(c->cfg));
		return EXIT_PERM;
	}
	if (tls_configure(c->tls, c->cfg) == -1) {
		fprintf(stderr, "immp: TLS setup: %s\n", tls_error(c->tls));
		return EXIT_PERM;
	}
	if (tls_connect_socket(c->tls, c->fd, servername) == -1) {
		fprintf(stderr, "immp: TLS setup: %s\n", tls_error(c->tls));
		return EXIT_PERM;
	}
	for (;;) {
		rv = tls_handshake(c->tls);
		if (rv == TLS_WANT_POLLIN || rv == TLS_WANT_POLLOUT)
			continue;
		break;
	}
	if (rv == -1) {
		fprintf(stderr, "immp: TLS handshake with %s (name %s) "
		    "failed: %s\n", c->peer, servername, tls_error(c->tls));
		return EXIT_PERM;
	}
	if (c->verbose)
		fprintf(stderr, "-- %s %s, certificate %s\n",
		    tls_conn_version(c->tls), tls_conn_cipher(c->tls),
		    insecure ? "NOT verified (--insecure)" : "verified");
	return 0;
}

int
conn_cert_hash(struct conn *c, unsigned char out[32])
{
	const char	*h;
	size_t		 binlen;

	if (c->tls == NULL || (h = tls_peer_cert_hash(c->tls)) == NULL)
		return -1;
	if (strncmp(h, "SHA256:", 7) != 0 || strlen(h + 7) != 64)
		return -1;
	if (sodium_hex2bin(out, 32, h + 7, 64, NULL, &binlen, NULL) != 0 ||
	    binlen != 32)
		return -1;
	return 0;
}

int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if (c->tls != NULL) {
			n = tls_write(c->tls, p, len);
			if (n == TLS_WANT_POLLIN || n == TLS_WANT_POLLOUT)
				continue;
			if (n == -1) {
				fprintf(stderr, "immp: write to %s: %s\n",
				    c->peer, tls_error(c->tls));
				return EXIT_TEMP;
			}
		} else {
			n = write(c->fd, p, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				fprintf(stderr, "immp: write to %s: %s\n",
				    c->peer, strerror(errno));
				return EXIT_TEMP;
			}
		}
		p += n;
		len -= n;
	}
	return 0;
}

int
conn_cmd(struct conn *c, const char *shown, const char *fmt, ...)
{
	char	line[CMD_MAXLINE + 3];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > CMD_MAXLINE) {
		fprintf(stderr, "immp: command line too long\n");
		return EXIT_PERM;
	}
	if (shown != NULL)
		conn_show(c, "C:", shown, strlen(shown));
	else
		conn_show(c, "C:", line, n);
	line[n++] = '\r';
	line[n++] = '\n';
	n = conn_write(c, line, n);
	sodium_memzero(line, sizeof(line));
	return n;
}

void
conn_close(struct conn *c)
{
	if (c->tls != NULL) {
		(void)tls_close(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->cfg != NULL) {
		tls_config_free(c->cfg);
		c->cfg = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}
