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
 * immp(1) mailbox commands (immp(7) MBOX, NOTIFICATIONS): check, index,
 * fetch, flag, move, copy, delete, folders, mkdir, rmdir, rename,
 * watch.  The arguments are parsed before anything is sent (mbox_parse,
 * no password is asked for a usage error); mbox_run speaks to the
 * server after login.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tls.h>

#include "immp.h"
#include "util.h"

#define WATCH_NOOP	60	/* seconds between NOOPs in watch */

static const char *const cmdnames[] = {
	"check", "index", "fetch", "flag", "move", "copy", "delete",
	"folders", "mkdir", "rmdir", "rename", "watch", NULL
};

static const struct option mbox_longopts[] = {
	{ "recursive",		no_argument,		NULL, 'r' },
	{ "output",		required_argument,	NULL, 'o' },
	{ "json",		no_argument,		NULL, 'j' },
	{ "pretty",		no_argument,		NULL, 'p' },
	{ "part",		required_argument,	NULL, 'P' },
	{ "keep-unread",	no_argument,		NULL, 'k' },
	{ "since",		required_argument,	NULL, 'S' },
	{ "limit",		required_argument,	NULL, 'L' },
	{ "from",		required_argument,	NULL, 'F' },
	{ "all",		no_argument,		NULL, 0x100 },
	{ "unread",		no_argument,		NULL, 0x101 },
	{ "seen",		no_argument,		NULL, 0x102 },
	{ "flagged",		no_argument,		NULL, 0x103 },
	{ "answered",		no_argument,		NULL, 0x104 },
	{ "deleted",		no_argument,		NULL, 0x105 },
	{ "draft",		no_argument,		NULL, 0x106 },
	{ NULL,			0,			NULL, 0 }
};

static const char *const selnames[] = {
	"all", "unread", "seen", "flagged", "answered", "deleted", "draft"
};

static int	 mbox_number(const char *, const char *);
static int	 mbox_word(const char *, char *, size_t);
static int	 mbox_answer(struct conn *, const char *, int, FILE *, int);
static int	 mbox_literal(struct conn *, uint64_t, int);
static int	 mbox_simple(struct conn *, const char *, int, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
static int	 mbox_fetch(struct conn *, struct mbox_args *);
static int	 mbox_watch(struct conn *);

int
mbox_is_cmd(const char *name)
{
	return immp_name_in(name, cmdnames);
}

/* A decimal number for an option; -1 if it is not one. */
static int
mbox_number(const char *opt, const char *s)
{
	size_t	 len = strlen(s);

	if (len == 0 || len > 20 || strspn(s, "0123456789") != len) {
		fprintf(stderr, "immp: %s wants a number: %s\n", opt, s);
		return -1;
	}
	return 0;
}

/* w quoted as a command word into out; -1 (printed) if impossible. */
static int
mbox_word(const char *w, char *out, size_t outsz)
{
	if (send_quote_word(w, out, outsz) == -1) {
		fprintf(stderr, "immp: cannot send %s\n", w);
		return -1;
	}
	return 0;
}

int
mbox_parse(int argc, char **argv, struct mbox_args *a)
{
	const char	*usage_flag = "usage: immp flag <folder>#<uuid> "
	    "(+|-)<flag> ...";
	int		 ch, i, nflag;
	size_t		 len;

	memset(a, 0, sizeof(*a));
	a->cmd = argv[0];
	a->sel = "all";
	if (strcmp(a->cmd, "flag") == 0) {
		/* "-flagged" is an argument here, not an option. */
		if (argc < 3) {
			fprintf(stderr, "%s\n", usage_flag);
			return -1;
		}
		a->args[0] = argv[1];
		a->nargs = 1;
		for (i = 2, nflag = 0; i < argc; i++, nflag++) {
			len = strlen(argv[i]);
			if (nflag == MBOX_ARGS_MAX - 1 || len < 2 ||
			    (argv[i][0] != '+' && argv[i][0] != '-') ||
			    strspn(argv[i] + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
			    len - 1 || !((argv[i][1] | 0x20) >= 'a' &&
			    (argv[i][1] | 0x20) <= 'z')) {
				fprintf(stderr, "immp: bad flag %s\n%s\n",
				    argv[i], usage_flag);
				return -1;
			}
			a->args[a->nargs++] = argv[i];
		}
		return 0;
	}
	optind = 0;
	while ((ch = getopt_long(argc, argv, "ro:", mbox_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			a->recursive = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'p':
			a->pretty = 1;
			break;
		case 'P':
			a->part = optarg;
			break;
		case 'k':
			a->keep_unread = 1;
			break;
		case 'S':
			if (mbox_number("--since", optarg) == -1)
				return -1;
			a->since = optarg;
			break;
		case 'L':
			if (mbox_number("--limit", optarg) == -1)
				return -1;
			a->limit = optarg;
			break;
		case 'F':
			if (mbox_number("--from", optarg) == -1)
				return -1;
			a->from = optarg;
			break;
		case 0x100: case 0x101: case 0x102: case 0x103:
		case 0x104: case 0x105: case 0x106:
			a->sel = selnames[ch - 0x100];
			break;
		default:
			return -1;
		}
	}
	for (i = optind; i < argc; i++) {
		if (a->nargs == MBOX_ARGS_MAX)
			return -1;
		a->args[a->nargs++] = argv[i];
	}
	if (a->pretty && !a->json) {
		fprintf(stderr, "immp: --pretty needs --json\n");
		return -1;
	}
	if (strcmp(a->cmd, "check") == 0 || strcmp(a->cmd, "index") == 0)
		return a->nargs <= 1 ? 0 : -1;
	if (strcmp(a->cmd, "fetch") == 0 || strcmp(a->cmd, "delete") == 0 ||
	    strcmp(a->cmd, "mkdir") == 0 || strcmp(a->cmd, "rmdir") == 0)
		return a->nargs == 1 ? 0 : -1;
	if (strcmp(a->cmd, "move") == 0 || strcmp(a->cmd, "copy") == 0 ||
	    strcmp(a->cmd, "rename") == 0)
		return a->nargs == 2 ? 0 : -1;
	return a->nargs == 0 ? 0 : -1;		/* folders, watch */
}

/*
 * Reads the answer to the command tagged id: data lines (code want, or
 * 243 for INDEX) are printed to out without their code (raw: the whole
 * text), notifications skipped.  Returns 0 if the final line is want2,
 * else prints it and returns EXIT_PERM or EXIT_TEMP.
 */
static int
mbox_answer(struct conn *c, const char *id, int want2, FILE *out,
    int quiet)
{
	struct reply	 r;
	int		 rv;

	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (strcmp(r.id, id) != 0)
			continue;	/* notification or other answer */
		if (r.code >= 100 && r.code < 200 && id[0] == '\0')
			continue;
		if (r.more) {
			if (out != NULL)
				fprintf(out, "%s\n", r.text);
			continue;
		}
		break;
	}
	if (r.code == want2) {
		if (!quiet && out != NULL)
			fprintf(out, "%s\n", r.text);
		return 0;
	}
	fprintf(stderr, "immp: %s\n", r.line);
	return conn_status(r.code);
}

/* One command with a one-line answer want: prints its text. */
static int
mbox_simple(struct conn *c, const char *shown, int want, const char *fmt,
    ...)
{
	char	 line[CMD_MAXLINE + 1];
	va_list	 ap;
	int	 n, rv;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fprintf(stderr, "immp: command too long\n");
		return EXIT_PERM;
	}
	if ((rv = conn_cmd(c, shown, "AS m %s", line)) != 0)
		return rv;
	return mbox_answer(c, "m", want, stdout, 0);
}

/* Copies n octets of a literal from the connection to fd. */
static int
mbox_literal(struct conn *c, uint64_t n, int fd)
{
	char	 buf[16384];
	size_t	 k;
	ssize_t	 r;

	while (n > 0) {
		if (c->off < c->len) {
			k = c->len - c->off;
			if (k > n)
				k = (size_t)n;
			if (write_full(fd, c->buf + c->off, k) == -1) {
				fprintf(stderr, "immp: write: %s\n",
				    strerror(errno));
				return EXIT_PERM;
			}
			c->off += k;
			n -= k;
			continue;
		}
		c->off = c->len = 0;
		k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		r = tls_read(c->tls, buf, k);
		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT)
			continue;
		if (r <= 0) {
			fprintf(stderr, "immp: %s: connection lost inside a "
			    "message\n", c->peer);
			return EXIT_TEMP;
		}
		if (write_full(fd, buf, (size_t)r) == -1) {
			fprintf(stderr, "immp: write: %s\n", strerror(errno));
			return EXIT_PERM;
		}
		n -= (uint64_t)r;
	}
	return 0;
}

static int
mbox_fetch(struct conn *c, struct mbox_args *a)
{
	struct reply	 r;
	char		 ref[CMD_MAXLINE / 2], part[64] = "";
	const char	*p;
	uint64_t	 n;
	int		 fd = STDOUT_FILENO, rv;

	if (mbox_word(a->args[0], ref, sizeof(ref)) == -1)
		return EXIT_PERM;
	if (a->part != NULL && (strlen(a->part) > 32 ||
	    strspn(a->part, "0123456789.") != strlen(a->part))) {
		fprintf(stderr, "immp: bad part id %s\n", a->part);
		return EXIT_PERM;
	}
	if (a->part != NULL)
		(void)snprintf(part, sizeof(part), " PART %s", a->part);
	if ((rv = conn_cmd(c, NULL, "AS f MBOX FETCH %s%s%s%s%s", ref, part,
	    a->json ? " +JSON" : "", a->pretty ? " +PRETTY" : "",
	    a->keep_unread ? " -READ" : "")) != 0)
		return rv;
	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (strcmp(r.id, "f") == 0 && !r.more)
			break;
	}
	if (r.code != 250 && r.code != 251) {
		fprintf(stderr, "immp: %s\n", r.line);
		return conn_status(r.code);
	}
	if ((p = strstr(r.text, " LENGTH ")) == NULL ||
	    sscanf(p + 8, "%" SCNu64, &n) != 1) {
		fprintf(stderr, "immp: no LENGTH in %s\n", r.line);
		return EXIT_PERM;
	}
	if (a->output != NULL && (fd = open(a->output, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "immp: %s: %s\n", a->output, strerror(errno));
		return EXIT_PERM;
	}
	rv = mbox_literal(c, n, fd);
	if (fd != STDOUT_FILENO && close(fd) == -1 && rv == 0) {
		fprintf(stderr, "immp: %s: %s\n", a->output, strerror(errno));
		rv = EXIT_PERM;
	}
	return rv;
}

static void
watch_stop(int sig)
{
	_exit(0);
}

/* Prints notifications until SIGINT; a NOOP now and then keeps it up. */
static int
mbox_watch(struct conn *c)
{
	struct reply	 r;
	struct pollfd	 pfd;
	int		 rv, n;

	signal(SIGINT, watch_stop);
	signal(SIGTERM, watch_stop);
	/* An answer proves that the session is ready before we wait. */
	if ((rv = conn_cmd(c, NULL, "AS w NOOP")) != 0 ||
	    (rv = mbox_answer(c, "w", 200, NULL, 1)) != 0)
		return rv;
	printf("immp: watching, ^C to stop\n");
	fflush(stdout);
	for (;;) {
		if (memchr(c->buf + c->off, '\n', c->len - c->off) == NULL) {
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			n = poll(&pfd, 1, WATCH_NOOP * 1000);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0) {
				if ((rv = conn_cmd(c, NULL, "NOOP")) != 0)
					return rv;
				continue;
			}
		}
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (r.id[0] == '\0' && ((r.code >= 150 && r.code <= 153) ||
		    r.code == 160 || r.code == 161)) {
			printf("%s\n", r.line);
			fflush(stdout);
			if (r.code >= 160)	/* a push (push.c) */
				push_notify(&r);
		} else if (r.code >= 700)
			return conn_status(r.code);
	}
}

int
mbox_run(struct conn *c, struct mbox_args *a)
{
	char	 w1[CMD_MAXLINE / 2], w2[CMD_MAXLINE / 4], extra[200];
	char	*hash;
	int	 rv;

	if (strcmp(a->cmd, "watch") == 0)
		return mbox_watch(c);
	if (strcmp(a->cmd, "folders") == 0) {
		if ((rv = conn_cmd(c, NULL, "AS m MBOX LIST")) != 0)
			return rv;
		return mbox_answer(c, "m", 244, stdout, 0);
	}
	if (strcmp(a->cmd, "check") == 0) {
		if (mbox_word(a->nargs ? a->args[0] : (a->recursive ? "/" :
		    "/INBOX"), w1, sizeof(w1)) == -1)
			return EXIT_PERM;
		if ((rv = conn_cmd(c, NULL, "AS m MBOX CHECK %s%s", w1,
		    a->recursive ? " +RECURSIVE" : "")) != 0)
			return rv;
		return mbox_answer(c, "m", 240, stdout, 0);
	}
	if (strcmp(a->cmd, "index") == 0) {
		if (mbox_word(a->nargs ? a->args[0] : "/INBOX", w1,
		    sizeof(w1)) == -1)
			return EXIT_PERM;
		(void)snprintf(extra, sizeof(extra), "%s%s%s%s%s%s%s",
		    a->json ? " +JSON" : "",
		    a->from ? " FROM " : "", a->from ? a->from : "",
		    a->limit ? " LIMIT " : "", a->limit ? a->limit : "",
		    a->since ? " SINCE " : "", a->since ? a->since : "");
		if ((rv = conn_cmd(c, NULL, "AS m MBOX INDEX %s%s%s%s", w1,
		    strcmp(a->sel, "all") != 0 ? "::" : "",
		    strcmp(a->sel, "all") != 0 ? a->sel : "", extra)) != 0)
			return rv;
		rv = mbox_answer(c, "m", 242, stdout, 1);
		return rv;
	}
	if (strcmp(a->cmd, "fetch") == 0)
		return mbox_fetch(c, a);
	if (strcmp(a->cmd, "mkdir") == 0 || strcmp(a->cmd, "rmdir") == 0) {
		if (mbox_word(a->args[0], w1, sizeof(w1)) == -1)
			return EXIT_PERM;
		return mbox_simple(c, NULL, 245, "MBOX %s %s",
		    a->cmd[0] == 'm' ? "CREATE" : "DELETE", w1);
	}
	if (strcmp(a->cmd, "rename") == 0 || strcmp(a->cmd, "move") == 0 ||
	    strcmp(a->cmd, "copy") == 0) {
		if (mbox_word(a->args[0], w1, sizeof(w1)) == -1 ||
		    mbox_word(a->args[1], w2, sizeof(w2)) == -1)
			return EXIT_PERM;
		return mbox_simple(c, NULL, a->cmd[0] == 'r' ? 245 : 247,
		    "MBOX %s %s %s", a->cmd[0] == 'r' ? "RENAME" :
		    a->cmd[0] == 'm' ? "MOVE" : "COPY", w1, w2);
	}
	if (strcmp(a->cmd, "flag") == 0) {
		int	 i;
		char	 flags[CMD_MAXLINE / 4] = "";

		if (mbox_word(a->args[0], w1, sizeof(w1)) == -1)
			return EXIT_PERM;
		for (i = 1; i < a->nargs; i++)
			if (strlcat(flags, " ", sizeof(flags)) >=
			    sizeof(flags) || strlcat(flags, a->args[i],
			    sizeof(flags)) >= sizeof(flags))
				return EXIT_PERM;
		return mbox_simple(c, NULL, 246, "MBOX FLAG %s%s", w1, flags);
	}
	if (strcmp(a->cmd, "delete") == 0) {
		/* \Deleted, then expunge just that message. */
		if (mbox_word(a->args[0], w1, sizeof(w1)) == -1)
			return EXIT_PERM;
		if ((hash = strchr(a->args[0], '#')) == NULL) {
			fprintf(stderr, "immp: delete wants <folder>#<uuid>\n");
			return EXIT_PERM;
		}
		if ((rv = conn_cmd(c, NULL, "AS d MBOX FLAG %s +DELETED",
		    w1)) != 0 ||
		    (rv = mbox_answer(c, "d", 246, NULL, 1)) != 0)
			return rv;
		return mbox_simple(c, NULL, 248, "MBOX EXPUNGE %s", w1);
	}
	return EXIT_PERM;
}
