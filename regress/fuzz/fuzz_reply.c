/*
 * fuzz_reply: reply_parse and reply_format (common/reply.h).
 *
 * The first input octet picks the direction.
 * Even: the rest is a received line.  reply_parse must agree with an
 *   independent reading of the grammar; a parsed line formatted again
 *   from its parts gives the same octets plus CRLF.
 * Odd: the rest holds an id, a code, the "more" flag, a buffer size and
 *   the text.  reply_format must succeed exactly when the grammar and
 *   the size allow it; its output (NUL-terminated, CRLF, within both
 *   limits) parses back to the same parts.
 *
 * One ambiguity of the reply grammar is left out of the round trips: an
 * unprefixed continuation line whose text starts with a pipe-id, ": "
 * and a code, e.g. "200-x: 300 y", reads as the reply "300 y" of
 * pipeline "200-x" (a pipe-id may start with digits and contain "-").
 * reply_parse takes the prefixed reading when a code follows the
 * prefix; the server never sends such a line (its only continuation
 * line is the greeting).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "reply.h"
#include "fuzz.h"

static int
idchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int
text_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (ctl((unsigned char)s[i]))
			return 0;
	return fuzz_utf8_oracle(s, len);
}

static int
code_at(const char *s, size_t len, int *code, int *more)
{
	if (len < 4 || s[0] < '1' || s[0] > '7' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9' || (s[3] != '-' && s[3] != ' '))
		return 0;
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	*more = s[3] == '-';
	return 1;
}

/*
 * Independent reading: the prefixed form when the line has a pipe-id,
 * ": " and a code, otherwise the plain form.  Returns 1 and the parts,
 * or 0.
 */
static int
oracle(const char *s, size_t len, size_t *idlen, int *code, int *more,
    size_t *textoff)
{
	size_t	n;

	if (len > REPLY_MAXLINE - 2 || !text_ok(s, len))
		return 0;
	for (n = 0; n < len && n <= 32 && idchar((unsigned char)s[n]); n++)
		;
	if (n >= 1 && n <= 32 && len - n >= 2 && s[n] == ':' &&
	    s[n + 1] == ' ' && code_at(s + n + 2, len - n - 2, code, more)) {
		*idlen = n;
		*textoff = n + 2 + 4;
		return 1;
	}
	*idlen = 0;
	*textoff = 4;
	return code_at(s, len, code, more);
}

/* 1 if a plain line with this code/more/text parses with a prefix. */
static int
ambiguous(int code, int more, const char *text)
{
	char	line[REPLY_MAXLINE + 8];
	size_t	idlen, off;
	int	c, m;
	int	n;

	n = snprintf(line, sizeof(line), "%03d%c%s", code, more ? '-' : ' ',
	    text);
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	return oracle(line, n, &idlen, &c, &m, &off) && idlen > 0;
}

static void
parse_side(const char *line, size_t len)
{
	static char	 buf[REPLY_MAXLINE + 64], text[REPLY_MAXLINE + 1];
	static char	 idbuf[40];
	const char	*id, *t;
	size_t		 idlen, oid, otext;
	int		 code, more, ocode, omore, r, n;

	r = reply_parse(line, len, &id, &idlen, &code, &more, &t);
	if (oracle(line, len, &oid, &ocode, &omore, &otext)) {
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(idlen == oid && code == ocode && more == omore);
		FUZZ_ASSERT(t == line + otext);
		FUZZ_ASSERT(idlen == 0 ? id == NULL : id == line);
	} else {
		FUZZ_ASSERT(r == -1);
		return;
	}
	FUZZ_ASSERT(code >= 100 && code <= 799);
	memcpy(text, t, len - (t - line));
	text[len - (t - line)] = '\0';
	if (idlen > 0) {
		memcpy(idbuf, id, idlen);
		idbuf[idlen] = '\0';
	} else if (ambiguous(code, more, text))
		return;
	n = reply_format(buf, sizeof(buf), idlen > 0 ? idbuf : NULL, code,
	    more, "%s", text);
	FUZZ_ASSERT(n >= 0 && (size_t)n == len + 2);
	FUZZ_ASSERT(memcmp(buf, line, len) == 0);
	FUZZ_ASSERT(buf[len] == '\r' && buf[len + 1] == '\n' &&
	    buf[len + 2] == '\0');
}

static void
format_side(const uint8_t *data, size_t size)
{
	static char	 buf[REPLY_MAXLINE + 512], text[REPLY_MAXLINE + 512];
	char		 idbuf[48];
	const char	*id = NULL, *pid, *pt;
	size_t		 idlen, bufsz, tlen, pidlen, total;
	int		 code, more, n, expect, pcode, pmore;

	/* id length (0: none), code (2), more, buffer size (2), id, text */
	if (size < 6)
		return;
	idlen = data[0] % 40;
	code = (data[1] << 8 | data[2]) % 800;
	more = data[3] & 1;
	bufsz = (data[4] << 8 | data[5]) % (REPLY_MAXLINE + 256) + 1;
	data += 6;
	size -= 6;
	if (idlen > size)
		idlen = size;
	if (idlen > 0) {
		memcpy(idbuf, data, idlen);
		idbuf[idlen] = '\0';
		id = idbuf;
	}
	data += idlen;
	size -= idlen;
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	tlen = strlen(text);
	idlen = id != NULL ? strlen(id) : 0;

	total = (id != NULL ? idlen + 2 : 0) + 4 + tlen + 2;
	expect = code >= 100 && code <= 799 &&
	    (id == NULL || (idlen >= 1 && idlen <= 32)) &&
	    text_ok(text, tlen) && total <= REPLY_MAXLINE &&
	    total <= bufsz - 1;
	if (id != NULL)
		for (pidlen = 0; pidlen < idlen; pidlen++)
			if (!idchar((unsigned char)id[pidlen]))
				expect = 0;

	memset(buf, 'Z', sizeof(buf));
	errno = 0;
	n = reply_format(buf, bufsz, id, code, more, "%s", text);
	if (!expect) {
		FUZZ_ASSERT(n == -1 && buf[0] == '\0');
		FUZZ_ASSERT(errno == EINVAL || errno == EMSGSIZE);
		return;
	}
	FUZZ_ASSERT(n >= 0 && (size_t)n == total);
	FUZZ_ASSERT(buf[n] == '\0' && buf[n - 2] == '\r' &&
	    buf[n - 1] == '\n');
	FUZZ_ASSERT(buf[bufsz] == 'Z' || bufsz == sizeof(buf));
	if (id == NULL && ambiguous(code, more, text))
		return;
	FUZZ_ASSERT(reply_parse(buf, n - 2, &pid, &pidlen, &pcode, &pmore,
	    &pt) == 0);
	FUZZ_ASSERT(pidlen == idlen && pcode == code && pmore == more);
	FUZZ_ASSERT(id == NULL || memcmp(pid, id, idlen) == 0);
	FUZZ_ASSERT((size_t)(buf + n - 2 - pt) == tlen &&
	    memcmp(pt, text, tlen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	line[REPLY_MAXLINE + 64];

	if (size < 1 || size - 1 > sizeof(line))
		return 0;
	if ((data[0] & 1) == 0) {
		memcpy(line, data + 1, size - 1);
		parse_side(line, size - 1);
	} else
		format_side(data + 1, size - 1);
	return 0;
}
