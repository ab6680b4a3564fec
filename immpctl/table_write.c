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

/* Atomic copy-change-rename updates of Berkeley DB hash tables. */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table_write.h"

#define TABLE_MODE	0640

static int	 seterr(char *, size_t, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	 dbopen_ro(const char *, DB **, char *, size_t);
static int	 copy_all(DB *, DB *, const char *, char *, size_t);
static int	 set_owner(int, const struct stat *, gid_t);
static int	 keycmp(const void *, const void *);
static void	 db_quiet(const DB_ENV *, const char *, const char *);
static int	 db_new(DB **);

/* Berkeley DB's own messages: dropped, the caller reports its error. */
static void
db_quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
}

/* db_create without an environment, with the messages silenced. */
static int
db_new(DB **dbp)
{
	int	r;

	if ((r = db_create(dbp, NULL, 0)) != 0) {
		*dbp = NULL;
		return r;
	}
	(*dbp)->set_errcall(*dbp, db_quiet);
	return 0;
}

/* Formats "path: message" into err; always returns -1. */
static int
seterr(char *err, size_t errsz, const char *path, const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "%s: %s", path, msg);
	return -1;
}

/*
 * Opens the existing table at path read-only into *dbp.  Returns 1, 0 if
 * there is no such file (*dbp = NULL), or -1.
 */
static int
dbopen_ro(const char *path, DB **dbp, char *err, size_t errsz)
{
	DB	*db;
	int	 r;

	*dbp = NULL;
	if (access(path, F_OK) == -1) {
		if (errno == ENOENT)
			return 0;
		return seterr(err, errsz, path, "%s", strerror(errno));
	}
	if ((r = db_new(&db)) != 0)
		return seterr(err, errsz, path, "%s", db_strerror(r));
	if ((r = db->open(db, NULL, path, NULL, DB_HASH, DB_RDONLY, 0)) != 0) {
		db->close(db, 0);
		return seterr(err, errsz, path, "%s", db_strerror(r));
	}
	*dbp = db;
	return 1;
}

/* Copies every record of from into to.  Returns 0 or -1. */
static int
copy_all(DB *from, DB *to, const char *path, char *err, size_t errsz)
{
	DBC	*c;
	DBT	 k, v;
	int	 r;

	if ((r = from->cursor(from, NULL, &c, 0)) != 0)
		return seterr(err, errsz, path, "%s", db_strerror(r));
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((r = c->get(c, &k, &v, DB_NEXT)) == 0) {
		if ((r = to->put(to, NULL, &k, &v, DB_NOOVERWRITE)) != 0)
			break;
	}
	c->close(c);
	if (r != DB_NOTFOUND)
		return seterr(err, errsz, path, "copy: %s", db_strerror(r));
	return 0;
}

/*
 * Gives fd the owner, group and mode of the old table (old != NULL), or
 * TABLE_MODE and group gid (unless (gid_t)-1) for a new one.
 */
static int
set_owner(int fd, const struct stat *old, gid_t gid)
{
	struct stat	sb;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (old != NULL) {
		if ((sb.st_uid != old->st_uid || sb.st_gid != old->st_gid) &&
		    fchown(fd, old->st_uid, old->st_gid) == -1)
			return -1;
		return fchmod(fd, old->st_mode & 07777);
	}
	if (gid != (gid_t)-1 && sb.st_gid != gid &&
	    fchown(fd, (uid_t)-1, gid) == -1)
		return -1;
	return fchmod(fd, TABLE_MODE);
}

int
table_update(const char *path, enum table_op op, const char *key,
    const void *val, size_t vlen, gid_t gid, char *err, size_t errsz)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	struct stat	 oldsb;
	DB		*old = NULL, *new = NULL;
	DBT		 k, v;
	int		 dfd = -1, fd, r, have, rv = -1;

	if (key == NULL || *key == '\0' || (op != TABLE_DEL &&
	    (val == NULL || vlen == 0 || vlen > UINT32_MAX)) ||
	    strlen(key) > UINT32_MAX)
		return seterr(err, errsz, path, "invalid record");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return seterr(err, errsz, path, "path too long");
	strlcpy(dir, path, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return seterr(err, errsz, path, "directory: %s",
		    strerror(errno));
	if (flock(dfd, LOCK_EX) == -1) {
		seterr(err, errsz, path, "lock: %s", strerror(errno));
		goto done;
	}
	if (unlink(tmp) == -1 && errno != ENOENT) {
		seterr(err, errsz, tmp, "%s", strerror(errno));
		goto done;
	}

	if ((have = dbopen_ro(path, &old, err, errsz)) == -1)
		goto done;
	if (have) {
		if ((r = old->fd(old, &fd)) != 0) {
			seterr(err, errsz, path, "%s", db_strerror(r));
			goto done;
		}
		if (fstat(fd, &oldsb) == -1) {
			seterr(err, errsz, path, "%s", strerror(errno));
			goto done;
		}
	}

	if ((r = db_new(&new)) != 0) {
		seterr(err, errsz, tmp, "%s", db_strerror(r));
		goto done;
	}
	if ((r = new->open(new, NULL, tmp, NULL, DB_HASH,
	    DB_CREATE | DB_EXCL, 0600)) != 0) {
		new->close(new, 0);
		new = NULL;
		seterr(err, errsz, tmp, "%s", db_strerror(r));
		goto done;
	}
	if ((r = new->fd(new, &fd)) != 0) {
		seterr(err, errsz, tmp, "%s", db_strerror(r));
		goto done;
	}
	if (set_owner(fd, have ? &oldsb : NULL, gid) == -1) {
		seterr(err, errsz, tmp, "owner/mode: %s", strerror(errno));
		goto done;
	}
	if (have && copy_all(old, new, path, err, errsz) == -1)
		goto done;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	r = new->get(new, NULL, &k, &v, 0);
	if (r != 0 && r != DB_NOTFOUND) {
		seterr(err, errsz, path, "%s", db_strerror(r));
		goto done;
	}
	if (op == TABLE_ADD && r == 0) {
		rv = TABLE_EXISTS;
		goto done;
	}
	if ((op == TABLE_REPLACE || op == TABLE_DEL) && r == DB_NOTFOUND) {
		rv = TABLE_NOKEY;
		goto done;
	}
	memset(&v, 0, sizeof(v));
	if (op == TABLE_DEL)
		r = new->del(new, NULL, &k, 0);
	else {
		v.data = (void *)val;
		v.size = (u_int32_t)vlen;
		r = new->put(new, NULL, &k, &v, 0);
	}
	if (r != 0) {
		seterr(err, errsz, tmp, "%s", db_strerror(r));
		goto done;
	}

	if ((r = new->sync(new, 0)) != 0) {
		seterr(err, errsz, tmp, "sync: %s", db_strerror(r));
		goto done;
	}
	if (fsync(fd) == -1) {
		seterr(err, errsz, tmp, "fsync: %s", strerror(errno));
		goto done;
	}
	r = new->close(new, 0);
	new = NULL;
	if (r != 0) {
		seterr(err, errsz, tmp, "close: %s", db_strerror(r));
		goto done;
	}
	if (rename(tmp, path) == -1) {
		seterr(err, errsz, path, "rename: %s", strerror(errno));
		goto done;
	}
	if (fsync(dfd) == -1) {
		/* The change is in place; only its durability is unknown. */
		seterr(err, errsz, path, "fsync directory: %s",
		    strerror(errno));
		goto done;
	}
	rv = TABLE_OK;
 done:
	if (old != NULL)
		old->close(old, 0);
	if (new != NULL)
		new->close(new, 0);
	if (rv != TABLE_OK)
		(void)unlink(tmp);
	close(dfd);
	return rv;
}

static int
keycmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

int
table_keys(const char *path, char ***keys, size_t *nkeys, char *err,
    size_t errsz)
{
	DB	 *db;
	DBC	 *c;
	DBT	  k, v;
	char	**a = NULL, **na;
	size_t	  n = 0, cap = 0;
	int	  r, rv = -1;

	*keys = NULL;
	*nkeys = 0;
	if ((r = dbopen_ro(path, &db, err, errsz)) <= 0)
		return r;
	if ((r = db->cursor(db, NULL, &c, 0)) != 0) {
		seterr(err, errsz, path, "%s", db_strerror(r));
		goto done;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((r = c->get(c, &k, &v, DB_NEXT)) == 0) {
		if (memchr(k.data, '\0', k.size) != NULL) {
			seterr(err, errsz, path, "key holds a NUL");
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((na = reallocarray(a, cap, sizeof(*a))) == NULL) {
				seterr(err, errsz, path, "%s", strerror(errno));
				break;
			}
			a = na;
		}
		if ((a[n] = strndup(k.data, k.size)) == NULL) {
			seterr(err, errsz, path, "%s", strerror(errno));
			break;
		}
		n++;
	}
	c->close(c);
	if (r != DB_NOTFOUND) {
		if (r != 0)
			seterr(err, errsz, path, "%s", db_strerror(r));
		table_keys_free(a, n);
		goto done;
	}
	if (n > 0)
		qsort(a, n, sizeof(*a), keycmp);
	*keys = a;
	*nkeys = n;
	rv = 0;
 done:
	db->close(db, 0);
	return rv;
}

int
table_has(const char *path, const char *key, char *err, size_t errsz)
{
	DB	*db;
	DBT	 k, v;
	size_t	 klen;
	int	 r;

	if ((klen = strlen(key)) > UINT32_MAX)
		return 0;
	if ((r = dbopen_ro(path, &db, err, errsz)) <= 0)
		return r;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	r = db->get(db, NULL, &k, &v, 0);
	db->close(db, 0);
	if (r == 0)
		return 1;
	if (r == DB_NOTFOUND)
		return 0;
	return seterr(err, errsz, path, "%s", db_strerror(r));
}

void
table_keys_free(char **keys, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}
