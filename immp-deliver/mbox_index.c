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


/* Mailbox index: Berkeley DB per folder, sync and rebuild (mbox_index.h). */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "mbox_index.h"
#include "util.h"

#define REC_BUF		2048
#define INDEX_CACHE	(8 * 1024 * 1024)

/* One file of cur/ during a rescan. */
struct dent {
	char		*base;
	uint32_t	 where;		/* MBOX_IN_* */
	uint32_t	 flags;
	char		 xinfo[MBOX_XINFO_MAX];
	int		 seen;
};

/* A change found by a rescan, applied after the walk. */
struct fix {
	uint32_t	uid;
	uint32_t	where;
	uint32_t	flags;
	char		xinfo[MBOX_XINFO_MAX];
	int		gone;
};

static int
opendir_at(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

static void
key_uid(uint8_t key[5], char tag, uint32_t uid)
{
	key[0] = tag;
	key[1] = uid >> 24;
	key[2] = uid >> 16;
	key[3] = uid >> 8;
	key[4] = uid;
}

static uint32_t
new_uidvalidity(uint32_t old)
{
	uint32_t	v;

	do {
		v = (uint32_t)time(NULL) + randombytes_uniform(1U << 20);
	} while (v == 0 || v == old);
	return v;
}

/* Logs the Berkeley DB error r of op ("" or "sync: "); -1, errno EIO. */
static int
db_fail(struct mbox_index *ix, const char *op, int r)
{
	log_warnx("%s/%s: %s%s", ix->path, MBOX_INDEX_DB, op, db_strerror(r));
	errno = EIO;
	return -1;
}

static int
db_put(struct mbox_index *ix, const void *k, size_t klen, const void *v,
    size_t vlen)
{
	DBT	key, val;
	int	r;

	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k;
	key.size = klen;
	val.data = (void *)v;
	val.size = vlen;
	if ((r = ix->db->put(ix->db, NULL, &key, &val, 0)) != 0)
		return db_fail(ix, "", r);
	return 0;
}

static int
db_del(struct mbox_index *ix, const void *k, size_t klen)
{
	DBT	key;
	int	r;

	memset(&key, 0, sizeof(key));
	key.data = (void *)k;
	key.size = klen;
	if ((r = ix->db->del(ix->db, NULL, &key, 0)) != 0 &&
	    r != DB_NOTFOUND)
		return db_fail(ix, "", r);
	return 0;
}

/* 0 found (copied into buf, *len), 1 not found, -1 error. */
static int
db_get(struct mbox_index *ix, const void *k, size_t klen, void *buf,
    size_t size, size_t *len)
{
	DBT	key, val;
	int	r;

	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k;
	key.size = klen;
	val.data = buf;
	val.ulen = size;
	val.flags = DB_DBT_USERMEM;
	if ((r = ix->db->get(ix->db, NULL, &key, &val, 0)) == DB_NOTFOUND)
		return 1;
	if (r == DB_BUFFER_SMALL) {
		errno = EIO;
		return -1;
	}
	if (r != 0)
		return db_fail(ix, "", r);
	*len = val.size;
	return 0;
}

static int
put_rec(struct mbox_index *ix, const struct mbox_rec *r)
{
	uint8_t	key[5], buf[REC_BUF];
	size_t	len;

	key_uid(key, 'u', r->uid);
	if ((len = mbox_rec_encode(r, buf, sizeof(buf))) == 0) {
		errno = EOVERFLOW;
		return -1;
	}
	return db_put(ix, key, sizeof(key), buf, len);
}

int
mbox_index_get(struct mbox_index *ix, uint32_t uid, struct mbox_rec *r)
{
	uint8_t	key[5], buf[REC_BUF];
	size_t	len;
	int	rv;

	key_uid(key, 'u', uid);
	if ((rv = db_get(ix, key, sizeof(key), buf, sizeof(buf), &len)) != 0)
		return rv;
	if (mbox_rec_decode(buf, len, r) == -1 || r->uid != uid) {
		log_warnx("%s/%s: damaged record %u", ix->path, MBOX_INDEX_DB,
		    uid);
		errno = EIO;
		return -1;
	}
	return 0;
}

int
mbox_index_find(struct mbox_index *ix, const char *uuid, struct mbox_rec *r)
{
	uint8_t		key[1 + 36], val[4];
	size_t		len;
	uint32_t	uid;
	int		rv;

	if (!uuid_valid(uuid))
		return 1;
	key[0] = 'i';
	memcpy(key + 1, uuid, 36);
	if ((rv = db_get(ix, key, sizeof(key), val, sizeof(val), &len)) != 0)
		return rv;
	if (len != 4) {
		errno = EIO;
		return -1;
	}
	uid = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 |
	    (uint32_t)val[2] << 8 | val[3];
	if ((rv = mbox_index_get(ix, uid, r)) == 1) {
		/* A dangling "i" record: treat as absent. */
		return 1;
	}
	return rv;
}

int
mbox_index_add(struct mbox_index *ix, struct mbox_rec *r)
{
	struct mbox_rec	old;
	uint8_t		key[1 + 36], val[4];
	int		rv;

	if ((rv = mbox_index_find(ix, r->uuid, &old)) == -1)
		return -1;
	if (rv == 0) {
		r->uid = old.uid;
		return 1;
	}
	if (ix->meta.uidnext == UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	r->uid = ix->meta.uidnext++;
	r->modseq = ++ix->meta.highestmodseq;
	key[0] = 'i';
	memcpy(key + 1, r->uuid, 36);
	val[0] = r->uid >> 24;
	val[1] = r->uid >> 16;
	val[2] = r->uid >> 8;
	val[3] = r->uid;
	if (put_rec(ix, r) == -1 || db_put(ix, key, sizeof(key), val, 4) == -1)
		return -1;
	ix->meta.total++;
	if ((r->flags & MBOX_FLAG_SEEN) == 0)
		ix->meta.unread++;
	if (r->where == MBOX_IN_NEW)
		ix->meta.nnew++;
	ix->dirty = 1;
	return 0;
}

int
mbox_index_update(struct mbox_index *ix, const struct mbox_rec *old,
    struct mbox_rec *r)
{
	if (r->flags != old->flags || strcmp(r->kw, old->kw) != 0)
		r->modseq = ++ix->meta.highestmodseq;
	if ((old->flags & MBOX_FLAG_SEEN) == 0 && ix->meta.unread > 0)
		ix->meta.unread--;
	if ((r->flags & MBOX_FLAG_SEEN) == 0)
		ix->meta.unread++;
	if (old->where == MBOX_IN_NEW && ix->meta.nnew > 0)
		ix->meta.nnew--;
	if (r->where == MBOX_IN_NEW)
		ix->meta.nnew++;
	ix->dirty = 1;
	return put_rec(ix, r);
}

int
mbox_index_expunge(struct mbox_index *ix, const struct mbox_rec *r)
{
	uint8_t	key[5], ikey[1 + 36], val[8];
	uint64_t modseq = ++ix->meta.highestmodseq;
	int	i;

	for (i = 0; i < 8; i++)
		val[i] = modseq >> (56 - 8 * i);
	ikey[0] = 'i';
	memcpy(ikey + 1, r->uuid, 36);
	key_uid(key, 'u', r->uid);
	if (db_del(ix, key, sizeof(key)) == -1 ||
	    db_del(ix, ikey, sizeof(ikey)) == -1)
		return -1;
	key_uid(key, 'v', r->uid);
	if (db_put(ix, key, sizeof(key), val, sizeof(val)) == -1)
		return -1;
	if (ix->meta.total > 0)
		ix->meta.total--;
	if ((r->flags & MBOX_FLAG_SEEN) == 0 && ix->meta.unread > 0)
		ix->meta.unread--;
	if (r->where == MBOX_IN_NEW && ix->meta.nnew > 0)
		ix->meta.nnew--;
	ix->dirty = 1;
	return 0;
}

/*
 * Calls fn(key, value, arg) for the records from the key tag|from on,
 * in key order, while the key starts with tag.  fn returns 0 to go on,
 * anything else to stop: that is returned, -1 with errno EIO, as when
 * the index cannot be read.  0 at the end of the records.
 */
static int
db_scan(struct mbox_index *ix, uint8_t tag, uint32_t from,
    int (*fn)(const DBT *, const DBT *, void *), void *arg)
{
	DBC		*c;
	DBT		 key, val;
	uint8_t		 k[5];
	int		 rv, flag = DB_SET_RANGE, ret = 0;

	if (ix->db->cursor(ix->db, NULL, &c, 0) != 0) {
		errno = EIO;
		return -1;
	}
	key_uid(k, tag, from);
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = k;
	key.size = sizeof(k);
	for (;;) {
		if ((rv = c->get(c, &key, &val, flag)) == DB_NOTFOUND)
			break;
		flag = DB_NEXT;
		if (rv != 0) {
			ret = -1;
			break;
		}
		if (key.size < 1 || ((uint8_t *)key.data)[0] != tag)
			break;
		if ((ret = fn(&key, &val, arg)) != 0)
			break;
	}
	c->close(c);
	if (ret == -1)
		errno = EIO;
	return ret;
}

struct walk_arg {
	struct mbox_index	*ix;
	int			(*fn)(const struct mbox_rec *, void *);
	void			*arg;
};

static int
walk_one(const DBT *key, const DBT *val, void *arg)
{
	struct walk_arg	*w = arg;
	struct mbox_rec	 r;

	if (key->size != 5 || mbox_rec_decode(val->data, val->size,
	    &r) == -1) {
		log_warnx("%s/%s: damaged record", w->ix->path,
		    MBOX_INDEX_DB);
		return -1;
	}
	return w->fn(&r, w->arg);
}

int
mbox_index_walk(struct mbox_index *ix, uint32_t from,
    int (*fn)(const struct mbox_rec *, void *), void *arg)
{
	struct walk_arg	 w = { ix, fn, arg };

	return db_scan(ix, 'u', from, walk_one, &w);
}

#define VANISHED_END	1	/* a key of another shape: the end */

struct vanished_arg {
	uint64_t	 since;
	void		(*fn)(uint32_t, void *);
	void		*arg;
};

static int
vanished_one(const DBT *key, const DBT *val, void *arg)
{
	struct vanished_arg	*v = arg;
	const uint8_t		*p = key->data;
	uint64_t		 modseq;
	int			 i;

	if (key->size != 5)
		return VANISHED_END;
	if (val->size != 8)
		return -1;
	for (modseq = 0, i = 0; i < 8; i++)
		modseq = modseq << 8 | ((uint8_t *)val->data)[i];
	if (modseq > v->since)
		v->fn((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
		    (uint32_t)p[3] << 8 | p[4], v->arg);
	return 0;
}

int
mbox_index_vanished(struct mbox_index *ix, uint64_t since,
    void (*fn)(uint32_t, void *), void *arg)
{
	struct vanished_arg	 v = { since, fn, arg };

	return db_scan(ix, 'v', 0, vanished_one, &v) == -1 ? -1 : 0;
}

int
mbox_index_file(const struct mbox_rec *r, char *out, size_t size)
{
	char	name[MBOX_NAME_MAX + 40];

	if (r->where == MBOX_IN_NEW)
		return (size_t)snprintf(out, size, "new/%s", r->base) < size ?
		    0 : -1;
	if (mbox_name_make(r->base, r->flags, r->xinfo, name,
	    sizeof(name)) == -1)
		return -1;
	return (size_t)snprintf(out, size, "cur/%s", name) < size ? 0 : -1;
}

int
mbox_index_touch(struct mbox_index *ix)
{
	struct stat	nsb, csb;

	if (fstat(ix->newfd, &nsb) == -1 || fstat(ix->curfd, &csb) == -1)
		return -1;
	ix->meta.new_sec = nsb.st_mtim.tv_sec;
	ix->meta.new_nsec = nsb.st_mtim.tv_nsec;
	ix->meta.cur_sec = csb.st_mtim.tv_sec;
	ix->meta.cur_nsec = csb.st_mtim.tv_nsec;
	ix->dirty = 1;
	return 0;
}

int
mbox_index_commit(struct mbox_index *ix)
{
	uint8_t	buf[MBOX_META_LEN];
	int	r;

	if (ix->dirty) {
		mbox_meta_encode(&ix->meta, buf);
		if (db_put(ix, "m", 1, buf, sizeof(buf)) == -1)
			return -1;
		ix->dirty = 0;
	}
	if ((r = ix->db->sync(ix->db, 0)) != 0)
		return db_fail(ix, "sync: ", r);
	return 0;
}

/* ---- open, rescan, rebuild ---- */

static int
dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->base,
	    ((const struct dent *)b)->base);
}

static void
dents_free(struct dent *d, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(d[i].base);
	free(d);
}

/* Moves every file of new/ to cur/ with ":2,<info>". */
static void
rescan_new(struct mbox_index *ix)
{
	struct dirent	*de;
	DIR		*d;
	char		 base[MBOX_NAME_MAX], xinfo[MBOX_XINFO_MAX];
	char		 name[MBOX_NAME_MAX + 40];
	uint32_t	 flags;
	int		 fd;

	if ((fd = opendir_at(ix->dirfd, "new")) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (mbox_name_parse(de->d_name, base, &flags, xinfo) == -1 ||
		    mbox_name_make(base, flags, xinfo, name, sizeof(name)) ==
		    -1)
			continue;
		if (renameat(ix->newfd, de->d_name, ix->curfd, name) == -1)
			log_warn("%s/new/%s", ix->path, de->d_name);
	}
	closedir(d);
	if (fsync(ix->curfd) == -1 || fsync(ix->newfd) == -1)
		log_warn("%s: fsync", ix->path);
}

/* Appends the files of sub ("cur" or "new") to *v; 0 or -1. */
static int
read_sub(struct mbox_index *ix, const char *sub, uint32_t where,
    struct dent **v, size_t *n, size_t *cap)
{
	struct dirent	*de;
	struct dent	*t, *e;
	DIR		*d;
	char		 base[MBOX_NAME_MAX];
	int		 fd;

	if ((fd = opendir_at(ix->dirfd, sub)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			if ((t = reallocarray(*v, *cap, sizeof(*t))) == NULL) {
				closedir(d);
				return -1;
			}
			*v = t;
		}
		e = &(*v)[*n];
		memset(e, 0, sizeof(*e));
		if (mbox_name_parse(de->d_name, base, &e->flags,
		    e->xinfo) == -1)
			continue;
		/* new/ holds plain names only. */
		if (where == MBOX_IN_NEW && strcmp(base, de->d_name) != 0)
			continue;
		e->where = where;
		if ((e->base = strdup(base)) == NULL) {
			closedir(d);
			return -1;
		}
		(*n)++;
	}
	closedir(d);
	return 0;
}

/*
 * The files of cur/ (and new/ with withnew), sorted by base name; NULL
 * on error.
 */
static struct dent *
read_cur(struct mbox_index *ix, size_t *np, int withnew)
{
	struct dent	*v = NULL;
	size_t		 n = 0, cap = 0, i, o;

	if (read_sub(ix, "cur", MBOX_IN_CUR, &v, &n, &cap) == -1 ||
	    (withnew && read_sub(ix, "new", MBOX_IN_NEW, &v, &n, &cap) ==
	    -1)) {
		dents_free(v, n);
		return NULL;
	}
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	qsort(v, n, sizeof(*v), dent_cmp);
	/* Two files with the same base: the first one counts. */
	for (i = o = 0; i < n; i++) {
		if (o > 0 && strcmp(v[o - 1].base, v[i].base) == 0) {
			free(v[i].base);
			continue;
		}
		v[o++] = v[i];
	}
	*np = o;
	return v;
}

struct scan {
	struct dent	*d;
	size_t		 nd;
	struct fix	*fix;
	size_t		 nfix, capfix;
};

static int
scan_rec(const struct mbox_rec *r, void *arg)
{
	struct scan	*s = arg;
	struct dent	 key, *e;
	struct fix	*t;
	char		 base[MBOX_NAME_MAX];

	strlcpy(base, r->base, sizeof(base));
	key.base = base;
	e = bsearch(&key, s->d, s->nd, sizeof(*s->d), dent_cmp);
	if (e != NULL) {
		e->seen = 1;
		if (e->flags == r->flags && strcmp(e->xinfo, r->xinfo) == 0 &&
		    r->where == e->where)
			return 0;
	}
	if (s->nfix == s->capfix) {
		s->capfix = s->capfix ? s->capfix * 2 : 64;
		if ((t = reallocarray(s->fix, s->capfix, sizeof(*t))) == NULL)
			return -1;
		s->fix = t;
	}
	t = &s->fix[s->nfix++];
	memset(t, 0, sizeof(*t));
	t->uid = r->uid;
	if (e == NULL)
		t->gone = 1;
	else {
		t->flags = e->flags;
		t->where = e->where;
		strlcpy(t->xinfo, e->xinfo, sizeof(t->xinfo));
	}
	return 0;
}

/* Indexes the file cur/<name> of entry e as a new message. */
static int
index_new_file(struct mbox_index *ix, const struct dent *e)
{
	struct mbox_rec	r;
	char		name[MBOX_NAME_MAX + 40];
	int		fd, rv;

	memset(&r, 0, sizeof(r));
	strlcpy(r.base, e->base, sizeof(r.base));
	strlcpy(r.xinfo, e->xinfo, sizeof(r.xinfo));
	r.flags = e->flags;
	r.where = e->where;
	mbox_name_uuid(r.base, r.uuid);
	if (e->where == MBOX_IN_NEW)
		strlcpy(name, r.base, sizeof(name));
	else if (mbox_name_make(r.base, r.flags, r.xinfo, name,
	    sizeof(name)) == -1)
		return 0;
	if ((fd = openat(e->where == MBOX_IN_NEW ? ix->newfd : ix->curfd,
	    name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return 0;	/* gone meanwhile, or not a file */
	rv = mbox_summary_file(fd, &r);
	close(fd);
	if (rv == -1)
		return 0;
	/* The same UUID twice in one folder: the first one counts. */
	return mbox_index_add(ix, &r) == -1 ? -1 : 0;
}

/*
 * Makes the index match the files (mbox_index.h); with move, new/ is
 * emptied into cur/ first, else its files are indexed where they are
 * (deliveries).
 */
static int
rescan(struct mbox_index *ix, int move)
{
	struct scan	 s;
	struct mbox_rec	 old, r;
	size_t		 i;
	int		 rv = -1;

	memset(&s, 0, sizeof(s));
	if (move)
		rescan_new(ix);
	if ((s.d = read_cur(ix, &s.nd, !move)) == NULL)
		return -1;
	if (mbox_index_walk(ix, 1, scan_rec, &s) != 0)
		goto out;
	for (i = 0; i < s.nfix; i++) {
		if (mbox_index_get(ix, s.fix[i].uid, &old) != 0)
			goto out;
		if (s.fix[i].gone) {
			if (mbox_index_expunge(ix, &old) == -1)
				goto out;
			continue;
		}
		r = old;
		r.flags = s.fix[i].flags;
		strlcpy(r.xinfo, s.fix[i].xinfo, sizeof(r.xinfo));
		r.where = s.fix[i].where;
		if (mbox_index_update(ix, &old, &r) == -1)
			goto out;
	}
	for (i = 0; i < s.nd; i++)
		if (!s.d[i].seen && index_new_file(ix, &s.d[i]) == -1)
			goto out;
	if (mbox_index_touch(ix) == -1)
		goto out;
	rv = 0;
 out:
	dents_free(s.d, s.nd);
	free(s.fix);
	return rv;
}

static int
db_open(struct mbox_index *ix, const char *file, int create)
{
	int	r;

	if ((r = db_create(&ix->db, NULL, 0)) != 0) {
		ix->db = NULL;
		errno = ENOMEM;
		return -1;
	}
	(void)ix->db->set_cachesize(ix->db, 0, INDEX_CACHE, 1);
	if ((r = ix->db->open(ix->db, NULL, file, NULL, DB_BTREE,
	    create ? DB_CREATE | DB_EXCL : 0, 0600)) != 0) {
		if (r != ENOENT)
			log_warnx("%s: %s", file, db_strerror(r));
		ix->db->close(ix->db, DB_NOSYNC);
		ix->db = NULL;
		errno = r > 0 ? r : EIO;
		return -1;
	}
	return 0;
}

/* Reads meta; 0, or -1 if missing or damaged. */
static int
meta_read(struct mbox_index *ix)
{
	uint8_t	buf[MBOX_META_LEN + 1];
	size_t	len;

	if (db_get(ix, "m", 1, buf, sizeof(buf), &len) != 0 ||
	    mbox_meta_decode(buf, len, &ix->meta) == -1)
		return -1;
	return 0;
}

/*
 * A new index from the files: the old file (if any) is moved aside,
 * meta is stored only at the end, so an interrupted rebuild is redone.
 */
static int
rebuild(struct mbox_index *ix, const char *file, uint32_t olduv, int move)
{
	char	bad[PATH_MAX];

	if (ix->db != NULL) {
		ix->db->close(ix->db, DB_NOSYNC);
		ix->db = NULL;
	}
	if ((size_t)snprintf(bad, sizeof(bad), "%s.bad", file) >=
	    sizeof(bad)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (rename(file, bad) == 0)
		log_warnx("%s: damaged index moved to %s.bad, rebuilding",
		    ix->path, MBOX_INDEX_DB);
	else if (errno != ENOENT)
		return -1;
	if (db_open(ix, file, 1) == -1)
		return -1;
	memset(&ix->meta, 0, sizeof(ix->meta));
	ix->meta.uidvalidity = new_uidvalidity(olduv);
	ix->meta.uidnext = 1;
	ix->meta.highestmodseq = 1;
	ix->rebuilt = 1;
	if (rescan(ix, move) == -1)
		return -1;
	ix->dirty = 1;
	return mbox_index_commit(ix);
}

/*
 * 1 if the stored mtimes match and are old enough to trust, 2 if that
 * holds for cur/ only, else 0.
 */
static int
settled(struct mbox_index *ix)
{
	struct stat	nsb, csb;
	time_t		now = time(NULL);

	if (fstat(ix->newfd, &nsb) == -1 || fstat(ix->curfd, &csb) == -1)
		return 0;
	if (csb.st_mtim.tv_sec != ix->meta.cur_sec ||
	    csb.st_mtim.tv_nsec != ix->meta.cur_nsec ||
	    now - csb.st_mtim.tv_sec < MBOX_SETTLE)
		return 0;
	return nsb.st_mtim.tv_sec == ix->meta.new_sec &&
	    nsb.st_mtim.tv_nsec == ix->meta.new_nsec &&
	    now - nsb.st_mtim.tv_sec >= MBOX_SETTLE ? 1 : 2;
}

/*
 * Rescans new/ alone (cur/ unchanged): unknown files are indexed where
 * they are.  Returns 0, 1 if the whole folder must be rescanned (an
 * indexed new/ file is gone, or a name is known elsewhere), -1 on
 * error.
 */
static int
rescan_newonly(struct mbox_index *ix)
{
	struct stat	 nsb;
	struct dirent	*de;
	struct dent	 e;
	struct mbox_rec	 r;
	DIR		*d;
	char		 base[MBOX_NAME_MAX], xinfo[MBOX_XINFO_MAX];
	char		 uuid[IPC_UUID_MAX];
	uint32_t	 flags, seen = 0, known = ix->meta.nnew;
	int		 fd, rv = 0;

	/* The mtime before the listing: what comes later is seen later. */
	if (fstat(ix->newfd, &nsb) == -1 ||
	    (fd = opendir_at(ix->dirfd, "new")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rv == 0 && (de = readdir(d)) != NULL) {
		if (mbox_name_parse(de->d_name, base, &flags, xinfo) == -1 ||
		    strcmp(base, de->d_name) != 0)
			continue;
		mbox_name_uuid(base, uuid);
		if ((rv = mbox_index_find(ix, uuid, &r)) == 0) {
			if (r.where == MBOX_IN_NEW &&
			    strcmp(r.base, base) == 0)
				seen++;
			else
				rv = 1;
			continue;
		}
		if (rv == -1)
			break;
		memset(&e, 0, sizeof(e));
		e.base = base;
		e.where = MBOX_IN_NEW;
		rv = index_new_file(ix, &e);
	}
	closedir(d);
	if (rv != 0)
		return rv;
	if (seen != known)
		return 1;
	ix->meta.new_sec = nsb.st_mtim.tv_sec;
	ix->meta.new_nsec = nsb.st_mtim.tv_nsec;
	ix->dirty = 1;
	return 0;
}

static int
index_open(int dirfd, const char *path, struct mbox_index *ix, int dosync)
{
	struct stat	sb;
	char		file[PATH_MAX];
	uint32_t	olduv = 0;
	int		saved, empty = 0, st;

	memset(ix, 0, sizeof(*ix));
	ix->dirfd = ix->curfd = ix->newfd = ix->tmpfd = -1;
	strlcpy(ix->path, path, sizeof(ix->path));
	if ((size_t)snprintf(file, sizeof(file), "%s/%s", path,
	    MBOX_INDEX_DB) >= sizeof(file)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((ix->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	(void)mkdirat(dirfd, "cur", 0700);
	(void)mkdirat(dirfd, "new", 0700);
	(void)mkdirat(dirfd, "tmp", 0700);
	if ((ix->curfd = opendir_at(dirfd, "cur")) == -1 ||
	    (ix->newfd = opendir_at(dirfd, "new")) == -1 ||
	    (ix->tmpfd = opendir_at(dirfd, "tmp")) == -1)
		goto fail;
	/*
	 * Berkeley DB creates "__db.<name>" and renames it once its first
	 * page is written; a leftover of an interrupted creation, or an
	 * empty index, would make db->open wait forever for its creator.
	 * Only this worker creates indexes, so both are stale.
	 */
	if (unlinkat(dirfd, "__db." MBOX_INDEX_DB, 0) == 0)
		log_warnx("%s/__db.%s: unfinished creation removed", path,
		    MBOX_INDEX_DB);
	if (fstatat(dirfd, MBOX_INDEX_DB, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (!S_ISREG(sb.st_mode) || sb.st_size == 0))
		empty = 1;
	if (!empty && db_open(ix, file, 0) == 0 && meta_read(ix) == 0) {
		if (!dosync || (st = settled(ix)) == 1)
			return 0;
		if (st == 2 && rescan_newonly(ix) == 0 &&
		    mbox_index_commit(ix) == 0)
			return 0;
		if (rescan(ix, 1) == 0 && mbox_index_commit(ix) == 0)
			return 0;
		/* A damaged record: start afresh. */
		olduv = ix->meta.uidvalidity;
	} else if (ix->db != NULL)
		olduv = ix->meta.uidvalidity;
	if (rebuild(ix, file, olduv, dosync) == 0)
		return 0;
 fail:
	saved = errno;
	if (ix->db != NULL)
		ix->db->close(ix->db, DB_NOSYNC);
	ix->db = NULL;
	if (ix->curfd != -1)
		close(ix->curfd);
	if (ix->newfd != -1)
		close(ix->newfd);
	if (ix->tmpfd != -1)
		close(ix->tmpfd);
	close(ix->dirfd);
	ix->dirfd = ix->curfd = ix->newfd = ix->tmpfd = -1;
	errno = saved ? saved : EIO;
	return -1;
}

int
mbox_index_open(int dirfd, const char *path, struct mbox_index *ix)
{
	return index_open(dirfd, path, ix, 1);
}

int
mbox_index_open_nosync(int dirfd, const char *path, struct mbox_index *ix)
{
	return index_open(dirfd, path, ix, 0);
}

int
mbox_index_close(struct mbox_index *ix)
{
	int	rv = 0;

	if (ix->db == NULL)
		return 0;
	if (mbox_index_commit(ix) == -1)
		rv = -1;
	ix->db->close(ix->db, DB_NOSYNC);
	ix->db = NULL;
	close(ix->curfd);
	close(ix->newfd);
	close(ix->tmpfd);
	close(ix->dirfd);
	return rv;
}
