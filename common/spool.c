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
 * The spool file (spool.h): writer used by the network process, strict
 * reader used by the queue (commit check, recovery) and by deliver.
 * Everything is done with pread/pwrite: the descriptor is shared with
 * other processes, so the file offset is never relied upon.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define LENWIDTH	20	/* digits of the length field */
/* "P " len " " c " " type " " namelen " " name "\n" */
#define HDR_MAX		(2 + LENWIDTH + 3 + (SPOOL_TYPE_MAX - 1) + 1 + \
			    3 + 1 + (SPOOL_NAME_MAX - 1) + 1)

static int
write_all(int fd, off_t off, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int
spool_utf8_valid(const void *buf, size_t len)
{
	const unsigned char	*s = buf;
	size_t			 i = 0, n, k;
	unsigned char		 c, lo, hi;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* > U+10FFFF */
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += n + 1;
	}
	return 1;
}

/* RFC 2045 token character: US-ASCII printable, not a tspecial. */
static int
token_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

int
spool_type_valid(const char *s)
{
	size_t	i, slash = 0, nslash = 0, len;

	len = strlen(s);
	if (len == 0 || len >= SPOOL_TYPE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '/') {
			slash = i;
			nslash++;
		} else if (!token_char((unsigned char)s[i]))
			return 0;
	}
	return nslash == 1 && slash > 0 && slash < len - 1;
}

int
spool_name_valid(const char *s)
{
	size_t	i, len;

	len = strlen(s);
	if (len >= SPOOL_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return spool_utf8_valid(s, len);
}

int
spool_w_init(struct spool_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	if (write_all(fd, 0, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) == -1)
		return -1;
	w->off = strlen(SPOOL_MAGIC);
	return 0;
}

int
spool_w_begin(struct spool_writer *w, const char *type, const char *name,
    int content)
{
	char	hdr[HDR_MAX + 1];
	int	n;

	if (w->in_part) {
		errno = EINVAL;
		return -1;
	}
	if (!spool_type_valid(type) || !spool_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if (w->nparts >= SPOOL_MAX_PARTS) {
		errno = E2BIG;
		return -1;
	}
	n = snprintf(hdr, sizeof(hdr), "P %0*d %c %s %zu %s\n", LENWIDTH, 0,
	    content ? '1' : '0', type, strlen(name), name);
	if (n < 0 || (size_t)n >= sizeof(hdr)) {
		errno = EINVAL;
		return -1;
	}
	if (write_all(w->fd, w->off, hdr, n) == -1)
		return -1;
	w->len_off = w->off + 2;
	w->off += n;
	w->part_len = 0;
	w->in_part = 1;
	return 0;
}

int
spool_w_data(struct spool_writer *w, const void *buf, size_t len)
{
	if (!w->in_part) {
		errno = EINVAL;
		return -1;
	}
	if (len > (uint64_t)INT64_MAX - (uint64_t)w->off) {
		errno = EFBIG;
		return -1;
	}
	if (write_all(w->fd, w->off, buf, len) == -1)
		return -1;
	w->off += len;
	w->part_len += len;
	return 0;
}

int
spool_w_end(struct spool_writer *w)
{
	char	num[LENWIDTH + 1];

	if (!w->in_part) {
		errno = EINVAL;
		return -1;
	}
	if (write_all(w->fd, w->off, "\n", 1) == -1)
		return -1;
	(void)snprintf(num, sizeof(num), "%0*" PRIu64, LENWIDTH, w->part_len);
	if (write_all(w->fd, w->len_off, num, LENWIDTH) == -1)
		return -1;
	w->off++;
	w->in_part = 0;
	w->nparts++;
	return 0;
}

int
spool_w_finish(struct spool_writer *w)
{
	if (w->in_part) {
		errno = EINVAL;
		return -1;
	}
	if (write_all(w->fd, w->off, "E\n", 2) == -1)
		return -1;
	w->off += 2;
	/* Nothing may follow the end marker. */
	if (ftruncate(w->fd, w->off) == -1)
		return -1;
	return 0;
}

/*
 * Parses a decimal number of exactly the octets p[0..len): digits only,
 * no leading zero unless fixed is set (the fixed-width length field),
 * no overflow of max.
 */
static int
parse_num(const char *p, size_t len, int fixed, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || (!fixed && len > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if ((uint64_t)(p[i] - '0') > max ||
		    v > (max - (p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parses one part header at buf[0..avail) into *part; *hlen receives the
 * header length including its LF.
 */
static int
parse_part_header(const char *buf, size_t avail, struct spool_part *part,
    size_t *hlen)
{
	const char	*p = buf, *end = buf + avail, *sp;
	uint64_t	 v;
	size_t		 tlen;

	memset(part, 0, sizeof(*part));
	if (avail < 2 + LENWIDTH + 3 || memcmp(p, "P ", 2) != 0)
		return -1;
	p += 2;
	if (parse_num(p, LENWIDTH, 1, INT64_MAX, &v) == -1)
		return -1;
	part->length = v;
	p += LENWIDTH;
	if (p[0] != ' ' || (p[1] != '0' && p[1] != '1') || p[2] != ' ')
		return -1;
	part->content = p[1] == '1';
	p += 3;
	if ((sp = memchr(p, ' ', end - p)) == NULL)
		return -1;
	tlen = sp - p;
	if (tlen == 0 || tlen >= SPOOL_TYPE_MAX)
		return -1;
	memcpy(part->type, p, tlen);
	part->type[tlen] = '\0';
	if (memchr(part->type, '\0', tlen) != NULL ||
	    !spool_type_valid(part->type))
		return -1;
	p = sp + 1;
	if ((sp = memchr(p, ' ', end - p)) == NULL)
		return -1;
	if (parse_num(p, sp - p, 0, SPOOL_NAME_MAX - 1, &v) == -1)
		return -1;
	p = sp + 1;
	if ((uint64_t)(end - p) < v + 1)
		return -1;
	memcpy(part->name, p, v);
	part->name[v] = '\0';
	if (memchr(part->name, '\0', v) != NULL ||
	    !spool_name_valid(part->name))
		return -1;
	p += v;
	if (*p != '\n')
		return -1;
	*hlen = p + 1 - buf;
	return 0;
}

int
spool_read_index(int fd, struct spool_part *parts, int maxparts,
    int *nparts)
{
	struct stat	 st;
	char		 buf[HDR_MAX];
	char		 c;
	off_t		 off, size;
	size_t		 want, hlen, mlen = strlen(SPOOL_MAGIC);
	int		 n = 0;

	*nparts = 0;
	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EBADMSG;
		return -1;
	}
	size = st.st_size;
	if (size < (off_t)mlen + 2)
		goto bad;
	if (pread_full(fd, 0, buf, mlen) == -1)
		return -1;
	if (memcmp(buf, SPOOL_MAGIC, mlen) != 0)
		goto bad;
	off = mlen;
	for (;;) {
		if (size - off < 2)
			goto bad;
		want = size - off < (off_t)sizeof(buf) ?
		    (size_t)(size - off) : sizeof(buf);
		if (pread_full(fd, off, buf, want) == -1)
			return -1;
		if (buf[0] == 'E') {
			/* The end marker, and nothing after it. */
			if (buf[1] != '\n' || size - off != 2)
				goto bad;
			break;
		}
		if (n >= maxparts || n >= SPOOL_MAX_PARTS)
			goto bad;
		if (parse_part_header(buf, want, &parts[n], &hlen) == -1)
			goto bad;
		off += hlen;
		parts[n].offset = off;
		if (parts[n].length > (uint64_t)(size - off) ||
		    (uint64_t)(size - off) - parts[n].length < 1)
			goto bad;
		off += parts[n].length;
		if (pread_full(fd, off, &c, 1) == -1)
			return -1;
		if (c != '\n')
			goto bad;
		off++;
		n++;
	}
	*nparts = n;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}
