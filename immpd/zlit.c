/*
 * Streaming gzip for literals (immp(7) COMPRESSION, draft 5.4) with
 * zlib: one gzip member (RFC 1952) per literal, inflated with a hard
 * limit on the output, deflated for literals the server writes.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "set.h"

#define GZIP_WBITS	(15 + 16)	/* gzip wrapper only, no zlib/raw */
#define GZIP_OVERHEAD	18		/* header 10 + trailer 8 */

struct zlit {
	z_stream	 zs;
	int		 deflating;
	int		 error;		/* ZLIT_* once dead */
	int		 ended;		/* Z_STREAM_END seen */
	uint64_t	 limit;
	uint64_t	 total;		/* octets produced */
};

struct zlit *
zlit_inflate_new(uint64_t limit)
{
	struct zlit	*z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return (NULL);
	if (inflateInit2(&z->zs, GZIP_WBITS) != Z_OK) {
		free(z);
		return (NULL);
	}
	z->limit = limit;
	return (z);
}

int
zlit_inflate(struct zlit *z, const void *in, size_t len,
    int (*out)(void *, const void *, size_t), void *arg)
{
	uint8_t		 buf[ZLIT_CHUNK];
	size_t		 n;
	int		 r;

	if (z->error != ZLIT_OK)
		return (z->error);
	if (len == 0)
		return (ZLIT_OK);
	if (z->ended) {
		/* Octets after the member: not one gzip member. */
		return (z->error = ZLIT_BAD);
	}
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	while (len > 0) {
		/* zlib counts in uInt: feed at most UINT_MAX at a time. */
		n = len > 0x40000000 ? 0x40000000 : len;
		z->zs.avail_in = (uInt)n;
		len -= n;
		do {
			z->zs.next_out = buf;
			z->zs.avail_out = sizeof(buf);
			r = inflate(&z->zs, Z_NO_FLUSH);
			if (r == Z_MEM_ERROR)
				return (z->error = ZLIT_NOMEM);
			if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
				return (z->error = ZLIT_BAD);
			n = sizeof(buf) - z->zs.avail_out;
			if (n > z->limit - z->total)
				return (z->error = ZLIT_TOOBIG);
			z->total += n;
			if (n > 0 && out(arg, buf, n) != 0)
				return (ZLIT_OK);
			if (r == Z_STREAM_END) {
				z->ended = 1;
				if (z->zs.avail_in > 0 || len > 0)
					return (z->error = ZLIT_BAD);
				return (ZLIT_OK);
			}
			if (r == Z_BUF_ERROR && n == 0)
				break;	/* needs more input */
		} while (z->zs.avail_in > 0 || z->zs.avail_out == 0);
	}
	return (ZLIT_OK);
}

int
zlit_inflate_end(struct zlit *z)
{
	if (z->error != ZLIT_OK)
		return (z->error);
	return (z->ended ? ZLIT_OK : ZLIT_BAD);
}

uint64_t
zlit_inflated(const struct zlit *z)
{
	return (z->total);
}

struct zlit *
zlit_deflate_new(void)
{
	struct zlit	*z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return (NULL);
	if (deflateInit2(&z->zs, 6, Z_DEFLATED, GZIP_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(z);
		return (NULL);
	}
	z->deflating = 1;
	return (z);
}

int
zlit_deflate(struct zlit *z, const void *in, size_t len, int finish,
    int (*out)(void *, const void *, size_t), void *arg)
{
	uint8_t		 buf[ZLIT_CHUNK];
	size_t		 n, step;
	int		 r, flush;

	if (z->error != ZLIT_OK || !z->deflating || z->ended)
		return (ZLIT_NOMEM);
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	do {
		step = len > 0x40000000 ? 0x40000000 : len;
		z->zs.avail_in = (uInt)step;
		len -= step;
		flush = finish && len == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			z->zs.next_out = buf;
			z->zs.avail_out = sizeof(buf);
			r = deflate(&z->zs, flush);
			if (r == Z_STREAM_ERROR)
				return (z->error = ZLIT_NOMEM);
			n = sizeof(buf) - z->zs.avail_out;
			z->total += n;
			if (n > 0 && out(arg, buf, n) != 0)
				return (z->error = ZLIT_NOMEM);
		} while (z->zs.avail_out == 0 ||
		    (flush == Z_FINISH && r != Z_STREAM_END));
	} while (len > 0);
	if (finish)
		z->ended = 1;
	return (ZLIT_OK);
}

uint64_t
zlit_deflate_bound(uint64_t len)
{
	/* zlib's bound for a zlib stream plus the larger gzip wrapper. */
	return (len + (len >> 12) + (len >> 14) + (len >> 25) + 13 +
	    GZIP_OVERHEAD);
}

void
zlit_free(struct zlit *z)
{
	if (z == NULL)
		return;
	if (z->deflating)
		(void)deflateEnd(&z->zs);
	else
		(void)inflateEnd(&z->zs);
	free(z);
}
