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
 * immpctl(8): the commands that talk to the running daemon over its
 * control socket (immpctl(8) CONTROL PROTOCOL), and "monitor".
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "immpctl.h"

#define CTL_REPLY_MAX	4096	/* longest answer line accepted */
#define CTL_REQ_MAX	512	/* as the daemon's CTL_LINE_MAX */

struct ctl_conn {
	int	 fd;
	FILE	*in;
};

static struct ctl_conn	conn = { -1, NULL };

int
ctl_connect(void)
{
	struct sockaddr_un	 sun;
	const char		*path = immpctl_socket();
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if ((conn.in = fdopen(fd, "r")) == NULL)
		err(1, "fdopen");
	conn.fd = fd;
	return 0;
}

void
ctl_connect_or_die(void)
{
	if (ctl_connect() == -1)
		err(1, "cannot reach immpd at %s", immpctl_socket());
}

int
ctl_request(const char *req, void (*cb)(const char *, void *), void *arg,
    char *why, size_t whysz)
{
	char	*line = NULL, buf[CTL_REQ_MAX + 2];
	size_t	 cap = 0;
	ssize_t	 n;
	int	 rv = -1;

	if (conn.fd == -1)
		errx(1, "not connected");
	if (strlen(req) > CTL_REQ_MAX)
		errx(1, "request too long");
	(void)snprintf(buf, sizeof(buf), "%s\n", req);
	if (write_all(conn.fd, buf, strlen(buf)) == -1)
		err(1, "control socket: write");
	for (;;) {
		if ((n = getline(&line, &cap, conn.in)) == -1) {
			if (ferror(conn.in))
				err(1, "control socket: read");
			errx(1, "immpd closed the control connection");
		}
		if (n > CTL_REPLY_MAX || n < 2 || line[n - 1] != '\n')
			errx(1, "control socket: malformed answer");
		line[n - 1] = '\0';
		if (strncmp(line, "+ ", 2) == 0) {
			if (cb != NULL)
				cb(line + 2, arg);
			continue;
		}
		if (strcmp(line, ".") == 0) {
			rv = 0;
			break;
		}
		if (strncmp(line, "! ", 2) == 0) {
			(void)strlcpy(why, line + 2, whysz);
			rv = 1;
			break;
		}
		errx(1, "control socket: malformed answer");
	}
	free(line);
	return rv;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void
ctl_print(const char *text, void *arg)
{
	printf("%s\n", text);
}

/*
 * Sends argv[0..argc) joined by spaces, prints the answer lines to
 * stdout; a refusal is printed as "immpctl: reason" and exits 1.
 */
int
ctl_simple(int argc, char *argv[])
{
	char	req[CTL_REQ_MAX + 1], why[CTL_REPLY_MAX];
	int	i;

	req[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (strchr(argv[i], ' ') != NULL || argv[i][0] == '\0')
			usage();
		if ((i > 0 && strlcat(req, " ", sizeof(req)) >= sizeof(req)) ||
		    strlcat(req, argv[i], sizeof(req)) >= sizeof(req))
			errx(1, "request too long");
	}
	ctl_connect_or_die();
	if (ctl_request(req, ctl_print, NULL, why, sizeof(why)) != 0)
		errx(1, "%s", why);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}

/*
 * The commands with a fixed number of arguments: the words are checked
 * here for a clear usage message, and again by the daemon.
 */
int
cmd_ctl(int argc, char *argv[])
{
	const char	*c = argv[0];

	if (strcmp(c, "reload") == 0 && argc == 1)
		return ctl_simple(argc, argv);
	if ((strcmp(c, "schedule") == 0 || strcmp(c, "remove") == 0 ||
	    strcmp(c, "hold") == 0 || strcmp(c, "release") == 0) &&
	    argc == 2)
		return ctl_simple(argc, argv);
	if ((strcmp(c, "pause") == 0 || strcmp(c, "resume") == 0) &&
	    argc == 2 && (strcmp(argv[1], "accept") == 0 ||
	    strcmp(argv[1], "deliver") == 0 || strcmp(argv[1], "relay") == 0))
		return ctl_simple(argc, argv);
	if (strcmp(c, "log") == 0 && argc == 2 &&
	    (strcmp(argv[1], "brief") == 0 ||
	    strcmp(argv[1], "verbose") == 0))
		return ctl_simple(argc, argv);
	if (strcmp(c, "update") == 0 && argc == 3 &&
	    strcmp(argv[1], "table") == 0)
		return ctl_simple(argc, argv);
	usage();
}

/* monitor: the counters of "show stats", one row per interval. */

struct stats {
	uint64_t	cur, total, acc, dlv, tmp, perm, bnc, queue, held;
};

static void
stats_line(const char *text, void *arg)
{
	struct stats	*s = arg;
	const char	*eq = strchr(text, '=');
	uint64_t	 v;
	size_t		 klen;
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "network.sessions.current", offsetof(struct stats, cur) },
		{ "network.sessions.total", offsetof(struct stats, total) },
		{ "queue.accepted", offsetof(struct stats, acc) },
		{ "queue.delivered", offsetof(struct stats, dlv) },
		{ "queue.tempfail", offsetof(struct stats, tmp) },
		{ "queue.permfail", offsetof(struct stats, perm) },
		{ "queue.bounced", offsetof(struct stats, bnc) },
		{ "queue.messages", offsetof(struct stats, queue) },
		{ "queue.held", offsetof(struct stats, held) },
	};
	size_t		 i;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - text);
	v = strtoull(eq + 1, NULL, 10);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == klen &&
		    strncmp(text, keys[i].key, klen) == 0)
			*(uint64_t *)((char *)s + keys[i].off) = v;
}

int
cmd_monitor(int argc, char *argv[])
{
	struct stats	 prev, cur;
	char		 why[CTL_REPLY_MAX];
	const char	*errstr;
	long long	 interval = 1, count = 0, row;
	int		 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:i:")) != -1) {
		switch (ch) {
		case 'c':
			count = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(1, "count %s: %s", optarg, errstr);
			break;
		case 'i':
			interval = strtonum(optarg, 1, 60, &errstr);
			if (errstr != NULL)
				errx(1, "interval %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	ctl_connect_or_die();
	memset(&prev, 0, sizeof(prev));
	for (row = 0; count == 0 || row < count; row++) {
		memset(&cur, 0, sizeof(cur));
		if (ctl_request("show stats", stats_line, &cur, why,
		    sizeof(why)) != 0)
			errx(1, "%s", why);
		if (row % 20 == 0)
			printf("%8s %8s %8s %8s %8s %8s %8s %8s %8s\n",
			    "sessions", "new", "accepted", "delivered",
			    "tempfail", "permfail", "bounced", "queue",
			    "held");
		printf("%8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
		    " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
		    " %8" PRIu64 "\n", cur.cur, cur.total - prev.total,
		    cur.acc - prev.acc, cur.dlv - prev.dlv,
		    cur.tmp - prev.tmp, cur.perm - prev.perm,
		    cur.bnc - prev.bnc, cur.queue, cur.held);
		if (fflush(stdout) == EOF)
			err(1, "stdout");
		prev = cur;
		if (count == 0 || row + 1 < count)
			sleep((unsigned int)interval);
	}
	return 0;
}
