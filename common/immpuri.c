/*
 * Publisher nodes and immp:// subscription links (draft 3.4; immpuri.h).
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imid.h"
#include "immpuri.h"

#define SCHEME		"immp://"
#define QUERY		"?subscribe"

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);
}

int
pubid_parse(const char *s, struct pubid *out, const char **err)
{
	struct imid	 id;
	const char	*owner, *name;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= PUB_TEXT_MAX) {
		*err = "node too long";
		return (-1);
	}
	if (strncasecmp(s, "imid:", 5) == 0) {
		*err = "not a node";
		return (-1);
	}
	if (imid_parse(s, &id, err) == -1)
		return (-1);
	if (id.folder[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0') {
		*err = "not a node";
		return (-1);
	}
	if (id.shared[0] != '\0' && id.mailbox[0] == '\0') {
		owner = id.shared;		/* owner/name@domain */
		name = id.local;
	} else if (id.shared[0] == '\0' && id.mailbox[0] != '\0' &&
	    strchr(id.mailbox, '/') == NULL && strlen(id.mailbox) <
	    PUB_PART_MAX) {
		owner = id.local;		/* owner@domain/name */
		name = id.mailbox;
	} else {
		*err = "not a node";
		return (-1);
	}
	(void)strlcpy(out->owner, owner, sizeof(out->owner));
	(void)strlcpy(out->name, name, sizeof(out->name));
	(void)strlcpy(out->domain, id.domain, sizeof(out->domain));
	lower(out->owner);
	lower(out->name);
	lower(out->domain);
	return (0);
}

int
pubid_format(const struct pubid *p, char *buf, size_t size)
{
	int	n;

	n = snprintf(buf, size, "%s/%s@%s", p->owner, p->name, p->domain);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return (-1);
	}
	return (n);
}

int
pubid_owner(const struct pubid *p, char *buf, size_t size)
{
	int	n;

	n = snprintf(buf, size, "%s@%s", p->owner, p->domain);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return (-1);
	}
	return (n);
}

int
immpuri_parse(const char *s, struct immp_uri *out, const char **err)
{
	char		 node[PUB_TEXT_MAX];
	const char	*p = s, *q;
	size_t		 len = strlen(s), i, n;
	int		 sub = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > IMMPURI_MAX) {
		*err = "bad length";
		return (-1);
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f) {
			*err = "invalid character";
			return (-1);
		}
	if (len >= sizeof(SCHEME) - 1 &&
	    strncasecmp(s, SCHEME, sizeof(SCHEME) - 1) == 0)
		p = s + sizeof(SCHEME) - 1;
	else if (strchr(s, ':') != NULL) {
		*err = "not an immp:// link";
		return (-1);
	}
	if ((q = strchr(p, '?')) != NULL) {
		if (strcasecmp(q, QUERY) != 0) {
			*err = "unknown query";
			return (-1);
		}
		sub = 1;
	} else
		q = p + strlen(p);
	n = q - p;
	if (n == 0 || n >= sizeof(node)) {
		*err = "bad node length";
		return (-1);
	}
	memcpy(node, p, n);
	node[n] = '\0';
	if (strpbrk(node, "%#:") != NULL) {
		*err = "invalid character";
		return (-1);
	}
	if (pubid_parse(node, &out->node, err) == -1)
		return (-1);
	out->subscribe = sub;
	return (0);
}
