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
 * fuzz_envelope: the outer and inner envelope parsers of
 * common/envelope.c (immp(7) ENVELOPES).  The first octet selects:
 * even, env_parse (outer); odd, env_inner_parse.  Properties: a refusal
 * says why and leaves the structure zeroed; an accepted envelope
 * formats to canonical text that parses back to the same structure and
 * formats to the same text; signature checks with a fixed key do not
 * fail in any other way than refusing.
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "envelope.h"
#include "fuzz.h"

static int
zeroed(const void *p, size_t len)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static void
outer(const char *buf, size_t size)
{
	static struct env_outer	 e, p;
	static const uint8_t	 pk[ENV_SIGN_PK] = { 1 };
	char			*s, *t, err[256];
	size_t			 len, len2, i;

	err[0] = '\0';
	if (env_parse(buf, size, &e, err, sizeof(err)) == -1) {
		FUZZ_ASSERT(err[0] != '\0' && zeroed(&e, sizeof(e)));
		return;
	}
	FUZZ_ASSERT(e.nrcpt >= 1 && e.nrcpt <= ENV_RCPT_MAX &&
	    e.nvia <= ENV_HOPS_MAX);
	FUZZ_ASSERT((s = env_format(&e, &len)) != NULL);
	FUZZ_ASSERT(env_parse(s, len, &p, err, sizeof(err)) == 0);
	FUZZ_ASSERT(memcmp(&e, &p, sizeof(e)) == 0);
	FUZZ_ASSERT((t = env_format(&p, &len2)) != NULL);
	FUZZ_ASSERT(len == len2 && memcmp(s, t, len) == 0);
	free(t);
	free(s);
	(void)env_verify(&e, pk);
	for (i = 0; i <= e.nvia; i++)
		(void)env_hop_verify(&e, i, pk);
}

static void
inner(const char *buf, size_t size)
{
	static struct env_inner	 in, p;
	char			*s, err[256];
	size_t			 len;

	err[0] = '\0';
	if (env_inner_parse(buf, size, &in, err, sizeof(err)) == -1) {
		FUZZ_ASSERT(err[0] != '\0' && zeroed(&in, sizeof(in)));
		return;
	}
	FUZZ_ASSERT(in.nrcpt >= 1 && in.nrcpt <= ENV_INNER_RCPT_MAX);
	FUZZ_ASSERT((s = env_inner_format(&in, &len)) != NULL);
	FUZZ_ASSERT(env_inner_parse(s, len, &p, err, sizeof(err)) == 0);
	FUZZ_ASSERT(memcmp(&in, &p, sizeof(in)) == 0);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sodium_init() == -1 || size < 1)
		return 0;
	if (data[0] & 1)
		inner((const char *)data + 1, size - 1);
	else
		outer((const char *)data + 1, size - 1);
	return 0;
}
