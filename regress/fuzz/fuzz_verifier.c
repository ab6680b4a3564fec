/*
 * fuzz_verifier: scram_verifier_decode and scram_verifier_encode
 * (common/scram.h, immpd-tables(5)).
 *
 * Even first octet: the rest is verifier text.  A decoded verifier has
 * Argon2id parameters within libsodium's bounds; encoding it gives back
 * exactly the input (the text form has a single spelling: no leading
 * zeros, canonical base64), which decodes to the same verifier.
 * Odd first octet: the rest fills a struct scram_verifier.  Encoding
 * succeeds exactly when the parameters are within bounds; the text
 * decodes to the same struct; too small a buffer fails.
 */

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "scram.h"
#include "fuzz.h"

static int
params_ok(uint64_t o, uint64_t m)
{
	return o >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	    o <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
	    m >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    m <= crypto_pwhash_argon2id_MEMLIMIT_MAX;
}

static void
text_side(const uint8_t *data, size_t size)
{
	static char		s[512];
	char			enc[512];
	struct scram_verifier	v, v2;
	int			n;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (scram_verifier_decode(s, &v) == -1)
		return;
	FUZZ_ASSERT(params_ok(v.opslimit, v.memlimit));
	n = scram_verifier_encode(&v, enc, sizeof(enc));
	FUZZ_ASSERT(n > 0 && (size_t)n == strlen(enc));
	if (strcmp(enc, s) != 0)
		fprintf(stderr, "decoded \"%s\"\nencodes as \"%s\"\n", s, enc);
	FUZZ_ASSERT(strcmp(enc, s) == 0);
	FUZZ_ASSERT(scram_verifier_decode(enc, &v2) == 0);
	FUZZ_ASSERT(memcmp(&v, &v2, sizeof(v)) == 0);
}

static void
struct_side(const uint8_t *data, size_t size)
{
	struct scram_verifier	v, v2;
	char			enc[512];
	uint64_t		o = 0, m = 0;
	size_t			i;
	int			n;

	if (size < 16 + SCRAM_SALTLEN + 2 * SCRAM_KEYLEN)
		return;
	memset(&v, 0, sizeof(v));
	for (i = 0; i < 8; i++) {
		o = o << 8 | data[i];
		m = m << 8 | data[8 + i];
	}
	/* mostly small values, sometimes anything */
	if ((o >> 63) == 0)
		o %= 16;
	if ((m >> 63) == 0)
		m %= (uint64_t)1 << (m >> 56 & 0x3f);
	v.opslimit = o;
	v.memlimit = m;
	memcpy(v.salt, data + 16, SCRAM_SALTLEN);
	memcpy(v.stored_key, data + 16 + SCRAM_SALTLEN, SCRAM_KEYLEN);
	memcpy(v.server_key, data + 16 + SCRAM_SALTLEN + SCRAM_KEYLEN,
	    SCRAM_KEYLEN);
	n = scram_verifier_encode(&v, enc, sizeof(enc));
	FUZZ_ASSERT((n > 0) == params_ok(o, m));
	if (n <= 0)
		return;
	FUZZ_ASSERT((size_t)n == strlen(enc));
	FUZZ_ASSERT(scram_verifier_decode(enc, &v2) == 0);
	FUZZ_ASSERT(memcmp(&v, &v2, sizeof(v)) == 0);
	FUZZ_ASSERT(scram_verifier_encode(&v, enc, n) == -1);
	FUZZ_ASSERT(scram_verifier_encode(&v, enc, n + 1) == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	init;

	if (!init) {
		FUZZ_ASSERT(sodium_init() >= 0);
		init = 1;
	}
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0)
		text_side(data + 1, size - 1);
	else
		struct_side(data + 1, size - 1);
	return 0;
}
