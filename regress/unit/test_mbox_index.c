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
 * Unit tests for the mailbox index and the store side of MBOX
 * (immp-deliver/mbox_*.c): UIDs, UIDVALIDITY, MODSEQ, SINCE, rebuild,
 * changes made by other programs, and hostile names and indexes.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "ipc.h"
#include "ipc_mbox.h"
#include "util.h"
#include "mbox_index.h"
#include "mbox_ops.h"

#define UUID_A	"0f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_B	"1f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_C	"2f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_D	"3f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_X	"9f0e0d0c-0b0a-4908-8706-050403020100"

static char	tmpdir[64];
static char	root[128];
static char	out[1 << 20];	/* last multi-line answer or literal */
static struct ipc_mbox_event evs[64];
static size_t	nevs;

static void
emit(const struct ipc_mbox_event *ev, void *arg)
{
	if (nevs < sizeof(evs) / sizeof(evs[0]))
		evs[nevs++] = *ev;
}

static int
setup(void **state)
{
	strlcpy(tmpdir, "/tmp/test_mbox_index.XXXXXX", sizeof(tmpdir));
	assert_non_null(mkdtemp(tmpdir));
	snprintf(root, sizeof(root), "%s/Maildir", tmpdir);
	nevs = 0;
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A request on root; returns the code, the lines/literal into out. */
static int
run(struct ipc_mbox_req *q, struct ipc_mbox_res *res)
{
	struct ipc_mbox_res	r;
	ssize_t			n;
	int			fd;

	if (res == NULL)
		res = &r;
	strlcpy(q->account, "alice@example.org", sizeof(q->account));
	strlcpy(q->mailbox, "alice@example.org", sizeof(q->mailbox));
	q->reqid = 77;
	mbox_request(q, root, res, &fd, emit, NULL);
	out[0] = '\0';
	if (fd != -1) {
		n = pread(fd, out, sizeof(out) - 1, 0);
		assert_true(n >= 0);
		assert_int_equal((uint64_t)n, res->length);
		out[n] = '\0';
		close(fd);
	} else
		assert_int_equal(res->lines, 0);
	assert_int_equal(res->reqid, 77);
	return res->code;
}

static void
req_init(struct ipc_mbox_req *q, int op, const char *folder)
{
	memset(q, 0, sizeof(*q));
	q->op = op;
	strlcpy(q->folder, folder, sizeof(q->folder));
}

static int
simple(int op, const char *folder)
{
	struct ipc_mbox_req	q;

	req_init(&q, op, folder);
	return run(&q, NULL);
}

/* Writes a message file dir/sub/name (dir "" = root). */
static void
put_msg(const char *dir, const char *sub, const char *name,
    const char *subject)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s%s%s/%s/%s", root, dir[0] ? "/" : "",
	    dir, sub, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "From: Bob <bob@example.org>\nTo: alice@example.org\n"
	    "Subject: %s\nDate: Wed, 25 Nov 2026 14:00:00 +0000\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
	    "Hello %s\n", subject, subject);
	assert_int_equal(fclose(f), 0);
}

static void
fname(char *buf, size_t size, const char *uuid)
{
	snprintf(buf, size, "1764079200.%s.host", uuid);
}

/* The value of "key=" in s as a number (0 if absent). */
static unsigned long long
field(const char *s, const char *key)
{
	char		 k[64];
	const char	*p;

	snprintf(k, sizeof(k), " %s=", key);
	if ((p = strstr(s, k)) == NULL)
		return 0;
	return strtoull(p + strlen(k), NULL, 10);
}

static void
check(const char *folder, struct ipc_mbox_res *res)
{
	struct ipc_mbox_req	q;

	req_init(&q, MBOX_OP_CHECK, folder);
	assert_int_equal(run(&q, res), 240);
}

/* Fills the INBOX with messages A B C (in new/). */
static void
fill(void)
{
	char	name[128];

	assert_int_equal(simple(MBOX_OP_LIST, ""), 244);
	fname(name, sizeof(name), UUID_A);
	put_msg("", "new", name, "first");
	fname(name, sizeof(name), UUID_B);
	put_msg("", "new", name, "second");
	fname(name, sizeof(name), UUID_C);
	put_msg("", "new", name, "third");
}

static int
flag(const char *folder, const char *uuid, uint32_t set, uint32_t clear,
    const char *kw, struct ipc_mbox_res *res)
{
	struct ipc_mbox_req	q;

	req_init(&q, MBOX_OP_FLAG, folder);
	strlcpy(q.uuid, uuid, sizeof(q.uuid));
	q.set = set;
	q.clear = clear;
	if (kw != NULL)
		strlcpy(q.kw_set, kw, sizeof(q.kw_set));
	return run(&q, res);
}

static void
test_uids_ascending(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	char			name[128];

	fill();
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 3);
	assert_non_null(strstr(out, "241 1 " UUID_A " "));
	assert_non_null(strstr(out, "241 2 " UUID_B " "));
	assert_non_null(strstr(out, "241 3 " UUID_C " "));
	assert_non_null(strstr(out, "\"Bob <bob@example.org>\" \"first\""));
	assert_non_null(strstr(res.text, "3 messages uidvalidity="));

	/* Expunge C: its UID is never given again. */
	assert_int_equal(flag("/INBOX", UUID_C, MBOX_FLAG_DELETED, 0, NULL,
	    NULL), 246);
	assert_int_equal(simple(MBOX_OP_EXPUNGE, "/INBOX"), 248);
	assert_string_equal(out, "");
	fname(name, sizeof(name), UUID_D);
	put_msg("", "new", name, "fourth");
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	assert_int_equal(run(&q, &res), 242);
	assert_null(strstr(out, UUID_C));
	assert_non_null(strstr(out, "241 4 " UUID_D " "));
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "uidnext"), 5);
	assert_int_equal(field(res.text, "t"), 3);

	/* Paging: FROM and LIMIT with next=. */
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.limit = 1;
	q.from_uid = 2;
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 1);
	assert_non_null(strstr(out, "241 2 "));
	assert_int_equal(field(res.text, "next"), 4);
}

static void
test_recreate_uidvalidity(void **state)
{
	struct ipc_mbox_res	res;
	unsigned long long	v1, v2;
	size_t			i;

	assert_int_equal(simple(MBOX_OP_CREATE, "/Lists/Rust"), 245);
	assert_int_equal(simple(MBOX_OP_CREATE, "/Lists/Rust"), 442);
	check("/Lists/Rust", &res);
	v1 = field(res.text, "uidvalidity");
	assert_true(v1 != 0);
	assert_int_equal(simple(MBOX_OP_DELETE, "/Lists/Rust"), 245);
	assert_int_equal(simple(MBOX_OP_DELETE, "/Lists/Rust"), 440);
	assert_int_equal(simple(MBOX_OP_CREATE, "/Lists/Rust"), 245);
	check("/Lists/Rust", &res);
	v2 = field(res.text, "uidvalidity");
	assert_true(v2 != 0 && v2 != v1);
	/* created, deleted, created */
	for (i = 0; i < nevs; i++) {
		assert_int_equal(evs[i].code, 153);
		assert_int_equal(evs[i].origin, 77);
	}
	assert_int_equal(nevs, 3);
	assert_string_equal(evs[1].text, "/Lists/Rust deleted");
}

static void
test_modseq(void **state)
{
	struct ipc_mbox_res	res;
	unsigned long long	m1, m2, m3;
	char			path[512], name[128];

	fill();
	assert_int_equal(flag("/INBOX", UUID_A, MBOX_FLAG_FLAGGED, 0, NULL,
	    &res), 246);
	m1 = field(res.text, "modseq");
	assert_non_null(strstr(res.text, "flags=\\Flagged"));
	assert_int_equal(flag("/INBOX", UUID_A, MBOX_FLAG_SEEN, 0, "Work",
	    &res), 246);
	m2 = field(res.text, "modseq");
	assert_true(m2 > m1);
	assert_non_null(strstr(res.text, "flags=\\Seen,\\Flagged,work"));
	/* No change: same modseq, no event. */
	nevs = 0;
	assert_int_equal(flag("/INBOX", UUID_A, MBOX_FLAG_SEEN, 0, NULL,
	    &res), 246);
	m3 = field(res.text, "modseq");
	assert_int_equal(m3, m2);
	assert_int_equal(nevs, 0);
	assert_int_equal(flag("/INBOX", UUID_A, 0, MBOX_FLAG_SEEN, NULL,
	    &res), 246);
	assert_true(field(res.text, "modseq") > m2);
	assert_int_equal(nevs, 1);
	assert_int_equal(evs[0].code, 151);
	assert_int_equal(evs[0].kind, MBOX_EV_FLAGS);
	/* The flags are in the file name. */
	fname(name, sizeof(name), UUID_A);
	snprintf(path, sizeof(path), "%s/cur/%s:2,F", root, name);
	assert_int_equal(access(path, F_OK), 0);
	/* Hostile keywords. */
	assert_int_equal(flag("/INBOX", UUID_A, 0, 0, "bad\"kw", &res), 400);
	assert_int_equal(flag("/INBOX", UUID_A, 0, 0,
	    "a b c d e f g h i j k l m n o p q", &res), 400);
	assert_int_equal(flag("/INBOX", UUID_X, MBOX_FLAG_SEEN, 0, NULL,
	    &res), 441);
}

static void
test_since(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	unsigned long long	h;

	fill();
	check("/INBOX", &res);
	h = field(res.text, "highestmodseq");
	assert_int_equal(flag("/INBOX", UUID_A, MBOX_FLAG_ANSWERED, 0, NULL,
	    NULL), 246);
	assert_int_equal(flag("/INBOX", UUID_B, MBOX_FLAG_DELETED, 0, NULL,
	    NULL), 246);
	req_init(&q, MBOX_OP_EXPUNGE, "/INBOX");
	strlcpy(q.uuid, UUID_B, sizeof(q.uuid));
	assert_int_equal(run(&q, &res), 248);
	assert_string_equal(res.text, "1 messages expunged.");
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.since = h;
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 2);
	assert_non_null(strstr(out, "241 1 " UUID_A " "));
	assert_null(strstr(out, UUID_C));
	assert_non_null(strstr(out, "243 vanished 2\n"));
	/* JSON lines. */
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.flags = MBOXF_JSON;
	strlcpy(q.selector, "answered", sizeof(q.selector));
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 1);
	assert_non_null(strstr(out, "250 {\"uid\":1,"));
	assert_non_null(strstr(out, "\"flags\":[\"\\\\Answered\"]"));
}

static void
test_rebuild(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	char			path[512], before[8192];
	unsigned long long	v1;

	fill();
	/* A file another program delivered, with flags. */
	put_msg("", "cur", "foreign-name:2,FS", "foreign");
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	assert_int_equal(run(&q, &res), 242);
	v1 = field(res.text, "uidvalidity");
	assert_int_equal(flag("/INBOX", UUID_B, MBOX_FLAG_SEEN, 0, NULL,
	    NULL), 246);
	assert_int_equal(run(&q, &res), 242);
	strlcpy(before, out, sizeof(before));
	assert_non_null(strstr(before, "\\Seen,\\Flagged"));

	snprintf(path, sizeof(path), "%s/%s", root, MBOX_INDEX_DB);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(run(&q, &res), 242);
	assert_true(field(res.text, "uidvalidity") != v1);
	/* Same UUIDs and flags (modseqs and UIDs may differ). */
	{
		const char *uuids[] = { UUID_A, UUID_B, UUID_C };
		char	line[256], *p, *e;
		size_t	i;

		for (i = 0; i < 3; i++) {
			assert_non_null(p = strstr(out, uuids[i]));
			assert_non_null(strstr(before, uuids[i]));
			e = strchr(p, '\n');
			snprintf(line, sizeof(line), "%.*s", (int)(e - p), p);
			if (i == 1)
				assert_non_null(strstr(line, " \\Seen "));
			else
				assert_non_null(strstr(line, " - "));
		}
	}
	{
		char	uuid[IPC_UUID_MAX];

		mbox_name_uuid("foreign-name", uuid);
		assert_true(uuid_valid(uuid));
		assert_non_null(strstr(out, uuid));
		assert_non_null(strstr(before, uuid));
	}
}

static void
test_external(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	char			from[512], to[512], name[128];
	unsigned long long	h;

	fill();
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	assert_int_equal(run(&q, &res), 242);
	h = field(res.text, "highestmodseq");
	/* new/ was emptied into cur/ with ":2,". */
	fname(name, sizeof(name), UUID_A);
	snprintf(from, sizeof(from), "%s/cur/%s:2,", root, name);
	assert_int_equal(access(from, F_OK), 0);

	/* Another program: flags A seen, removes B, adds one to new/. */
	snprintf(to, sizeof(to), "%s/cur/%s:2,S", root, name);
	assert_int_equal(rename(from, to), 0);
	fname(name, sizeof(name), UUID_B);
	snprintf(from, sizeof(from), "%s/cur/%s:2,", root, name);
	assert_int_equal(unlink(from), 0);
	fname(name, sizeof(name), UUID_D);
	put_msg("", "new", name, "late");

	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.since = h;
	assert_int_equal(run(&q, &res), 242);
	assert_non_null(strstr(out, "241 1 " UUID_A " "));
	assert_non_null(strstr(out, " \\Seen "));
	assert_non_null(strstr(out, "241 4 " UUID_D " "));
	assert_non_null(strstr(out, "243 vanished 2\n"));
	assert_true(field(res.text, "highestmodseq") > h);
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "t"), 3);
	assert_int_equal(field(res.text, "u"), 2);
}

/* Only new/ changed (cur/ settled): new/ alone is rescanned. */
static void
test_newonly(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	char			path[512], name[128];
	struct stat		sb1, sb2;
	unsigned long long	h;

	fill();
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "t"), 3);
	sleep(MBOX_SETTLE + 1);
	snprintf(path, sizeof(path), "%s/cur", root);
	assert_int_equal(stat(path, &sb1), 0);
	fname(name, sizeof(name), UUID_D);
	put_msg("", "new", name, "late");
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "t"), 4);
	assert_int_equal(field(res.text, "uidnext"), 5);
	h = field(res.text, "highestmodseq");
	/* Indexed in place: cur/ untouched, the file still in new/. */
	assert_int_equal(stat(path, &sb2), 0);
	assert_int_equal(sb1.st_mtim.tv_nsec, sb2.st_mtim.tv_nsec);
	assert_int_equal(sb1.st_mtim.tv_sec, sb2.st_mtim.tv_sec);
	snprintf(path, sizeof(path), "%s/new/%s", root, name);
	assert_int_equal(access(path, F_OK), 0);
	req_init(&q, MBOX_OP_FETCH, "/INBOX");
	strlcpy(q.uuid, UUID_D, sizeof(q.uuid));
	q.flags = MBOXF_NOREAD;
	assert_int_equal(run(&q, &res), 251);
	assert_non_null(strstr(out, "Subject: late"));
	/* Another program removes it from new/: noticed, expunged. */
	assert_int_equal(unlink(path), 0);
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.since = h;
	assert_int_equal(run(&q, &res), 242);
	assert_string_equal(out, "243 vanished 4\n");
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "t"), 3);
}

static void
test_fetch(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	json_t			*j;
	json_error_t		 err;

	fill();
	req_init(&q, MBOX_OP_FETCH, "/INBOX");
	strlcpy(q.uuid, UUID_A, sizeof(q.uuid));
	q.flags = MBOXF_NOREAD;
	assert_int_equal(run(&q, &res), 251);
	assert_int_equal(res.lines, 0);
	assert_non_null(strstr(out, "Subject: first\n"));
	assert_non_null(strstr(res.text, "/INBOX#" UUID_A " LENGTH "));
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "u"), 3);

	q.flags = MBOXF_JSON;
	assert_int_equal(run(&q, &res), 250);
	assert_non_null(j = json_loads(out, 0, &err));
	assert_string_equal(json_string_value(json_object_get(j, "uuid")),
	    UUID_A);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "envelope"), "subject")), "first");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "parts"), 0), "text")),
	    "Hello first\n");
	json_decref(j);
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "u"), 2);

	q.flags = 0;
	strlcpy(q.part, "1", sizeof(q.part));
	assert_int_equal(run(&q, &res), 251);
	assert_string_equal(out, "Hello first\n");
	assert_non_null(strstr(res.text, " PART 1 TYPE text/plain LENGTH 12"));
	strlcpy(q.part, "2.1", sizeof(q.part));
	assert_int_equal(run(&q, &res), 446);

	q.part[0] = '\0';
	strlcpy(q.uuid, UUID_X, sizeof(q.uuid));
	assert_int_equal(run(&q, &res), 441);
	strlcpy(q.uuid, "not-a-uuid", sizeof(q.uuid));
	assert_int_equal(run(&q, &res), 400);
	strlcpy(q.uuid, UUID_A, sizeof(q.uuid));
	strlcpy(q.folder, "/Nowhere", sizeof(q.folder));
	assert_int_equal(run(&q, &res), 440);
}

static void
test_copy_move(void **state)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;

	fill();
	req_init(&q, MBOX_OP_COPY, "/INBOX");
	strlcpy(q.uuid, UUID_A, sizeof(q.uuid));
	strlcpy(q.folder2, "/Sent", sizeof(q.folder2));
	assert_int_equal(run(&q, &res), 247);
	assert_string_equal(res.text, "/Sent#" UUID_A " uid=1");
	req_init(&q, MBOX_OP_MOVE, "/INBOX");
	strlcpy(q.uuid, UUID_B, sizeof(q.uuid));
	strlcpy(q.folder2, "/Sent", sizeof(q.folder2));
	nevs = 0;
	assert_int_equal(run(&q, &res), 247);
	assert_string_equal(res.text, "/Sent#" UUID_B " uid=2");
	assert_int_equal(nevs, 2);
	assert_int_equal(evs[0].code, 150);
	assert_int_equal(evs[1].code, 152);
	check("/INBOX", &res);
	assert_int_equal(field(res.text, "t"), 2);
	check("/Sent", &res);
	assert_int_equal(field(res.text, "t"), 2);
	strlcpy(q.folder2, "/Nowhere", sizeof(q.folder2));
	strlcpy(q.uuid, UUID_C, sizeof(q.uuid));
	assert_int_equal(run(&q, &res), 440);

	/* Rename keeps UIDVALIDITY and moves subfolders along. */
	assert_int_equal(simple(MBOX_OP_CREATE, "/A"), 245);
	assert_int_equal(simple(MBOX_OP_CREATE, "/A/B"), 245);
	assert_int_equal(simple(MBOX_OP_DELETE, "/A"), 443);
	check("/A/B", &res);
	{
		unsigned long long v = field(res.text, "uidvalidity");

		req_init(&q, MBOX_OP_RENAME, "/A");
		strlcpy(q.folder2, "/C", sizeof(q.folder2));
		assert_int_equal(run(&q, &res), 245);
		check("/C/B", &res);
		assert_int_equal(field(res.text, "uidvalidity"), v);
	}
	req_init(&q, MBOX_OP_RENAME, "/Sent");
	strlcpy(q.folder2, "/X", sizeof(q.folder2));
	assert_int_equal(run(&q, &res), 443);
	assert_int_equal(simple(MBOX_OP_DELETE, "/Junk"), 443);
	assert_int_equal(simple(MBOX_OP_DELETE, "/INBOX"), 443);
	req_init(&q, MBOX_OP_LIST, "");
	assert_int_equal(run(&q, &res), 244);
	assert_string_equal(out, "244 /INBOX t=2 u=2\n244 /C t=0 u=0\n"
	    "244 /C/B t=0 u=0\n244 /Drafts t=0 u=0\n244 /Junk t=0 u=0\n");
	assert_string_equal(res.text, "/Sent t=2 u=2");
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"../x", "/../x", "/.x/..", "/x/../y", "/a.b", "//", "/a/",
		"/", "", "/\xc3\xa4", "/a b", "/a/b/c/d/e/f/g/h/i", NULL
	};
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	char			path[512], big[80];
	int			fd, i;

	fill();
	for (i = 0; bad[i] != NULL; i++) {
		req_init(&q, MBOX_OP_INDEX, bad[i]);
		assert_int_equal(run(&q, &res), 444);
		req_init(&q, MBOX_OP_CREATE, bad[i]);
		assert_int_equal(run(&q, &res), 444);
	}
	memset(big, 'a', 66);
	big[0] = '/';
	big[66] = '\0';
	assert_int_equal(simple(MBOX_OP_CREATE, big), 444);
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	q.limit = 10001;
	assert_int_equal(run(&q, &res), 400);
	q.limit = 10000;
	assert_int_equal(run(&q, &res), 242);
	strlcpy(q.selector, "bogus", sizeof(q.selector));
	assert_int_equal(run(&q, &res), 400);

	/* A damaged index is moved aside and rebuilt. */
	snprintf(path, sizeof(path), "%s/%s", root, MBOX_INDEX_DB);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	assert_int_equal(write(fd, "garbage garbage garbage", 23), 23);
	close(fd);
	req_init(&q, MBOX_OP_INDEX, "/INBOX");
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 3);
	snprintf(path, sizeof(path), "%s/%s.bad", root, MBOX_INDEX_DB);
	assert_int_equal(access(path, F_OK), 0);

	/* An empty index and a leftover creation do not hang the open. */
	snprintf(path, sizeof(path), "%s/%s", root, MBOX_INDEX_DB);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	close(fd);
	snprintf(path, sizeof(path), "%s/__db.%s", root, MBOX_INDEX_DB);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	assert_int_equal(run(&q, &res), 242);
	assert_int_equal(res.lines, 3);
	assert_int_equal(access(path, F_OK), -1);

	/* A directory where the index should be: 740, no crash. */
	snprintf(path, sizeof(path), "%s/.Junk/%s", root, MBOX_INDEX_DB);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	req_init(&q, MBOX_OP_CHECK, "/Junk");
	assert_int_equal(run(&q, &res), 240);

	/* Folder names the grammar cannot express are skipped. */
	snprintf(path, sizeof(path), "%s/.odd..name", root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(simple(MBOX_OP_LIST, ""), 244);
	assert_null(strstr(out, "odd"));
}

static void
test_codec(void **state)
{
	struct mbox_rec	r, d;
	struct mbox_meta m, m2;
	uint8_t		buf[2048], mb[MBOX_META_LEN];
	char		base[MBOX_NAME_MAX], xinfo[MBOX_XINFO_MAX], name[300];
	uint32_t	flags;
	size_t		len, i;

	memset(&r, 0, sizeof(r));
	r.uid = 7;
	r.flags = MBOX_FLAG_SEEN | MBOX_FLAG_DRAFT;
	r.modseq = 1ULL << 40;
	r.size = 1234;
	r.date = 1764079200;
	strlcpy(r.uuid, UUID_A, sizeof(r.uuid));
	strlcpy(r.base, "1764079200." UUID_A ".host", sizeof(r.base));
	strlcpy(r.xinfo, "P", sizeof(r.xinfo));
	strlcpy(r.kw, "work later", sizeof(r.kw));
	strlcpy(r.from, "Bob", sizeof(r.from));
	strlcpy(r.subject, "Hi \"there\"", sizeof(r.subject));
	assert_true((len = mbox_rec_encode(&r, buf, sizeof(buf))) > 0);
	assert_int_equal(mbox_rec_decode(buf, len, &d), 0);
	assert_memory_equal(&r, &d, sizeof(r));
	/* Every truncation and a flipped length fail cleanly. */
	for (i = 0; i < len; i++)
		assert_int_equal(mbox_rec_decode(buf, i, &d), -1);
	buf[35] ^= 0x40;
	assert_int_equal(mbox_rec_decode(buf, len, &d), -1);

	memset(&m, 0, sizeof(m));
	m.uidvalidity = 5;
	m.uidnext = 9;
	m.highestmodseq = 11;
	m.total = 3;
	m.unread = 2;
	m.cur_nsec = 999;
	mbox_meta_encode(&m, mb);
	assert_int_equal(mbox_meta_decode(mb, sizeof(mb), &m2), 0);
	assert_memory_equal(&m, &m2, sizeof(m));
	assert_int_equal(mbox_meta_decode(mb, sizeof(mb) - 1, &m2), -1);

	assert_int_equal(mbox_name_parse("abc:2,SFxP", base, &flags, xinfo),
	    0);
	assert_string_equal(base, "abc");
	assert_int_equal(flags, MBOX_FLAG_SEEN | MBOX_FLAG_FLAGGED);
	assert_string_equal(xinfo, "xP");
	assert_int_equal(mbox_name_make(base, flags, xinfo, name,
	    sizeof(name)), 0);
	assert_string_equal(name, "abc:2,FPSx");
	assert_int_equal(mbox_name_parse(".hidden", base, &flags, xinfo), -1);
	assert_int_equal(mbox_name_parse("a:1,S", base, &flags, xinfo), -1);
	assert_int_equal(mbox_name_parse("a\nb", base, &flags, xinfo), -1);

	assert_int_equal(mbox_path_canon("/inbox/x", name), 0);
	assert_string_equal(name, "/INBOX/x");
	assert_int_equal(mbox_path_valid("/inbox"), 0);
	assert_int_equal(mbox_path_dir("/Lists/Rust", name, sizeof(name)), 0);
	assert_string_equal(name, ".Lists.Rust");
	assert_int_equal(mbox_dir_path(".INBOX.x", name, sizeof(name)), 0);
	assert_string_equal(name, "/INBOX/x");
	assert_int_equal(mbox_dir_path(".x..y", name, sizeof(name)), -1);
	assert_int_equal(mbox_dir_path("..", name, sizeof(name)), -1);
	assert_int_equal(mbox_dir_path(".", name, sizeof(name)), -1);
}

static void
test_delivered(void **state)
{
	struct mbox_delivered	d[2];
	struct ipc_mbox_res	res;
	char			n1[128], n2[128];

	assert_int_equal(simple(MBOX_OP_LIST, ""), 244);
	assert_int_equal(simple(MBOX_OP_CREATE, "/Lists"), 245);
	fname(n1, sizeof(n1), UUID_A);
	fname(n2, sizeof(n2), UUID_B);
	put_msg("", "new", n1, "one");
	put_msg(".Lists", "new", n2, "two");
	memset(d, 0, sizeof(d));
	d[0].account = d[1].account = "alice@example.org";
	d[0].root = d[1].root = root;
	d[0].name = n1;
	d[0].uuid = UUID_A;
	d[1].folder = "Lists";
	d[1].name = n2;
	d[1].uuid = UUID_B;
	nevs = 0;
	mbox_record_delivered(d, 2, emit, NULL);
	assert_int_equal(nevs, 2);
	assert_string_equal(evs[0].text, "/INBOX#" UUID_A " uid=1");
	assert_string_equal(evs[1].text, "/Lists#" UUID_B " uid=1");
	assert_int_equal(evs[0].origin, 0);
	assert_int_equal(evs[0].code, 150);
	check("/Lists", &res);
	assert_int_equal(field(res.text, "t"), 1);
	assert_int_equal(field(res.text, "uidnext"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uids_ascending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recreate_uidvalidity,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_modseq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newonly, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy_move, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivered, setup,
		    teardown),
		cmocka_unit_test(test_codec),
	};

	if (sodium_init() < 0)
		return 1;
	mbox_gmime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
