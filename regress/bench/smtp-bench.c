/*
 * smtp-bench: the SMTP counterpart of immp-bench, for the side-by-side
 * benchmark (regress/bench/compare).  N sessions (one thread each)
 * connect over plain TCP (no STARTTLS: OpenSMTPD 6.8 from Debian 12
 * cannot complete it under OpenSSL 3), say EHLO once and deliver M
 * messages of S octets each: MAIL FROM, RCPT TO, DATA, the message,
 * "." -- one round trip per command, no PIPELINING, as immp-bench waits
 * for each reply too.  Prints the same lines as immp-bench: accepted/s
 * (250 after the final dot), delivered/s (files in the recipient's
 * Maildir new/), p50/p99 latency (MAIL FROM sent -> 250 after the
 * dot).  The rates count from the moment every session has greeted.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

struct bench {
	const char	*host;
	const char	*port;
	const char	*from;
	const char	*rcpt;
	const char	*maildir_new;
	int		 sessions;
	int		 messages;
	size_t		 size;
	pthread_barrier_t ready;	/* all sessions greeted (or failed) */
};

struct worker {
	pthread_t	 thread;
	struct bench	*b;
	int		 index;
	double		*latency;	/* seconds, one per message */
	int		 accepted;
	int		 failed;
	int		 fd;
	char		 buf[4096];
	size_t		 len;
};

static int
sendall(int fd, const char *p, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= r;
	}
	return 0;
}

/* Reads one whole reply (all continuation lines); its code or -1. */
static int
reply(struct worker *w)
{
	char	*nl, line[4];
	ssize_t	 r;
	size_t	 n;
	int	 more;

	for (;;) {
		while ((nl = memchr(w->buf, '\n', w->len)) == NULL) {
			if (w->len == sizeof(w->buf))
				return -1;
			r = recv(w->fd, w->buf + w->len,
			    sizeof(w->buf) - w->len, 0);
			if (r <= 0)
				return -1;
			w->len += r;
		}
		n = nl - w->buf + 1;
		if (n < 4)
			return -1;
		memcpy(line, w->buf, 3);
		line[3] = '\0';
		more = w->buf[3] == '-';
		memmove(w->buf, w->buf + n, w->len - n);
		w->len -= n;
		if (!more)
			return atoi(line);
	}
}

static int
command(struct worker *w, int want, const char *fmt, const char *arg)
{
	char	line[1024];
	int	n;

	n = snprintf(line, sizeof(line), fmt, arg);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    sendall(w->fd, line, n) == -1)
		return -1;
	return reply(w) == want ? 0 : -1;
}

static int
connect_to(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/*
 * The message: a few header lines, a blank line, then text lines of 72
 * octets plus CRLF until the whole is size octets (dot-stuffing never
 * needed: no line starts with a dot), then the final dot.
 */
static char *
make_message(struct bench *b, int index, int i, size_t *len)
{
	char	*m, head[512];
	size_t	 hl, j, k;

	hl = snprintf(head, sizeof(head), "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: bench %d-%d\r\nMessage-ID: <%d.%d@smtp-bench>\r\n\r\n",
	    b->from, b->rcpt, index, i, index, i);
	if ((m = malloc(hl + b->size + 8)) == NULL)
		err(1, NULL);
	memcpy(m, head, hl);
	for (j = 0, k = hl; j < b->size; j++, k++) {
		if (j % 74 == 72)
			m[k] = '\r';
		else if (j % 74 == 73)
			m[k] = '\n';
		else
			m[k] = 'a' + (int)((j + i + index) % 26);
	}
	if (b->size >= 2) {
		m[k - 2] = '\r';
		m[k - 1] = '\n';
	}
	memcpy(m + k, ".\r\n", 3);
	*len = k + 3;
	return m;
}

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	struct bench	*b = w->b;
	char		*msg;
	size_t		 len;
	double		 t0;
	int		 i;

	if ((w->fd = connect_to(b->host, b->port)) == -1 ||
	    reply(w) != 220 ||
	    command(w, 250, "EHLO %s\r\n", "smtp-bench.test") != 0) {
		w->failed = b->messages;
		if (w->fd != -1)
			close(w->fd);
		pthread_barrier_wait(&b->ready);
		return NULL;
	}
	pthread_barrier_wait(&b->ready);
	for (i = 0; i < b->messages; i++) {
		msg = make_message(b, w->index, i, &len);
		t0 = bench_now();
		if (command(w, 250, "MAIL FROM:<%s>\r\n", b->from) != 0 ||
		    command(w, 250, "RCPT TO:<%s>\r\n", b->rcpt) != 0 ||
		    command(w, 354, "%s", "DATA\r\n") != 0 ||
		    sendall(w->fd, msg, len) == -1 || reply(w) != 250) {
			free(msg);
			w->failed = b->messages - i;
			break;
		}
		free(msg);
		w->latency[w->accepted++] = bench_now() - t0;
	}
	if (w->failed == 0)
		(void)command(w, 221, "%s", "QUIT\r\n");
	close(w->fd);
	return NULL;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtp-bench -H host:port -f from -t rcpt "
	    "[-n sessions] [-m messages] [-s size] [-d maildir-new]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct bench	 b;
	struct bench_result r;
	struct worker	*w;
	double		*all, t0, t1;
	char		 hostbuf[256], *colon;
	int		 ch, i, j, base = 0, n;

	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	b.sessions = 8;
	b.messages = 250;
	b.size = 2048;
	while ((ch = getopt(argc, argv, "d:f:H:m:n:s:t:")) != -1) {
		switch (ch) {
		case 'd':
			b.maildir_new = optarg;
			break;
		case 'f':
			b.from = optarg;
			break;
		case 'H':
			if (strlen(optarg) >= sizeof(hostbuf))
				usage();
			strcpy(hostbuf, optarg);
			b.host = hostbuf;
			break;
		case 'm':
			b.messages = atoi(optarg);
			break;
		case 'n':
			b.sessions = atoi(optarg);
			break;
		case 's':
			b.size = strtoul(optarg, NULL, 10);
			break;
		case 't':
			b.rcpt = optarg;
			break;
		default:
			usage();
		}
	}
	if (b.host == NULL || b.from == NULL || b.rcpt == NULL ||
	    b.sessions < 1 || b.messages < 1 || b.size < 1 ||
	    b.size > 64 * 1024 * 1024)
		usage();
	b.port = "25";
	if ((colon = strrchr(hostbuf, ':')) != NULL) {
		*colon = '\0';
		b.port = colon + 1;
	}
	if (b.maildir_new != NULL)
		base = bench_count_files(b.maildir_new);

	r.total = b.sessions * b.messages;
	if ((w = calloc(b.sessions, sizeof(*w))) == NULL ||
	    (all = calloc(r.total, sizeof(double))) == NULL)
		err(1, NULL);
	if (pthread_barrier_init(&b.ready, NULL, b.sessions + 1) != 0)
		errx(1, "pthread_barrier_init failed");
	t0 = bench_now();
	for (i = 0; i < b.sessions; i++) {
		w[i].b = &b;
		w[i].index = i;
		w[i].fd = -1;
		w[i].latency = all + (size_t)i * b.messages;
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]) != 0)
			errx(1, "pthread_create failed");
	}
	pthread_barrier_wait(&b.ready);
	t1 = bench_now();
	for (i = 0; i < b.sessions; i++)
		pthread_join(w[i].thread, NULL);
	r.t_acc = bench_now() - t1;

	for (i = 0, n = 0; i < b.sessions; i++) {
		for (j = 0; j < w[i].accepted; j++)
			all[n++] = w[i].latency[j];
		r.accepted += w[i].accepted;
		r.failed += w[i].failed;
	}
	qsort(all, r.accepted, sizeof(double), bench_cmp_double);
	r.latency = all;
	bench_wait_delivered(&r, b.maildir_new, base, t1);

	r.sessions = b.sessions;
	r.size = b.size;
	r.login_what = "connect, EHLO";
	r.t_login = t1 - t0;
	bench_report(&r);
	free(all);
	free(w);
	return (r.failed > 0 || (b.maildir_new != NULL &&
	    r.delivered < r.accepted)) ? 1 : 0;
}
