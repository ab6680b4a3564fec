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
 * The text form of tables for "immpctl makemap" (immpctl/makemap.h):
 * accepted files, per-type checks, and hostile input, each error named
 * with its file and line.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../immpctl/makemap.h"

struct result {
	char	keys[64][300];
	char	values[64][300];
	int	n;
	char	errors[8][600];
	int	nerr;
	int	put_fail_at;	/* put fails on this record, from 1 */
};

static int
put(const char *key, const char *value, void *arg)
{
	struct result	*r = arg;

	if (r->put_fail_at != 0 && r->n + 1 == r->put_fail_at)
		return -1;
	if (r->n < 64) {
		snprintf(r->keys[r->n], sizeof(r->keys[0]), "%s", key);
		snprintf(r->values[r->n], sizeof(r->values[0]), "%s", value);
	}
	r->n++;
	return 0;
}

static void
report(const char *msg, void *arg)
{
	struct result	*r = arg;

	if (r->nerr < 8)
		snprintf(r->errors[r->nerr], sizeof(r->errors[0]), "%s", msg);
	r->nerr++;
}

static long
parse(const char *text, size_t len, enum map_type t, struct result *r)
{
	FILE	*fp;
	long	 n;

	memset(r, 0, sizeof(*r));
	fp = fmemopen((void *)text, len, "r");
	assert_non_null(fp);
	n = makemap_parse(fp, "t.txt", t, put, report, r);
	fclose(fp);
	return n;
}

#define PARSE(s, t, r)	parse((s), sizeof(s) - 1, (t), (r))

static void
test_types(void **state)
{
	enum map_type	t;

	assert_int_equal(map_type_parse("plain", &t), 0);
	assert_int_equal(t, MAP_PLAIN);
	assert_int_equal(map_type_parse("block", &t), 0);
	assert_int_equal(t, MAP_BLOCK);
	assert_int_equal(map_type_parse("routes", &t), 0);
	assert_int_equal(map_type_parse("Users", &t), -1);
	assert_int_equal(map_type_parse("", &t), -1);
}

static void
test_plain(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("# comment\n\nalpha one\nbeta\t two words\n"
	    "   # indented comment\ngamma x", MAP_PLAIN, &r), 3);
	assert_int_equal(r.nerr, 0);
	assert_string_equal(r.keys[0], "alpha");
	assert_string_equal(r.values[0], "one");
	assert_string_equal(r.keys[1], "beta");
	assert_string_equal(r.values[1], "two words");
	assert_string_equal(r.keys[2], "gamma");
	assert_string_equal(r.values[2], "x");
	assert_int_equal(PARSE("", MAP_PLAIN, &r), 0);
}

static void
test_duplicate(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("a 1\nb 2\n# c\na 3\n", MAP_PLAIN, &r), -1);
	assert_int_equal(r.nerr, 1);
	assert_string_equal(r.errors[0],
	    "t.txt:4: duplicate key, first on line 1");
}

static void
test_hostile(void **state)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*error;
	} cases[] = {
		{ "a 1\r\n", 5, "t.txt:1: carriage return" },
		{ "a\0b 1\n", 6, "t.txt:1: control character" },
		{ "a 1\x7f\n", 5, "t.txt:1: control character" },
		{ " a 1\n", 5, "t.txt:1: key does not start the line" },
		{ "a 1 \n", 5, "t.txt:1: blank at the end of the line" },
		{ "ok 1\na\n", 7, "t.txt:2: missing value" },
		{ "a\t\n", 3, "t.txt:1: missing value" },
	};
	struct result	r;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].text, cases[i].len, MAP_PLAIN,
		    &r), -1);
		assert_int_equal(r.nerr, 1);
		assert_string_equal(r.errors[0], cases[i].error);
	}
}

static void
test_long(void **state)
{
	struct result	 r;
	char		*buf;
	size_t		 len = MAKEMAP_LINE_MAX + 10;

	buf = malloc(len + 1);
	assert_non_null(buf);
	memset(buf, 'k', len);
	buf[len] = '\n';
	assert_int_equal(parse(buf, len + 1, MAP_PLAIN, &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: line too long");
	/* a key of 256 octets */
	memset(buf, 'k', 256);
	memcpy(buf + 256, " v\n", 3);
	assert_int_equal(parse(buf, 259, MAP_PLAIN, &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: key too long");
	free(buf);
}

static void
test_every_error_reported(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("a\nb\nc 1\nd\n", MAP_PLAIN, &r), -1);
	assert_int_equal(r.nerr, 3);
	assert_string_equal(r.errors[0], "t.txt:1: missing value");
	assert_string_equal(r.errors[2], "t.txt:4: missing value");
	/* put is not called once an error was seen */
	assert_int_equal(r.n, 0);
}

static void
test_users(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("alice@demo.test $immp-scram-sha256$x\n",
	    MAP_USERS, &r), 1);
	assert_int_equal(PARSE("alice@Demo.test $immp-scram-sha256$x\n",
	    MAP_USERS, &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: domain must be lower case");
	assert_int_equal(PARSE("alice@demo.test secret\n", MAP_USERS, &r),
	    -1);
	assert_string_equal(r.errors[0], "t.txt:1: value is not a verifier");
	assert_int_equal(PARSE("alice+f@demo.test $immp-scram-sha256$x\n",
	    MAP_USERS, &r), -1);
	assert_int_equal(PARSE("alice $immp-scram-sha256$x\n", MAP_USERS,
	    &r), -1);
}

static void
test_aliases_links(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("postmaster alice@demo.test\n"
	    "abuse@demo.test alice@demo.test, bob@demo.test\n"
	    "team alice@demo.test,bob@other.test\n", MAP_ALIASES, &r), 3);
	assert_int_equal(PARSE("x alice@demo.test,,bob@demo.test\n",
	    MAP_ALIASES, &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: bad account list");
	assert_int_equal(PARSE("x alice\n", MAP_ALIASES, &r), -1);
	assert_int_equal(PARSE("helpdesk@demo.test alice@demo.test\n",
	    MAP_LINKS, &r), 1);
	assert_int_equal(PARSE("helpdesk/alice@demo.test alice@demo.test\n",
	    MAP_LINKS, &r), -1);
}

static void
test_routes_block(void **state)
{
	struct result	r;

	assert_int_equal(PARSE("other.test mx.other.test:1025\n"
	    "third.test 127.0.0.1\n", MAP_ROUTES, &r), 2);
	assert_int_equal(PARSE("other.test mx.other.test:0\n", MAP_ROUTES,
	    &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: bad port");
	assert_int_equal(PARSE("other.test mx.other.test:65536\n",
	    MAP_ROUTES, &r), -1);
	assert_int_equal(PARSE("-bad.test host\n", MAP_ROUTES, &r), -1);
	assert_string_equal(r.errors[0], "t.txt:1: invalid domain");
	assert_int_equal(PARSE("spam.test\nbad@evil.test too many ads\n",
	    MAP_BLOCK, &r), 2);
	assert_string_equal(r.values[0], "");
	assert_string_equal(r.values[1], "too many ads");
	assert_int_equal(PARSE("Spam.test\n", MAP_BLOCK, &r), -1);
}

static void
test_put_failure(void **state)
{
	struct result	r;
	FILE		*fp;
	static const char text[] = "a 1\nb 2\nc 3\n";

	memset(&r, 0, sizeof(r));
	r.put_fail_at = 2;
	fp = fmemopen((void *)text, sizeof(text) - 1, "r");
	assert_non_null(fp);
	assert_int_equal(makemap_parse(fp, "t.txt", MAP_PLAIN, put, report,
	    &r), -1);
	fclose(fp);
	assert_int_equal(r.n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_aliases_links),
		cmocka_unit_test(test_routes_block),
		cmocka_unit_test(test_put_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
