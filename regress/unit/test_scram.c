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

/* Unit tests for common/scram.c (AUTH SECRET, DESIGN §5). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "scram.h"

/* Cheap Argon2id parameters for the tests. */
#define T_OPS	1
#define T_MEM	8192

/*
 * The worked example of immp(7).  SaltedPassword was recomputed with the
 * Argon2 reference library, everything after it with Python's hmac and
 * hashlib.
 */
#define EX_ACCOUNT	"alice@demo.test"
#define EX_DEVICE	"laptop"
#define EX_PASSWORD	"correct horse"
#define EX_N1		"c2VydmVyLW5vbmNlLWV4YW1wbGUtbjEh"
#define EX_N2		1764000000ULL
#define EX_CNONCE	"Y2xpZW50LW5vbmNlLTEyMzQ1"
#define EX_SALTED	\
	"3bfa796a86260b73457e1290b51695931a17e266f601d0fb45563e282fb6865b"
#define EX_CLIENTKEY	\
	"bc2a136256d0c616f609fd6ed4cf0866bf86d325c4858c1988539343fd6513a1"
#define EX_STOREDKEY	\
	"7a9dffaf359f5c14727e501baf2fc20615d152482f4c64ec9f42d1067be8711d"
#define EX_SERVERKEY	\
	"8fcb7d180ff645da853cc3eaa010015755cf7f06fe728402ca86888c4d27fb76"
#define EX_AUTHMSG	"a=alice@demo.test,d=bGFwdG9w," \
	"r=c2VydmVyLW5vbmNlLWV4YW1wbGUtbjEh,t=1764000000," \
	"c=Y2xpZW50LW5vbmNlLTEyMzQ1," \
	"b=qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo="
#define EX_PROOF	\
	"7dc3c684c807a5f712da2d72c3bc56ab2703aaf05acba1159c9ab71070234bcc"
#define EX_PROOF_B64	"fcPGhMgHpfcS2i1yw7xWqycDqvBay6EVnJq3EHAjS8w="
#define EX_SIG		\
	"ec9bb2916e9b64ae0fbff8b26480c800aecd52b60072fc74ca2f8e9a605b6de5"
#define EX_SIG_B64	"7JuykW6bZK4Pv/iyZIDIAK7NUrYAcvx0yi+OmmBbbeU="
#define EX_VERIFIER	"$immp-scram-sha256$argon2id13$o=1$m=8192$" \
	"AAECAwQFBgcICQoLDA0ODw==$" \
	"ep3/rzWfXBRyflAbry/CBhXRUkgvTGTsn0LRBnvocR0=$" \
	"j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y="

static void
hex_eq(const uint8_t *b, size_t len, const char *hex)
{
	char	buf[2 * 64 + 1];

	assert_true(len <= 64);
	sodium_bin2hex(buf, sizeof(buf), b, len);
	assert_string_equal(buf, hex);
}

static void
b64_eq(const uint8_t *b, size_t len, const char *b64)
{
	char	buf[128];

	sodium_bin2base64(buf, sizeof(buf), b, len,
	    sodium_base64_VARIANT_ORIGINAL);
	assert_string_equal(buf, b64);
}

static void
ex_salt(uint8_t salt[SCRAM_SALTLEN])
{
	int	i;

	for (i = 0; i < SCRAM_SALTLEN; i++)
		salt[i] = (uint8_t)i;
}

/* HMAC-SHA-256 by the incremental API, fed in two pieces. */
static void
hmac_split(const uint8_t key[32], const char *msg, size_t len,
    uint8_t out[32])
{
	crypto_auth_hmacsha256_state	st;

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg,
	    len / 2);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg + len / 2,
	    len - len / 2);
	crypto_auth_hmacsha256_final(&st, out);
}

static void
sha_split(const uint8_t *in, size_t len, uint8_t out[32])
{
	crypto_hash_sha256_state	st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, in, 7);
	crypto_hash_sha256_update(&st, in + 7, len - 7);
	crypto_hash_sha256_final(&st, out);
}

/* The schedule against the definitions, computed by another route. */
static void
test_key_schedule(void **state)
{
	uint8_t	salted[32], ck[32], sk[32], svk[32];
	uint8_t	eck[32], esk[32], esvk[32], sig[32], proof[32], esig[32];
	const char	*am = "a=x@y.z,d=,r=n,t=0,c=c,b=x";
	size_t		 i;

	randombytes_buf(salted, sizeof(salted));
	scram_keys(salted, ck, sk, svk);
	hmac_split(salted, "Client Key", 10, eck);
	sha_split(eck, 32, esk);
	hmac_split(salted, "Server Key", 10, esvk);
	assert_memory_equal(ck, eck, 32);
	assert_memory_equal(sk, esk, 32);
	assert_memory_equal(svk, esvk, 32);

	scram_client_proof(ck, sk, am, strlen(am), proof);
	hmac_split(esk, am, strlen(am), sig);
	for (i = 0; i < 32; i++)
		assert_int_equal(proof[i], eck[i] ^ sig[i]);

	scram_server_signature(svk, am, strlen(am), sig);
	hmac_split(esvk, am, strlen(am), esig);
	assert_memory_equal(sig, esig, 32);
}

/* The immp(7) worked example, value by value. */
static void
test_worked_example(void **state)
{
	uint8_t	salt[SCRAM_SALTLEN], cbind[32], salted[32];
	uint8_t	ck[32], sk[32], svk[32], proof[32], sig[32];
	struct scram_verifier	v, d;
	char	am[SCRAM_AUTHMSG_MAX], text[256];
	int	n;

	ex_salt(salt);
	memset(cbind, 0xaa, sizeof(cbind));
	assert_int_equal(scram_salted_password(EX_PASSWORD,
	    strlen(EX_PASSWORD), salt, 1, 8192, salted), 0);
	hex_eq(salted, 32, EX_SALTED);
	scram_keys(salted, ck, sk, svk);
	hex_eq(ck, 32, EX_CLIENTKEY);
	hex_eq(sk, 32, EX_STOREDKEY);
	hex_eq(svk, 32, EX_SERVERKEY);

	n = scram_auth_message(am, sizeof(am), EX_ACCOUNT, EX_DEVICE, EX_N1,
	    EX_N2, EX_CNONCE, cbind);
	assert_int_equal(n, (int)strlen(EX_AUTHMSG));
	assert_string_equal(am, EX_AUTHMSG);

	scram_client_proof(ck, sk, am, (size_t)n, proof);
	hex_eq(proof, 32, EX_PROOF);
	b64_eq(proof, 32, EX_PROOF_B64);
	scram_server_signature(svk, am, (size_t)n, sig);
	hex_eq(sig, 32, EX_SIG);
	b64_eq(sig, 32, EX_SIG_B64);

	memset(&v, 0, sizeof(v));
	memcpy(v.salt, salt, sizeof(v.salt));
	v.opslimit = 1;
	v.memlimit = 8192;
	memcpy(v.stored_key, sk, 32);
	memcpy(v.server_key, svk, 32);
	n = scram_verifier_encode(&v, text, sizeof(text));
	assert_int_equal(n, (int)strlen(EX_VERIFIER));
	assert_string_equal(text, EX_VERIFIER);
	assert_int_equal(scram_verifier_decode(EX_VERIFIER, &d), 0);
	assert_memory_equal(&d, &v, sizeof(v));
	assert_int_equal(scram_verify_proof(&d, am, strlen(am), proof), 1);
}

/* Client side: proof for password against the verifier's parameters. */
static void
client_proof(const struct scram_verifier *v, const char *password,
    const char *am, uint8_t proof[32], uint8_t server_key[32])
{
	uint8_t	salted[32], ck[32], sk[32];

	assert_int_equal(scram_salted_password(password, strlen(password),
	    v->salt, v->opslimit, v->memlimit, salted), 0);
	scram_keys(salted, ck, sk, server_key);
	scram_client_proof(ck, sk, am, strlen(am), proof);
}

static void
make_am(char *am, size_t size, const uint8_t cbind[32])
{
	assert_true(scram_auth_message(am, size, "bob@demo.test", "",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1764000000, "abcdefghijklmnop",
	    cbind) > 0);
}

static void
test_round_trip(void **state)
{
	struct scram_verifier	v;
	uint8_t	cbind[32], proof[32], skey[32], sig[32], csig[32];
	char	am[SCRAM_AUTHMSG_MAX];

	memset(cbind, 0x42, sizeof(cbind));
	assert_int_equal(scram_make_verifier("s3cret", 6, T_OPS, T_MEM, &v),
	    0);
	assert_int_equal(v.opslimit, T_OPS);
	assert_int_equal(v.memlimit, T_MEM);
	make_am(am, sizeof(am), cbind);
	client_proof(&v, "s3cret", am, proof, skey);
	assert_int_equal(scram_verify_proof(&v, am, strlen(am), proof), 1);

	/* The client derives the same ServerKey: mutual authentication. */
	assert_memory_equal(skey, v.server_key, 32);
	scram_server_signature(v.server_key, am, strlen(am), sig);
	scram_server_signature(skey, am, strlen(am), csig);
	assert_memory_equal(sig, csig, 32);
}

static void
test_salt_random(void **state)
{
	struct scram_verifier	a, b;

	assert_int_equal(scram_make_verifier("pw", 2, T_OPS, T_MEM, &a), 0);
	assert_int_equal(scram_make_verifier("pw", 2, T_OPS, T_MEM, &b), 0);
	assert_memory_not_equal(a.salt, b.salt, SCRAM_SALTLEN);
	assert_memory_not_equal(a.stored_key, b.stored_key, SCRAM_KEYLEN);
}

static void
test_wrong_password(void **state)
{
	struct scram_verifier	v;
	uint8_t	cbind[32], proof[32], skey[32];
	char	am[SCRAM_AUTHMSG_MAX];

	memset(cbind, 0x42, sizeof(cbind));
	assert_int_equal(scram_make_verifier("s3cret", 6, T_OPS, T_MEM, &v),
	    0);
	make_am(am, sizeof(am), cbind);
	client_proof(&v, "s3cres", am, proof, skey);
	assert_int_equal(scram_verify_proof(&v, am, strlen(am), proof), 0);
	client_proof(&v, "", am, proof, skey);
	assert_int_equal(scram_verify_proof(&v, am, strlen(am), proof), 0);
	/* A password with a NUL inside differs from its prefix. */
	assert_int_equal(scram_salted_password("s3cret\0x", 8, v.salt,
	    T_OPS, T_MEM, skey), 0);
	assert_int_equal(scram_salted_password("s3cret", 6, v.salt,
	    T_OPS, T_MEM, proof), 0);
	assert_memory_not_equal(skey, proof, 32);
}

static void
test_flipped_bit(void **state)
{
	struct scram_verifier	v;
	uint8_t	cbind[32], proof[32], skey[32];
	char	am[SCRAM_AUTHMSG_MAX];
	int	i;

	memset(cbind, 0x42, sizeof(cbind));
	assert_int_equal(scram_make_verifier("s3cret", 6, T_OPS, T_MEM, &v),
	    0);
	make_am(am, sizeof(am), cbind);
	client_proof(&v, "s3cret", am, proof, skey);
	for (i = 0; i < 32 * 8; i++) {
		proof[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(scram_verify_proof(&v, am, strlen(am),
		    proof), 0);
		proof[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	assert_int_equal(scram_verify_proof(&v, am, strlen(am), proof), 1);
	memset(proof, 0, sizeof(proof));
	assert_int_equal(scram_verify_proof(&v, am, strlen(am), proof), 0);
}

static void
test_cbind_change(void **state)
{
	struct scram_verifier	v;
	uint8_t	cbind[32], proof[32], skey[32];
	char	am[SCRAM_AUTHMSG_MAX], am2[SCRAM_AUTHMSG_MAX];

	memset(cbind, 0x42, sizeof(cbind));
	assert_int_equal(scram_make_verifier("s3cret", 6, T_OPS, T_MEM, &v),
	    0);
	make_am(am, sizeof(am), cbind);
	client_proof(&v, "s3cret", am, proof, skey);
	cbind[31] ^= 1;
	make_am(am2, sizeof(am2), cbind);
	assert_string_not_equal(am, am2);
	assert_int_equal(scram_verify_proof(&v, am2, strlen(am2), proof), 0);

	/* Any other field changed (here n2) fails as well. */
	cbind[31] ^= 1;
	assert_true(scram_auth_message(am2, sizeof(am2), "bob@demo.test", "",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1764000001,
	    "abcdefghijklmnop", cbind) > 0);
	assert_int_equal(scram_verify_proof(&v, am2, strlen(am2), proof), 0);
}

static void
test_auth_message_fields(void **state)
{
	uint8_t	cbind[32];
	char	am[SCRAM_AUTHMSG_MAX], small[40], dev[1024];

	memset(cbind, 0, sizeof(cbind));
	assert_int_equal(scram_auth_message(am, sizeof(am), "a,b@c.d", "",
	    "n1", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", "",
	    "n,1", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", "",
	    "n1", 1, "c,n", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a\r@c.d", "",
	    "n1", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", "x\ny",
	    "n1", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", "",
	    "n1\x7f", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", "",
	    "n1", 1, "cn\t", cbind), -1);
	assert_int_equal(scram_auth_message(am, sizeof(am), NULL, "",
	    "n1", 1, "cn", cbind), -1);

	/* A device name may hold ',' and UTF-8: it is base64 encoded. */
	assert_true(scram_auth_message(am, sizeof(am), "a@c.d",
	    "Ann's phone, \xc3\xa9", "n1", 18446744073709551615ULL, "cn",
	    cbind) > 0);
	assert_string_equal(am, "a=a@c.d,d=QW5uJ3MgcGhvbmUsIMOp,r=n1,"
	    "t=18446744073709551615,c=cn,"
	    "b=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

	/* Too small a buffer, exact fit and an overlong device. */
	assert_int_equal(scram_auth_message(small, sizeof(small), "a@c.d",
	    "", "n1", 1, "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, 71, "a@c.d", "", "n1", 1,
	    "cn", cbind), -1);
	assert_int_equal(scram_auth_message(am, 72, "a@c.d", "", "n1", 1,
	    "cn", cbind), 71);
	memset(dev, 'x', sizeof(dev) - 1);
	dev[sizeof(dev) - 1] = '\0';
	assert_int_equal(scram_auth_message(am, sizeof(am), "a@c.d", dev,
	    "n1", 1, "cn", cbind), -1);
}

static void
test_bad_params(void **state)
{
	uint8_t	salt[SCRAM_SALTLEN], out[32];
	struct scram_verifier	v;

	ex_salt(salt);
	assert_int_equal(scram_salted_password("x", 1, salt, 0, T_MEM, out),
	    -1);
	assert_int_equal(scram_salted_password("x", 1, salt, T_OPS, 8191,
	    out), -1);
	assert_int_equal(scram_salted_password("x", 1, salt, 1ULL << 32,
	    T_MEM, out), -1);
	assert_int_equal(scram_salted_password("x", 1, salt, T_OPS,
	    UINT64_MAX, out), -1);
	assert_int_equal(scram_make_verifier("x", 1, 0, 0, &v), -1);
}

static void
test_verifier_round_trip(void **state)
{
	struct scram_verifier	v, d;
	char	text[256], small[100];
	int	n;

	assert_int_equal(scram_make_verifier("pw", 2, T_OPS, T_MEM, &v), 0);
	n = scram_verifier_encode(&v, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(scram_verifier_decode(text, &d), 0);
	assert_memory_equal(&v, &d, sizeof(v));
	assert_int_equal(scram_verifier_encode(&v, small, sizeof(small)), -1);
	assert_int_equal(scram_verifier_encode(&v, text, (size_t)n), -1);
	assert_int_equal(scram_verifier_encode(&v, text, (size_t)n + 1), n);

	/* Largest parameters libsodium allows still round-trip. */
	v.opslimit = crypto_pwhash_argon2id_OPSLIMIT_MAX;
	v.memlimit = crypto_pwhash_argon2id_MEMLIMIT_MAX;
	assert_true(scram_verifier_encode(&v, text, sizeof(text)) > 0);
	assert_int_equal(scram_verifier_decode(text, &d), 0);
	assert_memory_equal(&v, &d, sizeof(v));
	v.opslimit = 0;
	assert_int_equal(scram_verifier_encode(&v, text, sizeof(text)), -1);
}

#define P	"$immp-scram-sha256$argon2id13$"
#define SALT	"AAECAwQFBgcICQoLDA0ODw=="
#define K1	"ep3/rzWfXBRyflAbry/CBhXRUkgvTGTsn0LRBnvocR0="
#define K2	"j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y="

static void
test_verifier_hostile(void **state)
{
	static const char *bad[] = {
		"",
		"$",
		P,
		"$immp-scram-sha256$argon2id13",
		"$immp-scram-sha1$argon2id13$o=1$m=8192$" SALT "$" K1 "$" K2,
		"$immp-scram-sha256$argon2i13$o=1$m=8192$" SALT "$" K1 "$" K2,
		"immp-scram-sha256$argon2id13$o=1$m=8192$" SALT "$" K1 "$" K2,
		" " P "o=1$m=8192$" SALT "$" K1 "$" K2,
		"$IMMP-SCRAM-SHA256$argon2id13$o=1$m=8192$" SALT "$" K1 "$" K2,
		/* truncated */
		P "o=1$m=8192$" SALT "$" K1 "$",
		P "o=1$m=8192$" SALT "$" K1 "$" "j8t9GA/2RdqFPMPqoBABV1XPfwb",
		P "o=1$m=8192$" SALT "$" K1,
		P "o=1$m=8192$" SALT,
		P "o=1$m=8192$",
		P "o=1$m=",
		P "o=1",
		P "o=",
		/* extra fields and trailing garbage */
		P "o=1$m=8192$" SALT "$" K1 "$" K2 "$",
		P "o=1$m=8192$" SALT "$" K1 "$" K2 "$" K2,
		P "o=1$m=8192$" SALT "$" K1 "$" K2 " ",
		P "o=1$m=8192$" SALT "$" K1 "$" K2 "\n",
		P "o=1$m=8192$p=1$" SALT "$" K1 "$" K2,
		/* duplicate or missing separators */
		P "$o=1$m=8192$" SALT "$" K1 "$" K2,
		P "o=1$$m=8192$" SALT "$" K1 "$" K2,
		P "o=1$m=8192$$" SALT "$" K1 "$" K2,
		P "o=1$m=8192$" SALT "$$" K1 "$" K2,
		P "o=1$m=8192$" SALT "$" K1 "$$" K2,
		P "o=1m=8192$" SALT "$" K1 "$" K2,
		P "m=8192$o=1$" SALT "$" K1 "$" K2,
		P "o=1$o=1$m=8192$" SALT "$" K1 "$" K2,
		/* numbers: sign, zero, leading zero, spaces, hex, bounds */
		P "o=-1$m=8192$" SALT "$" K1 "$" K2,
		P "o=+1$m=8192$" SALT "$" K1 "$" K2,
		P "o=0$m=8192$" SALT "$" K1 "$" K2,
		P "o=01$m=8192$" SALT "$" K1 "$" K2,
		P "o= 1$m=8192$" SALT "$" K1 "$" K2,
		P "o=0x1$m=8192$" SALT "$" K1 "$" K2,
		P "o=1$m=8191$" SALT "$" K1 "$" K2,
		P "o=1$m=0$" SALT "$" K1 "$" K2,
		P "o=4294967296$m=8192$" SALT "$" K1 "$" K2,
		P "o=1$m=18446744073709551615$" SALT "$" K1 "$" K2,
		P "o=1$m=18446744073709551616$" SALT "$" K1 "$" K2,
		P "o=1$m=99999999999999999999999$" SALT "$" K1 "$" K2,
		P "o=1$m=4398046511104$" SALT "$" K1 "$" K2,
		/* base64: bad characters, padding, length, non-canonical */
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0OD*==$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0ODw=$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0ODw$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0ODx==$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0O$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQFBgcICQoLDA0ODw==AAAA$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQF BgcICQoLDA0ODw==$" K1 "$" K2,
		P "o=1$m=8192$AAECAwQF-gcICQoLDA0ODw==$" K1 "$" K2,
		P "o=1$m=8192$" SALT "$" SALT "$" K2,
		P "o=1$m=8192$" SALT "$" K1 "$" SALT,
		P "o=1$m=8192$" SALT "$" K1 "$" K1 "AAAA",
		P "o=1$m=8192$" SALT "$" K1 "$"
		    "j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Z=",
		P "o=1$m=8192$" SALT "$" K1 "$"
		    "j8t9GA_2RdqFPMPqoBABV1XPfwb-coQCyoaIjE0n-3Y=",
		P "o=1$m=8192$" SALT "$" K1 "$"
		    "j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y",
		P "o=1$m=8192$" SALT "$" K1 "$"
		    "j8t9GA/2RdqFPMPqoBABV1XPfwb+coQCyoaIjE0n+3Y==",
	};
	struct scram_verifier	d, zero;
	size_t	i;

	/* The good one parses. */
	assert_int_equal(scram_verifier_decode(P "o=1$m=8192$" SALT "$" K1
	    "$" K2, &d), 0);
	assert_int_equal(scram_verifier_decode(NULL, &d), -1);

	memset(&zero, 0x5a, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(&d, &zero, sizeof(d));
		if (scram_verifier_decode(bad[i], &d) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
		/* *v is left alone on error. */
		assert_memory_equal(&d, &zero, sizeof(d));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_schedule),
		cmocka_unit_test(test_worked_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_salt_random),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_cbind_change),
		cmocka_unit_test(test_auth_message_fields),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_verifier_round_trip),
		cmocka_unit_test(test_verifier_hostile),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
