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
 * The MIME composer (mime.h): spool file -> RFC 5322 message with LF
 * line ends, as stored in the Maildir.
 *
 * Layout of the result:
 *   trace and envelope headers, then either
 *   - the single message/rfc822 part as is, or
 *   - one body part (no attachments, one +CONTENT part), or
 *   - multipart/alternative (several +CONTENT parts, no attachments), or
 *   - multipart/mixed: [body or nested alternative], attachments.
 * A text part is written 7bit/8bit when it is at most MIME_8BIT_MAX
 * octets of valid UTF-8 without NUL or CR and with lines of at most 998
 * octets; anything else is base64 (76 columns).  Parts that claim to be
 * multipart/... or message/... are never given that type (their content is
 * the client's and could forge structure): they are attachments of type
 * application/octet-stream.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc.h"
#include "mime.h"
#include "trace.h"
#include "spool.h"
#include "util.h"

#define MIME_8BIT_MAX	(1024 * 1024)	/* larger text parts: base64 */
#define LINE_MAX_OCT	998		/* RFC 5322 2.1.1 */
#define B64_IN		57		/* octets per 76-column line */
#define B64_CHUNK	(B64_IN * 1024)
#define EW_IN		39		/* octets per RFC 2047 encoded-word */
#define BOUNDARY_TRIES	8

enum enc {
	ENC_7BIT,
	ENC_8BIT,
	ENC_BASE64,
};

struct pinfo {
	const struct spool_part	*sp;
	enum enc		 enc;
	char			 type[SPOOL_TYPE_MAX];	/* as written */
	int			 text;		/* charset to add */
	int			 attachment;
	char			*data;		/* 8bit/7bit parts, in memory */
};

enum meta_field {
	META_SUBJECT,
	META_IN_REPLY_TO,
	META_REFERENCES,
	META_REPLY_TO,
	META_CC,
	META_NFIELDS
};

static const char *const meta_names[META_NFIELDS] = {
	"Subject", "In-Reply-To", "References", "Reply-To", "Cc"
};

struct meta {
	char	 buf[MIME_META_MAX + 1];
	char	*val[META_NFIELDS];
};

static const char *const wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

int
mime_header_safe(const char *s)
{
	size_t	i, len;

	len = strlen(s);
	if (len > LINE_MAX_OCT)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '\t')
			continue;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return spool_utf8_valid(s, len);
}

static int
is_ascii(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Parses the metadata part in m->buf[0..len) (a NUL follows), setting
 * the value pointers into the buffer, which is modified in place.
 */
static int
meta_parse(struct meta *m, size_t len, const char **errstr)
{
	char		*p = m->buf, *end = m->buf + len, *lf, *colon, *v;
	size_t		 nlen, llen;
	int		 i;

	memset(m->val, 0, sizeof(m->val));
	while (p < end) {
		if ((lf = memchr(p, '\n', end - p)) == NULL) {
			*errstr = "line without line end";
			return -1;
		}
		llen = lf - p;
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		p[llen] = '\0';
		if (llen == 0) {
			*errstr = "empty line";
			return -1;
		}
		if (llen > LINE_MAX_OCT) {
			*errstr = "line too long";
			return -1;
		}
		if ((colon = strchr(p, ':')) == NULL) {
			*errstr = "line without a colon";
			return -1;
		}
		nlen = colon - p;
		for (i = 0; i < META_NFIELDS; i++)
			if (strlen(meta_names[i]) == nlen &&
			    strncasecmp(p, meta_names[i], nlen) == 0)
				break;
		if (i == META_NFIELDS) {
			*errstr = "header not allowed";
			return -1;
		}
		if (m->val[i] != NULL) {
			*errstr = "duplicate header";
			return -1;
		}
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!mime_header_safe(v)) {
			*errstr = "invalid header value";
			return -1;
		}
		/* Written as "Name: value": RFC 5322 2.1.1 limit. */
		if (nlen + 2 + strlen(v) > LINE_MAX_OCT) {
			*errstr = "line too long";
			return -1;
		}
		/* compose_mime refuses a longer Subject (RFC 2047 words). */
		if (i == META_SUBJECT && strlen(v) > 900) {
			*errstr = "subject too long";
			return -1;
		}
		m->val[i] = v;
		p = lf + 1;
	}
	return 0;
}

int
mime_meta_check(const void *buf, size_t len, const char **errstr)
{
	struct meta	*m;
	const char	*dummy;
	int		 r;

	if (errstr == NULL)
		errstr = &dummy;
	if (len > MIME_META_MAX) {
		*errstr = "too large";
		errno = EBADMSG;
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		*errstr = "NUL character";
		errno = EBADMSG;
		return -1;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	memcpy(m->buf, buf, len);
	m->buf[len] = '\0';
	r = meta_parse(m, len, errstr);
	free(m);
	if (r == -1)
		errno = EBADMSG;
	return r;
}

/* Copies a part's octets unchanged to out. */
static int
copy_part(int fd, const struct spool_part *sp, FILE *out)
{
	char		*buf;
	uint64_t	 left = sp->length;
	off_t		 off = sp->offset;
	size_t		 n;

	if ((buf = malloc(B64_CHUNK)) == NULL)
		return -1;
	while (left > 0) {
		n = left < B64_CHUNK ? left : B64_CHUNK;
		if (pread_full(fd, off, buf, n) == -1) {
			free(buf);
			return -1;
		}
		fwrite(buf, 1, n, out);
		off += n;
		left -= n;
	}
	free(buf);
	return 0;
}

/*
 * Writes a part base64-encoded, 76 columns, lines separated by LF; no
 * LF after the last line.
 */
static int
write_base64(int fd, const struct spool_part *sp, FILE *out)
{
	unsigned char	*buf;
	char		 line[sodium_base64_ENCODED_LEN(B64_IN,
			    sodium_base64_VARIANT_ORIGINAL)];
	uint64_t	 left = sp->length;
	off_t		 off = sp->offset;
	size_t		 n, i, k;
	int		 first = 1;

	if ((buf = malloc(B64_CHUNK)) == NULL)
		return -1;
	while (left > 0) {
		n = left < B64_CHUNK ? left : B64_CHUNK;
		if (pread_full(fd, off, buf, n) == -1) {
			free(buf);
			return -1;
		}
		for (i = 0; i < n; i += B64_IN) {
			k = n - i < B64_IN ? n - i : B64_IN;
			sodium_bin2base64(line, sizeof(line), buf + i, k,
			    sodium_base64_VARIANT_ORIGINAL);
			if (!first)
				fputc('\n', out);
			fputs(line, out);
			first = 0;
		}
		off += n;
		left -= n;
	}
	free(buf);
	return 0;
}

/*
 * Decides the transfer encoding of a text part and loads it when it is
 * written as is.
 */
static int
scan_text(int fd, struct pinfo *pi)
{
	const struct spool_part	*sp = pi->sp;
	size_t			 i, col = 0, len;
	char			*d;

	pi->enc = ENC_BASE64;
	if (sp->length > MIME_8BIT_MAX)
		return 0;
	len = sp->length;
	if ((d = malloc(len + 1)) == NULL)
		return -1;
	if (pread_full(fd, sp->offset, d, len) == -1) {
		free(d);
		return -1;
	}
	d[len] = '\0';
	for (i = 0; i < len; i++) {
		if (d[i] == '\0' || d[i] == '\r')
			goto b64;
		if (d[i] == '\n')
			col = 0;
		else if (++col > LINE_MAX_OCT)
			goto b64;
	}
	if (!spool_utf8_valid(d, len))
		goto b64;
	pi->enc = is_ascii(d, len) ? ENC_7BIT : ENC_8BIT;
	pi->data = d;
	return 0;
b64:
	free(d);
	return 0;
}

static void
lower(char *dst, const char *src, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

static void
rfc5322_date(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Length of the UTF-8 sequence led by c (input already validated). */
static size_t
utf8_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

/* RFC 2047 B encoding, split on character boundaries, folded. */
static void
write_encoded_words(const char *s, FILE *out)
{
	char		word[sodium_base64_ENCODED_LEN(EW_IN + 3,
			    sodium_base64_VARIANT_ORIGINAL)];
	size_t		len = strlen(s), i = 0, n, k;
	int		first = 1;

	while (i < len) {
		n = 0;
		while (i + n < len) {
			k = utf8_seqlen((unsigned char)s[i + n]);
			if (n + k > EW_IN && n > 0)
				break;
			n += k;
		}
		sodium_bin2base64(word, sizeof(word),
		    (const unsigned char *)s + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\n ", word);
		first = 0;
		i += n;
	}
}

static int
filename_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ||
		    *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* RFC 2231 attr-char. */
static int
attr_char(unsigned char c)
{
	return isalnum(c) || strchr("!#$&+-.^_`|~", c) != NULL;
}

static void
write_disposition(const char *disp, const char *name, FILE *out)
{
	const char	*p;

	if (*name == '\0') {
		fprintf(out, "Content-Disposition: %s\n", disp);
		return;
	}
	if (filename_plain(name)) {
		fprintf(out, "Content-Disposition: %s;\n\tfilename=\"%s\"\n",
		    disp, name);
		return;
	}
	fprintf(out, "Content-Disposition: %s;\n\tfilename*=utf-8''", disp);
	for (p = name; *p != '\0'; p++) {
		if (attr_char((unsigned char)*p))
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", (unsigned char)*p);
	}
	fputc('\n', out);
}

static void
write_part_headers(const struct pinfo *pi, FILE *out)
{
	static const char *const encs[] = { "7bit", "8bit", "base64" };

	fprintf(out, "Content-Type: %s%s\n", pi->type,
	    pi->text && pi->enc != ENC_BASE64 ? "; charset=utf-8" : "");
	fprintf(out, "Content-Transfer-Encoding: %s\n", encs[pi->enc]);
	if (pi->attachment)
		write_disposition("attachment", pi->sp->name, out);
}

/* Writes a part's content; inside a multipart no trailing LF is added. */
static int
write_part_body(int fd, const struct pinfo *pi, FILE *out)
{
	if (pi->enc == ENC_BASE64)
		return write_base64(fd, pi->sp, out);
	fwrite(pi->data, 1, pi->sp->length, out);
	return 0;
}

static int
write_multipart(int fd, struct pinfo **v, int n, const char *subtype,
    const char *boundary, FILE *out)
{
	int	i;

	fprintf(out, "Content-Type: multipart/%s;\n\tboundary=\"%s\"\n\n",
	    subtype, boundary);
	for (i = 0; i < n; i++) {
		fprintf(out, "--%s\n", boundary);
		write_part_headers(v[i], out);
		fputc('\n', out);
		if (write_part_body(fd, v[i], out) == -1)
			return -1;
		fputc('\n', out);
	}
	fprintf(out, "--%s--\n", boundary);
	return 0;
}

/* The relay trace part of the message being composed (trace.h). */
static int			 tr_fd = -1;
static struct spool_part	 tr_part;

/* The record of the verified envelope (MIME_RECORD_TYPE), if any. */
static int			 er_fd = -1;
static struct spool_part	 er_part;

/*
 * "IMMP-Envelope:" from the record part (one line of printable ASCII),
 * else "IMMP-Envelope: none": written on every message, before anything
 * of the sender's, so that the first header of that name is always ours
 * (a message/rfc822 part is copied with its own headers).
 */
static void
write_envelope_record(FILE *out)
{
	char	 buf[MIME_RECORD_MAX + 1];
	size_t	 i, len = er_part.length;

	if (er_fd == -1 || len < 2 || len > MIME_RECORD_MAX ||
	    pread_full(er_fd, er_part.offset, buf, len) == -1 ||
	    buf[len - 1] != '\n')
		goto none;
	buf[len - 1] = '\0';
	for (i = 0; i < len - 1; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			goto none;
	fprintf(out, "IMMP-Envelope: %s\n", buf);
	return;
 none:
	fprintf(out, "IMMP-Envelope: none\n");
}

static void
write_trace(const struct mime_envelope *env, const char *date, FILE *out)
{
	fprintf(out, "Return-Path: <%s>\n", env->sender);
	fprintf(out, "Received: by %s (immpd) with IMMP id %s;\n\t%s\n",
	    env->host, env->uuid, date);
	fprintf(out, "IMMP-UUID: %s\n", env->uuid);
	write_envelope_record(out);
	if (tr_fd != -1)
		(void)trace_write_headers(tr_fd, &tr_part, out);
}

static void
write_headers(const struct mime_envelope *env, const struct meta *m,
    const char *date, FILE *out)
{
	const char	*subj;

	write_trace(env, date, out);
	fprintf(out, "Message-ID: <%s@%s>\n", env->uuid, env->host);
	fprintf(out, "Date: %s\n", date);
	fprintf(out, "From: %s\n", env->sender);
	fprintf(out, "To: %s\n", env->rcpts);
	if (m->val[META_CC] != NULL && *m->val[META_CC] != '\0')
		fprintf(out, "Cc: %s\n", m->val[META_CC]);
	if (m->val[META_REPLY_TO] != NULL && *m->val[META_REPLY_TO] != '\0')
		fprintf(out, "Reply-To: %s\n", m->val[META_REPLY_TO]);
	if (m->val[META_IN_REPLY_TO] != NULL &&
	    *m->val[META_IN_REPLY_TO] != '\0')
		fprintf(out, "In-Reply-To: %s\n", m->val[META_IN_REPLY_TO]);
	if (m->val[META_REFERENCES] != NULL &&
	    *m->val[META_REFERENCES] != '\0')
		fprintf(out, "References: %s\n", m->val[META_REFERENCES]);
	subj = m->val[META_SUBJECT];
	if (subj != NULL && *subj != '\0') {
		fputs("Subject: ", out);
		if (is_ascii(subj, strlen(subj)))
			fputs(subj, out);
		else
			write_encoded_words(subj, out);
		fputc('\n', out);
	}
	if ((env->flags & (MSGF_IMPORTANT | MSGF_UNIMPORTANT)) ==
	    MSGF_IMPORTANT)
		fputs("Importance: high\n", out);
	else if ((env->flags & (MSGF_IMPORTANT | MSGF_UNIMPORTANT)) ==
	    MSGF_UNIMPORTANT)
		fputs("Importance: low\n", out);
	fputs("MIME-Version: 1.0\n", out);
}

/* Envelope strings go into headers: refuse anything unsafe. */
static int
env_valid(const struct mime_envelope *env)
{
	const char	*p;

	if (env->uuid == NULL || env->sender == NULL || env->rcpts == NULL ||
	    env->host == NULL)
		return 0;
	if (strlen(env->uuid) != 36)
		return 0;
	for (p = env->uuid; *p != '\0'; p++)
		if (!isxdigit((unsigned char)*p) && *p != '-')
			return 0;
	for (p = env->host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	if (*env->host == '\0' || *env->sender == '\0')
		return 0;
	for (p = env->sender; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>')
			return 0;
	return mime_header_safe(env->rcpts) && strlen(env->rcpts) < 900;
}

/* Picks a random boundary token that no part written as is contains. */
static void
pick_boundary(struct pinfo *pi, int n, char *tok, size_t toksz)
{
	unsigned char	rnd[16];
	int		i, t;

	for (t = 0; t < BOUNDARY_TRIES; t++) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(tok, toksz, rnd, sizeof(rnd));
		for (i = 0; i < n; i++)
			if (pi[i].data != NULL &&
			    memmem(pi[i].data, pi[i].sp->length, tok,
			    strlen(tok)) != NULL)
				break;
		if (i == n)
			return;
	}
	/* Practically unreachable: give up on the literal parts. */
	for (i = 0; i < n; i++) {
		if (pi[i].data != NULL) {
			free(pi[i].data);
			pi[i].data = NULL;
			pi[i].enc = ENC_BASE64;
		}
	}
}

static int
compose_mime(int fd, const struct mime_envelope *env, struct spool_part *sp,
    int n, FILE *out, struct pinfo *pi, struct meta *m)
{
	struct pinfo	 *body[SPOOL_MAX_PARTS], *att[SPOOL_MAX_PARTS];
	char		  date[64], tok[33], bm[64], ba[64];
	const char	 *err;
	int		  i, meta = -1, nbody = 0, natt = 0, r = -1;

	for (i = 0; i < n; i++) {
		if (strcasecmp(sp[i].type, "text/rfc822-headers") == 0) {
			if (meta != -1 || sp[i].length > MIME_META_MAX) {
				errno = EBADMSG;
				return -1;
			}
			meta = i;
		}
	}
	memset(m->val, 0, sizeof(m->val));
	if (meta != -1) {
		if (pread_full(fd, sp[meta].offset, m->buf,
		    sp[meta].length) == -1)
			return -1;
		m->buf[sp[meta].length] = '\0';
		if (memchr(m->buf, '\0', sp[meta].length) != NULL ||
		    meta_parse(m, sp[meta].length, &err) == -1) {
			errno = EBADMSG;
			return -1;
		}
		if (m->val[META_SUBJECT] != NULL &&
		    strlen(m->val[META_SUBJECT]) > 900) {
			errno = EBADMSG;	/* too long to encode */
			return -1;
		}
	}

	for (i = 0; i < n; i++) {
		if (i == meta)
			continue;
		pi[i].sp = &sp[i];
		pi[i].enc = ENC_BASE64;
		lower(pi[i].type, sp[i].type, sizeof(pi[i].type));
		if (strncmp(pi[i].type, "multipart/", 10) == 0 ||
		    strncmp(pi[i].type, "message/", 8) == 0) {
			strlcpy(pi[i].type, "application/octet-stream",
			    sizeof(pi[i].type));
			pi[i].attachment = 1;
		} else
			pi[i].attachment = !sp[i].content;
		if (strncmp(pi[i].type, "text/", 5) == 0) {
			pi[i].text = 1;
			if (scan_text(fd, &pi[i]) == -1)
				goto out;
		}
		if (pi[i].attachment)
			att[natt++] = &pi[i];
		else
			body[nbody++] = &pi[i];
	}
	pick_boundary(pi, n, tok, sizeof(tok));
	snprintf(bm, sizeof(bm), "=_immp_m_%s", tok);
	snprintf(ba, sizeof(ba), "=_immp_a_%s", tok);

	rfc5322_date(env->accepted, date, sizeof(date));
	write_headers(env, m, date, out);
	if (natt == 0 && nbody == 0) {
		fputs("Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: 7bit\n\n", out);
	} else if (natt == 0 && nbody == 1) {
		write_part_headers(body[0], out);
		fputc('\n', out);
		if (write_part_body(fd, body[0], out) == -1)
			goto out;
		if (body[0]->enc == ENC_BASE64)
			fputc('\n', out);
	} else if (natt == 0) {
		if (write_multipart(fd, body, nbody, "alternative", ba,
		    out) == -1)
			goto out;
	} else {
		fprintf(out, "Content-Type: multipart/mixed;\n"
		    "\tboundary=\"%s\"\n\n", bm);
		if (nbody == 1) {
			fprintf(out, "--%s\n", bm);
			write_part_headers(body[0], out);
			fputc('\n', out);
			if (write_part_body(fd, body[0], out) == -1)
				goto out;
			fputc('\n', out);
		} else if (nbody > 1) {
			fprintf(out, "--%s\n", bm);
			if (write_multipart(fd, body, nbody, "alternative",
			    ba, out) == -1)
				goto out;
		}
		for (i = 0; i < natt; i++) {
			fprintf(out, "--%s\n", bm);
			write_part_headers(att[i], out);
			fputc('\n', out);
			if (write_part_body(fd, att[i], out) == -1)
				goto out;
			fputc('\n', out);
		}
		fprintf(out, "--%s--\n", bm);
	}
	r = 0;
out:
	return r;
}

int
mime_compose(int spoolfd, const struct mime_envelope *env, FILE *out)
{
	struct spool_part	*parts;
	struct pinfo		*pi = NULL;
	struct meta		*m = NULL;
	char			 date[64];
	int			 n, i, r = -1, saved;

	if (!env_valid(env)) {
		errno = EINVAL;
		return -1;
	}
	if ((parts = calloc(SPOOL_MAX_PARTS, sizeof(*parts))) == NULL)
		return -1;
	if (spool_read_index(spoolfd, parts, SPOOL_MAX_PARTS, &n) == -1)
		goto done;
	if (n == 0) {
		errno = EBADMSG;
		goto done;
	}
	/* The relay trace, if any, is the last part: headers, not a part. */
	tr_fd = -1;
	if (n > 1 && strcasecmp(parts[n - 1].type, TRACE_TYPE) == 0) {
		tr_fd = spoolfd;
		tr_part = parts[n - 1];
		n--;
	}
	/* The envelope record, if any, before it: a header too. */
	er_fd = -1;
	if (n > 1 && strcasecmp(parts[n - 1].type, MIME_RECORD_TYPE) == 0) {
		er_fd = spoolfd;
		er_part = parts[n - 1];
		n--;
	}
	if (n == 1 && strcasecmp(parts[0].type, "message/rfc822") == 0) {
		rfc5322_date(env->accepted, date, sizeof(date));
		write_trace(env, date, out);
		if (copy_part(spoolfd, &parts[0], out) == -1)
			goto done;
	} else {
		pi = calloc(n, sizeof(*pi));
		m = malloc(sizeof(*m));
		if (pi == NULL || m == NULL)
			goto done;
		if (compose_mime(spoolfd, env, parts, n, out, pi, m) == -1)
			goto done;
	}
	if (fflush(out) == EOF || ferror(out)) {
		errno = EIO;
		goto done;
	}
	r = 0;
done:
	saved = errno;
	tr_fd = -1;
	er_fd = -1;
	if (pi != NULL)
		for (i = 0; i < n; i++)
			free(pi[i].data);
	free(pi);
	free(m);
	free(parts);
	errno = saved;
	return r;
}
