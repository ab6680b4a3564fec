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
 * Message parsing with GMime 3.0 (mbox_index.h): summaries for the
 * index, the JSON form of draft 4.2 and single parts for MBOX FETCH.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <jansson.h>
#include <sodium.h>

#include "mbox_index.h"
#include "mime.h"
#include "mbox_ops.h"
#include "util.h"

#define HEADER_MAX	(64 * 1024)	/* header octets read for a summary */
#define PART_DEPTH	8		/* nesting of multiparts followed */

void
mbox_gmime_init(void)
{
	static int	done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

/*
 * Copies s into out (size) as valid UTF-8 without control characters
 * (spaces instead; invalid octets as "?"), cut at a character boundary.
 */
void
mbox_clean_text(const char *s, char *out, size_t size)
{
	const char	*p = s, *end = s + strlen(s), *next;
	size_t		 n = 0, l;

	if (size == 0)
		return;
	while (p < end) {
		if (!g_utf8_validate(p, end - p > 4 ? 4 : end - p, &next) &&
		    next == p) {
			if (n + 1 >= size)
				break;
			out[n++] = '?';
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		if (next > end)
			next = end;
		l = next - p;
		if (n + l >= size)
			break;
		if (l == 1 && ((unsigned char)*p < 0x20 || *p == 0x7f))
			out[n++] = ' ';
		else if (l == 2 && (unsigned char)p[0] == 0xc2 &&
		    (unsigned char)p[1] < 0xa0)
			out[n++] = ' ';	/* C1 controls */
		else {
			memcpy(out + n, p, l);
			n += l;
		}
		p = next;
	}
	out[n] = '\0';
}

/* Parses the message in buf[0..len) (copied by GMime); NULL if not. */
static GMimeMessage *
parse_mem(const char *buf, size_t len)
{
	GMimeStream	*st;
	GMimeParser	*ps;
	GMimeMessage	*m;

	st = g_mime_stream_mem_new_with_buffer(buf, len);
	ps = g_mime_parser_new_with_stream(st);
	m = g_mime_parser_construct_message(ps, NULL);
	g_object_unref(ps);
	g_object_unref(st);
	return m;
}

/* The whole file fd; NULL with errno. */
static char *
read_all(int fd, size_t *len)
{
	struct stat	 sb;
	char		*buf;

	if (fstat(fd, &sb) == -1)
		return NULL;
	if (!S_ISREG(sb.st_mode) || sb.st_size > 512 * 1024 * 1024) {
		errno = EFBIG;
		return NULL;
	}
	if ((buf = malloc(sb.st_size + 1)) == NULL)
		return NULL;
	if (pread_full(fd, 0, buf, sb.st_size) == -1) {
		free(buf);
		return NULL;
	}
	buf[sb.st_size] = '\0';
	*len = sb.st_size;
	return buf;
}

static void
addr_text(InternetAddressList *l, char *out, size_t size)
{
	char	*s;

	out[0] = '\0';
	if (l == NULL || internet_address_list_length(l) == 0)
		return;
	if ((s = internet_address_list_to_string(l, NULL, FALSE)) == NULL)
		return;
	mbox_clean_text(s, out, size);
	g_free(s);
}

int
mbox_summary_file(int fd, struct mbox_rec *r)
{
	GMimeMessage	*m;
	GDateTime	*dt;
	struct stat	 sb;
	char		*buf, *end;
	ssize_t		 n;
	size_t		 len = 0;
	const char	*subj;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	r->size = sb.st_size;
	r->date = sb.st_mtim.tv_sec;
	r->from[0] = r->subject[0] = '\0';
	if ((buf = malloc(HEADER_MAX + 1)) == NULL)
		return -1;
	while (len < HEADER_MAX) {
		if ((n = pread(fd, buf + len, HEADER_MAX - len, len)) == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "\n\n") != NULL ||
		    strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[len] = '\0';
	/* The header only: a body would cost time and tell nothing. */
	if ((end = strstr(buf, "\n\n")) != NULL)
		len = end - buf + 2;
	if ((m = parse_mem(buf, len)) != NULL) {
		if ((subj = g_mime_message_get_subject(m)) != NULL)
			mbox_clean_text(subj, r->subject, sizeof(r->subject));
		addr_text(g_mime_message_get_from(m), r->from,
		    sizeof(r->from));
		if ((dt = g_mime_message_get_date(m)) != NULL)
			r->date = g_date_time_to_unix(dt);
		g_object_unref(m);
	}
	free(buf);
	return 0;
}

/* ---- parts ---- */

/* Calls fn for every leaf part with its IMAP section id. */
struct walk {
	const char	*want;		/* mbox_json_part: the id */
	GMimeObject	*found;
	json_t		*parts;		/* mbox_json_message */
};

static json_t *
part_json(GMimeObject *obj, const char *id);

static void
walk_parts(GMimeObject *obj, const char *prefix, int depth, struct walk *w)
{
	char	id[IPC_MBOX_PART_MAX];
	int	i, n;
	json_t	*j;

	if (depth > PART_DEPTH || w->found != NULL)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++) {
			if ((size_t)snprintf(id, sizeof(id), "%s%s%d", prefix,
			    prefix[0] ? "." : "", i + 1) >= sizeof(id))
				return;
			walk_parts(g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), id, depth + 1, w);
		}
		return;
	}
	strlcpy(id, prefix[0] ? prefix : "1", sizeof(id));
	if (w->want != NULL) {
		if (strcmp(w->want, id) == 0)
			w->found = obj;
		return;
	}
	if ((j = part_json(obj, id)) != NULL)
		json_array_append_new(w->parts, j);
}

/* The decoded body of a leaf part into a new byte array. */
static GByteArray *
part_body(GMimeObject *obj)
{
	GMimeStream		*st;
	GMimeDataWrapper	*dw;
	GMimeMessage		*inner;
	GByteArray		*ba;

	st = g_mime_stream_mem_new();
	if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));
		if (inner != NULL)
			g_mime_object_write_to_stream(GMIME_OBJECT(inner),
			    NULL, st);
	} else if (GMIME_IS_PART(obj) &&
	    (dw = g_mime_part_get_content(GMIME_PART(obj))) != NULL)
		g_mime_data_wrapper_write_to_stream(dw, st);
	ba = g_byte_array_new();
	g_byte_array_append(ba, g_mime_stream_mem_get_byte_array(
	    GMIME_STREAM_MEM(st))->data, g_mime_stream_mem_get_byte_array(
	    GMIME_STREAM_MEM(st))->len);
	g_object_unref(st);
	return ba;
}

static json_t *
part_json(GMimeObject *obj, const char *id)
{
	GMimeContentType	*ct;
	GByteArray		*ba;
	const char		*cs, *name = NULL, *fname = NULL;
	char			*type, *text = NULL, *b64;
	json_t			*j;
	size_t			 b64len;

	ct = g_mime_object_get_content_type(obj);
	type = ct ? g_mime_content_type_get_mime_type(ct) :
	    g_strdup("text/plain");
	cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	if (ct != NULL)
		name = g_mime_content_type_get_parameter(ct, "name");
	if (GMIME_IS_PART(obj))
		fname = g_mime_part_get_filename(GMIME_PART(obj));
	ba = part_body(obj);
	j = json_object();
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "type", json_string(type));
	if (cs != NULL && g_utf8_validate(cs, -1, NULL))
		json_object_set_new(j, "charset", json_string(cs));
	if (name != NULL && g_utf8_validate(name, -1, NULL))
		json_object_set_new(j, "name", json_string(name));
	if (fname != NULL && g_utf8_validate(fname, -1, NULL))
		json_object_set_new(j, "filename", json_string(fname));
	json_object_set_new(j, "size", json_integer(ba->len));
	if (GMIME_IS_TEXT_PART(obj))
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	if (text != NULL && g_utf8_validate(text, -1, NULL))
		json_object_set_new(j, "text", json_string(text));
	else {
		b64len = sodium_base64_encoded_len(ba->len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = malloc(b64len)) != NULL) {
			(void)b64_encode(ba->data, ba->len, b64, b64len);
			json_object_set_new(j, "base64", json_string(b64));
			free(b64);
		}
	}
	g_free(text);
	g_free(type);
	g_byte_array_free(ba, TRUE);
	return j;
}

static void
set_text(json_t *o, const char *key, const char *s)
{
	char	buf[4096];

	if (s == NULL)
		return;
	mbox_clean_text(s, buf, sizeof(buf));
	json_object_set_new(o, key, json_string(buf));
}

/*
 * The first "IMMP-Envelope:" header (the composer's, mime.h
 * MIME_RECORD_TYPE) as an object {"origin","signature","key","hops",
 * "timestamp"}; NULL unless the value is exactly "origin=..;
 * signature=..; key=..; hops=N; timestamp=N" (not for "none").
 */
static json_t *
envelope_record_json(const char *v)
{
	static const char *const names[] = {
		"origin", "signature", "key", "hops", "timestamp"
	};
	char		 buf[MIME_RECORD_MAX + 1], *item, *save = NULL, *eq;
	char		*end;
	json_t		*o;
	long long	 n;
	size_t		 i = 0;

	if (v == NULL || strlcpy(buf, v, sizeof(buf)) >= sizeof(buf) ||
	    (o = json_object()) == NULL)
		return (NULL);
	for (item = strtok_r(buf, ";", &save); item != NULL;
	    item = strtok_r(NULL, ";", &save), i++) {
		while (*item == ' ')
			item++;
		if (i >= 5 || (eq = strchr(item, '=')) == NULL ||
		    (size_t)(eq - item) != strlen(names[i]) ||
		    strncmp(item, names[i], eq - item) != 0 || eq[1] == '\0')
			goto bad;
		if (i < 3) {
			json_object_set_new(o, names[i], json_string(eq + 1));
			continue;
		}
		errno = 0;
		n = strtoll(eq + 1, &end, 10);
		if (*end != '\0' || errno != 0 || n < 0 ||
		    !isdigit((unsigned char)eq[1]))
			goto bad;
		json_object_set_new(o, names[i], json_integer(n));
	}
	if (i == 5)
		return (o);
 bad:
	json_decref(o);
	return (NULL);
}

static void
set_addrs(json_t *o, const char *key, InternetAddressList *l)
{
	char	*s;

	if (l == NULL || internet_address_list_length(l) == 0)
		return;
	if ((s = internet_address_list_to_string(l, NULL, FALSE)) == NULL)
		return;
	set_text(o, key, s);
	g_free(s);
}

int
mbox_json_message(int fd, const struct mbox_rec *r, int pretty,
    uint64_t *len)
{
	GMimeMessage	*m;
	GDateTime	*dt;
	struct walk	 w;
	json_t		*root, *env, *flags, *rec;
	char		*buf, *out, fl[IPC_MBOX_TEXT_MAX], *tok, *save;
	char		 date[32];
	size_t		 blen;
	time_t		 t;
	int		 mfd;

	if ((buf = read_all(fd, &blen)) == NULL)
		return -1;
	m = parse_mem(buf, blen);
	free(buf);
	if (m == NULL) {
		errno = EBADMSG;
		return -1;
	}
	root = json_object();
	json_object_set_new(root, "uuid", json_string(r->uuid));
	json_object_set_new(root, "uid", json_integer(r->uid));
	flags = json_array();
	if (mbox_flags_str(r->flags, r->kw, fl, sizeof(fl)) == 0 &&
	    strcmp(fl, "-") != 0)
		for (tok = strtok_r(fl, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			json_array_append_new(flags, json_string(tok));
	json_object_set_new(root, "flags", flags);
	env = json_object();
	set_addrs(env, "from", g_mime_message_get_from(m));
	set_addrs(env, "to", g_mime_message_get_to(m));
	set_addrs(env, "cc", g_mime_message_get_cc(m));
	set_addrs(env, "reply-to", g_mime_message_get_reply_to(m));
	set_text(env, "subject", g_mime_message_get_subject(m));
	if ((dt = g_mime_message_get_date(m)) != NULL) {
		t = g_date_time_to_unix(dt);
		mbox_rfc3339(t, date, sizeof(date));
		json_object_set_new(env, "date", json_string(date));
	}
	set_text(env, "message-id", g_mime_message_get_message_id(m));
	set_text(env, "in-reply-to", g_mime_object_get_header(
	    GMIME_OBJECT(m), "In-Reply-To"));
	set_text(env, "immp-uuid", g_mime_object_get_header(
	    GMIME_OBJECT(m), "IMMP-UUID"));
	if ((rec = envelope_record_json(g_mime_object_get_header(
	    GMIME_OBJECT(m), "IMMP-Envelope"))) != NULL)
		json_object_set_new(env, "immp-envelope", rec);
	json_object_set_new(root, "envelope", env);
	memset(&w, 0, sizeof(w));
	w.parts = json_array();
	if (g_mime_message_get_mime_part(m) != NULL)
		walk_parts(g_mime_message_get_mime_part(m), "", 0, &w);
	json_object_set_new(root, "parts", w.parts);
	g_object_unref(m);
	out = json_dumps(root, pretty ? JSON_INDENT(2) : JSON_COMPACT);
	json_decref(root);
	if (out == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*len = strlen(out);
	mfd = memfd_sealed("immp-mbox", out, *len);
	free(out);
	return mfd;
}

int
mbox_json_part(int fd, const char *id, char *type, size_t typesz,
    uint64_t *len)
{
	GMimeMessage		*m;
	GMimeContentType	*ct;
	GByteArray		*ba;
	struct walk		 w;
	char			*buf, *t;
	size_t			 blen;
	int			 mfd;

	if ((buf = read_all(fd, &blen)) == NULL)
		return -1;
	m = parse_mem(buf, blen);
	free(buf);
	if (m == NULL) {
		errno = ENOENT;
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.want = id;
	if (g_mime_message_get_mime_part(m) != NULL)
		walk_parts(g_mime_message_get_mime_part(m), "", 0, &w);
	if (w.found == NULL) {
		g_object_unref(m);
		errno = ENOENT;
		return -1;
	}
	ct = g_mime_object_get_content_type(w.found);
	t = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	mbox_clean_text(t ? t : "application/octet-stream", type, typesz);
	g_free(t);
	ba = part_body(w.found);
	*len = ba->len;
	mfd = memfd_sealed("immp-mbox", ba->data, ba->len);
	g_byte_array_free(ba, TRUE);
	g_object_unref(m);
	return mfd;
}
