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
 * Mailbox index (DESIGN §4, immp(7) MBOX): one Berkeley DB B-tree,
 * MBOX_INDEX_DB, inside every Maildir++ folder directory (the INBOX:
 * the root), beside cur/ new/ tmp/.  Records (integers big-endian):
 *
 *   "m"                 meta: uidvalidity, uidnext, highestmodseq,
 *                       message and unread counters, the mtimes of
 *                       new/ and cur/ the index last matched
 *   "u" uid(4)          one message: struct mbox_rec (mbox_rec_encode)
 *   "i" uuid(36)        uid(4)
 *   "v" uid(4)          modseq(8) of its expunge (tombstone, SINCE)
 *
 * The files are the truth: every change is made to the files first
 * (and synced), then to the index (synced before anybody is answered),
 * so a crash leaves an index that the next sync repairs, and a lost or
 * damaged index is rebuilt from the files: same UUIDs (from the file
 * names), flags from the ":2,<letters>" info, keywords lost, a new
 * UIDVALIDITY.
 *
 * Sync (mbox_index_open): if the stored mtimes of new/ and cur/ equal
 * the current ones and are older than MBOX_SETTLE seconds, the index is
 * trusted; otherwise the folder is rescanned: files in new/ move to
 * cur/ with ":2,", unknown files are indexed (summary by
 * mbox_summary_file), files gone are expunged, and flag letters that
 * differ from the index win (another program changed them), each such
 * change bumping MODSEQ.  When only new/ changed (cur/ as stored and
 * settled: deliveries), only new/ is rescanned: its unknown files are
 * indexed where they are, and if fewer of the indexed new/ files than
 * meta says are still there, the whole folder is rescanned after all.
 */
#ifndef IMMP_DELIVER_MBOX_INDEX_H
#define IMMP_DELIVER_MBOX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <db.h>

#include "ipc.h"
#include "ipc_mbox.h"

#define MBOX_INDEX_DB	"immp-index.db"
#define MBOX_SETTLE	2		/* seconds, see above */
#define MBOX_TEXT_MAX	200		/* from, subject: octets */
#define MBOX_KW_MAX	16		/* keywords per message */
#define MBOX_KWLEN_MAX	32		/* octets per keyword */
#define MBOX_NAME_MAX	256		/* base file name incl. NUL */
#define MBOX_XINFO_MAX	16		/* other info letters incl. NUL */

/* Where a message file is. */
#define MBOX_IN_CUR	0
#define MBOX_IN_NEW	1

/* One message as the index keeps it. */
struct mbox_rec {
	uint32_t	uid;
	uint32_t	flags;			/* MBOX_FLAG_* */
	uint32_t	where;			/* MBOX_IN_* */
	uint64_t	modseq;
	uint64_t	size;			/* octets of the file */
	int64_t		date;			/* Unix time */
	char		uuid[IPC_UUID_MAX];
	char		base[MBOX_NAME_MAX];	/* name before ":2," */
	char		xinfo[MBOX_XINFO_MAX];	/* info letters not ours */
	char		kw[IPC_MBOX_KW_MAX];	/* keywords, space separated */
	char		from[MBOX_TEXT_MAX + 1];
	char		subject[MBOX_TEXT_MAX + 1];
};

/* Per-folder state. */
struct mbox_meta {
	uint32_t	uidvalidity;
	uint32_t	uidnext;
	uint64_t	highestmodseq;
	uint32_t	total;
	uint32_t	unread;
	uint32_t	nnew;			/* messages in new/ */
	int64_t		new_sec, new_nsec;	/* mtime of new/ */
	int64_t		cur_sec, cur_nsec;	/* mtime of cur/ */
};

/* An open folder index. */
struct mbox_index {
	DB		*db;
	int		 dirfd;		/* the folder directory */
	int		 curfd, newfd, tmpfd;
	struct mbox_meta meta;
	int		 dirty;		/* meta changed, not yet stored */
	int		 rebuilt;	/* made afresh by this open */
	char		 path[1024];	/* folder directory, for logs */
};

/* ---- mbox_rec.c: codecs and names, no I/O ---- */

/*
 * mbox_rec_encode: writes r into buf (size octets) as the value of a
 * "u" record: a version octet, fixed fields, then the strings each as
 * a 2-octet length and the octets.  Returns the length, or 0 if it
 * does not fit.
 * mbox_rec_decode: the inverse for buf[0..len) (untrusted: a damaged
 * index): checks every length and that the strings hold no NUL and fit
 * their fields, the uuid is canonical and the base name is a valid
 * Maildir name.  Returns 0, or -1 (rec undefined).
 */
size_t	 mbox_rec_encode(const struct mbox_rec *r, uint8_t *buf, size_t size);
int	 mbox_rec_decode(const uint8_t *buf, size_t len, struct mbox_rec *r);

/*
 * mbox_meta_encode: m into buf (MBOX_META_LEN octets).
 * mbox_meta_decode: buf[0..len) into m; -1 unless len is MBOX_META_LEN
 * with the right version and uidvalidity, uidnext != 0.
 */
#define MBOX_META_LEN	61
void	 mbox_meta_encode(const struct mbox_meta *m, uint8_t *buf);
int	 mbox_meta_decode(const uint8_t *buf, size_t len, struct mbox_meta *m);

/*
 * mbox_name_parse: splits the Maildir file name name (as readdir gives
 * it, untrusted) into base (size MBOX_NAME_MAX) and flags and xinfo
 * from its ":2,<letters>" info (letters D F R S T are MBOX_FLAG_*;
 * other ASCII letters go to xinfo).  Returns 0, or -1 for names to be
 * ignored: starting with ".", empty, too long, "/" or control
 * characters, an info other than ":2,<letters>".
 */
int	 mbox_name_parse(const char *name, char *base, uint32_t *flags,
	    char *xinfo);

/*
 * mbox_name_make: "<base>:2,<letters>" (letters of flags and xinfo in
 * ASCII order) into out (size).  Returns 0 or -1 if it does not fit.
 */
int	 mbox_name_make(const char *base, uint32_t flags, const char *xinfo,
	    char *out, size_t size);

/*
 * mbox_name_uuid: the UUID of the message file with base name base:
 * "<accepted>.<uuid>.<host>" (IMMP delivery) gives that uuid; any
 * other name the first 16 octets of its SHA-256 (libsodium) as a
 * version-8 UUID, so a rebuild gives the same UUIDs.  out: 37 octets.
 */
void	 mbox_name_uuid(const char *base, char out[IPC_UUID_MAX]);

/*
 * mbox_path_valid: 1 if path is a canonical folder path of immp(7)
 * MBOX ("/" seg *( "/" seg ), seg 1*64 of ALPHA DIGIT "_" "-", at most
 * 8 segs and 200 octets, the first seg of INBOX, Drafts, Sent, Junk in
 * that spelling if it is one of them in any case), else 0.
 * mbox_path_canon: copies path to out (IPC_FOLDER_MAX) with the first
 * seg of the four default folders spelled canonically; -1 if path is
 * not valid in any case.
 */
int	 mbox_path_valid(const char *path);
int	 mbox_path_canon(const char *path, char *out);

/*
 * mbox_path_dir: the directory of folder path (canonical) below the
 * Maildir root: "" for "/INBOX", ".Lists.Rust" for "/Lists/Rust",
 * ".INBOX.x" for "/INBOX/x", into out (size).  Returns 0 or -1.
 * mbox_dir_path: the inverse for a directory name found in the root
 * (untrusted); -1 if it cannot be expressed in the grammar.
 */
int	 mbox_path_dir(const char *path, char *out, size_t size);
int	 mbox_dir_path(const char *dir, char *out, size_t size);

/*
 * mbox_flags_str: "\Seen,\Flagged,work" style list of flags, then the
 * keywords kw (space separated) into out (size), "-" if none.
 * Returns 0 or -1 if it does not fit.
 */
int	 mbox_flags_str(uint32_t flags, const char *kw, char *out,
	    size_t size);

/* ---- mbox_index.c ---- */

/*
 * mbox_index_open: opens (creating when missing) the index of the
 * folder directory dirfd (not owned; path only for logs), which must
 * hold cur/ new/ tmp/, and syncs it with the files as described above.
 * A missing or unreadable index is rebuilt (the damaged file is moved
 * to MBOX_INDEX_DB ".bad").  Returns 0, or -1 with errno (I/O).
 */
int	 mbox_index_open(int dirfd, const char *path, struct mbox_index *ix);

/*
 * mbox_index_open_nosync: the same without the sync with the files
 * (delivery records what it just wrote); a missing or damaged index is
 * still rebuilt.
 */
int	 mbox_index_open_nosync(int dirfd, const char *path,
	    struct mbox_index *ix);

/*
 * mbox_index_close: stores meta if changed, syncs the DB to disk and
 * closes it.  Returns 0, or -1 if the sync failed (the index is then
 * repaired by the next open).
 */
int	 mbox_index_close(struct mbox_index *ix);

/* mbox_index_commit: stores meta and syncs the DB; 0 or -1. */
int	 mbox_index_commit(struct mbox_index *ix);

/* mbox_index_get: the message with uid; 0, 1 if none, -1 on error. */
int	 mbox_index_get(struct mbox_index *ix, uint32_t uid,
	    struct mbox_rec *r);

/* mbox_index_find: the message with uuid; 0, 1 if none, -1 on error. */
int	 mbox_index_find(struct mbox_index *ix, const char *uuid,
	    struct mbox_rec *r);

/*
 * mbox_index_add: indexes a new message r (uid and modseq assigned
 * here, uuid must not be in the index yet: then 1 and r->uid set to
 * the indexed message's).  Returns 0, 1, or -1.
 */
int	 mbox_index_add(struct mbox_index *ix, struct mbox_rec *r);

/*
 * mbox_index_update: stores changed flags/keywords/where of r (same
 * uid): a new modseq is assigned when flags or keywords changed.
 * old is the record as stored.  Returns 0 or -1.
 */
int	 mbox_index_update(struct mbox_index *ix, const struct mbox_rec *old,
	    struct mbox_rec *r);

/*
 * mbox_index_expunge: removes r, leaving a tombstone with a new
 * modseq.  Returns 0 or -1.
 */
int	 mbox_index_expunge(struct mbox_index *ix, const struct mbox_rec *r);

/*
 * mbox_index_walk: calls fn for every message with uid >= from in
 * ascending order until fn returns non-zero (returned) or the end (0);
 * -1 on a read error or a damaged record.
 */
int	 mbox_index_walk(struct mbox_index *ix, uint32_t from,
	    int (*fn)(const struct mbox_rec *, void *), void *arg);

/*
 * mbox_index_vanished: calls fn for every tombstone with modseq >
 * since, in uid order.  Returns 0 or -1.
 */
int	 mbox_index_vanished(struct mbox_index *ix, uint64_t since,
	    void (*fn)(uint32_t uid, void *), void *arg);

/*
 * mbox_index_file: the current file name of r relative to the folder
 * ("cur/<base>:2,<letters>" or "new/<base>") into out (size); 0 or -1.
 */
int	 mbox_index_file(const struct mbox_rec *r, char *out, size_t size);

/*
 * mbox_index_touch: records the current mtimes of new/ and cur/ as
 * matched (after changes made by us).  0 or -1.
 */
int	 mbox_index_touch(struct mbox_index *ix);

/* ---- mbox_json.c (GMime) ---- */

/*
 * mbox_summary_file: fills r->from, r->subject (decoded RFC 2047, at
 * most MBOX_TEXT_MAX octets of UTF-8, controls as spaces) and r->date
 * (Date: header, else mtime) from the header of the message file fd
 * (not owned), and r->size.  Returns 0, or -1 on a read error (an
 * unparsable header gives empty strings, not an error).
 */
int	 mbox_summary_file(int fd, struct mbox_rec *r);

/*
 * mbox_json_message: the JSON form (draft 4.2, immp(7) MBOX FETCH
 * +JSON) of the message file fd (not owned) with the index data r,
 * written to a new memfd.  pretty: JSON_INDENT(2).  Returns the memfd
 * (offset 0) with *len its size, or -1 (errno).
 * mbox_json_part: the body of part id ("1", "2.1") with its transfer
 * encoding removed, into a new memfd; type gets "type/subtype" (size
 * typesz).  Returns the memfd, -1 with errno ENOENT (no such part) or
 * another errno.
 */
int	 mbox_json_message(int fd, const struct mbox_rec *r, int pretty,
	    uint64_t *len);
int	 mbox_json_part(int fd, const char *id, char *type, size_t typesz,
	    uint64_t *len);

/* mbox_gmime_init: initialises GMime once (call in the worker). */
void	 mbox_gmime_init(void);

#endif
