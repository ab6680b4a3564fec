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
 * Domain key pins and envelopes between the processes (imsg types
 * 900..; ipc.h lists the ranges).  Draft 5, 6.1; immp(7) KEY REQUEST,
 * ENVELOPES; immpctl(8) key pin.
 *
 * network -> queue  IMSG_ENV_KEYPIN_CHECK  ipc_keypin_check: the keys a
 *                   peer published with KEY REQUEST (or none); the queue
 *                   compares them with the pin store (keypins.db, beside
 *                   the TLS pins) and answers
 * queue -> network  IMSG_ENV_KEYPIN_RESULT ipc_keypin_result.
 *
 * Envelopes on the wire (immp(7) ENVELOPES, RELAY; envelope_out.c,
 * envelope_in.c, immp-lookup/envelope.c):
 * network -> lookup IMSG_ENV_MAKE     ipc_env_make: sign and seal the
 *                   envelope of one relayed message
 * lookup -> network IMSG_ENV_MADE     ipc_env_made, with a memfd holding
 *                   the envelope's canonical JSON when result is IPC_OK
 * network -> queue  IMSG_ENV_PIN_GET  ipc_env_pin_get: the pinned keys of
 *                   a message's origin domain
 * queue -> network  IMSG_ENV_PIN      ipc_keypin_result (state MATCH: a
 *                   pin, NONE: none, ERROR)
 * network -> lookup IMSG_ENV_CHECK    ipc_env_check, with a memfd holding
 *                   the envelope as received
 * lookup -> network IMSG_ENV_CHECKED  ipc_env_checked: the verdict and
 *                   the opened inner envelope.
 */
#ifndef IMMP_IPC_ENV_H
#define IMMP_IPC_ENV_H

#include <stdint.h>

#include "ipc.h"

enum {
	IMSG_ENV_KEYPIN_CHECK = 900,
	IMSG_ENV_KEYPIN_RESULT,
	IMSG_ENV_MAKE,
	IMSG_ENV_MADE,
	IMSG_ENV_PIN_GET,
	IMSG_ENV_PIN,
	IMSG_ENV_CHECK,
	IMSG_ENV_CHECKED,
};

#define IPC_ENV_RCPTS	64	/* ENV_INNER_RCPT_MAX */
#define IPC_ENV_ADDR	512	/* ENV_ADDR_MAX */

/* Outcome of a key pin check (keypins.h keypin_decide). */
enum ipc_keypin_state {
	KEYPIN_MATCH = 1,	/* a published generation is the pinned one */
	KEYPIN_NEW,		/* nothing pinned: the current one is now */
	KEYPIN_ROLLOVER,	/* signed by the pinned one: pin moved on */
	KEYPIN_MISMATCH,	/* unannounced change: refused */
	KEYPIN_NONE,		/* no keys published, none pinned */
	KEYPIN_GONE,		/* no keys published, but one is pinned */
	KEYPIN_ERROR,		/* pin store unusable */
};

/*
 * have == 0: the peer answered 460/461 (view is zeroed); else view is
 * the checked KEY REQUEST reply (envelope_keys.h) for domain.
 */
struct ipc_keypin_check {
	uint64_t		reqid;
	int32_t			have;
	char			domain[IPC_DOMAIN_MAX];	/* lower */
	struct ipc_key_result	view;
};

/*
 * state: enum ipc_keypin_state.  With MATCH, NEW or ROLLOVER, the keys
 * to use now: the pinned generation's (after a rollover, the new one).
 */
struct ipc_keypin_result {
	uint64_t	reqid;
	int32_t		state;
	uint8_t		fp[32];
	uint8_t		sign_pk[32];
	uint8_t		seal_pk[32];
};

/*
 * origin: the sending domain (ours, lower case), whose current key
 * generation signs; destination: the peer's domain, seal_pk its pinned
 * sealing key; digest: content-sha256 of the parts as relayed; the inner
 * envelope's sender ("" for a bounce), flags (MSGF_*) and recipients.
 */
struct ipc_env_make {
	uint64_t	reqid;
	char		origin[IPC_DOMAIN_MAX];
	char		destination[IPC_DOMAIN_MAX];
	uint8_t		digest[32];
	uint8_t		seal_pk[32];
	char		sender[IPC_ENV_ADDR];
	uint32_t	flags;
	uint32_t	nrcpt;		/* 1..IPC_ENV_RCPTS */
	char		rcpt[IPC_ENV_RCPTS][IPC_ENV_ADDR];
};

/* result: IPC_OK (memfd attached), IPC_FAIL (cannot be made), TEMPFAIL. */
struct ipc_env_made {
	uint64_t	reqid;
	int32_t		result;
	char		reason[IPC_REASON_MAX];
};

struct ipc_env_pin_get {
	uint64_t	reqid;
	char		domain[IPC_DOMAIN_MAX];	/* lower */
};

/*
 * The envelope (memfd) received in a Remote session of origin for our
 * domain destination, the digest of the content as received, and the
 * origin's pinned keys.
 */
struct ipc_env_check {
	uint64_t	reqid;
	char		origin[IPC_DOMAIN_MAX];
	char		destination[IPC_DOMAIN_MAX];
	uint8_t		digest[32];
	uint8_t		fp[32];
	uint8_t		sign_pk[32];
};

/*
 * result: IPC_OK, IPC_FAIL (reason: the verdict's word, env_verdict_name
 * or "malformed"), IPC_TEMPFAIL.  With IPC_OK the inner envelope: sender,
 * flags, recipients; and for the record the origin's timestamp and the
 * number of relays (received-via).
 */
struct ipc_env_checked {
	uint64_t	reqid;
	int32_t		result;
	char		reason[IPC_REASON_MAX];
	int64_t		timestamp;
	uint32_t	nvia;
	uint32_t	flags;
	char		sender[IPC_ENV_ADDR];
	uint32_t	nrcpt;
	char		rcpt[IPC_ENV_RCPTS][IPC_ENV_ADDR];
};

#endif
