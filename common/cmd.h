/*
 * The IMMP command tokenizer (draft 7.1, 3.6; immp(7) GRAMMAR).
 *
 *   line      = command *( ";" command )
 *   command   = [ "AS" SP pipe-id SP ] word *( SP ( word / switch ) )
 *   pipe-id   = 1*32( ALPHA / DIGIT / "-" / "_" )
 *   switch    = ( "+" / "-" ) ALPHA *( ALPHA / DIGIT / "-" / "_" )
 *   word      = 1*( any UTF-8 char except SP HTAB ";" DQUOTE and
 *               controls ) / quoted
 *   quoted    = DQUOTE *( qchar / "\" DQUOTE / "\\" ) DQUOTE
 * Separators are one or more SP/HTAB.  Keywords compare
 * case-insensitively.  A line is at most CMD_MAXLINE octets without its
 * CRLF; it must be valid UTF-8 and hold no control characters other
 * than HTAB (NUL, CR, LF, DEL included).  A quoted word is never a
 * switch and never a ";".
 */
#ifndef IMMP_CMD_H
#define IMMP_CMD_H

#include <stddef.h>

#define CMD_MAXLINE	8192
#define CMD_MAXWORDS	32
#define CMD_MAXSWITCH	16
#define CMD_MAXID	32
#define CMD_MAXCMDS	16	/* commands per line */

struct cmd {
	const char	*id;			/* pipeline id, or NULL */
	int		 nwords;
	const char	*word[CMD_MAXWORDS];	/* unquoted, NUL-terminated */
	int		 quoted[CMD_MAXWORDS];	/* 1 if word was quoted */
	int		 nswitch;
	const char	*swname[CMD_MAXSWITCH];	/* without the sign */
	int		 swon[CMD_MAXSWITCH];	/* 1 for '+', 0 for '-' */
};

/*
 * cmd_parse_line: tokenizes line[0..len) in place (quotes removed,
 * words NUL-terminated; the words point into line, which must have room
 * for len + 1 octets).  Fills cmds[0..*ncmds), at most maxcmds.  An empty
 * or blank line gives *ncmds == 0.  Returns 0, or -1 with *errstr set to
 * a short static reason ("line too long", "invalid UTF-8", "control
 * character", "unterminated quote", "bad pipeline id", "too many words",
 * "too many switches", "too many commands", "empty command").
 */
int	 cmd_parse_line(char *line, size_t len, struct cmd *cmds,
	    size_t maxcmds, size_t *ncmds, const char **errstr);

/* cmd_kw: 1 if word i exists and equals kw ignoring ASCII case. */
int	 cmd_kw(const struct cmd *, int i, const char *kw);

/* cmd_switch: 1 for +name, 0 for -name, -1 if absent (case-insensitive). */
int	 cmd_switch(const struct cmd *, const char *name);

/*
 * cmd_check_switches: 0 if every switch of c is in the NULL-terminated
 * list allowed (case-insensitive) and none repeats, else -1 with
 * *errstr naming the problem.
 */
int	 cmd_check_switches(const struct cmd *c, const char *const *allowed,
	    const char **errstr);

/* utf8_valid: 1 if s[0..len) is well-formed UTF-8 (RFC 3629), else 0. */
int	 utf8_valid(const char *s, size_t len);

#endif
