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


/* Unit tests for common/mime.c (the Maildir message composer). */

#include <sys/types.h>

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
#include <sodium.h>

#include "ipc.h"
#include "mime.h"
#include "spool.h"

#define UUID	"0f0e0d0c-0b0a-4908-8706-050403020100"

struct tpart {
	const char	*type;
	const char	*name;
	int		 content;
	const void	*data;
	size_t		 len;
};

static int
make_spool(const struct tpart *p, int n)
{
	struct spool_writer	w;
	char			path[] = "/tmp/test_mime.XXXXXX";
	int			fd, i;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(spool_w_init(&w, fd), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(spool_w_begin(&w, p[i].type, p[i].name,
		    p[i].content), 0);
		assert_int_equal(spool_w_data(&w, p[i].data, p[i].len), 0);
		assert_int_equal(spool_w_end(&w), 0);
	}
	assert_int_equal(spool_w_finish(&w), 0);
	return fd;
}

/* Composes; returns the message (malloc'ed, NUL-terminated) or NULL. */
static char *
compose(const struct tpart *p, int n, uint32_t flags, int *err)
{
	struct mime_envelope	 env;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*f;
	int			 fd, r;

	memset(&env, 0, sizeof(env));
	env.uuid = UUID;
	env.sender = "alice@demo.test";
	env.rcpts = "bob@demo.test, carol@demo.test";
	env.host = "demo.test";
	env.accepted = 1700000000;	/* Tue, 14 Nov 2023 22:13:20 UTC */
	env.flags = flags;
	fd = make_spool(p, n);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	errno = 0;
	r = mime_compose(fd, &env, f);
	*err = errno;
	fclose(f);
	close(fd);
	if (r == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The text between "--b\n" + headers + "\n" and the next "\n--b". */
static char *
part_body(const char *msg, const char *boundary, int idx, char *hdrs,
    size_t hdrsz)
{
	char		 delim[128];
	const char	*p = msg, *h, *end;
	int		 i;

	snprintf(delim, sizeof(delim), "\n--%s\n", boundary);
	for (i = 0; i <= idx; i++) {
		p = strstr(p, delim);
		assert_non_null(p);
		p += strlen(delim);
	}
	h = strstr(p, "\n\n");
	assert_non_null(h);
	if (hdrs != NULL) {
		assert_true((size_t)(h - p) < hdrsz);
		memcpy(hdrs, p, h - p);
		hdrs[h - p] = '\0';
	}
	h += 2;
	snprintf(delim, sizeof(delim), "\n--%s", boundary);
	end = strstr(h, delim);
	assert_non_null(end);
	return strndup(h, end - h);
}

static void
get_boundary(const char *msg, const char *sub, char *out, size_t outsz)
{
	char		 key[64];
	const char	*p, *q;

	snprintf(key, sizeof(key), "multipart/%s;\n\tboundary=\"", sub);
	p = strstr(msg, key);
	assert_non_null(p);
	p += strlen(key);
	q = strchr(p, '"');
	assert_non_null(q);
	assert_true((size_t)(q - p) < outsz);
	memcpy(out, p, q - p);
	out[q - p] = '\0';
}

static void
test_text_html_attachment(void **state)
{
	unsigned char	 bin[1000], dec[1000];
	const char	*meta = "Subject: Gr\xc3\xbc\xc3\x9f" "e aus "
	    "K\xc3\xb6ln"
	    "\r\nCc: dave@demo.test\nIn-Reply-To: <a@b>\n";
	const char	*text = "Hello Bob,\n\nsee attached.\n";
	const char	*html = "<p>Hello <b>Bob</b></p>";
	char		*msg, *b, bm[128], ba[128], hdrs[512], *clean, *q;
	size_t		 declen, i;
	int		 err;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	struct tpart p[] = {
		{ "text/rfc822-headers", "meta", 0, meta, strlen(meta) },
		{ "text/plain", "body", 1, text, strlen(text) },
		{ "text/html", "body.html", 1, html, strlen(html) },
		{ "application/octet-stream", "d\xc3\xa4ta \"1\".bin", 0, bin,
		    sizeof(bin) },
	};
	msg = compose(p, 4, MSGF_IMPORTANT, &err);
	assert_non_null(msg);

	assert_non_null(strstr(msg, "Return-Path: <alice@demo.test>\n"));
	assert_non_null(strstr(msg, "IMMP-UUID: " UUID "\n"));
	assert_non_null(strstr(msg, "Message-ID: <" UUID "@demo.test>\n"));
	assert_non_null(strstr(msg,
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"));
	assert_non_null(strstr(msg, "From: alice@demo.test\n"));
	assert_non_null(strstr(msg,
	    "To: bob@demo.test, carol@demo.test\n"));
	assert_non_null(strstr(msg, "Cc: dave@demo.test\n"));
	assert_non_null(strstr(msg, "In-Reply-To: <a@b>\n"));
	assert_non_null(strstr(msg,
	    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n"));
	assert_non_null(strstr(msg, "Importance: high\n"));
	assert_non_null(strstr(msg, "MIME-Version: 1.0\n"));
	assert_null(strstr(msg, "\r"));
	/* The metadata part itself is not in the message. */
	assert_null(strstr(msg, "rfc822-headers"));

	get_boundary(msg, "mixed", bm, sizeof(bm));
	get_boundary(msg, "alternative", ba, sizeof(ba));
	assert_string_not_equal(bm, ba);

	/* First mixed part: the alternative, holding text and html. */
	b = part_body(msg, bm, 0, hdrs, sizeof(hdrs));
	assert_non_null(strstr(hdrs, "multipart/alternative"));
	free(b);
	b = part_body(msg, ba, 0, hdrs, sizeof(hdrs));
	assert_string_equal(hdrs, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 7bit");
	assert_string_equal(b, text);
	free(b);
	b = part_body(msg, ba, 1, hdrs, sizeof(hdrs));
	assert_string_equal(hdrs, "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: 7bit");
	assert_string_equal(b, html);
	free(b);
	assert_non_null(strstr(msg, "\n--" ));

	/* Second mixed part: the attachment, base64 of the input. */
	b = part_body(msg, bm, 1, hdrs, sizeof(hdrs));
	assert_string_equal(hdrs,
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n"
	    "\tfilename*=utf-8''d%C3%A4ta%20%221%22.bin");
	/* 76 columns. */
	for (q = b; (q = strchr(q, '\n')) != NULL; q++)
		assert_int_equal((q - b) % 77, 76);
	clean = b;
	assert_int_equal(sodium_base642bin(dec, sizeof(dec), clean,
	    strlen(clean), "\n", &declen, NULL,
	    sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(declen, sizeof(bin));
	assert_memory_equal(dec, bin, sizeof(bin));
	free(b);

	/* Closing delimiters. */
	assert_non_null(strstr(msg, ba));
	{
		char	end[160];

		snprintf(end, sizeof(end), "\n--%s--\n", bm);
		assert_non_null(strstr(msg, end));
		snprintf(end, sizeof(end), "\n--%s--\n", ba);
		assert_non_null(strstr(msg, end));
	}
	free(msg);
}

static void
test_single_body(void **state)
{
	const char	*text = "Gr\xc3\xbc\xc3\x9f" "e\nno final newline";
	char		*msg;
	int		 err;
	struct tpart	 p[] = {
		{ "text/plain", "t", 1, text, strlen(text) },
	};

	msg = compose(p, 1, MSGF_UNIMPORTANT, &err);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "Importance: low\n"));
	assert_null(strstr(msg, "Subject:"));
	assert_null(strstr(msg, "multipart"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n"));
	assert_int_equal(strlen(msg) - strlen(text),
	    (size_t)(strstr(msg, text) - msg));
	free(msg);
}

static void
test_text_as_base64(void **state)
{
	char		 longline[1200], *msg;
	int		 err;
	struct tpart	 p[] = {
		{ "text/plain", "crlf", 1, "a\r\nb\r\n", 6 },
		{ "text/plain", "bad", 1, "\xff\xfe", 2 },
		{ "text/plain", "nul", 1, "a\0b", 3 },
		{ "text/plain", "long", 1, longline, sizeof(longline) },
	};

	memset(longline, 'x', sizeof(longline));
	msg = compose(p, 4, 0, &err);
	assert_non_null(msg);
	/* Four base64 parts, no 8bit one. */
	assert_null(strstr(msg, "8bit"));
	assert_null(strstr(msg, "7bit"));
	assert_null(strstr(msg, "\r"));
	assert_non_null(strstr(msg, "YQ0KYg0K"));	/* a\r\nb\r\n */
	free(msg);
}

static void
test_structure_types_neutralised(void **state)
{
	const char	*fake = "--x\nContent-Type: text/html\n\n<script>\n";
	char		*msg;
	int		 err;
	struct tpart	 p[] = {
		{ "text/plain", "b", 1, "hi\n", 3 },
		{ "multipart/mixed", "evil", 1, fake, strlen(fake) },
		{ "message/rfc822", "fwd.eml", 0, "From: x\n\nhi\n", 12 },
	};

	msg = compose(p, 3, 0, &err);
	assert_non_null(msg);
	assert_null(strstr(msg, "multipart/mixed;\n\tboundary=\"x\""));
	assert_null(strstr(msg, "<script>"));
	assert_null(strstr(msg, "message/rfc822"));
	assert_non_null(strstr(msg, "filename=\"evil\""));
	assert_non_null(strstr(msg, "filename=\"fwd.eml\""));
	free(msg);
}

static void
test_rfc822_as_is(void **state)
{
	const char	*m = "From: a@b\r\nSubject: x\r\n\r\nbody\r\n";
	char		*msg;
	int		 err;
	struct tpart	 p[] = {
		{ "message/rfc822", "m", 0, m, strlen(m) },
	};

	msg = compose(p, 1, 0, &err);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "IMMP-UUID: " UUID "\n"));
	assert_null(strstr(msg, "MIME-Version"));
	assert_string_equal(msg + strlen(msg) - strlen(m), m);
	free(msg);
}

/*
 * The envelope record part (mime.h MIME_RECORD_TYPE) before the trace
 * becomes the header, not a part; without one, or with a bad one,
 * "IMMP-Envelope: none" comes first, before a forged header inside a
 * message/rfc822 part.
 */
static void
test_envelope_record(void **state)
{
	const char	*rec = "origin=a.test; signature=valid; key=ab; "
			    "hops=0; timestamp=1\n";
	const char	*bad = "origin=a.test\001\n";
	const char	*fwd = "IMMP-Envelope: origin=x.test; "
			    "signature=valid; key=00; hops=0; timestamp=1\r\n"
			    "Subject: x\r\n\r\nbody\r\n";
	const char	*hop = "hop from=a.test addr=192.0.2.1 via=b.test "
			    "at=1700000000\n";
	char		*msg, *first;
	int		 err;
	struct tpart	 p[] = {
		{ "text/plain", "t", 1, "hi\n", 3 },
		{ MIME_RECORD_TYPE, "envelope", 0, rec, strlen(rec) },
		{ "application/x-immp-trace", "trace", 0, hop, strlen(hop) },
	};
	struct tpart	 q[] = {
		{ "message/rfc822", "m", 0, fwd, strlen(fwd) },
	};

	msg = compose(p, 3, 0, &err);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "IMMP-UUID: " UUID "\nIMMP-Envelope: "
	    "origin=a.test; signature=valid; key=ab; hops=0; timestamp=1\n"
	    "IMMP-Trace: "));
	assert_null(strstr(msg, "x-immp-envelope-record"));
	assert_null(strstr(msg, "MIME-Version: 1.0\nContent-Type: "
	    "multipart"));
	free(msg);

	p[1].data = bad;
	p[1].len = strlen(bad);
	msg = compose(p, 3, 0, &err);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "IMMP-Envelope: none\nIMMP-Trace: "));
	free(msg);

	msg = compose(q, 1, 0, &err);
	assert_non_null(msg);
	first = strstr(msg, "IMMP-Envelope: ");
	assert_non_null(first);
	assert_true(strncmp(first, "IMMP-Envelope: none\n", 20) == 0);
	assert_true(first < strstr(msg, "IMMP-Envelope: origin=x.test"));
	free(msg);
}

static void
test_boundary_not_in_body(void **state)
{
	const char	*t = "--=_immp_m_\n--=_immp_a_\n";
	char		*msg, bm[128];
	int		 err;
	struct tpart	 p[] = {
		{ "text/plain", "b", 1, t, strlen(t) },
		{ "image/png", "x.png", 0, "\x89PNG", 4 },
	};

	msg = compose(p, 2, 0, &err);
	assert_non_null(msg);
	get_boundary(msg, "mixed", bm, sizeof(bm));
	assert_true(strlen(bm) > 20);
	assert_null(strstr(t, bm));
	free(msg);
}

static void
test_meta_check(void **state)
{
	const char	*err;
	char		 big[MIME_META_MAX + 2], line[1100];

	assert_int_equal(mime_meta_check("", 0, &err), 0);
	assert_int_equal(mime_meta_check("Subject: x\n", 11, &err), 0);
	assert_int_equal(mime_meta_check("subject:x\r\ncc: a@b\n", 19, &err),
	    0);
	assert_int_equal(mime_meta_check("References: <a> <b>\n"
	    "Reply-To: a@b\nIn-Reply-To: <a>\n", 51, &err), 0);

#define MBAD(s) do {							\
	err = NULL;							\
	assert_int_equal(mime_meta_check((s), sizeof(s) - 1, &err), -1); \
	assert_int_equal(errno, EBADMSG);				\
	assert_non_null(err);						\
} while (0)
	MBAD("Subject: x");			/* no line end */
	MBAD("Subject: x\n\n");			/* empty line */
	MBAD("\n");
	MBAD("Subject: x\nSubject: y\n");	/* duplicate */
	MBAD("Subject: x\nSUBJECT: y\n");
	MBAD("From: x\n");			/* not allowed */
	MBAD("Bcc: x\n");
	MBAD("Content-Type: text/html\n");
	MBAD("Subject : x\n");
	MBAD("Subject: x\n continued\n");	/* folding */
	MBAD("Subject: x\n\tcontinued\n");
	MBAD("Subject x\n");
	MBAD("Subject: a\rb\n");		/* bare CR */
	MBAD("Subject: a\r\r\n");
	MBAD("Subject: a\0b\n");		/* NUL */
	MBAD("Subject: a\x01" "b\n");		/* control */
	MBAD("Subject: \xc3\x28\n");		/* bad UTF-8 */
	MBAD("Subject: \xc0\x80\n");
	memset(big, 'a', sizeof(big));
	assert_int_equal(mime_meta_check(big, MIME_META_MAX + 1, &err), -1);
	memcpy(line, "Subject: ", 9);
	memset(line + 9, 'a', sizeof(line) - 10);
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(mime_meta_check(line, sizeof(line), &err), -1);
	assert_true(mime_header_safe("plain \t text"));
	assert_false(mime_header_safe("a\nb"));
	assert_false(mime_header_safe("a\x7f"));
}

static void
test_bad_spool(void **state)
{
	struct tpart	 bad[] = {
		{ "text/rfc822-headers", "m", 0, "From: x\n", 8 },
		{ "text/plain", "b", 1, "hi", 2 },
	};
	struct tpart	 two[] = {
		{ "text/rfc822-headers", "m", 0, "Subject: x\n", 11 },
		{ "text/rfc822-headers", "m", 0, "Cc: x\n", 6 },
	};
	struct mime_envelope	env;
	char			*msg;
	int			 err, fd;
	FILE			*f;

	msg = compose(bad, 2, 0, &err);
	assert_null(msg);
	assert_int_equal(err, EBADMSG);
	msg = compose(two, 2, 0, &err);
	assert_null(msg);
	assert_int_equal(err, EBADMSG);

	/* A truncated spool file. */
	fd = make_spool(bad + 1, 1);
	assert_int_equal(ftruncate(fd, 20), 0);
	memset(&env, 0, sizeof(env));
	env.uuid = UUID;
	env.sender = "alice@demo.test";
	env.rcpts = "bob@demo.test";
	env.host = "demo.test";
	f = tmpfile();
	assert_int_equal(mime_compose(fd, &env, f), -1);
	assert_int_equal(errno, EBADMSG);
	/* Unsafe envelope strings. */
	env.rcpts = "bob@demo.test\nBcc: x@y";
	assert_int_equal(mime_compose(fd, &env, f), -1);
	assert_int_equal(errno, EINVAL);
	fclose(f);
	close(fd);
}

static void
test_long_subject(void **state)
{
	char		 meta[600], *msg, *p, *q;
	int		 err, i;
	size_t		 n = 0;

	n += snprintf(meta, sizeof(meta), "Subject: ");
	for (i = 0; i < 60; i++)
		n += snprintf(meta + n, sizeof(meta) - n, "\xe2\x82\xac");
	n += snprintf(meta + n, sizeof(meta) - n, "\n");
	struct tpart	 p1[] = {
		{ "text/rfc822-headers", "m", 0, meta, n },
		{ "text/plain", "b", 1, "x", 1 },
	};
	msg = compose(p1, 2, 0, &err);
	assert_non_null(msg);
	p = strstr(msg, "Subject: ");
	assert_non_null(p);
	/* Every encoded word fits in 75 columns. */
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		q = strstr(p, "?=");
		assert_non_null(q);
		assert_true(q + 2 - p <= 75);
		p = q;
	}
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_html_attachment),
		cmocka_unit_test(test_single_body),
		cmocka_unit_test(test_text_as_base64),
		cmocka_unit_test(test_structure_types_neutralised),
		cmocka_unit_test(test_rfc822_as_is),
		cmocka_unit_test(test_envelope_record),
		cmocka_unit_test(test_boundary_not_in_body),
		cmocka_unit_test(test_meta_check),
		cmocka_unit_test(test_bad_spool),
		cmocka_unit_test(test_long_subject),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
