/*
 * fuzz_uri: the immp:// link and node parser (common/immpuri.h) and the
 * PUSH / UNSUBSCRIBE argument parsers (immpd/push_parse.c).
 *
 * The first octet selects the mode: even: the rest is a link or node;
 * odd: the rest is a command line, parsed with cmd_parse_line, whose
 * first command goes to push_to_parse and whose words go to
 * push_target_parse.
 *
 * Properties:
 * - a link that parses has a canonical node (lower case, at most
 *   PUB_TEXT_MAX - 1 octets, only grammar characters) that parses to
 *   the same fields, also as "immp://<node>?subscribe"; pubid_owner is
 *   "owner@domain" and fails cleanly one octet short;
 * - a refusal sets *err and leaves the fields empty;
 * - push_to_parse accepts only 1..PUSH_MAX_RCPTS recipients, each a
 *   word of the command, or one valid domain alone, and its node
 *   formats and reparses;
 * - push_target_parse gives either a valid lower-case UUID or a node.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "fuzz.h"
#include "imid.h"
#include "immpuri.h"
#include "push.h"
#include "util.h"

static int
node_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '-' || c == '/' || c == '@');
}

static void
check_node(const struct pubid *p)
{
	struct immp_uri	 u2;
	struct pubid	 p2;
	const char	*err;
	char		 text[PUB_TEXT_MAX], link[PUB_TEXT_MAX + 32];
	char		 acct[PUB_TEXT_MAX];
	size_t		 i;
	int		 n;

	n = pubid_format(p, text, sizeof(text));
	FUZZ_ASSERT(n > 0 && (size_t)n == strlen(text));
	for (i = 0; text[i] != '\0'; i++)
		FUZZ_ASSERT(node_char((unsigned char)text[i]));
	FUZZ_ASSERT(pubid_parse(text, &p2, &err) == 0);
	FUZZ_ASSERT(memcmp(p, &p2, sizeof(p2)) == 0);
	(void)snprintf(link, sizeof(link), "immp://%s?subscribe", text);
	FUZZ_ASSERT(immpuri_parse(link, &u2, &err) == 0);
	FUZZ_ASSERT(u2.subscribe == 1);
	FUZZ_ASSERT(memcmp(p, &u2.node, sizeof(*p)) == 0);
	n = pubid_owner(p, acct, sizeof(acct));
	FUZZ_ASSERT(n > 0 && strchr(acct, '/') == NULL);
	FUZZ_ASSERT(pubid_owner(p, acct, (size_t)n) == -1 && acct[0] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 s[CMD_MAXLINE + 2];
	static struct cmd cmds[CMD_MAXCMDS];
	struct immp_uri	 u;
	struct push_to	 a;
	struct pubid	 p;
	const char	*err, *bad;
	char		 uuid[IPC_UUID_MAX];
	size_t		 n, i, len;
	int		 r, j, k, found;

	if (size < 1 || size - 1 > CMD_MAXLINE)
		return 0;
	len = size - 1;
	memcpy(s, data + 1, len);
	s[len] = '\0';
	if ((data[0] & 1) == 0) {
		if (memchr(s, '\0', len) != NULL)
			return 0;
		err = NULL;
		r = immpuri_parse(s, &u, &err);
		if (r == 0)
			check_node(&u.node);
		else {
			FUZZ_ASSERT(r == -1 && err != NULL);
			FUZZ_ASSERT(u.node.owner[0] == '\0' && !u.subscribe);
		}
		err = NULL;
		if (pubid_parse(s, &p, &err) == 0)
			check_node(&p);
		else
			FUZZ_ASSERT(err != NULL && p.domain[0] == '\0');
		return 0;
	}
	if (cmd_parse_line(s, len, cmds, CMD_MAXCMDS, &n, &err) == -1 ||
	    n == 0)
		return 0;
	if (push_to_parse(&cmds[0], &a, &err, &bad) == 0) {
		/* IMIDs, or one domain alone (draft 3.4.1). */
		if (a.domain != NULL) {
			FUZZ_ASSERT(a.nrcpt == 0 && cmds[0].nwords == 5 &&
			    a.domain == cmds[0].word[2] &&
			    strchr(a.domain, '@') == NULL &&
			    imid_domain_valid(a.domain));
		} else
			FUZZ_ASSERT(a.nrcpt >= 1 &&
			    a.nrcpt <= PUSH_MAX_RCPTS);
		for (j = 0; j < a.nrcpt; j++) {
			for (found = 0, k = 0; k < cmds[0].nwords; k++)
				if (a.rcpt[j] == cmds[0].word[k])
					found = 1;
			FUZZ_ASSERT(found);
		}
		FUZZ_ASSERT(a.important >= -1 && a.important <= 1);
		check_node(&a.node);
	} else
		FUZZ_ASSERT(err != NULL);
	for (i = 0; i < n; i++)
		for (k = 0; k < cmds[i].nwords; k++) {
			if (push_target_parse(cmds[i].word[k], 1, uuid, &p,
			    &err) == -1)
				continue;
			if (uuid[0] != '\0')
				FUZZ_ASSERT(uuid_valid(uuid) &&
				    p.owner[0] == '\0');
			else
				check_node(&p);
		}
	return 0;
}
