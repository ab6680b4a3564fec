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

/* The text form of tables (makemap.h). */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imid.h"
#include "makemap.h"

#define SEEN_BUCKETS	1024

struct seen {
	struct seen	*next;
	long		 line;
	char		 key[];
};

struct mp {
	const char	*fname;
	long		 line;
	int		 errors;
	void		(*report)(const char *, void *);
	void		*arg;
	struct seen	*seen[SEEN_BUCKETS];
};

static const struct {
	const char	*name;
	enum map_type	 type;
} types[] = {
	{ "plain",	MAP_PLAIN },
	{ "users",	MAP_USERS },
	{ "aliases",	MAP_ALIASES },
	{ "links",	MAP_LINKS },
	{ "routes",	MAP_ROUTES },
	{ "block",	MAP_BLOCK },
};

int
map_type_parse(const char *name, enum map_type *t)
{
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(name, types[i].name) == 0) {
			*t = types[i].type;
			return 0;
		}
	return -1;
}

static void
mp_err(struct mp *mp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
mp_err(struct mp *mp, const char *fmt, ...)
{
	char	msg[512], full[1024];
	va_list	ap;

	if (mp->errors++ >= MAKEMAP_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(full, sizeof(full), "%s:%ld: %s", mp->fname, mp->line,
	    msg);
	mp->report(full, mp->arg);
}

static unsigned int
hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SEEN_BUCKETS;
}

/* 0 if new (remembered), else the line it was first seen on; -1 ENOMEM */
static long
seen_add(struct mp *mp, const char *key)
{
	struct seen	*s;
	unsigned int	 h = hash(key);
	size_t		 len = strlen(key);

	for (s = mp->seen[h]; s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0)
			return s->line;
	if ((s = malloc(sizeof(*s) + len + 1)) == NULL)
		return -1;
	memcpy(s->key, key, len + 1);
	s->line = mp->line;
	s->next = mp->seen[h];
	mp->seen[h] = s;
	return 0;
}

static void
seen_free(struct mp *mp)
{
	struct seen	*s, *n;
	size_t		 i;

	for (i = 0; i < SEEN_BUCKETS; i++)
		for (s = mp->seen[i]; s != NULL; s = n) {
			n = s->next;
			free(s);
		}
}

static int
has_upper(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

/*
 * A plain account local@domain (no shared mailbox, folder or mailbox),
 * domain in lower case.  NULL if fine, else why not.
 */
static const char *
account_check(const char *s, int shared_ok)
{
	struct imid	 id;
	const char	*errstr;

	if (imid_parse(s, &id, &errstr) == -1)
		return errstr;
	if ((id.shared[0] != '\0' && !shared_ok) || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0')
		return "not a plain account";
	if (strrchr(s, '@') == NULL || has_upper(strrchr(s, '@')))
		return "domain must be lower case";
	return NULL;
}

/* A local part alone: as in an IMID. */
static const char *
local_check(const char *s)
{
	char	buf[MAKEMAP_KEY_MAX + 32];

	if (strchr(s, '@') != NULL)
		return account_check(s, 0);
	(void)snprintf(buf, sizeof(buf), "%s@example.org", s);
	return account_check(buf, 0);
}

/* "account, account, ...": blanks allowed after commas only. */
static const char *
list_check(const char *v)
{
	char		 one[MAKEMAP_KEY_MAX + 1];
	const char	*p = v, *e, *why;
	size_t		 len;

	if (*v == '\0')
		return "missing value";
	for (;;) {
		e = strchr(p, ',');
		len = e == NULL ? strlen(p) : (size_t)(e - p);
		if (len == 0 || len >= sizeof(one))
			return "bad account list";
		memcpy(one, p, len);
		one[len] = '\0';
		if ((why = account_check(one, 0)) != NULL)
			return why;
		if (e == NULL)
			return NULL;
		p = e + 1;
		p += strspn(p, " \t");
	}
}

/* host[:port]: a domain or an IPv4 address, port 1..65535. */
static const char *
route_check(const char *v)
{
	char		 host[256];
	const char	*colon = strrchr(v, ':');
	size_t		 len = colon ? (size_t)(colon - v) : strlen(v);
	long		 port;
	char		*end;

	if (*v == '\0')
		return "missing value";
	if (len == 0 || len >= sizeof(host))
		return "bad host";
	memcpy(host, v, len);
	host[len] = '\0';
	if (!imid_domain_valid(host))
		return "bad host";
	if (colon != NULL) {
		if (colon[1] < '1' || colon[1] > '9')
			return "bad port";
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return "bad port";
	}
	return NULL;
}

static const char *
record_check(enum map_type t, const char *key, const char *value)
{
	const char	*why;

	switch (t) {
	case MAP_PLAIN:
		return *value == '\0' ? "missing value" : NULL;
	case MAP_USERS:
		if ((why = account_check(key, 0)) != NULL)
			return why;
		if (strncmp(value, "$immp-scram-sha256$", 19) != 0 ||
		    strpbrk(value, " \t") != NULL)
			return "value is not a verifier";
		return NULL;
	case MAP_ALIASES:
		if ((why = local_check(key)) != NULL)
			return why;
		return list_check(value);
	case MAP_LINKS:
		if (strchr(key, '/') != NULL)
			return "shared mailbox name without account";
		if ((why = account_check(key, 0)) != NULL)
			return why;
		return list_check(value);
	case MAP_ROUTES:
		if (!imid_domain_valid(key))
			return "invalid domain";
		if (has_upper(key))
			return "domain must be lower case";
		return route_check(value);
	case MAP_BLOCK:
		if (strchr(key, '@') != NULL)
			return account_check(key, 0);
		if (!imid_domain_valid(key))
			return "invalid domain";
		if (has_upper(key))
			return "domain must be lower case";
		return NULL;
	}
	return "unknown table type";
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

long
makemap_parse(FILE *fp, const char *fname, enum map_type t,
    int (*put)(const char *, const char *, void *),
    void (*report)(const char *, void *), void *arg)
{
	struct mp	 mp;
	char		*line = NULL, *p, *key, *value;
	const char	*why;
	size_t		 cap = 0, len, i;
	ssize_t		 n;
	long		 first, count = 0;
	int		 stopped = 0;

	memset(&mp, 0, sizeof(mp));
	mp.fname = fname;
	mp.report = report;
	mp.arg = arg;
	while (!stopped && (n = getline(&line, &cap, fp)) != -1) {
		mp.line++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > MAKEMAP_LINE_MAX) {
			mp_err(&mp, "line too long");
			continue;
		}
		for (i = 0; i < len; i++)
			if (((unsigned char)line[i] < 0x20 &&
			    line[i] != '\t') || line[i] == 0x7f)
				break;
		if (i < len) {
			mp_err(&mp, line[i] == '\r' ? "carriage return" :
			    "control character");
			continue;
		}
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (p != line) {
			mp_err(&mp, "key does not start the line");
			continue;
		}
		key = line;
		for (p = key; *p != '\0' && !is_blank(*p); p++)
			;
		if (*p != '\0') {
			*p++ = '\0';
			p += strspn(p, " \t");
		}
		value = p;
		if (strlen(key) > MAKEMAP_KEY_MAX) {
			mp_err(&mp, "key too long");
			continue;
		}
		if (*value != '\0' && is_blank(value[strlen(value) - 1])) {
			mp_err(&mp, "blank at the end of the line");
			continue;
		}
		if ((why = record_check(t, key, value)) != NULL) {
			mp_err(&mp, "%s", why);
			continue;
		}
		if ((first = seen_add(&mp, key)) == -1) {
			mp_err(&mp, "out of memory");
			stopped = 1;
			continue;
		}
		if (first > 0) {
			mp_err(&mp, "duplicate key, first on line %ld",
			    first);
			continue;
		}
		if (mp.errors == 0 && put(key, value, arg) == -1) {
			mp.errors++;
			stopped = 1;
			continue;
		}
		count++;
	}
	if (ferror(fp)) {
		mp_err(&mp, "read error");
	}
	free(line);
	seen_free(&mp);
	return mp.errors > 0 ? -1 : count;
}
