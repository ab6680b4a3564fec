/*
 * fuzz_keyfile: keyfile_parse, keyfile_format, keyset_view and
 * keyview_line (common/keyfile.h, immpctl(8) KEY FILES).
 *
 * Even first octet: the rest is a public key file, odd: a secret one.
 * A failed parse leaves the key set wiped and an error message; an
 * accepted file formats back to exactly the input (one spelling only:
 * no leading zeros, canonical base64, single spaces); a secret file's
 * public file parses as a public file with the same keys; the
 * published view at several times has the current generation first
 * and every one of its lines formats within KEY_LINE_MAX.
 */

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "ipc.h"
#include "keyfile.h"
#include "fuzz.h"

static void
check_view(const struct keyset *ks, time_t now)
{
	struct ipc_key_result	 v;
	char			 line[KEY_LINE_MAX];
	size_t			 i;
	int			 n, r;

	memset(&v, 0, sizeof(v));
	n = keyset_view(ks, now, &v);
	FUZZ_ASSERT(n >= 0 && n <= IPC_KEY_GENS && (size_t)n <= ks->ngen);
	if (n > 0)
		FUZZ_ASSERT(v.gen[0].role == IPC_KEY_CURRENT);
	if (n > 1)
		FUZZ_ASSERT(v.gen[1].role == IPC_KEY_NEXT);
	for (i = 0; (r = keyview_line(&v, i, line, sizeof(line))) == 1; i++)
		FUZZ_ASSERT(strlen(line) < sizeof(line));
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(i == 3 * (size_t)n + (v.rollover ? 1 : 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 out[KEYFILE_MAX + 1];
	struct keyset		 ks, pub;
	enum keyfile_kind	 kind;
	char			 err[512];
	size_t			 i;
	int			 n;

	if (sodium_init() == -1 || size < 1)
		return 0;
	kind = (data[0] & 1) ? KEYFILE_SECRET : KEYFILE_PUBLIC;
	data++;
	size--;
	err[0] = '\0';
	if (keyfile_parse((const char *)data, size, kind, NULL, &ks, err,
	    sizeof(err)) == -1) {
		FUZZ_ASSERT(err[0] != '\0');
		for (i = 0; i < sizeof(ks); i++)
			FUZZ_ASSERT(((unsigned char *)&ks)[i] == 0);
		return 0;
	}
	FUZZ_ASSERT(ks.ngen >= 1 && ks.ngen <= KEY_MAX_GEN);
	FUZZ_ASSERT(ks.secret == (kind == KEYFILE_SECRET));
	n = keyfile_format(&ks, kind, out, sizeof(out));
	FUZZ_ASSERT(n >= 0 && (size_t)n == size);
	FUZZ_ASSERT(memcmp(out, data, size) == 0);
	if (kind == KEYFILE_SECRET) {
		n = keyfile_format(&ks, KEYFILE_PUBLIC, out, sizeof(out));
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(keyfile_parse(out, (size_t)n, KEYFILE_PUBLIC,
		    ks.domain, &pub, err, sizeof(err)) == 0);
		for (i = 0; i < ks.ngen; i++)
			FUZZ_ASSERT(memcmp(pub.gen[i].fp, ks.gen[i].fp,
			    KEY_FP) == 0);
		keyset_wipe(&pub);
	}
	check_view(&ks, 1);
	check_view(&ks, (time_t)ks.gen[0].not_after);
	check_view(&ks, (time_t)KEY_TIME_MAX);
	keyset_wipe(&ks);
	return 0;
}
