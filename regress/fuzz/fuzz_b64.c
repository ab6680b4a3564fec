/*
 * fuzz_b64: b64_decode and b64_encode (common/util.h).
 *
 * Even first octet: the rest (up to a NUL) is decoded.  Acceptance
 * agrees with an independent check of canonical padded base64 (length a
 * multiple of 4, alphabet, "=" only as the last one or two characters,
 * unused bits zero); a decoded string encodes back to itself; the
 * output size must be exactly enough: one octet less fails.
 * Odd first octet: the rest is encoded, decoded, and compared.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util.h"
#include "fuzz.h"

static int
val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
canonical(const char *s, size_t len, size_t *declen)
{
	size_t	i, pad = 0;

	if (len % 4 != 0)
		return 0;
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	if (pad == 1 && len >= 2 && s[len - 2] == '=')
		return 0;
	for (i = 0; i < len - pad; i++)
		if (val((unsigned char)s[i]) < 0)
			return 0;
	/* unused low bits of the last symbol must be zero */
	if (pad == 1 && (val((unsigned char)s[len - 2]) & 0x03) != 0)
		return 0;
	if (pad == 2 && (val((unsigned char)s[len - 3]) & 0x0f) != 0)
		return 0;
	*declen = len / 4 * 3 - pad;
	return 1;
}

static void
decode_side(const uint8_t *data, size_t size)
{
	char	*s, *enc;
	uint8_t	*out;
	size_t	 len, want = 0, cap;
	int	 n, ok;

	s = malloc(size + 1);
	FUZZ_ASSERT(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	cap = len / 4 * 3 + 3;
	out = malloc(cap);
	FUZZ_ASSERT(out != NULL);
	n = b64_decode(s, out, cap);
	ok = canonical(s, len, &want);
	if ((n >= 0) != ok)
		fprintf(stderr, "b64_decode(\"%s\") = %d, expected %s\n", s,
		    n, ok ? "success" : "failure");
	FUZZ_ASSERT((n >= 0) == ok);
	if (n >= 0) {
		FUZZ_ASSERT((size_t)n == want);
		enc = malloc(len + 1);
		FUZZ_ASSERT(enc != NULL);
		FUZZ_ASSERT(b64_encode(out, n, enc, len + 1) == (int)len);
		FUZZ_ASSERT(strcmp(enc, s) == 0);
		FUZZ_ASSERT(b64_encode(out, n, enc, len) == -1);
		free(enc);
		FUZZ_ASSERT(b64_decode(s, out, n) == n);
		if (n > 0)
			FUZZ_ASSERT(b64_decode(s, out, n - 1) == -1);
	}
	free(out);
	free(s);
}

static void
encode_side(const uint8_t *data, size_t size)
{
	char	*enc;
	uint8_t	*back;
	size_t	 elen;
	int	 n;

	elen = sodium_base64_ENCODED_LEN(size,
	    sodium_base64_VARIANT_ORIGINAL);
	enc = malloc(elen);
	back = malloc(size + 1);
	FUZZ_ASSERT(enc != NULL && back != NULL);
	n = b64_encode(data, size, enc, elen);
	FUZZ_ASSERT(n >= 0 && (size_t)n == elen - 1 && strlen(enc) == elen - 1);
	FUZZ_ASSERT(b64_decode(enc, back, size + 1) == (int)size);
	FUZZ_ASSERT(memcmp(back, data, size) == 0);
	free(enc);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64 * 1024)
		return 0;
	if ((data[0] & 1) == 0)
		decode_side(data + 1, size - 1);
	else
		encode_side(data + 1, size - 1);
	return 0;
}
