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
 * Unit tests for the domain key pins (immp-queue/keypins.c) and the
 * KEY REQUEST reply reader of outbound sessions (immpd/envelope_keys.c),
 * with real key sets from common/keyfile.c.
 */

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
#include "ipc_env.h"
#include "keyfile.h"
#include "log.h"
#include "../../immp-queue/keypins.h"
#include "../../immpd/envelope_keys.h"

#define DOM	"b.test"
#define T0	1764000000

static struct keyset		 ks1, ks_other;
static struct ipc_key_result	 v1, v12, v2, vother;

static void
pin_of(const struct ipc_key_gen *g, struct keypin *k)
{
	memcpy(k->fp, g->fp, 32);
	memcpy(k->sign_pk, g->sign_pk, 32);
	memcpy(k->seal_pk, g->seal_pk, 32);
}

static int
setup(void **state)
{
	struct keyset	 ks;
	const char	*errstr;

	if (sodium_init() == -1)
		return -1;
	log_init(1, 0);
	if (keyset_generate(&ks1, DOM, T0) == -1 ||
	    keyset_generate(&ks_other, DOM, T0) == -1)
		return -1;
	(void)keyset_view(&ks1, T0 + 10, &v1);
	ks = ks1;
	if (keyset_rollover(&ks, T0 + 100, 1000, &errstr) == -1)
		return -1;
	(void)keyset_view(&ks, T0 + 200, &v12);	/* 1 current, 2 next */
	(void)keyset_view(&ks, T0 + 5000, &v2);		/* 1 expired */
	(void)keyset_view(&ks_other, T0 + 10, &vother);
	keyset_wipe(&ks);
	return 0;
}

static void
test_decide(void **state)
{
	struct keypin		 p1, use;
	struct ipc_key_result	 v;

	assert_int_equal(v12.ngen, 2);
	assert_int_equal(v2.ngen, 1);
	assert_true(v2.rollover);
	pin_of(&v1.gen[0], &p1);

	assert_int_equal(keypin_decide(DOM, NULL, 1, &v1, &use), KEYPIN_NEW);
	assert_memory_equal(use.fp, v1.gen[0].fp, 32);
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v1, &use),
	    KEYPIN_MATCH);
	/* During a rollover the pinned generation is still published. */
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v12, &use),
	    KEYPIN_MATCH);
	assert_memory_equal(use.fp, p1.fp, 32);
	/* After it, the rollover signature carries the pin over. */
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v2, &use),
	    KEYPIN_ROLLOVER);
	assert_memory_equal(use.fp, v2.gen[0].fp, 32);
	assert_memory_equal(use.seal_pk, v2.gen[0].seal_pk, 32);
	/* ... but only for the domain it was signed for. */
	assert_int_equal(keypin_decide("c.test", &p1, 1, &v2, &use),
	    KEYPIN_MISMATCH);
	/* A bad signature, another previous key, a new key: refused. */
	v = v2;
	v.rollover_sig[7] ^= 1;
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v, &use),
	    KEYPIN_MISMATCH);
	v = v2;
	v.rollover_prev_fp[0] ^= 1;
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v, &use),
	    KEYPIN_MISMATCH);
	v = v2;
	v.rollover = 0;
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v, &use),
	    KEYPIN_MISMATCH);
	assert_int_equal(keypin_decide(DOM, &p1, 1, &vother, &use),
	    KEYPIN_MISMATCH);
	assert_memory_equal(use.fp, vother.gen[0].fp, 32);
	/* A fingerprint that does not belong to its keys. */
	v = v1;
	v.gen[0].seal_pk[3] ^= 1;
	assert_int_equal(keypin_decide(DOM, NULL, 1, &v, &use),
	    KEYPIN_MISMATCH);
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v, &use),
	    KEYPIN_MISMATCH);
	/* Another domain's key signing the rollover of ours. */
	v = v2;
	pin_of(&vother.gen[0], &p1);
	memcpy(v.rollover_prev_fp, vother.gen[0].fp, 32);
	assert_int_equal(keypin_decide(DOM, &p1, 1, &v, &use),
	    KEYPIN_MISMATCH);
	pin_of(&v1.gen[0], &p1);
	/* Nothing published. */
	assert_int_equal(keypin_decide(DOM, NULL, 0, &v1, &use), KEYPIN_NONE);
	assert_int_equal(keypin_decide(DOM, &p1, 0, &v1, &use), KEYPIN_GONE);
}

static void
test_value(void **state)
{
	struct keypin	 p, q;
	char		 buf[KEYPIN_VALUE_MAX], bad[KEYPIN_VALUE_MAX];
	int		 n;

	pin_of(&v1.gen[0], &p);
	n = keypin_format(&p, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_int_equal(keypin_parse(buf, &q), 0);
	assert_memory_equal(&p, &q, sizeof(p));

	(void)snprintf(bad, sizeof(bad), "%s ", buf);
	assert_int_equal(keypin_parse(bad, &q), -1);
	(void)snprintf(bad, sizeof(bad), " %s", buf);
	assert_int_equal(keypin_parse(bad, &q), -1);
	memcpy(bad, buf, sizeof(bad));
	bad[64] = '\t';
	assert_int_equal(keypin_parse(bad, &q), -1);
	memcpy(bad, buf, sizeof(bad));
	bad[0] = bad[0] >= 'a' ? 'A' : 'a';	/* case or another value */
	assert_int_equal(keypin_parse(bad, &q), -1);
	memcpy(bad, buf, sizeof(bad));
	bad[70] = bad[70] == 'A' ? 'B' : 'A';	/* fp no longer matches */
	assert_int_equal(keypin_parse(bad, &q), -1);
	assert_int_equal(keypin_parse("", &q), -1);
	assert_int_equal(keypin_parse("a b c", &q), -1);
}

static void
test_store(void **state)
{
	struct keypin	 use;
	char		 dir[] = "/tmp/test_keypins.XXXXXX", path[256];

	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/keypins.db", dir);
	assert_int_equal(keypins_check(path, DOM, 0, &v1, &use), KEYPIN_NONE);
	assert_int_equal(keypins_check(path, DOM, 1, &v1, &use), KEYPIN_NEW);
	assert_int_equal(keypins_check(path, DOM, 1, &v12, &use),
	    KEYPIN_MATCH);
	assert_int_equal(keypins_check(path, DOM, 1, &vother, &use),
	    KEYPIN_MISMATCH);
	/* A mismatch leaves the pin alone. */
	assert_int_equal(keypins_check(path, DOM, 1, &v1, &use),
	    KEYPIN_MATCH);
	assert_int_equal(keypins_check(path, DOM, 1, &v2, &use),
	    KEYPIN_ROLLOVER);
	/* The pin moved: generation 2 matches, generation 1 alone not. */
	assert_int_equal(keypins_check(path, DOM, 1, &v2, &use),
	    KEYPIN_MATCH);
	assert_int_equal(keypins_check(path, DOM, 1, &v1, &use),
	    KEYPIN_MISMATCH);
	assert_int_equal(keypins_check(path, DOM, 0, &v1, &use), KEYPIN_GONE);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* Feeds the KEY REQUEST reply for view v (tampered by fix) to *k. */
static enum ek_status
feed(struct envkeys *k, const struct ipc_key_result *v, int mode)
{
	char		 line[512], fp[KEY_FP_HEX];
	size_t		 i;
	enum ek_status	 st;

	envkeys_init(k, DOM);
	key_fp_hex(v->gen[0].fp, fp);
	if (mode == 1)
		fp[5] = fp[5] == 'a' ? 'b' : 'a';
	(void)snprintf(line, sizeof(line), "Public keys for %s (fingerprint "
	    "%s):", mode == 2 ? "c.test" : DOM, fp);
	if ((st = envkeys_line(k, 260, 0, line)) != EK_MORE)
		return (st);
	for (i = 0; keyview_line(v, i, line, sizeof(line)) == 1; i++) {
		if (mode == 3 && i == 1)
			continue;		/* a line left out */
		if (mode == 4 && i == 1)
			strcat(line, " ");
		if (mode == 5 && i == 0)
			line[strlen(line) - 1] = 'F';	/* upper case */
		if (mode == 6 && i == 2)
			memmove(line + 5, line + 6, strlen(line + 5));
		if ((st = envkeys_line(k, 261, 1, line)) != EK_MORE)
			return (st);
	}
	if (mode == 7)
		(void)envkeys_line(k, 261, 1, line);	/* one line twice */
	(void)snprintf(line, sizeof(line), "End of keys for %s.", DOM);
	return (envkeys_line(k, 261, 0, line));
}

static void
test_envkeys(void **state)
{
	struct envkeys	 k;
	int		 mode;

	assert_int_equal(feed(&k, &v1, 0), EK_DONE);
	assert_int_equal(k.view.ngen, 1);
	assert_memory_equal(k.view.gen[0].sign_pk, v1.gen[0].sign_pk, 32);
	assert_int_equal(feed(&k, &v12, 0), EK_DONE);
	assert_int_equal(k.view.ngen, 2);
	assert_int_equal(k.view.gen[1].role, IPC_KEY_NEXT);
	assert_true(k.view.rollover);
	assert_int_equal(feed(&k, &v2, 0), EK_DONE);
	assert_memory_equal(k.view.rollover_sig, v2.rollover_sig, 64);
	assert_memory_equal(k.view.rollover_prev_fp, v2.rollover_prev_fp, 32);
	for (mode = 1; mode <= 7; mode++) {
		print_message("mode %d\n", mode);
		assert_int_equal(feed(&k, &v12, mode), EK_ERROR);
		assert_true(k.err[0] != '\0');
		assert_int_equal(k.view.ngen, 0);
	}
	envkeys_init(&k, DOM);
	assert_int_equal(envkeys_line(&k, 461, 0, "b.test: no keys."),
	    EK_NOKEYS);
	envkeys_init(&k, DOM);
	assert_int_equal(envkeys_line(&k, 700, 0, "Internal error."),
	    EK_ERROR);
	envkeys_init(&k, DOM);
	assert_int_equal(envkeys_line(&k, 260, 1, "x"), EK_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_envkeys),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
