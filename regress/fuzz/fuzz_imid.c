/*
 * fuzz_imid: imid_parse (common/imid.h) on arbitrary strings.
 *
 * Properties:
 * - acceptance agrees with a second, independent reading of the grammar
 *   in imid.h (split on the first "?", "@", "/", "+", "#", then check
 *   each part);
 * - on success every field holds what the grammar allows, the domain is
 *   lower case and imid_domain_valid; printing the fields back gives the
 *   input (without "imid:", ignoring case) and parses to the same
 *   fields; imid_account gives local@domain and fails cleanly when the
 *   buffer is one octet short;
 * - on failure *errstr is one of the documented reasons.
 */

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imid.h"
#include "fuzz.h"

static const char *const reasons[] = {
	"missing @", "empty local part", "local part too long",
	"invalid local part", "invalid shared mailbox name",
	"invalid folder", "domain too long", "invalid domain",
	"invalid mailbox", "invalid message id", "invalid options", NULL
};

static int
alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
pchar(unsigned char c)
{
	return alnum(c) || c == '.' || c == '_' || c == '-';
}

/* name: 1*64 pchar, no leading, trailing or doubled "." */
static int
o_name(const char *s, size_t n)
{
	size_t	i;

	if (n < 1 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!pchar(s[i]) || (i > 0 && s[i] == '.' && s[i - 1] == '.'))
			return 0;
	return 1;
}

/*
 * folder / mailbox segment: as a name (they become Maildir++ folders,
 * where "." separates levels).
 */
static int
o_folder(const char *s, size_t n)
{
	return o_name(s, n);
}

static int
o_domain(const char *s, size_t n)
{
	size_t	i, start = 0;

	if (n < 1 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!alnum(s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		/* label s[start..i) */
		if (i - start < 1 || i - start > 63 || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static int
o_mailbox(const char *s, size_t n)
{
	size_t	i, start = 0;

	if (n < 1 || n > 255)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!o_folder(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

static int
o_message(const char *s, size_t n)
{
	size_t	i;

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
o_options(const char *s, size_t n)
{
	size_t	i;

	if (n < 1 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
oracle(const char *s)
{
	const char	*end, *q, *at, *sl, *pl, *hs, *p;

	if (strncasecmp(s, "imid:", 5) == 0)
		s += 5;
	end = s + strlen(s);
	if ((q = strchr(s, '?')) != NULL) {
		if (!o_options(q + 1, end - q - 1))
			return 0;
		end = q;
	}
	if ((at = memchr(s, '@', end - s)) == NULL)
		return 0;
	p = s;
	if ((sl = memchr(p, '/', at - p)) != NULL) {
		if (!o_name(p, sl - p))
			return 0;
		p = sl + 1;
	}
	if ((pl = memchr(p, '+', at - p)) != NULL) {
		if (!o_folder(pl + 1, at - pl - 1))
			return 0;
	} else
		pl = at;
	if (!o_name(p, pl - p))
		return 0;
	p = at + 1;
	if ((sl = memchr(p, '/', end - p)) == NULL)
		return o_domain(p, end - p);
	if (!o_domain(p, sl - p))
		return 0;
	p = sl + 1;
	if ((hs = memchr(p, '#', end - p)) == NULL)
		return o_mailbox(p, end - p);
	return o_mailbox(p, hs - p) && o_message(hs + 1, end - hs - 1);
}

static size_t
print(const struct imid *m, char *buf, size_t size)
{
	int	n;

	n = snprintf(buf, size, "%s%s%s%s%s@%s%s%s%s%s%s%s",
	    m->shared, m->shared[0] ? "/" : "", m->local,
	    m->folder[0] ? "+" : "", m->folder, m->domain,
	    m->mailbox[0] ? "/" : "", m->mailbox,
	    m->message[0] ? "#" : "", m->message,
	    m->options[0] ? "?" : "", m->options);
	FUZZ_ASSERT(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 s[2048], back[2048];
	struct imid	 m, m2;
	const char	*err, *in;
	char		 acct[64 + 1 + 253 + 1];
	size_t		 i, alen;
	int		 r, o;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	err = NULL;
	r = imid_parse(s, &m, &err);
	o = oracle(s);
	if (r != (o ? 0 : -1))
		fprintf(stderr, "imid_parse(\"%s\") = %d (%s), oracle %d\n",
		    s, r, err ? err : "-", o);
	FUZZ_ASSERT(r == (o ? 0 : -1));
	if (r == -1) {
		for (i = 0; reasons[i] != NULL; i++)
			if (err != NULL && strcmp(err, reasons[i]) == 0)
				break;
		FUZZ_ASSERT(reasons[i] != NULL);
		return 0;
	}

	FUZZ_ASSERT(terminated(m.shared, sizeof(m.shared)) &&
	    terminated(m.local, sizeof(m.local)) &&
	    terminated(m.folder, sizeof(m.folder)) &&
	    terminated(m.domain, sizeof(m.domain)) &&
	    terminated(m.mailbox, sizeof(m.mailbox)) &&
	    terminated(m.message, sizeof(m.message)) &&
	    terminated(m.options, sizeof(m.options)));
	FUZZ_ASSERT(m.local[0] != '\0' && m.domain[0] != '\0');
	FUZZ_ASSERT(o_name(m.local, strlen(m.local)));
	FUZZ_ASSERT(m.shared[0] == '\0' ||
	    o_name(m.shared, strlen(m.shared)));
	FUZZ_ASSERT(m.folder[0] == '\0' ||
	    o_folder(m.folder, strlen(m.folder)));
	FUZZ_ASSERT(m.mailbox[0] != '\0' || m.message[0] == '\0');
	FUZZ_ASSERT(imid_domain_valid(m.domain));
	for (i = 0; m.domain[i] != '\0'; i++)
		FUZZ_ASSERT(m.domain[i] < 'A' || m.domain[i] > 'Z');

	in = strncasecmp(s, "imid:", 5) == 0 ? s + 5 : s;
	alen = print(&m, back, sizeof(back));
	FUZZ_ASSERT(alen == strlen(in));
	FUZZ_ASSERT(strcasecmp(back, in) == 0);
	err = NULL;
	FUZZ_ASSERT(imid_parse(back, &m2, &err) == 0);
	FUZZ_ASSERT(memcmp(&m, &m2, sizeof(m)) == 0);

	FUZZ_ASSERT(imid_account(&m, acct, sizeof(acct)) == 0);
	alen = strlen(m.local) + 1 + strlen(m.domain);
	FUZZ_ASSERT(strlen(acct) == alen &&
	    strncmp(acct, m.local, strlen(m.local)) == 0 &&
	    acct[strlen(m.local)] == '@' &&
	    strcmp(acct + strlen(m.local) + 1, m.domain) == 0);
	FUZZ_ASSERT(imid_account(&m, acct, alen + 1) == 0);
	FUZZ_ASSERT(imid_account(&m, acct, alen) == -1 && acct[0] == '\0');
	return 0;
}
