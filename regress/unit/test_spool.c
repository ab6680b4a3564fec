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


/* Unit tests for common/spool.c (the spool file, spool.h). */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

static int
tmpfd(void)
{
	char	path[] = "/tmp/test_spool.XXXXXX";
	int	fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

/* A spool file holding exactly the octets s[0..len). */
static int
rawfd(const char *s, size_t len)
{
	int	fd = tmpfd();

	assert_int_equal(write(fd, s, len), (ssize_t)len);
	return fd;
}

static int
index_of(const char *s, size_t len, struct spool_part *parts, int *n)
{
	int	fd = rawfd(s, len), r;

	r = spool_read_index(fd, parts, SPOOL_MAX_PARTS, n);
	close(fd);
	return r;
}

static void
expect_bad(const char *s, size_t len)
{
	struct spool_part	parts[SPOOL_MAX_PARTS];
	int			n = -1;

	errno = 0;
	assert_int_equal(index_of(s, len, parts, &n), -1);
	assert_int_equal(errno, EBADMSG);
}

#define BAD(s)	expect_bad((s), sizeof(s) - 1)

static void
test_roundtrip(void **state)
{
	struct spool_writer	w;
	struct spool_part	parts[4];
	char			buf[64];
	int			fd = tmpfd(), n;

	assert_int_equal(spool_w_init(&w, fd), 0);
	assert_int_equal(spool_w_begin(&w, "text/plain", "body", 1), 0);
	assert_int_equal(spool_w_data(&w, "hello ", 6), 0);
	assert_int_equal(spool_w_data(&w, "world\n", 6), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_begin(&w, "application/pdf",
	    "r\xc3\xa9sum\xc3\xa9 1.pdf", 0), 0);
	assert_int_equal(spool_w_data(&w, "\0\n\r", 3), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_begin(&w, "application/octet-stream", "",
	    0), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_finish(&w), 0);

	assert_int_equal(spool_read_index(fd, parts, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[0].type, "text/plain");
	assert_string_equal(parts[0].name, "body");
	assert_int_equal(parts[0].content, 1);
	assert_int_equal(parts[0].length, 12);
	assert_int_equal(pread(fd, buf, 12, parts[0].offset), 12);
	assert_memory_equal(buf, "hello world\n", 12);
	assert_string_equal(parts[1].name, "r\xc3\xa9sum\xc3\xa9 1.pdf");
	assert_int_equal(parts[1].content, 0);
	assert_int_equal(parts[1].length, 3);
	assert_int_equal(pread(fd, buf, 3, parts[1].offset), 3);
	assert_memory_equal(buf, "\0\n\r", 3);
	assert_string_equal(parts[2].name, "");
	assert_int_equal(parts[2].length, 0);

	/* maxparts is honoured. */
	assert_int_equal(spool_read_index(fd, parts, 2, &n), -1);
	assert_int_equal(errno, EBADMSG);
	close(fd);
}

static void
test_exact_format(void **state)
{
	struct spool_writer	w;
	char			buf[256];
	const char		*want = "IMMP-SPOOL 1\n"
	    "P 00000000000000000002 1 text/plain 1 a\nhi\nE\n";
	int			fd = tmpfd();
	ssize_t			n;

	assert_int_equal(spool_w_init(&w, fd), 0);
	assert_int_equal(spool_w_begin(&w, "text/plain", "a", 1), 0);
	assert_int_equal(spool_w_data(&w, "hi", 2), 0);
	assert_int_equal(spool_w_end(&w), 0);
	assert_int_equal(spool_w_finish(&w), 0);
	n = pread(fd, buf, sizeof(buf), 0);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, n);
	close(fd);
}

static void
test_writer_refuses(void **state)
{
	struct spool_writer	w;
	char			longname[SPOOL_NAME_MAX + 1];
	int			fd = tmpfd(), i;

	assert_int_equal(spool_w_init(&w, fd), 0);
	assert_int_equal(spool_w_data(&w, "x", 1), -1);	/* no part */
	assert_int_equal(spool_w_end(&w), -1);
	assert_int_equal(spool_w_begin(&w, "text", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "/plain", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/pl ain", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/plain;x=y", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "a/b/c", "a", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/plain", "a\nb", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/plain", "a\rb", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/plain", "\xc0\xaf", 0), -1);
	assert_int_equal(spool_w_begin(&w, "text/plain", "\xed\xa0\x80", 0),
	    -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(spool_w_begin(&w, "text/plain", longname, 0), -1);
	longname[SPOOL_NAME_MAX - 1] = '\0';
	assert_int_equal(spool_w_begin(&w, "text/plain", longname, 0), 0);
	assert_int_equal(spool_w_begin(&w, "text/plain", "x", 0), -1);
	assert_int_equal(spool_w_finish(&w), -1);	/* part open */
	assert_int_equal(spool_w_end(&w), 0);
	for (i = 1; i < SPOOL_MAX_PARTS; i++) {
		assert_int_equal(spool_w_begin(&w, "a/b", "", 0), 0);
		assert_int_equal(spool_w_end(&w), 0);
	}
	assert_int_equal(spool_w_begin(&w, "a/b", "", 0), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(spool_w_finish(&w), 0);
	close(fd);
}

static void
test_hostile(void **state)
{
	struct spool_part	parts[SPOOL_MAX_PARTS];
	int			n;

	/* The minimal valid file: no parts. */
	assert_int_equal(index_of("IMMP-SPOOL 1\nE\n", 15, parts, &n), 0);
	assert_int_equal(n, 0);

	BAD("");
	BAD("IMMP-SPOOL 1\n");			/* no end marker */
	BAD("IMMP-SPOOL 2\nE\n");
	BAD("IMMP-SPOOL 1\r\nE\n");
	BAD("IMMP-SPOOL 1\nE\r\n");
	BAD("IMMP-SPOOL 1\nE\nx");		/* trailing octets */
	BAD("IMMP-SPOOL 1\nE\nE\n");
	BAD("IMMP-SPOOL 1\nX\n");
	/* Length field: width, digits, sign, overflow. */
	BAD("IMMP-SPOOL 1\nP 2 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP +0000000000000000002 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP -0000000000000000002 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 0000000000000000000x 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 99999999999999999999 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 09223372036854775807 1 text/plain 1 a\nhi\nE\n");
	/* Length beyond or short of the data. */
	BAD("IMMP-SPOOL 1\nP 00000000000000000003 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000001 1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000100 1 text/plain 1 a\nhi\n");
	/* Content flag, separators. */
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 2 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002  1 text/plain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain  1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 a \nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 a\r\nhi\nE\n");
	/* Type grammar. */
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 textplain 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/p\"x 1 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/\x01 1 a\nhi\nE\n");
	/* Name length: leading zero, too long, mismatch, NUL, CR, LF. */
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 01 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 256 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 2 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 0 a\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 \0\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 \r\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 \n\nhi\nE\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 \xff\nhi\n"
	    "E\n");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 99999999999"
	    "999999999999 a\nhi\nE\n");
	/* Data not followed by LF. */
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain 1 a\nhixE\n");
	/* Truncated header. */
	BAD("IMMP-SPOOL 1\nP 0000000000");
	BAD("IMMP-SPOOL 1\nP 00000000000000000002 1 text/plain");
}

static void
test_too_many_parts(void **state)
{
	struct spool_part	*parts;
	char			*buf, *p;
	const char		*part = "P 00000000000000000000 0 a/b 0 \n\n";
	size_t			 plen = strlen(part);
	int			 i, n, fd;

	buf = malloc(32 + (SPOOL_MAX_PARTS + 1) * plen);
	parts = calloc(SPOOL_MAX_PARTS + 1, sizeof(*parts));
	assert_non_null(buf);
	assert_non_null(parts);
	p = buf + strlen(strcpy(buf, SPOOL_MAGIC));
	for (i = 0; i < SPOOL_MAX_PARTS + 1; i++) {
		memcpy(p, part, plen);
		p += plen;
	}
	memcpy(p, "E\n", 2);
	p += 2;
	fd = rawfd(buf, p - buf);
	assert_int_equal(spool_read_index(fd, parts, SPOOL_MAX_PARTS + 1, &n),
	    -1);
	assert_int_equal(errno, EBADMSG);
	close(fd);
	/* Exactly the maximum is fine. */
	fd = rawfd(buf, p - buf - plen - 2);
	assert_int_equal(write(fd, "E\n", 2), 2);
	assert_int_equal(spool_read_index(fd, parts, SPOOL_MAX_PARTS, &n), 0);
	assert_int_equal(n, SPOOL_MAX_PARTS);
	close(fd);
	free(buf);
	free(parts);
}

static void
test_utf8(void **state)
{
	assert_true(spool_utf8_valid("", 0));
	assert_true(spool_utf8_valid("caf\xc3\xa9", 5));
	assert_true(spool_utf8_valid("\xf0\x9f\x98\x80", 4));
	assert_true(spool_utf8_valid("\xef\xbf\xbf", 3));
	assert_false(spool_utf8_valid("\xc3", 1));
	assert_false(spool_utf8_valid("\xc1\xbf", 2));
	assert_false(spool_utf8_valid("\xe0\x80\x80", 3));
	assert_false(spool_utf8_valid("\xed\xb0\x80", 3));
	assert_false(spool_utf8_valid("\xf4\x90\x80\x80", 4));
	assert_false(spool_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(spool_utf8_valid("\x80", 1));
	assert_false(spool_utf8_valid("\xe2\x82", 2));
	assert_false(spool_utf8_valid("\xe2\x28\xa1", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_exact_format),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_too_many_parts),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
