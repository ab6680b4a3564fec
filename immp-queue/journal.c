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

/* The commit journal: records, segments and recovery (journal.h). */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc.h"
#include "journal.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* A segment larger than this cannot have been written by us. */
#define JRNL_FILE_MAX	(JRNL_SEG_MAX + 64 * (size_t)(JRNL_HDR + JRNL_REC_MAX))

#define OFF_TYPE	JRNL_HDR
#define OFF_UUID	(OFF_TYPE + 1)
#define OFF_ENVLEN	(OFF_UUID + JRNL_UUID_LEN)
#define OFF_ENV		(OFF_ENVLEN + 4)

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* BLAKE2b-256 of the length field and rec[JRNL_HDR..JRNL_HDR+len). */
static void
rec_sum(const uint8_t *rec, uint32_t len, uint8_t *out)
{
	crypto_generichash_state	h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, rec, 4);
	crypto_generichash_update(&h, rec + JRNL_HDR, len);
	crypto_generichash_final(&h, out, 32);
}

void
jbuf_free(struct jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Makes room for n more octets; returns where they go, or NULL. */
static uint8_t *
jbuf_grow(struct jbuf *b, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (n > SIZE_MAX / 2 - b->len) {
		errno = ENOMEM;
		return NULL;
	}
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return NULL;
		b->p = p;
		b->cap = cap;
	}
	p = b->p + b->len;
	b->len += n;
	return p;
}

int
jrnl_put_commit(struct jbuf *b, const struct envelope *env,
    const char *envtext, size_t envlen, const void *body)
{
	uint8_t		*r;
	uint64_t	 blen = body != NULL ? env->size : 0;
	uint32_t	 len;

	if (!uuid_valid(env->uuid) || !env->has_digest || envlen == 0 ||
	    envlen > ENV_FILE_MAX || (body != NULL &&
	    env->size > JRNL_BODY_MAX) || (body == NULL &&
	    env->size <= JRNL_BODY_MAX)) {
		errno = EINVAL;
		return -1;
	}
	len = 1 + JRNL_UUID_LEN + 4 + envlen + 1 + blen;
	if ((r = jbuf_grow(b, JRNL_HDR + len)) == NULL)
		return -1;
	put_be32(r, len);
	r[OFF_TYPE] = 'C';
	memcpy(r + OFF_UUID, env->uuid, JRNL_UUID_LEN);
	put_be32(r + OFF_ENVLEN, envlen);
	memcpy(r + OFF_ENV, envtext, envlen);
	r[OFF_ENV + envlen] = body != NULL;
	if (blen > 0)
		memcpy(r + OFF_ENV + envlen + 1, body, blen);
	rec_sum(r, len, r + 4);
	return 0;
}

int
jrnl_put_done(struct jbuf *b, const char *uuid)
{
	uint8_t	*r;

	if (!uuid_valid(uuid)) {
		errno = EINVAL;
		return -1;
	}
	if ((r = jbuf_grow(b, JRNL_HDR + JRNL_PAYLOAD_MIN)) == NULL)
		return -1;
	put_be32(r, JRNL_PAYLOAD_MIN);
	r[OFF_TYPE] = 'D';
	memcpy(r + OFF_UUID, uuid, JRNL_UUID_LEN);
	rec_sum(r, JRNL_PAYLOAD_MIN, r + 4);
	return 0;
}

/* The contents of a 'C' record whose checksum is right. */
static int
decode_commit(const uint8_t *buf, uint32_t len, struct jrnl_rec *rec,
    const char **errstr)
{
	uint8_t		 digest[32];
	uint64_t	 rest;
	uint32_t	 envlen;
	int		 flag;

	if (len < 1 + JRNL_UUID_LEN + 4 + 1 + 1) {
		*errstr = "commit record too short";
		return -1;
	}
	envlen = get_be32(buf + OFF_ENVLEN);
	if (envlen == 0 || envlen > ENV_FILE_MAX ||
	    envlen > len - (1 + JRNL_UUID_LEN + 4 + 1)) {
		*errstr = "bad envelope length";
		return -1;
	}
	rest = len - (1 + JRNL_UUID_LEN + 4 + 1) - envlen;
	flag = buf[OFF_ENV + envlen];
	rec->env = (const char *)buf + OFF_ENV;
	rec->envlen = envlen;
	if (env_parse(rec->env, envlen, &rec->envp, errstr) == -1)
		return -1;
	if (strcmp(rec->envp.uuid, rec->uuid) != 0) {
		*errstr = "envelope of another message";
		goto bad;
	}
	if (!rec->envp.has_digest) {
		*errstr = "envelope without digest";
		goto bad;
	}
	if (flag == 0) {
		if (rest != 0 || rec->envp.size <= JRNL_BODY_MAX) {
			*errstr = "bad record without spool file";
			goto bad;
		}
		return 0;
	}
	if (flag != 1 || rec->envp.size > JRNL_BODY_MAX ||
	    rest != rec->envp.size) {
		*errstr = "bad spool file length";
		goto bad;
	}
	rec->hasbody = 1;
	rec->body = buf + OFF_ENV + envlen + 1;
	crypto_generichash(digest, sizeof(digest), rec->body, rest, NULL, 0);
	if (sodium_memcmp(digest, rec->envp.digest, sizeof(digest)) != 0) {
		*errstr = "spool file does not match its digest";
		goto bad;
	}
	return 0;
bad:
	env_free(&rec->envp);
	return -1;
}

int
jrnl_decode(const uint8_t *buf, size_t avail, struct jrnl_rec *rec,
    size_t *used, const char **errstr)
{
	uint8_t		sum[32];
	uint32_t	len;

	memset(rec, 0, sizeof(*rec));
	if (avail < JRNL_HDR) {
		*errstr = "cut off";
		return JR_SHORT;
	}
	len = get_be32(buf);
	if (len < JRNL_PAYLOAD_MIN || len > JRNL_REC_MAX) {
		*errstr = "bad record length";
		return JR_BAD;
	}
	if (avail - JRNL_HDR < len) {
		*errstr = "cut off";
		return JR_SHORT;
	}
	rec_sum(buf, len, sum);
	if (sodium_memcmp(sum, buf + 4, sizeof(sum)) != 0) {
		*errstr = "bad checksum";
		return JR_BAD;
	}
	*used = JRNL_HDR + len;
	memcpy(rec->uuid, buf + OFF_UUID, JRNL_UUID_LEN);
	rec->uuid[JRNL_UUID_LEN] = '\0';
	if (!uuid_valid(rec->uuid)) {
		*errstr = "bad uuid";
		return JR_INVALID;
	}
	rec->type = buf[OFF_TYPE];
	switch (rec->type) {
	case 'D':
		if (len != JRNL_PAYLOAD_MIN) {
			*errstr = "bad done record";
			return JR_INVALID;
		}
		return JR_OK;
	case 'C':
		if (decode_commit(buf, len, rec, errstr) == -1)
			return JR_INVALID;
		return JR_OK;
	}
	*errstr = "unknown record type";
	return JR_INVALID;
}

/* The first offset after from where a record passes its checksum. */
static size_t
resync(const uint8_t *buf, size_t len, size_t from)
{
	struct jrnl_rec	 rec;
	const char	*err;
	size_t		 p, used;
	uint32_t	 rlen;
	int		 r;

	for (p = from; p + JRNL_HDR <= len; p++) {
		rlen = get_be32(buf + p);
		if (rlen < JRNL_PAYLOAD_MIN || rlen > JRNL_REC_MAX ||
		    rlen > len - p - JRNL_HDR)
			continue;
		r = jrnl_decode(buf + p, len - p, &rec, &used, &err);
		if (r == JR_OK && rec.type == 'C')
			env_free(&rec.envp);
		if (r == JR_OK || r == JR_INVALID)
			return p;
	}
	return 0;
}

void
jrnl_scan(const uint8_t *buf, size_t len, const struct jrnl_scan_cb *cb,
    void *arg)
{
	struct jrnl_rec	 rec;
	const char	*err;
	size_t		 p, q, used;

	if (len < JRNL_MAGIC_LEN) {
		/* A segment whose creation did not finish. */
		if (memcmp(buf, JRNL_MAGIC, len) == 0) {
			if (len > 0)
				cb->tail(0, len, arg);
		} else
			cb->corrupt(0, len, "bad magic", arg);
		return;
	}
	if (memcmp(buf, JRNL_MAGIC, JRNL_MAGIC_LEN) != 0) {
		cb->corrupt(0, len, "bad magic", arg);
		return;
	}
	for (p = JRNL_MAGIC_LEN; p < len; ) {
		switch (jrnl_decode(buf + p, len - p, &rec, &used, &err)) {
		case JR_OK:
			cb->record(&rec, p, arg);
			if (rec.type == 'C')
				env_free(&rec.envp);
			p += used;
			break;
		case JR_INVALID:
			cb->corrupt(p, used, err, arg);
			p += used;
			break;
		default:
			if ((q = resync(buf, len, p + 1)) == 0) {
				cb->tail(p, len - p, arg);
				return;
			}
			cb->corrupt(p, q - p, err, arg);
			p = q;
			break;
		}
	}
}

void
jrnl_seg_name(uint64_t seq, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%016" PRIx64, seq);
}

int
jrnl_seg_parse(const char *name, uint64_t *seq)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < JRNL_NAME_LEN; i++) {
		if (name[i] >= '0' && name[i] <= '9')
			v = v << 4 | (name[i] - '0');
		else if (name[i] >= 'a' && name[i] <= 'f')
			v = v << 4 | (name[i] - 'a' + 10);
		else
			return -1;
	}
	if (name[i] != '\0' || v == 0 || v == UINT64_MAX)
		return -1;
	*seq = v;
	return 0;
}

int
jrnl_seg_create(struct store *st, uint64_t seq)
{
	char	name[JRNL_NAME_LEN + 1];
	int	fd, saved;

	jrnl_seg_name(seq, name, sizeof(name));
	fd = openat(st->journal, name, O_WRONLY | O_APPEND | O_CREAT |
	    O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	if (write(fd, JRNL_MAGIC, JRNL_MAGIC_LEN) != JRNL_MAGIC_LEN ||
	    fsync(fd) == -1 || fsync(st->journal) == -1) {
		saved = errno ? errno : EIO;
		close(fd);
		(void)unlinkat(st->journal, name, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

/* ---- recovery ---- */

/* A message with a commit record. */
struct jent {
	char		 uuid[IPC_UUID_MAX];
	int		 live;
	const char	*env;		/* into the segment image */
	size_t		 envlen;
	const uint8_t	*body;		/* NULL: not in the record */
};

struct jrec {
	struct store	*st;
	uint64_t	 seq;
	int		 last;		/* the newest segment */
	struct jent	*ents;
	size_t		 nents, cap;
	int		*idx;		/* hash of ents, -1 empty */
	size_t		 idxcap;	/* power of 2 */
};

static size_t
uuid_hash(const char *uuid, size_t cap)
{
	uint64_t	h = 0;
	int		i;

	for (i = 0; uuid[i] != '\0'; i++)
		h = h * 131 + (unsigned char)uuid[i];
	return h & (cap - 1);
}

static int
find_ent(struct jrec *jr, const char *uuid)
{
	size_t	h;

	if (jr->idxcap == 0)
		return -1;
	for (h = uuid_hash(uuid, jr->idxcap); jr->idx[h] != -1;
	    h = (h + 1) & (jr->idxcap - 1))
		if (strcmp(jr->ents[jr->idx[h]].uuid, uuid) == 0)
			return jr->idx[h];
	return -1;
}

static int
add_ent(struct jrec *jr, const struct jrnl_rec *rec)
{
	struct jent	*e;
	size_t		 i, h, cap;
	int		*idx;

	if (jr->nents == jr->cap) {
		cap = jr->cap ? jr->cap * 2 : 256;
		if ((e = reallocarray(jr->ents, cap, sizeof(*e))) == NULL)
			return -1;
		jr->ents = e;
		jr->cap = cap;
	}
	if ((jr->nents + 1) * 2 > jr->idxcap) {
		cap = jr->idxcap ? jr->idxcap * 2 : 512;
		if ((idx = reallocarray(NULL, cap, sizeof(*idx))) == NULL)
			return -1;
		for (i = 0; i < cap; i++)
			idx[i] = -1;
		for (i = 0; i < jr->nents; i++) {
			for (h = uuid_hash(jr->ents[i].uuid, cap); idx[h] != -1;
			    h = (h + 1) & (cap - 1))
				;
			idx[h] = i;
		}
		free(jr->idx);
		jr->idx = idx;
		jr->idxcap = cap;
	}
	e = &jr->ents[jr->nents];
	memset(e, 0, sizeof(*e));
	strlcpy(e->uuid, rec->uuid, sizeof(e->uuid));
	e->live = 1;
	e->env = rec->env;
	e->envlen = rec->envlen;
	e->body = rec->hasbody ? rec->body : NULL;
	for (h = uuid_hash(e->uuid, jr->idxcap); jr->idx[h] != -1;
	    h = (h + 1) & (jr->idxcap - 1))
		;
	jr->idx[h] = jr->nents++;
	return 0;
}

static const uint8_t	*scan_base;	/* image being scanned */

static void
span_to_corrupt(struct jrec *jr, size_t off, size_t len, const char *why)
{
	char	seg[JRNL_NAME_LEN + 1], name[64];

	jrnl_seg_name(jr->seq, seg, sizeof(seg));
	(void)snprintf(name, sizeof(name), "journal-%s-%zu", seg, off);
	log_warnx("recovery: journal/%s: %zu octets at offset %zu: %s; "
	    "copied to corrupt/%s", seg, len, off, why, name);
	store_corrupt_copy(jr->st, name, scan_base + off, len);
}

static void
on_record(const struct jrnl_rec *rec, size_t off, void *arg)
{
	struct jrec	*jr = arg;
	int		 i;

	i = find_ent(jr, rec->uuid);
	if (rec->type == 'D') {
		if (i != -1)
			jr->ents[i].live = 0;
		return;
	}
	if (i != -1) {
		span_to_corrupt(jr, off, JRNL_HDR + get_be32(scan_base + off),
		    "second commit record for the same uuid");
		return;
	}
	if (add_ent(jr, rec) == -1)
		fatal("recovery: journal");
}

static void
on_corrupt(size_t off, size_t len, const char *why, void *arg)
{
	span_to_corrupt(arg, off, len, why);
}

static void
on_tail(size_t off, size_t len, void *arg)
{
	struct jrec	*jr = arg;
	char		 seg[JRNL_NAME_LEN + 1];

	if (!jr->last) {
		span_to_corrupt(jr, off, len, "bad end of an older segment");
		return;
	}
	jrnl_seg_name(jr->seq, seg, sizeof(seg));
	log_info("recovery: journal/%s: ignored %zu octets at the end "
	    "(a write that never completed, never acknowledged)", seg, len);
}

static int
fsync_at(int dirfd, const char *name)
{
	int	fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Is queue/<uuid>.msg the spool file of env? */
static int
msg_matches(struct store *st, const char *name, const struct envelope *env,
    const uint8_t *body)
{
	struct stat	 sb;
	uint8_t		 digest[ENV_DIGEST_LEN];
	char		*buf;
	size_t		 len;
	int		 fd, ok;

	if (body != NULL) {
		if (store_read_file(st->queue, name, JRNL_BODY_MAX, &buf,
		    &len) == -1)
			return 0;
		ok = len == env->size && memcmp(buf, body, len) == 0;
		free(buf);
		return ok;
	}
	fd = openat(st->queue, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	if (fd == -1)
		return 0;
	ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size == env->size &&
	    store_digest(fd, env->size, digest) == 0 &&
	    sodium_memcmp(digest, env->digest, sizeof(digest)) == 0;
	close(fd);
	return ok;
}

/* Is queue/<uuid>.env an envelope of the same message as env? */
static int
env_matches(struct store *st, const char *name, const struct envelope *env)
{
	struct envelope	 cur;
	char		*buf;
	size_t		 len;
	int		 ok;

	if (store_read_file(st->queue, name, ENV_FILE_MAX, &buf, &len) == -1)
		return 0;
	ok = env_parse(buf, len, &cur, NULL) == 0 &&
	    strcmp(cur.uuid, env->uuid) == 0 && cur.size == env->size &&
	    cur.has_digest && memcmp(cur.digest, env->digest,
	    sizeof(cur.digest)) == 0;
	env_free(&cur);
	free(buf);
	return ok;
}

/*
 * Makes the files of one message whole and durable.  0; 1 when the
 * message is lost (its spool file was not in the record and is not
 * right in queue/; logged); -1 on an I/O error.
 */
static int
restore(struct store *st, const struct jent *e)
{
	struct envelope	 env;
	char		 envname[IPC_UUID_MAX + 8], msgname[IPC_UUID_MAX + 8];
	int		 r = -1;

	if (env_parse(e->env, e->envlen, &env, NULL) == -1)
		fatalx("recovery: journal record changed in memory");
	(void)snprintf(envname, sizeof(envname), "%s.env", e->uuid);
	(void)snprintf(msgname, sizeof(msgname), "%s.msg", e->uuid);
	if (!msg_matches(st, msgname, &env, e->body)) {
		if (e->body == NULL) {
			log_warnx("recovery: uuid=%s: spool file lost",
			    e->uuid);
			store_corrupt_copy(st, envname, e->env, e->envlen);
			store_to_corrupt(st, st->queue, envname);
			store_to_corrupt(st, st->queue, msgname);
			env_free(&env);
			return 1;
		}
		log_info("recovery: uuid=%s: spool file rewritten from the "
		    "journal", e->uuid);
		if (store_put_file(st, st->queue, msgname, e->body, env.size,
		    0) == -1) {
			log_warn("recovery: queue/%s", msgname);
			goto out;
		}
	}
	if (!env_matches(st, envname, &env)) {
		log_info("recovery: uuid=%s: envelope rewritten from the "
		    "journal", e->uuid);
		if (store_put_file(st, st->queue, envname, e->env, e->envlen,
		    0) == -1) {
			log_warn("recovery: queue/%s", envname);
			goto out;
		}
	}
	if (fsync_at(st->queue, msgname) == -1 ||
	    fsync_at(st->queue, envname) == -1) {
		log_warn("recovery: fsync uuid=%s", e->uuid);
		goto out;
	}
	r = 0;
out:
	env_free(&env);
	return r;
}

static int
cmp_seq(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segment numbers in journal/, sorted; strangers to corrupt/. */
static int
list_segments(struct store *st, uint64_t **out, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	*v = NULL, *nv, seq;
	size_t		 cap = 0;

	*n = 0;
	if ((d = store_opendir(st->journal)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (jrnl_seg_parse(de->d_name, &seq) == -1) {
			store_to_corrupt(st, st->journal, de->d_name);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		v[(*n)++] = seq;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_seq);
	*out = v;
	return 0;
}

int
jrnl_recover(struct store *st, uint64_t *nextseq)
{
	static const struct jrnl_scan_cb cb = { on_record, on_corrupt,
	    on_tail };
	struct jrec	  jr;
	uint64_t	 *seqs = NULL;
	char		**imgs = NULL, name[JRNL_NAME_LEN + 1];
	size_t		  nseg, i, len;
	int		  r = -1, count = 0, lost = 0, rr;

	memset(&jr, 0, sizeof(jr));
	jr.st = st;
	*nextseq = 1;
	if (list_segments(st, &seqs, &nseg) == -1)
		return -1;
	if (nseg > 0 && (imgs = calloc(nseg, sizeof(*imgs))) == NULL)
		goto done;
	for (i = 0; i < nseg; i++) {
		jrnl_seg_name(seqs[i], name, sizeof(name));
		*nextseq = seqs[i] + 1;
		if (store_read_file(st->journal, name, JRNL_FILE_MAX, &imgs[i],
		    &len) == -1) {
			if (errno != EBADMSG) {
				log_warn("recovery: journal/%s", name);
				goto done;
			}
			log_warnx("recovery: journal/%s: not a segment",
			    name);
			store_to_corrupt(st, st->journal, name);
			continue;
		}
		jr.seq = seqs[i];
		jr.last = i == nseg - 1;
		scan_base = (const uint8_t *)imgs[i];
		jrnl_scan(scan_base, len, &cb, &jr);
	}
	scan_base = NULL;
	for (i = 0; i < jr.nents; i++) {
		if (!jr.ents[i].live)
			continue;
		if ((rr = restore(st, &jr.ents[i])) == -1)
			goto done;
		if (rr == 1)
			lost++;
		else
			count++;
	}
	if (count > 0 && fsync(st->queue) == -1) {
		log_warn("recovery: fsync queue/");
		goto done;
	}
	/* Every message is durable by itself now: the segments can go. */
	for (i = 0; i < nseg; i++) {
		jrnl_seg_name(seqs[i], name, sizeof(name));
		if (unlinkat(st->journal, name, 0) == -1 && errno != ENOENT)
			log_warn("recovery: unlink journal/%s", name);
	}
	if (nseg > 0 && fsync(st->journal) == -1)
		log_warn("recovery: fsync journal/");
	if (nseg > 0)
		log_info("recovery: journal: %zu segment%s, %d message%s "
		    "checked, %d lost", nseg, nseg == 1 ? "" : "s", count,
		    count == 1 ? "" : "s", lost);
	r = count;
done:
	for (i = 0; imgs != NULL && i < nseg; i++)
		free(imgs[i]);
	free(imgs);
	free(seqs);
	free(jr.ents);
	free(jr.idx);
	return r;
}
