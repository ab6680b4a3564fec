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
 * Envelope codec and canonical JSON (envelope.h, immp(7) ENVELOPES).
 * jansson parses and writes; everything it would accept beyond the
 * canonical subset is refused here before anything is signed or
 * checked.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "envelope.h"
#include "imid.h"
#include "util.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

static void	 seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 str_ok(const char *, size_t);
static int	 check_value(json_t *, int, char *, size_t);
static json_t	*load(const char *, size_t, char *, size_t);
static int	 get_domain(json_t *, const char *, char *, char *, size_t);
static int	 get_int(json_t *, const char *, int64_t *, char *, size_t);
static int	 get_hex(json_t *, const char *, uint8_t *, size_t, char *,
		    size_t);
static int	 get_b64(json_t *, const char *, uint8_t *, size_t, char *,
		    size_t);
static int	 only_keys(json_t *, const char *const *, char *, size_t);
static int	 hex_put(json_t *, const char *, const uint8_t *, size_t);
static json_t	*origin_obj(const struct env_outer *);
static char	*dump(json_t *, size_t *);
static int	 labelled(const char *, json_t *, char **, size_t *);

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* 1 if s[0..len) is printable ASCII (0x20-0x7e) only. */
static int
str_ok(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* The canonical subset, recursively (envelope.h env_canon). */
static int
check_value(json_t *v, int depth, char *err, size_t errsz)
{
	const char	*k;
	json_t		*m;
	size_t		 i;
	json_int_t	 n;

	if (depth > ENV_DEPTH_MAX) {
		seterr(err, errsz, "nested too deeply");
		return -1;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, k, m) {
			if (!str_ok(k, strlen(k))) {
				seterr(err, errsz, "key not printable ASCII");
				return -1;
			}
			if (check_value(m, depth + 1, err, errsz) == -1)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
			if (check_value(m, depth + 1, err, errsz) == -1)
				return -1;
		return 0;
	case JSON_STRING:
		if (!str_ok(json_string_value(v), json_string_length(v))) {
			seterr(err, errsz, "string not printable ASCII");
			return -1;
		}
		return 0;
	case JSON_INTEGER:
		n = json_integer_value(v);
		if (n > ENV_INT_MAX || n < -ENV_INT_MAX) {
			seterr(err, errsz, "integer out of range");
			return -1;
		}
		return 0;
	default:
		seterr(err, errsz, "only objects, arrays, strings and "
		    "integers");
		return -1;
	}
}

/* Parses in[0..len) and checks the canonical subset. */
static json_t *
load(const char *in, size_t len, char *err, size_t errsz)
{
	json_error_t	 je;
	json_t		*v;

	if (len > ENV_MAX) {
		seterr(err, errsz, "too long");
		return NULL;
	}
	if ((v = json_loadb(in, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		seterr(err, errsz, "bad JSON at octet %d: %s", je.position,
		    je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		seterr(err, errsz, "not an object");
		json_decref(v);
		return NULL;
	}
	if (check_value(v, 1, err, errsz) == -1) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static char *
dump(json_t *v, size_t *len)
{
	char	*s;

	if ((s = json_dumps(v, DUMP_FLAGS)) != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

int
env_canon(const char *in, size_t len, char **out, size_t *outlen,
    char *err, size_t errsz)
{
	json_t	*v;

	*out = NULL;
	if ((v = load(in, len, err, errsz)) == NULL)
		return -1;
	*out = dump(v, outlen);
	json_decref(v);
	if (*out == NULL) {
		seterr(err, errsz, "out of memory");
		return -1;
	}
	return 0;
}

/* Refuses members of o not in keys (NULL-terminated) or missing ones. */
static int
only_keys(json_t *o, const char *const *keys, char *err, size_t errsz)
{
	const char	*k;
	json_t		*m;
	size_t		 i, n = 0;

	json_object_foreach(o, k, m) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (keys[i] == NULL) {
			seterr(err, errsz, "unknown member \"%s\"", k);
			return -1;
		}
		n++;
	}
	for (i = 0; keys[i] != NULL; i++)
		if (json_object_get(o, keys[i]) == NULL) {
			seterr(err, errsz, "missing member \"%s\"", keys[i]);
			return -1;
		}
	(void)n;
	return 0;
}

static int
get_domain(json_t *o, const char *key, char *out, char *err, size_t errsz)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;
	size_t		 i, len;

	if (!json_is_string(v) || (len = json_string_length(v)) == 0 ||
	    len >= ENV_DOMAIN_MAX)
		goto bad;
	s = json_string_value(v);
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			goto bad;
	if (!imid_domain_valid(s))
		goto bad;
	memcpy(out, s, len + 1);
	return 0;
 bad:
	seterr(err, errsz, "bad \"%s\"", key);
	return -1;
}

static int
get_int(json_t *o, const char *key, int64_t *out, char *err, size_t errsz)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		seterr(err, errsz, "bad \"%s\"", key);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Exactly 2 * len lower-case hex digits. */
static int
get_hex(json_t *o, const char *key, uint8_t *out, size_t len, char *err,
    size_t errsz)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;
	size_t		 i;
	int		 hi, lo;

	if (!json_is_string(v) || json_string_length(v) != 2 * len)
		goto bad;
	s = json_string_value(v);
	for (i = 0; i < len; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
#define HEXV(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : \
	    (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : -1)
		if (HEXV(hi) < 0 || HEXV(lo) < 0)
			goto bad;
		out[i] = (uint8_t)(HEXV(hi) << 4 | HEXV(lo));
#undef HEXV
	}
	return 0;
 bad:
	seterr(err, errsz, "bad \"%s\"", key);
	return -1;
}

/* Canonical base64 of exactly len octets. */
static int
get_b64(json_t *o, const char *key, uint8_t *out, size_t len, char *err,
    size_t errsz)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_string(v) ||
	    b64_decode(json_string_value(v), out, len) != (int)len) {
		seterr(err, errsz, "bad \"%s\"", key);
		return -1;
	}
	return 0;
}

static const char *const outer_keys[] = {
	"version", "immp-origin", "immp-destination", "immp-recipient",
	"envelope-id", "content-sha256", "timestamp", "key-fingerprint",
	"received-from", "received-via", "signature", NULL
};
static const char *const from_keys[] = { "domain", "timestamp", NULL };
static const char *const hop_keys[] = {
	"domain", "timestamp", "key-fingerprint", "signature", NULL
};

int
env_parse(const char *in, size_t len, struct env_outer *e, char *err,
    size_t errsz)
{
	json_t		*o, *v, *m;
	uint8_t		 box[ENV_INNER_MAX + crypto_box_SEALBYTES];
	int64_t		 ver;
	size_t		 i;
	int		 n;

	memset(e, 0, sizeof(*e));
	if ((o = load(in, len, err, errsz)) == NULL)
		return -1;
	if (only_keys(o, outer_keys, err, errsz) == -1 ||
	    get_int(o, "version", &ver, err, errsz) == -1)
		goto fail;
	if (ver != ENV_VERSION) {
		seterr(err, errsz, "unsupported version");
		goto fail;
	}
	if (get_domain(o, "immp-origin", e->origin, err, errsz) == -1 ||
	    get_domain(o, "immp-destination", e->destination, err,
	    errsz) == -1 ||
	    get_hex(o, "envelope-id", e->id, ENV_ID, err, errsz) == -1 ||
	    get_hex(o, "content-sha256", e->digest, ENV_DIGEST, err,
	    errsz) == -1 ||
	    get_int(o, "timestamp", &e->timestamp, err, errsz) == -1 ||
	    get_hex(o, "key-fingerprint", e->fp, ENV_FP, err, errsz) == -1 ||
	    get_b64(o, "signature", e->sig, ENV_SIG, err, errsz) == -1)
		goto fail;

	v = json_object_get(o, "immp-recipient");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > ENV_RCPT_MAX) {
		seterr(err, errsz, "bad \"immp-recipient\"");
		goto fail;
	}
	json_array_foreach(v, i, m) {
		if (!json_is_string(m) ||
		    json_string_length(m) >= ENV_SEALED_MAX ||
		    (n = b64_decode(json_string_value(m), box,
		    sizeof(box))) < (int)crypto_box_SEALBYTES + 2) {
			seterr(err, errsz, "bad \"immp-recipient\"");
			goto fail;
		}
		memcpy(e->rcpt[i], json_string_value(m),
		    json_string_length(m) + 1);
	}
	e->nrcpt = json_array_size(v);

	v = json_object_get(o, "received-from");
	if (!json_is_object(v) || only_keys(v, from_keys, err, errsz) == -1 ||
	    get_domain(v, "domain", e->from_domain, err, errsz) == -1 ||
	    get_int(v, "timestamp", &e->from_timestamp, err, errsz) == -1) {
		seterr(err, errsz, "bad \"received-from\"");
		goto fail;
	}

	v = json_object_get(o, "received-via");
	if (!json_is_array(v) || json_array_size(v) > ENV_HOPS_MAX) {
		seterr(err, errsz, "bad \"received-via\"");
		goto fail;
	}
	json_array_foreach(v, i, m) {
		if (!json_is_object(m) ||
		    only_keys(m, hop_keys, err, errsz) == -1 ||
		    get_domain(m, "domain", e->via[i].domain, err,
		    errsz) == -1 ||
		    get_int(m, "timestamp", &e->via[i].timestamp, err,
		    errsz) == -1 ||
		    get_hex(m, "key-fingerprint", e->via[i].fp, ENV_FP, err,
		    errsz) == -1 ||
		    get_b64(m, "signature", e->via[i].sig, ENV_SIG, err,
		    errsz) == -1) {
			seterr(err, errsz, "bad \"received-via\" entry %zu",
			    i);
			goto fail;
		}
	}
	e->nvia = json_array_size(v);
	json_decref(o);
	sodium_memzero(box, sizeof(box));
	return 0;
 fail:
	json_decref(o);
	memset(e, 0, sizeof(*e));
	return -1;
}

static int
hex_put(json_t *o, const char *key, const uint8_t *p, size_t len)
{
	char	 hex[2 * 64 + 1];

	if (2 * len + 1 > sizeof(hex))
		return -1;
	sodium_bin2hex(hex, sizeof(hex), p, len);
	return json_object_set_new(o, key, json_string(hex));
}

static int
b64_put(json_t *o, const char *key, const uint8_t *p, size_t len)
{
	char	 b[128];

	if (b64_encode(p, len, b, sizeof(b)) == -1)
		return -1;
	return json_object_set_new(o, key, json_string(b));
}

/* The origin fields of *e as a JSON object, NULL if malformed. */
static json_t *
origin_obj(const struct env_outer *e)
{
	json_t	*o, *a, *f;
	size_t	 i;
	int	 r = 0;

	if (e->nrcpt == 0 || e->nrcpt > ENV_RCPT_MAX ||
	    e->nvia > ENV_HOPS_MAX ||
	    !imid_domain_valid(e->origin) ||
	    !imid_domain_valid(e->destination) ||
	    !imid_domain_valid(e->from_domain) ||
	    e->timestamp < 0 || e->timestamp > ENV_INT_MAX ||
	    e->from_timestamp < 0 || e->from_timestamp > ENV_INT_MAX)
		return NULL;
	if ((o = json_object()) == NULL)
		return NULL;
	if ((a = json_array()) == NULL) {
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < e->nrcpt; i++)
		if (strnlen(e->rcpt[i], ENV_SEALED_MAX) == ENV_SEALED_MAX ||
		    json_array_append_new(a, json_string(e->rcpt[i])) == -1)
			r = -1;
	r |= json_object_set_new(o, "immp-recipient", a);
	r |= json_object_set_new(o, "version", json_integer(ENV_VERSION));
	r |= json_object_set_new(o, "immp-origin", json_string(e->origin));
	r |= json_object_set_new(o, "immp-destination",
	    json_string(e->destination));
	r |= hex_put(o, "envelope-id", e->id, ENV_ID);
	r |= hex_put(o, "content-sha256", e->digest, ENV_DIGEST);
	r |= json_object_set_new(o, "timestamp", json_integer(e->timestamp));
	r |= hex_put(o, "key-fingerprint", e->fp, ENV_FP);
	f = json_object();
	r |= json_object_set_new(o, "received-from", f);
	if (f != NULL) {
		r |= json_object_set_new(f, "domain",
		    json_string(e->from_domain));
		r |= json_object_set_new(f, "timestamp",
		    json_integer(e->from_timestamp));
	}
	if (r != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* label || canonical(o); consumes o. */
static int
labelled(const char *label, json_t *o, char **out, size_t *len)
{
	char	*s, *m;
	size_t	 slen, llen = strlen(label);

	*out = NULL;
	if (o == NULL)
		return -1;
	s = dump(o, &slen);
	json_decref(o);
	if (s == NULL)
		return -1;
	if ((m = malloc(llen + slen + 1)) == NULL) {
		free(s);
		return -1;
	}
	memcpy(m, label, llen);
	memcpy(m + llen, s, slen + 1);
	free(s);
	*out = m;
	*len = llen + slen;
	return 0;
}

int
env_origin_msg(const struct env_outer *e, char **out, size_t *len)
{
	return labelled(ENV_ORIGIN_LABEL, origin_obj(e), out, len);
}

char *
env_format(const struct env_outer *e, size_t *len)
{
	json_t	*o, *a, *h;
	char	*s;
	size_t	 i;
	int	 r = 0;

	if ((o = origin_obj(e)) == NULL)
		return NULL;
	r |= b64_put(o, "signature", e->sig, ENV_SIG);
	a = json_array();
	r |= json_object_set_new(o, "received-via", a);
	for (i = 0; r == 0 && i < e->nvia; i++) {
		if (!imid_domain_valid(e->via[i].domain) ||
		    e->via[i].timestamp < 0 ||
		    e->via[i].timestamp > ENV_INT_MAX ||
		    (h = json_object()) == NULL) {
			r = -1;
			break;
		}
		r |= json_array_append_new(a, h);
		r |= json_object_set_new(h, "domain",
		    json_string(e->via[i].domain));
		r |= json_object_set_new(h, "timestamp",
		    json_integer(e->via[i].timestamp));
		r |= hex_put(h, "key-fingerprint", e->via[i].fp, ENV_FP);
		r |= b64_put(h, "signature", e->via[i].sig, ENV_SIG);
	}
	s = r == 0 ? dump(o, len) : NULL;
	json_decref(o);
	return s;
}

int
env_sign(struct env_outer *e, const uint8_t sk[ENV_SIGN_SK])
{
	char	*m;
	size_t	 len;

	if (env_origin_msg(e, &m, &len) == -1)
		return -1;
	crypto_sign_detached(e->sig, NULL, (const unsigned char *)m, len, sk);
	free(m);
	return 0;
}

int
env_verify(const struct env_outer *e, const uint8_t pk[ENV_SIGN_PK])
{
	char	*m;
	size_t	 len;
	int	 r;

	if (env_origin_msg(e, &m, &len) == -1)
		return -1;
	r = crypto_sign_verify_detached(e->sig, (const unsigned char *)m,
	    len, pk);
	free(m);
	return r == 0 ? 0 : -1;
}

int
env_hop_msg(const struct env_outer *e, size_t i, char **out, size_t *len)
{
	const struct env_hop	*h;
	const uint8_t		*prev;
	json_t			*o;
	int			 r = 0;

	*out = NULL;
	if (i >= ENV_HOPS_MAX)
		return -1;
	h = &e->via[i];
	if (!imid_domain_valid(h->domain) || h->timestamp < 0 ||
	    h->timestamp > ENV_INT_MAX)
		return -1;
	prev = i == 0 ? e->sig : e->via[i - 1].sig;
	if ((o = json_object()) == NULL)
		return -1;
	r |= json_object_set_new(o, "domain", json_string(h->domain));
	r |= json_object_set_new(o, "timestamp", json_integer(h->timestamp));
	r |= hex_put(o, "key-fingerprint", h->fp, ENV_FP);
	r |= b64_put(o, "previous", prev, ENV_SIG);
	if (r != 0) {
		json_decref(o);
		return -1;
	}
	return labelled(ENV_HOP_LABEL, o, out, len);
}

int
env_hop_add(struct env_outer *e, const char *domain, int64_t timestamp,
    const uint8_t fp[ENV_FP], const uint8_t sk[ENV_SIGN_SK])
{
	struct env_hop	*h;
	char		*m;
	size_t		 len;

	if (e->nvia >= ENV_HOPS_MAX ||
	    strlen(domain) >= ENV_DOMAIN_MAX)
		return -1;
	h = &e->via[e->nvia];
	memset(h, 0, sizeof(*h));
	(void)strlcpy(h->domain, domain, sizeof(h->domain));
	h->timestamp = timestamp;
	memcpy(h->fp, fp, ENV_FP);
	if (env_hop_msg(e, e->nvia, &m, &len) == -1) {
		memset(h, 0, sizeof(*h));
		return -1;
	}
	crypto_sign_detached(h->sig, NULL, (const unsigned char *)m, len, sk);
	free(m);
	e->nvia++;
	return 0;
}

int
env_hop_verify(const struct env_outer *e, size_t i,
    const uint8_t pk[ENV_SIGN_PK])
{
	char	*m;
	size_t	 len;
	int	 r;

	if (i >= e->nvia || env_hop_msg(e, i, &m, &len) == -1)
		return -1;
	r = crypto_sign_verify_detached(e->via[i].sig,
	    (const unsigned char *)m, len, pk);
	free(m);
	return r == 0 ? 0 : -1;
}

static const char *const inner_keys[] = {
	"version", "envelope-id", "content-sha256", "sender", "flags",
	"timestamp", "recipients", NULL
};

/* 1 if s is an address "local@domain" as imid_parse reads it. */
static int
addr_ok(const char *s)
{
	struct imid	 id;
	const char	*errstr;

	return imid_parse(s, &id, &errstr) == 0;
}

char *
env_inner_format(const struct env_inner *in, size_t *len)
{
	json_t	*o, *a;
	char	*s;
	size_t	 i;
	int	 r = 0;

	if (in->nrcpt == 0 || in->nrcpt > ENV_INNER_RCPT_MAX ||
	    in->timestamp < 0 || in->timestamp > ENV_INT_MAX ||
	    strnlen(in->sender, ENV_ADDR_MAX) == ENV_ADDR_MAX ||
	    !str_ok(in->sender, strlen(in->sender)) ||
	    (in->sender[0] != '\0' && !addr_ok(in->sender)))
		return NULL;
	if ((o = json_object()) == NULL)
		return NULL;
	a = json_array();
	r |= json_object_set_new(o, "recipients", a);
	for (i = 0; r == 0 && i < in->nrcpt; i++) {
		if (strnlen(in->rcpt[i], ENV_ADDR_MAX) == ENV_ADDR_MAX ||
		    !str_ok(in->rcpt[i], strlen(in->rcpt[i])) ||
		    !addr_ok(in->rcpt[i]))
			r = -1;
		else
			r |= json_array_append_new(a,
			    json_string(in->rcpt[i]));
	}
	r |= json_object_set_new(o, "version", json_integer(ENV_VERSION));
	r |= hex_put(o, "envelope-id", in->id, ENV_ID);
	r |= hex_put(o, "content-sha256", in->digest, ENV_DIGEST);
	r |= json_object_set_new(o, "sender", json_string(in->sender));
	r |= json_object_set_new(o, "flags", json_integer(in->flags));
	r |= json_object_set_new(o, "timestamp", json_integer(in->timestamp));
	s = r == 0 ? dump(o, len) : NULL;
	json_decref(o);
	if (s != NULL && *len > ENV_INNER_MAX) {
		free(s);
		s = NULL;
	}
	return s;
}

int
env_inner_parse(const char *buf, size_t len, struct env_inner *in,
    char *err, size_t errsz)
{
	json_t		*o, *v, *m;
	const char	*s;
	int64_t		 ver, flags;
	size_t		 i;

	memset(in, 0, sizeof(*in));
	if (len > ENV_INNER_MAX) {
		seterr(err, errsz, "inner envelope too long");
		return -1;
	}
	if ((o = load(buf, len, err, errsz)) == NULL)
		return -1;
	if (only_keys(o, inner_keys, err, errsz) == -1 ||
	    get_int(o, "version", &ver, err, errsz) == -1 ||
	    get_hex(o, "envelope-id", in->id, ENV_ID, err, errsz) == -1 ||
	    get_hex(o, "content-sha256", in->digest, ENV_DIGEST, err,
	    errsz) == -1 ||
	    get_int(o, "flags", &flags, err, errsz) == -1 ||
	    get_int(o, "timestamp", &in->timestamp, err, errsz) == -1)
		goto fail;
	if (ver != ENV_VERSION || flags > UINT32_MAX) {
		seterr(err, errsz, "bad \"%s\"", ver != ENV_VERSION ?
		    "version" : "flags");
		goto fail;
	}
	in->flags = (uint32_t)flags;
	v = json_object_get(o, "sender");
	if (!json_is_string(v) || json_string_length(v) >= ENV_ADDR_MAX ||
	    ((s = json_string_value(v))[0] != '\0' && !addr_ok(s))) {
		seterr(err, errsz, "bad \"sender\"");
		goto fail;
	}
	memcpy(in->sender, s, json_string_length(v) + 1);
	v = json_object_get(o, "recipients");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > ENV_INNER_RCPT_MAX) {
		seterr(err, errsz, "bad \"recipients\"");
		goto fail;
	}
	json_array_foreach(v, i, m) {
		if (!json_is_string(m) ||
		    json_string_length(m) >= ENV_ADDR_MAX ||
		    !addr_ok(json_string_value(m))) {
			seterr(err, errsz, "bad recipient %zu", i);
			goto fail;
		}
		memcpy(in->rcpt[i], json_string_value(m),
		    json_string_length(m) + 1);
	}
	in->nrcpt = json_array_size(v);
	json_decref(o);
	return 0;
 fail:
	json_decref(o);
	memset(in, 0, sizeof(*in));
	return -1;
}

int
env_inner_seal(const struct env_inner *in, const uint8_t pk[ENV_SEAL_PK],
    char *out, size_t outsz)
{
	uint8_t	 box[ENV_INNER_MAX + crypto_box_SEALBYTES];
	char	*s;
	size_t	 len;
	int	 r;

	if ((s = env_inner_format(in, &len)) == NULL)
		return -1;
	r = crypto_box_seal(box, (const unsigned char *)s, len, pk);
	sodium_memzero(s, len);
	free(s);
	if (r != 0)
		return -1;
	return b64_encode(box, len + crypto_box_SEALBYTES, out, outsz) == -1 ?
	    -1 : 0;
}

int
env_inner_open(const char *s, const uint8_t pk[ENV_SEAL_PK],
    const uint8_t sk[ENV_SEAL_SK], struct env_inner *in, char *err,
    size_t errsz)
{
	uint8_t	 box[ENV_INNER_MAX + crypto_box_SEALBYTES];
	char	 clear[ENV_INNER_MAX];
	int	 n, r;

	memset(in, 0, sizeof(*in));
	if ((n = b64_decode(s, box, sizeof(box))) <
	    (int)crypto_box_SEALBYTES + 2) {
		seterr(err, errsz, "inner envelope: bad base64");
		return -1;
	}
	if (crypto_box_seal_open((unsigned char *)clear, box, (size_t)n, pk,
	    sk) != 0) {
		seterr(err, errsz, "inner envelope not sealed to us");
		return -1;
	}
	r = env_inner_parse(clear, (size_t)n - crypto_box_SEALBYTES, in,
	    err, errsz);
	sodium_memzero(clear, sizeof(clear));
	return r;
}

int
env_time_ok(int64_t ts, int64_t now, int64_t window)
{
	if (ts > now)
		return ts - now <= window;
	return now - ts <= window;
}

const char *
env_verdict_name(enum env_verdict v)
{
	switch (v) {
	case ENV_OK:
		return "ok";
	case ENV_WRONG_DESTINATION:
		return "wrong-destination";
	case ENV_STALE:
		return "stale";
	case ENV_BAD_DIGEST:
		return "bad-digest";
	case ENV_BAD_SIGNATURE:
		return "bad-signature";
	case ENV_BAD_KEY:
		return "bad-key";
	case ENV_NOT_SEALED:
		return "not-sealed";
	case ENV_MISBOUND:
		return "misbound";
	case ENV_REPLAY:
		return "replay";
	}
	return "unknown";
}

int
env_replay_check(struct env_replay *r, const uint8_t id[ENV_ID],
    int64_t now, int64_t window)
{
	struct env_seen	*ns;
	size_t		 i, j, ncap;

	for (i = j = 0; i < r->n; i++) {
		if (r->seen[i].until < now)
			continue;		/* expired: dropped */
		if (sodium_memcmp(r->seen[i].id, id, ENV_ID) == 0)
			return 1;
		r->seen[j++] = r->seen[i];
	}
	r->n = j;
	if (r->cap != 0 && r->n >= r->cap)
		return -1;
	if (r->n == r->alloc) {
		ncap = r->alloc == 0 ? 16 : 2 * r->alloc;
		if ((ns = reallocarray(r->seen, ncap, sizeof(*ns))) == NULL)
			return -1;
		r->seen = ns;
		r->alloc = ncap;
	}
	memcpy(r->seen[r->n].id, id, ENV_ID);
	r->seen[r->n].until = now + window;
	r->n++;
	return 0;
}

void
env_replay_free(struct env_replay *r)
{
	free(r->seen);
	r->seen = NULL;
	r->n = r->alloc = 0;
}

int
env_check(const struct env_outer *e, const char *destination, int64_t now,
    int64_t window, const uint8_t digest[ENV_DIGEST],
    const uint8_t fp[ENV_FP], const uint8_t sign_pk[ENV_SIGN_PK],
    const uint8_t seal_pk[ENV_SEAL_PK], const uint8_t seal_sk[ENV_SEAL_SK],
    struct env_replay *r, struct env_inner *in)
{
	size_t	 i;
	int	 v;

	memset(in, 0, sizeof(*in));
	if (strcmp(e->destination, destination) != 0)
		return ENV_WRONG_DESTINATION;
	if (!env_time_ok(e->timestamp, now, window))
		return ENV_STALE;
	if (sodium_memcmp(e->digest, digest, ENV_DIGEST) != 0)
		return ENV_BAD_DIGEST;
	if (sodium_memcmp(e->fp, fp, ENV_FP) != 0)
		return ENV_BAD_KEY;
	if (env_verify(e, sign_pk) == -1)
		return ENV_BAD_SIGNATURE;
	for (i = 0; i < e->nrcpt; i++)
		if (env_inner_open(e->rcpt[i], seal_pk, seal_sk, in, NULL,
		    0) == 0)
			break;
	if (i == e->nrcpt)
		return ENV_NOT_SEALED;
	if (sodium_memcmp(in->id, e->id, ENV_ID) != 0 ||
	    sodium_memcmp(in->digest, e->digest, ENV_DIGEST) != 0) {
		memset(in, 0, sizeof(*in));
		return ENV_MISBOUND;
	}
	if ((v = env_replay_check(r, e->id, now, window)) != 0) {
		memset(in, 0, sizeof(*in));
		return v == 1 ? ENV_REPLAY : -1;
	}
	return ENV_OK;
}

void
env_digest_init(struct env_digest *d)
{
	memset(d, 0, sizeof(*d));
	crypto_hash_sha256_init(&d->all);
	crypto_hash_sha256_init(&d->part);
}

void
env_digest_data(struct env_digest *d, const void *buf, size_t len)
{
	crypto_hash_sha256_update(&d->part, buf, len);
	d->len += len;
}

int
env_digest_part(struct env_digest *d, const char *name, const char *type,
    int content)
{
	uint8_t	 h[crypto_hash_sha256_BYTES];
	char	 hex[2 * sizeof(h) + 1], line[1024];
	int	 n;

	crypto_hash_sha256_final(&d->part, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	n = snprintf(line, sizeof(line), "part %s %s %s %llu %s\n", name,
	    type, content ? "content" : "attachment",
	    (unsigned long long)d->len, hex);
	crypto_hash_sha256_init(&d->part);
	d->len = 0;
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	crypto_hash_sha256_update(&d->all, (const unsigned char *)line,
	    (size_t)n);
	return 0;
}

void
env_digest_final(struct env_digest *d, uint8_t out[ENV_DIGEST])
{
	crypto_hash_sha256_final(&d->all, out);
	sodium_memzero(d, sizeof(*d));
}

int
env_make(struct env_outer *e, struct env_inner *in, const char *origin,
    const char *destination, const uint8_t digest[ENV_DIGEST], int64_t now,
    const uint8_t fp[ENV_FP], const uint8_t sign_sk[ENV_SIGN_SK],
    const uint8_t seal_pk[ENV_SEAL_PK])
{
	memset(e, 0, sizeof(*e));
	if (in->nrcpt == 0 || in->nrcpt > ENV_INNER_RCPT_MAX ||
	    strlen(origin) >= ENV_DOMAIN_MAX ||
	    strlen(destination) >= ENV_DOMAIN_MAX)
		return -1;
	randombytes_buf(in->id, ENV_ID);
	memcpy(in->digest, digest, ENV_DIGEST);
	in->timestamp = now;
	(void)strlcpy(e->origin, origin, sizeof(e->origin));
	(void)strlcpy(e->destination, destination, sizeof(e->destination));
	(void)strlcpy(e->from_domain, origin, sizeof(e->from_domain));
	memcpy(e->id, in->id, ENV_ID);
	memcpy(e->digest, digest, ENV_DIGEST);
	memcpy(e->fp, fp, ENV_FP);
	e->timestamp = e->from_timestamp = now;
	e->nrcpt = 1;
	if (env_inner_seal(in, seal_pk, e->rcpt[0], sizeof(e->rcpt[0])) ==
	    -1 || env_sign(e, sign_sk) == -1) {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 0;
}
