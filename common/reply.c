/*
 * The IMMP reply line (draft 7.2, DESIGN §5):
 *   reply = [ pipe-id ": " ] 3DIGIT ( "-" / " " ) text CRLF
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "reply.h"

static int	is_idchar(unsigned char);
static int	is_ctl(unsigned char);
static size_t	id_span(const char *, size_t);
static int	is_code(const char *, size_t);

/* ALPHA / DIGIT / "-" / "_" */
static int
is_idchar(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* C0 controls other than HTAB, and DEL. */
static int
is_ctl(unsigned char c)
{
	return ((c < 0x20 && c != '\t') || c == 0x7f);
}

/* Length of the pipe-id at the start of s[0..len), 0 if none. */
static size_t
id_span(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len && i <= CMD_MAXID; i++)
		if (!is_idchar((unsigned char)s[i]))
			break;
	if (i > CMD_MAXID)
		return (0);
	return (i);
}

/* 1 if s[0..len) starts with a code (100..799) and "-" or " ". */
static int
is_code(const char *s, size_t len)
{
	return (len >= 4 && s[0] >= '1' && s[0] <= '7' &&
	    s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' &&
	    (s[3] == '-' || s[3] == ' '));
}

int
reply_format(char *buf, size_t bufsz, const char *id, int code, int more,
    const char *fmt, ...)
{
	va_list	ap;
	size_t	idlen = 0, off, i, lim;
	int	n;

	if (bufsz == 0) {
		errno = EMSGSIZE;
		return (-1);
	}
	buf[0] = '\0';
	if (code < 100 || code > 799) {
		errno = EINVAL;
		return (-1);
	}
	if (id != NULL) {
		idlen = strlen(id);
		if (idlen == 0 || id_span(id, idlen) != idlen) {
			errno = EINVAL;
			return (-1);
		}
	}

	/*
	 * The whole line, CRLF included, must fit in bufsz - 1 (room for
	 * the NUL) and in REPLY_MAXLINE.
	 */
	lim = bufsz - 1;
	if (lim > REPLY_MAXLINE)
		lim = REPLY_MAXLINE;

	n = snprintf(buf, bufsz, "%s%s%03d%c", id != NULL ? id : "",
	    id != NULL ? ": " : "", code, more ? '-' : ' ');
	if (n < 0 || (size_t)n + 2 > lim) {
		buf[0] = '\0';
		errno = EMSGSIZE;
		return (-1);
	}
	off = n;

	va_start(ap, fmt);
	n = vsnprintf(buf + off, bufsz - off, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = '\0';
		errno = EINVAL;
		return (-1);
	}
	if ((size_t)n > lim - off - 2) {
		buf[0] = '\0';
		errno = EMSGSIZE;
		return (-1);
	}
	/* A NUL produced by the format (e.g. %c) or any control. */
	for (i = off; i < off + n; i++) {
		if (buf[i] == '\0' || is_ctl((unsigned char)buf[i])) {
			buf[0] = '\0';
			errno = EINVAL;
			return (-1);
		}
	}
	if (!utf8_valid(buf + off, n)) {
		buf[0] = '\0';
		errno = EINVAL;
		return (-1);
	}
	off += n;
	buf[off++] = '\r';
	buf[off++] = '\n';
	buf[off] = '\0';
	return ((int)off);
}

int
reply_parse(const char *line, size_t len, const char **id, size_t *idlen,
    int *code, int *more, const char **text)
{
	size_t	i, n;

	*id = NULL;
	*idlen = 0;
	*code = 0;
	*more = 0;
	*text = NULL;

	if (len > REPLY_MAXLINE - 2)
		return (-1);
	for (i = 0; i < len; i++)
		if (is_ctl((unsigned char)line[i]))
			return (-1);
	if (!utf8_valid(line, len))
		return (-1);

	/*
	 * A pipe-id prefix counts only if a code follows it: "544-x: 27"
	 * is the plain reply 544 with the text "x: 27".
	 */
	i = 0;
	n = id_span(line, len);
	if (n > 0 && len - n >= 2 && line[n] == ':' && line[n + 1] == ' ' &&
	    is_code(line + n + 2, len - n - 2)) {
		*id = line;
		*idlen = n;
		i = n + 2;
	}

	if (!is_code(line + i, len - i))
		return (-1);
	*code = (line[i] - '0') * 100 + (line[i + 1] - '0') * 10 +
	    (line[i + 2] - '0');
	*more = line[i + 3] == '-';
	*text = line + i + 4;
	return (0);
}
