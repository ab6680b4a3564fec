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
 * Read-only Berkeley DB hash tables (immpd-tables(5)) for immp-lookup.
 * Keys and values are stored without a trailing NUL.  Writers (immpctl)
 * replace the file by rename, so before every look-up the file is
 * stat(2)ed and reopened when its device, inode, size or mtime changed.
 * A missing file is not an error: every key is then unknown.
 */
#ifndef IMMP_LOOKUP_TABLE_DB_H
#define IMMP_LOOKUP_TABLE_DB_H

#include <stddef.h>

#define TABLE_DB_NOTFOUND	(-1)	/* no key or file */
#define TABLE_DB_ERROR		(-2)	/* bad table or value */

struct table_db;

/*
 * table_db_open: a handle for the table file at path (copied).  The file
 * is opened lazily by the first table_db_get, so it need not exist yet.
 * Returns NULL only when out of memory or path is too long.
 */
struct table_db	*table_db_open(const char *path);

/*
 * table_db_get: looks up the NUL-terminated key.  On success copies the
 * value into buf (size octets, NUL-terminated) and returns its length.
 * Returns TABLE_DB_NOTFOUND if the key or the file is absent, and
 * TABLE_DB_ERROR if the file cannot be opened or read, or the value does
 * not fit in buf or holds a NUL.  Problems with the file are logged once
 * per change of the file, never the value.
 */
int		 table_db_get(struct table_db *, const char *key, char *buf,
		    size_t size);

/*
 * table_db_check: brings the handle up to date with the file, as
 * table_db_get does, logging a missing or unreadable file.  Returns 1
 * if the table is open, 0 if the file is missing, -1 if unusable.
 */
int		 table_db_check(struct table_db *);

/*
 * table_db_reopen: closes the file if open and opens the file now at
 * the handle's path again, even when stat(2) shows no change (a file
 * rewritten in place within one mtime tick, or one refused before and
 * repaired since); for "immpctl update table" (immpctl(8),
 * immpd-tables(5)).  Returns 1 if the table is open, 0 if the file is
 * missing, -1 if it cannot be used (logged as table_db_check does).
 */
int		 table_db_reopen(struct table_db *);

/* table_db_close: closes the file if open and frees the handle. */
void		 table_db_close(struct table_db *);

#endif
