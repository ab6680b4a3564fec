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
 *   incoming/<uuid>       spool file being received
 *   incoming/<uuid>.env   envelope being written (commit, rewrite)
 *   queue/<uuid>.msg      committed spool file
 *   queue/<uuid>.env      envelope; its presence is the commit point
 *   corrupt/              files that failed to load at start-up
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

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define ENV_MAX_RCPT	100
#define ENV_FILE_MAX	(64 * 1024)

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
};

struct store {
	int	root;		/* queue directory */
	int	incoming;
	int	queue;
	int	corrupt;
};

/*
 * store_account_valid: 1 if s is "local@domain" (local: 1..64 of
 * [A-Za-z0-9._-], no leading, trailing or doubled '.'; domain: LDH
 * labels of 1..63 octets, no label starting or ending with '-', at
 * most 253 octets; IMID grammar, immp(7)), else 0.
 * store_folder_valid: 1 if s is an IMID folder (1..64 of
 * [A-Za-z0-9._-], not "." or ".."), else 0.
 * store_peer_valid: 1 if s is 0..63 of [0-9A-Za-z.:_%-], else 0.
 */
int	 store_account_valid(const char *s);
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
 * store_open: creates path and incoming/, queue/, corrupt/ below it
 * (mode 0700) as needed and opens the directory descriptors into *st.
 * Returns 0 or -1 with errno.
 */
int	 store_open(const char *path, struct store *st);

/*
 * store_create: makes a new incoming/<uuid> (O_EXCL, mode 0600) with a
 * fresh random UUID written into uuid[IPC_UUID_MAX]; returns its
 * read-write descriptor, or -1 with errno.
 */
int	 store_create(struct store *st, char *uuid);

/*
 * store_discard: removes incoming/<uuid> and incoming/<uuid>.env, and
 * queue/<uuid>.env and queue/<uuid>.msg if commit is set (undoing a
 * failed commit: the .env goes first).  Missing files are not errors.
 */
void	 store_discard(struct store *st, const char *uuid, int commit);

/*
 * store_write_env: writes env into incoming/<uuid>.env (replacing a
 * leftover) and fsyncs it.  Returns 0 or -1 with errno.
 */
int	 store_write_env(struct store *st, const struct envelope *env);

/*
 * store_update: atomically replaces queue/<uuid>.env with env: written
 * and fsynced as incoming/<uuid>.env, then renamed.  Returns 0 or -1.
 */
int	 store_update(struct store *st, const struct envelope *env);

/*
 * store_remove: removes a finished message: queue/<uuid>.env first (the
 * commit point), then queue/<uuid>.msg.  Returns 0 or -1 (logged).
 */
int	 store_remove(struct store *st, const char *uuid);

/* store_open_msg: read-only descriptor of queue/<uuid>.msg, or -1. */
int	 store_open_msg(struct store *st, const char *uuid);

/*
 * store_recover: start-up recovery.  Empties incoming/; loads every
 * queue/<uuid>.env whose .msg exists and passes a strict spool check,
 * calling cb for each (cb takes over env->rcpt); moves anything that
 * fails to corrupt/ (logged, never fatal); removes a .msg without .env.
 * Returns the number of messages loaded, or -1 if a directory cannot be
 * read.
 */
int	 store_recover(struct store *st,
	    void (*cb)(struct envelope *env, void *arg), void *arg);

#endif
