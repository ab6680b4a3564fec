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
 * fuzz_canon: env_canon (common/envelope.c, immp(7) ENVELOPES) over any
 * input.  Properties: a refusal says why and returns no text; an
 * accepted input gives printable ASCII without white space outside
 * strings, which is its own canonical form (idempotence).
 */

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*out, *again, err[256];
	size_t	 len, len2, i;
	int	 instr = 0, esc = 0;

	err[0] = '\0';
	if (env_canon((const char *)data, size, &out, &len, err,
	    sizeof(err)) == -1) {
		FUZZ_ASSERT(out == NULL && err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(len == strlen(out) && out[0] == '{');
	for (i = 0; i < len; i++) {
		FUZZ_ASSERT(out[i] >= 0x20 && out[i] <= 0x7e);
		if (instr) {
			if (esc)
				esc = 0;
			else if (out[i] == '\\')
				esc = 1;
			else if (out[i] == '"')
				instr = 0;
		} else {
			FUZZ_ASSERT(out[i] != ' ');
			if (out[i] == '"')
				instr = 1;
		}
	}
	FUZZ_ASSERT(env_canon(out, len, &again, &len2, err,
	    sizeof(err)) == 0);
	FUZZ_ASSERT(len2 == len && memcmp(again, out, len) == 0);
	free(again);
	free(out);
	return 0;
}
