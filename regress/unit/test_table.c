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
 * Unit tests for immpctl/table_write.c (safe table updates) and
 * immp-lookup/table_db.c (the reader that follows them).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../immpctl/table_write.h"
#include "../../immp-lookup/table_db.h"

struct fixture {
	char	dir[PATH_MAX];
	char	path[PATH_MAX];
	char	tmp[PATH_MAX];
	char	err[512];
};

static int
setup(void **state)
{
	struct fixture	*f;
	const char	*t;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	snprintf(f->dir, sizeof(f->dir), "%s/test_table.XXXXXX", t);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if ((size_t)snprintf(f->path, sizeof(f->path), "%s/users.db",
	    f->dir) >= sizeof(f->path) ||
	    (size_t)snprintf(f->tmp, sizeof(f->tmp), "%s/users.db.tmp",
	    f->dir) >= sizeof(f->tmp))
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	unlink(f->path);
	unlink(f->tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int
put(struct fixture *f, enum table_op op, const char *k, const char *v)
{
	return table_update(f->path, op, k, v, v ? strlen(v) : 0, (gid_t)-1,
	    f->err, sizeof(f->err));
}

/* Reads key from an open DB handle into buf; 1 found, 0 not found. */
static int
dbget(DB *db, const char *key, char *buf, size_t size)
{
	DBT	k, v;
	int	r;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = strlen(key);
	r = db->get(db, NULL, &k, &v, 0);
	if (r == DB_NOTFOUND)
		return 0;
	assert_int_equal(r, 0);
	assert_true(v.size < size);
	memcpy(buf, v.data, v.size);
	buf[v.size] = '\0';
	return 1;
}

static DB *
dbopen(const char *path)
{
	DB	*db;

	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, DB_HASH, DB_RDONLY,
	    0), 0);
	return db;
}

static void
test_add_replace_del(void **state)
{
	struct fixture	*f = *state;
	char		 buf[64];
	struct stat	 sb;
	DB		*db;

	assert_int_equal(put(f, TABLE_ADD, "bob@demo.test", "v-bob"),
	    TABLE_OK);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(access(f->tmp, F_OK), -1);
	assert_int_equal(put(f, TABLE_ADD, "alice@demo.test", "v-alice"),
	    TABLE_OK);
	assert_int_equal(put(f, TABLE_ADD, "alice@demo.test", "other"),
	    TABLE_EXISTS);
	assert_int_equal(put(f, TABLE_REPLACE, "carol@demo.test", "x"),
	    TABLE_NOKEY);
	assert_int_equal(put(f, TABLE_DEL, "carol@demo.test", NULL),
	    TABLE_NOKEY);
	assert_int_equal(access(f->tmp, F_OK), -1);

	db = dbopen(f->path);
	assert_int_equal(dbget(db, "alice@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "v-alice");
	assert_int_equal(dbget(db, "bob@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "v-bob");
	db->close(db, 0);

	assert_int_equal(put(f, TABLE_REPLACE, "alice@demo.test", "v2"),
	    TABLE_OK);
	assert_int_equal(put(f, TABLE_SET, "carol@demo.test", "v-carol"),
	    TABLE_OK);
	assert_int_equal(put(f, TABLE_SET, "carol@demo.test", "v-carol2"),
	    TABLE_OK);
	assert_int_equal(put(f, TABLE_DEL, "bob@demo.test", NULL), TABLE_OK);

	db = dbopen(f->path);
	assert_int_equal(dbget(db, "alice@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "v2");
	assert_int_equal(dbget(db, "carol@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "v-carol2");
	assert_int_equal(dbget(db, "bob@demo.test", buf, sizeof(buf)), 0);
	db->close(db, 0);

	/* Bad records are refused. */
	assert_int_equal(put(f, TABLE_SET, "", "x"), -1);
	assert_int_equal(put(f, TABLE_SET, "a@b.c", ""), -1);
}

static void
test_list(void **state)
{
	struct fixture	 *f = *state;
	char		**keys;
	size_t		  n;
	char		  k[32];
	int		  i;

	/* No table yet: no keys. */
	assert_int_equal(table_keys(f->path, &keys, &n, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(n, 0);
	assert_null(keys);

	for (i = 99; i >= 0; i--) {
		snprintf(k, sizeof(k), "u%02d@demo.test", i);
		assert_int_equal(put(f, TABLE_ADD, k, "v"), TABLE_OK);
	}
	assert_int_equal(table_keys(f->path, &keys, &n, f->err,
	    sizeof(f->err)), 0);
	assert_int_equal(n, 100);
	for (i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "u%02d@demo.test", i);
		assert_string_equal(keys[i], k);
	}
	table_keys_free(keys, n);
}

/* A reader holding the old file keeps seeing it; the inode changes. */
static void
test_atomic(void **state)
{
	struct fixture	*f = *state;
	char		 buf[64];
	struct stat	 a, b;
	DB		*db;

	assert_int_equal(put(f, TABLE_ADD, "alice@demo.test", "old"),
	    TABLE_OK);
	assert_int_equal(stat(f->path, &a), 0);
	db = dbopen(f->path);
	assert_int_equal(put(f, TABLE_REPLACE, "alice@demo.test", "new"),
	    TABLE_OK);
	assert_int_equal(put(f, TABLE_ADD, "bob@demo.test", "b"), TABLE_OK);
	assert_int_equal(stat(f->path, &b), 0);
	assert_true(a.st_ino != b.st_ino);

	assert_int_equal(dbget(db, "alice@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "old");
	assert_int_equal(dbget(db, "bob@demo.test", buf, sizeof(buf)), 0);
	db->close(db, 0);

	db = dbopen(f->path);
	assert_int_equal(dbget(db, "alice@demo.test", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "new");
	db->close(db, 0);
}

/* Mode and group of an existing table survive an update. */
static void
test_keep_mode(void **state)
{
	struct fixture	*f = *state;
	struct stat	 sb;

	assert_int_equal(put(f, TABLE_ADD, "a@demo.test", "1"), TABLE_OK);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(put(f, TABLE_ADD, "b@demo.test", "2"), TABLE_OK);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

/* A stale temporary file is replaced; a non-table file is not touched. */
static void
test_hostile_files(void **state)
{
	struct fixture	 *f = *state;
	char		**keys;
	size_t		  n;
	struct stat	  sb;
	int		  fd;

	assert_true((fd = open(f->tmp, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	assert_int_equal(put(f, TABLE_ADD, "a@demo.test", "1"), TABLE_OK);
	assert_int_equal(access(f->tmp, F_OK), -1);

	unlink(f->path);
	assert_true((fd = open(f->path, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(write(fd, "not a database\n", 15), 15);
	close(fd);
	assert_int_equal(put(f, TABLE_ADD, "a@demo.test", "1"), -1);
	assert_non_null(strstr(f->err, f->path));
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 15);
	assert_int_equal(access(f->tmp, F_OK), -1);
	assert_int_equal(table_keys(f->path, &keys, &n, f->err,
	    sizeof(f->err)), -1);

	/* A directory that does not exist. */
	assert_int_equal(table_update("/nonexistent/dir/users.db", TABLE_ADD,
	    "a@b.c", "1", 1, (gid_t)-1, f->err, sizeof(f->err)), -1);
}

/* The lookup side: table_db follows the renames. */
static void
test_reader_follows(void **state)
{
	struct fixture	*f = *state;
	struct table_db	*t;
	char		 buf[64];

	t = table_db_open(f->path);
	assert_non_null(t);
	/* Missing file: every key is unknown. */
	assert_int_equal(table_db_get(t, "alice@demo.test", buf,
	    sizeof(buf)), TABLE_DB_NOTFOUND);

	assert_int_equal(put(f, TABLE_ADD, "alice@demo.test", "v1"),
	    TABLE_OK);
	assert_int_equal(table_db_get(t, "alice@demo.test", buf,
	    sizeof(buf)), 2);
	assert_string_equal(buf, "v1");
	assert_int_equal(table_db_get(t, "bob@demo.test", buf, sizeof(buf)),
	    TABLE_DB_NOTFOUND);

	assert_int_equal(put(f, TABLE_REPLACE, "alice@demo.test", "v2-long"),
	    TABLE_OK);
	assert_int_equal(table_db_get(t, "alice@demo.test", buf,
	    sizeof(buf)), 7);
	assert_string_equal(buf, "v2-long");
	/* Too small a buffer. */
	assert_int_equal(table_db_get(t, "alice@demo.test", buf, 7),
	    TABLE_DB_ERROR);

	assert_int_equal(put(f, TABLE_DEL, "alice@demo.test", NULL),
	    TABLE_OK);
	assert_int_equal(table_db_get(t, "alice@demo.test", buf,
	    sizeof(buf)), TABLE_DB_NOTFOUND);

	unlink(f->path);
	assert_int_equal(table_db_get(t, "alice@demo.test", buf,
	    sizeof(buf)), TABLE_DB_NOTFOUND);
	table_db_close(t);
}

/* Values holding a NUL are refused by the reader. */
static void
test_reader_nul(void **state)
{
	struct fixture	*f = *state;
	struct table_db	*t;
	char		 buf[64];

	assert_int_equal(table_update(f->path, TABLE_ADD, "a@demo.test",
	    "x\0y", 3, (gid_t)-1, f->err, sizeof(f->err)), TABLE_OK);
	assert_non_null(t = table_db_open(f->path));
	assert_int_equal(table_db_get(t, "a@demo.test", buf, sizeof(buf)),
	    TABLE_DB_ERROR);
	table_db_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_replace_del, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reader_follows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reader_nul, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
