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
 * Envelopes in immp-lookup, envelope.c (draft 5.1, 5.3, 6.1; immp(7) ENVELOPES,
 * RELAY; ipc_env.h): the only process that holds the secret domain
 * keys "<keys>/<domain>.key" signs the outer envelope of every message
 * relayed from one of its domains (IMSG_ENV_MAKE) and checks the
 * envelopes that arrive for its domains, opening the sealed inner
 * envelope (IMSG_ENV_CHECK), with a table of the envelope ids seen in
 * the last ENVELOPE_WINDOW seconds against replay.
 *
 * The secret key files are read at start-up, before the sandbox, and
 * again on every request when they are readable then (an unprivileged
 * run, or a file owned by the immpd user), so a rollover takes effect;
 * otherwise the keys read at start-up are used.
 */
#ifndef IMMP_LKA_ENVELOPE_H
#define IMMP_LKA_ENVELOPE_H

#define ENVELOPE_WINDOW		900	/* seconds either way, immp(7) */
#define ENVELOPE_REPLAY_MAX	100000	/* ids remembered at most */

struct immpd_conf;
struct imsgev;
struct imsg;

/*
 * envelope_init: reads the secret keys of every domain of conf (not
 * owned, must outlive the module); net is the channel the answers go
 * to.  A missing or bad file is logged; that domain then neither signs
 * nor opens envelopes.  Exits (fatal) only when out of memory.
 */
void	 envelope_init(struct immpd_conf *conf, struct imsgev *net);

/*
 * envelope_dispatch: handles IMSG_ENV_MAKE and IMSG_ENV_CHECK from the
 * network process (the latter with its memfd, which it closes) and
 * answers with IMSG_ENV_MADE / IMSG_ENV_CHECKED.  Returns 1 if imsg was
 * one of those, else 0 (imsg untouched).  A malformed request is fatal
 * (the network process is trusted).
 */
int	 envelope_dispatch(struct imsg *imsg);

/* envelope_shutdown: wipes the secret keys and frees the replay table. */
void	 envelope_shutdown(void);

#endif
