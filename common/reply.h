/*
 * The IMMP reply line (draft 7.2, DESIGN §5):
 *   reply = [ pipe-id ": " ] 3DIGIT ( "-" / " " ) text CRLF
 * "-" marks every line of a multi-line reply but the last.
 */
#ifndef IMMP_REPLY_H
#define IMMP_REPLY_H

#include <stddef.h>

#define REPLY_MAXLINE	8192	/* incl. CRLF */

/*
 * reply_format: writes one reply line with CRLF and a terminating NUL
 * into buf (size bufsz).  id may be NULL, else a pipe-id (1..32 of
 * ALPHA DIGIT "-" "_").  code is 100..799.  The formatted text must be
 * valid UTF-8 without control characters (HTAB allowed; CR, LF, NUL,
 * DEL refused).  The line with CRLF is at most REPLY_MAXLINE octets.
 * Returns the line length without the NUL, or -1 with buf[0] == '\0'
 * (EINVAL bad id, code or text; EMSGSIZE too long for bufsz or
 * REPLY_MAXLINE).
 */
int	 reply_format(char *buf, size_t bufsz, const char *id, int code,
	    int more, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/*
 * reply_parse: client side.  Parses line[0..len) (without CRLF) into
 * its parts: *id and *idlen (NULL and 0 if none), *code (100..799),
 * *more, *text (points into line and runs to line + len; a C string if
 * the caller NUL-terminated the line).  Returns 0, or -1 if the line is
 * not a reply: longer than REPLY_MAXLINE - 2, invalid UTF-8, a control
 * character other than HTAB, or no code followed by "-" or " ".
 */
int	 reply_parse(const char *line, size_t len, const char **id,
	    size_t *idlen, int *code, int *more, const char **text);

#endif
