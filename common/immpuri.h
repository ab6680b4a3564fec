/*
 * Publisher nodes and immp:// subscription links (draft 3.4, 3.4.1;
 * immp(7) PUSH, SUBSCRIBE).
 *
 *   node     = owner "/" name "@" domain        (canonical)
 *            / owner "@" domain "/" name        (draft 3.4.1 spelling)
 *   owner, name = 1*64( ALPHA / DIGIT / "." / "_" / "-" ), no leading,
 *              trailing or doubled "."           (imid.h atoms)
 *   uri      = "immp://" node [ "?subscribe" ]   (scheme any case)
 *
 * The owner is the local part of the account that owns the node at
 * domain.  The canonical text is lower case and at most PUB_TEXT_MAX - 1
 * octets.  Nothing is decoded (no percent-escapes), trimmed or repaired:
 * anything else is refused.
 */
#ifndef IMMP_IMMPURI_H
#define IMMP_IMMPURI_H

#include <stddef.h>

#define PUB_PART_MAX	65	/* owner or name incl. NUL */
#define PUB_DOMAIN_MAX	254	/* domain incl. NUL */
#define PUB_TEXT_MAX	256	/* "owner/name@domain" incl. NUL */
#define IMMPURI_MAX	512	/* longest uri accepted, excl. NUL */

struct pubid {
	char	owner[PUB_PART_MAX];	/* "newsletter" */
	char	name[PUB_PART_MAX];	/* "updates" */
	char	domain[PUB_DOMAIN_MAX];	/* "website.com" */
};

struct immp_uri {
	struct pubid	node;
	int		subscribe;	/* "?subscribe" was given */
};

/*
 * pubid_parse: parses the NUL-terminated s (either spelling of node
 * above) into *out, lower-cased.  0, or -1 with *err a static reason;
 * *out is zeroed first.
 */
int	 pubid_parse(const char *s, struct pubid *out, const char **err);

/*
 * pubid_format: "owner/name@domain" into buf (size octets).  Returns the
 * length, or -1 (buf "" if size > 0) when it does not fit.
 */
int	 pubid_format(const struct pubid *, char *buf, size_t size);

/*
 * pubid_owner: the owning account "owner@domain" into buf (size octets).
 * Returns the length, or -1 when it does not fit.
 */
int	 pubid_owner(const struct pubid *, char *buf, size_t size);

/*
 * immpuri_parse: parses s, an immp:// link or a bare node (both with an
 * optional "?subscribe", draft 3.4) into *out.  At most IMMPURI_MAX
 * octets, ASCII only.  0, or -1 with *err a static reason.
 */
int	 immpuri_parse(const char *s, struct immp_uri *out, const char **err);

#endif
