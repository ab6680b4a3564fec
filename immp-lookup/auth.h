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
 * AUTH SECRET, server side (DESIGN §5, immp(7) AUTH SECRET): pending
 * challenges, proof verification and failure throttling in immp-lookup.
 *
 * A challenge is keyed by the network process's reqid, holds a fresh
 * server nonce n1 (24 random octets, base64) and time stamp n2, is
 * valid for AUTH_CHALLENGE_TTL seconds and is consumed by the first
 * proof for it.  Unknown accounts get a fake but stable challenge (salt
 * from an HMAC of the account under a per-process random secret,
 * default Argon2id parameters) and always fail, after the same work.
 * AUTH_THROTTLE_ADDR failures from one client address or
 * AUTH_THROTTLE_ACCOUNT for one account within AUTH_THROTTLE_WINDOW
 * seconds throttle further attempts.  Every decision is logged as
 * "auth result=ok|fail|throttled account=... addr=..."; no secret is
 * ever logged.
 */
#ifndef IMMP_LOOKUP_AUTH_H
#define IMMP_LOOKUP_AUTH_H

#include <stddef.h>
#include <time.h>

#define AUTH_CHALLENGE_TTL	60	/* seconds */
#define AUTH_THROTTLE_WINDOW	600	/* seconds */
#define AUTH_THROTTLE_ADDR	5	/* failures per client address */
#define AUTH_THROTTLE_ACCOUNT	10	/* failures per account */

struct table_db;
struct ipc_auth_begin;
struct ipc_auth_challenge;
struct ipc_auth_proof;
struct ipc_auth_result;

/*
 * auth_init: draws the per-process secret (libsodium must be
 * initialised) and remembers the users table (not owned).  At most
 * max_pending challenges are kept; beyond that the oldest is dropped.
 */
void	 auth_init(struct table_db *users, size_t max_pending);

/*
 * auth_begin: answers IMSG_LKA_AUTH_BEGIN.  req strings must already be
 * checked as NUL-terminated (ipc_check_str).  Fills *out completely:
 * result IPC_THROTTLED (no challenge is kept) or IPC_OK with n1, n2,
 * salt and the Argon2id parameters.  A pending challenge with the same
 * reqid is replaced.
 */
void	 auth_begin(const struct ipc_auth_begin *req,
	    struct ipc_auth_challenge *out);

/*
 * auth_proof: answers IMSG_LKA_AUTH_PROOF.  req->cnonce must already be
 * checked as NUL-terminated.  Consumes the challenge of req->reqid and
 * fills *out completely: IPC_OK with the canonical account and the
 * ServerSignature, or IPC_FAIL (no such challenge, expired, throttled,
 * unknown account, malformed client nonce, wrong proof).  Failures with
 * a checked proof are counted for throttling.
 */
void	 auth_proof(const struct ipc_auth_proof *req,
	    struct ipc_auth_result *out);

/*
 * auth_expire: drops challenges past their lifetime and failure records
 * older than the throttling window.  Call periodically.
 */
void	 auth_expire(void);

/* auth_shutdown: wipes and frees every challenge, record and secret. */
void	 auth_shutdown(void);

/*
 * auth_account_key: canonical table key of account into out (size
 * octets): the account with its domain (after the last '@') in lower
 * case.  Returns 0, or -1 if it does not fit.
 */
int	 auth_account_key(const char *account, char *out, size_t size);

/*
 * auth_log_safe: copies s into out (size octets) for a log line,
 * replacing every octet outside [A-Za-z0-9._+@/:-] by '?' so a value
 * that came from a client cannot forge key=value pairs.  Returns out.
 */
const char *auth_log_safe(const char *s, char *out, size_t size);

#endif
