/*
 * Unit tests for common/parse.y and common/conf.c: immpd.conf(5).
 * Each case writes a temporary file, parses it with stderr redirected
 * to another temporary file, and checks the "file:line: message" lines.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"

#define BASE \
	"domain \"demo.test\"\n" \
	"listen on 127.0.0.1 tls-cert \"/etc/c.pem\" tls-key \"/etc/k.pem\"\n"

static char	dir[PATH_MAX - 64];
static char	cpath[PATH_MAX];	/* the config file */
static char	epath[PATH_MAX];	/* captured stderr */
static char	opath[PATH_MAX];	/* captured stdout */
static char	errout[65536];

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE	*fp;

	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
read_file(const char *path, char *buf, size_t bufsz)
{
	FILE	*fp;
	size_t	 n;

	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, bufsz - 1, fp);
	buf[n] = '\0';
	(void)fclose(fp);
}

/* conf_parse of path with stderr captured into errout. */
static int
parse_path(const char *path, struct immpd_conf *conf)
{
	int	saved, fd, rv;

	saved = dup(STDERR_FILENO);
	assert_true(saved != -1);
	fd = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	close(fd);
	rv = conf_parse(path, conf);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	read_file(epath, errout, sizeof(errout));
	return (rv);
}

/* conf_parse of text[0..len) with stderr captured into errout. */
static int
parse_n(const char *text, size_t len, struct immpd_conf *conf)
{
	write_file(cpath, text, len);
	return (parse_path(cpath, conf));
}

static int
parse(const char *text, struct immpd_conf *conf)
{
	return (parse_n(text, strlen(text), conf));
}

/* errout must hold "<cpath>:<line>: <msg>" (msg as a prefix). */
static void
expect_in_log(int line, const char *msg)
{
	char	want[PATH_MAX + 256];

	if (line > 0)
		(void)snprintf(want, sizeof(want), "%s:%d: %s", cpath, line,
		    msg);
	else
		(void)snprintf(want, sizeof(want), "%s: %s", cpath, msg);
	if (strstr(errout, want) == NULL)
		fail_msg("missing \"%s\" in:\n%s", want, errout);
}

static void
expect_error(const char *text, int line, const char *msg)
{
	struct immpd_conf	conf;

	if (parse(text, &conf) != -1)
		fail_msg("accepted:\n%s", text);
	expect_in_log(line, msg);
	/* Lists are already freed. */
	assert_true(TAILQ_EMPTY(&conf.domains));
	assert_true(TAILQ_EMPTY(&conf.listeners));
	assert_true(TAILQ_EMPTY(&conf.tables));
	conf_clear(&conf);
}

static void
expect_ok(const char *text, struct immpd_conf *conf)
{
	if (parse(text, conf) != 0)
		fail_msg("refused:\n%s\nlog:\n%s", text, errout);
	assert_string_equal(errout, "");
}

static int
setup(void **state)
{
	const char	*tmp;

	log_init(1, 0);
	log_procname("test");
	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/test_conf.XXXXXX", tmp) >=
	    (int)sizeof(dir) || mkdtemp(dir) == NULL)
		return (-1);
	(void)snprintf(cpath, sizeof(cpath), "%s/immpd.conf", dir);
	(void)snprintf(epath, sizeof(epath), "%s/stderr", dir);
	(void)snprintf(opath, sizeof(opath), "%s/stdout", dir);
	return (0);
}

static int
teardown(void **state)
{
	(void)unlink(cpath);
	(void)unlink(epath);
	(void)unlink(opath);
	(void)rmdir(dir);
	return (0);
}

static void
test_full(void **state)
{
	struct immpd_conf	 conf;
	struct conf_domain	*d;
	struct conf_listen	*l;
	struct conf_table	*t;

	expect_ok(
	    "# comment\n"
	    "\n"
	    "domain \"demo.test\"                      # one or more\n"
	    "domain Other.Example\n"
	    "listen on 127.0.0.1 port 1025 tls-cert \"/path/cert.pem\" "
	    "tls-key \"/path/key.pem\"\n"
	    "listen on ::0001 port 993 tls tls-key /k tls-cert /c\n"
	    "table users db:\"/etc/immpd/users.db\"\n"
	    "table other db:/etc/immpd/other.db\n"
	    "users users\n"
	    "maildir \"/var/mail/%{user}/Maildir\" user \"vmail\"\n"
	    "queue \"/var/spool/immpd2\"\n"
	    "user \"_immpd2\"\n"
	    "queue-user _immpq2\n"
	    "chroot \"/var/empty2\"\n"
	    "retry first 5m max 4h\n"
	    "expire 4d\n"
	    "max-message-size 35M\n"
	    "max-sessions 1024\n", &conf);

	assert_string_equal(conf.path, cpath);
	d = TAILQ_FIRST(&conf.domains);
	assert_non_null(d);
	assert_string_equal(d->name, "demo.test");
	d = TAILQ_NEXT(d, entry);
	assert_non_null(d);
	assert_string_equal(d->name, "other.example");
	assert_null(TAILQ_NEXT(d, entry));

	l = TAILQ_FIRST(&conf.listeners);
	assert_non_null(l);
	assert_string_equal(l->addr, "127.0.0.1");
	assert_int_equal(l->port, 1025);
	assert_int_equal(l->implicit_tls, 0);
	assert_string_equal(l->cert, "/path/cert.pem");
	assert_string_equal(l->key, "/path/key.pem");
	l = TAILQ_NEXT(l, entry);
	assert_non_null(l);
	assert_string_equal(l->addr, "::1");
	assert_int_equal(l->port, 993);
	assert_int_equal(l->implicit_tls, 1);
	assert_string_equal(l->cert, "/c");
	assert_string_equal(l->key, "/k");
	assert_null(TAILQ_NEXT(l, entry));

	t = conf_table(&conf, "users");
	assert_non_null(t);
	assert_string_equal(t->path, "/etc/immpd/users.db");
	t = conf_table(&conf, "other");
	assert_non_null(t);
	assert_string_equal(t->path, "/etc/immpd/other.db");
	assert_null(conf_table(&conf, "Users"));
	assert_null(conf_table(&conf, "nope"));

	assert_string_equal(conf.users_table, "users");
	assert_string_equal(conf.maildir, "/var/mail/%{user}/Maildir");
	assert_string_equal(conf.maildir_user, "vmail");
	assert_string_equal(conf.queue_dir, "/var/spool/immpd2");
	assert_string_equal(conf.user, "_immpd2");
	assert_string_equal(conf.queue_user, "_immpq2");
	assert_string_equal(conf.chroot_dir, "/var/empty2");
	assert_int_equal(conf.retry_first, 300);
	assert_int_equal(conf.retry_max, 14400);
	assert_int_equal(conf.expire, 345600);
	assert_int_equal(conf.max_message_size, 35 * 1024 * 1024);
	assert_int_equal(conf.max_sessions, 1024);

	assert_int_equal(conf_is_local(&conf, "demo.test"), 1);
	assert_int_equal(conf_is_local(&conf, "DEMO.Test"), 1);
	assert_int_equal(conf_is_local(&conf, "other.example"), 1);
	assert_int_equal(conf_is_local(&conf, "demo.test."), 0);
	assert_int_equal(conf_is_local(&conf, "demo"), 0);
	assert_int_equal(conf_is_local(&conf, ""), 0);

	conf_clear(&conf);
	assert_true(TAILQ_EMPTY(&conf.domains));
	conf_clear(&conf);	/* twice is harmless */
}

static void
test_defaults(void **state)
{
	struct immpd_conf	 conf;
	struct conf_listen	*l;

	/* Also: no NL at the end of the last line. */
	expect_ok("domain demo.test\n"
	    "listen on 127.0.0.1 tls-cert /c tls-key /k", &conf);
	l = TAILQ_FIRST(&conf.listeners);
	assert_int_equal(l->port, CONF_DEFAULT_PORT);
	assert_string_equal(conf.users_table, "users");
	assert_string_equal(conf.maildir, "/var/mail/%{user}/Maildir");
	assert_string_equal(conf.maildir_user, "");
	assert_string_equal(conf.queue_dir, "/var/spool/immpd");
	assert_string_equal(conf.user, "_immpd");
	assert_string_equal(conf.queue_user, "_immpq");
	assert_string_equal(conf.chroot_dir, "/var/empty");
	assert_int_equal(conf.retry_first, 300);
	assert_int_equal(conf.retry_max, 14400);
	assert_int_equal(conf.expire, 345600);
	assert_int_equal(conf.max_message_size, 35 * 1024 * 1024);
	assert_int_equal(conf.max_sessions, 1024);
	assert_string_equal(conf.keys_dir, "/etc/immpd/keys");
	assert_int_equal(conf.key_rollover, 7 * 86400);
	conf_clear(&conf);

	/* Parsing again in the same process. */
	expect_ok(BASE, &conf);
	conf_clear(&conf);
}

/* keys and key-rollover (draft 6.1 domain keys). */
static void
test_keys(void **state)
{
	struct immpd_conf	 conf;

	expect_ok(BASE "keys \"/var/db/immpd keys\"\nkey-rollover 30d\n",
	    &conf);
	assert_string_equal(conf.keys_dir, "/var/db/immpd keys");
	assert_int_equal(conf.key_rollover, 30 * 86400);
	conf_clear(&conf);
	expect_ok(BASE "key-rollover 90\nkeys /k\n", &conf);
	assert_string_equal(conf.keys_dir, "/k");
	assert_int_equal(conf.key_rollover, 90);
	conf_clear(&conf);

	expect_error(BASE "keys k\n", 3, "keys must be an absolute path");
	expect_error(BASE "keys \"\"\n", 3, "keys must be an absolute path");
	expect_error(BASE "keys /a\nkeys /b\n", 4, "keys given twice");
	expect_error(BASE "keys\n", 3, "syntax error");
	expect_error(BASE "keys /a /b\n", 3, "syntax error");
	expect_error(BASE "key-rollover 0\n", 3,
	    "invalid key-rollover duration \"0\"");
	expect_error(BASE "key-rollover 7w\n", 3,
	    "invalid key-rollover duration \"7w\"");
	expect_error(BASE "key-rollover -1d\n", 3,
	    "invalid key-rollover duration");
	expect_error(BASE "key-rollover 99999999999999999999d\n", 3,
	    "invalid key-rollover duration");
	expect_error(BASE "key-rollover\n", 3, "syntax error");
	expect_error(BASE "key-rollover 1d\nkey-rollover 2d\n", 4,
	    "key-rollover given twice");
	expect_error(BASE "key rollover 1d\n", 3, "syntax error");
	/* Keywords are lower case. */
	expect_error(BASE "KEYS /a\n", 3, "syntax error");
}

static void
test_retry_forms(void **state)
{
	struct immpd_conf	 conf;

	expect_ok(BASE "retry max 8h first 30s\n", &conf);
	assert_int_equal(conf.retry_first, 30);
	assert_int_equal(conf.retry_max, 8 * 3600);
	conf_clear(&conf);
	expect_ok(BASE "retry first 60\nexpire 2h\n", &conf);
	assert_int_equal(conf.retry_first, 60);
	assert_int_equal(conf.retry_max, 14400);
	assert_int_equal(conf.expire, 7200);
	conf_clear(&conf);
	expect_ok(BASE "retry first 4h max 4h\n", &conf);
	conf_clear(&conf);
}

static void
test_domain_errors(void **state)
{
	expect_error(BASE "domain \"a..b\"\n", 3, "invalid domain");
	expect_error(BASE "domain -a.com\n", 3, "invalid domain");
	expect_error(BASE "domain a.com.\n", 3, "invalid domain");
	expect_error(BASE "domain \"a b\"\n", 3, "invalid domain");
	expect_error(BASE "domain \"\"\n", 3, "invalid domain");
	expect_error(BASE "domain \"caf\xc3\xa9.com\"\n", 3, "invalid domain");
	expect_error(BASE "domain DEMO.test\n", 3,
	    "domain DEMO.test given twice");
	expect_error(BASE "domain\n", 3, "syntax error");
	expect_error(BASE "domain a.com b.com\n", 3, "syntax error");
}

static void
test_listen_errors(void **state)
{
	expect_error("domain a.com\nlisten on localhost tls-cert /c "
	    "tls-key /k\n", 2, "listen address \"localhost\" is not a numeric");
	expect_error(BASE "listen on 1.2.3 tls-cert /c tls-key /k\n", 3,
	    "listen address");
	expect_error(BASE "listen on 1.2.3.4.5 tls-cert /c tls-key /k\n", 3,
	    "listen address");
	expect_error(BASE "listen on 256.1.1.1 tls-cert /c tls-key /k\n", 3,
	    "listen address");
	expect_error(BASE "listen on fe80::1%eth0 tls-cert /c tls-key /k\n", 3,
	    "listen address");
	expect_error(BASE "listen on \"\" tls-cert /c tls-key /k\n", 3,
	    "listen address");
	expect_error(BASE "listen on 1.2.3.4 port 0 tls-cert /c tls-key /k\n",
	    3, "invalid port \"0\"");
	expect_error(BASE "listen on 1.2.3.4 port 65536 tls-cert /c "
	    "tls-key /k\n", 3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port 99999999999999999999999 "
	    "tls-cert /c tls-key /k\n", 3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port +25 tls-cert /c tls-key /k\n",
	    3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port -1 tls-cert /c tls-key /k\n",
	    3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port \" 25\" tls-cert /c "
	    "tls-key /k\n", 3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port smtp tls-cert /c "
	    "tls-key /k\n", 3, "invalid port");
	expect_error(BASE "listen on 1.2.3.4 port 1 port 2 tls-cert /c "
	    "tls-key /k\n", 3, "port given twice");
	expect_error(BASE "listen on 1.2.3.4 tls tls tls-cert /c tls-key /k\n",
	    3, "tls given twice");
	expect_error(BASE "listen on 1.2.3.4 tls-cert /c tls-key /k "
	    "tls-cert /d\n", 3, "tls-cert given twice");
	expect_error(BASE "listen on 1.2.3.4 tls-key /k\n", 3,
	    "listen on 1.2.3.4: tls-cert missing");
	expect_error(BASE "listen on 1.2.3.4 tls-cert /c\n", 3,
	    "listen on 1.2.3.4: tls-key missing");
	expect_error(BASE "listen on 1.2.3.4\n", 3, "listen on 1.2.3.4: "
	    "tls-cert missing");
	expect_error(BASE "listen on 1.2.3.4 tls-cert c.pem tls-key /k\n", 3,
	    "tls-cert must be an absolute path");
	expect_error(BASE "listen on 1.2.3.4 tls-cert /c tls-key \"\"\n", 3,
	    "tls-key must be an absolute path");
	expect_error(BASE "listen on 127.0.0.1 port 1025 tls-cert /c "
	    "tls-key /k\n", 3, "listen on 127.0.0.1 port 1025 given twice");
	expect_error(BASE "listen 1.2.3.4 tls-cert /c tls-key /k\n", 3,
	    "syntax error");
	expect_error(BASE "listen on\n", 3, "syntax error");
	expect_error(BASE "listen on 1.2.3.4 tls-cert /c tls-key /k bogus\n",
	    3, "syntax error");
}

static void
test_table_errors(void **state)
{
	expect_error(BASE "table users db:/a\ntable users db:/b\n", 4,
	    "table users given twice");
	expect_error(BASE "table t file:/a\n", 3,
	    "table t: unknown table type");
	expect_error(BASE "table t /a\n", 3, "table t: unknown table type");
	expect_error(BASE "table t db:a.db\n", 3,
	    "table must be an absolute path");
	expect_error(BASE "table t db:\"a.db\"\n", 3,
	    "table must be an absolute path");
	expect_error(BASE "table \"a b\" db:/a\n", 3,
	    "invalid table name \"a b\"");
	expect_error(BASE "table -t db:/a\n", 3, "invalid table name");
	expect_error(BASE "table t\n", 3, "syntax error");
	expect_error(BASE "table t db:\n", 3, "syntax error");
	expect_error(BASE "users nosuch\n", 3, "users: no table named nosuch");
	expect_error(BASE "users t\ntable x db:/x\n", 3,
	    "users: no table named t");
	expect_error(BASE "table t db:/t\nusers t\nusers t\n", 5,
	    "users given twice");
}

static void
test_table_forms(void **state)
{
	struct immpd_conf	 conf;

	/* The table may come after users. */
	expect_ok(BASE "users t\ntable t db:/t\n", &conf);
	assert_string_equal(conf.users_table, "t");
	conf_clear(&conf);
	expect_ok(BASE "table \"t\" db: \"/t x\"\n", &conf);
	assert_string_equal(conf_table(&conf, "t")->path, "/t x");
	conf_clear(&conf);
}

static void
test_maildir_errors(void **state)
{
	expect_error(BASE "maildir \"var/mail/%{user}\"\n", 3,
	    "maildir must be an absolute path");
	expect_error(BASE "maildir /var/mail\n", 3,
	    "maildir needs %{user} or %{account}");
	expect_error(BASE "maildir /var/mail/%{domain}\n", 3,
	    "maildir needs %{user} or %{account}");
	expect_error(BASE "maildir /var/mail/%{user}/%{home}\n", 3,
	    "unknown %{...} token in maildir");
	expect_error(BASE "maildir /var/mail/%{user}/%\n", 3,
	    "unknown %{...} token in maildir");
	expect_error(BASE "maildir /var/mail/%{user}/%%\n", 3,
	    "unknown %{...} token in maildir");
	expect_error(BASE "maildir /var/mail/%{USER}\n", 3,
	    "unknown %{...} token in maildir");
	expect_error(BASE "maildir /var/mail/%{user\n", 3,
	    "unknown %{...} token in maildir");
	expect_error(BASE "maildir /m/%{user}\nmaildir /n/%{user}\n", 4,
	    "maildir given twice");
	expect_error(BASE "maildir /m/%{user} user \"a b\"\n", 3,
	    "invalid maildir user");
	expect_error(BASE "maildir /m/%{user} user\n", 3, "syntax error");
	expect_error(BASE "maildir /m/%{user} owner x\n", 3, "syntax error");
}

static void
test_singleton_errors(void **state)
{
	expect_error(BASE "queue /a\nqueue /b\n", 4, "queue given twice");
	expect_error(BASE "queue a\n", 3, "queue must be an absolute path");
	expect_error(BASE "user a\nuser b\n", 4, "user given twice");
	expect_error(BASE "user -a\n", 3, "invalid user \"-a\"");
	expect_error(BASE "user \".a\"\n", 3, "invalid user");
	expect_error(BASE "user \"a/b\"\n", 3, "invalid user");
	expect_error(BASE "user \"\"\n", 3, "empty user");
	expect_error(BASE "user "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 3, "user \"aaaa");
	expect_error(BASE "queue-user a\nqueue-user b\n", 4,
	    "queue-user given twice");
	expect_error(BASE "chroot /a\nchroot /b\n", 4, "chroot given twice");
	expect_error(BASE "chroot a\n", 3, "chroot must be an absolute path");
	expect_error(BASE "retry first 1m\nretry max 1h\n", 4,
	    "retry given twice");
	expect_error(BASE "retry first 1m first 2m\n", 3,
	    "retry first given twice");
	expect_error(BASE "retry max 1m max 2m\n", 3, "retry max given twice");
	expect_error(BASE "retry first 1h max 5m\n", 3,
	    "retry first is longer than retry max");
	expect_error(BASE "retry first 5h\n", 3,
	    "retry first is longer than retry max");
	expect_error(BASE "retry first 0\n", 3,
	    "invalid retry first duration \"0\"");
	expect_error(BASE "retry first 5x\n", 3,
	    "invalid retry first duration");
	expect_error(BASE "retry first 5mm\n", 3, "invalid retry first");
	expect_error(BASE "retry first -5m\n", 3, "invalid retry first");
	expect_error(BASE "retry max 99999999999d\n", 3, "invalid retry max");
	expect_error(BASE "retry\n", 3, "syntax error");
	expect_error(BASE "retry first\n", 3, "syntax error");
	expect_error(BASE "expire 1d\nexpire 2d\n", 4, "expire given twice");
	expect_error(BASE "expire four\n", 3, "invalid expire duration");
	expect_error(BASE "max-message-size 1M\nmax-message-size 2M\n", 4,
	    "max-message-size given twice");
	expect_error(BASE "max-message-size 35X\n", 3,
	    "invalid max-message-size \"35X\"");
	expect_error(BASE "max-message-size 0\n", 3,
	    "invalid max-message-size");
	expect_error(BASE "max-message-size 35m\n", 3,
	    "invalid max-message-size");
	expect_error(BASE "max-sessions 1\nmax-sessions 2\n", 4,
	    "max-sessions given twice");
	expect_error(BASE "max-sessions 0\n", 3, "invalid max-sessions \"0\"");
	expect_error(BASE "max-sessions 1000001\n", 3, "invalid max-sessions");
	expect_error(BASE "max-sessions 18446744073709551617\n", 3,
	    "invalid max-sessions");
	expect_error(BASE "max-sessions many\n", 3, "invalid max-sessions");
	expect_error(BASE "max-sessions 1k\n", 3, "invalid max-sessions");
}

static void
test_syntax_errors(void **state)
{
	expect_error(BASE "bogus statement\n", 3, "syntax error");
	expect_error(BASE "Domain a.com\n", 3, "syntax error");
	expect_error(BASE "\"domain\" a.com\n", 3, "syntax error");
	expect_error(BASE "domain a.com; domain b.com\n", 3,
	    "unexpected character");
	expect_error(BASE "domain $x\n", 3, "unexpected character");
	expect_error(BASE "domain \"a.com\n", 3, "unterminated quoted string");
	expect_error(BASE "domain \"a.com", 3, "unterminated quoted string");
	expect_error(BASE "domain \"a\\n\"\n", 3,
	    "invalid escape in quoted string");
	expect_error(BASE "domain \"a\x01\"\n", 3,
	    "control character in quoted string");
	expect_error(BASE "domain \"a\x7f\"\n", 3,
	    "control character in quoted string");
	expect_error(BASE "queue \"/\xc0\xaf\"\n", 3,
	    "invalid UTF-8 in quoted string");
	expect_error(BASE "queue \"/\xed\xa0\x80\"\n", 3,
	    "invalid UTF-8 in quoted string");
	expect_error(BASE "domain a.com\r\n", 3, "unexpected character");
	expect_error(BASE "domain a\xc3\xa9.com\n", 3, "unexpected character");
	expect_error(BASE "domain \"a.com\"x\n", 3, "syntax error");
}

static void
test_nul_and_long(void **state)
{
	static char		 text[8192];
	struct immpd_conf	 conf;
	size_t			 n;

	/* A NUL byte inside a line. */
	n = snprintf(text, sizeof(text), "%sdomain a", BASE);
	text[n++] = '\0';
	n += snprintf(text + n, sizeof(text) - n, ".com\n");
	assert_int_equal(parse_n(text, n, &conf), -1);
	expect_in_log(3, "unexpected character");
	conf_clear(&conf);

	/* A NUL byte inside quotes. */
	n = snprintf(text, sizeof(text), "%squeue \"/a", BASE);
	text[n++] = '\0';
	n += snprintf(text + n, sizeof(text) - n, "\"\n");
	assert_int_equal(parse_n(text, n, &conf), -1);
	expect_in_log(3, "control character in quoted string");
	conf_clear(&conf);

	/* Strings: CONF_PATH_MAX - 1 fine, one more refused. */
	n = snprintf(text, sizeof(text), "%squeue \"/", BASE);
	memset(text + n, 'q', CONF_PATH_MAX - 2);
	n += CONF_PATH_MAX - 2;
	n += snprintf(text + n, sizeof(text) - n, "\"\n");
	assert_int_equal(parse_n(text, n, &conf), 0);
	assert_int_equal(strlen(conf.queue_dir), CONF_PATH_MAX - 1);
	conf_clear(&conf);
	n = snprintf(text, sizeof(text), "%squeue \"/", BASE);
	memset(text + n, 'q', CONF_PATH_MAX - 1);
	n += CONF_PATH_MAX - 1;
	n += snprintf(text + n, sizeof(text) - n, "\"\n");
	assert_int_equal(parse_n(text, n, &conf), -1);
	expect_in_log(3, "string too long");
	conf_clear(&conf);
	/* The same unquoted. */
	n = snprintf(text, sizeof(text), "%squeue /", BASE);
	memset(text + n, 'q', 4000);
	n += 4000;
	n += snprintf(text + n, sizeof(text) - n, "\n");
	assert_int_equal(parse_n(text, n, &conf), -1);
	expect_in_log(3, "string too long");
	conf_clear(&conf);

	/* Garbage only. */
	for (n = 0; n < 256; n++)
		text[n] = (char)n;
	assert_int_equal(parse_n(text, 256, &conf), -1);
	conf_clear(&conf);
}

static void
test_missing(void **state)
{
	struct immpd_conf	conf;

	expect_error("", 0, "no domain configured");
	expect_in_log(0, "no listen statement");
	expect_error("listen on ::1 tls-cert /c tls-key /k\n", 0,
	    "no domain configured");
	expect_error("# only a comment\ndomain a.com\n", 0,
	    "no listen statement");

	/* Several errors: all reported, each with its line. */
	expect_error("domain -x\n\nqueue rel\nmax-sessions 0\n", 1,
	    "invalid domain");
	expect_in_log(3, "queue must be an absolute path");
	expect_in_log(4, "invalid max-sessions");
	expect_in_log(0, "no domain configured");
	expect_in_log(0, "no listen statement");

	/* A syntax error does not stop the rest of the file. */
	expect_error("domain a b\ndomain -c\n" BASE, 1, "syntax error");
	expect_in_log(2, "invalid domain \"-c\"");

	/* Files that cannot be read. */
	(void)unlink(cpath);
	assert_int_equal(parse_path(cpath, &conf), -1);
	expect_in_log(0, "No such file or directory");
	conf_clear(&conf);
	assert_int_equal(parse_path(dir, &conf), -1);
	assert_non_null(strstr(errout, ": not a regular file"));
	conf_clear(&conf);
}

static void
test_dump(void **state)
{
	static char		 out[8192];
	struct immpd_conf	 conf, again;
	int			 saved, fd;
	char			*p;

	expect_ok("domain demo.test\ndomain b.test\n"
	    "listen on 127.0.0.1 port 2000 tls tls-cert \"/c \\\"x\\\"\" "
	    "tls-key /k\n"
	    "listen on ::1 tls-cert /c tls-key /k\n"
	    "table users db:/u.db\n"
	    "maildir /m/%{domain}/%{account} user vmail\n"
	    "retry first 90 max 2h\nexpire 3d\nmax-message-size 1000\n"
	    "max-sessions 7\nkeys \"/k k\"\nkey-rollover 36h\n", &conf);

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_true(dup2(fd, STDOUT_FILENO) != -1);
	close(fd);
	conf_dump(&conf);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) != -1);
	close(saved);
	read_file(opath, out, sizeof(out));

	assert_non_null(strstr(out, "listen on 127.0.0.1 port 2000 tls "
	    "tls-cert \"/c \\\"x\\\"\" tls-key \"/k\"\n"));
	assert_non_null(strstr(out, "retry first 90s max 2h\n"));
	assert_non_null(strstr(out, "expire 3d\n"));
	assert_non_null(strstr(out, "max-message-size 1000\n"));
	assert_non_null(strstr(out, "keys \"/k k\"\nkey-rollover 36h\n"));
	assert_non_null(strstr(out, "maildir \"/m/%{domain}/%{account}\" "
	    "user \"vmail\"\n"));

	/* The dump parses back to the same configuration. */
	p = strchr(out, '\n');
	assert_non_null(p);
	assert_int_equal(parse(p + 1, &again), 0);
	assert_string_equal(errout, "");
	assert_string_equal(again.maildir, conf.maildir);
	assert_string_equal(again.maildir_user, conf.maildir_user);
	assert_string_equal(TAILQ_FIRST(&again.listeners)->cert, "/c \"x\"");
	assert_int_equal(again.retry_first, 90);
	assert_int_equal(again.retry_max, 7200);
	assert_int_equal(again.expire, 3 * 86400);
	assert_int_equal(again.max_message_size, 1000);
	assert_int_equal(again.max_sessions, 7);
	assert_string_equal(again.keys_dir, "/k k");
	assert_int_equal(again.key_rollover, 36 * 3600);
	assert_int_equal(again.max_message_size, conf.max_message_size);
	assert_string_equal(TAILQ_NEXT(TAILQ_FIRST(&again.domains),
	    entry)->name, "b.test");
	conf_clear(&again);
	conf_clear(&conf);
}

static void
test_maildir_path(void **state)
{
	char		 out[64];
	const char	*errstr;

	assert_int_equal(conf_maildir_path("/var/mail/%{user}/Maildir",
	    "alice@demo.test", out, sizeof(out)), 0);
	assert_string_equal(out, "/var/mail/alice/Maildir");
	assert_int_equal(conf_maildir_path("/v/%{domain}/%{user}/%{account}",
	    "Al.ce_-x@demo.test", out, sizeof(out)), 0);
	assert_string_equal(out, "/v/demo.test/Al.ce_-x/Al.ce_-x@demo.test");
	assert_int_equal(conf_maildir_path("/%{user}%{user}", "a@b", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/aa");

	/* Exactly fitting, then one octet short. */
	assert_int_equal(conf_maildir_path("/m/%{user}", "alice@b", out, 9),
	    0);
	assert_string_equal(out, "/m/alice");
	errno = 0;
	assert_int_equal(conf_maildir_path("/m/%{user}", "alice@b", out, 8),
	    -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_string_equal(out, "");
	assert_int_equal(conf_maildir_path("/m/%{user}", "alice@b", out, 3),
	    -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "alice@b", out, 1),
	    -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "alice@b", out, 0),
	    -1);
	assert_int_equal(conf_maildir_path("/m/%{account}/x", "alice@b.c",
	    out, 15), 0);
	assert_string_equal(out, "/m/alice@b.c/x");
	assert_int_equal(conf_maildir_path("/m/%{account}/x", "alice@b.c",
	    out, 14), -1);

	/* Hostile accounts. */
	errno = 0;
	assert_int_equal(conf_maildir_path("/m/%{user}", "../x@b", out,
	    sizeof(out)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(conf_maildir_path("/m/%{user}", "..@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", ".@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a..b@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a/b@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a@", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a@b@c", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{domain}/%{user}", "a@..",
	    out, sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{domain}/%{user}", "a@b/c",
	    out, sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{domain}/%{user}", "a@.b",
	    out, sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "a b@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}", "caf\xc3\xa9@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%{user}",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b",
	    out, sizeof(out)), -1);
	/* Bad templates. */
	assert_int_equal(conf_maildir_path("/m/%{nope}", "a@b", out,
	    sizeof(out)), -1);
	assert_int_equal(conf_maildir_path("/m/%", "a@b", out, sizeof(out)),
	    -1);
	assert_int_equal(conf_maildir_path("m/%{user}", "a@b", out,
	    sizeof(out)), -1);

	assert_int_equal(conf_maildir_check("/m/%{user}", &errstr), 0);
	assert_int_equal(conf_maildir_check("/m/%{account}", &errstr), 0);
	assert_int_equal(conf_maildir_check("/m/%{domain}", &errstr), -1);
	assert_int_equal(conf_maildir_check("", &errstr), -1);
	assert_int_equal(conf_maildir_check("/m/%{user}%", &errstr), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_retry_forms),
		cmocka_unit_test(test_domain_errors),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_table_forms),
		cmocka_unit_test(test_maildir_errors),
		cmocka_unit_test(test_singleton_errors),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nul_and_long),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_maildir_path),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
