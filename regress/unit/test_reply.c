/*
 * Unit tests for common/reply.c: reply lines, both directions.
 */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reply.h"

static char	buf[REPLY_MAXLINE + 64];

static void
test_format(void **state)
{
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0, "OK."),
	    9);
	assert_string_equal(buf, "200 OK.\r\n");
	assert_int_equal(reply_format(buf, sizeof(buf), "beef", 100, 1,
	    "immpd IMMP/1.0 server at %s", "demo.test"), 46);
	assert_string_equal(buf,
	    "beef: 100-immpd IMMP/1.0 server at demo.test\r\n");
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 799, 0, "%s",
	    ""), 6);
	assert_string_equal(buf, "799 \r\n");
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 272, 0,
	    "%s Part saved (%d octets).", "caf\xc3\xa9\tx", 5), 36);
}

static void
test_format_bad_code(void **state)
{
	int	codes[] = { -1, 0, 99, 800, 999, 1000, 2000 };
	size_t	i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		errno = 0;
		strcpy(buf, "junk");
		assert_int_equal(reply_format(buf, sizeof(buf), NULL, codes[i],
		    0, "x"), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(buf, "");
	}
}

static void
test_format_bad_text(void **state)
{
	char	s[4];
	int	c;

	for (c = 0; c < 0x20; c++) {
		if (c == '\t')
			continue;
		errno = 0;
		assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0,
		    "a%cb", c), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(buf, "");
	}
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0, "\x7f"),
	    -1);
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0,
	    "a\r\n201 forged"), -1);
	assert_int_equal(errno, EINVAL);
	s[0] = '\xc3';
	s[1] = '\0';
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0, "%s", s),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0,
	    "\xed\xa0\x80"), -1);
}

static void
test_format_bad_id(void **state)
{
	char	id[40];

	assert_int_equal(reply_format(buf, sizeof(buf), "", 200, 0, "x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(reply_format(buf, sizeof(buf), "a b", 200, 0, "x"),
	    -1);
	assert_int_equal(reply_format(buf, sizeof(buf), "a:", 200, 0, "x"),
	    -1);
	assert_int_equal(reply_format(buf, sizeof(buf), "a\r\n", 200, 0, "x"),
	    -1);
	memset(id, 'i', 32);
	id[32] = '\0';
	assert_int_equal(reply_format(buf, sizeof(buf), id, 200, 0, "x"), 41);
	id[32] = 'i';
	id[33] = '\0';
	assert_int_equal(reply_format(buf, sizeof(buf), id, 200, 0, "x"), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_format_sizes(void **state)
{
	static char	text[REPLY_MAXLINE + 8];
	char		small[16];

	/* Exactly REPLY_MAXLINE with CRLF: "200 " + text + CRLF. */
	memset(text, 't', sizeof(text));
	text[REPLY_MAXLINE - 6] = '\0';
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0, "%s",
	    text), REPLY_MAXLINE);
	text[REPLY_MAXLINE - 6] = 't';
	text[REPLY_MAXLINE - 5] = '\0';
	errno = 0;
	assert_int_equal(reply_format(buf, sizeof(buf), NULL, 200, 0, "%s",
	    text), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_string_equal(buf, "");

	/* Small buffers: "200 OK.\r\n" needs 10 octets with the NUL. */
	assert_int_equal(reply_format(small, 10, NULL, 200, 0, "OK."), 9);
	assert_string_equal(small, "200 OK.\r\n");
	errno = 0;
	assert_int_equal(reply_format(small, 9, NULL, 200, 0, "OK."), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_string_equal(small, "");
	assert_int_equal(reply_format(small, 5, NULL, 200, 0, "OK."), -1);
	assert_int_equal(reply_format(small, 1, NULL, 200, 0, "OK."), -1);
	assert_int_equal(small[0], '\0');
	assert_int_equal(reply_format(small, 0, NULL, 200, 0, "OK."), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(reply_format(small, 6, "abcdef", 200, 0, "%s", ""),
	    -1);
}

static int
rp(const char *s, const char **id, size_t *idlen, int *code, int *more,
    const char **text)
{
	return (reply_parse(s, strlen(s), id, idlen, code, more, text));
}

static void
test_parse(void **state)
{
	const char	*id, *text;
	size_t		 idlen;
	int		 code, more;

	assert_int_equal(rp("200 OK.", &id, &idlen, &code, &more, &text), 0);
	assert_null(id);
	assert_int_equal(idlen, 0);
	assert_int_equal(code, 200);
	assert_int_equal(more, 0);
	assert_string_equal(text, "OK.");

	assert_int_equal(rp("beef: 100-immpd IMMP/1.0", &id, &idlen, &code,
	    &more, &text), 0);
	assert_int_equal(idlen, 4);
	assert_memory_equal(id, "beef", 4);
	assert_int_equal(code, 100);
	assert_int_equal(more, 1);
	assert_string_equal(text, "immpd IMMP/1.0");

	/* Draft style "100- text": the space belongs to the text. */
	assert_int_equal(rp("100- IMMP/1.0 Server", &id, &idlen, &code, &more,
	    &text), 0);
	assert_int_equal(more, 1);
	assert_string_equal(text, " IMMP/1.0 Server");

	/* Empty text, numeric pipeline id. */
	assert_int_equal(rp("201 ", &id, &idlen, &code, &more, &text), 0);
	assert_string_equal(text, "");
	assert_int_equal(rp("200: 200 OK", &id, &idlen, &code, &more, &text),
	    0);
	assert_int_equal(idlen, 3);
	assert_int_equal(code, 200);

	/* Round trip. */
	assert_true(reply_format(buf, sizeof(buf), "a_b-9", 273, 0,
	    "%s Message accepted for delivery.", "x") > 0);
	buf[strlen(buf) - 2] = '\0';
	assert_int_equal(rp(buf, &id, &idlen, &code, &more, &text), 0);
	assert_int_equal(idlen, 5);
	assert_int_equal(code, 273);
	assert_string_equal(text, "x Message accepted for delivery.");
}

static void
test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "2", "20", "200", "2000 x", "200x", "200:x", "099 x",
		"800 x", "900 x", "abc", "OK 200", " 200 x", "20a x",
		"id 200 x", "id:200 x", "id:  200 x", ": 200 x",
		"a b: 200 x", "beef: 200", "beef: ", "beef:",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 200 x",	/* 33 */
		"200 a\rb", "200 a\nb", "200 a\x7f", "200 \x1b[2J",
		"200 \xc0\xaf", "200 \xed\xa0\x80", "200 \xff",
	};
	const char	*id, *text;
	size_t		 idlen, i;
	int		 code, more;
	static char	 longline[REPLY_MAXLINE + 1];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rp(bad[i], &id, &idlen, &code, &more, &text) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
	assert_int_equal(reply_parse("200 a\0b", 7, &id, &idlen, &code, &more,
	    &text), -1);
	assert_null(text);

	/* Length: REPLY_MAXLINE - 2 fine, one more refused. */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "200 ", 4);
	assert_int_equal(reply_parse(longline, REPLY_MAXLINE - 2, &id, &idlen,
	    &code, &more, &text), 0);
	assert_int_equal(reply_parse(longline, REPLY_MAXLINE - 1, &id, &idlen,
	    &code, &more, &text), -1);

	/* Only len octets are looked at. */
	assert_int_equal(reply_parse("200 OK\r\n", 6, &id, &idlen, &code,
	    &more, &text), 0);
	assert_int_equal(reply_parse("200", 3, &id, &idlen, &code, &more,
	    &text), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_bad_code),
		cmocka_unit_test(test_format_bad_text),
		cmocka_unit_test(test_format_bad_id),
		cmocka_unit_test(test_format_sizes),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
