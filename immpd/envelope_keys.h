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
 * The client side of KEY REQUEST (immp(7) KEY REQUEST, draft 6.1): the
 * reply lines of a peer read back into the published view, checked
 * against the one way each line may be written.
 */
#ifndef IMMPD_ENVELOPE_KEYS_H
#define IMMPD_ENVELOPE_KEYS_H

#include <stddef.h>

#include "ipc.h"

#define EK_LINES	8	/* 261 lines at most, the last included */
#define EK_LINE_MAX	256

enum ek_status {
	EK_MORE,	/* feed the next reply line */
	EK_DONE,	/* view complete and checked */
	EK_NOKEYS,	/* 460/461: the peer publishes no keys */
	EK_ERROR,	/* anything else: err says what */
};

struct envkeys {
	char			 domain[IPC_DOMAIN_MAX];	/* asked */
	int			 got260;
	int			 failed;	/* sticky EK_ERROR */
	uint8_t			 fp260[32];
	size_t			 nlines;
	char			 lines[EK_LINES][EK_LINE_MAX];
	struct ipc_key_result	 view;
	char			 err[128];
};

/*
 * envkeys_init: prepares *k for the reply to "KEY REQUEST <domain>"
 * (domain lower case, valid).
 * envkeys_line: feeds one reply line: its code, whether more lines of
 * the same reply follow (the "-" form) and its text.  Returns EK_MORE
 * until the last 261 line, then EK_DONE with k->view filled (result
 * IPC_OK, ngen, gen[], rollover fields) once every line was re-written
 * by keyview_line to exactly the text received, every fingerprint
 * matched its keys (key_fingerprint) and the 260 fingerprint was the
 * current generation's.  EK_NOKEYS for 460 or 461; EK_ERROR with
 * k->err for anything else (a 7xx reply included); after EK_ERROR
 * every further line gets EK_ERROR.
 */
void		envkeys_init(struct envkeys *k, const char *domain);
enum ek_status	envkeys_line(struct envkeys *k, int code, int more,
		    const char *text);

#endif
