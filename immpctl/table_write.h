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
 * Safe updates of a Berkeley DB hash table (immpd-tables(5)).
 *
 * A change never edits the live file: the table is copied record by
 * record into "<path>.tmp", changed there, synced (DB->sync, fsync),
 * renamed over <path> and the directory fsynced.  A reader that has the
 * old file open keeps seeing the old contents; immp-lookup reopens the
 * table when its inode or mtime changes.  Writers are serialised with
 * flock(2) on the table's directory.  Keys and values are stored
 * without a trailing NUL.
 */
#ifndef IMMPCTL_TABLE_WRITE_H
#define IMMPCTL_TABLE_WRITE_H

#include <sys/types.h>

#include <stddef.h>

enum table_op {
	TABLE_ADD,	/* insert; the key must be absent */
	TABLE_REPLACE,	/* overwrite; the key must be present */
	TABLE_SET,	/* insert or overwrite */
	TABLE_DEL,	/* remove; the key must be present */
};

/* Results of table_update besides -1 (error). */
#define TABLE_OK	0
#define TABLE_EXISTS	1	/* TABLE_ADD: key already present */
#define TABLE_NOKEY	2	/* TABLE_REPLACE, TABLE_DEL: key absent */

/*
 * table_update: applies op for key (NUL-terminated, non-empty, stored
 * without the NUL) with value val[0..vlen) (ignored for TABLE_DEL) to the
 * table at path, atomically as described above.  A missing table is
 * created with mode 0640 and, if gid is not (gid_t)-1, that group; an
 * existing table keeps its owner, group and mode.  Returns TABLE_OK,
 * TABLE_EXISTS or TABLE_NOKEY (the table is then left untouched), or -1
 * with a message "path: reason" in err (size errsz).  No change is made
 * on any error; a stale "<path>.tmp" is removed first.
 */
int	 table_update(const char *path, enum table_op op, const char *key,
	    const void *val, size_t vlen, gid_t gid, char *err, size_t errsz);

/*
 * table_keys: reads every key of the table at path into a sorted
 * (strcmp) array of malloc'ed NUL-terminated strings, stored in *keys
 * (NULL when empty) with the count in *nkeys; release with
 * table_keys_free.  A missing table has no keys.  Returns 0, or -1 with
 * a message in err (unreadable table, a key holding a NUL, ENOMEM).
 */
int	 table_keys(const char *path, char ***keys, size_t *nkeys, char *err,
	    size_t errsz);

/*
 * table_has: 1 if the table at path holds key (NUL-terminated, compared
 * without the NUL), 0 if not or if there is no table, -1 with a message
 * in err if the table cannot be read.  A hint only: the answer may be
 * stale by the time a table_update runs, which checks again.
 */
int	 table_has(const char *path, const char *key, char *err,
	    size_t errsz);

/* table_keys_free: frees the n strings of keys and the array. */
void	 table_keys_free(char **keys, size_t n);

#endif
