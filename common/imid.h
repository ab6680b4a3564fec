/*
 * IMID parser (draft 4.1, 3.2.1; immp(7) IMIDS).
 *
 *   imid     = [ "imid:" ] [ shared "/" ] local [ "+" folder ] "@" domain
 *              [ "/" mailbox [ "#" message ] ] [ "?" options ]
 *   shared, local = 1*64( ALPHA / DIGIT / "." / "_" / "-" ), no leading,
 *              trailing or doubled "."
 *   folder   = 1*64( ALPHA / DIGIT / "." / "_" / "-" ), no leading,
 *              trailing or doubled "."
 *   domain   = LDH labels of 1..63 joined by ".", at most 253 octets,
 *              no label starting or ending with "-"
 *   mailbox  = segment *( "/" segment ), segment as folder, <= 255 total
 *   message  = 1*64( ALPHA / DIGIT / "-" )
 *   options  = 1*255( printable ASCII except SP )
 * The scheme "imid:" is case-insensitive; the domain is lower-cased,
 * everything else kept as written.
 */
#ifndef IMMP_IMID_H
#define IMMP_IMID_H

#include <stddef.h>

struct imid {
	char	shared[65];	/* "helpdesk" in helpdesk/alice@a.com */
	char	local[65];	/* "alice" */
	char	folder[65];	/* "lists" in alice+lists@a.com */
	char	domain[254];	/* "a.com" */
	char	mailbox[256];	/* "inbox/lists" in .../inbox/lists */
	char	message[65];	/* after "#" */
	char	options[256];	/* after "?" */
};

/*
 * imid_parse: parses the NUL-terminated s into *out (zeroed first; the
 * parts not present are "").  The whole string must match: no blanks,
 * no UTF-8, nothing is trimmed or truncated.  Returns 0, or -1 with
 * *errstr set to a short static reason ("missing @", "empty local
 * part", "local part too long", "invalid local part", "invalid shared
 * mailbox name", "invalid folder", "domain too long", "invalid domain",
 * "invalid mailbox", "invalid message id", "invalid options").
 */
int	 imid_parse(const char *s, struct imid *out, const char **errstr);

/*
 * imid_account: writes "local@domain" (without shared, folder or
 * mailbox) into buf of size octets.  0, or -1 with buf "" (if size > 0)
 * when it does not fit.
 */
int	 imid_account(const struct imid *, char *buf, size_t size);

/*
 * imid_domain_valid: 1 if s is a syntactically valid domain per the
 * grammar above (any ASCII case, no trailing dot), else 0.
 */
int	 imid_domain_valid(const char *s);

#endif
