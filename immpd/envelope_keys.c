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
 * KEY REQUEST replies read by an outbound session (envelope_keys.h).
 * The fields are picked out of the words of each line; the line is then
 * written again from them with keyview_line, the server's own writer,
 * and must come out identical: every item has exactly one form.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ipc.h"
#include "keyfile.h"
#include "util.h"
#include "envelope_keys.h"

#define EK_WORDS	8

static int	 hex32(const char *, uint8_t *);
static int	 num(const char *, int64_t, int64_t *);
static int	 item(struct envkeys *, size_t, char *);
static enum ek_status fail(struct envkeys *, const char *);

void
envkeys_init(struct envkeys *k, const char *domain)
{
	memset(k, 0, sizeof(*k));
	(void)strlcpy(k->domain, domain, sizeof(k->domain));
}

static enum ek_status
fail(struct envkeys *k, const char *why)
{
	(void)strlcpy(k->err, why, sizeof(k->err));
	memset(&k->view, 0, sizeof(k->view));
	k->failed = 1;
	return (EK_ERROR);
}

/* Exactly 64 lower-case hex digits into out[32]. */
static int
hex32(const char *s, uint8_t *out)
{
	size_t	 i, len;

	if (strlen(s) != 64)
		return (-1);
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (-1);
	return (sodium_hex2bin(out, 32, s, 64, NULL, &len, NULL) == 0 &&
	    len == 32 ? 0 : -1);
}

/* A decimal number 0..max (the re-written line checks its form). */
static int
num(const char *s, int64_t max, int64_t *out)
{
	int64_t	 v = 0;

	if (*s == '\0' || strlen(s) > 19)
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return (0);
}

/* Line i (from 0) of the 261 reply into k->view; line is modified. */
static int
item(struct envkeys *k, size_t i, char *line)
{
	struct ipc_key_result	*v = &k->view;
	struct ipc_key_gen	*g;
	char			*w[EK_WORDS], *p, *save = NULL;
	size_t			 n = 0;
	int64_t			 gen, t1, t2, prev;

	for (p = strtok_r(line, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		if (n == EK_WORDS)
			return (-1);
		w[n++] = p;
	}
	if (n < 4 || num(w[1], UINT32_MAX, &gen) == -1 || gen == 0)
		return (-1);
	if (strcmp(w[0], "rollover") == 0) {
		if (n != 5 || i != 3 * (size_t)v->ngen || v->ngen == 0 ||
		    num(w[2], UINT32_MAX, &prev) == -1 ||
		    hex32(w[3], v->rollover_prev_fp) == -1 ||
		    b64_decode(w[4], v->rollover_sig, 64) != 64)
			return (-1);
		v->rollover = 1;
		v->rollover_gen = (uint32_t)gen;
		v->rollover_prev = (uint32_t)prev;
		return (0);
	}
	if (i / 3 >= IPC_KEY_GENS)
		return (-1);
	g = &v->gen[i / 3];
	switch (i % 3) {
	case 0:
		if (n != 4 || strcmp(w[0], "key") != 0 ||
		    hex32(w[3], g->fp) == -1)
			return (-1);
		if (strcmp(w[2], "current") == 0 && i == 0)
			g->role = IPC_KEY_CURRENT;
		else if (strcmp(w[2], "next") == 0 && i == 3)
			g->role = IPC_KEY_NEXT;
		else
			return (-1);
		g->gen = (uint32_t)gen;
		v->ngen = (uint32_t)(i / 3 + 1);
		return (0);
	case 1:
		if (n != 6 || strcmp(w[0], "sign") != 0 ||
		    strcmp(w[2], "ed25519") != 0 ||
		    b64_decode(w[3], g->sign_pk, 32) != 32)
			return (-1);
		break;
	default:
		if (n != 6 || strcmp(w[0], "seal") != 0 ||
		    strcmp(w[2], "x25519") != 0 ||
		    b64_decode(w[3], g->seal_pk, 32) != 32)
			return (-1);
		break;
	}
	if ((uint32_t)gen != g->gen ||
	    num(w[4], KEY_TIME_MAX, &t1) == -1 ||
	    (strcmp(w[5], "-") != 0 && num(w[5], KEY_TIME_MAX, &t2) == -1))
		return (-1);
	if (strcmp(w[5], "-") == 0)
		t2 = 0;
	if (i % 3 == 1) {
		g->created = t1;
		g->not_after = t2;
	} else if (g->created != t1 || g->not_after != t2)
		return (-1);
	return (0);
}

enum ek_status
envkeys_line(struct envkeys *k, int code, int more, const char *text)
{
	char		 want[EK_LINE_MAX + 128], buf[EK_LINE_MAX];
	uint8_t		 fp[32];
	const char	*p;
	size_t		 i, n;

	if (k->failed)
		return (EK_ERROR);
	if (code == 460 || code == 461)
		return (EK_NOKEYS);
	if (!k->got260) {
		if (code != 260 || more)
			return (fail(k, "no 260 reply"));
		n = (size_t)snprintf(want, sizeof(want),
		    "Public keys for %s (fingerprint ", k->domain);
		if (strncmp(text, want, n) != 0)
			return (fail(k, "260 for another domain"));
		p = text + n;
		if (strlen(p) != 66 || strcmp(p + 64, "):") != 0)
			return (fail(k, "bad 260 line"));
		(void)strlcpy(buf, p, 65);
		if (hex32(buf, k->fp260) == -1)
			return (fail(k, "bad 260 fingerprint"));
		k->got260 = 1;
		return (EK_MORE);
	}
	if (code != 261)
		return (fail(k, "no 261 reply"));
	if (more) {
		if (k->nlines >= EK_LINES - 1 ||
		    strlcpy(k->lines[k->nlines], text, EK_LINE_MAX) >=
		    EK_LINE_MAX)
			return (fail(k, "too many or too long key lines"));
		k->nlines++;
		return (EK_MORE);
	}
	(void)snprintf(want, sizeof(want), "End of keys for %s.", k->domain);
	if (strcmp(text, want) != 0)
		return (fail(k, "bad last 261 line"));
	memset(&k->view, 0, sizeof(k->view));
	for (i = 0; i < k->nlines; i++) {
		(void)strlcpy(buf, k->lines[i], sizeof(buf));
		if (item(k, i, buf) == -1)
			return (fail(k, "malformed key line"));
	}
	if (k->view.ngen == 0 ||
	    k->nlines != 3 * (size_t)k->view.ngen + (k->view.rollover ? 1 : 0))
		return (fail(k, "incomplete key lines"));
	for (i = 0; i < k->nlines; i++)
		if (keyview_line(&k->view, i, buf, sizeof(buf)) != 1 ||
		    strcmp(buf, k->lines[i]) != 0)
			return (fail(k, "key line not in its one form"));
	for (i = 0; i < k->view.ngen; i++) {
		key_fingerprint(k->view.gen[i].sign_pk,
		    k->view.gen[i].seal_pk, fp);
		if (sodium_memcmp(fp, k->view.gen[i].fp, 32) != 0)
			return (fail(k, "fingerprint does not match the keys"));
	}
	if (memcmp(k->fp260, k->view.gen[0].fp, 32) != 0)
		return (fail(k, "260 fingerprint is not the current one"));
	(void)strlcpy(k->view.domain, k->domain, sizeof(k->view.domain));
	k->view.result = IPC_OK;
	return (EK_DONE);
}
