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
 * The on-disk queue (DESIGN §4, immpd(8) QUEUE): directories under the
 * queue directory, and the envelope file.
 *
 *   pool/<n>              files kept for reuse, contents meaningless,
 *                         and spool files being received
 *   queue/<uuid>.msg      committed spool file
 *   queue/<uuid>.env      its envelope
 *   journal/<seq>         commit journal (journal.h): the commit point
 *   incoming/             emptied at start-up, otherwise unused
 *   corrupt/              files that failed to load at start-up
 *
 * A message is committed when its journal record is durable; its files
 * in queue/ are then written without synchronisation and checked
 * against the journal after a crash (journal.h).  A message whose
 * journal segment is retired has durable files of its own: its .msg and
 * .env were fsynced, and queue/ with them, before the segment went.
 *
 * Files are recycled through pool/ instead of being created and
 * removed for every message: a removed file is renamed into pool/, and
 * a new spool or envelope file is a pool file, cut down, written, and
 * renamed into place.  This spares the file system an inode allocation
 * and release per file.  Pool files are not trusted: the digest in the
 * envelope and the journal tell whether a queue file is right.
 *
 * Everything is reached through directory descriptors opened before the
 * privilege drop (the process is then chrooted into the queue dir).
 *
 * Envelope file: US-ASCII, lines "key=value" each ended by LF, at most
 * ENV_FILE_MAX octets.  Keys, each exactly once and in any order:
 *   version=1
 *   uuid=<lower-case 8-4-4-4-12 UUID, equal to the file name>
 *   accepted=<Unix time of the 273>
 *   sender=<account>          local@domain
 *   peer=<client address>     [0-9A-Za-z.:_%-]{0,63}
 *   flags=<MSGF_* bits, decimal>
 *   size=<spool file octets>
 *   bounce=<0|1>              1: a bounce, never bounced itself
 *   nrcpt=<n>                 1..ENV_MAX_RCPT, number of rcpt lines
 * at most once (written for every new message, checked when present):
 *   digest=<64 lower-case hex digits: BLAKE2b-256 of the spool file>
 * and nrcpt lines (the only repeated key)
 *   rcpt=<account> <folder> <state> <tries> <next>
 * folder "." is the INBOX, otherwise an IMID folder name; state is
 * "pending", "done" or "failed"; tries the attempts so far; next the
 * Unix time of the next attempt.  Numbers are decimal without sign or
 * leading zeros.  Anything else (unknown or duplicate key, CR, NUL,
 * control character, missing final LF, empty line) is refused.
 */
#ifndef IMMP_QUEUE_STORE_H
#define IMMP_QUEUE_STORE_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define ENV_MAX_RCPT	100
#define ENV_FILE_MAX	(64 * 1024)
#define ENV_DIGEST_LEN	32
#define POOL_MAX	1024		/* files kept in pool/ */
#define POOL_PREFILL	256		/* created at start-up */
#define POOL_FILE_MAX	(1024 * 1024)	/* larger ones are removed */

enum rcpt_state {
	RCPT_PENDING,
	RCPT_DONE,
	RCPT_FAILED,
};

struct env_rcpt {
	char		account[IPC_ACCOUNT_MAX];
	char		folder[IPC_FOLDER_MAX];	/* "" = INBOX */
	enum rcpt_state	state;
	uint32_t	tries;
	int64_t		next;
};

struct envelope {
	char		 uuid[IPC_UUID_MAX];
	char		 sender[IPC_ACCOUNT_MAX];
	char		 peer[IPC_ADDR_MAX];
	int64_t		 accepted;
	uint32_t	 flags;
	uint64_t	 size;
	int		 bounce;
	int		 nrcpt;
	struct env_rcpt	*rcpt;		/* nrcpt entries, malloc'ed */
	int		 has_digest;
	uint8_t		 digest[ENV_DIGEST_LEN];
	/* In memory only: the journal segment holding the commit record
	 * (0: none, the files are durable by themselves) and its slot. */
	uint64_t	 jseq;
	uint32_t	 jslot;
};

struct store {
	int		 root;		/* queue directory */
	int		 incoming;
	int		 queue;
	int		 corrupt;
	int		 journal;
	int		 pool;
	uint64_t	 pool_next;	/* next unused pool file number */
	uint64_t	*pool_free;	/* numbers of the files in pool/ */
	size_t		 pool_nfree;
};

/*
 * store_account_valid: 1 if s is "local@domain" (local: 1..64 of
 * [A-Za-z0-9._-], no leading, trailing or doubled '.'; domain: LDH
 * labels of 1..63 octets, no label starting or ending with '-', at
 * most 253 octets; IMID grammar, immp(7)), else 0.
 * store_rcpt_valid: 1 if s is a valid account, or "@domain" (the
 * subscribers of a push's node at that domain, ipc_push.h; only in a
 * push), else 0.
 * store_folder_valid: 1 if s is an IMID folder (1..64 of
 * [A-Za-z0-9._-], not "." or ".."), else 0.
 * store_peer_valid: 1 if s is 0..63 of [0-9A-Za-z.:_%-], else 0.
 */
int	 store_account_valid(const char *s);
int	 store_rcpt_valid(const char *s);
int	 store_folder_valid(const char *s);
int	 store_peer_valid(const char *s);

/*
 * env_format: writes env as an envelope file into a malloc'ed buffer
 * *out of *outlen octets (caller frees).  Refuses (EINVAL) an envelope
 * whose fields would not parse back.  Returns 0 or -1 with errno.
 */
int	 env_format(const struct envelope *env, char **out, size_t *outlen);

/*
 * env_parse: parses buf[0..len) strictly (format above) into *env
 * (env->rcpt malloc'ed; free with env_free).  Returns 0, or -1 with
 * errno EBADMSG (and *errstr a short static reason) or ENOMEM.
 */
int	 env_parse(const char *buf, size_t len, struct envelope *env,
	    const char **errstr);

/* env_free: frees env->rcpt; env may then be reused. */
void	 env_free(struct envelope *env);

/*
 * store_open: creates path and incoming/, queue/, journal/, pool/,
 * corrupt/ below it (mode 0700) as needed, opens the directory
 * descriptors into *st and takes stock of pool/ (anything there that is
 * not a regular file with a decimal name is removed), filling it up to
 * POOL_PREFILL files.  Returns 0 or -1
 * with errno.
 */
int	 store_open(const char *path, struct store *st);

/*
 * store_opendir: a directory stream over a duplicate of dirfd (one of
 * the store's directory descriptors), positioned at the first entry.
 * Returns NULL with errno set.  The caller closedir()s the stream;
 * dirfd stays open and usable.
 */
DIR	*store_opendir(int dirfd);

/*
 * store_pool_take: a file for new contents, to be written from offset
 * 0: a pool file (*n its number) cut down to at most one octet, or,
 * when the pool is empty, a new, empty one created as pool/<*n>.  The
 * file stays pool/<*n> but is no longer free.  Returns its read-write
 * descriptor (offset 0), or -1 with errno.
 * store_pool_place: renames the taken pool file n to dirfd/name
 * (replacing an existing file only if replace is set).  0 or -1.
 * store_pool_release: gives the taken pool file n back (or removes it
 * when the pool is full).
 * store_pool_put: moves dirfd/name into pool/ (or removes it when the
 * pool is full, it is not a regular file, or it is larger than
 * POOL_FILE_MAX).  A missing file is not an error; other errors are
 * logged.
 * store_pool_name: "<n>" into buf (size >= 21).
 */
int	 store_pool_take(struct store *st, uint64_t *n);
int	 store_pool_place(struct store *st, uint64_t n, int dirfd,
	    const char *name, int replace);
void	 store_pool_release(struct store *st, uint64_t n);
void	 store_pool_put(struct store *st, int dirfd, const char *name);
void	 store_pool_name(uint64_t n, char *buf, size_t size);

/*
 * store_create: a new spool file: a taken pool file (*n, see
 * store_pool_take; it holds at most one octet, to be overwritten: the
 * spool writer starts at offset 0, spool.h) and a fresh random UUID
 * written into uuid[IPC_UUID_MAX].  Returns its read-write descriptor,
 * or -1 with errno.  At commit it becomes queue/<uuid>.msg
 * (store_pool_place); a message given up before is released
 * (store_pool_release).
 */
int	 store_create(struct store *st, char *uuid, uint64_t *n);

/*
 * store_discard: moves queue/<uuid>.env and queue/<uuid>.msg (undoing
 * a failed commit: the .env goes first) into the pool.  Missing files
 * are not errors.
 */
void	 store_discard(struct store *st, const char *uuid);

/*
 * store_put_file: writes buf[0..len) as dirfd/name, atomically
 * replacing what was there: a pool file is written, fsynced if sync is
 * set, and renamed into place.  Returns 0 or -1 with errno.
 */
int	 store_put_file(struct store *st, int dirfd, const char *name,
	    const void *buf, size_t len, int sync);

/*
 * store_update: atomically replaces queue/<uuid>.env with env, fsynced
 * if sync is set (it need not be while the journal still covers the
 * message: losing the update only repeats deliveries, which are
 * idempotent).  Returns 0 or -1.
 */
int	 store_update(struct store *st, const struct envelope *env,
	    int sync);

/*
 * store_remove: removes a finished message: queue/<uuid>.env first,
 * then queue/<uuid>.msg, both into the pool.  Returns 0 or -1 (logged).
 */
int	 store_remove(struct store *st, const char *uuid);

/* store_open_msg: read-only descriptor of queue/<uuid>.msg, or -1. */
int	 store_open_msg(struct store *st, const char *uuid);

/*
 * store_digest: BLAKE2b-256 of the first size octets of fd (read with
 * pread; the file must have exactly size octets) into out.  0, or -1
 * with errno (EBADMSG: the file is shorter or longer).
 */
int	 store_digest(int fd, uint64_t size, uint8_t out[ENV_DIGEST_LEN]);

/*
 * store_read_file: reads the regular file dirfd/name of at most max
 * octets into a malloc'ed *out (*outlen octets).  0, or -1 with errno
 * (EBADMSG: not a regular file, or too large).
 */
int	 store_read_file(int dirfd, const char *name, size_t max, char **out,
	    size_t *outlen);

/*
 * store_corrupt_copy: writes buf[0..len) as corrupt/<name> (replacing
 * a leftover) for later inspection.  Errors are logged.
 */
void	 store_corrupt_copy(struct store *st, const char *name,
	    const void *buf, size_t len);

/* store_to_corrupt: moves dirfd/name into corrupt/ (logged). */
void	 store_to_corrupt(struct store *st, int dirfd, const char *name);

/*
 * store_recover: start-up recovery.  Empties incoming/; replays the
 * journal (jrnl_recover: every message it covers gets whole, durable
 * files in queue/, then the segments are removed); loads every
 * queue/<uuid>.env whose .msg exists and passes a strict spool check
 * (and the digest, when the envelope has one), calling cb for each (cb
 * takes over env->rcpt); moves anything that fails to corrupt/ (logged,
 * never fatal); removes a .msg without .env.  Sets *nextseq for the
 * journal.  Returns the number of messages loaded, or -1 if a directory
 * cannot be read or the journal cannot be replayed.
 */
int	 store_recover(struct store *st,
	    void (*cb)(struct envelope *env, void *arg), void *arg,
	    uint64_t *nextseq);

#endif
