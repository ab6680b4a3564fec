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
 * into buf (size bufsz).  id may be NULL.  code is 100..799.  The
 * formatted text must not contain CR, LF or NUL.  Returns the line
 * length without the NUL, or -1 (EINVAL bad code or text, EMSGSIZE too
 * long).
 */
int	 reply_format(char *buf, size_t bufsz, const char *id, int code,
	    int more, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/*
 * reply_parse: client side.  Parses line[0..len) (without CRLF) into
 * its parts: *id/*idlen (NULL/0 if none), *code, *more, *text (points
 * into line).  Returns 0, or -1 if the line is not a reply.
 */
int	 reply_parse(const char *line, size_t len, const char **id,
	    size_t *idlen, int *code, int *more, const char **text);

#endif
