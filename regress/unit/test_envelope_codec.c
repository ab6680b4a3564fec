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
 * Unit tests for the outer/inner envelope codec and the canonical JSON
 * form of common/envelope.c (immp(7) ENVELOPES).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "envelope.h"

static uint8_t	sign_pk[32], sign_sk[64], seal_pk[32], seal_sk[32];
static uint8_t	other_pk[32], other_sk[64];

static int
setup(void **state)
{
	if (sodium_init() == -1)
		return -1;
	crypto_sign_keypair(sign_pk, sign_sk);
	crypto_sign_keypair(other_pk, other_sk);
	crypto_box_keypair(seal_pk, seal_sk);
	return 0;
}

static void
canon_ok(const char *in, const char *want)
{
	char	*out, err[128];
	size_t	 len;

	assert_int_equal(env_canon(in, strlen(in), &out, &len, err,
	    sizeof(err)), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

static void
canon_bad(const char *in, size_t len)
{
	char	*out = (char *)1, err[128] = "";

	assert_int_equal(env_canon(in, len, &out, NULL, err, sizeof(err)),
	    -1);
	assert_null(out);
	assert_true(err[0] != '\0');
}

static void
test_canon(void **state)
{
	/* The worked example of immp(7) ENVELOPES. */
	canon_ok("{ \"b\": [1, {\"z\":\"q\\\"\", \"a\": -2}],\n"
	    "  \"a\" : \"x\\/y\\u0041\" }",
	    "{\"a\":\"x/yA\",\"b\":[1,{\"a\":-2,\"z\":\"q\\\"\"}]}");
	/* Octet order: upper case before lower case, "-" before digits. */
	canon_ok("{\"a\":1,\"B\":2,\"-\":3,\"0\":4}",
	    "{\"-\":3,\"0\":4,\"B\":2,\"a\":1}");
	canon_ok("{\"k\":\"a\\\\b\"}", "{\"k\":\"a\\\\b\"}");
	canon_ok("{\"n\":-0}", "{\"n\":0}");
	canon_ok("{\"n\":9007199254740991}", "{\"n\":9007199254740991}");
}

static void
test_canon_hostile(void **state)
{
	static const char *bad[] = {
		"[]", "\"s\"", "1", "",
		"{\"a\":1.0}", "{\"a\":1e3}", "{\"a\":true}",
		"{\"a\":null}", "{\"a\":false}",
		"{\"a\":1,\"a\":2}",			/* duplicate */
		"{\"a\":\"\\u00e9\"}",			/* not ASCII */
		"{\"a\":\"\xc3\xa9\"}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\n\"}",			/* control */
		"{\"\\t\":1}",
		"{\"a\":\"\x7f\"}",
		"{\"a\":9007199254740992}",		/* out of range */
		"{\"a\":-9007199254740992}",
		"{\"a\":99999999999999999999999}",
		"{\"a\":1}x",				/* trailing */
		"{\"a\":1",
		"{\"a\":[[[[[[[[[[1]]]]]]]]]]}",	/* too deep */
		"{'a':1}",
		"{\"a\":01}",
		NULL
	};
	char	 big[ENV_MAX + 16];
	size_t	 i;

	for (i = 0; bad[i] != NULL; i++)
		canon_bad(bad[i], strlen(bad[i]));
	canon_bad("{\"a\":\"\0\"}", 8);		/* embedded NUL */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	canon_bad(big, sizeof(big));
}

static void
fill(struct env_outer *e, struct env_inner *in)
{
	memset(e, 0, sizeof(*e));
	memset(in, 0, sizeof(*in));
	randombytes_buf(in->id, sizeof(in->id));
	crypto_hash_sha256(in->digest, (const unsigned char *)"hello", 5);
	(void)strlcpy(in->sender, "alice@a.test", sizeof(in->sender));
	in->flags = 1;
	in->timestamp = 1700000000;
	in->nrcpt = 2;
	(void)strlcpy(in->rcpt[0], "bob@b.test", sizeof(in->rcpt[0]));
	(void)strlcpy(in->rcpt[1], "carol+x@b.test", sizeof(in->rcpt[1]));

	(void)strlcpy(e->origin, "a.test", sizeof(e->origin));
	(void)strlcpy(e->destination, "b.test", sizeof(e->destination));
	(void)strlcpy(e->from_domain, "a.test", sizeof(e->from_domain));
	memcpy(e->id, in->id, ENV_ID);
	memcpy(e->digest, in->digest, ENV_DIGEST);
	e->timestamp = e->from_timestamp = 1700000000;
	memset(e->fp, 0xab, sizeof(e->fp));
	e->nrcpt = 1;
	assert_int_equal(env_inner_seal(in, seal_pk, e->rcpt[0],
	    sizeof(e->rcpt[0])), 0);
	assert_int_equal(env_sign(e, sign_sk), 0);
}

static void
test_roundtrip(void **state)
{
	struct env_outer	 e, p;
	struct env_inner	 in, o;
	char			*s, *s2, err[128];
	size_t			 len, len2;

	fill(&e, &in);
	assert_non_null(s = env_format(&e, &len));
	assert_int_equal(env_parse(s, len, &p, err, sizeof(err)), 0);
	assert_memory_equal(&e, &p, sizeof(e));
	assert_non_null(s2 = env_format(&p, &len2));
	assert_string_equal(s, s2);
	/* The recipients never appear in the outer envelope. */
	assert_null(strstr(s, "bob@"));	/* "@" is not base64 */
	assert_null(strstr(s, "alice@"));
	free(s2);
	free(s);
	assert_int_equal(env_verify(&p, sign_pk), 0);
	assert_int_equal(env_verify(&p, other_pk), -1);
	assert_int_equal(env_inner_open(p.rcpt[0], seal_pk, seal_sk, &o, err,
	    sizeof(err)), 0);
	assert_memory_equal(&in, &o, sizeof(in));
}

static void
test_tamper(void **state)
{
	struct env_outer	 e, t;
	struct env_inner	 in;
	char			*s, err[128];
	size_t			 len, i;
	int			 changed = 0;

	fill(&e, &in);
	assert_non_null(s = env_format(&e, &len));
	/*
	 * Flip one bit of every octet in turn: the result either does not
	 * parse, or parses to an envelope whose origin signature fails
	 * (the "signature" member itself included).
	 */
	for (i = 0; i < len; i++) {
		s[i] ^= 0x01;
		if (env_parse(s, len, &t, err, sizeof(err)) == 0) {
			if (memcmp(&t, &e, sizeof(t)) != 0) {
				changed++;
				assert_int_equal(env_verify(&t, sign_pk), -1);
			}
		}
		s[i] ^= 0x01;
	}
	assert_true(changed > 50);
	free(s);
}

static void
test_hops(void **state)
{
	struct env_outer	 e, p;
	struct env_inner	 in;
	uint8_t			 fp[ENV_FP];
	char			*s, err[128];
	size_t			 len;

	fill(&e, &in);
	memset(fp, 0x11, sizeof(fp));
	assert_int_equal(env_hop_add(&e, "relay.test", 1700000005, fp,
	    other_sk), 0);
	assert_int_equal(env_hop_add(&e, "r2.test", 1700000006, fp,
	    sign_sk), 0);
	assert_non_null(s = env_format(&e, &len));
	assert_int_equal(env_parse(s, len, &p, err, sizeof(err)), 0);
	free(s);
	assert_int_equal(p.nvia, 2);
	/* Hops leave the origin signature intact. */
	assert_int_equal(env_verify(&p, sign_pk), 0);
	assert_int_equal(env_hop_verify(&p, 0, other_pk), 0);
	assert_int_equal(env_hop_verify(&p, 1, sign_pk), 0);
	assert_int_equal(env_hop_verify(&p, 0, sign_pk), -1);
	assert_int_equal(env_hop_verify(&p, 2, sign_pk), -1);
	/* A hop is bound to the signature before it. */
	p.sig[0] ^= 1;
	assert_int_equal(env_hop_verify(&p, 0, other_pk), -1);
	p.sig[0] ^= 1;
	p.via[0].timestamp++;
	assert_int_equal(env_hop_verify(&p, 0, other_pk), -1);
	assert_int_equal(env_hop_verify(&p, 1, sign_pk), 0);
	p.via[0].sig[5] ^= 1;
	assert_int_equal(env_hop_verify(&p, 1, sign_pk), -1);
	/* No room past ENV_HOPS_MAX. */
	p.nvia = ENV_HOPS_MAX;
	assert_int_equal(env_hop_add(&p, "x.test", 1, fp, sign_sk), -1);
}

static void
test_parse_hostile(void **state)
{
	struct env_outer	 e, p;
	struct env_inner	 in;
	char			*s, *m, err[128];
	size_t			 len;
	static const char *const swaps[][2] = {
		{ "\"version\":1", "\"version\":2" },
		{ "\"immp-origin\":\"a.test\"", "\"immp-origin\":\"A.test\"" },
		{ "\"immp-origin\":\"a.test\"", "\"immp-origin\":\"a..test\"" },
		{ "\"immp-origin\":\"a.test\"", "\"immp-origin\":1" },
		{ "\"timestamp\":1700000000,\"v", "\"timestamp\":-1,\"v" },
		{ "\"received-via\":[]", "\"received-via\":{}" },
		{ "\"received-via\":[]", "\"received-via\":[1]" },
		{ "\"received-via\":[]", "\"received-via\":[],\"x\":1" },
		{ "\"key-fingerprint\":\"ab", "\"key-fingerprint\":\"AB" },
		{ "\"key-fingerprint\":\"ab", "\"key-fingerprint\":\"" },
		{ "\"immp-recipient\":[", "\"immp-recipient\":[\"QUJD\"," },
		{ "\"immp-recipient\":[", "\"immp-recipient\":[\"!!!!\"," },
		{ "\"domain\":\"a.test\"", "\"domain\":\"a.test\",\"x\":1" },
		{ "\"domain\":\"a.test\",", "" },
	};
	size_t	 i;
	char	*at;

	fill(&e, &in);
	assert_non_null(s = env_format(&e, &len));
	for (i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
		assert_non_null(at = strstr(s, swaps[i][0]));
		assert_non_null(m = malloc(len + 64));
		memcpy(m, s, (size_t)(at - s));
		m[at - s] = '\0';
		strcat(m, swaps[i][1]);
		strcat(m, at + strlen(swaps[i][0]));
		err[0] = '\0';
		assert_int_equal(env_parse(m, strlen(m), &p, err,
		    sizeof(err)), -1);
		assert_true(err[0] != '\0');
		free(m);
	}
	free(s);
	/* Nine recipients are one too many. */
	for (i = 1; i < ENV_RCPT_MAX; i++)
		memcpy(e.rcpt[i], e.rcpt[0], sizeof(e.rcpt[0]));
	e.nrcpt = ENV_RCPT_MAX;
	assert_non_null(s = env_format(&e, &len));
	assert_int_equal(env_parse(s, len, &p, err, sizeof(err)), 0);
	free(s);
	e.nrcpt = ENV_RCPT_MAX + 1;
	assert_null(env_format(&e, &len));
}

static void
test_inner(void **state)
{
	struct env_outer	 e;
	struct env_inner	 in, o;
	uint8_t			 pk2[32], sk2[32];
	char			*s, err[128], sealed[ENV_SEALED_MAX];
	size_t			 len;

	fill(&e, &in);
	crypto_box_keypair(pk2, sk2);
	assert_int_equal(env_inner_open(e.rcpt[0], pk2, sk2, &o, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "inner envelope not sealed to us");
	/* One flipped octet of the box: it does not open. */
	memcpy(sealed, e.rcpt[0], sizeof(sealed));
	sealed[20] = sealed[20] == 'A' ? 'B' : 'A';
	assert_int_equal(env_inner_open(sealed, seal_pk, seal_sk, &o, err,
	    sizeof(err)), -1);
	assert_int_equal(env_inner_open("", seal_pk, seal_sk, &o, err,
	    sizeof(err)), -1);

	assert_non_null(s = env_inner_format(&in, &len));
	assert_int_equal(env_inner_parse(s, len, &o, err, sizeof(err)), 0);
	free(s);
	/* Hostile inner envelopes. */
	assert_int_equal(env_inner_parse("{}", 2, &o, err, sizeof(err)), -1);
	(void)strlcpy(in.rcpt[1], "not an address", sizeof(in.rcpt[1]));
	assert_null(env_inner_format(&in, &len));
	in.nrcpt = 0;
	assert_null(env_inner_format(&in, &len));
	in.nrcpt = 1;
	(void)strlcpy(in.sender, "", sizeof(in.sender));
	assert_non_null(s = env_inner_format(&in, &len));
	assert_int_equal(env_inner_parse(s, len, &o, err, sizeof(err)), 0);
	free(s);
	s = "{\"content-sha256\":\"00\",\"envelope-id\":\"00\",\"flags\":0,"
	    "\"recipients\":[\"b@b.test\"],\"sender\":\"\",\"timestamp\":1,"
	    "\"version\":1}";
	assert_int_equal(env_inner_parse(s, strlen(s), &o, err,
	    sizeof(err)), -1);
}

static void
test_time(void **state)
{
	assert_true(env_time_ok(1000, 1000, 900));
	assert_true(env_time_ok(100, 1000, 900));
	assert_false(env_time_ok(99, 1000, 900));
	assert_true(env_time_ok(1900, 1000, 900));
	assert_false(env_time_ok(1901, 1000, 900));
}

/* The receiver's checks (immp(7) ENVELOPES, Verification). */
static void
test_check(void **state)
{
	struct env_outer	 e, t;
	struct env_inner	 in, o;
	struct env_replay	 r;
	uint8_t			 fp[ENV_FP], digest[ENV_DIGEST], opk[32];
	uint8_t			 osk[64], xpk[32], xsk[32];
	char			*s, err[128];
	size_t			 len, i;
	int64_t			 now = 1700000100;

	memset(&r, 0, sizeof(r));
	fill(&e, &in);
	memset(fp, 0xab, sizeof(fp));
	memcpy(digest, e.digest, sizeof(digest));
#define CHECK(env, d) env_check(env, "b.test", now, 900, d, fp, sign_pk, \
	    seal_pk, seal_sk, &r, &o)

	assert_int_equal(CHECK(&e, digest), ENV_OK);
	assert_memory_equal(&o, &in, sizeof(in));
	/* The same envelope again: a replay, for the whole window. */
	assert_int_equal(CHECK(&e, digest), ENV_REPLAY);
	now += 899;
	assert_int_equal(CHECK(&e, digest), ENV_STALE);
	now = 1700000100;
	assert_string_equal(env_verdict_name(ENV_REPLAY), "replay");

	/*
	 * One flipped octet in each field of the outer envelope's text,
	 * re-signed with nothing: refused, each with its reason.
	 */
	fill(&e, &in);
	memcpy(digest, e.digest, sizeof(digest));
	assert_non_null(s = env_format(&e, &len));
	for (i = 0; i < len; i++) {
		s[i] ^= 0x01;
		if (env_parse(s, len, &t, err, sizeof(err)) == 0 &&
		    memcmp(&t, &e, sizeof(t)) != 0)
			assert_int_not_equal(CHECK(&t, digest), ENV_OK);
		s[i] ^= 0x01;
	}
	free(s);
	/* The content changed on the way. */
	digest[0] ^= 1;
	assert_int_equal(CHECK(&e, digest), ENV_BAD_DIGEST);
	digest[0] ^= 1;
	/* Signed by another domain's key under the pinned fingerprint. */
	crypto_sign_keypair(opk, osk);
	t = e;
	assert_int_equal(env_sign(&t, osk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_BAD_SIGNATURE);
	/* ... or naming another key. */
	t = e;
	t.fp[0] ^= 1;
	assert_int_equal(CHECK(&t, digest), ENV_BAD_KEY);
	/* For another destination. */
	t = e;
	(void)strlcpy(t.destination, "c.test", sizeof(t.destination));
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_WRONG_DESTINATION);
	/* A sealed inner envelope with one octet changed, re-signed. */
	t = e;
	t.rcpt[0][30] = t.rcpt[0][30] == 'A' ? 'B' : 'A';
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_NOT_SEALED);
	/* Sealed to someone else. */
	crypto_box_keypair(xpk, xsk);
	t = e;
	assert_int_equal(env_inner_seal(&in, xpk, t.rcpt[0],
	    sizeof(t.rcpt[0])), 0);
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_NOT_SEALED);
	/* The inner envelope of another message moved into this one. */
	t = e;
	o = in;
	o.id[0] ^= 1;
	assert_int_equal(env_inner_seal(&o, seal_pk, t.rcpt[0],
	    sizeof(t.rcpt[0])), 0);
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_MISBOUND);
	/* Timestamps: both sides of the window. */
	t = e;
	t.timestamp = now - 901;
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_STALE);
	t.timestamp = now + 901;
	assert_int_equal(env_sign(&t, sign_sk), 0);
	assert_int_equal(CHECK(&t, digest), ENV_STALE);
	/* None of the refused ones was recorded: the original passes. */
	assert_int_equal(CHECK(&e, digest), ENV_OK);
#undef CHECK
	env_replay_free(&r);
}

static void
test_replay(void **state)
{
	struct env_replay	 r;
	uint8_t			 id[ENV_ID];
	int			 i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 1000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id, &i, sizeof(i));
		assert_int_equal(env_replay_check(&r, id, 1000, 900), 0);
	}
	for (i = 0; i < 1000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id, &i, sizeof(i));
		assert_int_equal(env_replay_check(&r, id, 1500, 900), 1);
	}
	/* Past the window the table empties itself. */
	assert_int_equal(env_replay_check(&r, id, 2000, 900), 0);
	assert_int_equal(r.n, 1);
	env_replay_free(&r);
	r.cap = 2;
	id[0] = 1;
	assert_int_equal(env_replay_check(&r, id, 1, 9), 0);
	id[0] = 2;
	assert_int_equal(env_replay_check(&r, id, 1, 9), 0);
	id[0] = 3;
	assert_int_equal(env_replay_check(&r, id, 1, 9), -1);
	env_replay_free(&r);
}

static void
test_digest(void **state)
{
	struct env_digest	 d;
	uint8_t			 got[ENV_DIGEST], want[ENV_DIGEST];
	uint8_t			 h1[32], h2[32];
	char			 x1[65], x2[65], text[512], big[2000];

	/* Recomputed from immp(7): one line per part, hashed. */
	crypto_hash_sha256(h1, (const unsigned char *)"Subject: hi\r\n", 13);
	crypto_hash_sha256(h2, (const unsigned char *)"hello\n", 6);
	sodium_bin2hex(x1, sizeof(x1), h1, 32);
	sodium_bin2hex(x2, sizeof(x2), h2, 32);
	(void)snprintf(text, sizeof(text), "part meta text/rfc822-headers "
	    "attachment 13 %s\npart body.txt text/plain content 6 %s\n",
	    x1, x2);
	crypto_hash_sha256(want, (const unsigned char *)text, strlen(text));

	env_digest_init(&d);
	env_digest_data(&d, "Subject:", 8);
	env_digest_data(&d, " hi\r\n", 5);
	assert_int_equal(env_digest_part(&d, "meta", "text/rfc822-headers",
	    0), 0);
	env_digest_data(&d, "hel", 3);
	env_digest_data(&d, "lo\n", 3);
	assert_int_equal(env_digest_part(&d, "body.txt", "text/plain", 1), 0);
	env_digest_final(&d, got);
	assert_memory_equal(got, want, sizeof(got));
	/* A name that does not fit is refused, not cut. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	env_digest_init(&d);
	assert_int_equal(env_digest_part(&d, big, "text/plain", 1), -1);
}

static void
test_make(void **state)
{
	static struct env_outer	 e, p;
	static struct env_inner	 in, o;
	struct env_replay	 r;
	uint8_t			 fp[ENV_FP], digest[ENV_DIGEST];
	char			*s, err[128];
	size_t			 i, len;

	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	memset(fp, 0x42, sizeof(fp));
	memset(digest, 0x17, sizeof(digest));
	(void)strlcpy(in.sender, "alice@a.test", sizeof(in.sender));
	in.nrcpt = ENV_INNER_RCPT_MAX;
	for (i = 0; i < in.nrcpt; i++)
		(void)snprintf(in.rcpt[i], sizeof(in.rcpt[0]), "u%zu@b.test",
		    i);
	assert_int_equal(env_make(&e, &in, "a.test", "b.test", digest,
	    1700000000, fp, sign_sk, seal_pk), 0);
	assert_int_equal(e.nrcpt, 1);
	assert_non_null(s = env_format(&e, &len));
	assert_int_equal(env_parse(s, len, &p, err, sizeof(err)), 0);
	free(s);
	assert_null(strstr(p.rcpt[0], "u1@"));
	assert_int_equal(env_check(&p, "b.test", 1700000005, 900, digest, fp,
	    sign_pk, seal_pk, seal_sk, &r, &o), ENV_OK);
	assert_int_equal(o.nrcpt, ENV_INNER_RCPT_MAX);
	assert_string_equal(o.rcpt[63], "u63@b.test");
	assert_string_equal(o.sender, "alice@a.test");
	assert_memory_equal(o.id, e.id, ENV_ID);
	assert_int_equal(o.timestamp, 1700000000);
	/* Each message gets its own id. */
	assert_int_equal(env_make(&p, &in, "a.test", "b.test", digest,
	    1700000000, fp, sign_sk, seal_pk), 0);
	assert_memory_not_equal(p.id, e.id, ENV_ID);
	/* Bad input. */
	in.nrcpt = ENV_INNER_RCPT_MAX + 1;
	assert_int_equal(env_make(&e, &in, "a.test", "b.test", digest, 1, fp,
	    sign_sk, seal_pk), -1);
	in.nrcpt = 0;
	assert_int_equal(env_make(&e, &in, "a.test", "b.test", digest, 1, fp,
	    sign_sk, seal_pk), -1);
	in.nrcpt = 1;
	assert_int_equal(env_make(&e, &in, "a..test", "b.test", digest, 1,
	    fp, sign_sk, seal_pk), -1);
	(void)strlcpy(in.rcpt[0], "nobody", sizeof(in.rcpt[0]));
	assert_int_equal(env_make(&e, &in, "a.test", "b.test", digest, 1, fp,
	    sign_sk, seal_pk), -1);
	env_replay_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon),
		cmocka_unit_test(test_canon_hostile),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_hops),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_inner),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_make),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
