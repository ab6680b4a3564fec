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

/* Read-only Berkeley DB hash tables, reopened when the file changes. */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "table_db.h"

enum table_state {
	TS_INIT,	/* never looked at */
	TS_OPEN,	/* db is open */
	TS_MISSING,	/* no such file (logged) */
	TS_BROKEN,	/* the file at id cannot be opened (logged) */
};

struct table_db {
	char		 path[PATH_MAX];
	DB		*db;
	enum table_state state;
	struct stat	 id;	/* the file opened or refused */
};

static int	same_file(const struct stat *, const struct stat *);
static void	table_db_shut(struct table_db *);
static int	table_db_refresh(struct table_db *);
static void	db_msg(const DB_ENV *, const char *, const char *);

/* Berkeley DB's own messages go to the debug log, not to stderr. */
static void
db_msg(const DB_ENV *env, const char *pfx, const char *msg)
{
	log_debug("db: %s", msg);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
table_db_shut(struct table_db *t)
{
	if (t->db != NULL)
		t->db->close(t->db, 0);
	t->db = NULL;
}

/*
 * Makes t->db match the file now at t->path.  Returns 1 if the table is
 * open, 0 if the file is missing, -1 if it cannot be used.
 */
static int
table_db_refresh(struct table_db *t)
{
	struct stat	 sb;
	DB		*db;
	int		 fd, r;

	if (stat(t->path, &sb) == -1) {
		table_db_shut(t);
		if (errno == ENOENT) {
			if (t->state != TS_MISSING)
				log_warnx("table %s: no such file, every key "
				    "is unknown", t->path);
			t->state = TS_MISSING;
			return 0;
		}
		if (t->state != TS_BROKEN)
			log_warn("table %s", t->path);
		t->state = TS_BROKEN;
		memset(&t->id, 0, sizeof(t->id));
		return -1;
	}
	if (t->state == TS_OPEN && same_file(&sb, &t->id))
		return 1;
	if (t->state == TS_BROKEN && same_file(&sb, &t->id))
		return -1;

	table_db_shut(t);
	if ((r = db_create(&db, NULL, 0)) != 0)
		goto bad;
	db->set_errcall(db, db_msg);
	if ((r = db->open(db, NULL, t->path, NULL, DB_HASH, DB_RDONLY, 0)) !=
	    0 || (r = db->fd(db, &fd)) != 0) {
		db->close(db, 0);
		goto bad;
	}
	if (fstat(fd, &sb) == -1) {
		r = errno;
		db->close(db, 0);
		goto bad;
	}
	if (t->state != TS_INIT && t->state != TS_OPEN)
		log_info("table %s: opened", t->path);
	else
		log_debug("table %s: opened", t->path);
	t->db = db;
	t->id = sb;
	t->state = TS_OPEN;
	return 1;
 bad:
	log_warnx("table %s: %s", t->path, db_strerror(r));
	t->state = TS_BROKEN;
	t->id = sb;
	return -1;
}

struct table_db *
table_db_open(const char *path)
{
	struct table_db	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (strlcpy(t->path, path, sizeof(t->path)) >= sizeof(t->path)) {
		free(t);
		errno = ENAMETOOLONG;
		return NULL;
	}
	t->state = TS_INIT;
	return t;
}

int
table_db_get(struct table_db *t, const char *key, char *buf, size_t size)
{
	DBT	k, v;
	size_t	klen;
	int	r;

	if ((r = table_db_refresh(t)) <= 0)
		return r == 0 ? TABLE_DB_NOTFOUND : TABLE_DB_ERROR;
	if ((klen = strlen(key)) == 0 || klen > UINT32_MAX)
		return TABLE_DB_NOTFOUND;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	if ((r = t->db->get(t->db, NULL, &k, &v, 0)) == DB_NOTFOUND)
		return TABLE_DB_NOTFOUND;
	if (r != 0) {
		log_warnx("table %s: get: %s", t->path, db_strerror(r));
		return TABLE_DB_ERROR;
	}
	if (v.size >= size || v.size > INT_MAX || (v.size > 0 &&
	    memchr(v.data, '\0', v.size) != NULL)) {
		log_warnx("table %s: invalid value for a key", t->path);
		return TABLE_DB_ERROR;
	}
	if (v.size > 0)
		memcpy(buf, v.data, v.size);
	buf[v.size] = '\0';
	return (int)v.size;
}

int
table_db_check(struct table_db *t)
{
	return table_db_refresh(t);
}

int
table_db_reopen(struct table_db *t)
{
	table_db_shut(t);
	/* TS_INIT: the next refresh opens whatever file is there now. */
	if (t->state == TS_OPEN)
		t->state = TS_INIT;
	memset(&t->id, 0, sizeof(t->id));
	return table_db_refresh(t);
}

void
table_db_close(struct table_db *t)
{
	if (t == NULL)
		return;
	table_db_shut(t);
	free(t);
}
