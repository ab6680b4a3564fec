/*
 * immp(1) subscriptions and push notifications (immp(7) PUSH, PUBLISH,
 * SUBSCRIBE; draft 3.2.3, 3.4):
 *
 *   subscribe <immp://node@domain?subscribe | node>   SUBSCRIBE TO
 *   subscriptions                                      SUBSCRIBE LIST
 *   unsubscribe <uuid | node | link>                   UNSUBSCRIBE
 *   publish [--create title] [-i] node [file | -]      PUBLISH
 *   publish --delete node                              PUBLISH DELETE
 *   nodes                                              PUBLISH LIST
 *   push -t imid ... -f node [-i] [file | -]           PUSH TO
 *   push -t domain -f node [-i] [file | -]             PUSH TO (3.4.1)
 *   pushes | held | approve uuid | drop uuid           PUSH ...
 *
 * Links and nodes are checked with the daemon's own parser (immpuri.h),
 * a push's domain with imid_domain_valid, before anything is sent;
 * arguments never reach a shell.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "imid.h"
#include "immp.h"
#include "immpuri.h"
#include "ipc_push.h"
#include "util.h"

extern char	**environ;

static const char *const cmdnames[] = {
	"subscribe", "subscriptions", "unsubscribe", "publish", "push",
	"pushes", "held", "approve", "drop", "nodes", NULL
};

int
push_is_cmd(const char *name)
{
	return immp_name_in(name, cmdnames);
}

/* A node or link operand into its canonical text; -1 after a message. */
static int
node_operand(const char *s, char *out, size_t size)
{
	struct immp_uri	 u;
	const char	*err;

	if (immpuri_parse(s, &u, &err) == -1 ||
	    pubid_format(&u.node, out, size) == -1) {
		fprintf(stderr, "immp: %s: not a node or immp:// link (%s)\n",
		    s, err);
		return -1;
	}
	return 0;
}

/*
 * A push's recipient without "@": a domain (draft 3.4.1); "FROM" would
 * make the command line ambiguous.  0, or -1 after a message.
 */
static int
domain_operand(const char *s)
{
	if (!imid_domain_valid(s) || strcasecmp(s, "FROM") == 0) {
		fprintf(stderr, "immp: %s: not a domain\n", s);
		return -1;
	}
	return 0;
}

static int
uuid_operand(const char *s)
{
	if (!uuid_valid(s)) {
		fprintf(stderr, "immp: %s: not a UUID\n", s);
		return -1;
	}
	return 0;
}

int
push_parse(int argc, char **argv, struct push_args *a)
{
	int	 i;

	memset(a, 0, sizeof(*a));
	a->cmd = argv[0];
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)
			break;
		if (strcmp(argv[i], "-i") == 0 ||
		    strcmp(argv[i], "--important") == 0)
			a->important = 1;
		else if ((strcmp(argv[i], "-t") == 0 ||
		    strcmp(argv[i], "--to") == 0) && i + 1 < argc &&
		    strcmp(a->cmd, "push") == 0) {
			if (a->nrcpt == IMMP_MAXRCPT)
				return -1;
			a->rcpt[a->nrcpt++] = argv[++i];
		} else if ((strcmp(argv[i], "-f") == 0 ||
		    strcmp(argv[i], "--from") == 0) && i + 1 < argc &&
		    strcmp(a->cmd, "push") == 0 && a->from == NULL)
			a->from = argv[++i];
		else if (strcmp(argv[i], "--create") == 0 && i + 1 < argc &&
		    strcmp(a->cmd, "publish") == 0 && a->title == NULL)
			a->title = argv[++i];
		else if (strcmp(argv[i], "--delete") == 0 &&
		    strcmp(a->cmd, "publish") == 0 && !a->delete_node)
			a->delete_node = 1;
		else
			return -1;
	}
	for (; i < argc; i++) {
		if (a->nargs == PUSH_ARGS_MAX)
			return -1;
		a->args[a->nargs++] = argv[i];
	}
	if (a->important && strcmp(a->cmd, "push") != 0 &&
	    strcmp(a->cmd, "publish") != 0)
		return -1;
	if (strcmp(a->cmd, "subscribe") == 0 ||
	    strcmp(a->cmd, "unsubscribe") == 0 ||
	    strcmp(a->cmd, "approve") == 0 || strcmp(a->cmd, "drop") == 0)
		return a->nargs == 1 ? 0 : -1;
	if (strcmp(a->cmd, "subscriptions") == 0 ||
	    strcmp(a->cmd, "pushes") == 0 || strcmp(a->cmd, "held") == 0 ||
	    strcmp(a->cmd, "nodes") == 0)
		return a->nargs == 0 ? 0 : -1;
	if (strcmp(a->cmd, "publish") == 0 && a->delete_node)
		return a->nargs == 1 && a->title == NULL && !a->important ?
		    0 : -1;
	if (strcmp(a->cmd, "publish") == 0)
		return a->nargs == 1 || (a->nargs == 2 && a->title == NULL) ?
		    0 : -1;
	if (strcmp(a->cmd, "push") != 0 || a->nrcpt == 0 ||
	    a->from == NULL || a->nargs > 1)
		return -1;
	for (i = 0; i < a->nrcpt; i++)	/* a domain is the only -t */
		if (strchr(a->rcpt[i], '@') == NULL && a->nrcpt > 1)
			return -1;
	return 0;
}

/* The push's text: file, or standard input; at most PUSH_MAX_SIZE. */
static int
read_body(const char *path, char *buf, size_t *len)
{
	ssize_t	 n;
	int	 fd = STDIN_FILENO;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "immp: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*len = 0;
	for (;;) {
		n = read(fd, buf + *len, PUSH_MAX_SIZE + 1 - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += n;
		if (*len > PUSH_MAX_SIZE)
			break;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == -1) {
		fprintf(stderr, "immp: read: %s\n", strerror(errno));
		return -1;
	}
	if (*len == 0 || *len > PUSH_MAX_SIZE) {
		fprintf(stderr, "immp: a push is 1 to %d octets\n",
		    PUSH_MAX_SIZE);
		return -1;
	}
	return 0;
}

/* The answer to "AS p ...": list lines to stdout, the last checked. */
static int
answer(struct conn *c, int want, int show_last)
{
	struct reply	 r;
	int		 rv;

	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (strcmp(r.id, "p") != 0)
			continue;	/* a notification */
		if (r.more) {
			printf("%s\n", r.text);
			continue;
		}
		if (r.code == 271)
			continue;	/* the DATA block is being saved */
		if (r.code >= 300 && r.code < 400) {
			if (show_last)
				fprintf(stderr, "immp: %s\n", r.text);
			continue;	/* 380: the publisher is asked */
		}
		break;
	}
	if (r.code == want) {
		if (show_last)
			printf("%s\n", r.text);
		return 0;
	}
	fprintf(stderr, "immp: %s\n", r.line);
	return conn_status(r.code);
}

/*
 * A count at the start of p, followed by SP: 0 to 4294967295, no
 * leading zero.  Its number of digits, or 0 if there is none.
 */
static size_t
count_word(const char *p, long long *val)
{
	const char	*errstr;
	char		 num[11];
	size_t		 n;

	n = strspn(p, "0123456789");
	if (n == 0 || n >= sizeof(num) || (n > 1 && p[0] == '0') ||
	    p[n] != ' ')
		return 0;
	memcpy(num, p, n);
	num[n] = '\0';
	*val = strtonum(num, 0, 4294967295LL, &errstr);
	return errstr == NULL ? n : 0;
}

/*
 * One "291 <node> <subscribers> <title>" line of PUBLISH LIST as
 * "<node>\t<subscribers>\t<title>" on stdout; -1 if it is not one.
 */
static int
node_line(const char *text)
{
	struct pubid	 id;
	char		 node[PUB_TEXT_MAX], canon[PUB_TEXT_MAX];
	const char	*p, *err, *title;
	long long	 subs;
	size_t		 n, ndig;

	n = strcspn(text, " ");
	if (n == 0 || n >= sizeof(node) || text[n] != ' ')
		return -1;
	memcpy(node, text, n);
	node[n] = '\0';
	if (pubid_parse(node, &id, &err) == -1 ||
	    pubid_format(&id, canon, sizeof(canon)) == -1)
		return -1;
	p = text + n + 1;
	if ((ndig = count_word(p, &subs)) == 0)
		return -1;
	title = p + ndig + 1;
	if (*title == '\0' || strchr(title, '\t') != NULL)
		return -1;
	printf("%s\t%lld\t%s\n", canon, subs, title);
	return 0;
}

/*
 * The answer to "AS p PUBLISH LIST": each 291 line printed by
 * node_line, up to "293 <n> nodes.", whose n must be the number of
 * lines.  Another final reply is the server's refusal; a malformed 291
 * or 293, or another continuation line, is refused.
 */
static int
node_list(struct conn *c)
{
	struct reply	 r;
	long long	 count = 0, n;
	int		 rv;

	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (strcmp(r.id, "p") != 0)
			continue;	/* a notification */
		if (r.code == 291) {
			if (node_line(r.text) == -1) {
				fprintf(stderr, "immp: bad node line: %s\n",
				    r.line);
				return EXIT_PERM;
			}
			count++;
			continue;
		}
		if (!r.more)
			break;
		fprintf(stderr, "immp: unexpected reply: %s\n", r.line);
		return EXIT_PERM;
	}
	if (r.code != 293) {
		fprintf(stderr, "immp: %s\n", r.line);
		return conn_status(r.code);
	}
	if (count_word(r.text, &n) == 0 || n != count) {
		fprintf(stderr, "immp: bad count: %s\n", r.line);
		return EXIT_PERM;
	}
	return 0;
}

/* "... 270", one DATA block, DONE, "273 <uuid>": prints the UUID. */
static int
send_push(struct conn *c, const char *line, const char *path)
{
	struct reply	 r;
	char		 body[PUSH_MAX_SIZE + 1];
	size_t		 len;
	int		 rv;

	if (read_body(path, body, &len) == -1)
		return EXIT_PERM;
	if ((rv = conn_cmd(c, NULL, "AS p %s", line)) != 0)
		return rv;
	for (;;) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (strcmp(r.id, "p") == 0)
			break;
	}
	if (r.code == 292) {
		printf("%s\n", r.text);	/* PUBLISH: nobody to tell */
		return 0;
	}
	if (r.code != 270) {
		fprintf(stderr, "immp: %s\n", r.line);
		return conn_status(r.code);
	}
	if ((rv = conn_cmd(c, NULL, "AS p DATA NAME push TYPE text/plain "
	    "LENGTH %zu", len)) != 0 || (rv = conn_write(c, body, len)) != 0)
		return rv;
	if ((rv = answer(c, 272, 0)) != 0)
		return rv;
	if ((rv = conn_cmd(c, NULL, "AS p DONE")) != 0)
		return rv;
	return answer(c, 273, 1);
}

int
push_run(struct conn *c, struct push_args *a)
{
	char	 node[PUB_TEXT_MAX], line[CMD_MAXLINE], title[256];
	size_t	 len;
	int	 i, rv;

	if (strcmp(a->cmd, "subscribe") == 0) {
		if (node_operand(a->args[0], node, sizeof(node)) == -1)
			return EXIT_PERM;
		if ((rv = conn_cmd(c, NULL, "AS p SUBSCRIBE TO %s", node)) != 0)
			return rv;
		return answer(c, 280, 1);
	}
	if (strcmp(a->cmd, "subscriptions") == 0) {
		if ((rv = conn_cmd(c, NULL, "AS p SUBSCRIBE LIST")) != 0)
			return rv;
		return answer(c, 282, 1);
	}
	if (strcmp(a->cmd, "unsubscribe") == 0) {
		if (uuid_valid(a->args[0]))
			(void)strlcpy(node, a->args[0], sizeof(node));
		else if (node_operand(a->args[0], node, sizeof(node)) == -1)
			return EXIT_PERM;
		if ((rv = conn_cmd(c, NULL, "AS p UNSUBSCRIBE %s", node)) != 0)
			return rv;
		return answer(c, 283, 1);
	}
	if (strcmp(a->cmd, "pushes") == 0 || strcmp(a->cmd, "held") == 0) {
		if ((rv = conn_cmd(c, NULL, "AS p PUSH %s", a->cmd[0] == 'p' ?
		    "LIST" : "HELD")) != 0)
			return rv;
		return answer(c, a->cmd[0] == 'p' ? 263 : 265, 1);
	}
	if (strcmp(a->cmd, "approve") == 0 || strcmp(a->cmd, "drop") == 0) {
		if (uuid_operand(a->args[0]) == -1)
			return EXIT_PERM;
		if ((rv = conn_cmd(c, NULL, "AS p PUSH %s %s",
		    a->cmd[0] == 'a' ? "APPROVE" : "DROP", a->args[0])) != 0)
			return rv;
		return answer(c, a->cmd[0] == 'a' ? 266 : 267, 1);
	}
	if (strcmp(a->cmd, "nodes") == 0) {
		if ((rv = conn_cmd(c, NULL, "AS p PUBLISH LIST")) != 0)
			return rv;
		return node_list(c);
	}
	if (strcmp(a->cmd, "publish") == 0) {
		if (node_operand(a->args[0], node, sizeof(node)) == -1)
			return EXIT_PERM;
		if (a->delete_node) {
			if ((rv = conn_cmd(c, NULL, "AS p PUBLISH DELETE %s",
			    node)) != 0)
				return rv;
			return answer(c, 294, 1);
		}
		if (a->title != NULL) {
			if (send_quote_word(a->title, title, sizeof(title)) ==
			    -1) {
				fprintf(stderr, "immp: bad title\n");
				return EXIT_PERM;
			}
			if ((rv = conn_cmd(c, NULL, "AS p PUBLISH CREATE %s %s",
			    node, title)) != 0)
				return rv;
			return answer(c, 290, 1);
		}
		(void)snprintf(line, sizeof(line), "PUBLISH TO %s%s", node,
		    a->important ? " +IMPORTANT" : "");
		return send_push(c, line, a->nargs == 2 ? a->args[1] : NULL);
	}
	if (strcmp(a->cmd, "push") == 0) {
		if (node_operand(a->from, node, sizeof(node)) == -1)
			return EXIT_PERM;
		len = strlcpy(line, "PUSH TO", sizeof(line));
		for (i = 0; i < a->nrcpt; i++) {
			if (strchr(a->rcpt[i], '@') == NULL) {
				if (domain_operand(a->rcpt[i]) == -1)
					return EXIT_PERM;
			} else if (strpbrk(a->rcpt[i], " \t\r\n\";") != NULL ||
			    a->rcpt[i][0] == '\0') {
				fprintf(stderr, "immp: bad recipient %s\n",
				    a->rcpt[i]);
				return EXIT_PERM;
			}
			len += snprintf(line + len, sizeof(line) - len, " %s",
			    a->rcpt[i]);
			if (len >= sizeof(line) - PUB_TEXT_MAX - 32)
				return EXIT_PERM;
		}
		(void)snprintf(line + len, sizeof(line) - len, " FROM %s%s",
		    node, a->important ? " +IMPORTANT" : "");
		return send_push(c, line, a->nargs == 1 ? a->args[0] : NULL);
	}
	return EXIT_PERM;
}

/*
 * A live push line (160, 161) in immp watch: printed by the caller; a
 * desktop notification where notify-send exists, with a fixed argv
 * (no shell) and "--" before the texts, which come from the network.
 */
void
push_notify(const struct reply *r)
{
	char		 summary[PUB_TEXT_MAX + 16];
	char		 word[3][PUB_TEXT_MAX];
	const char	*p = r->text, *body;
	char		*argv[10];
	pid_t		 pid;
	size_t		 n;
	int		 i, k = 0;

	for (i = 0; i < 3; i++) {	/* uuid, node, length */
		n = strcspn(p, " ");
		if (n == 0 || n >= sizeof(word[i]))
			return;
		memcpy(word[i], p, n);
		word[i][n] = '\0';
		p += n;
		if (*p == ' ')
			p++;
	}
	body = p;
	(void)snprintf(summary, sizeof(summary), "%s", word[1]);
	argv[k++] = "notify-send";
	argv[k++] = "--app-name=immp";
	if (r->code == PUSH_CODE_IMPORTANT)
		argv[k++] = "--urgency=critical";
	argv[k++] = "--";
	argv[k++] = summary;
	argv[k++] = (char *)(*body != '\0' ? body : word[0]);
	argv[k] = NULL;
	signal(SIGCHLD, SIG_IGN);	/* no zombies */
	if (posix_spawnp(&pid, "notify-send", NULL, NULL, argv, environ) != 0)
		return;	/* not installed: the printed line is enough */
}
