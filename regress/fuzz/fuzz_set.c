/*
 * fuzz_set: the SET grammar (common/setgram.h) on command lines from
 * cmd_parse_line, plus set_block_entry, set_block_match and cidr_parse
 * (common/cidr.h) on the values.
 *
 * Properties:
 * - set_parse_cmd accepts a command iff an independent reading of the
 *   grammar does; on success the name text is the name in upper case
 *   (1..32 of ALPHA DIGIT "_"), the value lies inside the line and is
 *   1..255 octets, and name, operator and value spell the word back;
 * - a block entry that is accepted is lower case and canonical (taking
 *   it again gives the same text) and matches itself as a sender (an
 *   account) or "x@" followed by itself (a domain);
 * - an accepted prefix prints in a form that parses back to the same
 *   prefix, contains itself, and keeps within CIDR_TEXT_MAX.
 */

#include <stdint.h>
#include <string.h>

#include "cidr.h"
#include "cmd.h"
#include "setgram.h"
#include "fuzz.h"

static char	 line[CMD_MAXLINE + 2];
static struct cmd cmds[CMD_MAXCMDS];

static int
namech(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_');
}

static unsigned char
up(unsigned char c)
{
	return (c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

/* The grammar read independently: 1 if the command is well-formed. */
static int
oracle(const struct cmd *c)
{
	const char	*w;
	size_t		 n, vl;
	int		 first = 1;

	if (c->nswitch != 0)
		return (0);
	if (c->nwords >= 2 && !c->quoted[1] && cmd_kw(c, 1, "GLOBAL"))
		first = 2;
	if (c->nwords == first)
		return (1);
	if (c->nwords != first + 1 || c->quoted[first])
		return (0);
	w = c->word[first];
	for (n = 0; namech((unsigned char)w[n]); n++)
		;
	if (n == 0 || n > SET_NAME_MAX)
		return (0);
	if (w[n] == '\0')
		return (1);
	if (w[n] == '=')
		vl = strlen(w + n + 1);
	else if ((w[n] == '+' || w[n] == '-') && w[n + 1] == '=')
		vl = strlen(w + n + 2);
	else
		return (0);
	return (vl >= 1 && vl <= 255);
}

static void
check_value(const char *v)
{
	char		 canon[IPC_SET_VALUE_MAX], again[IPC_SET_VALUE_MAX];
	char		 txt[CIDR_TEXT_MAX], txt2[CIDR_TEXT_MAX];
	const char	*err;
	struct cidr	 c, c2;
	size_t		 i;

	if (set_block_entry(v, canon, sizeof(canon), &err) == 0) {
		for (i = 0; canon[i] != '\0'; i++)
			FUZZ_ASSERT(!(canon[i] >= 'A' && canon[i] <= 'Z'));
		FUZZ_ASSERT(set_block_entry(canon, again, sizeof(again),
		    &err) == 0);
		FUZZ_ASSERT(strcmp(canon, again) == 0);
		if (strchr(canon, '@') != NULL)
			FUZZ_ASSERT(set_block_match(canon, canon));
		else {
			again[0] = 'x';
			again[1] = '@';
			(void)strlcpy(again + 2, canon, sizeof(again) - 2);
			FUZZ_ASSERT(strlen(canon) > sizeof(again) - 3 ||
			    set_block_match(canon, again));
		}
	} else
		FUZZ_ASSERT(err != NULL);
	(void)set_value_parse(SET_COMPRESSION, v);
	(void)set_value_parse(SET_NOTIFY, v);
	if (cidr_parse(v, &c, &err) == 0) {
		FUZZ_ASSERT(cidr_format(&c, txt, sizeof(txt)) == 0);
		FUZZ_ASSERT(cidr_parse(txt, &c2, &err) == 0);
		FUZZ_ASSERT(cidr_format(&c2, txt2, sizeof(txt2)) == 0);
		FUZZ_ASSERT(strcmp(txt, txt2) == 0);
		FUZZ_ASSERT(cidr_contains(&c, &c2) && cidr_contains(&c2, &c));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct set_args	 a;
	const char	*err, *w;
	size_t		 n, i, k, tl;

	if (len > CMD_MAXLINE)
		return (0);
	memcpy(line, data, len);
	if (cmd_parse_line(line, len, cmds, CMD_MAXCMDS, &n, &err) == -1)
		return (0);
	for (i = 0; i < n; i++) {
		const struct cmd *c = &cmds[i];
		int	 first;

		if (c->nwords > 1)
			check_value(c->word[c->nwords - 1]);
		if (!cmd_kw(c, 0, "SET"))
			continue;
		err = NULL;
		if (set_parse_cmd(c, &a, &err) == -1) {
			FUZZ_ASSERT(err != NULL);
			FUZZ_ASSERT(!oracle(c));
			continue;
		}
		FUZZ_ASSERT(oracle(c));
		if (a.all) {
			FUZZ_ASSERT(a.value == NULL && a.text[0] == '\0');
			continue;
		}
		first = a.global ? 2 : 1;
		w = c->word[first];
		tl = strlen(a.text);
		FUZZ_ASSERT(tl >= 1 && tl <= SET_NAME_MAX);
		for (k = 0; k < tl; k++) {
			FUZZ_ASSERT(namech((unsigned char)a.text[k]));
			FUZZ_ASSERT(!(a.text[k] >= 'a' && a.text[k] <= 'z'));
			FUZZ_ASSERT(up((unsigned char)w[k]) ==
			    (unsigned char)a.text[k]);
		}
		FUZZ_ASSERT(a.name >= 0 && a.name <= SET_BLOCK);
		if (a.op == SETOP_SHOW) {
			FUZZ_ASSERT(a.value == NULL && w[tl] == '\0');
			continue;
		}
		FUZZ_ASSERT(a.value >= line && a.value < line + len);
		FUZZ_ASSERT(strlen(a.value) >= 1 && strlen(a.value) <= 255);
		FUZZ_ASSERT(a.value == w + tl + (a.op == SETOP_PUT ? 1 : 2));
		FUZZ_ASSERT(w[tl] == (a.op == SETOP_PUT ? '=' :
		    a.op == SETOP_ADD ? '+' : '-'));
		check_value(a.value);
	}
	return (0);
}
