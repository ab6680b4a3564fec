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
 * The lines of "immpctl show queue" and "show envelope" (immpctl(8)
 * OUTPUT FORMATS), written the same way by immp-queue (daemon running)
 * and by immpctl reading the spool (daemon stopped).
 */
#ifndef IMMP_QUEUE_QSHOW_H
#define IMMP_QUEUE_QSHOW_H

#include <stddef.h>

#include "store.h"

/*
 * qshow_rcpt: the "show queue" line of recipient i (0 <= i < nrcpt) of
 * env into buf (size octets, at least QSHOW_LINE_MAX):
 *   uuid=U rcpt=R state=S tries=N next=T sender=A accepted=T size=N
 *   flags=N bounce=0|1 held=0|1
 * R is local[+folder]@domain, S pending|done|failed, T Unix times.
 * Returns 0, or -1 if it does not fit.
 */
#define QSHOW_LINE_MAX	1024
int	 qshow_rcpt(const struct envelope *env, int i, int held, char *buf,
	    size_t size);

/*
 * qshow_envelope: calls cb once per line (NUL-terminated, no LF) of the
 * "show envelope" answer: the envelope file lines of env (store.h, as
 * env_format writes them), then "held=0|1".  Returns 0, or -1 with
 * errno if the envelope cannot be formatted.
 */
int	 qshow_envelope(const struct envelope *env, int held,
	    void (*cb)(const char *line, void *arg), void *arg);

#endif
