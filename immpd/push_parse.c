/*
 * The argument grammar of PUSH, SUBSCRIBE and UNSUBSCRIBE (push.h;
 * immp(7) PUSH, SUBSCRIBE).  Positive grammar: anything else is
 * refused, nothing is repaired.
 */

#include <ctype.h>
#include <string.h>

#include "imid.h"
#include "push.h"
#include "util.h"

int
push_to_parse(const struct cmd *c, struct push_to *out, const char **err,
    const char **bad)
{
	static const char *const sw[] = { "IMPORTANT", NULL };
	struct imid	 id;
	int		 i, from = -1;

	memset(out, 0, sizeof(*out));
	*bad = NULL;
	if (c->nwords < 5 || !cmd_kw(c, 0, "PUSH") || c->quoted[1] ||
	    !cmd_kw(c, 1, "TO")) {
		*err = "syntax";
		return (-1);
	}
	if (cmd_check_switches(c, sw, err) == -1)
		return (-1);
	for (i = 2; i < c->nwords; i++)
		if (!c->quoted[i] && cmd_kw(c, i, "FROM")) {
			from = i;
			break;
		}
	if (from < 3 || from != c->nwords - 2) {
		*err = "syntax";
		return (-1);
	}
	if (from - 2 > PUSH_MAX_RCPTS) {
		*err = "too many recipients";
		return (-1);
	}
	for (i = 2; i < from; i++) {
		*bad = c->word[i];
		if (strchr(c->word[i], '@') == NULL) {
			/* PUSH TO <domain>: alone (draft 3.4.1). */
			if (from != 3) {
				*err = "a domain push names one domain";
				return (-1);
			}
			if (strlen(c->word[i]) >= IPC_DOMAIN_MAX ||
			    c->quoted[i] || !imid_domain_valid(c->word[i])) {
				*err = "invalid domain";
				return (-1);
			}
			out->domain = c->word[i];
			continue;
		}
		if (strlen(c->word[i]) >= IPC_ACCOUNT_MAX) {
			*err = "recipient too long";
			return (-1);
		}
		if (imid_parse(c->word[i], &id, err) == -1)
			return (-1);
		if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
		    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
		    id.options[0] != '\0') {
			*err = "not a plain address";
			return (-1);
		}
		out->rcpt[out->nrcpt++] = c->word[i];
	}
	*bad = c->word[from + 1];
	if (pubid_parse(c->word[from + 1], &out->node, err) == -1)
		return (-1);
	*bad = NULL;
	out->important = cmd_switch(c, "IMPORTANT") == 1 ? 1 :
	    cmd_switch(c, "IMPORTANT") == 0 ? -1 : 0;
	return (0);
}

int
push_target_parse(const char *word, int nodes, char *uuid,
    struct pubid *node, const char **err)
{
	size_t	 i, len = strlen(word);

	memset(node, 0, sizeof(*node));
	uuid[0] = '\0';
	if (len == IPC_UUID_MAX - 1 && strchr(word, '@') == NULL) {
		for (i = 0; i < len; i++)
			uuid[i] = tolower((unsigned char)word[i]);
		uuid[i] = '\0';
		if (!uuid_valid(uuid)) {
			uuid[0] = '\0';
			*err = "invalid uuid";
			return (-1);
		}
		return (0);
	}
	if (!nodes) {
		*err = "invalid uuid";
		return (-1);
	}
	return (pubid_parse(word, node, err));
}
