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
 * Unit tests for common/keyfile.c: the key file grammar with hostile
 * inputs, the fingerprint and the rollover signature against vectors
 * computed independently (Python hashlib and libsodium from immp(7)),
 * generation and rollover, the published view and its lines, and
 * keyfile_read on odd files.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "keyfile.h"
#include "log.h"

/*
 * Generation 1: Ed25519 seed 0x00..0x1f, X25519 secret 0x20..0x3f;
 * generation 2: seed 0x40..0x5f, secret 0x60..0x7f (immp(7) worked
 * example).
 */
#define FP1 "27d9b27d72491ccafd970c3f0aea33656fc2d8e4e3e983d529e14fb55de4609f"
#define FP2 "62d81627181873819a507c5dcb514a41845684480a45bfbe17ca96a0a8998586"
#define PK1 "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
#define XK1 "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ="
#define PK2 "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0="
#define XK2 "Z13VdO13iTELPS52gfN5C0ZsdzsVIf7PNld5WDcepS8="
#define SIG "i/M0MvVFdL3+bUUlQtHENtOGdgiBOD1NulKHAtNZdT6ncs7/wkIOOBZ5MGBPIYRP" \
	    "HQ/diz+7l6wDkYIvhQkKAQ=="
#define SK1 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8DoQe/884Qvh1w3RjnS8C" \
	    "ZZ+TWMJulDV8d3IZkElUxuA=="
#define SX1 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define SK2 "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8lQ7kv8QlVEUdq3INp223" \
	    "ckzZloRl43aFATuEGbKlVnQ=="
#define SX2 "YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8="
#define T1 "1764000000"
#define T1E "1764604800"
#define T2 "1764500000"

#define HDR_PUB	"immp-keys v1 public demo.test\n"
#define HDR_SEC	"immp-keys v1 secret demo.test\n"
#define GEN1_1	"sign 1 ed25519 " PK1 " " T1 " -\n" \
		"seal 1 x25519 " XK1 " " T1 " -\n"
#define GEN1_2	"sign 1 ed25519 " PK1 " " T1 " " T1E "\n" \
		"seal 1 x25519 " XK1 " " T1 " " T1E "\n"
#define GEN2	"sign 2 ed25519 " PK2 " " T2 " -\n" \
		"seal 2 x25519 " XK2 " " T2 " -\n"
#define ROLL	"rollover 2 1 " FP1 " " SIG "\n"

static const char pub1[] = HDR_PUB GEN1_1;
static const char pub2[] = HDR_PUB GEN1_2 GEN2 ROLL;
static const char sec2[] = HDR_SEC
	"sign 1 ed25519-secret " SK1 " " T1 " " T1E "\n"
	"seal 1 x25519-secret " SX1 " " T1 " " T1E "\n"
	"sign 2 ed25519-secret " SK2 " " T2 " -\n"
	"seal 2 x25519-secret " SX2 " " T2 " -\n";

static char	dir[PATH_MAX - 64];

/* s with the first occurrence of old replaced by new; malloc'ed. */
static char *
subst(const char *s, const char *old, const char *new)
{
	const char	*p;
	char		*out;
	size_t		 n;

	p = strstr(s, old);
	if (p == NULL)
		fail_msg("\"%s\" not in the text", old);
	n = strlen(s) - strlen(old) + strlen(new);
	out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, s, p - s);
	memcpy(out + (p - s), new, strlen(new));
	strcpy(out + (p - s) + strlen(new), p + strlen(old));
	return (out);
}

static void
expect_bad_n(const char *text, size_t len, enum keyfile_kind kind,
    const char *want)
{
	struct keyset	 ks;
	char		 err[512];
	size_t		 i;

	memset(&ks, 0xa5, sizeof(ks));
	if (keyfile_parse(text, len, kind, "demo.test", &ks, err,
	    sizeof(err)) == 0)
		fail_msg("accepted:\n%.*s", (int)len, text);
	if (strcmp(err, want) != 0)
		fail_msg("error \"%s\", want \"%s\" for:\n%.*s", err, want,
		    (int)len, text);
	for (i = 0; i < sizeof(ks); i++)
		if (((unsigned char *)&ks)[i] != 0)
			fail_msg("key set not wiped after an error");
}

static void
expect_bad(const char *text, enum keyfile_kind kind, const char *want)
{
	expect_bad_n(text, strlen(text), kind, want);
}

/* Replaces old by new in base and expects the error want. */
static void
mutate(const char *base, enum keyfile_kind kind, const char *old,
    const char *new, const char *want)
{
	char	*t = subst(base, old, new);

	expect_bad(t, kind, want);
	free(t);
}

static void
parse_ok(const char *text, enum keyfile_kind kind, struct keyset *ks)
{
	char	 err[512];

	if (keyfile_parse(text, strlen(text), kind, "demo.test", ks, err,
	    sizeof(err)) != 0)
		fail_msg("refused (%s):\n%s", err, text);
}

static void
test_fingerprint_vector(void **state)
{
	struct keyset	 ks;
	char		 hex[KEY_FP_HEX], msg[512];
	uint8_t		 in[11 + 64], fp[KEY_FP];
	int		 n;

	parse_ok(pub2, KEYFILE_PUBLIC, &ks);
	key_fp_hex(ks.gen[0].fp, hex);
	assert_string_equal(hex, FP1);
	key_fp_hex(ks.gen[1].fp, hex);
	assert_string_equal(hex, FP2);

	/* The same as one generichash call over the concatenation. */
	memcpy(in, "immp-key-v1", 11);
	memcpy(in + 11, ks.gen[0].sign_pk, 32);
	memcpy(in + 43, ks.gen[0].seal_pk, 32);
	assert_int_equal(crypto_generichash(fp, sizeof(fp), in, sizeof(in),
	    NULL, 0), 0);
	assert_memory_equal(fp, ks.gen[0].fp, KEY_FP);
	key_fingerprint(ks.gen[0].sign_pk, ks.gen[0].seal_pk, fp);
	assert_memory_equal(fp, ks.gen[0].fp, KEY_FP);
	/* Order matters: the keys are not interchangeable. */
	key_fingerprint(ks.gen[0].seal_pk, ks.gen[0].sign_pk, fp);
	assert_memory_not_equal(fp, ks.gen[0].fp, KEY_FP);

	n = keyset_rollover_msg("demo.test", ks.gen[0].fp, ks.gen[1].fp, msg,
	    sizeof(msg));
	assert_string_equal(msg, "immp-rollover v1 demo.test " FP1 " " FP2);
	assert_int_equal(n, (int)strlen(msg));
	assert_int_equal(crypto_sign_verify_detached(ks.rollover_sig,
	    (unsigned char *)msg, (unsigned long long)n, ks.gen[0].sign_pk), 0);
	/* No room for the NUL: refused. */
	assert_int_equal(keyset_rollover_msg("demo.test", ks.gen[0].fp,
	    ks.gen[1].fp, msg, (size_t)n), -1);
	keyset_wipe(&ks);
}

/* The secret file gives exactly the public file of the example. */
static void
test_secret_vector(void **state)
{
	struct keyset	 ks, pub;
	char		 buf[KEYFILE_MAX];
	int		 n;

	parse_ok(sec2, KEYFILE_SECRET, &ks);
	assert_int_equal(ks.secret, 1);
	assert_int_equal(ks.ngen, 2);
	n = keyfile_format(&ks, KEYFILE_PUBLIC, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(pub2));
	assert_string_equal(buf, pub2);
	n = keyfile_format(&ks, KEYFILE_SECRET, buf, sizeof(buf));
	assert_string_equal(buf, sec2);
	/* Too small by one: refused and wiped. */
	assert_int_equal(keyfile_format(&ks, KEYFILE_SECRET, buf, (size_t)n),
	    -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(buf[0], '\0');

	parse_ok(pub2, KEYFILE_PUBLIC, &pub);
	assert_int_equal(pub.secret, 0);
	assert_memory_equal(pub.gen[1].sign_pk, ks.gen[1].sign_pk, 32);
	assert_memory_equal(pub.rollover_sig, ks.rollover_sig, KEY_SIG);
	/* A public set cannot give a secret file. */
	assert_int_equal(keyfile_format(&pub, KEYFILE_SECRET, buf,
	    sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	keyset_wipe(&ks);
	keyset_wipe(&pub);

	/* Any domain when none is asked for; the one asked for else. */
	assert_int_equal(keyfile_parse(pub1, strlen(pub1), KEYFILE_PUBLIC,
	    NULL, &pub, buf, sizeof(buf)), 0);
	assert_string_equal(pub.domain, "demo.test");
	assert_int_equal(keyfile_parse(pub1, strlen(pub1), KEYFILE_PUBLIC,
	    "other.test", &pub, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "line 1: keys of another domain");
}

static void
test_hostile_header(void **state)
{
	char	 big[KEYFILE_MAX + 2];

	expect_bad("", KEYFILE_PUBLIC, "empty file");
	expect_bad("\n", KEYFILE_PUBLIC, "line 1: empty line");
	expect_bad(HDR_PUB, KEYFILE_PUBLIC, "no keys");
	expect_bad(pub1, KEYFILE_SECRET, "line 1: not a secret key file");
	expect_bad(sec2, KEYFILE_PUBLIC, "line 1: not a public key file");
	mutate(pub1, KEYFILE_PUBLIC, "immp-keys", "IMMP-KEYS",
	    "line 1: not a key file");
	mutate(pub1, KEYFILE_PUBLIC, " v1 ", " v2 ", "line 1: unknown version");
	mutate(pub1, KEYFILE_PUBLIC, " v1 ", " V1 ", "line 1: unknown version");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public Demo.test",
	    "line 1: bad domain");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public demo..test",
	    "line 1: bad domain");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public demo.test.",
	    "line 1: bad domain");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public ../x",
	    "line 1: bad domain");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public a.test",
	    "line 1: keys of another domain");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test",
	    "public demo.test x", "line 1: not a key file");
	mutate(pub1, KEYFILE_PUBLIC, "public demo.test", "public",
	    "line 1: not a key file");
	mutate(pub1, KEYFILE_PUBLIC, "immp-keys v1", "immp-keys  v1",
	    "line 1: bad spacing");
	mutate(pub1, KEYFILE_PUBLIC, "immp-keys v1", " immp-keys v1",
	    "line 1: bad spacing");
	mutate(pub1, KEYFILE_PUBLIC, "demo.test\n", "demo.test \n",
	    "line 1: bad spacing");
	mutate(pub1, KEYFILE_PUBLIC, "immp-keys v1", "immp-keys\tv1",
	    "line 1: control or non-ASCII character");
	mutate(pub1, KEYFILE_PUBLIC, "demo.test\n", "demo.test\r\n",
	    "line 1: control or non-ASCII character");
	mutate(pub1, KEYFILE_PUBLIC, "demo.test\n", "demo.t\xc3\xa9st\n",
	    "line 1: control or non-ASCII character");
	mutate(pub1, KEYFILE_PUBLIC, "demo.test\n", "demo.test\x7f\n",
	    "line 1: control or non-ASCII character");
	expect_bad_n("immp-keys v1 public demo.test\0\n", 31, KEYFILE_PUBLIC,
	    "line 1: control or non-ASCII character");
	expect_bad_n(pub1, strlen(pub1) - 1, KEYFILE_PUBLIC,
	    "line 3: no line end");
	mutate(pub1, KEYFILE_PUBLIC, "\nsign", "\n\nsign",
	    "line 2: empty line");
	mutate(pub1, KEYFILE_PUBLIC, "immp-keys", "immp-keys a b c d e f g h",
	    "line 1: too many words");

	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	expect_bad_n(big, KEYFILE_MAX + 1, KEYFILE_PUBLIC, "file too large");
	expect_bad_n(big, 300, KEYFILE_PUBLIC, "line 1: no line end");
	big[299] = '\n';
	expect_bad_n(big, 300, KEYFILE_PUBLIC, "line 1: line too long");
}

static void
test_hostile_keys(void **state)
{
	const enum keyfile_kind	 P = KEYFILE_PUBLIC;

	/* Generation numbers. */
	mutate(pub1, P, "sign 1 ", "sign 0 ", "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign 01 ",
	    "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign +1 ",
	    "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign -1 ",
	    "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign 1a ",
	    "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign 4294967296 ",
	    "line 2: bad generation number");
	mutate(pub1, P, "sign 1 ", "sign 99999999999999999999999 ",
	    "line 2: bad generation number");
	mutate(pub1, P, "seal 1 ", "seal 2 ",
	    "line 3: seal line does not match its sign line");
	/* Words and algorithms. */
	mutate(pub1, P, "sign 1 ed25519 ", "sign 1 ED25519 ",
	    "line 2: algorithm must be ed25519");
	mutate(pub1, P, "sign 1 ed25519 ", "sign 1 ed25519-secret ",
	    "line 2: algorithm must be ed25519");
	mutate(pub1, P, "seal 1 x25519 ", "seal 1 curve25519 ",
	    "line 3: algorithm must be x25519");
	mutate(pub1, P, " " T1 " -\nseal", " " T1 "\nseal",
	    "line 2: wrong number of words");
	mutate(pub1, P, " " T1 " -\nseal", " " T1 " - x\nseal",
	    "line 2: wrong number of words");
	mutate(pub1, P, "sign 1", "seal 1", "line 2: unknown line");
	mutate(pub1, P, "seal 1", "sign 1", "line 3: seal line expected");
	mutate(pub1, P, "sign 1", "key 1", "line 2: unknown line");
	expect_bad(HDR_PUB "sign 1 ed25519 " PK1 " " T1 " -\n", P,
	    "line 2: seal line expected");
	/* Base64: length, alphabet, padding, unused bits. */
	mutate(pub1, P, PK1, "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
	    "line 2: bad ed25519 key");
	mutate(pub1, P, PK1, "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg==",
	    "line 2: bad ed25519 key");
	mutate(pub1, P, PK1, "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbh=",
	    "line 2: bad ed25519 key");
	mutate(pub1, P, PK1, "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
	    "line 2: bad ed25519 key");
	mutate(pub1, P, PK1, "A6EHv\xafPOEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
	    "line 2: control or non-ASCII character");
	mutate(pub1, P, PK1, "=6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
	    "line 2: bad ed25519 key");
	mutate(pub1, P, PK1, PK1 PK1, "line 2: bad ed25519 key");
	mutate(pub1, P, XK1, "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYl==",
	    "line 3: bad x25519 key");
	/* Keys that are not usable points. */
	mutate(pub1, P, PK1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "line 2: ed25519 key is not a valid point");
	mutate(pub1, P, PK1, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "line 2: ed25519 key is not a valid point");
	mutate(pub1, P, PK1, "7P///////////////////////////////////////38=",
	    "line 2: ed25519 key is not a valid point");
	mutate(pub1, P, XK1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "line 3: x25519 key of low order");
	mutate(pub1, P, XK1, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "line 3: x25519 key of low order");
	mutate(pub1, P, XK1, "4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=",
	    "line 3: x25519 key of low order");
	mutate(pub1, P, XK1, "X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=",
	    "line 3: x25519 key of low order");
	mutate(pub1, P, XK1, "7P///////////////////////////////////////38=",
	    "line 3: x25519 key of low order");
	/* Times. */
	mutate(pub1, P, "sign 1 ed25519 " PK1 " " T1,
	    "sign 1 ed25519 " PK1 " 0", "line 2: bad creation time");
	mutate(pub1, P, "sign 1 ed25519 " PK1 " " T1,
	    "sign 1 ed25519 " PK1 " -", "line 2: bad creation time");
	mutate(pub1, P, "sign 1 ed25519 " PK1 " " T1,
	    "sign 1 ed25519 " PK1 " 0" T1, "line 2: bad creation time");
	mutate(pub1, P, "sign 1 ed25519 " PK1 " " T1,
	    "sign 1 ed25519 " PK1 " 253402300800", "line 2: bad creation time");
	mutate(pub1, P, " " T1 " -\nseal", " " T1 " " T1 "\nseal",
	    "line 2: bad not-after time");
	mutate(pub1, P, " " T1 " -\nseal", " " T1 " 1\nseal",
	    "line 2: bad not-after time");
	mutate(pub1, P, " " T1 " -\nseal", " " T1 " --\nseal",
	    "line 2: bad not-after time");
	mutate(pub1, P, "seal 1 x25519 " XK1 " " T1,
	    "seal 1 x25519 " XK1 " 1764000001",
	    "line 3: seal line does not match its sign line");
	mutate(pub1, P, XK1 " " T1 " -", XK1 " " T1 " " T1E,
	    "line 3: seal line does not match its sign line");
	/* The only generation must be open-ended. */
	expect_bad(HDR_PUB GEN1_2, P,
	    "the newest generation has a not-after time");
}

static void
test_hostile_generations(void **state)
{
	const enum keyfile_kind	 P = KEYFILE_PUBLIC;
	char			*t, *u;

	/* Two generations need the rollover line, and only then. */
	expect_bad(HDR_PUB GEN1_2 GEN2, P, "rollover line missing");
	expect_bad(HDR_PUB GEN1_1 ROLL, P, "line 4: unexpected rollover line");
	expect_bad(HDR_PUB GEN1_2 GEN2 ROLL ROLL, P,
	    "line 7: unexpected rollover line");
	expect_bad(HDR_PUB GEN1_2 ROLL GEN2, P,
	    "line 4: unexpected rollover line");
	expect_bad(HDR_PUB GEN1_1 GEN2 ROLL, P,
	    "an older generation needs a not-after time");
	expect_bad(HDR_PUB GEN1_2 GEN2 ROLL GEN2, P,
	    "line 7: key after the rollover line");
	/* Order, duplicates, count. */
	expect_bad(HDR_PUB GEN2 GEN1_2 ROLL, P,
	    "line 4: generations out of order");
	t = subst(GEN2, "sign 2", "sign 1");
	u = subst(t, "seal 2", "seal 1");
	free(t);
	t = malloc(strlen(HDR_PUB GEN1_2) + strlen(u) + 1);
	assert_non_null(t);
	strcpy(t, HDR_PUB GEN1_2);
	strcat(t, u);
	expect_bad(t, P, "line 4: generations out of order");
	free(t);
	free(u);
	t = subst(GEN2, "sign 2", "sign 3");
	u = subst(t, "seal 2", "seal 3");
	free(t);
	t = malloc(strlen(pub2) + strlen(u) + 1);
	assert_non_null(t);
	strcpy(t, HDR_PUB GEN1_2 GEN2);
	strcat(t, u);
	expect_bad(t, P, "line 6: too many generations");
	free(t);
	free(u);
	/* The rollover line itself. */
	mutate(pub2, P, "rollover 2 1 ", "rollover 3 1 ",
	    "line 6: rollover of an unknown generation");
	mutate(pub2, P, "rollover 2 1 ", "rollover 02 1 ",
	    "line 6: rollover of an unknown generation");
	mutate(pub2, P, "rollover 2 1 ", "rollover 2 2 ",
	    "line 6: rollover by an unknown generation");
	mutate(pub2, P, "rollover 2 1 " FP1, "rollover 2 1 " FP2,
	    "line 6: wrong previous fingerprint");
	mutate(pub2, P, "rollover 2 1 27d9", "rollover 2 1 27D9",
	    "line 6: wrong previous fingerprint");
	mutate(pub2, P, " " SIG, "", "line 6: wrong number of words");
	mutate(pub2, P, SIG, "AAAA", "line 6: bad signature");
	mutate(pub2, P, "i/M0", "j/M0",
	    "rollover signature does not verify");
	mutate(pub2, P, "kKAQ==", "kKAg==",
	    "rollover signature does not verify");
	/* A changed new key breaks the signature. */
	mutate(pub2, P, XK2, XK1, "rollover signature does not verify");
	/* Another previous key: its fingerprint is not the one signed. */
	mutate(pub2, P, PK1, PK2, "line 6: wrong previous fingerprint");
}

static void
test_hostile_secret(void **state)
{
	const enum keyfile_kind	 S = KEYFILE_SECRET;
	char			*t;

	/* The public half of the Ed25519 secret key must fit the seed. */
	mutate(sec2, S, "DoQe/", "DoQf/",
	    "line 2: inconsistent ed25519 secret key");
	mutate(sec2, S, "sign 1 ed25519-secret ", "sign 1 ed25519 ",
	    "line 2: algorithm must be ed25519-secret");
	mutate(sec2, S, "seal 1 x25519-secret ", "seal 1 x25519 ",
	    "line 3: algorithm must be x25519-secret");
	mutate(sec2, S, SK1, PK1, "line 2: bad ed25519 secret key");
	mutate(sec2, S, SX1, SK1, "line 3: bad x25519 secret key");
	t = malloc(strlen(sec2) + strlen(ROLL) + 1);
	assert_non_null(t);
	strcpy(t, sec2);
	strcat(t, ROLL);
	expect_bad(t, S, "line 6: rollover line in a secret key file");
	free(t);
}

/* Random octet changes: never a crash; what parses prints back. */
static void
test_mutations(void **state)
{
	static const char *const bases[] = { pub1, pub2, sec2 };
	static const enum keyfile_kind kinds[] = {
		KEYFILE_PUBLIC, KEYFILE_PUBLIC, KEYFILE_SECRET
	};
	struct keyset	 ks;
	char		 buf[KEYFILE_MAX + 1], out[KEYFILE_MAX + 1];
	char		 err[512];
	size_t		 len, b, i, j, n;
	int		 r, accepted = 0;

	for (i = 0; i < 3000; i++) {
		b = i % 3;
		len = strlen(bases[b]);
		memcpy(buf, bases[b], len);
		n = 1 + randombytes_uniform(3);
		for (j = 0; j < n; j++)
			buf[randombytes_uniform((uint32_t)len)] =
			    (char)randombytes_uniform(256);
		if (randombytes_uniform(8) == 0)
			len = randombytes_uniform((uint32_t)len);
		r = keyfile_parse(buf, len, kinds[b], NULL, &ks, err,
		    sizeof(err));
		if (r == -1) {
			assert_true(err[0] != '\0');
			continue;
		}
		accepted++;
		r = keyfile_format(&ks, kinds[b], out, sizeof(out));
		assert_int_equal(r, (int)len);
		assert_memory_equal(out, buf, len);
		keyset_wipe(&ks);
	}
	print_message("%d of 3000 changed files accepted\n", accepted);
}

static void
test_generate_rollover(void **state)
{
	struct keyset		 ks, back;
	struct ipc_key_result	 v;
	char			 buf[KEYFILE_MAX], err[512];
	char			 line[KEY_LINE_MAX];
	char			 fp[KEY_FP_HEX], fp2[KEY_FP_HEX], want[512];
	const char		*errstr;
	const time_t		 now = 1800000000;
	int			 n;

	assert_int_equal(keyset_generate(&ks, "Demo.test", now), -1);
	assert_int_equal(keyset_generate(&ks, "demo.test", 0), -1);
	assert_int_equal(keyset_generate(&ks, "demo.test", now), 0);
	assert_int_equal(ks.ngen, 1);
	assert_int_equal(ks.gen[0].gen, 1);
	assert_int_equal(ks.gen[0].created, now);
	assert_int_equal(ks.gen[0].not_after, 0);

	/* Round trip through both files. */
	n = keyfile_format(&ks, KEYFILE_SECRET, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(keyfile_parse(buf, (size_t)n, KEYFILE_SECRET,
	    "demo.test", &back, err, sizeof(err)), 0);
	assert_memory_equal(&back.gen[0], &ks.gen[0], sizeof(ks.gen[0]));
	keyset_wipe(&back);
	n = keyfile_format(&ks, KEYFILE_PUBLIC, buf, sizeof(buf));
	assert_int_equal(keyfile_parse(buf, (size_t)n, KEYFILE_PUBLIC,
	    "demo.test", &back, err, sizeof(err)), 0);
	assert_memory_equal(back.gen[0].fp, ks.gen[0].fp, KEY_FP);
	assert_memory_equal(back.gen[0].seal_pk, ks.gen[0].seal_pk, 32);
	assert_true(sodium_is_zero(back.gen[0].sign_sk, KEY_SIGN_SK));
	assert_true(sodium_is_zero(back.gen[0].seal_sk, KEY_SEAL_SK));
	keyset_wipe(&back);

	/* Rollover: public sets cannot, bad times are refused. */
	assert_int_equal(keyset_rollover(&back, now, 60, &errstr), -1);
	assert_string_equal(errstr, "no secret keys");
	assert_int_equal(keyset_rollover(&ks, now, 0, &errstr), -1);
	assert_string_equal(errstr, "bad time");
	assert_int_equal(keyset_rollover(&ks, now + 10, 600, &errstr), 0);
	assert_int_equal(ks.ngen, 2);
	assert_int_equal(ks.gen[0].not_after, now + 610);
	assert_int_equal(ks.gen[1].gen, 2);
	assert_int_equal(ks.gen[1].created, now + 10);
	assert_int_equal(ks.gen[1].not_after, 0);
	assert_int_equal(keyset_rollover(&ks, now + 609, 600, &errstr), -1);
	assert_string_equal(errstr, "rollover in progress");
	assert_int_equal(ks.ngen, 2);

	/* The public file verifies the rollover signature. */
	n = keyfile_format(&ks, KEYFILE_PUBLIC, buf, sizeof(buf));
	assert_int_equal(keyfile_parse(buf, (size_t)n, KEYFILE_PUBLIC,
	    "demo.test", &back, err, sizeof(err)), 0);
	keyset_wipe(&back);

	/* The view before and after the end of generation 1. */
	memset(&v, 0, sizeof(v));
	assert_int_equal(keyset_view(&ks, now + 609, &v), 2);
	assert_int_equal(v.gen[0].role, IPC_KEY_CURRENT);
	assert_int_equal(v.gen[0].gen, 1);
	assert_int_equal(v.gen[1].role, IPC_KEY_NEXT);
	assert_int_equal(v.rollover, 1);
	key_fp_hex(ks.gen[0].fp, fp);
	key_fp_hex(ks.gen[1].fp, fp2);
	assert_int_equal(keyview_line(&v, 0, line, sizeof(line)), 1);
	(void)snprintf(want, sizeof(want), "key 1 current %s", fp);
	assert_string_equal(line, want);
	assert_int_equal(keyview_line(&v, 3, line, sizeof(line)), 1);
	(void)snprintf(want, sizeof(want), "key 2 next %s", fp2);
	assert_string_equal(line, want);
	assert_int_equal(keyview_line(&v, 6, line, sizeof(line)), 1);
	assert_true(strncmp(line, "rollover 2 1 ", 13) == 0);
	assert_true(strstr(line, fp) != NULL);
	assert_int_equal(keyview_line(&v, 7, line, sizeof(line)), 0);
	assert_int_equal(keyview_line(&v, 1000, line, sizeof(line)), 0);
	assert_int_equal(keyview_line(&v, 1, line, 20), -1);
	assert_int_equal(keyview_line(&v, 0, line, 0), -1);

	assert_int_equal(keyset_view(&ks, now + 610, &v), 1);
	assert_int_equal(v.gen[0].gen, 2);
	assert_int_equal(v.gen[0].role, IPC_KEY_CURRENT);
	assert_int_equal(v.rollover, 1);
	assert_int_equal(keyview_line(&v, 3, line, sizeof(line)), 1);
	assert_true(strncmp(line, "rollover 2 1 ", 13) == 0);
	assert_int_equal(keyview_line(&v, 4, line, sizeof(line)), 0);
	v.ngen = 3;
	assert_int_equal(keyview_line(&v, 0, line, sizeof(line)), -1);
	v.ngen = 1;
	v.gen[0].role = 7;
	assert_int_equal(keyview_line(&v, 0, line, sizeof(line)), -1);

	/* A second rollover once generation 1 has expired. */
	assert_int_equal(keyset_rollover(&ks, now + 610, 60, &errstr), 0);
	assert_int_equal(ks.ngen, 2);
	assert_int_equal(ks.gen[0].gen, 2);
	assert_int_equal(ks.gen[1].gen, 3);
	assert_int_equal(ks.gen[0].not_after, now + 670);
	n = keyfile_format(&ks, KEYFILE_PUBLIC, buf, sizeof(buf));
	assert_int_equal(keyfile_parse(buf, (size_t)n, KEYFILE_PUBLIC,
	    "demo.test", &back, err, sizeof(err)), 0);
	keyset_wipe(&back);
	assert_null(strstr(buf, "sign 1 "));

	/* Generation numbers run out. */
	ks.gen[1].gen = UINT32_MAX;
	assert_int_equal(keyset_rollover(&ks, now + 671, 60, &errstr), -1);
	assert_string_equal(errstr, "generation numbers exhausted");
	keyset_wipe(&ks);
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)),
	    (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_read_and_path(void **state)
{
	struct keyset	 ks;
	char		 p[PATH_MAX], q[PATH_MAX + 64], err[PATH_MAX + 256];
	char		 big[KEYFILE_MAX + 10];

	assert_int_equal(keyfile_path(dir, "demo.test", KEYFILE_PUBLIC, p,
	    sizeof(p)), 0);
	(void)snprintf(q, sizeof(q), "%s/demo.test.pub", dir);
	assert_string_equal(p, q);
	assert_int_equal(keyfile_path(dir, "demo.test", KEYFILE_SECRET, q,
	    sizeof(q)), 0);
	assert_int_equal(keyfile_path(dir, "Demo.test", KEYFILE_PUBLIC, q,
	    sizeof(q)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(keyfile_path(dir, "../x", KEYFILE_PUBLIC, q,
	    sizeof(q)), -1);
	assert_int_equal(keyfile_path(dir, "", KEYFILE_PUBLIC, q,
	    sizeof(q)), -1);
	assert_int_equal(keyfile_path(dir, "demo.test", KEYFILE_PUBLIC, q,
	    10), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	assert_int_equal(keyfile_read(p, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), 1);
	write_text(p, pub2, 0644);
	assert_int_equal(keyfile_read(p, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), 0);
	assert_int_equal(ks.ngen, 2);
	keyset_wipe(&ks);
	/* A secret file must be private; a public one may be read. */
	(void)snprintf(q, sizeof(q), "%s/demo.test.key", dir);
	write_text(q, sec2, 0640);
	assert_int_equal(keyfile_read(q, KEYFILE_SECRET, "demo.test", &ks,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0640"));
	write_text(q, sec2, 0600);
	assert_int_equal(keyfile_read(q, KEYFILE_SECRET, "demo.test", &ks,
	    err, sizeof(err)), 0);
	assert_int_equal(ks.secret, 1);
	keyset_wipe(&ks);
	assert_int_equal(unlink(q), 0);
	/* Symbolic links are not followed, directories are refused. */
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(keyfile_read(q, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), -1);
	assert_int_equal(unlink(q), 0);
	assert_int_equal(keyfile_read(dir, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), -1);
	/* Too large, and a parse error names the file and the line. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_text(p, big, 0644);
	assert_int_equal(keyfile_read(p, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "file too large"));
	write_text(p, "immp-keys v1 public demo.test\nfoo\n", 0644);
	assert_int_equal(keyfile_read(p, KEYFILE_PUBLIC, "demo.test", &ks,
	    err, sizeof(err)), -1);
	(void)snprintf(q, sizeof(q), "%s: line 2: unknown line", p);
	assert_string_equal(err, q);
	assert_int_equal(unlink(p), 0);
}

static int
setup(void **state)
{
	const char	*tmp;

	log_init(1, 0);
	log_procname("test");
	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/test_keyfile.XXXXXX", tmp) >=
	    (int)sizeof(dir) || mkdtemp(dir) == NULL)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	(void)rmdir(dir);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_vector),
		cmocka_unit_test(test_secret_vector),
		cmocka_unit_test(test_hostile_header),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_hostile_generations),
		cmocka_unit_test(test_hostile_secret),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_generate_rollover),
		cmocka_unit_test(test_read_and_path),
	};

	if (sodium_init() == -1)
		return (1);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
