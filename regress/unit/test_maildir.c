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


/* Unit tests for immp-deliver/maildir.c (Maildir++ delivery). */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ipc.h"
#include "mime.h"
#include "spool.h"
#include "util.h"
#include "../../immp-deliver/maildir.h"

#define UUID	"0f0e0d0c-0b0a-4908-8706-050403020100"

static char	tmpdir[64];
static char	root[128];

static int
setup(void **state)
{
	strlcpy(tmpdir, "/tmp/test_maildir.XXXXXX", sizeof(tmpdir));
	assert_non_null(mkdtemp(tmpdir));
	snprintf(root, sizeof(root), "%s/alice/Maildir", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
spool(const char *text)
{
	struct spool_writer	w;
	FILE			*f = tmpfile();
	int			fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(spool_w_init(&w, fd), 0);
	assert_int_equal(spool_w_begin(&w, "text/plain", "body", 1), 0);
	assert_int_equal(spool_w_data(&w, text, strlen(text)), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_finish(&w), 0);
	return fd;
}

static void
env_init(struct mime_envelope *env)
{
	memset(env, 0, sizeof(*env));
	env->uuid = UUID;
	env->sender = "bob@demo.test";
	env->rcpts = "alice@demo.test";
	env->host = "demo.test";
	env->accepted = 1700000000;
}

/* Number of entries in dir other than . and .. */
static int
count(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
deliver(const char *folder, int fd)
{
	struct mime_envelope	env;
	char			reason[IPC_REASON_MAX];

	env_init(&env);
	return maildir_deliver(root, folder, &env, "host\\057x", fd, reason,
	    sizeof(reason));
}

static void
path(char *buf, size_t size, const char *sub)
{
	snprintf(buf, size, "%s/%s", root, sub);
}

static void
test_twice_one_file(void **state)
{
	char	p[512], q[512], name[128];
	int	fd = spool("hello\n");

	assert_int_equal(deliver("", fd), IPC_OK);
	assert_int_equal(deliver("", fd), IPC_OK);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 1);
	path(p, sizeof(p), "tmp");
	assert_int_equal(count(p), 0);
	path(p, sizeof(p), "cur");
	assert_int_equal(count(p), 0);
	path(p, sizeof(p), MAILDIR_UUID_DB);
	assert_int_equal(access(p, F_OK), 0);

	/* The deterministic name. */
	snprintf(name, sizeof(name), "1700000000." UUID ".host\\057x");
	snprintf(p, sizeof(p), "%s/new/%s", root, name);
	assert_int_equal(access(p, F_OK), 0);

	/* Read by the user: moved to cur/ with flags; record gone. */
	snprintf(q, sizeof(q), "%s/cur/%s:2,S", root, name);
	assert_int_equal(rename(p, q), 0);
	path(p, sizeof(p), MAILDIR_UUID_DB);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(deliver("INBOX", fd), IPC_OK);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 0);

	/* Deleted by the user: the record still stops a re-delivery. */
	assert_int_equal(unlink(q), 0);
	assert_int_equal(deliver("", fd), IPC_OK);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 0);
	close(fd);
}

static void
test_folder(void **state)
{
	struct stat	sb;
	char		p[256];
	int		fd = spool("to a folder\n");

	/* The owner made the folder; deliveries go there, once. */
	path(p, sizeof(p), ".lists");
	assert_int_equal(mkdirs(p, 0700), 0);
	assert_int_equal(deliver("lists", fd), IPC_OK);
	assert_int_equal(deliver("lists", fd), IPC_OK);
	path(p, sizeof(p), ".lists/new");
	assert_int_equal(count(p), 1);
	path(p, sizeof(p), ".lists/maildirfolder");
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	path(p, sizeof(p), ".lists");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	path(p, sizeof(p), ".lists/cur");
	assert_int_equal(access(p, F_OK), 0);
	path(p, sizeof(p), ".lists/tmp");
	assert_int_equal(access(p, F_OK), 0);
	/* The same message to the INBOX is another delivery. */
	assert_int_equal(deliver("", fd), IPC_OK);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 1);
	path(p, sizeof(p), "cur");
	assert_int_equal(access(p, F_OK), 0);
	close(fd);
}

/* A Maildir others may write, or a symbolic link, is not used. */
static void
test_unsafe_root(void **state)
{
	char	target[300];
	int	fd = spool("unsafe\n");

	assert_int_equal(mkdirs(root, 0700), 0);
	assert_int_equal(chmod(root, 0777), 0);
	assert_int_equal(deliver("", fd), IPC_TEMPFAIL);
	assert_int_equal(chmod(root, 0700), 0);
	assert_int_equal(deliver("", fd), IPC_OK);

	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	assert_int_equal(rename(root, target), 0);
	assert_int_equal(symlink(target, root), 0);
	assert_int_equal(deliver("", fd), IPC_TEMPFAIL);
	close(fd);
}

/* A folder nobody made: the INBOX gets the message, no folder appears. */
static void
test_missing_folder(void **state)
{
	char	p[256];
	int	fd = spool("to a missing folder\n");

	assert_int_equal(deliver("nosuch", fd), IPC_OK);
	assert_int_equal(deliver("other", fd), IPC_OK);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 1);
	path(p, sizeof(p), ".nosuch");
	assert_int_equal(access(p, F_OK), -1);
	close(fd);
}

static void
test_bad_folders(void **state)
{
	char	p[256];
	int	fd = spool("x\n");

	assert_int_equal(deliver("..", fd), IPC_FAIL);
	assert_int_equal(deliver("../x", fd), IPC_FAIL);
	assert_int_equal(deliver(".hidden", fd), IPC_FAIL);
	assert_int_equal(deliver("a..b", fd), IPC_FAIL);
	assert_int_equal(deliver("a/b", fd), IPC_FAIL);
	assert_int_equal(deliver("trailing.", fd), IPC_FAIL);
	assert_false(maildir_folder_valid(""));
	assert_true(maildir_folder_valid("a.b"));
	assert_true(maildir_folder_valid("Work-2024_x"));
	/* Nothing was created. */
	assert_int_equal(access(root, F_OK), -1);
	snprintf(p, sizeof(p), "%s/alice", tmpdir);
	assert_int_equal(access(p, F_OK), -1);
	close(fd);
}

static void
test_bad_spool(void **state)
{
	char	p[256];
	int	fd = spool("x\n");

	assert_int_equal(ftruncate(fd, 10), 0);
	assert_int_equal(deliver("", fd), IPC_FAIL);
	path(p, sizeof(p), "tmp");
	assert_int_equal(count(p), 0);
	path(p, sizeof(p), "new");
	assert_int_equal(count(p), 0);
	close(fd);
}

static void
test_content(void **state)
{
	char	p[512], buf[4096];
	FILE	*f;
	size_t	n;
	int	fd = spool("the body\n");

	assert_int_equal(deliver("", fd), IPC_OK);
	snprintf(p, sizeof(p), "%s/new/1700000000." UUID ".host\\057x", root);
	assert_non_null(f = fopen(p, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "IMMP-UUID: " UUID "\n"));
	assert_non_null(strstr(buf, "From: bob@demo.test\n"));
	assert_non_null(strstr(buf, "\n\nthe body\n"));
	close(fd);
}

static void
test_hostname(void **state)
{
	char	h[512];

	assert_int_equal(maildir_hostname(h, sizeof(h)), 0);
	assert_null(strchr(h, '/'));
	assert_null(strchr(h, ':'));
	assert_int_equal(maildir_hostname(h, 2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_twice_one_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_folder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_root, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_folders, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_spool, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_content, setup, teardown),
		cmocka_unit_test(test_hostname),
	};

	if (sodium_init() == -1)
		return 1;
	umask(077);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
