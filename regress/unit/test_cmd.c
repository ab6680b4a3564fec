/*
 * Unit tests for common/cmd.c: the command tokenizer and utf8_valid.
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

#define NCMDS	CMD_MAXCMDS

static char		 buf[CMD_MAXLINE + 2];
static struct cmd	 cmds[NCMDS];
static size_t		 ncmds;
static const char	*err;

/* Parses s[0..len) from a private copy; returns cmd_parse_line's value. */
static int
parse_n(const char *s, size_t len)
{
	assert_true(len <= CMD_MAXLINE + 1);
	memcpy(buf, s, len);
	buf[len] = 'X';		/* must be overwritten, never read */
	err = NULL;
	return (cmd_parse_line(buf, len, cmds, NCMDS, &ncmds, &err));
}

static int
parse(const char *s)
{
	return (parse_n(s, strlen(s)));
}

static void
expect_err(const char *s, size_t len, const char *reason)
{
	assert_int_equal(parse_n(s, len), -1);
	assert_int_equal(ncmds, 0);
	assert_non_null(err);
	assert_string_equal(err, reason);
}

static void
expect_err_s(const char *s, const char *reason)
{
	expect_err(s, strlen(s), reason);
}

static void
test_simple(void **state)
{
	assert_int_equal(parse("NOOP"), 0);
	assert_int_equal(ncmds, 1);
	assert_null(cmds[0].id);
	assert_int_equal(cmds[0].nwords, 1);
	assert_string_equal(cmds[0].word[0], "NOOP");
	assert_int_equal(cmds[0].quoted[0], 0);
	assert_int_equal(cmds[0].nswitch, 0);
	assert_true(cmd_kw(&cmds[0], 0, "noop"));
	assert_true(cmd_kw(&cmds[0], 0, "NoOp"));
	assert_false(cmd_kw(&cmds[0], 1, "noop"));
	assert_false(cmd_kw(&cmds[0], -1, "noop"));
	assert_false(cmd_kw(&cmds[0], 0, "noo"));
	assert_false(cmd_kw(&cmds[0], 0, "noopx"));
}

static void
test_blank(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(ncmds, 0);
	assert_int_equal(parse("   "), 0);
	assert_int_equal(ncmds, 0);
	assert_int_equal(parse("\t \t"), 0);
	assert_int_equal(ncmds, 0);
}

static void
test_words_and_switches(void **state)
{
	assert_int_equal(parse("AS beef MBOX FETCH "
	    "/inbox#9507ce26-d34e-41cb-9f14-4eeff943e25e +JSON -READ"), 0);
	assert_int_equal(ncmds, 1);
	assert_string_equal(cmds[0].id, "beef");
	assert_int_equal(cmds[0].nwords, 3);
	assert_string_equal(cmds[0].word[0], "MBOX");
	assert_string_equal(cmds[0].word[1], "FETCH");
	assert_string_equal(cmds[0].word[2],
	    "/inbox#9507ce26-d34e-41cb-9f14-4eeff943e25e");
	assert_int_equal(cmds[0].nswitch, 2);
	assert_string_equal(cmds[0].swname[0], "JSON");
	assert_int_equal(cmds[0].swon[0], 1);
	assert_string_equal(cmds[0].swname[1], "READ");
	assert_int_equal(cmds[0].swon[1], 0);
	assert_int_equal(cmd_switch(&cmds[0], "json"), 1);
	assert_int_equal(cmd_switch(&cmds[0], "read"), 0);
	assert_int_equal(cmd_switch(&cmds[0], "pretty"), -1);

	/* Not switches: a sign alone, a digit after the sign, punctuation. */
	assert_int_equal(parse("X - + -5 +a.b +-x ++a"), 0);
	assert_int_equal(cmds[0].nswitch, 0);
	assert_int_equal(cmds[0].nwords, 7);
	assert_string_equal(cmds[0].word[3], "-5");
	assert_string_equal(cmds[0].word[4], "+a.b");

	/* Switch-shaped words with digits, "-" and "_" after the letter. */
	assert_int_equal(parse("X +a1-b_c -Z"), 0);
	assert_int_equal(cmds[0].nswitch, 2);
	assert_string_equal(cmds[0].swname[0], "a1-b_c");

	/* The first word is never a switch. */
	assert_int_equal(parse("+JSON NOOP"), 0);
	assert_int_equal(cmds[0].nwords, 2);
	assert_int_equal(cmds[0].nswitch, 0);
	assert_string_equal(cmds[0].word[0], "+JSON");
	assert_int_equal(parse("AS a -x +y"), 0);
	assert_string_equal(cmds[0].word[0], "-x");
	assert_int_equal(cmds[0].nswitch, 1);
}

static void
test_separators(void **state)
{
	assert_int_equal(parse("  DELIVER\t\tTO   a@b.c  \t"), 0);
	assert_int_equal(ncmds, 1);
	assert_int_equal(cmds[0].nwords, 3);
	assert_string_equal(cmds[0].word[2], "a@b.c");

	assert_int_equal(parse("NOOP;QUIT"), 0);
	assert_int_equal(ncmds, 2);
	assert_string_equal(cmds[0].word[0], "NOOP");
	assert_string_equal(cmds[1].word[0], "QUIT");

	assert_int_equal(parse("NOOP ; AS x NOOP ;\tQUIT "), 0);
	assert_int_equal(ncmds, 3);
	assert_null(cmds[0].id);
	assert_string_equal(cmds[1].id, "x");
	assert_null(cmds[2].id);
	assert_string_equal(cmds[2].word[0], "QUIT");
}

static void
test_quoted(void **state)
{
	assert_int_equal(parse(
	    "AUTH SECRET a@b.c \"my laptop; \\\"x\\\" \\\\\""), 0);
	assert_int_equal(ncmds, 1);
	assert_int_equal(cmds[0].nwords, 4);
	assert_string_equal(cmds[0].word[3], "my laptop; \"x\" \\");
	assert_int_equal(cmds[0].quoted[3], 1);
	assert_int_equal(cmds[0].quoted[2], 0);

	/* Empty quoted word. */
	assert_int_equal(parse("X \"\" Y"), 0);
	assert_int_equal(cmds[0].nwords, 3);
	assert_string_equal(cmds[0].word[1], "");
	assert_string_equal(cmds[0].word[2], "Y");

	/* Switch-looking quoted words stay words. */
	assert_int_equal(parse("X \"+JSON\" \"-READ\""), 0);
	assert_int_equal(cmds[0].nswitch, 0);
	assert_int_equal(cmds[0].nwords, 3);
	assert_string_equal(cmds[0].word[1], "+JSON");
	assert_int_equal(cmd_switch(&cmds[0], "JSON"), -1);

	/* A quoted ";" does not split. */
	assert_int_equal(parse("X \";\";Y"), 0);
	assert_int_equal(ncmds, 2);
	assert_string_equal(cmds[0].word[1], ";");
	assert_string_equal(cmds[1].word[0], "Y");

	/* Quoted "AS" is a command word, not a pipeline. */
	assert_int_equal(parse("\"AS\" x NOOP"), 0);
	assert_null(cmds[0].id);
	assert_string_equal(cmds[0].word[0], "AS");
	assert_int_equal(cmds[0].nwords, 3);

	/* Quoted word at the very end of the line. */
	assert_int_equal(parse("X \"a b\""), 0);
	assert_string_equal(cmds[0].word[1], "a b");

	/* UTF-8 and HTAB inside quotes; a backslash outside is literal. */
	assert_int_equal(parse("X \"caf\xc3\xa9\tx\" a\\b"), 0);
	assert_string_equal(cmds[0].word[1], "caf\xc3\xa9\tx");
	assert_string_equal(cmds[0].word[2], "a\\b");
}

static void
test_quote_errors(void **state)
{
	expect_err_s("X \"abc", "unterminated quote");
	expect_err_s("X \"", "unterminated quote");
	expect_err_s("X \"abc\\\"", "unterminated quote");
	expect_err_s("X \"abc\\", "unterminated quote");
	expect_err_s("X \"a\\nb\"", "bad escape");
	expect_err_s("X \"a\\ b\"", "bad escape");
	expect_err_s("X \"abc\"def", "misplaced quote");
	expect_err_s("X ab\"cd\"", "misplaced quote");
	expect_err_s("X \"a\"\"b\"", "misplaced quote");
	expect_err_s("X a\"", "misplaced quote");
}

static void
test_pipeline(void **state)
{
	char	line[64];

	assert_int_equal(parse("as a-b_C9 NOOP"), 0);
	assert_string_equal(cmds[0].id, "a-b_C9");
	assert_int_equal(cmds[0].nwords, 1);

	/* 32 characters: fine; 33: refused. */
	memset(line, 0, sizeof(line));
	memcpy(line, "AS ", 3);
	memset(line + 3, 'a', 32);
	memcpy(line + 35, " NOOP", 5);
	assert_int_equal(parse(line), 0);
	assert_int_equal(strlen(cmds[0].id), 32);
	memset(line, 0, sizeof(line));
	memcpy(line, "AS ", 3);
	memset(line + 3, 'a', 33);
	memcpy(line + 36, " NOOP", 5);
	expect_err_s(line, "bad pipeline id");

	expect_err_s("AS", "bad pipeline id");
	expect_err_s("AS   ", "bad pipeline id");
	expect_err_s("AS;NOOP", "bad pipeline id");
	expect_err_s("NOOP; AS", "bad pipeline id");
	expect_err_s("AS a.b NOOP", "bad pipeline id");
	expect_err_s("AS a:b NOOP", "bad pipeline id");
	expect_err_s("AS \"ab\" NOOP", "bad pipeline id");
	expect_err_s("AS \xc3\xa9 NOOP", "bad pipeline id");
	expect_err_s("AS +x NOOP", "bad pipeline id");
	expect_err_s("AS id", "empty command");
	expect_err_s("AS id ;NOOP", "empty command");

	/* A second AS is just a word. */
	assert_int_equal(parse("AS a AS b NOOP"), 0);
	assert_string_equal(cmds[0].id, "a");
	assert_string_equal(cmds[0].word[0], "AS");
	assert_int_equal(cmds[0].nwords, 3);
}

static void
test_empty_commands(void **state)
{
	expect_err_s(";", "empty command");
	expect_err_s(";;", "empty command");
	expect_err_s("NOOP;;QUIT", "empty command");
	expect_err_s("NOOP ; ; QUIT", "empty command");
	expect_err_s("NOOP;", "empty command");
	expect_err_s("NOOP ;  ", "empty command");
	expect_err_s(";NOOP", "empty command");
	expect_err_s("  ;NOOP", "empty command");
}

static void
test_limits(void **state)
{
	char	line[512];
	size_t	i, n;

	/* 32 words fine, 33 too many. */
	n = 0;
	for (i = 0; i < CMD_MAXWORDS; i++)
		n += snprintf(line + n, sizeof(line) - n, "w%zu ", i);
	assert_int_equal(parse(line), 0);
	assert_int_equal(cmds[0].nwords, CMD_MAXWORDS);
	assert_string_equal(cmds[0].word[31], "w31");
	(void)snprintf(line + n, sizeof(line) - n, "w32");
	expect_err_s(line, "too many words");

	/* Switches do not count as words; 16 fine, 17 too many. */
	n = snprintf(line, sizeof(line), "X");
	for (i = 0; i < CMD_MAXSWITCH; i++)
		n += snprintf(line + n, sizeof(line) - n, " +s%c",
		    (int)('a' + i));
	assert_int_equal(parse(line), 0);
	assert_int_equal(cmds[0].nswitch, CMD_MAXSWITCH);
	(void)snprintf(line + n, sizeof(line) - n, " -zz");
	expect_err_s(line, "too many switches");

	/* Commands: at most maxcmds. */
	n = 0;
	for (i = 0; i < NCMDS; i++)
		n += snprintf(line + n, sizeof(line) - n, "%sN%zu",
		    i ? ";" : "", i);
	assert_int_equal(parse(line), 0);
	assert_int_equal(ncmds, NCMDS);
	(void)snprintf(line + n, sizeof(line) - n, ";X");
	expect_err_s(line, "too many commands");

	/* A smaller caller limit. */
	memcpy(buf, "A;B;C", 6);
	assert_int_equal(cmd_parse_line(buf, 5, cmds, 2, &ncmds, &err), -1);
	assert_string_equal(err, "too many commands");
	assert_int_equal(ncmds, 0);
	memcpy(buf, "A", 2);
	assert_int_equal(cmd_parse_line(buf, 1, cmds, 0, &ncmds, &err), -1);
	assert_string_equal(err, "too many commands");
}

static void
test_overlong(void **state)
{
	static char	line[CMD_MAXLINE + 2];

	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	assert_int_equal(parse_n(line, CMD_MAXLINE), 0);
	assert_int_equal(ncmds, 1);
	assert_int_equal(strlen(cmds[0].word[1]), CMD_MAXLINE - 5);
	expect_err(line, CMD_MAXLINE + 1, "line too long");

	/* A quoted word filling the whole line. */
	memset(line, 'b', sizeof(line));
	line[0] = '"';
	line[CMD_MAXLINE - 1] = '"';
	assert_int_equal(parse_n(line, CMD_MAXLINE), 0);
	assert_int_equal(strlen(cmds[0].word[0]), CMD_MAXLINE - 2);
}

static void
test_controls(void **state)
{
	char	line[16];
	int	c;

	for (c = 0; c < 0x20; c++) {
		if (c == '\t')
			continue;
		memcpy(line, "NO\0OP", 6);
		line[2] = c;
		expect_err(line, 5, "control character");
		/* Inside quotes too. */
		memcpy(line, "X \"a\0b\"", 8);
		line[4] = c;
		expect_err(line, 7, "control character");
	}
	expect_err("NO\x7fOP", 5, "control character");
	expect_err("X \"\x7f\"", 5, "control character");
	/* C1 controls U+0080..U+009F. */
	expect_err("X \xc2\x80", 4, "control character");
	expect_err("X \xc2\x9b", 4, "control character");
	expect_err("X \"\xc2\x9f\"", 6, "control character");
	assert_int_equal(parse("X \xc2\xa0"), 0);
	/* NUL at the start, end, middle; CR LF inside. */
	expect_err("\0NOOP", 5, "control character");
	expect_err("NOOP\0", 5, "control character");
	expect_err("NOOP\r\nQUIT", 10, "control character");
	expect_err("NOOP\r", 5, "control character");
	expect_err("\n", 1, "control character");
}

static void
test_invalid_utf8(void **state)
{
	static const struct {
		const char	*s;
		size_t		 len;
	} bad[] = {
		{ "X \x80", 3 },			/* lone continuation */
		{ "X \xbf", 3 },
		{ "X \xc0\xaf", 4 },			/* overlong "/" */
		{ "X \xc1\xbf", 4 },			/* overlong */
		{ "X \xe0\x80\xaf", 5 },		/* overlong 3 */
		{ "X \xe0\x9f\xbf", 5 },		/* overlong 3 */
		{ "X \xf0\x80\x80\xaf", 6 },		/* overlong 4 */
		{ "X \xf0\x8f\xbf\xbf", 6 },		/* overlong 4 */
		{ "X \xed\xa0\x80", 5 },		/* U+D800 */
		{ "X \xed\xbf\xbf", 5 },		/* U+DFFF */
		{ "X \xf4\x90\x80\x80", 6 },		/* U+110000 */
		{ "X \xf5\x80\x80\x80", 6 },
		{ "X \xf8\x88\x80\x80\x80", 7 },	/* 5 octets */
		{ "X \xfc\x84\x80\x80\x80\x80", 8 },	/* 6 octets */
		{ "X \xfe", 3 },
		{ "X \xff", 3 },
		{ "X \xc3", 3 },			/* truncated */
		{ "X \xe2\x82", 4 },
		{ "X \xf0\x9f\x98", 5 },
		{ "X \xc3\x28", 4 },			/* bad tail */
		{ "X \xe2\x28\xa1", 5 },
		{ "X \xe2\x82\x28", 5 },
		{ "X \xf0\x9f\x28\x80", 6 },
		{ "X \"\xc3\"", 5 },
		{ "\xc3 X", 4 },
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_err(bad[i].s, bad[i].len, "invalid UTF-8");
		assert_int_equal(utf8_valid(bad[i].s, bad[i].len), 0);
	}
	/* Truncation at the given length, not at the NUL. */
	assert_int_equal(utf8_valid("\xc3\xa9", 1), 0);
	assert_int_equal(utf8_valid("\xc3\xa9", 2), 1);
}

static void
test_valid_utf8(void **state)
{
	static const char *const good[] = {
		"\x7f",
		"\xc2\x80", "\xdf\xbf",
		"\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
		"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	};
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(utf8_valid(good[i], strlen(good[i])), 1);
	assert_int_equal(utf8_valid("", 0), 1);
	assert_int_equal(utf8_valid("a\0b", 3), 1);

	assert_int_equal(parse(
	    "DELIVER TO \xe2\x82\xac@x \"\xf0\x9f\x98\x80\""), 0);
	assert_string_equal(cmds[0].word[2], "\xe2\x82\xac@x");
	assert_string_equal(cmds[0].word[3], "\xf0\x9f\x98\x80");
}

static void
test_check_switches(void **state)
{
	static const char *const allowed[] = { "IMPORTANT", "MULTIPART",
	    "SECURE", NULL };
	static const char *const none[] = { NULL };

	assert_int_equal(parse("DELIVER TO a@b.c +important -MULTIPART"), 0);
	assert_int_equal(cmd_check_switches(&cmds[0], allowed, &err), 0);
	assert_int_equal(cmd_check_switches(&cmds[0], none, &err), -1);
	assert_string_equal(err, "unknown switch");

	assert_int_equal(parse("DELIVER TO a@b.c +IMPORTANT -important"), 0);
	assert_int_equal(cmd_check_switches(&cmds[0], allowed, &err), -1);
	assert_string_equal(err, "duplicate switch");
	/* cmd_switch: the first occurrence. */
	assert_int_equal(cmd_switch(&cmds[0], "Important"), 1);

	assert_int_equal(parse("DELIVER TO a@b.c +JSON"), 0);
	assert_int_equal(cmd_check_switches(&cmds[0], allowed, &err), -1);
	assert_string_equal(err, "unknown switch");

	assert_int_equal(parse("NOOP"), 0);
	assert_int_equal(cmd_check_switches(&cmds[0], none, &err), 0);
}

/* Every single octet after a word, alone or in quotes: no crash. */
static void
test_every_octet(void **state)
{
	char	line[8];
	int	c, rv;

	for (c = 0; c < 256; c++) {
		memcpy(line, "X a", 3);
		line[3] = c;
		rv = parse_n(line, 4);
		if (c == '\t' || c == ' ' || (c >= 0x21 && c < 0x7f &&
		    c != '"' && c != ';')) {
			assert_int_equal(rv, 0);
		} else
			assert_int_equal(rv, -1);
		memcpy(line, "X \"a", 4);
		line[4] = c;
		line[5] = '"';
		rv = parse_n(line, 6);
		if (c == '\t' || (c >= 0x20 && c < 0x7f && c != '"' &&
		    c != '\\'))
			assert_int_equal(rv, 0);
		else
			assert_int_equal(rv, -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_words_and_switches),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_quote_errors),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_empty_commands),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_check_switches),
		cmocka_unit_test(test_every_octet),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
