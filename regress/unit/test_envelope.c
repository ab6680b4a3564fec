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


/* Unit tests for the envelope file of immp-queue/store.c. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../immp-queue/store.h"

#define UUID	"0f0e0d0c-0b0a-4908-8706-050403020100"
#define HEAD	"version=1\nuuid=" UUID "\naccepted=1700000000\n" \
		"sender=alice@demo.test\npeer=127.0.0.1\nflags=1\nsize=42\n" \
		"bounce=0\n"
#define GOOD	HEAD "nrcpt=2\nrcpt=bob@demo.test . pending 0 0\n" \
		"rcpt=carol@demo.test lists done 3 1700000300\n"

static void
test_parse_good(void **state)
{
	struct envelope	 env;
	const char	*err = NULL;

	assert_int_equal(env_parse(GOOD, strlen(GOOD), &env, &err), 0);
	assert_string_equal(env.uuid, UUID);
	assert_int_equal(env.accepted, 1700000000);
	assert_string_equal(env.sender, "alice@demo.test");
	assert_string_equal(env.peer, "127.0.0.1");
	assert_int_equal(env.flags, 1);
	assert_int_equal(env.size, 42);
	assert_int_equal(env.bounce, 0);
	assert_int_equal(env.nrcpt, 2);
	assert_string_equal(env.rcpt[0].account, "bob@demo.test");
	assert_string_equal(env.rcpt[0].folder, "");
	assert_int_equal(env.rcpt[0].state, RCPT_PENDING);
	assert_string_equal(env.rcpt[1].folder, "lists");
	assert_int_equal(env.rcpt[1].state, RCPT_DONE);
	assert_int_equal(env.rcpt[1].tries, 3);
	assert_int_equal(env.rcpt[1].next, 1700000300);
	env_free(&env);
}

static void
test_roundtrip(void **state)
{
	struct envelope	 env, back;
	char		*buf;
	size_t		 len;

	assert_int_equal(env_parse(GOOD, strlen(GOOD), &env, NULL), 0);
	assert_int_equal(env_format(&env, &buf, &len), 0);
	assert_int_equal(len, strlen(GOOD));
	assert_memory_equal(buf, GOOD, len);
	assert_int_equal(env_parse(buf, len, &back, NULL), 0);
	assert_int_equal(back.nrcpt, 2);
	free(buf);
	env_free(&back);

	/* The formatter refuses what would not parse back. */
	strcpy(env.rcpt[0].account, "bob\n@demo.test");
	assert_int_equal(env_format(&env, &buf, &len), -1);
	strcpy(env.rcpt[0].account, "bob@demo.test");
	strcpy(env.sender, "alice@demo.test\nrcpt=evil@x");
	assert_int_equal(env_format(&env, &buf, &len), -1);
	strcpy(env.sender, "alice@demo.test");
	strcpy(env.rcpt[1].folder, "..");
	assert_int_equal(env_format(&env, &buf, &len), -1);
	strcpy(env.rcpt[1].folder, "a b");
	assert_int_equal(env_format(&env, &buf, &len), -1);
	env_free(&env);
}

static void
expect_bad(const char *s, size_t len)
{
	struct envelope	 env;
	const char	*err = NULL;

	errno = 0;
	if (env_parse(s, len, &env, &err) != -1)
		fail_msg("accepted: %.*s", (int)(len > 300 ? 300 : len), s);
	assert_int_equal(errno, EBADMSG);
	assert_non_null(err);
	assert_null(env.rcpt);
}

#define BAD(s)	expect_bad((s), sizeof(s) - 1)

static void
test_hostile(void **state)
{
	char	*big;

	BAD("");
	BAD("\n");
	BAD(GOOD "\n");					/* empty line */
	BAD(GOOD "x=1\n");				/* unknown key */
	BAD(GOOD "sender=mallory@demo.test\n");		/* duplicate key */
	BAD(GOOD "version=1\n");
	BAD("version=1\n" GOOD);
	BAD(GOOD "rcpt=dave@demo.test . pending 0 0\n");	/* > nrcpt */
	BAD(HEAD "nrcpt=2\nrcpt=bob@demo.test . pending 0 0\n"); /* < */
	BAD(HEAD "rcpt=bob@demo.test . pending 0 0\nnrcpt=1\n");
	BAD(HEAD "nrcpt=0\n");
	BAD(HEAD "nrcpt=101\n");
	BAD(HEAD "nrcpt=01\nrcpt=bob@demo.test . pending 0 0\n");
	BAD(HEAD "nrcpt=-1\n");
	/* Missing final LF, CR, NUL, controls, non-ASCII. */
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0 0");
	BAD(HEAD "nrcpt=1\r\nrcpt=bob@demo.test . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0 0\r\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0 0\0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test\t. pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=b\xc3\xb6" "b@demo.test . pending 0 0\n");
	/* Missing keys. */
	BAD("version=1\nnrcpt=1\nrcpt=bob@demo.test . pending 0 0\n");
	/* Bad values. */
	BAD("version=2\nuuid=" UUID "\naccepted=1\nsender=a@b\npeer=\n"
	    "flags=0\nsize=1\nbounce=0\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=0F0E0D0C-0B0A-4908-8706-050403020100\n"
	    "accepted=1\nsender=a@b\npeer=\nflags=0\nsize=1\nbounce=0\n"
	    "nrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=../../etc/passwd\naccepted=1\nsender=a@b\n"
	    "peer=\nflags=0\nsize=1\nbounce=0\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted=1\nsender=a@b\npeer=\n"
	    "flags=16\nsize=1\nbounce=0\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted=1\nsender=a@b\npeer=\n"
	    "flags=0\nsize=1\nbounce=2\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted=99999999999999999999\n"
	    "sender=a@b\npeer=\nflags=0\nsize=1\nbounce=0\nnrcpt=1\n"
	    "rcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted= 1\nsender=a@b\npeer=\n"
	    "flags=0\nsize=1\nbounce=0\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted=1\nsender=a\npeer=\n"
	    "flags=0\nsize=1\nbounce=0\nnrcpt=1\nrcpt=b@c . done 0 0\n");
	BAD("version=1\nuuid=" UUID "\naccepted=1\nsender=a@b\n"
	    "peer=1.2.3.4 x\nflags=0\nsize=1\nbounce=0\nnrcpt=1\n"
	    "rcpt=b@c . done 0 0\n");
	/* rcpt lines. */
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . sent 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test .. pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test a/b pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test  . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 4294967296 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=../x@demo.test . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@-demo.test . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo..test . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=.bob@demo.test . pending 0 0\n");
	BAD(HEAD "nrcpt=1\nrcpt=bob@demo.test . pending 0 -5\n");
	BAD(HEAD "nrcpt=1\nrcpt=\n");
	BAD(HEAD "nrcpt=1\nrcpt\n");
	/* Overlong line and file. */
	big = malloc(ENV_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', ENV_FILE_MAX + 1);
	big[ENV_FILE_MAX] = '\n';
	expect_bad(big, ENV_FILE_MAX + 1);
	memcpy(big, "peer=", 5);
	big[2000] = '\n';
	expect_bad(big, 2001);
	free(big);
}

static void
test_validators(void **state)
{
	assert_true(store_account_valid("a@b"));
	assert_true(store_account_valid("first.last_x-y@sub.demo.test"));
	assert_false(store_account_valid("a@"));
	assert_false(store_account_valid("@b"));
	assert_false(store_account_valid("a@b@c"));
	assert_false(store_account_valid("a+f@b"));
	assert_false(store_account_valid("a..b@c"));
	assert_false(store_account_valid("a.@c"));
	assert_false(store_account_valid("a@b."));
	assert_false(store_account_valid("a@b-.c"));
	assert_false(store_account_valid("a/b@c"));
	assert_true(store_folder_valid("lists"));
	assert_true(store_folder_valid("a.b"));
	assert_false(store_folder_valid("."));
	assert_false(store_folder_valid(".."));
	assert_false(store_folder_valid(""));
	assert_false(store_folder_valid("a/b"));
	assert_true(store_peer_valid(""));
	assert_true(store_peer_valid("::1"));
	assert_true(store_peer_valid("fe80::1%eth0"));
	assert_false(store_peer_valid("1.2.3.4 x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_validators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
