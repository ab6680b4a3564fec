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
 * The pure parsers of the MBOX commands (draft 3.2, 7.3.3, 8.5; immp(7)
 * MAILBOXES, MBOX), apart from the session so that they can be tested
 * and fuzzed alone (regress/fuzz/fuzz_mbox_ref.c).
 *
 *   ref        = [ mailbox-id ] path [ "#" uuid ]
 *   mailbox-id = [ shared "/" ] local "@" domain
 *   path       = "/" seg *( "/" seg )      at most 8 segs, 200 octets
 *   seg        = 1*64( ALPHA / DIGIT / "_" / "-" )
 *   uuid       = 8-4-4-4-12 lower-case hex
 */
#ifndef IMMPD_MBOX_PARSE_H
#define IMMPD_MBOX_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "ipc_mbox.h"

#define PATH_MAXLEN	200	/* octets of a path */
#define PATH_MAXSEGS	8	/* segments of a path */
#define SEG_MAXLEN	64	/* octets of a segment */

/* A parse error: the reply code and its text (a static string). */
struct mbox_perr {
	int		 code;
	const char	*text;
};

/* A parsed ref. */
struct mbox_ref {
	char	 mailbox[IPC_ACCOUNT_MAX];	/* "" own mailbox */
	char	 folder[IPC_FOLDER_MAX];	/* canonical path */
	char	 uuid[IPC_UUID_MAX];		/* "" none */
};

/* What a ref may hold (the how of mbox_ref_parse). */
#define MBOX_REF_UUID	0x01	/* "#uuid" required */
#define MBOX_REF_NOUUID	0x02	/* "#uuid" refused */
#define MBOX_REF_ROOT	0x04	/* "/" alone allowed (+RECURSIVE) */
#define MBOX_REF_NOID	0x08	/* no mailbox-id (second operands) */

/*
 * mbox_path_parse: the path p[0..len) (no NUL needed) into out (outsz
 * octets, NUL-terminated) in canonical form: a first segment "INBOX",
 * "Drafts", "Sent" or "Junk" in any case becomes that spelling.  root:
 * "/" alone is allowed.  Returns 0, or -1 for an invalid name (out then
 * undefined).  Draft 3.2 (folder names), immp(7) MAILBOXES.
 */
int	 mbox_path_parse(const char *p, size_t len, char *out, size_t outsz,
	    int root);

/*
 * mbox_uuid_valid: 1 if s[0..len) is a lower-case 8-4-4-4-12 UUID,
 * else 0.  Draft 3.2 (message references).
 */
int	 mbox_uuid_valid(const char *s, size_t len);

/*
 * mbox_ref_parse: parses the NUL-terminated ref w of the session whose
 * canonical account is own into r; how: MBOX_REF_* bits.  Returns 0, or
 * -1 with *e set: 400 (bad uuid, uuid missing or not allowed, bad
 * mailbox id), 444 (invalid folder name), 445 (another account's
 * mailbox).  Draft 3.2, 7.3.3; immp(7) MBOX.
 */
int	 mbox_ref_parse(const char *own, const char *w, int how,
	    struct mbox_ref *r, struct mbox_perr *e);

/*
 * mbox_num_parse: the NUL-terminated decimal w (no sign, no leading
 * zero) into *out if it lies in min..max.  Returns 0, or -1 (*out
 * untouched).  immp(7) MBOX INDEX.
 */
int	 mbox_num_parse(const char *w, uint64_t min, uint64_t max,
	    uint64_t *out);

/*
 * mbox_part_valid: 1 if the NUL-terminated w is a PART id, numbers
 * 1..9999 joined by "." ("1", "2.1"), shorter than IPC_MBOX_PART_MAX;
 * else 0.  immp(7) MBOX FETCH.
 */
int	 mbox_part_valid(const char *w);

#endif
