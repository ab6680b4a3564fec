/*
 * fuzz_mime: mime_compose and mime_meta_check (common/mime.h).
 *
 * The first input octet picks the mode; its high bits are the message
 * flags (+IMPORTANT, -IMPORTANT, ...).
 * 0: the rest is a spool file.  mime_compose succeeds only on a spool
 *    that spool_read_index accepts with at least one part.
 * 1: the rest is a metadata part, sent with a text body.  mime_compose
 *    succeeds exactly when mime_meta_check accepts the part ("validates
 *    exactly as mime_compose reads it").
 * 2: the rest describes parts (type, +CONTENT, name, data), written with
 *    the spool writer.  mime_compose succeeds unless there is no part, or
 *    more than one metadata part, or one mime_meta_check refuses; the
 *    octets of every part appear in the result, as is or as the base64
 *    text of the part (76 columns), so decoding gives them back.
 * In every mode a composed message (other than a single message/rfc822
 * part, stored as is) holds no CR and no NUL, every line is at most 998
 * octets (RFC 5322 2.1.1), and the header ends with an empty line.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "mime.h"
#include "spool.h"
#include "fuzz.h"

#define MAXP	16

static const char *const types[] = {
	"text/plain", "text/html", "application/pdf", "message/rfc822",
	"multipart/mixed", "text/rfc822-headers", "image/png", "TEXT/Plain",
	"Text/RFC822-Headers", "message/partial"
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

struct fpart {
	const char	*type;
	char		 name[SPOOL_NAME_MAX];
	int		 content;
	const uint8_t	*data;
	size_t		 len;
};

static struct mime_envelope	 env = {
	"0f3e8c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6", "bob@demo.test",
	"alice@demo.test, carol@demo.test", "demo.test", 1764000000, 0
};

/* Composes the spool on fd into *out (*len octets); mime_compose value. */
static int
compose(int fd, char **out, size_t *len)
{
	FILE	*fp;
	int	 r;

	*out = NULL;
	*len = 0;
	fp = open_memstream(out, len);
	FUZZ_ASSERT(fp != NULL);
	errno = 0;
	r = mime_compose(fd, &env, fp);
	FUZZ_ASSERT(fclose(fp) == 0);
	FUZZ_ASSERT(r == 0 || (r == -1 && errno == EBADMSG));
	return r;
}

static void
check_message(const char *m, size_t len)
{
	size_t	i, col = 0;

	FUZZ_ASSERT(len > 0 && m[len - 1] != '\0');
	FUZZ_ASSERT(strncmp(m, "Return-Path: <bob@demo.test>\n", 29) == 0);
	FUZZ_ASSERT(memmem(m, len, "\n\n", 2) != NULL);
	for (i = 0; i < len; i++) {
		FUZZ_ASSERT(m[i] != '\r' && m[i] != '\0');
		if (m[i] == '\n')
			col = 0;
		else {
			col++;
			if (col > 998)
				fprintf(stderr, "line over 998 octets at "
				    "%zu: %.60s...\n", i, m + i - 998);
			FUZZ_ASSERT(col <= 998);
		}
	}
}

/* 1 if the single part is message/rfc822 (stored as is). */
static int
as_is(int fd)
{
	struct spool_part	p[2];
	int			n;

	return spool_read_index(fd, p, 2, &n) == 0 && n == 1 &&
	    strcasecmp(p[0].type, "message/rfc822") == 0;
}

static int
spool_of(const struct fpart *p, int n)
{
	struct spool_writer	w;
	int			fd, i;

	if ((fd = fuzz_memfd("spool", "", 0)) == -1)
		return -1;
	FUZZ_ASSERT(spool_w_init(&w, fd) == 0);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(spool_w_begin(&w, p[i].type, p[i].name,
		    p[i].content) == 0);
		FUZZ_ASSERT(spool_w_data(&w, p[i].data, p[i].len) == 0);
		FUZZ_ASSERT(spool_w_end(&w) == 0);
	}
	FUZZ_ASSERT(spool_w_finish(&w) == 0);
	return fd;
}

static void
mode_spool(const uint8_t *data, size_t size)
{
	struct spool_part	*parts;
	char			*out;
	size_t			 len;
	int			 fd, n, ok;

	if ((fd = fuzz_memfd("spool", data, size)) == -1)
		return;
	parts = calloc(SPOOL_MAX_PARTS, sizeof(*parts));
	FUZZ_ASSERT(parts != NULL);
	ok = spool_read_index(fd, parts, SPOOL_MAX_PARTS, &n) == 0 && n > 0;
	free(parts);
	if (compose(fd, &out, &len) == 0) {
		FUZZ_ASSERT(ok);
		if (!as_is(fd))
			check_message(out, len);
	}
	(void)mime_meta_check(data, size, NULL);
	free(out);
	close(fd);
}

static void
mode_meta(const uint8_t *data, size_t size)
{
	struct fpart	 p[2];
	const char	*err = NULL;
	char		*out;
	size_t		 len;
	int		 fd, chk, r;

	memset(p, 0, sizeof(p));
	p[0].type = "text/rfc822-headers";
	p[0].data = data;
	p[0].len = size;
	p[1].type = "text/plain";
	p[1].content = 1;
	p[1].data = (const uint8_t *)"Hello.\n";
	p[1].len = 7;
	if ((fd = spool_of(p, 2)) == -1)
		return;
	errno = 0;
	chk = mime_meta_check(data, size, &err);
	FUZZ_ASSERT(chk == 0 || (chk == -1 && errno == EBADMSG &&
	    err != NULL));
	r = compose(fd, &out, &len);
	if (r != chk)
		fprintf(stderr, "mime_meta_check %d (%s), mime_compose %d\n",
		    chk, chk ? err : "-", r);
	FUZZ_ASSERT(r == chk);
	if (r == 0) {
		check_message(out, len);
		FUZZ_ASSERT(memmem(out, len, "\n\nHello.\n", 9) != NULL);
	}
	free(out);
	close(fd);
}

/* The base64 form mime.c writes: 57-octet groups, LF between lines. */
static char *
b64_lines(const uint8_t *d, size_t len, size_t *outlen)
{
	char	*s;
	size_t	 i, k, off = 0, cap;

	cap = (len / 57 + 1) * 78 + 1;
	s = malloc(cap);
	FUZZ_ASSERT(s != NULL);
	for (i = 0; i < len; i += 57) {
		k = len - i < 57 ? len - i : 57;
		if (i > 0)
			s[off++] = '\n';
		sodium_bin2base64(s + off, cap - off, d + i, k,
		    sodium_base64_VARIANT_ORIGINAL);
		off += strlen(s + off);
	}
	*outlen = off;
	return s;
}

static void
mode_parts(const uint8_t *data, size_t size)
{
	struct fpart	 p[MAXP];
	char		*out, *b;
	size_t		 len, nlen, blen;
	int		 n = 0, i, fd, r, nmeta = 0, meta_ok = 1, found;

	/* per part: type+content octet, name length, name, 2 length octets */
	while (size >= 4 && n < MAXP) {
		memset(&p[n], 0, sizeof(p[n]));
		p[n].type = types[(data[0] & 0x7f) % NTYPES];
		p[n].content = data[0] >> 7;
		nlen = data[1] % 32;
		data += 2;
		size -= 2;
		if (nlen > size)
			nlen = size;
		memcpy(p[n].name, data, nlen);
		p[n].name[nlen] = '\0';
		data += nlen;
		size -= nlen;
		if (!spool_name_valid(p[n].name))
			strlcpy(p[n].name, "part", sizeof(p[n].name));
		if (size < 2)
			break;
		p[n].len = (data[0] << 8 | data[1]) % 4096;
		data += 2;
		size -= 2;
		if (p[n].len > size)
			p[n].len = size;
		p[n].data = data;
		data += p[n].len;
		size -= p[n].len;
		if (strcasecmp(p[n].type, "text/rfc822-headers") == 0) {
			nmeta++;
			if (mime_meta_check(p[n].data, p[n].len, NULL) == -1)
				meta_ok = 0;
		}
		n++;
	}
	if ((fd = spool_of(p, n)) == -1)
		return;
	r = compose(fd, &out, &len);
	FUZZ_ASSERT(r == ((n > 0 && nmeta <= 1 && meta_ok) ? 0 : -1));
	if (r == 0) {
		if (!as_is(fd))
			check_message(out, len);
		for (i = 0; i < n; i++) {
			if (strcasecmp(p[i].type, "text/rfc822-headers") == 0 ||
			    p[i].len == 0)
				continue;
			found = memmem(out, len, p[i].data, p[i].len) != NULL;
			if (!found) {
				b = b64_lines(p[i].data, p[i].len, &blen);
				found = memmem(out, len, b, blen) != NULL;
				free(b);
			}
			FUZZ_ASSERT(found);
		}
	}
	free(out);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 256 * 1024)
		return 0;
	env.flags = data[0] >> 4;
	switch ((data[0] & 0x0f) % 3) {
	case 0:
		mode_spool(data + 1, size - 1);
		break;
	case 1:
		mode_meta(data + 1, size - 1);
		break;
	case 2:
		mode_parts(data + 1, size - 1);
		break;
	}
	return 0;
}
