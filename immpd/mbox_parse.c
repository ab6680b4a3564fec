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
 * The pure parsers of the MBOX commands (immpd/mbox.c, immp(7) MBOX):
 * paths, refs, UUIDs, numbers and PART ids; see mbox_parse.h.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imid.h"
#include "ipc.h"
#include "ipc_mbox.h"
#include "mbox_parse.h"

static const char *const defaults[] = { "INBOX", "Drafts", "Sent", "Junk" };

int
mbox_path_parse(const char *p, size_t len, char *out, size_t outsz, int root)
{
	size_t	 i, seg, nseg = 0, k;
	char	 c;

	if (len == 0 || len > PATH_MAXLEN || len >= outsz || p[0] != '/')
		return (-1);
	if (len == 1) {
		if (!root)
			return (-1);
		memcpy(out, "/", 2);
		return (0);
	}
	memcpy(out, p, len);
	out[len] = '\0';
	seg = 0;
	for (i = 1; i <= len; i++) {
		c = i < len ? p[i] : '/';
		if (c == '/') {
			if (seg == 0 || seg > SEG_MAXLEN)
				return (-1);
			if (++nseg > PATH_MAXSEGS)
				return (-1);
			if (nseg == 1) {
				for (k = 0; k < sizeof(defaults) /
				    sizeof(defaults[0]); k++)
					if (strlen(defaults[k]) == seg &&
					    strncasecmp(p + 1, defaults[k],
					    seg) == 0)
						memcpy(out + 1, defaults[k],
						    seg);
			}
			seg = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return (-1);
		seg++;
	}
	return (0);
}

int
mbox_uuid_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len != 36)
		return (0);
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	}
	return (1);
}

int
mbox_ref_parse(const char *own, const char *w, int how, struct mbox_ref *r,
    struct mbox_perr *e)
{
	struct imid	 id;
	const char	*at, *slash, *hash, *path, *errstr;
	char		 idbuf[IPC_ACCOUNT_MAX + 70];
	char		 account[IPC_ACCOUNT_MAX];
	size_t		 len = strlen(w), plen;

	memset(r, 0, sizeof(*r));
	hash = memchr(w, '#', len);
	if (hash != NULL) {
		if (how & MBOX_REF_NOUUID) {
			e->code = 400;
			e->text = "No message UUID allowed here.";
			return (-1);
		}
		if (!mbox_uuid_valid(hash + 1, len - (hash + 1 - w))) {
			e->code = 400;
			e->text = "Bad message UUID.";
			return (-1);
		}
		memcpy(r->uuid, hash + 1, 36);
		len = hash - w;
	} else if (how & MBOX_REF_UUID) {
		e->code = 400;
		e->text = "A message reference folder#uuid is needed.";
		return (-1);
	}

	e->code = 444;
	e->text = "Invalid folder name.";
	if (len > 0 && w[0] == '/')
		path = w;
	else {
		/* mailbox-id: up to the first "/" after the "@". */
		if ((how & MBOX_REF_NOID) ||
		    (at = memchr(w, '@', len)) == NULL ||
		    (slash = memchr(at, '/', len - (at - w))) == NULL)
			return (-1);
		if ((size_t)(slash - w) >= sizeof(idbuf) ||
		    strncasecmp(w, "imid:", 5) == 0) {
			e->code = 400;
			e->text = "Bad mailbox id.";
			return (-1);
		}
		memcpy(idbuf, w, slash - w);
		idbuf[slash - w] = '\0';
		if (imid_parse(idbuf, &id, &errstr) == -1 ||
		    id.folder[0] != '\0' || id.mailbox[0] != '\0' ||
		    id.message[0] != '\0' || id.options[0] != '\0' ||
		    imid_account(&id, account, sizeof(account)) == -1) {
			e->code = 400;
			e->text = "Bad mailbox id.";
			return (-1);
		}
		if (strcasecmp(account, own) != 0) {
			e->code = 445;
			e->text = "No access to that mailbox.";
			return (-1);
		}
		if (id.shared[0] != '\0') {
			if (snprintf(r->mailbox, sizeof(r->mailbox), "%s@%s",
			    id.shared, id.domain) >= (int)sizeof(r->mailbox)) {
				e->code = 400;
				e->text = "Bad mailbox id.";
				return (-1);
			}
		}
		path = slash;
	}
	plen = len - (path - w);
	e->code = 444;
	e->text = "Invalid folder name.";
	if (mbox_path_parse(path, plen, r->folder, sizeof(r->folder),
	    (how & MBOX_REF_ROOT) != 0) == -1)
		return (-1);
	return (0);
}

int
mbox_num_parse(const char *w, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i, len = strlen(w);

	if (len == 0 || len > 20 || (len > 1 && w[0] == '0'))
		return (-1);
	for (i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(w[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
mbox_part_valid(const char *w)
{
	size_t	 i, len = strlen(w), digits = 0;

	if (len == 0 || len >= IPC_MBOX_PART_MAX)
		return (0);
	for (i = 0; i <= len; i++) {
		if (i == len || w[i] == '.') {
			if (digits == 0 || digits > 4)
				return (0);
			digits = 0;
			continue;
		}
		if (w[i] < '0' || w[i] > '9' || (digits == 0 && w[i] == '0'))
			return (0);
		digits++;
	}
	return (1);
}
