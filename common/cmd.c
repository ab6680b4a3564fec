/*
 * The IMMP command tokenizer (draft 7.1, 3.6; immp(7) GRAMMAR).
 *
 * The line is checked as a whole first (length, UTF-8, control
 * characters), then split into commands, words and switches in a single
 * left-to-right pass.  Words are unquoted in place: the write position
 * never passes the read position, so every word fits where it was read.
 */

#include <stddef.h>
#include <string.h>

#include "cmd.h"

enum term {
	TERM_SEP,	/* one or more blanks, more words may follow */
	TERM_SEMI,	/* ";": this command ends, another follows */
	TERM_END	/* end of line */
};

enum state {
	ST_FIRST,	/* first word: may be "AS" */
	ST_ID,		/* after "AS": the pipeline id */
	ST_VERB,	/* after the id: the first word, never a switch */
	ST_ARGS		/* words and switches */
};

static int	is_alpha(unsigned char);
static int	is_digit(unsigned char);
static int	is_sep(unsigned char);
static int	is_idchar(unsigned char);
static int	ascii_casecmp(const char *, const char *);
static int	is_switch(const char *);
static int	check_controls(const unsigned char *, size_t);
static int	valid_pipe_id(const char *);
static int	read_quoted(char *, size_t, size_t *, size_t *, const char **);
static int	add_token(struct cmd *, enum state *, char *, int,
		    const char **);

static int
is_alpha(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

static int
is_digit(unsigned char c)
{
	return (c >= '0' && c <= '9');
}

static int
is_sep(unsigned char c)
{
	return (c == ' ' || c == '\t');
}

/* ALPHA / DIGIT / "-" / "_": pipe-id and the tail of a switch name. */
static int
is_idchar(unsigned char c)
{
	return (is_alpha(c) || is_digit(c) || c == '-' || c == '_');
}

/* strcasecmp(3) restricted to ASCII, independent of the locale. */
static int
ascii_casecmp(const char *a, const char *b)
{
	unsigned char	ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (ca < cb ? -1 : 1);
		if (ca == '\0')
			return (0);
	}
}

/* 1 if the unquoted word s has the form of a switch. */
static int
is_switch(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (p[0] != '+' && p[0] != '-')
		return (0);
	if (!is_alpha(p[1]))
		return (0);
	for (p += 2; *p != '\0'; p++)
		if (!is_idchar(*p))
			return (0);
	return (1);
}

/*
 * 0 if s[0..len) holds no control character: C0 other than HTAB, DEL,
 * and the C1 range U+0080..U+009F (encoded as 0xc2 0x80..0x9f; the
 * caller has already checked that s is valid UTF-8).  -1 otherwise.
 */
static int
check_controls(const unsigned char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return (-1);
		if (s[i] == 0xc2 && len - i >= 2 &&
		    s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return (-1);
	}
	return (0);
}

int
utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	unsigned char		 lo, hi;
	size_t			 i, n, k;

	i = 0;
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		/*
		 * RFC 3629 section 4: the second octet's range depends on
		 * the first; this excludes overlong forms, the surrogates
		 * U+D800..U+DFFF and everything above U+10FFFF.
		 */
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2;
		else if (s[i] == 0xe0) {
			n = 3;
			lo = 0xa0;
		} else if (s[i] >= 0xe1 && s[i] <= 0xec)
			n = 3;
		else if (s[i] == 0xed) {
			n = 3;
			hi = 0x9f;
		} else if (s[i] >= 0xee && s[i] <= 0xef)
			n = 3;
		else if (s[i] == 0xf0) {
			n = 4;
			lo = 0x90;
		} else if (s[i] >= 0xf1 && s[i] <= 0xf3)
			n = 4;
		else if (s[i] == 0xf4) {
			n = 4;
			hi = 0x8f;
		} else
			return (0);	/* 0x80..0xc1, 0xf5..0xff */
		if (len - i < n)
			return (0);
		if (s[i + 1] < lo || s[i + 1] > hi)
			return (0);
		for (k = 2; k < n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return (0);
		i += n;
	}
	return (1);
}

static int
valid_pipe_id(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == CMD_MAXID || !is_idchar((unsigned char)s[i]))
			return (0);
	return (i > 0);
}

/*
 * Unquotes the quoted word starting at line[*r] (a DQUOTE) in place.
 * On return *r is just past the closing DQUOTE and *w is where the
 * word's NUL goes (*w < *r).  0, or -1 with *errstr set.
 */
static int
read_quoted(char *line, size_t len, size_t *rp, size_t *wp,
    const char **errstr)
{
	size_t	r = *rp, w = *rp;

	r++;	/* the opening quote */
	for (;;) {
		if (r == len) {
			*errstr = "unterminated quote";
			return (-1);
		}
		if (line[r] == '"')
			break;
		if (line[r] == '\\') {
			if (len - r < 2) {
				*errstr = "unterminated quote";
				return (-1);
			}
			if (line[r + 1] != '"' && line[r + 1] != '\\') {
				*errstr = "bad escape";
				return (-1);
			}
			r++;
		}
		line[w++] = line[r++];
	}
	*rp = r + 1;	/* the closing quote */
	*wp = w;
	return (0);
}

/*
 * Files one word of a command according to the state: "AS", the
 * pipeline id, the command word, then arguments and switches.
 */
static int
add_token(struct cmd *c, enum state *st, char *word, int quoted,
    const char **errstr)
{
	switch (*st) {
	case ST_FIRST:
		if (!quoted && ascii_casecmp(word, "AS") == 0) {
			*st = ST_ID;
			return (0);
		}
		/* FALLTHROUGH */
	case ST_VERB:
		c->quoted[0] = quoted;
		c->word[0] = word;
		c->nwords = 1;
		*st = ST_ARGS;
		return (0);
	case ST_ID:
		if (quoted || !valid_pipe_id(word)) {
			*errstr = "bad pipeline id";
			return (-1);
		}
		c->id = word;
		*st = ST_VERB;
		return (0);
	case ST_ARGS:
		break;
	}

	if (!quoted && is_switch(word)) {
		if (c->nswitch == CMD_MAXSWITCH) {
			*errstr = "too many switches";
			return (-1);
		}
		c->swon[c->nswitch] = word[0] == '+';
		c->swname[c->nswitch] = word + 1;
		c->nswitch++;
		return (0);
	}
	if (c->nwords == CMD_MAXWORDS) {
		*errstr = "too many words";
		return (-1);
	}
	c->quoted[c->nwords] = quoted;
	c->word[c->nwords] = word;
	c->nwords++;
	return (0);
}

int
cmd_parse_line(char *line, size_t len, struct cmd *cmds, size_t maxcmds,
    size_t *ncmds, const char **errstr)
{
	struct cmd	*c;
	char		*word;
	size_t		 r, w, n = 0;
	enum term	 term;
	enum state	 st;
	int		 quoted;

	*ncmds = 0;
	*errstr = NULL;

	if (len > CMD_MAXLINE) {
		*errstr = "line too long";
		return (-1);
	}
	if (!utf8_valid(line, len)) {
		*errstr = "invalid UTF-8";
		return (-1);
	}
	if (check_controls((const unsigned char *)line, len) == -1) {
		*errstr = "control character";
		return (-1);
	}
	line[len] = '\0';

	/* A blank line holds no command. */
	for (r = 0; r < len && is_sep((unsigned char)line[r]); r++)
		;
	if (r == len)
		return (0);

	r = 0;
	for (;;) {
		/* One command per iteration; blanks may precede it. */
		while (r < len && is_sep((unsigned char)line[r]))
			r++;
		if (r == len || line[r] == ';') {
			*errstr = "empty command";
			return (-1);
		}
		if (n == maxcmds) {
			*errstr = "too many commands";
			return (-1);
		}
		c = &cmds[n++];
		memset(c, 0, sizeof(*c));
		st = ST_FIRST;

		do {
			/* line[r] is the first octet of a word. */
			word = &line[r];
			quoted = 0;
			if (line[r] == '"') {
				quoted = 1;
				if (read_quoted(line, len, &r, &w,
				    errstr) == -1)
					return (-1);
			} else {
				while (r < len &&
				    !is_sep((unsigned char)line[r]) &&
				    line[r] != ';' && line[r] != '"')
					r++;
				w = r;
			}

			/* What ends the word; w <= r <= len. */
			if (r == len)
				term = TERM_END;
			else if (line[r] == ';')
				term = TERM_SEMI;
			else if (is_sep((unsigned char)line[r]))
				term = TERM_SEP;
			else {
				*errstr = "misplaced quote";
				return (-1);
			}
			line[w] = '\0';
			if (term != TERM_END)
				r++;
			if (term == TERM_SEP) {
				while (r < len &&
				    is_sep((unsigned char)line[r]))
					r++;
				if (r == len)
					term = TERM_END;
				else if (line[r] == ';') {
					term = TERM_SEMI;
					r++;
				}
			}

			if (add_token(c, &st, word, quoted, errstr) == -1)
				return (-1);
		} while (term == TERM_SEP);

		if (st == ST_ID) {
			*errstr = "bad pipeline id";
			return (-1);
		}
		if (st == ST_VERB) {
			*errstr = "empty command";
			return (-1);
		}
		if (term == TERM_END)
			break;
		/* TERM_SEMI: r is just past the ';'. */
	}
	*ncmds = n;
	return (0);
}

int
cmd_kw(const struct cmd *c, int i, const char *kw)
{
	if (i < 0 || i >= c->nwords)
		return (0);
	return (ascii_casecmp(c->word[i], kw) == 0);
}

int
cmd_switch(const struct cmd *c, const char *name)
{
	int	i;

	for (i = 0; i < c->nswitch; i++)
		if (ascii_casecmp(c->swname[i], name) == 0)
			return (c->swon[i]);
	return (-1);
}

int
cmd_check_switches(const struct cmd *c, const char *const *allowed,
    const char **errstr)
{
	int	i, j;
	size_t	k;

	for (i = 0; i < c->nswitch; i++) {
		for (k = 0; allowed[k] != NULL; k++)
			if (ascii_casecmp(c->swname[i], allowed[k]) == 0)
				break;
		if (allowed[k] == NULL) {
			*errstr = "unknown switch";
			return (-1);
		}
		for (j = 0; j < i; j++)
			if (ascii_casecmp(c->swname[i], c->swname[j]) == 0) {
				*errstr = "duplicate switch";
				return (-1);
			}
	}
	return (0);
}
