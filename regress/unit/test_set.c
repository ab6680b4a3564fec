/*
 * Unit tests for common/setgram.c: the SET grammar (immp(7) SET, draft
 * 5.4, 8.9), value syntax, block list entries and their matching.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "setgram.h"

static char		 line[CMD_MAXLINE + 2];
static struct cmd	 cmds[CMD_MAXCMDS];
static struct set_args	 a;
static const char	*err;

/* Tokenizes text and parses its only command; returns set_parse_cmd. */
static int
parse(const char *text)
{
	size_t	 n, len = strlen(text);

	assert_true(len <= CMD_MAXLINE);
	memcpy(line, text, len);
	if (cmd_parse_line(line, len, cmds, CMD_MAXCMDS, &n, &err) == -1)
		return (-2);	/* refused by the tokenizer already */
	assert_int_equal(n, 1);
	err = NULL;
	return (set_parse_cmd(&cmds[0], &a, &err));
}

static void
bad(const char *text)
{
	int	 r = parse(text);

	if (r == 0)
		fail_msg("accepted: \"%s\"", text);
	if (r == -1)
		assert_non_null(err);
}

static void
test_show(void **state)
{
	assert_int_equal(parse("SET"), 0);
	assert_true(a.all && !a.global && a.op == SETOP_SHOW);
	assert_int_equal(parse("set global"), 0);
	assert_true(a.all && a.global);
	assert_int_equal(parse("SET compression"), 0);
	assert_int_equal(a.name, SET_COMPRESSION);
	assert_string_equal(a.text, "COMPRESSION");
	assert_null(a.value);
	assert_int_equal(parse("AS p SET GLOBAL Block"), 0);
	assert_true(a.global && a.name == SET_BLOCK && a.op == SETOP_SHOW);
	/* well-formed but unknown: name 0 (470, not 400) */
	assert_int_equal(parse("SET X_1=2"), 0);
	assert_int_equal(a.name, 0);
	assert_string_equal(a.text, "X_1");
	/* "GLOBAL" alone is the keyword; as a setting after GLOBAL too */
	assert_int_equal(parse("SET GLOBAL GLOBAL"), 0);
	assert_int_equal(a.name, 0);
}

static void
test_ops(void **state)
{
	assert_int_equal(parse("SET COMPRESSION=GZIP"), 0);
	assert_int_equal(a.op, SETOP_PUT);
	assert_string_equal(a.value, "GZIP");
	assert_int_equal(parse("SET GLOBAL BLOCK+=a.example"), 0);
	assert_int_equal(a.op, SETOP_ADD);
	assert_string_equal(a.value, "a.example");
	assert_int_equal(parse("SET GLOBAL BLOCK-=x@a.example"), 0);
	assert_int_equal(a.op, SETOP_DEL);
	assert_string_equal(a.value, "x@a.example");
	/* the value may hold "=" */
	assert_int_equal(parse("SET NOTIFY==x"), 0);
	assert_string_equal(a.value, "=x");
}

static void
test_hostile(void **state)
{
	char	 buf[CMD_MAXLINE];

	bad("SET COMPRESSION = GZIP");
	bad("SET COMPRESSION=");
	bad("SET BLOCK+=");
	bad("SET COMPRESSION*=GZIP");
	bad("SET =GZIP");
	bad("SET +=x");
	bad("SET -COMPRESSION");
	bad("SET +GZIP COMPRESSION");
	bad("SET \"COMPRESSION=GZIP\"");
	bad("SET GLOBAL \"NOTIFY\"");
	bad("SET A B");
	bad("SET GLOBAL A B");
	bad("SET BLOCK-x");
	bad("SET ÄRGER=1");
	bad("SET COMPRESSION=\x01");
	memset(buf, 0, sizeof(buf));
	(void)snprintf(buf, sizeof(buf), "SET %0*d", 33, 0);
	bad(buf);
	(void)snprintf(buf, sizeof(buf), "SET %0*d", 32, 0);
	assert_int_equal(parse(buf), 0);
	/* a value of 255 octets is fine, 256 is not */
	(void)snprintf(buf, sizeof(buf), "SET NOTIFY=%0*d", 255, 0);
	assert_int_equal(parse(buf), 0);
	(void)snprintf(buf, sizeof(buf), "SET NOTIFY=%0*d", 256, 0);
	bad(buf);
}

static void
test_values(void **state)
{
	assert_int_equal(set_value_parse(SET_COMPRESSION, "gzip"),
	    SET_COMP_GZIP);
	assert_int_equal(set_value_parse(SET_COMPRESSION, "NONE"),
	    SET_COMP_NONE);
	assert_int_equal(set_value_parse(SET_COMPRESSION, "BZIP2"), -1);
	assert_int_equal(set_value_parse(SET_COMPRESSION, "GZIP "), -1);
	assert_int_equal(set_value_parse(SET_COMPRESSION, "GZI"), -1);
	assert_int_equal(set_value_parse(SET_COMPRESSION, ""), -1);
	assert_int_equal(set_value_parse(SET_NOTIFY, "Important"),
	    SET_NOTIFY_IMPORTANT);
	assert_int_equal(set_value_parse(SET_BLOCK, "x"), -1);
	assert_int_equal(set_value_parse(0, "NONE"), -1);
	assert_string_equal(set_value_text(SET_NOTIFY, SET_NOTIFY_NONE),
	    "NONE");
	assert_string_equal(set_value_text(SET_NOTIFY, 3), "?");
	assert_string_equal(set_value_text(SET_NOTIFY, -1), "?");
	assert_string_equal(set_supported(SET_COMPRESSION), "NONE, GZIP");
}

static void
test_block_entries(void **state)
{
	char		 out[IPC_SET_VALUE_MAX], big[400];
	static const char *const bad_entries[] = {
		"", "@", "x@", "@x.example", "bad..example", "-x.example",
		"x.example.", "a+f@x.example", "h/a@x.example",
		"a@x.example/INBOX", "a@x.example?opt", "a b@x.example",
		"a@x.example#1", "imid:", "a@@x.example", "*.example",
		"x_y.example", "10.0.0.0/8", NULL
	};
	int	 i;

	assert_int_equal(set_block_entry("Spam.EXAMPLE", out, sizeof(out),
	    &err), 0);
	assert_string_equal(out, "spam.example");
	assert_int_equal(set_block_entry("imid:Bob@B.Example", out,
	    sizeof(out), &err), 0);
	assert_string_equal(out, "bob@b.example");
	assert_int_equal(set_block_entry("localhost", out, sizeof(out),
	    &err), 0);
	for (i = 0; bad_entries[i] != NULL; i++)
		if (set_block_entry(bad_entries[i], out, sizeof(out),
		    &err) != -1)
			fail_msg("accepted block entry \"%s\"", bad_entries[i]);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(set_block_entry(big, out, sizeof(out), &err), -1);
	/* too small an output buffer is refused, never overflowed */
	assert_int_equal(set_block_entry("a.example", out, 8, &err), -1);
}

static void
test_block_match(void **state)
{
	assert_true(set_block_match("b.example", "x@b.example"));
	assert_true(set_block_match("b.example", "x@sub.b.example"));
	assert_false(set_block_match("b.example", "x@notb.example"));
	assert_false(set_block_match("b.example", "x@b.example.org"));
	assert_false(set_block_match("sub.b.example", "x@b.example"));
	assert_true(set_block_match("x@b.example", "x@b.example"));
	assert_false(set_block_match("x@b.example", "y@b.example"));
	assert_false(set_block_match("x@b.example", "x@sub.b.example"));
	assert_false(set_block_match("", "x@b.example"));
	assert_false(set_block_match("b.example", ""));
	assert_true(set_block_match("example", "x@b.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_block_entries),
		cmocka_unit_test(test_block_match),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
