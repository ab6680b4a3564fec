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
 * "immpctl makemap": the text form of a table (immpd-tables(5) TEXT
 * FORMAT) and its checks per table type.
 *
 *   file    = *( line LF ) [ line ]        (a missing final LF is fine)
 *   line    = "" / *blank "#" *any / key [ 1*blank value ]
 *   key     = 1*( any octet above SP but DEL )
 *   value   = vchar *( vchar / blank ) vchar / vchar
 *   blank   = SP / HTAB
 * No CR, NUL or other control character anywhere; a key starts in the
 * first column; a value does not end in a blank; a line is at most
 * MAKEMAP_LINE_MAX octets.  Keys are unique.
 */
#ifndef IMMPCTL_MAKEMAP_H
#define IMMPCTL_MAKEMAP_H

#include <stddef.h>
#include <stdio.h>

#define MAKEMAP_LINE_MAX	8192
#define MAKEMAP_KEY_MAX		255	/* octets */
#define MAKEMAP_ERRORS_MAX	50	/* reported before giving up */

enum map_type {
	MAP_PLAIN,	/* any key, a value */
	MAP_USERS,	/* account -> verifier */
	MAP_ALIASES,	/* local part or account -> account list */
	MAP_LINKS,	/* shared mailbox -> account list */
	MAP_ROUTES,	/* domain -> host[:port] */
	MAP_BLOCK,	/* domain or account -> optional reason */
};

/*
 * map_type_parse: the type named name ("plain", "users", "aliases",
 * "links", "routes", "block") into *t.  0, or -1 if unknown.
 */
int	 map_type_parse(const char *name, enum map_type *t);

/*
 * makemap_parse: reads the text table from fp (fname names it in
 * messages), checks every record for type t and calls put(key, value,
 * arg) for each (NUL-terminated; value "" when absent; put returns 0,
 * or -1 to stop, having reported why).  Every error is reported
 * through report(msg, arg) as "fname:line: reason" (at most
 * MAKEMAP_ERRORS_MAX of them), duplicate keys as "fname:line: duplicate
 * key, first on line N".  Returns the number of records, or -1 if there
 * was any error (put may then have been called for some records).
 */
long	 makemap_parse(FILE *fp, const char *fname, enum map_type t,
	    int (*put)(const char *key, const char *value, void *arg),
	    void (*report)(const char *msg, void *arg), void *arg);

#endif
