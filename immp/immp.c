/*
 * immp(1): send a message through an IMMP server.
 *
 *   immp [-v] [-H host[:port]] [-u account] [--password-file file]
 *        [--ca file | --insecure] [--servername name] [--device name]
 *        send -t imid ... [-s subject] [-a file] ... [--html file]
 *        [file | -]
 *   immp [options] send -t imid ... --raw message.eml
 *
 * Exit status: 0 accepted, 1 refused or usage error, 2 temporary
 * failure (7xx reply, network trouble): try again later.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <tls.h>

#include "immp.h"

#define IMMP_DEFAULT_PORT	"1025"
#define IMMP_PASSWORD_MAX	1024

struct options {
	const char	*host;		/* -H, may hold ":port" */
	const char	*account;	/* -u or $IMMP_ACCOUNT */
	const char	*password_file;
	const char	*cafile;
	const char	*servername;
	const char	*device;
	int		 insecure;
	int		 verbose;

	/* send */
	char		*rcpt[IMMP_MAXRCPT];
	int		 nrcpt;
	const char	*subject;
	const char	*attach[IMMP_MAXPARTS];
	int		 nattach;
	const char	*html;
	const char	*raw;
};

enum {
	OPT_PASSWORD_FILE = 256,
	OPT_CA,
	OPT_INSECURE,
	OPT_SERVERNAME,
	OPT_DEVICE,
	OPT_HTML,
	OPT_RAW,
	OPT_HELP
};

static const struct option longopts[] = {
	{ "host",		required_argument,	NULL, 'H' },
	{ "user",		required_argument,	NULL, 'u' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "password-file",	required_argument,	NULL,
	    OPT_PASSWORD_FILE },
	{ "ca",			required_argument,	NULL, OPT_CA },
	{ "insecure",		no_argument,		NULL, OPT_INSECURE },
	{ "servername",		required_argument,	NULL, OPT_SERVERNAME },
	{ "device",		required_argument,	NULL, OPT_DEVICE },
	{ "to",			required_argument,	NULL, 't' },
	{ "subject",		required_argument,	NULL, 's' },
	{ "attach",		required_argument,	NULL, 'a' },
	{ "html",		required_argument,	NULL, OPT_HTML },
	{ "raw",		required_argument,	NULL, OPT_RAW },
	{ "help",		no_argument,		NULL, OPT_HELP },
	{ NULL,			0,			NULL, 0 }
};

static void __attribute__((noreturn))	usage(void);
static int	parse_options(struct options *, int, char **, int);
static int	read_file(const char *, char **, size_t *);
static int	add_part(struct part *, int *, const char *, const char *,
		    int, char *, size_t);
static int	build_parts(struct options *, const char *, struct part *,
		    int *);
static int	get_password(const struct options *, char *, size_t);
static int	split_host(const struct options *, char *, size_t, char *,
		    size_t);
static int	check_target(struct options *, char *, size_t, char *, size_t,
		    const char **);
static int	log_in(const struct options *, struct conn *, const char *,
		    const char *, const char *);
static int	session_open(struct options *, struct conn *);
static int	session_close(struct conn *, int);
static int	cmd_send(struct options *, int, char **);
static int	cmd_mbox(struct options *, int, char **);
static int	cmd_push(struct options *, int, char **);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: immp [-v] [-H host[:port]] [-u account] "
	    "[--password-file file]\n"
	    "            [--ca file | --insecure] [--servername name] "
	    "[--device name]\n"
	    "            send -t imid ... [-s subject] [-a file] ... "
	    "[--html file] [file | -]\n"
	    "       immp [options] send -t imid ... --raw message.eml\n"
	    "       immp [options] check [folder] [-r] | index [folder] "
	    "[--unread ...]\n"
	    "            [--json] [--since n] [--limit n] [--from uid] |\n"
	    "            fetch folder#uuid [-o file] [--json [--pretty]] "
	    "[--part id]\n"
	    "            [--keep-unread] | flag folder#uuid (+|-)flag ... |\n"
	    "            move|copy folder#uuid folder | delete folder#uuid |"
	    " folders |\n"
	    "            mkdir|rmdir folder | rename folder newfolder | "
	    "watch\n"
	    "       immp [options] subscribe link | subscriptions | "
	    "unsubscribe uuid|node |\n"
	    "            publish [--create title] [-i] node [file] |\n"
	    "            publish --delete node | nodes | pushes | held | "
	    "approve uuid |\n"
	    "            drop uuid | push -t imid ... -f node [-i] [file] |\n"
	    "            push -t domain -f node [-i] [file]\n");
	exit(EXIT_PERM);
}

/*
 * Options may come before and after "send".  In_send is 0 for the
 * global part (stops at the first operand) and 1 for the subcommand.
 * Returns optind.
 */
static int
parse_options(struct options *o, int argc, char **argv, int in_send)
{
	char	*list, *tok;
	int	 ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv,
	    in_send ? "H:u:vt:s:a:" : "+H:u:v", longopts, NULL)) != -1) {
		if (!in_send && (ch == 't' || ch == 's' || ch == 'a' ||
		    ch == OPT_HTML || ch == OPT_RAW))
			usage();
		switch (ch) {
		case 'H':
			o->host = optarg;
			break;
		case 'u':
			o->account = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_PASSWORD_FILE:
			o->password_file = optarg;
			break;
		case OPT_CA:
			o->cafile = optarg;
			break;
		case OPT_INSECURE:
			o->insecure = 1;
			break;
		case OPT_SERVERNAME:
			o->servername = optarg;
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case 't':
			/* -t a -t b, or -t "a b". */
			list = optarg;
			while ((tok = strsep(&list, " \t")) != NULL) {
				if (*tok == '\0')
					continue;
				if (o->nrcpt == IMMP_MAXRCPT)
					errx(EXIT_PERM, "at most %d recipients",
					    IMMP_MAXRCPT);
				o->rcpt[o->nrcpt++] = tok;
			}
			break;
		case 's':
			o->subject = optarg;
			break;
		case 'a':
			if (o->nattach == IMMP_MAXPARTS - 3)
				errx(EXIT_PERM, "too many attachments");
			o->attach[o->nattach++] = optarg;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_RAW:
			o->raw = optarg;
			break;
		default:
			usage();
		}
	}
	return optind;
}

/* Reads a whole file ("-" = stdin) into a new buffer; 0 or -1 (warned). */
static int
read_file(const char *path, char **data, size_t *len)
{
	char	*buf = NULL, *nbuf;
	size_t	 size = 0, n = 0;
	ssize_t	 r;
	int	 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", path);
		return -1;
	}
	for (;;) {
		if (n == size) {
			if (size >= IMMP_MAXFILE) {
				warnx("%s: too large", path);
				goto fail;
			}
			size = size ? size * 2 : 65536;
			if ((nbuf = realloc(buf, size)) == NULL) {
				warn("%s", path);
				goto fail;
			}
			buf = nbuf;
		}
		r = read(fd, buf + n, size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			warn("%s", path);
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*data = buf;
	*len = n;
	return 0;
 fail:
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	return -1;
}

static int
add_part(struct part *parts, int *nparts, const char *name,
    const char *type, int content, char *data, size_t len)
{
	struct part	*p;

	if (*nparts == IMMP_MAXPARTS) {
		warnx("too many parts");
		free(data);
		return -1;
	}
	p = &parts[(*nparts)++];
	if ((p->name = strdup(name)) == NULL)
		err(EXIT_TEMP, NULL);
	p->type = type;
	p->content = content;
	p->data = data;
	p->len = len;
	return 0;
}

/* Loads every part named on the command line; 0 or -1 (warned). */
static int
build_parts(struct options *o, const char *body, struct part *parts,
    int *nparts)
{
	char	*data, *copy, *base, *meta;
	size_t	 len;
	int	 i, others;

	*nparts = 0;
	if (o->raw != NULL) {
		if (read_file(o->raw, &data, &len) == -1)
			return -1;
		if ((copy = strdup(o->raw)) == NULL)
			err(EXIT_TEMP, NULL);
		base = strcmp(o->raw, "-") == 0 ? "message.eml" :
		    basename(copy);
		i = add_part(parts, nparts, base, "message/rfc822", 0, data,
		    len);
		free(copy);
		return i;
	}
	if (o->subject != NULL) {
		if (strpbrk(o->subject, "\r\n") != NULL) {
			warnx("the subject may not hold a line break");
			return -1;
		}
		if (asprintf(&meta, "Subject: %s\n", o->subject) == -1)
			err(EXIT_TEMP, NULL);
		if (add_part(parts, nparts, "metadata",
		    "text/rfc822-headers", 0, meta, strlen(meta)) == -1)
			return -1;
	}
	others = (o->html != NULL || o->nattach > 0);
	if (body == NULL && !(others && isatty(STDIN_FILENO)))
		body = "-";
	if (body != NULL) {
		if (read_file(body, &data, &len) == -1)
			return -1;
		if (len == 0 && others)
			free(data);
		else if (add_part(parts, nparts, "body.txt", "text/plain", 1,
		    data, len) == -1)
			return -1;
	}
	if (o->html != NULL) {
		if (read_file(o->html, &data, &len) == -1)
			return -1;
		if (add_part(parts, nparts, "body.html", "text/html", 1, data,
		    len) == -1)
			return -1;
	}
	for (i = 0; i < o->nattach; i++) {
		if (read_file(o->attach[i], &data, &len) == -1)
			return -1;
		if ((copy = strdup(o->attach[i])) == NULL)
			err(EXIT_TEMP, NULL);
		base = basename(copy);
		if (add_part(parts, nparts, base, send_guess_type(base), 0,
		    data, len) == -1) {
			free(copy);
			return -1;
		}
		free(copy);
	}
	return 0;
}

/* --password-file (first line), $IMMP_PASSWORD, or a prompt. */
static int
get_password(const struct options *o, char *buf, size_t size)
{
	char	 prompt[300];
	FILE	*fp;
	size_t	 n;

	if (o->password_file != NULL) {
		if ((fp = fopen(o->password_file, "re")) == NULL) {
			warn("%s", o->password_file);
			return -1;
		}
		if (fgets(buf, size, fp) == NULL) {
			warnx("%s: no password in the first line",
			    o->password_file);
			fclose(fp);
			return -1;
		}
		fclose(fp);
		n = strcspn(buf, "\r\n");
		buf[n] = '\0';
	} else if (getenv("IMMP_PASSWORD") != NULL) {
		if (strlcpy(buf, getenv("IMMP_PASSWORD"), size) >= size) {
			warnx("IMMP_PASSWORD is too long");
			return -1;
		}
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s: ",
		    o->account);
		if (readpassphrase(prompt, buf, size, RPP_REQUIRE_TTY)
		    == NULL) {
			warnx("no password: use --password-file, "
			    "IMMP_PASSWORD or a terminal");
			return -1;
		}
	}
	if (buf[0] == '\0') {
		warnx("empty password");
		return -1;
	}
	return 0;
}

/* host[:port], [v6]:port or the account's domain; 0 or -1. */
static int
split_host(const struct options *o, char *host, size_t hsz, char *port,
    size_t psz)
{
	const char	*h = o->host, *colon, *end;

	strlcpy(port, IMMP_DEFAULT_PORT, psz);
	if (h == NULL) {
		h = strrchr(o->account, '@') + 1;
		return strlcpy(host, h, hsz) < hsz ? 0 : -1;
	}
	if (h[0] == '[') {
		if ((end = strchr(h, ']')) == NULL || (size_t)(end - h) > hsz)
			return -1;
		memcpy(host, h + 1, end - h - 1);
		host[end - h - 1] = '\0';
		if (end[1] == ':')
			return strlcpy(port, end + 2, psz) < psz &&
			    end[2] != '\0' ? 0 : -1;
		return end[1] == '\0' ? 0 : -1;
	}
	colon = strchr(h, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		colon = NULL;		/* bare IPv6 address */
	if (colon == NULL)
		return strlcpy(host, h, hsz) < hsz ? 0 : -1;
	if ((size_t)(colon - h) >= hsz || colon[1] == '\0' ||
	    strlcpy(port, colon + 1, psz) >= psz)
		return -1;
	memcpy(host, h, colon - h);
	host[colon - h] = '\0';
	return host[0] != '\0' ? 0 : -1;
}

/*
 * The checks of the options every command that talks to a server
 * makes: --ca without --insecure, the account (-u or IMMP_ACCOUNT,
 * user@domain), the host into host and port (sizes hsz, psz); the
 * server name (--servername, else the account's domain) into
 * *servername.  Returns 0 or EXIT_PERM; a missing option ends in
 * usage().
 */
static int
check_target(struct options *o, char *host, size_t hsz, char *port,
    size_t psz, const char **servername)
{
	if (o->cafile != NULL && o->insecure) {
		warnx("--ca and --insecure exclude each other");
		usage();
	}
	if (o->account == NULL)
		o->account = getenv("IMMP_ACCOUNT");
	if (o->account == NULL || o->account[0] == '\0') {
		warnx("no account: use -u account or IMMP_ACCOUNT");
		usage();
	}
	if (strchr(o->account, '@') == NULL ||
	    strrchr(o->account, '@')[1] == '\0' ||
	    strpbrk(o->account, " \t;\"\r\n") != NULL) {
		warnx("bad account %s: want user@domain", o->account);
		return EXIT_PERM;
	}
	if (split_host(o, host, hsz, port, psz) == -1) {
		warnx("bad host: %s", o->host);
		return EXIT_PERM;
	}
	*servername = o->servername != NULL ? o->servername :
	    strrchr(o->account, '@') + 1;
	return 0;
}

/*
 * Reads the password (get_password), connects c to host:port, upgrades
 * to TLS for servername and logs in as o->account with AUTH SECRET;
 * the password is wiped before this returns.  Returns 0 with c open,
 * or the exit code with c closed.
 */
static int
log_in(const struct options *o, struct conn *c, const char *host,
    const char *port, const char *servername)
{
	char	password[IMMP_PASSWORD_MAX];
	int	rv;

	if (get_password(o, password, sizeof(password)) == -1)
		rv = EXIT_PERM;
	else if ((rv = conn_connect(c, host, port, o->verbose)) == 0) {
		if ((rv = conn_greeting(c)) == 0 && (rv = conn_upgrade(c,
		    servername, o->cafile, o->insecure)) == 0)
			rv = auth_secret(c, o->account, o->device, password,
			    strlen(password));
		if (rv != 0)
			conn_close(c);
	}
	sodium_memzero(password, sizeof(password));
	return rv;
}

static int
cmd_send(struct options *o, int argc, char **argv)
{
	struct part	 parts[IMMP_MAXPARTS];
	struct conn	 c;
	struct reply	 r;
	char		 host[256], port[32], uuid[128];
	const char	*body = NULL, *servername;
	int		 i, n, nparts = 0, rv;

	n = parse_options(o, argc, argv, 1);
	argc -= n;
	argv += n;
	if (argc > 1)
		usage();
	if (argc == 1)
		body = argv[0];
	if (o->nrcpt == 0) {
		warnx("no recipient: use -t imid");
		usage();
	}
	if (o->raw != NULL && (o->subject != NULL || o->html != NULL ||
	    o->nattach > 0 || body != NULL)) {
		warnx("--raw sends a whole message: no -s, -a, --html or "
		    "body file with it");
		usage();
	}
	if ((rv = check_target(o, host, sizeof(host), port, sizeof(port),
	    &servername)) != 0)
		return rv;

	if (build_parts(o, body, parts, &nparts) == -1)
		return EXIT_PERM;
	if (nparts == 0) {
		warnx("empty message");
		return EXIT_PERM;
	}

	if ((rv = log_in(o, &c, host, port, servername)) != 0)
		goto done;
	if ((rv = send_message(&c, o->rcpt, o->nrcpt, parts, nparts, uuid,
	    sizeof(uuid))) != 0)
		goto out;
	printf("immp: message %s accepted\n", uuid);
	fflush(stdout);
	if (conn_cmd(&c, NULL, "QUIT") == 0)
		(void)conn_expect(&c, &r, 201, "QUIT");
 out:
	conn_close(&c);
 done:
	for (i = 0; i < nparts; i++) {
		free(parts[i].name);
		free(parts[i].data);
	}
	return rv;
}

int
immp_name_in(const char *name, const char *const *names)
{
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/*
 * check_target and log_in for the mailbox and push commands.  Returns 0
 * with c open, or the exit code with c closed.
 */
static int
session_open(struct options *o, struct conn *c)
{
	char		 host[256], port[32];
	const char	*servername;
	int		 rv;

	if ((rv = check_target(o, host, sizeof(host), port, sizeof(port),
	    &servername)) != 0)
		return rv;
	return log_in(o, c, host, port, servername);
}

/*
 * Ends a session of session_open whose command returned rv: QUIT unless
 * the connection failed (EXIT_TEMP), then closes c.  Returns rv.
 */
static int
session_close(struct conn *c, int rv)
{
	struct reply	 r;

	fflush(stdout);
	if (rv != EXIT_TEMP && conn_cmd(c, NULL, "QUIT") == 0)
		(void)conn_expect(c, &r, 201, "QUIT");
	conn_close(c);
	return rv;
}

/* The mailbox commands (mbox.c): log in, run, QUIT. */
static int
cmd_mbox(struct options *o, int argc, char **argv)
{
	struct mbox_args a;
	struct conn	 c;
	int		 rv;

	if (mbox_parse(argc, argv, &a) == -1)
		usage();
	if ((rv = session_open(o, &c)) != 0)
		return rv;
	return session_close(&c, mbox_run(&c, &a));
}

/* The subcommands of push.c: log in, run, QUIT. */
static int
cmd_push(struct options *o, int argc, char **argv)
{
	struct push_args a;
	struct conn	 c;
	int		 rv;

	if (push_parse(argc, argv, &a) == -1)
		usage();
	if ((rv = session_open(o, &c)) != 0)
		return rv;
	return session_close(&c, push_run(&c, &a));
}

int
main(int argc, char *argv[])
{
	struct options	o;
	int		n;

	memset(&o, 0, sizeof(o));
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() == -1)
		errx(EXIT_TEMP, "libsodium initialisation failed");
	if (tls_init() == -1)
		errx(EXIT_TEMP, "libtls initialisation failed");

	n = parse_options(&o, argc, argv, 0);
	argc -= n;
	argv += n;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "send") == 0)
		return cmd_send(&o, argc, argv);
	if (mbox_is_cmd(argv[0]))
		return cmd_mbox(&o, argc, argv);
	if (push_is_cmd(argv[0]))
		return cmd_push(&o, argc, argv);
	warnx("unknown command: %s", argv[0]);
	usage();
}
