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
 * Unit tests for immp-queue/journal.c (the commit journal) and the
 * parts of store.c it relies on: records, segment scanning with torn
 * tails and corruption, the envelope digest, and start-up recovery.
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
#include <sodium.h>

#include "ipc.h"
#include "spool.h"
#include "../../immp-queue/journal.h"
#include "../../immp-queue/store.h"

#define UUID_A	"0f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_B	"1f0e0d0c-0b0a-4908-8706-050403020100"
#define UUID_C	"2f0e0d0c-0b0a-4908-8706-050403020100"

static char	tmpdir[64];

/* ---- helpers ---- */

/* A well-formed spool file with one text part, in a malloc'ed buffer. */
static uint8_t *
make_spool(const char *text, size_t *len)
{
	struct spool_writer	 w;
	struct stat		 sb;
	uint8_t			*buf;
	FILE			*f = tmpfile();
	int			 fd;

	assert_non_null(f);
	fd = fileno(f);
	assert_int_equal(spool_w_init(&w, fd), 0);
	assert_int_equal(spool_w_begin(&w, "text/plain", "body", 1), 0);
	assert_int_equal(spool_w_data(&w, text, strlen(text)), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_finish(&w), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc(sb.st_size);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, sb.st_size, 0), sb.st_size);
	fclose(f);
	*len = sb.st_size;
	return buf;
}

/* env for uuid with the given spool file (digest and size set). */
static void
make_env(struct envelope *env, const char *uuid, const uint8_t *body,
    size_t len)
{
	memset(env, 0, sizeof(*env));
	strlcpy(env->uuid, uuid, sizeof(env->uuid));
	strlcpy(env->sender, "alice@demo.test", sizeof(env->sender));
	strlcpy(env->peer, "127.0.0.1", sizeof(env->peer));
	env->accepted = 1700000000;
	env->size = len;
	env->nrcpt = 1;
	env->rcpt = calloc(1, sizeof(*env->rcpt));
	assert_non_null(env->rcpt);
	strlcpy(env->rcpt[0].account, "bob@demo.test",
	    sizeof(env->rcpt[0].account));
	env->has_digest = 1;
	crypto_generichash(env->digest, sizeof(env->digest), body, len,
	    NULL, 0);
}

/* Appends a 'C' record for uuid (with its spool file) to b. */
static void
put_commit(struct jbuf *b, const char *uuid, const uint8_t *body,
    size_t len)
{
	struct envelope	 env;
	char		*text;
	size_t		 tlen;

	make_env(&env, uuid, body, len);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	assert_int_equal(jrnl_put_commit(b, &env, text, tlen, body), 0);
	free(text);
	env_free(&env);
}

/* A segment image: magic, then the records in rec. */
static void
segment(struct jbuf *seg, const struct jbuf *rec)
{
	memset(seg, 0, sizeof(*seg));
	seg->p = malloc(JRNL_MAGIC_LEN + rec->len + 1);
	assert_non_null(seg->p);
	memcpy(seg->p, JRNL_MAGIC, JRNL_MAGIC_LEN);
	memcpy(seg->p + JRNL_MAGIC_LEN, rec->p, rec->len);
	seg->len = seg->cap = JRNL_MAGIC_LEN + rec->len;
}

/* What a scan saw. */
struct seen {
	int	 nrec;
	char	 types[16];
	char	 uuids[16][IPC_UUID_MAX];
	int	 ncorrupt;
	size_t	 corrupt_off[16];
	size_t	 corrupt_len[16];
	int	 ntail;
	size_t	 tail_off;
	size_t	 tail_len;
};

static void
cb_record(const struct jrnl_rec *rec, size_t off, void *arg)
{
	struct seen	*s = arg;

	if (s->nrec < 16) {
		s->types[s->nrec] = rec->type;
		strlcpy(s->uuids[s->nrec], rec->uuid, IPC_UUID_MAX);
	}
	s->nrec++;
}

static void
cb_corrupt(size_t off, size_t len, const char *why, void *arg)
{
	struct seen	*s = arg;

	assert_non_null(why);
	if (s->ncorrupt < 16) {
		s->corrupt_off[s->ncorrupt] = off;
		s->corrupt_len[s->ncorrupt] = len;
	}
	s->ncorrupt++;
}

static void
cb_tail(size_t off, size_t len, void *arg)
{
	struct seen	*s = arg;

	s->ntail++;
	s->tail_off = off;
	s->tail_len = len;
}

static const struct jrnl_scan_cb scan_cb = { cb_record, cb_corrupt, cb_tail };

static void
scan(const struct jbuf *seg, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	jrnl_scan(seg->p, seg->len, &scan_cb, s);
}

/* ---- records ---- */

static void
test_roundtrip(void **state)
{
	struct jbuf	 b = { 0 };
	struct jrnl_rec	 rec;
	const char	*err;
	uint8_t		*body;
	size_t		 blen, used, first;

	body = make_spool("hello\n", &blen);
	put_commit(&b, UUID_A, body, blen);
	first = b.len;
	assert_int_equal(jrnl_put_done(&b, UUID_A), 0);

	assert_int_equal(jrnl_decode(b.p, b.len, &rec, &used, &err), JR_OK);
	assert_int_equal(used, first);
	assert_int_equal(rec.type, 'C');
	assert_string_equal(rec.uuid, UUID_A);
	assert_true(rec.hasbody);
	assert_int_equal(rec.envp.size, blen);
	assert_memory_equal(rec.body, body, blen);
	assert_string_equal(rec.envp.rcpt[0].account, "bob@demo.test");
	env_free(&rec.envp);

	assert_int_equal(jrnl_decode(b.p + first, b.len - first, &rec, &used,
	    &err), JR_OK);
	assert_int_equal(rec.type, 'D');
	assert_string_equal(rec.uuid, UUID_A);
	assert_int_equal(used, b.len - first);

	/* Every proper prefix is cut off, never accepted. */
	for (used = 0; used < first; used++)
		assert_int_equal(jrnl_decode(b.p, used, &rec, &blen, &err),
		    JR_SHORT);
	jbuf_free(&b);
	free(body);
}

static void
test_put_refuses(void **state)
{
	struct jbuf	 b = { 0 };
	struct envelope	 env;
	uint8_t		*body, *big;
	char		*text;
	size_t		 blen, tlen;

	body = make_spool("x\n", &blen);
	make_env(&env, UUID_A, body, blen);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	/* No digest. */
	env.has_digest = 0;
	assert_int_equal(jrnl_put_commit(&b, &env, text, tlen, body), -1);
	env.has_digest = 1;
	/* A small spool file must be in the record... */
	assert_int_equal(jrnl_put_commit(&b, &env, text, tlen, NULL), -1);
	/* ...a large one must not (oversize record). */
	env.size = JRNL_BODY_MAX + 1;
	big = calloc(1, JRNL_BODY_MAX + 1);
	assert_non_null(big);
	assert_int_equal(jrnl_put_commit(&b, &env, text, tlen, big), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(jrnl_put_commit(&b, &env, text, tlen, NULL), 0);
	/* Envelope too large, empty; bad uuids. */
	assert_int_equal(jrnl_put_commit(&b, &env, (char *)big,
	    ENV_FILE_MAX + 1, NULL), -1);
	assert_int_equal(jrnl_put_commit(&b, &env, text, 0, NULL), -1);
	assert_int_equal(jrnl_put_done(&b, "../../x"), -1);
	strlcpy(env.uuid, "0F0E0D0C-0B0A-4908-8706-050403020100",
	    sizeof(env.uuid));
	assert_int_equal(jrnl_put_commit(&b, &env, text, tlen, NULL), -1);
	free(big);
	free(text);
	free(body);
	env_free(&env);
	jbuf_free(&b);
}

/* Rewrites the record at r (whole record of len octets) with a new sum. */
static void
reseal(uint8_t *r)
{
	crypto_generichash_state	h;
	uint32_t			len;

	len = (uint32_t)r[0] << 24 | r[1] << 16 | r[2] << 8 | r[3];
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, r, 4);
	crypto_generichash_update(&h, r + JRNL_HDR, len);
	crypto_generichash_final(&h, r + 4, 32);
}

static void
expect_invalid(struct jbuf *b)
{
	struct jrnl_rec	 rec;
	const char	*err = NULL;
	size_t		 used;

	reseal(b->p);
	assert_int_equal(jrnl_decode(b->p, b->len, &rec, &used, &err),
	    JR_INVALID);
	assert_non_null(err);
	assert_int_equal(used, b->len);
}

static void
test_decode_hostile(void **state)
{
	struct jbuf	 b = { 0 };
	struct jrnl_rec	 rec;
	const char	*err;
	uint8_t		*body;
	size_t		 blen, used;

	body = make_spool("hostile\n", &blen);

	/* Length out of range: too small, too large (oversize). */
	put_commit(&b, UUID_A, body, blen);
	b.p[0] = b.p[1] = b.p[2] = 0;
	b.p[3] = JRNL_PAYLOAD_MIN - 1;
	assert_int_equal(jrnl_decode(b.p, b.len, &rec, &used, &err), JR_BAD);
	b.p[0] = 0x7f;
	assert_int_equal(jrnl_decode(b.p, b.len, &rec, &used, &err), JR_BAD);
	jbuf_free(&b);

	/* Bad checksum: any flipped octet. */
	put_commit(&b, UUID_A, body, blen);
	for (used = 4; used < b.len; used += 7) {
		b.p[used] ^= 0x20;
		assert_int_equal(jrnl_decode(b.p, b.len, &rec, &blen, &err),
		    JR_BAD);
		b.p[used] ^= 0x20;
	}
	assert_int_equal(jrnl_decode(b.p, b.len, &rec, &used, &err), JR_OK);
	env_free(&rec.envp);

	/* Right checksum, wrong contents. */
	b.p[JRNL_HDR] = 'X';				/* unknown type */
	expect_invalid(&b);
	b.p[JRNL_HDR] = 'C';
	b.p[JRNL_HDR + 1] = 'G';			/* bad uuid */
	expect_invalid(&b);
	memcpy(b.p + JRNL_HDR + 1, UUID_B, 36);		/* other envelope */
	expect_invalid(&b);
	memcpy(b.p + JRNL_HDR + 1, UUID_A, 36);
	b.p[b.len - 1] ^= 1;				/* digest mismatch */
	expect_invalid(&b);
	b.p[b.len - 1] ^= 1;
	b.p[JRNL_HDR + 37 + 3] += 1;			/* envelope length */
	expect_invalid(&b);
	b.p[JRNL_HDR + 37 + 3] -= 1;
	b.p[JRNL_HDR + 37 + 4] = 'x';			/* envelope text */
	expect_invalid(&b);
	jbuf_free(&b);

	/* A done record with trailing octets. */
	assert_int_equal(jrnl_put_done(&b, UUID_A), 0);
	b.p = realloc(b.p, b.len + 1);
	assert_non_null(b.p);
	b.p[b.len++] = 0;
	b.p[3] += 1;
	expect_invalid(&b);
	jbuf_free(&b);
	free(body);
}

/* ---- scanning ---- */

static void
test_scan_torn_tail(void **state)
{
	struct jbuf	 r = { 0 }, seg;
	struct seen	 s;
	uint8_t		*body;
	size_t		 blen, full;

	body = make_spool("torn\n", &blen);
	put_commit(&r, UUID_A, body, blen);
	put_commit(&r, UUID_B, body, blen);
	full = r.len;
	put_commit(&r, UUID_C, body, blen);
	segment(&seg, &r);

	/* Every cut inside the third record: two records and a tail. */
	for (seg.len = JRNL_MAGIC_LEN + full + 1;
	    seg.len < JRNL_MAGIC_LEN + r.len; seg.len += 13) {
		scan(&seg, &s);
		assert_int_equal(s.nrec, 2);
		assert_int_equal(s.ncorrupt, 0);
		assert_int_equal(s.ntail, 1);
		assert_int_equal(s.tail_off, JRNL_MAGIC_LEN + full);
	}
	/* A bad checksum in the last record is a tail too. */
	seg.len = JRNL_MAGIC_LEN + r.len;
	seg.p[seg.len - 3] ^= 0x55;
	scan(&seg, &s);
	assert_int_equal(s.nrec, 2);
	assert_int_equal(s.ncorrupt, 0);
	assert_int_equal(s.ntail, 1);
	/* So are zeros after the last record. */
	seg.p[seg.len - 3] ^= 0x55;
	memset(seg.p + JRNL_MAGIC_LEN + full, 0, r.len - full);
	scan(&seg, &s);
	assert_int_equal(s.nrec, 2);
	assert_int_equal(s.ntail, 1);
	/* A segment whose creation was cut short. */
	seg.len = 5;
	scan(&seg, &s);
	assert_int_equal(s.nrec + s.ncorrupt, 0);
	seg.len = 0;
	scan(&seg, &s);
	assert_int_equal(s.nrec + s.ncorrupt + s.ntail, 0);
	jbuf_free(&seg);
	jbuf_free(&r);
	free(body);
}

static void
test_scan_corrupt_middle(void **state)
{
	struct jbuf	 r = { 0 }, seg;
	struct seen	 s;
	uint8_t		*body;
	size_t		 blen, a, b;

	body = make_spool("middle\n", &blen);
	put_commit(&r, UUID_A, body, blen);
	a = r.len;
	put_commit(&r, UUID_B, body, blen);
	b = r.len;
	assert_int_equal(jrnl_put_done(&r, UUID_A), 0);
	put_commit(&r, UUID_C, body, blen);
	segment(&seg, &r);

	/* Bad checksum in the second record: it alone is corrupt. */
	seg.p[JRNL_MAGIC_LEN + a + 50] ^= 1;
	scan(&seg, &s);
	assert_int_equal(s.nrec, 3);
	assert_string_equal(s.uuids[0], UUID_A);
	assert_int_equal(s.types[1], 'D');
	assert_string_equal(s.uuids[2], UUID_C);
	assert_int_equal(s.ncorrupt, 1);
	assert_int_equal(s.corrupt_off[0], JRNL_MAGIC_LEN + a);
	assert_int_equal(s.corrupt_len[0], b - a);
	assert_int_equal(s.ntail, 0);

	/* A garbage length in it: the scan finds the next record. */
	seg.p[JRNL_MAGIC_LEN + a + 50] ^= 1;
	seg.p[JRNL_MAGIC_LEN + a] = 0xff;
	scan(&seg, &s);
	assert_int_equal(s.nrec, 3);
	assert_int_equal(s.ncorrupt, 1);
	assert_int_equal(s.corrupt_len[0], b - a);

	/* Bad magic: the whole image. */
	seg.p[0] = 'X';
	scan(&seg, &s);
	assert_int_equal(s.nrec, 0);
	assert_int_equal(s.ncorrupt, 1);
	assert_int_equal(s.corrupt_len[0], seg.len);
	jbuf_free(&seg);
	jbuf_free(&r);
	free(body);
}

static void
test_scan_garbage(void **state)
{
	struct jbuf	 seg = { 0 };
	struct seen	 s;
	size_t		 i;

	seg.len = JRNL_MAGIC_LEN + 100000;
	seg.p = malloc(seg.len);
	assert_non_null(seg.p);
	memcpy(seg.p, JRNL_MAGIC, JRNL_MAGIC_LEN);
	for (i = 0; i < 20; i++) {
		randombytes_buf(seg.p + JRNL_MAGIC_LEN, seg.len -
		    JRNL_MAGIC_LEN);
		scan(&seg, &s);
		assert_int_equal(s.nrec, 0);
		assert_int_equal(s.ntail, 1);
	}
	jbuf_free(&seg);
}

static void
test_names(void **state)
{
	char		name[JRNL_NAME_LEN + 1];
	uint64_t	seq;

	jrnl_seg_name(0x1234abcd, name, sizeof(name));
	assert_string_equal(name, "000000001234abcd");
	assert_int_equal(jrnl_seg_parse(name, &seq), 0);
	assert_int_equal(seq, 0x1234abcd);
	assert_int_equal(jrnl_seg_parse("000000001234ABCD", &seq), -1);
	assert_int_equal(jrnl_seg_parse("000000001234abc", &seq), -1);
	assert_int_equal(jrnl_seg_parse("000000001234abcde", &seq), -1);
	assert_int_equal(jrnl_seg_parse("0000000000000000", &seq), -1);
	assert_int_equal(jrnl_seg_parse("../0000000000001", &seq), -1);
}

static void
test_digest_key(void **state)
{
	struct envelope	 env, back;
	char		*text, bad[4096];
	uint8_t		*body;
	size_t		 blen, tlen;
	char		*p;

	body = make_spool("digest\n", &blen);
	make_env(&env, UUID_A, body, blen);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	assert_non_null(memmem(text, tlen, "\ndigest=", 8));
	assert_int_equal(env_parse(text, tlen, &back, NULL), 0);
	assert_true(back.has_digest);
	assert_memory_equal(back.digest, env.digest, ENV_DIGEST_LEN);
	env_free(&back);

	/* Upper case, short, duplicate digests are refused. */
	assert_true(tlen + 100 < sizeof(bad));
	memcpy(bad, text, tlen);
	bad[tlen] = '\0';
	p = strstr(bad, "digest=") + 7;
	p[0] = 'A';
	assert_int_equal(env_parse(bad, tlen, &back, NULL), -1);
	memcpy(bad, text, tlen);
	p = strstr(bad, "\ndigest=");
	memmove(p + 1, p + 2, tlen - (p + 2 - bad));
	assert_int_equal(env_parse(bad, tlen - 1, &back, NULL), -1);
	memcpy(bad, text, tlen);
	p = strstr(bad, "digest=");
	memcpy(bad + tlen, p, 72);
	assert_int_equal(env_parse(bad, tlen + 72, &back, NULL), -1);
	free(text);
	free(body);
	env_free(&env);
}

/* ---- recovery ---- */

static struct store	st;
static char		loaded[8][IPC_UUID_MAX];
static int		nloaded;

static void
on_loaded(struct envelope *env, void *arg)
{
	if (nloaded < 8)
		strlcpy(loaded[nloaded], env->uuid, IPC_UUID_MAX);
	nloaded++;
	env_free(env);
}

static int
setup(void **state)
{
	char	path[128];

	strlcpy(tmpdir, "/tmp/test_journal.XXXXXX", sizeof(tmpdir));
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/spool", tmpdir);
	assert_int_equal(store_open(path, &st), 0);
	nloaded = 0;
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	close(st.root);
	close(st.incoming);
	close(st.queue);
	close(st.journal);
	close(st.pool);
	close(st.corrupt);
	free(st.pool_free);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
write_at(int dirfd, const char *name, const void *buf, size_t len)
{
	int	fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int
count_dir(int dirfd)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	d = fdopendir(dup(dirfd));
	assert_non_null(d);
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
was_loaded(const char *uuid)
{
	int	i;

	for (i = 0; i < nloaded && i < 8; i++)
		if (strcmp(loaded[i], uuid) == 0)
			return 1;
	return 0;
}

static void
test_recover(void **state)
{
	struct jbuf	 r = { 0 }, seg;
	struct envelope	 env;
	char		 name[64], *text, *buf;
	uint8_t		*body;
	size_t		 blen, tlen, len, cut;
	uint64_t	 next;

	body = make_spool("recover me\n", &blen);
	/* A: committed, files lost (a power failure before write-back). */
	put_commit(&r, UUID_A, body, blen);
	/* B: committed, files there; its envelope was updated since. */
	put_commit(&r, UUID_B, body, blen);
	make_env(&env, UUID_B, body, blen);
	env.rcpt[0].tries = 3;
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	write_at(st.queue, UUID_B ".env", text, tlen);
	write_at(st.queue, UUID_B ".msg", body, blen);
	free(text);
	env_free(&env);
	/* C: committed and finished. */
	put_commit(&r, UUID_C, body, blen);
	assert_int_equal(jrnl_put_done(&r, UUID_C), 0);
	/* A second commit record for A: corrupt, A itself survives. */
	cut = r.len;
	put_commit(&r, UUID_A, body, blen);
	segment(&seg, &r);
	jrnl_seg_name(7, name, sizeof(name));
	write_at(st.journal, name, seg.p, seg.len);
	jbuf_free(&seg);
	jbuf_free(&r);

	/* A newer segment with a torn tail only. */
	put_commit(&r, UUID_C, body, blen);
	segment(&seg, &r);
	jrnl_seg_name(9, name, sizeof(name));
	write_at(st.journal, name, seg.p, seg.len - 10);
	jbuf_free(&seg);
	jbuf_free(&r);
	/* A stranger in journal/ and a spool in incoming/. */
	write_at(st.journal, "notes", "x", 1);
	write_at(st.incoming, UUID_C, "x", 1);

	assert_int_equal(store_recover(&st, on_loaded, NULL, &next), 2);
	assert_int_equal(next, 10);
	assert_true(was_loaded(UUID_A));
	assert_true(was_loaded(UUID_B));
	/* A's files came back from the journal. */
	assert_int_equal(store_read_file(st.queue, UUID_A ".msg", 1 << 20,
	    &buf, &len), 0);
	assert_int_equal(len, blen);
	assert_memory_equal(buf, body, blen);
	free(buf);
	/* B's newer envelope was kept. */
	assert_int_equal(store_read_file(st.queue, UUID_B ".env", 1 << 20,
	    &buf, &len), 0);
	assert_int_equal(env_parse(buf, len, &env, NULL), 0);
	assert_int_equal(env.rcpt[0].tries, 3);
	env_free(&env);
	free(buf);
	/* Segments gone; the duplicate and the stranger in corrupt/. */
	assert_int_equal(count_dir(st.journal), 0);
	assert_int_equal(count_dir(st.incoming), 0);
	snprintf(name, sizeof(name), "journal-0000000000000007-%zu",
	    JRNL_MAGIC_LEN + cut);
	assert_int_equal(faccessat(st.corrupt, name, F_OK, 0), 0);
	assert_int_equal(faccessat(st.corrupt, "notes", F_OK, 0), 0);
	assert_int_equal(count_dir(st.corrupt), 2);
	free(body);
}

static void
test_recover_damaged_files(void **state)
{
	struct envelope	 env;
	struct jbuf	 r = { 0 }, seg;
	char		 name[32], *text, *buf;
	uint8_t		*body, *other;
	size_t		 blen, olen, tlen, len;
	uint64_t	 next;

	body = make_spool("the right body\n", &blen);
	other = make_spool("a wrong body!!\n", &olen);
	assert_int_equal(blen, olen);
	/* A: right size, wrong contents (a recycled file); torn .env. */
	put_commit(&r, UUID_A, body, blen);
	write_at(st.queue, UUID_A ".msg", other, olen);
	write_at(st.queue, UUID_A ".env", "version=1\nuu", 12);
	/* B: an envelope of another message under its name. */
	put_commit(&r, UUID_B, body, blen);
	make_env(&env, UUID_C, body, blen);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	write_at(st.queue, UUID_B ".env", text, tlen);
	free(text);
	env_free(&env);
	segment(&seg, &r);
	jrnl_seg_name(1, name, sizeof(name));
	write_at(st.journal, name, seg.p, seg.len);
	jbuf_free(&seg);
	jbuf_free(&r);
	/* C: no journal record, spool file differs from its digest. */
	make_env(&env, UUID_C, body, blen);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	write_at(st.queue, UUID_C ".env", text, tlen);
	write_at(st.queue, UUID_C ".msg", other, olen);
	free(text);
	env_free(&env);

	assert_int_equal(store_recover(&st, on_loaded, NULL, &next), 2);
	assert_int_equal(next, 2);
	assert_true(was_loaded(UUID_A));
	assert_true(was_loaded(UUID_B));
	assert_false(was_loaded(UUID_C));
	assert_int_equal(store_read_file(st.queue, UUID_A ".msg", 1 << 20,
	    &buf, &len), 0);
	assert_memory_equal(buf, body, blen);
	free(buf);
	assert_int_equal(faccessat(st.corrupt, UUID_C ".env", F_OK, 0), 0);
	assert_int_equal(faccessat(st.corrupt, UUID_C ".msg", F_OK, 0), 0);
	free(body);
	free(other);
}

/* A record without its spool file (a large message). */
static void
put_large(struct jbuf *b, const char *uuid, uint8_t **bodyp, size_t *lenp)
{
	struct envelope	 env;
	char		*text, *big;
	uint8_t		*body;
	size_t		 blen, tlen;

	big = malloc(JRNL_BODY_MAX + 100);
	assert_non_null(big);
	memset(big, 'y', JRNL_BODY_MAX + 99);
	big[JRNL_BODY_MAX + 99] = '\0';
	body = make_spool(big, &blen);
	free(big);
	make_env(&env, uuid, body, blen);
	assert_int_equal(env_format(&env, &text, &tlen), 0);
	assert_int_equal(jrnl_put_commit(b, &env, text, tlen, NULL), 0);
	free(text);
	env_free(&env);
	*bodyp = body;
	*lenp = blen;
}

static void
test_recover_large(void **state)
{
	struct jbuf	 r = { 0 }, seg;
	char		 name[32];
	uint8_t		*a, *b;
	size_t		 alen, blen;
	uint64_t	 next;

	/* A: spool file in place (it was fsynced), envelope lost. */
	put_large(&r, UUID_A, &a, &alen);
	write_at(st.queue, UUID_A ".msg", a, alen);
	/* B: spool file damaged: cannot be rebuilt, set aside. */
	put_large(&r, UUID_B, &b, &blen);
	write_at(st.queue, UUID_B ".msg", b, blen - 1);
	segment(&seg, &r);
	jrnl_seg_name(3, name, sizeof(name));
	write_at(st.journal, name, seg.p, seg.len);
	jbuf_free(&seg);
	jbuf_free(&r);

	assert_int_equal(store_recover(&st, on_loaded, NULL, &next), 1);
	assert_true(was_loaded(UUID_A));
	assert_false(was_loaded(UUID_B));
	assert_int_equal(faccessat(st.corrupt, UUID_B ".msg", F_OK, 0), 0);
	assert_int_equal(faccessat(st.corrupt, UUID_B ".env", F_OK, 0), 0);
	assert_int_equal(count_dir(st.journal), 0);
	free(a);
	free(b);
}

static void
test_pool(void **state)
{
	char		uuid[IPC_UUID_MAX];
	uint64_t	n, m;
	size_t		before = st.pool_nfree;
	struct stat	sb;
	int		fd;

	assert_true(before >= POOL_PREFILL);
	fd = store_create(&st, uuid, &n);
	assert_true(fd != -1);
	assert_int_equal(st.pool_nfree, before - 1);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(store_pool_place(&st, n, st.queue, "x.msg", 0), 0);
	/* No replacing unless asked. */
	fd = store_pool_take(&st, &m);
	assert_true(fd != -1);
	close(fd);
	assert_int_equal(store_pool_place(&st, m, st.queue, "x.msg", 0), -1);
	assert_int_equal(errno, EEXIST);
	store_pool_release(&st, m);
	/* Back into the pool, and out again cut down to one octet. */
	store_pool_put(&st, st.queue, "x.msg");
	assert_int_equal(st.pool_nfree, before);
	fd = store_pool_take(&st, &m);
	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_true(sb.st_size <= 1);
	close(fd);
	store_pool_release(&st, m);
	/* Not a regular file: removed, not pooled. */
	assert_int_equal(mkdirat(st.queue, "d", 0700), 0);
	store_pool_put(&st, st.queue, "d");
	assert_int_equal(st.pool_nfree, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_put_refuses),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_scan_torn_tail),
		cmocka_unit_test(test_scan_corrupt_middle),
		cmocka_unit_test(test_scan_garbage),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_digest_key),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_damaged_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
