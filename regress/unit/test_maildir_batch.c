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
 * Unit tests for maildir_deliver_batch (immp-deliver/maildir.c): a
 * batch mixing mailboxes, folders, duplicates and failures gives each
 * delivery the result it would get alone.
 */

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

#define UUID_A	"0f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_B	"1f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_C	"2f0e0d0c-0b0a-4908-8706-050403020100"
#define HOST	"host"

static char	tmpdir[64];
static char	alice[128], bob[128];

static int
setup(void **state)
{
	strlcpy(tmpdir, "/tmp/test_maildir_batch.XXXXXX", sizeof(tmpdir));
	assert_non_null(mkdtemp(tmpdir));
	snprintf(alice, sizeof(alice), "%s/alice/Maildir", tmpdir);
	snprintf(bob, sizeof(bob), "%s/bob/Maildir", tmpdir);
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

static struct mime_envelope	envs[MAILDIR_BATCH_MAX + 1];

static void
job(struct maildir_job *j, int i, const char *root, const char *folder,
    const char *uuid, int fd)
{
	memset(&envs[i], 0, sizeof(envs[i]));
	envs[i].uuid = uuid;
	envs[i].sender = "carol@demo.test";
	envs[i].rcpts = "alice@demo.test";
	envs[i].host = "demo.test";
	envs[i].accepted = 1700000000;
	memset(j, 0, sizeof(*j));
	j->root = root;
	j->folder = folder;
	j->env = &envs[i];
	j->spoolfd = fd;
}

static int
count(const char *root, const char *sub)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[512];
	int		 n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_mixed(void **state)
{
	struct maildir_job	j[7];
	int			a = spool("message a\n"), b = spool("b\n");
	int			bad = spool("bad\n");

	char			lists[160];

	assert_int_equal(ftruncate(bad, 10), 0);
	snprintf(lists, sizeof(lists), "%s/.lists", alice);
	assert_int_equal(mkdirs(lists, 0700), 0);
	job(&j[0], 0, alice, "", UUID_A, a);
	job(&j[1], 1, alice, "INBOX", UUID_B, b);
	job(&j[2], 2, alice, "inbox", UUID_A, a);	/* same as j[0] */
	job(&j[3], 3, alice, "lists", UUID_A, a);
	job(&j[4], 4, bob, "", UUID_A, a);
	job(&j[5], 5, alice, "../x", UUID_C, a);
	job(&j[6], 6, alice, "", UUID_C, bad);
	maildir_deliver_batch(j, 7, HOST);

	assert_int_equal(j[0].result, IPC_OK);
	assert_string_equal(j[0].reason, "delivered to INBOX");
	assert_int_equal(j[1].result, IPC_OK);
	assert_int_equal(j[2].result, IPC_OK);
	assert_string_equal(j[2].reason, "already delivered");
	assert_int_equal(j[3].result, IPC_OK);
	assert_string_equal(j[3].reason, "delivered to lists");
	assert_int_equal(j[4].result, IPC_OK);
	assert_int_equal(j[5].result, IPC_FAIL);
	assert_int_equal(j[6].result, IPC_FAIL);
	assert_int_equal(count(alice, "new"), 2);
	assert_int_equal(count(alice, "tmp"), 0);
	assert_int_equal(count(alice, ".lists/new"), 1);
	assert_int_equal(count(bob, "new"), 1);

	/* The same batch again: nothing new. */
	job(&j[0], 0, alice, "", UUID_A, a);
	job(&j[1], 1, alice, "INBOX", UUID_B, b);
	job(&j[2], 2, alice, "lists", UUID_A, a);
	job(&j[3], 3, bob, "", UUID_A, a);
	maildir_deliver_batch(j, 4, HOST);
	assert_int_equal(j[0].result, IPC_OK);
	assert_string_equal(j[0].reason, "already delivered");
	assert_string_equal(j[1].reason, "already delivered");
	assert_string_equal(j[2].reason, "already delivered");
	assert_string_equal(j[3].reason, "already delivered");
	assert_int_equal(count(alice, "new"), 2);
	assert_int_equal(count(bob, "new"), 1);
	close(a);
	close(b);
	close(bad);
}

static void
test_found_without_record(void **state)
{
	struct maildir_job	j[2];
	char			p[512], q[512];
	int			a = spool("a\n");

	/* Delivered, then read (moved to cur/), then the record lost. */
	job(&j[0], 0, alice, "", UUID_A, a);
	maildir_deliver_batch(j, 1, HOST);
	assert_int_equal(j[0].result, IPC_OK);
	snprintf(p, sizeof(p), "%s/new/1700000000." UUID_A "." HOST, alice);
	snprintf(q, sizeof(q), "%s/cur/1700000000." UUID_A "." HOST ":2,S",
	    alice);
	assert_int_equal(rename(p, q), 0);
	snprintf(p, sizeof(p), "%s/%s", alice, MAILDIR_UUID_DB);
	assert_int_equal(unlink(p), 0);

	job(&j[0], 0, alice, "", UUID_A, a);
	job(&j[1], 1, alice, "", UUID_B, a);
	maildir_deliver_batch(j, 2, HOST);
	assert_string_equal(j[0].reason, "already delivered");
	assert_string_equal(j[1].reason, "delivered to INBOX");
	assert_int_equal(count(alice, "new"), 1);
	assert_int_equal(count(alice, "cur"), 1);
	/* ...and the record is back: deleting the file changes nothing. */
	assert_int_equal(unlink(q), 0);
	job(&j[0], 0, alice, "", UUID_A, a);
	maildir_deliver_batch(j, 1, HOST);
	assert_string_equal(j[0].reason, "already delivered");
	assert_int_equal(count(alice, "cur"), 0);
	assert_int_equal(count(alice, "new"), 1);
	close(a);
}

static void
test_full_batch(void **state)
{
	struct maildir_job	*j;
	char			 (*uuids)[IPC_UUID_MAX];
	int			 i, a = spool("many\n");

	j = calloc(MAILDIR_BATCH_MAX + 1, sizeof(*j));
	uuids = calloc(MAILDIR_BATCH_MAX + 1, IPC_UUID_MAX);
	assert_non_null(j);
	assert_non_null(uuids);
	for (i = 0; i <= MAILDIR_BATCH_MAX; i++) {
		snprintf(uuids[i], IPC_UUID_MAX,
		    "%08x-0b0a-4908-8706-050403020100", i);
		job(&j[i], i, alice, "", uuids[i], a);
	}
	maildir_deliver_batch(j, MAILDIR_BATCH_MAX + 1, HOST);
	for (i = 0; i < MAILDIR_BATCH_MAX; i++)
		assert_int_equal(j[i].result, IPC_OK);
	assert_int_equal(j[MAILDIR_BATCH_MAX].result, IPC_TEMPFAIL);
	assert_int_equal(count(alice, "new"), MAILDIR_BATCH_MAX);
	free(j);
	free(uuids);
	close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_found_without_record,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_batch, setup,
		    teardown),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
