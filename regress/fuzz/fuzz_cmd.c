/*
 * fuzz_cmd: cmd_parse_line (common/cmd.h) on arbitrary lines.
 *
 * Properties:
 * - an error leaves *ncmds 0 and names one of the documented reasons;
 *   the whole-line checks come first, in the documented order (length,
 *   UTF-8, control characters), compared with an independent UTF-8
 *   decoder, and utf8_valid agrees with spool_utf8_valid and with it;
 * - on success every word and switch lies inside the line buffer and
 *   obeys the grammar (pipe-id, switch form, no blanks/";"/DQUOTE in an
 *   unquoted word, no controls anywhere);
 * - printing the commands back (words requoted, one blank between
 *   words, switches after the words) and parsing the result gives the
 *   same commands.
 */

#include <stdint.h>
#include <string.h>

#include "cmd.h"
#include "spool.h"
#include "fuzz.h"

static const char *const reasons[] = {
	"line too long", "invalid UTF-8", "control character",
	"unterminated quote", "bad escape", "misplaced quote",
	"bad pipeline id", "too many words", "too many switches",
	"too many commands", "empty command", NULL
};

static int
known_reason(const char *e)
{
	int	i;

	for (i = 0; reasons[i] != NULL; i++)
		if (e != NULL && strcmp(e, reasons[i]) == 0)
			return 1;
	return 0;
}

static int
has_control(const unsigned char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return 1;
		/* C1: U+0080..U+009F */
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

static int
idchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void
inside(const char *line, size_t len, const char *p)
{
	FUZZ_ASSERT(p >= line && p <= line + len);
	FUZZ_ASSERT(strlen(p) <= (size_t)(line + len - p));
}

/* Appends s to buf at *off (quoted if q); 0, or -1 if it does not fit. */
static int
put(char *buf, size_t size, size_t *off, const char *s, int q)
{
	if (q) {
		if (*off + 1 >= size)
			return -1;
		buf[(*off)++] = '"';
	}
	for (; *s != '\0'; s++) {
		if (q && (*s == '"' || *s == '\\')) {
			if (*off + 1 >= size)
				return -1;
			buf[(*off)++] = '\\';
		}
		if (*off + 1 >= size)
			return -1;
		buf[(*off)++] = *s;
	}
	if (q) {
		if (*off + 1 >= size)
			return -1;
		buf[(*off)++] = '"';
	}
	return 0;
}

static size_t
serialize(const struct cmd *c, size_t n, char *buf, size_t size)
{
	size_t	i, off = 0;
	int	j;
	char	sw[2] = { 0, 0 };

	for (i = 0; i < n; i++) {
		if (i > 0)
			FUZZ_ASSERT(put(buf, size, &off, ";", 0) == 0);
		if (c[i].id != NULL) {
			FUZZ_ASSERT(put(buf, size, &off, "AS ", 0) == 0);
			FUZZ_ASSERT(put(buf, size, &off, c[i].id, 0) == 0);
			FUZZ_ASSERT(put(buf, size, &off, " ", 0) == 0);
		}
		for (j = 0; j < c[i].nwords; j++) {
			if (j > 0)
				FUZZ_ASSERT(put(buf, size, &off, " ", 0) == 0);
			FUZZ_ASSERT(put(buf, size, &off, c[i].word[j],
			    c[i].quoted[j]) == 0);
		}
		for (j = 0; j < c[i].nswitch; j++) {
			sw[0] = c[i].swon[j] ? '+' : '-';
			FUZZ_ASSERT(put(buf, size, &off, " ", 0) == 0);
			FUZZ_ASSERT(put(buf, size, &off, sw, 0) == 0);
			FUZZ_ASSERT(put(buf, size, &off, c[i].swname[j],
			    0) == 0);
		}
	}
	return off;
}

static void
check_cmd(const char *line, size_t len, const struct cmd *c)
{
	const unsigned char	*p;
	int			 j, k;

	FUZZ_ASSERT(c->nwords >= 1 && c->nwords <= CMD_MAXWORDS);
	FUZZ_ASSERT(c->nswitch >= 0 && c->nswitch <= CMD_MAXSWITCH);
	if (c->id != NULL) {
		inside(line, len, c->id);
		FUZZ_ASSERT(strlen(c->id) >= 1 &&
		    strlen(c->id) <= CMD_MAXID);
		for (p = (const unsigned char *)c->id; *p != '\0'; p++)
			FUZZ_ASSERT(idchar(*p));
	}
	for (j = 0; j < c->nwords; j++) {
		inside(line, len, c->word[j]);
		FUZZ_ASSERT(c->quoted[j] == 0 || c->quoted[j] == 1);
		FUZZ_ASSERT(fuzz_utf8_oracle(c->word[j],
		    strlen(c->word[j])));
		FUZZ_ASSERT(!has_control((const unsigned char *)c->word[j],
		    strlen(c->word[j])));
		if (c->quoted[j])
			continue;
		FUZZ_ASSERT(c->word[j][0] != '\0');
		FUZZ_ASSERT(strpbrk(c->word[j], " \t;\"") == NULL);
		if (j == 0 && c->id == NULL)
			FUZZ_ASSERT(!cmd_kw(c, 0, "AS"));
		if (j > 0) {
			/* an unquoted argument never has a switch's form */
			p = (const unsigned char *)c->word[j];
			if ((p[0] == '+' || p[0] == '-') && alpha(p[1])) {
				for (k = 2; p[k] != '\0' && idchar(p[k]); k++)
					;
				FUZZ_ASSERT(p[k] != '\0');
			}
		}
	}
	for (j = 0; j < c->nswitch; j++) {
		inside(line, len, c->swname[j]);
		FUZZ_ASSERT(c->swon[j] == 0 || c->swon[j] == 1);
		p = (const unsigned char *)c->swname[j];
		FUZZ_ASSERT(alpha(p[0]));
		for (p++; *p != '\0'; p++)
			FUZZ_ASSERT(idchar(*p));
		/* the first occurrence counts */
		for (k = 0; k < j; k++)
			if (strcasecmp(c->swname[k], c->swname[j]) == 0)
				break;
		FUZZ_ASSERT(cmd_switch(c, c->swname[j]) == c->swon[k]);
	}
}

static void
same_cmds(const struct cmd *a, const struct cmd *b, size_t n)
{
	size_t	i;
	int	j;

	for (i = 0; i < n; i++) {
		FUZZ_ASSERT((a[i].id == NULL) == (b[i].id == NULL));
		if (a[i].id != NULL)
			FUZZ_ASSERT(strcmp(a[i].id, b[i].id) == 0);
		FUZZ_ASSERT(a[i].nwords == b[i].nwords);
		FUZZ_ASSERT(a[i].nswitch == b[i].nswitch);
		for (j = 0; j < a[i].nwords; j++) {
			FUZZ_ASSERT(strcmp(a[i].word[j], b[i].word[j]) == 0);
			FUZZ_ASSERT(a[i].quoted[j] == b[i].quoted[j]);
		}
		for (j = 0; j < a[i].nswitch; j++) {
			FUZZ_ASSERT(strcmp(a[i].swname[j],
			    b[i].swname[j]) == 0);
			FUZZ_ASSERT(a[i].swon[j] == b[i].swon[j]);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 line[CMD_MAXLINE + 64], again[CMD_MAXLINE + 1];
	struct cmd		 cmds[CMD_MAXCMDS], cmds2[CMD_MAXCMDS];
	const char		*err;
	size_t			 n, n2, i, len, maxcmds, alen;
	int			 r, u;

	if (size < 1 || size - 1 > CMD_MAXLINE + 8)
		return 0;
	/* the first octet picks maxcmds (1..CMD_MAXCMDS) */
	maxcmds = 1 + data[0] % CMD_MAXCMDS;
	len = size - 1;
	memcpy(line, data + 1, len);

	u = fuzz_utf8_oracle(line, len);
	FUZZ_ASSERT(utf8_valid(line, len) == u);
	FUZZ_ASSERT(spool_utf8_valid(line, len) == u);

	n = 99;
	err = NULL;
	r = cmd_parse_line(line, len, cmds, maxcmds, &n, &err);
	FUZZ_ASSERT(r == 0 || r == -1);
	if (r == -1) {
		FUZZ_ASSERT(n == 0);
		FUZZ_ASSERT(known_reason(err));
		memcpy(line, data + 1, len);
		if (len > CMD_MAXLINE)
			FUZZ_ASSERT(strcmp(err, "line too long") == 0);
		else if (!u)
			FUZZ_ASSERT(strcmp(err, "invalid UTF-8") == 0);
		else if (has_control((unsigned char *)line, len))
			FUZZ_ASSERT(strcmp(err, "control character") == 0);
		else
			FUZZ_ASSERT(strcmp(err, "line too long") != 0 &&
			    strcmp(err, "invalid UTF-8") != 0 &&
			    strcmp(err, "control character") != 0);
		return 0;
	}
	FUZZ_ASSERT(len <= CMD_MAXLINE && u);
	FUZZ_ASSERT(n <= maxcmds);
	for (i = 0; i < n; i++)
		check_cmd(line, len, &cmds[i]);
	if (n == 0) {
		/* only blanks */
		for (i = 0; i < len; i++)
			FUZZ_ASSERT(data[1 + i] == ' ' || data[1 + i] == '\t');
		return 0;
	}

	alen = serialize(cmds, n, again, sizeof(again));
	FUZZ_ASSERT(alen <= len);
	err = NULL;
	r = cmd_parse_line(again, alen, cmds2, maxcmds, &n2, &err);
	if (r != 0)
		fprintf(stderr, "reparse of \"%.*s\": %s\n", (int)alen,
		    again, err);
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(n2 == n);
	same_cmds(cmds, cmds2, n);
	return 0;
}
