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
 * AUTH SECRET key schedule (DESIGN §5, immp(7)): SCRAM-SHA-256 as in
 * RFC 5802 and RFC 7677 with Argon2id13 in place of PBKDF2.  Every
 * primitive is libsodium's.
 */

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "scram.h"

#define SCRAM_PREFIX		"$immp-scram-sha256$argon2id13$"
#define SCRAM_B64_SALTLEN	24	/* base64 of SCRAM_SALTLEN octets */
#define SCRAM_B64_KEYLEN	44	/* base64 of SCRAM_KEYLEN octets */
#define SCRAM_B64_VARIANT	sodium_base64_VARIANT_ORIGINAL

_Static_assert(SCRAM_SALTLEN == crypto_pwhash_SALTBYTES, "salt length");
_Static_assert(SCRAM_KEYLEN == crypto_auth_hmacsha256_BYTES, "HMAC length");
_Static_assert(SCRAM_KEYLEN == crypto_auth_hmacsha256_KEYBYTES, "HMAC key");
_Static_assert(SCRAM_KEYLEN == crypto_hash_sha256_BYTES, "hash length");
_Static_assert(SCRAM_B64_SALTLEN + 1 ==
    sodium_base64_ENCODED_LEN(SCRAM_SALTLEN, SCRAM_B64_VARIANT),
    "base64 salt length");
_Static_assert(SCRAM_B64_KEYLEN + 1 ==
    sodium_base64_ENCODED_LEN(SCRAM_KEYLEN, SCRAM_B64_VARIANT),
    "base64 key length");

static int	params_valid(uint64_t, uint64_t);
static int	field_valid(const char *, int);
static const char *parse_u64(const char *, uint64_t *);
static const char *parse_b64(const char *, uint8_t *, size_t, size_t);

/* 1 if the Argon2id parameters are within libsodium's bounds. */
static int
params_valid(uint64_t opslimit, uint64_t memlimit)
{
	if (opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX)
		return 0;
	if (memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX)
		return 0;
	return 1;
}

/*
 * 1 if s holds no control character (and no ',' when nocomma is set),
 * 0 otherwise.  Octets >= 0x80 (UTF-8) are allowed.
 */
static int
field_valid(const char *s, int nocomma)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (nocomma && *p == ',')
			return 0;
	}
	return 1;
}

int
scram_salted_password(const char *password, size_t len,
    const uint8_t salt[SCRAM_SALTLEN], uint64_t opslimit, uint64_t memlimit,
    uint8_t out[SCRAM_KEYLEN])
{
	if (password == NULL || len > crypto_pwhash_PASSWD_MAX ||
	    !params_valid(opslimit, memlimit) || memlimit > SIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (sodium_init() < 0)
		return -1;
	if (crypto_pwhash(out, SCRAM_KEYLEN, password, len, salt,
	    (unsigned long long)opslimit, (size_t)memlimit,
	    crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, SCRAM_KEYLEN);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
scram_keys(const uint8_t salted[SCRAM_KEYLEN],
    uint8_t client_key[SCRAM_KEYLEN], uint8_t stored_key[SCRAM_KEYLEN],
    uint8_t server_key[SCRAM_KEYLEN])
{
	static const char	ckey[] = "Client Key";
	static const char	skey[] = "Server Key";

	crypto_auth_hmacsha256(client_key, (const unsigned char *)ckey,
	    sizeof(ckey) - 1, salted);
	crypto_hash_sha256(stored_key, client_key, SCRAM_KEYLEN);
	crypto_auth_hmacsha256(server_key, (const unsigned char *)skey,
	    sizeof(skey) - 1, salted);
}

int
scram_make_verifier(const char *password, size_t len, uint64_t opslimit,
    uint64_t memlimit, struct scram_verifier *v)
{
	uint8_t	salted[SCRAM_KEYLEN], client_key[SCRAM_KEYLEN];

	memset(v, 0, sizeof(*v));
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(v->salt, sizeof(v->salt));
	v->opslimit = opslimit;
	v->memlimit = memlimit;
	if (scram_salted_password(password, len, v->salt, opslimit, memlimit,
	    salted) == -1) {
		sodium_memzero(v, sizeof(*v));
		return -1;
	}
	scram_keys(salted, client_key, v->stored_key, v->server_key);
	sodium_memzero(salted, sizeof(salted));
	sodium_memzero(client_key, sizeof(client_key));
	return 0;
}

int
scram_auth_message(char *buf, size_t size, const char *account,
    const char *device, const char *n1, uint64_t n2, const char *cnonce,
    const uint8_t cbind[SCRAM_KEYLEN])
{
	char	 b64dev[SCRAM_AUTHMSG_MAX];
	char	 b64cb[SCRAM_B64_KEYLEN + 1];
	size_t	 devlen;
	int	 n;

	if (buf == NULL || account == NULL || device == NULL || n1 == NULL ||
	    cnonce == NULL || cbind == NULL || size == 0 || size > INT_MAX)
		return -1;
	if (!field_valid(account, 1) || !field_valid(device, 0) ||
	    !field_valid(n1, 1) || !field_valid(cnonce, 1))
		return -1;
	devlen = strlen(device);
	if (devlen > (sizeof(b64dev) - 1) / 4 * 3)
		return -1;
	sodium_bin2base64(b64dev, sizeof(b64dev),
	    (const unsigned char *)device, devlen, SCRAM_B64_VARIANT);
	sodium_bin2base64(b64cb, sizeof(b64cb), cbind, SCRAM_KEYLEN,
	    SCRAM_B64_VARIANT);
	n = snprintf(buf, size, "a=%s,d=%s,r=%s,t=%" PRIu64 ",c=%s,b=%s",
	    account, b64dev, n1, n2, cnonce, b64cb);
	if (n < 0 || (size_t)n >= size) {
		memset(buf, 0, size);
		return -1;
	}
	return n;
}

void
scram_client_proof(const uint8_t client_key[SCRAM_KEYLEN],
    const uint8_t stored_key[SCRAM_KEYLEN], const char *authmsg, size_t len,
    uint8_t proof[SCRAM_KEYLEN])
{
	uint8_t	sig[SCRAM_KEYLEN];
	size_t	i;

	crypto_auth_hmacsha256(sig, (const unsigned char *)authmsg, len,
	    stored_key);
	for (i = 0; i < SCRAM_KEYLEN; i++)
		proof[i] = client_key[i] ^ sig[i];
	sodium_memzero(sig, sizeof(sig));
}

int
scram_verify_proof(const struct scram_verifier *v, const char *authmsg,
    size_t len, const uint8_t proof[SCRAM_KEYLEN])
{
	uint8_t	sig[SCRAM_KEYLEN], client_key[SCRAM_KEYLEN];
	uint8_t	stored[SCRAM_KEYLEN];
	size_t	i;
	int	ok;

	crypto_auth_hmacsha256(sig, (const unsigned char *)authmsg, len,
	    v->stored_key);
	for (i = 0; i < SCRAM_KEYLEN; i++)
		client_key[i] = proof[i] ^ sig[i];
	crypto_hash_sha256(stored, client_key, sizeof(client_key));
	ok = sodium_memcmp(stored, v->stored_key, SCRAM_KEYLEN) == 0;
	sodium_memzero(sig, sizeof(sig));
	sodium_memzero(client_key, sizeof(client_key));
	sodium_memzero(stored, sizeof(stored));
	return ok;
}

void
scram_server_signature(const uint8_t server_key[SCRAM_KEYLEN],
    const char *authmsg, size_t len, uint8_t sig[SCRAM_KEYLEN])
{
	crypto_auth_hmacsha256(sig, (const unsigned char *)authmsg, len,
	    server_key);
}

int
scram_verifier_encode(const struct scram_verifier *v, char *buf,
    size_t size)
{
	char	salt[SCRAM_B64_SALTLEN + 1];
	char	stored[SCRAM_B64_KEYLEN + 1], server[SCRAM_B64_KEYLEN + 1];
	int	n;

	if (buf == NULL || size == 0 || size > INT_MAX ||
	    !params_valid(v->opslimit, v->memlimit))
		return -1;
	sodium_bin2base64(salt, sizeof(salt), v->salt, sizeof(v->salt),
	    SCRAM_B64_VARIANT);
	sodium_bin2base64(stored, sizeof(stored), v->stored_key,
	    sizeof(v->stored_key), SCRAM_B64_VARIANT);
	sodium_bin2base64(server, sizeof(server), v->server_key,
	    sizeof(v->server_key), SCRAM_B64_VARIANT);
	n = snprintf(buf, size, SCRAM_PREFIX "o=%" PRIu64 "$m=%" PRIu64
	    "$%s$%s$%s", v->opslimit, v->memlimit, salt, stored, server);
	sodium_memzero(stored, sizeof(stored));
	sodium_memzero(server, sizeof(server));
	if (n < 0 || (size_t)n >= size) {
		sodium_memzero(buf, size);
		return -1;
	}
	return n;
}

/*
 * Parses a decimal number without sign or leading zero into *out.
 * Returns a pointer past the digits, or NULL (no digit, leading zero,
 * overflow).
 */
static const char *
parse_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;
	unsigned int	d;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' &&
	    s[1] <= '9'))
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return s;
}

/*
 * Decodes exactly b64len characters of canonical padded base64 at s into
 * exactly len octets of out.  Returns a pointer past the field, or NULL.
 */
static const char *
parse_b64(const char *s, uint8_t *out, size_t len, size_t b64len)
{
	const char	*end;
	size_t		 outlen, i;
	unsigned char	 c;

	if (strnlen(s, b64len) != b64len)
		return NULL;
	/* libsodium 1.0.18 decodes octets 0x80-0xff as '/' (util.h). */
	for (i = 0; i < b64len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return NULL;
	}
	if (sodium_base642bin(out, len, s, b64len, NULL, &outlen, &end,
	    SCRAM_B64_VARIANT) != 0 || outlen != len || end != s + b64len)
		return NULL;
	return end;
}

int
scram_verifier_decode(const char *s, struct scram_verifier *v)
{
	struct scram_verifier	 tmp;
	const char		*p;

	memset(&tmp, 0, sizeof(tmp));
	if (s == NULL || v == NULL)
		goto bad;
	if (strncmp(s, SCRAM_PREFIX, sizeof(SCRAM_PREFIX) - 1) != 0)
		goto bad;
	p = s + sizeof(SCRAM_PREFIX) - 1;
	if (strncmp(p, "o=", 2) != 0 ||
	    (p = parse_u64(p + 2, &tmp.opslimit)) == NULL || *p++ != '$')
		goto bad;
	if (strncmp(p, "m=", 2) != 0 ||
	    (p = parse_u64(p + 2, &tmp.memlimit)) == NULL || *p++ != '$')
		goto bad;
	if (!params_valid(tmp.opslimit, tmp.memlimit))
		goto bad;
	if ((p = parse_b64(p, tmp.salt, sizeof(tmp.salt),
	    SCRAM_B64_SALTLEN)) == NULL || *p++ != '$')
		goto bad;
	if ((p = parse_b64(p, tmp.stored_key, sizeof(tmp.stored_key),
	    SCRAM_B64_KEYLEN)) == NULL || *p++ != '$')
		goto bad;
	if ((p = parse_b64(p, tmp.server_key, sizeof(tmp.server_key),
	    SCRAM_B64_KEYLEN)) == NULL || *p != '\0')
		goto bad;
	*v = tmp;
	sodium_memzero(&tmp, sizeof(tmp));
	return 0;
 bad:
	sodium_memzero(&tmp, sizeof(tmp));
	return -1;
}
