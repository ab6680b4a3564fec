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
 * Domain key pins (draft 6.1; immp(7) KEY REQUEST, DOMAIN KEYS;
 * immpctl(8) key pin): the keys a peer domain published, remembered on
 * first contact in keypins.db, a table (immpd-tables(5)) beside the TLS
 * pins, written by the queue and by immpctl.  Each entry is
 *	<domain>	<fp hex> <sign key base64> <seal key base64>
 * and "!" <domain> holds the keys last seen in a mismatch.
 */
#ifndef IMMP_QUEUE_KEYPINS_H
#define IMMP_QUEUE_KEYPINS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"

#define KEYPIN_VALUE_MAX	160	/* a table value, incl. NUL */
#define KEYPIN_PENDING		"!"	/* key prefix: last mismatch */

struct keypin {
	uint8_t	 fp[32];
	uint8_t	 sign_pk[32];
	uint8_t	 seal_pk[32];
};

/*
 * keypin_decide: compares what domain published (view, checked by the
 * network process: envelope_keys.h) with the pinned keys (NULL: none).
 * have == 0 means nothing was published.  Returns an ipc_keypin_state:
 * KEYPIN_NONE or KEYPIN_GONE without keys; KEYPIN_NEW (*use: the
 * current generation) without a pin; KEYPIN_MATCH (*use: the pinned
 * generation) if a published generation has the pinned fingerprint;
 * KEYPIN_ROLLOVER (*use: the new generation) if the published rollover
 * line names the pinned fingerprint as the previous one and its
 * signature verifies with the pinned signing key over
 * keyset_rollover_msg; else KEYPIN_MISMATCH (*use: the current
 * generation, for "key pin accept").  A generation whose fingerprint
 * does not match its keys makes it KEYPIN_MISMATCH.
 */
int	 keypin_decide(const char *domain, const struct keypin *pinned,
	    int have, const struct ipc_key_result *view, struct keypin *use);

/*
 * keypin_format: the table value of *k into buf (size octets, at least
 * KEYPIN_VALUE_MAX); returns its length.  keypin_parse: the reverse for
 * the NUL-terminated s; 0, or -1 unless s is exactly that form and the
 * fingerprint matches the keys.
 */
int	 keypin_format(const struct keypin *k, char *buf, size_t size);
int	 keypin_parse(const char *s, struct keypin *k);

/*
 * keypins_path: the path of the key pin store into buf (size octets):
 * keypins.db in the directory of the TLS pin store (conf_pins_path).
 */
void	 keypins_path(struct immpd_conf *conf, char *buf, size_t size);

/*
 * keypins_check: keypin_decide against the store at path, read afresh,
 * and the store updated: a new pin added, a rollover recorded, the keys
 * of a mismatch kept under KEYPIN_PENDING domain.  Returns the state
 * (KEYPIN_ERROR if the store cannot be read or written; logged).
 */
int	 keypins_check(const char *path, const char *domain, int have,
	    const struct ipc_key_result *view, struct keypin *use);

/*
 * keypins_init: the queue's side (store path relative to the chroot if
 * chrooted, replies to net).  keypins_imsg: handles
 * IMSG_ENV_KEYPIN_CHECK and IMSG_ENV_PIN_GET (the pin an arriving
 * envelope is checked against: KEYPIN_MATCH with the keys, KEYPIN_NONE,
 * or KEYPIN_ERROR) (ipc_env.h); a malformed one is fatal.
 */
void	 keypins_init(struct immpd_conf *conf, struct imsgev *net,
	    int chrooted);
void	 keypins_imsg(struct imsg *imsg);

#endif
