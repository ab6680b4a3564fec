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
 * immpctl user add|passwd|del|list: accounts in the users table
 * (immpd-tables(5)).  Only the SCRAM verifier (salt, Argon2id
 * parameters, StoredKey, ServerKey; immp(7) AUTH SECRET) is stored.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#define LIBBSD_OPENBSD_VIS	/* libbsd: OpenBSD's vis(3) prototypes */
#include <vis.h>

#include <sodium.h>

#include "conf.h"
#include "imid.h"
#include "ipc.h"
#include "scram.h"
#include "util.h"
#include "immpctl.h"
#include "table_write.h"

#define PASSWORD_MAX	1024	/* octets, without the line end */
#define VERIFIER_MAX	512

static void	 getopt_reset(void);
static void	 account_key(struct immpd_conf *, const char *, int, char *,
		    size_t);
static const char *users_path(struct immpd_conf *);
static gid_t	 table_group(struct immpd_conf *);
static int	 read_line(char *, size_t);
static size_t	 read_password(char *, size_t);
static void	 account_exists(const char *) __attribute__((noreturn));
static void	 no_account(const char *) __attribute__((noreturn));
static int	 user_set(int, char *[], int);
static int	 user_del(int, char *[]);
static int	 user_list(int, char *[]);

/* Lets getopt(3) parse a second argument vector. */
static void
getopt_reset(void)
{
#ifdef __GLIBC__
	optind = 0;
#else
	optreset = 1;
	optind = 1;
#endif
}

/*
 * Checks that s is an account "local@domain" (an IMID without folder,
 * shared or mailbox part, immp(7) IMIDS), in one of our domains if
 * local is set, and writes the table key (domain in lower case) into
 * key.  Exits on error.
 */
static void
account_key(struct immpd_conf *conf, const char *s, int local, char *key,
    size_t size)
{
	struct imid	 id;
	const char	*errstr;

	if (imid_parse(s, &id, &errstr) == -1)
		errx(1, "%s: invalid account: %s", s, errstr);
	if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0')
		errx(1, "%s: an account is written user@domain", s);
	if (imid_account(&id, key, size) == -1)
		errx(1, "%s: account too long", s);
	/* No "imid:" scheme: only the domain may differ (in case). */
	if (strcasecmp(key, s) != 0)
		errx(1, "%s: an account is written user@domain", s);
	if (local && !conf_is_local(conf, id.domain))
		errx(1, "%s: %s is not a domain of this server", s,
		    id.domain);
}

/* The path of the users table.  Exits if it is not configured. */
static const char *
users_path(struct immpd_conf *conf)
{
	struct conf_table	*t;

	if ((t = conf_table(conf, conf->users_table)) == NULL)
		errx(1, "%s: no table named \"%s\" for the users", conf->path,
		    conf->users_table);
	return t->path;
}

/*
 * The group a new users table gets: that of the user immp-lookup runs
 * as, when we are root and it exists; otherwise left alone.
 */
static gid_t
table_group(struct immpd_conf *conf)
{
	struct passwd	*pw;

	if (geteuid() != 0 || (pw = getpwnam(conf->user)) == NULL)
		return (gid_t)-1;
	return pw->pw_gid;
}

/*
 * Reads one line from the standard input into buf (size octets), without
 * the LF, one read(2) at a time so that no copy is left in a stdio
 * buffer.  Returns its length, size if it does not fit, -1 on a read
 * error or -2 if the line holds a NUL octet.
 */
static int
read_line(char *buf, size_t size)
{
	size_t	len = 0;
	ssize_t	n;
	char	c;

	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0 || c == '\n')
			break;
		if (c == '\0')
			return -2;
		if (len + 1 >= size)
			return (int)size;
		buf[len++] = c;
	}
	buf[len] = '\0';
	return (int)len;
}

/*
 * Reads the new password into buf (size > PASSWORD_MAX + 1): twice
 * without echo from the terminal, or one line from a pipe.  Returns its
 * length; on error buf is wiped and immpctl exits.
 */
static size_t
read_password(char *buf, size_t size)
{
	char	again[PASSWORD_MAX + 2];
	int	len;

	if (isatty(STDIN_FILENO)) {
		if (readpassphrase("Password: ", buf, size,
		    RPP_REQUIRE_TTY) == NULL)
			err(1, "cannot read the password");
		if (readpassphrase("Again: ", again, sizeof(again),
		    RPP_REQUIRE_TTY) == NULL) {
			sodium_memzero(buf, size);
			err(1, "cannot read the password");
		}
		len = strcmp(buf, again) == 0 ? (int)strlen(buf) : -1;
		sodium_memzero(again, sizeof(again));
		if (len == -1) {
			sodium_memzero(buf, size);
			errx(1, "the passwords do not match");
		}
	} else if ((len = read_line(buf, size)) < 0) {
		sodium_memzero(buf, size);
		if (len == -2)
			errx(1, "the password holds a NUL octet");
		err(1, "cannot read the password from the standard input");
	}
	if (len == 0) {
		sodium_memzero(buf, size);
		errx(1, "empty password");
	}
	if (len > PASSWORD_MAX) {
		sodium_memzero(buf, size);
		errx(1, "password longer than %d octets", PASSWORD_MAX);
	}
	return (size_t)len;
}

static void
account_exists(const char *key)
{
	errx(1, "%s: account exists (use \"user passwd\" to change its "
	    "password)", key);
}

static void
no_account(const char *key)
{
	errx(1, "%s: no such account", key);
}

/*
 * user add [-F] [-m memlimit] [-o opslimit] account
 * user passwd [-m memlimit] [-o opslimit] account
 * passwd: the account must exist (its verifier is replaced).
 */
static int
user_set(int argc, char *argv[], int passwd)
{
	struct immpd_conf	 conf;
	struct scram_verifier	 v;
	char			 key[IPC_ACCOUNT_MAX], text[VERIFIER_MAX];
	char			 pw[PASSWORD_MAX + 2], errbuf[512];
	const char		*path, *errstr;
	uint64_t		 ops, mem;
	enum table_op		 op = passwd ? TABLE_REPLACE : TABLE_ADD;
	size_t			 len;
	int			 ch, n, r;

	ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	getopt_reset();
	opterr = 0;
	while ((ch = getopt(argc, argv, passwd ? "+:m:o:" : "+:Fm:o:")) !=
	    -1) {
		switch (ch) {
		case 'F':
			op = TABLE_SET;
			break;
		case 'm':
			if (parse_size(optarg, &mem) == -1 ||
			    mem < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
			    mem > crypto_pwhash_argon2id_MEMLIMIT_MAX ||
			    mem > SIZE_MAX)
				errx(1, "memlimit %s: must be a size from %u "
				    "octets to %lluG", optarg,
				    crypto_pwhash_argon2id_MEMLIMIT_MIN,
				    (unsigned long long)
				    crypto_pwhash_argon2id_MEMLIMIT_MAX >> 30);
			break;
		case 'o':
			ops = (uint64_t)strtonum(optarg,
			    crypto_pwhash_argon2id_OPSLIMIT_MIN,
			    crypto_pwhash_argon2id_OPSLIMIT_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "opslimit %s: %s (%u to %u)", optarg,
				    errstr, crypto_pwhash_argon2id_OPSLIMIT_MIN,
				    crypto_pwhash_argon2id_OPSLIMIT_MAX);
			break;
		case ':':
			warnx("option -%c needs an argument", optopt);
			usage();
		default:
			warnx("unknown option -%c", optopt);
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();

	immpctl_conf(&conf);
	account_key(&conf, argv[0], 1, key, sizeof(key));
	path = users_path(&conf);

	/* Before asking for a password that would be refused. */
	if ((r = table_has(path, key, errbuf, sizeof(errbuf))) == -1)
		errx(1, "%s", errbuf);
	if (r == 1 && op == TABLE_ADD)
		account_exists(key);
	if (r == 0 && op == TABLE_REPLACE)
		no_account(key);

	len = read_password(pw, sizeof(pw));
	r = scram_make_verifier(pw, len, ops, mem, &v);
	sodium_memzero(pw, sizeof(pw));
	if (r == -1)
		err(1, "cannot derive the keys (memlimit %llu)",
		    (unsigned long long)mem);
	n = scram_verifier_encode(&v, text, sizeof(text));
	sodium_memzero(&v, sizeof(v));
	if (n == -1)
		errx(1, "cannot encode the verifier");

	r = table_update(path, op, key, text, (size_t)n, table_group(&conf),
	    errbuf, sizeof(errbuf));
	sodium_memzero(text, sizeof(text));
	switch (r) {
	case TABLE_OK:
		break;
	case TABLE_EXISTS:
		account_exists(key);
	case TABLE_NOKEY:
		no_account(key);
	default:
		errx(1, "%s", errbuf);
	}
	conf_clear(&conf);
	return 0;
}

/* user del account */
static int
user_del(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	char			 key[IPC_ACCOUNT_MAX], errbuf[512];
	int			 r;

	if (argc != 2)
		usage();
	immpctl_conf(&conf);
	/* Any domain: it may have been dropped from the configuration. */
	account_key(&conf, argv[1], 0, key, sizeof(key));
	r = table_update(users_path(&conf), TABLE_DEL, key, NULL, 0,
	    (gid_t)-1, errbuf, sizeof(errbuf));
	if (r == TABLE_NOKEY)
		no_account(key);
	if (r != TABLE_OK)
		errx(1, "%s", errbuf);
	conf_clear(&conf);
	return 0;
}

/* user list: every key, sorted, non-printable octets escaped (vis(3)). */
static int
user_list(int argc, char *argv[])
{
	struct immpd_conf	  conf;
	char			**keys, *out, errbuf[512];
	size_t			  i, n;

	if (argc != 1)
		usage();
	immpctl_conf(&conf);
	if (table_keys(users_path(&conf), &keys, &n, errbuf,
	    sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	for (i = 0; i < n; i++) {
		if (stravis(&out, keys[i], VIS_OCTAL | VIS_WHITE) == -1)
			err(1, "stravis");
		printf("%s\n", out);
		free(out);
	}
	table_keys_free(keys, n);
	conf_clear(&conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

int
cmd_user(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	argc--;
	argv++;
	if (strcmp(argv[0], "add") == 0)
		return user_set(argc, argv, 0);
	if (strcmp(argv[0], "passwd") == 0)
		return user_set(argc, argv, 1);
	if (strcmp(argv[0], "del") == 0)
		return user_del(argc, argv);
	if (strcmp(argv[0], "list") == 0)
		return user_list(argc, argv);
	usage();
}
