/*
 * Unit tests for immpd/zlit.c (gzip literals, immp(7) COMPRESSION) with
 * hostile inputs: bombs, truncation, trailing data, corrupt members;
 * and for immpd/ratelimit.c (the admission counters).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "../../immpd/set.h"

struct sink {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		 calls, maxpiece;
	size_t		 stop_after;	/* 1: stop at the first */
};

static int
sink_out(void *arg, const void *p, size_t n)
{
	struct sink	*s = arg;

	assert_true(n > 0 && n <= ZLIT_CHUNK);
	s->calls++;
	if (n > s->maxpiece)
		s->maxpiece = n;
	if (s->buf != NULL) {
		assert_true(n <= s->cap - s->len);
		memcpy(s->buf + s->len, p, n);
	}
	s->len += n;
	return (s->stop_after != 0 && s->calls >= s->stop_after);
}

/* gzip of in[0..len) with zlib; *outlen set; malloc'ed. */
static uint8_t *
gz(const void *in, size_t len, size_t *outlen)
{
	z_stream	 zs;
	uint8_t		*out;
	size_t		 cap = len + len / 100 + 1024;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	out = malloc(cap);
	assert_non_null(out);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return (out);
}

/* Feeds in in pieces of step octets; returns the first error or OK. */
static int
feed(struct zlit *z, const uint8_t *in, size_t len, size_t step,
    struct sink *s)
{
	size_t	 off, n;
	int	 r;

	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if ((r = zlit_inflate(z, in + off, n, sink_out, s)) != ZLIT_OK)
			return (r);
	}
	return (ZLIT_OK);
}

static void
test_round_trip(void **state)
{
	static const size_t	 steps[] = { 1, 7, 4096, 1 << 20 };
	uint8_t			*data, *g;
	size_t			 glen, i, n = 300000;
	struct sink		 s;
	struct zlit		*z;

	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	g = gz(data, n, &glen);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.buf = malloc(n);
		s.cap = n;
		z = zlit_inflate_new(n);	/* exactly the limit: fine */
		assert_int_equal(feed(z, g, glen, steps[i], &s), ZLIT_OK);
		assert_int_equal(zlit_inflate_end(z), ZLIT_OK);
		assert_int_equal(s.len, n);
		assert_int_equal(zlit_inflated(z), n);
		assert_memory_equal(s.buf, data, n);
		assert_true(s.maxpiece <= ZLIT_CHUNK);
		zlit_free(z);
		free(s.buf);
	}
	free(g);
	free(data);
}

static void
test_bomb(void **state)
{
	uint8_t		*zero, *g;
	size_t		 glen, n = 64 << 20;	/* 64 MiB of zeros */
	struct sink	 s;
	struct zlit	*z;

	zero = calloc(1, n);
	assert_non_null(zero);
	g = gz(zero, n, &glen);
	free(zero);
	assert_true(glen < 100000);
	memset(&s, 0, sizeof(s));
	z = zlit_inflate_new(1 << 20);
	assert_int_equal(zlit_inflate(z, g, glen, sink_out, &s),
	    ZLIT_TOOBIG);
	/* the sink never got more than the limit */
	assert_true(s.len <= 1 << 20);
	/* a dead stream stays dead */
	assert_int_equal(zlit_inflate(z, g, 1, sink_out, &s), ZLIT_TOOBIG);
	assert_int_equal(zlit_inflate_end(z), ZLIT_TOOBIG);
	zlit_free(z);
	/* limit 0: any output is too much */
	z = zlit_inflate_new(0);
	assert_int_equal(zlit_inflate(z, g, glen, sink_out, &s),
	    ZLIT_TOOBIG);
	zlit_free(z);
	free(g);
}

static void
test_hostile(void **state)
{
	const char	*txt = "hello, world\n";
	uint8_t		*g, *m;
	size_t		 glen, i;
	struct sink	 s;
	struct zlit	*z;

	g = gz(txt, strlen(txt), &glen);
	m = malloc(glen + 16);
	assert_non_null(m);
	/* every truncation is refused at the end, none crashes */
	for (i = 0; i < glen; i++) {
		memset(&s, 0, sizeof(s));
		z = zlit_inflate_new(1000);
		(void)zlit_inflate(z, g, i, sink_out, &s);
		assert_int_not_equal(zlit_inflate_end(z), ZLIT_OK);
		zlit_free(z);
	}
	/* trailing data, even in a later call */
	memcpy(m, g, glen);
	memcpy(m + glen, "XY", 2);
	memset(&s, 0, sizeof(s));
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, m, glen + 2, sink_out, &s),
	    ZLIT_BAD);
	zlit_free(z);
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, g, glen, sink_out, &s), ZLIT_OK);
	assert_int_equal(zlit_inflate(z, "X", 1, sink_out, &s), ZLIT_BAD);
	assert_int_equal(zlit_inflate_end(z), ZLIT_BAD);
	zlit_free(z);
	/* a zlib (not gzip) stream, a raw string, a bad CRC, bad magic */
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, "\x78\x9c\x03\x00", 4, sink_out,
	    &s), ZLIT_BAD);
	zlit_free(z);
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, txt, strlen(txt), sink_out, &s),
	    ZLIT_BAD);
	zlit_free(z);
	memcpy(m, g, glen);
	m[glen - 8] ^= 1;
	z = zlit_inflate_new(1000);
	assert_int_not_equal(zlit_inflate(z, m, glen, sink_out, &s) ==
	    ZLIT_OK && zlit_inflate_end(z) == ZLIT_OK, 1);
	zlit_free(z);
	/* every single-octet corruption: never more output than allowed */
	for (i = 0; i < glen; i++) {
		memcpy(m, g, glen);
		m[i] ^= 0x5a;
		memset(&s, 0, sizeof(s));
		z = zlit_inflate_new(20);
		(void)zlit_inflate(z, m, glen, sink_out, &s);
		(void)zlit_inflate_end(z);
		assert_true(s.len <= 20);
		zlit_free(z);
	}
	/* the consumer may stop early: no more output after that */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, g, glen, sink_out, &s), ZLIT_OK);
	assert_int_equal(s.calls, 1);
	zlit_free(z);
	/* empty input is no error until the end */
	z = zlit_inflate_new(1000);
	assert_int_equal(zlit_inflate(z, "", 0, sink_out, &s), ZLIT_OK);
	assert_int_equal(zlit_inflate_end(z), ZLIT_BAD);
	zlit_free(z);
	free(m);
	free(g);
}

static void
test_deflate(void **state)
{
	uint8_t		*data, *out;
	size_t		 n = 200000, i;
	struct sink	 d, back;
	struct zlit	*z;

	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)((i % 251) ^ (i >> 11));
	memset(&d, 0, sizeof(d));
	d.cap = zlit_deflate_bound(n);
	d.buf = out = malloc(d.cap);
	z = zlit_deflate_new();
	assert_non_null(z);
	/* in uneven pieces, the last one finishing */
	assert_int_equal(zlit_deflate(z, data, 1000, 0, sink_out, &d),
	    ZLIT_OK);
	assert_int_equal(zlit_deflate(z, data + 1000, n - 1000 - 5, 0,
	    sink_out, &d), ZLIT_OK);
	assert_int_equal(zlit_deflate(z, data + n - 5, 5, 1, sink_out, &d),
	    ZLIT_OK);
	/* nothing after the end */
	assert_int_not_equal(zlit_deflate(z, data, 1, 1, sink_out, &d),
	    ZLIT_OK);
	zlit_free(z);
	assert_true(d.len <= zlit_deflate_bound(n));
	assert_true(out[0] == 0x1f && out[1] == 0x8b);
	memset(&back, 0, sizeof(back));
	back.buf = malloc(n);
	back.cap = n;
	z = zlit_inflate_new(n);
	assert_int_equal(zlit_inflate(z, out, d.len, sink_out, &back),
	    ZLIT_OK);
	assert_int_equal(zlit_inflate_end(z), ZLIT_OK);
	assert_int_equal(back.len, n);
	assert_memory_equal(back.buf, data, n);
	zlit_free(z);
	/* an empty body is a valid member too */
	memset(&d, 0, sizeof(d));
	d.buf = out;
	d.cap = zlit_deflate_bound(0);
	z = zlit_deflate_new();
	assert_int_equal(zlit_deflate(z, "", 0, 1, sink_out, &d), ZLIT_OK);
	zlit_free(z);
	assert_true(d.len > 0 && d.len <= zlit_deflate_bound(0));
	free(back.buf);
	free(out);
	free(data);
}

static void
test_ratelimit(void **state)
{
	struct ratelimit	*rl = ratelimit_new(3);
	char			 key[400];
	int			 i;

	assert_non_null(rl);
	for (i = 0; i < 5; i++)
		assert_true(ratelimit_hit(rl, "a", 5, 60, 100));
	assert_false(ratelimit_hit(rl, "a", 5, 60, 159));
	assert_true(ratelimit_hit(rl, "b", 5, 60, 159));	/* others */
	assert_true(ratelimit_hit(rl, "a", 5, 60, 160));	/* new window */
	/* max 0: off */
	for (i = 0; i < 100; i++)
		assert_true(ratelimit_hit(rl, "c", 0, 60, 100));
	/* clock going backwards starts a new window, never blocks forever */
	assert_true(ratelimit_hit(rl, "a", 1, 60, 10));
	assert_false(ratelimit_hit(rl, "a", 1, 60, 10));
	ratelimit_free(rl);
	/* full table: expired keys are dropped, else fail open */
	rl = ratelimit_new(2);
	assert_true(ratelimit_hit(rl, "a", 1, 60, 10));
	assert_true(ratelimit_hit(rl, "b", 1, 60, 20));
	assert_false(ratelimit_hit(rl, "b", 1, 60, 20));
	assert_true(ratelimit_hit(rl, "c", 1, 60, 30));	/* not counted */
	assert_true(ratelimit_hit(rl, "c", 1, 60, 30));
	assert_true(ratelimit_hit(rl, "d", 1, 60, 75));	/* "a" swept */
	assert_false(ratelimit_hit(rl, "d", 1, 60, 75));
	assert_false(ratelimit_hit(rl, "b", 1, 60, 75));	/* kept */
	/* overlong keys are cut, not overflowed */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_true(ratelimit_hit(rl, key, 1, 60, 1000));
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_deflate),
		cmocka_unit_test(test_ratelimit),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
