/*
 * IMID parser (draft 4.1, 3.2.1; immp(7) IMIDS).  See imid.h for the
 * grammar.  Each part is measured against its limit before it is
 * copied; nothing is truncated.
 */

#include <stdio.h>
#include <string.h>

#include "imid.h"

#define IMID_MAXPART	64	/* shared, local, folder, segment, message */
#define IMID_MAXDOMAIN	253
#define IMID_MAXLABEL	63
#define IMID_MAXMAILBOX	255
#define IMID_MAXOPTIONS	255

static int	is_alnum(unsigned char);
static int	is_partchar(unsigned char);
static int	atom_valid(const char *, size_t);
static int	name_valid(const char *, size_t);
static int	domain_valid(const char *, size_t);
static int	mailbox_valid(const char *, size_t);
static int	message_valid(const char *, size_t);
static int	options_valid(const char *, size_t);
static void	copy_part(char *, const char *, size_t);
static int	has_scheme(const char *);

static int
is_alnum(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'));
}

/* ALPHA / DIGIT / "." / "_" / "-" */
static int
is_partchar(unsigned char c)
{
	return (is_alnum(c) || c == '.' || c == '_' || c == '-');
}

/*
 * shared, local: 1*64 part characters, no leading, trailing or doubled
 * ".".
 */
static int
atom_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > IMID_MAXPART)
		return (0);
	if (s[0] == '.' || s[len - 1] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		if (!is_partchar((unsigned char)s[i]))
			return (0);
		if (s[i] == '.' && i > 0 && s[i - 1] == '.')
			return (0);
	}
	return (1);
}

/*
 * folder, mailbox segment: 1*64 part characters, no leading or trailing
 * ".", no "..": the name becomes a Maildir++ folder ".name", where a dot
 * is the hierarchy separator.
 */
static int
name_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > IMID_MAXPART)
		return (0);
	if (s[0] == '.' || s[len - 1] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		if (!is_partchar((unsigned char)s[i]))
			return (0);
		if (s[i] == '.' && s[i - 1] == '.')
			return (0);
	}
	return (1);
}

/*
 * LDH labels of 1..63 octets joined by ".", at most 253 octets in all,
 * no label starting or ending with "-" (RFC 1035 2.3.1, RFC 1123 2.1).
 */
static int
domain_valid(const char *s, size_t len)
{
	size_t	i, lstart;

	if (len == 0 || len > IMID_MAXDOMAIN)
		return (0);
	lstart = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == lstart || i - lstart > IMID_MAXLABEL)
				return (0);
			if (s[lstart] == '-' || s[i - 1] == '-')
				return (0);
			lstart = i + 1;
			continue;
		}
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return (0);
	}
	return (1);
}

/* segment *( "/" segment ), at most 255 octets. */
static int
mailbox_valid(const char *s, size_t len)
{
	size_t	i, sstart;

	if (len == 0 || len > IMID_MAXMAILBOX)
		return (0);
	sstart = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '/') {
			if (!name_valid(s + sstart, i - sstart))
				return (0);
			sstart = i + 1;
		}
	}
	return (1);
}

/* 1*64( ALPHA / DIGIT / "-" ) */
static int
message_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > IMID_MAXPART)
		return (0);
	for (i = 0; i < len; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return (0);
	return (1);
}

/* 1*255( printable ASCII except SP ) */
static int
options_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > IMID_MAXOPTIONS)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return (0);
	return (1);
}

/* dst has room for len + 1 octets: checked by the *_valid functions. */
static void
copy_part(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* 1 if s starts with "imid:" in any ASCII case. */
static int
has_scheme(const char *s)
{
	static const char	 scheme[] = "imid:";
	size_t			 i;
	unsigned char		 c;

	for (i = 0; scheme[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)scheme[i])
			return (0);	/* also stops at the NUL of s */
	}
	return (1);
}

int
imid_parse(const char *s, struct imid *out, const char **errstr)
{
	const char	*p, *at, *end, *slash, *plus, *mbox, *hash, *q;
	size_t		 i, n;

	memset(out, 0, sizeof(*out));
	*errstr = NULL;

	/* Optional scheme, case-insensitive. */
	if (has_scheme(s))
		s += 5;
	end = s + strlen(s);

	/* Before the first "@": [ shared "/" ] local [ "+" folder ] */
	at = strchr(s, '@');
	if (at == NULL) {
		*errstr = "missing @";
		return (-1);
	}
	slash = memchr(s, '/', at - s);
	p = s;
	if (slash != NULL) {
		if (!atom_valid(p, slash - p)) {
			*errstr = "invalid shared mailbox name";
			return (-1);
		}
		copy_part(out->shared, p, slash - p);
		p = slash + 1;
	}
	plus = memchr(p, '+', at - p);
	n = (plus != NULL ? plus : at) - p;
	if (n == 0) {
		*errstr = "empty local part";
		return (-1);
	}
	if (n > IMID_MAXPART) {
		*errstr = "local part too long";
		return (-1);
	}
	if (!atom_valid(p, n)) {
		*errstr = "invalid local part";
		return (-1);
	}
	copy_part(out->local, p, n);
	if (plus != NULL) {
		if (!name_valid(plus + 1, at - (plus + 1))) {
			*errstr = "invalid folder";
			return (-1);
		}
		copy_part(out->folder, plus + 1, at - (plus + 1));
	}

	/* After "@": domain [ "/" mailbox [ "#" message ] ] [ "?" options ] */
	p = at + 1;
	q = memchr(p, '?', end - p);
	if (q == NULL)
		q = end;
	mbox = memchr(p, '/', q - p);
	n = (mbox != NULL ? mbox : q) - p;
	if (n > IMID_MAXDOMAIN) {
		*errstr = "domain too long";
		return (-1);
	}
	if (!domain_valid(p, n)) {
		*errstr = "invalid domain";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		out->domain[i] = p[i];
		if (out->domain[i] >= 'A' && out->domain[i] <= 'Z')
			out->domain[i] += 'a' - 'A';
	}
	out->domain[n] = '\0';

	if (mbox != NULL) {
		p = mbox + 1;
		hash = memchr(p, '#', q - p);
		n = (hash != NULL ? hash : q) - p;
		if (!mailbox_valid(p, n)) {
			*errstr = "invalid mailbox";
			return (-1);
		}
		copy_part(out->mailbox, p, n);
		if (hash != NULL) {
			p = hash + 1;
			if (!message_valid(p, q - p)) {
				*errstr = "invalid message id";
				return (-1);
			}
			copy_part(out->message, p, q - p);
		}
	}

	if (q != end) {
		p = q + 1;
		if (!options_valid(p, end - p)) {
			*errstr = "invalid options";
			return (-1);
		}
		copy_part(out->options, p, end - p);
	}
	return (0);
}

int
imid_account(const struct imid *id, char *buf, size_t size)
{
	int	n;

	if (size == 0)
		return (-1);
	n = snprintf(buf, size, "%s@%s", id->local, id->domain);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return (-1);
	}
	return (0);
}

int
imid_domain_valid(const char *s)
{
	return (domain_valid(s, strlen(s)));
}
