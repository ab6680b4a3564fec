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


/* Index record codecs, Maildir names and folder paths (mbox_index.h). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ipc_mbox.h"
#include "mbox_index.h"
#include "util.h"

#define REC_VERSION	1
#define META_VERSION	1
#define PATH_SEGS_MAX	8
#define PATH_LEN_MAX	200
#define SEG_LEN_MAX	64

static const char *const default_folders[] = {
	"INBOX", "Drafts", "Sent", "Junk", NULL
};

/* Flag letters in ASCII order, as Maildir wants them. */
static const struct {
	char		letter;
	uint32_t	flag;
} letters[] = {
	{ 'D', MBOX_FLAG_DRAFT },
	{ 'F', MBOX_FLAG_FLAGGED },
	{ 'R', MBOX_FLAG_ANSWERED },
	{ 'S', MBOX_FLAG_SEEN },
	{ 'T', MBOX_FLAG_DELETED },
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Appends string s with a 2-octet length; -1 if it does not fit. */
static int
put_str(uint8_t *buf, size_t size, size_t *off, const char *s)
{
	size_t	len = strlen(s);

	if (len > 0xffff || size - *off < 2 || size - *off - 2 < len)
		return -1;
	buf[*off] = len >> 8;
	buf[*off + 1] = len & 0xff;
	memcpy(buf + *off + 2, s, len);
	*off += 2 + len;
	return 0;
}

/* Reads a string into dst (size); -1 if short, too long or with NUL. */
static int
get_str(const uint8_t *buf, size_t len, size_t *off, char *dst, size_t size)
{
	size_t	n;

	if (len - *off < 2)
		return -1;
	n = (size_t)buf[*off] << 8 | buf[*off + 1];
	*off += 2;
	if (len - *off < n || n >= size || memchr(buf + *off, '\0', n) != NULL)
		return -1;
	memcpy(dst, buf + *off, n);
	dst[n] = '\0';
	*off += n;
	return 0;
}

#define REC_FIXED	(1 + 4 + 4 + 1 + 8 + 8 + 8)

size_t
mbox_rec_encode(const struct mbox_rec *r, uint8_t *buf, size_t size)
{
	size_t	off = REC_FIXED;

	if (size < REC_FIXED)
		return 0;
	buf[0] = REC_VERSION;
	put32(buf + 1, r->uid);
	put32(buf + 5, r->flags);
	buf[9] = (uint8_t)r->where;
	put64(buf + 10, r->modseq);
	put64(buf + 18, r->size);
	put64(buf + 26, (uint64_t)r->date);
	if (put_str(buf, size, &off, r->uuid) == -1 ||
	    put_str(buf, size, &off, r->base) == -1 ||
	    put_str(buf, size, &off, r->xinfo) == -1 ||
	    put_str(buf, size, &off, r->kw) == -1 ||
	    put_str(buf, size, &off, r->from) == -1 ||
	    put_str(buf, size, &off, r->subject) == -1)
		return 0;
	return off;
}

int
mbox_rec_decode(const uint8_t *buf, size_t len, struct mbox_rec *r)
{
	char		base[MBOX_NAME_MAX], xinfo[MBOX_XINFO_MAX];
	uint32_t	flags;
	size_t		off = REC_FIXED, i;

	memset(r, 0, sizeof(*r));
	if (len < REC_FIXED || buf[0] != REC_VERSION)
		return -1;
	r->uid = get32(buf + 1);
	r->flags = get32(buf + 5);
	r->where = buf[9];
	r->modseq = get64(buf + 10);
	r->size = get64(buf + 18);
	r->date = (int64_t)get64(buf + 26);
	if (r->uid == 0 || (r->flags & ~0x1fU) != 0 || r->where > MBOX_IN_NEW)
		return -1;
	if (get_str(buf, len, &off, r->uuid, sizeof(r->uuid)) == -1 ||
	    get_str(buf, len, &off, r->base, sizeof(r->base)) == -1 ||
	    get_str(buf, len, &off, r->xinfo, sizeof(r->xinfo)) == -1 ||
	    get_str(buf, len, &off, r->kw, sizeof(r->kw)) == -1 ||
	    get_str(buf, len, &off, r->from, sizeof(r->from)) == -1 ||
	    get_str(buf, len, &off, r->subject, sizeof(r->subject)) == -1 ||
	    off != len)
		return -1;
	if (!uuid_valid(r->uuid) || strchr(r->base, ':') != NULL ||
	    mbox_name_parse(r->base, base, &flags, xinfo) == -1 ||
	    strcmp(base, r->base) != 0)
		return -1;
	for (i = 0; r->xinfo[i] != '\0'; i++)
		if (!((r->xinfo[i] >= 'a' && r->xinfo[i] <= 'z') ||
		    (r->xinfo[i] >= 'A' && r->xinfo[i] <= 'Z')))
			return -1;
	return 0;
}

void
mbox_meta_encode(const struct mbox_meta *m, uint8_t *buf)
{
	memset(buf, 0, MBOX_META_LEN);
	buf[0] = META_VERSION;
	put32(buf + 1, m->uidvalidity);
	put32(buf + 5, m->uidnext);
	put64(buf + 9, m->highestmodseq);
	put32(buf + 17, m->total);
	put32(buf + 21, m->unread);
	put64(buf + 25, (uint64_t)m->new_sec);
	put64(buf + 33, (uint64_t)m->new_nsec);
	put64(buf + 41, (uint64_t)m->cur_sec);
	put64(buf + 49, (uint64_t)m->cur_nsec);
	put32(buf + 57, m->nnew);
}

int
mbox_meta_decode(const uint8_t *buf, size_t len, struct mbox_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (len != MBOX_META_LEN || buf[0] != META_VERSION)
		return -1;
	m->uidvalidity = get32(buf + 1);
	m->uidnext = get32(buf + 5);
	m->highestmodseq = get64(buf + 9);
	m->total = get32(buf + 17);
	m->unread = get32(buf + 21);
	m->nnew = get32(buf + 57);
	m->new_sec = (int64_t)get64(buf + 25);
	m->new_nsec = (int64_t)get64(buf + 33);
	m->cur_sec = (int64_t)get64(buf + 41);
	m->cur_nsec = (int64_t)get64(buf + 49);
	if (m->uidvalidity == 0 || m->uidnext == 0 ||
	    m->unread > m->total || m->nnew > m->total)
		return -1;
	return 0;
}

int
mbox_name_parse(const char *name, char *base, uint32_t *flags, char *xinfo)
{
	const char	*colon, *p;
	size_t		 len, nx = 0, i;

	*flags = 0;
	xinfo[0] = '\0';
	base[0] = '\0';
	if (name[0] == '.' || name[0] == '\0')
		return -1;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/')
			return -1;
	colon = strchr(name, ':');
	len = colon ? (size_t)(colon - name) : strlen(name);
	if (len == 0 || len >= MBOX_NAME_MAX)
		return -1;
	if (colon != NULL) {
		if (strncmp(colon, ":2,", 3) != 0)
			return -1;
		for (p = colon + 3; *p != '\0'; p++) {
			for (i = 0; i < sizeof(letters) / sizeof(letters[0]);
			    i++)
				if (*p == letters[i].letter)
					break;
			if (i < sizeof(letters) / sizeof(letters[0]))
				*flags |= letters[i].flag;
			else if ((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z')) {
				if (strchr(xinfo, *p) != NULL)
					continue;
				if (nx + 1 >= MBOX_XINFO_MAX)
					return -1;
				xinfo[nx++] = *p;
				xinfo[nx] = '\0';
			} else
				return -1;
		}
	}
	memcpy(base, name, len);
	base[len] = '\0';
	return 0;
}

int
mbox_name_make(const char *base, uint32_t flags, const char *xinfo,
    char *out, size_t size)
{
	char	info[32];
	size_t	n = 0, i;
	int	c;

	/* Every letter A..Z a..z in ASCII order: ours from flags. */
	for (c = 'A'; c <= 'z'; c++) {
		if (c > 'Z' && c < 'a')
			continue;
		for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
			if (letters[i].letter == c)
				break;
		if (i < sizeof(letters) / sizeof(letters[0])) {
			if (flags & letters[i].flag)
				info[n++] = c;
		} else if (strchr(xinfo, c) != NULL && n < sizeof(info) - 1)
			info[n++] = c;
	}
	info[n] = '\0';
	if ((size_t)snprintf(out, size, "%s:2,%s", base, info) >= size)
		return -1;
	return 0;
}

void
mbox_name_uuid(const char *base, char out[IPC_UUID_MAX])
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*dot1, *dot2;
	unsigned char		 h[crypto_hash_sha256_BYTES];
	size_t			 i, o = 0;

	if ((dot1 = strchr(base, '.')) != NULL &&
	    (dot2 = strchr(dot1 + 1, '.')) != NULL &&
	    dot2 - dot1 - 1 == 36) {
		memcpy(out, dot1 + 1, 36);
		out[36] = '\0';
		if (uuid_valid(out))
			return;
	}
	crypto_hash_sha256(h, (const unsigned char *)base, strlen(base));
	h[6] = (h[6] & 0x0f) | 0x80;	/* version 8 */
	h[8] = (h[8] & 0x3f) | 0x80;	/* variant RFC 9562 */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[h[i] >> 4];
		out[o++] = hex[h[i] & 0x0f];
	}
	out[o] = '\0';
}

/* Index of the default folder seg (len octets) names, any case; -1. */
static int
default_folder(const char *seg, size_t len)
{
	int	i;

	for (i = 0; default_folders[i] != NULL; i++)
		if (strlen(default_folders[i]) == len &&
		    strncasecmp(default_folders[i], seg, len) == 0)
			return i;
	return -1;
}

/* 1 if path has the grammar of immp(7) MBOX (any case), else 0. */
static int
path_grammar(const char *path)
{
	size_t	len = strlen(path), seglen = 0, nseg = 0, i;

	if (len < 2 || len > PATH_LEN_MAX || path[0] != '/' ||
	    path[len - 1] == '/')
		return 0;
	for (i = 1; i <= len; i++) {
		if (path[i] == '/' || path[i] == '\0') {
			if (seglen == 0 || ++nseg > PATH_SEGS_MAX)
				return 0;
			seglen = 0;
			continue;
		}
		if (!((path[i] >= 'a' && path[i] <= 'z') ||
		    (path[i] >= 'A' && path[i] <= 'Z') ||
		    (path[i] >= '0' && path[i] <= '9') ||
		    path[i] == '_' || path[i] == '-'))
			return 0;
		if (++seglen > SEG_LEN_MAX)
			return 0;
	}
	return 1;
}

int
mbox_path_canon(const char *path, char *out)
{
	size_t	seg;
	int	d;

	if (strlen(path) >= IPC_FOLDER_MAX || !path_grammar(path))
		return -1;
	strlcpy(out, path, IPC_FOLDER_MAX);
	seg = strcspn(path + 1, "/");
	if ((d = default_folder(path + 1, seg)) != -1)
		memcpy(out + 1, default_folders[d], seg);
	return 0;
}

int
mbox_path_valid(const char *path)
{
	char	canon[IPC_FOLDER_MAX];

	return mbox_path_canon(path, canon) == 0 && strcmp(canon, path) == 0;
}

int
mbox_path_dir(const char *path, char *out, size_t size)
{
	size_t	i;

	if (!mbox_path_valid(path))
		return -1;
	if (strcmp(path, "/INBOX") == 0) {
		if (size < 1)
			return -1;
		out[0] = '\0';
		return 0;
	}
	if (strlcpy(out, path, size) >= size)
		return -1;
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '/')
			out[i] = '.';
	return 0;
}

int
mbox_dir_path(const char *dir, char *out, size_t size)
{
	char	tmp[IPC_FOLDER_MAX];
	size_t	i;

	if (dir[0] != '.' || strlen(dir) >= sizeof(tmp) ||
	    strchr(dir, '/') != NULL)
		return -1;
	strlcpy(tmp, dir, sizeof(tmp));
	for (i = 0; tmp[i] != '\0'; i++)
		if (tmp[i] == '.')
			tmp[i] = '/';
	/* Canonical spelling only: ".inbox" is not "/INBOX". */
	if (!mbox_path_valid(tmp) || strcmp(tmp, "/INBOX") == 0)
		return -1;
	return strlcpy(out, tmp, size) < size ? 0 : -1;
}

int
mbox_flags_str(uint32_t flags, const char *kw, char *out, size_t size)
{
	static const struct {
		uint32_t	 flag;
		const char	*name;
	} names[] = {
		{ MBOX_FLAG_SEEN, "\\Seen" },
		{ MBOX_FLAG_ANSWERED, "\\Answered" },
		{ MBOX_FLAG_FLAGGED, "\\Flagged" },
		{ MBOX_FLAG_DELETED, "\\Deleted" },
		{ MBOX_FLAG_DRAFT, "\\Draft" },
	};
	const char	*p, *e;
	size_t		 n = 0, i, l;

	if (size < 2)
		return -1;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((flags & names[i].flag) == 0)
			continue;
		l = strlen(names[i].name);
		if (n + l + 2 > size)
			return -1;
		if (n > 0)
			out[n++] = ',';
		memcpy(out + n, names[i].name, l + 1);
		n += l;
	}
	for (p = kw; *p != '\0'; p = e) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " ");
		l = e - p;
		if (n + l + 2 > size)
			return -1;
		if (n > 0)
			out[n++] = ',';
		memcpy(out + n, p, l);
		n += l;
		out[n] = '\0';
	}
	if (n == 0)
		strlcpy(out, "-", size);
	return 0;
}
