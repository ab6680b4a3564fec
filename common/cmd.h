/*
 * The IMMP command tokenizer (draft 7.1, 3.6; immp(7) GRAMMAR).
 *
 *   line      = command *( ";" command )
 *   command   = *WSP [ "AS" 1*WSP pipe-id 1*WSP ] word
 *               *( 1*WSP ( word / switch ) ) *WSP
 *   pipe-id   = 1*32( ALPHA / DIGIT / "-" / "_" )
 *   switch    = ( "+" / "-" ) ALPHA *( ALPHA / DIGIT / "-" / "_" )
 *   word      = 1*( any UTF-8 char except SP HTAB ";" DQUOTE and
 *               controls ) / quoted
 *   quoted    = DQUOTE *( qchar / "\" DQUOTE / "\" "\" ) DQUOTE
 *   qchar     = any UTF-8 char except DQUOTE "\" and controls (SP, HTAB
 *               and ";" allowed)
 *   WSP       = SP / HTAB
 * Controls are U+0000..U+001F except HTAB, U+007F and U+0080..U+009F.
 * Keywords compare case-insensitively (ASCII only).  A line is at most
 * CMD_MAXLINE octets without its CRLF; it must be valid UTF-8 and hold
 * no control characters (NUL, CR, LF, DEL included).  A quoted word is
 * never a switch, never "AS" and never a ";"; the first word of a
 * command (after any pipeline id) is never a switch.  A quote must be
 * followed by WSP, ";" or the end of the line, and an unquoted word
 * must not contain DQUOTE.  Empty commands (";;", a leading or trailing
 * ";", "AS id" alone) are errors.
 */
#ifndef IMMP_CMD_H
#define IMMP_CMD_H

#include <stddef.h>

#define CMD_MAXLINE	8192
#define CMD_MAXWORDS	104	/* DELIVER TO + 100 recipients, with room */
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
 * or blank line gives *ncmds == 0.  Returns 0, or -1 with *ncmds == 0 and
 * *errstr set to a short static reason ("line too long", "invalid
 * UTF-8", "control character", "unterminated quote", "bad escape",
 * "misplaced quote", "bad pipeline id", "too many words", "too many
 * switches", "too many commands", "empty command").  The checks for
 * length, UTF-8 and controls come first, in that order, over the whole
 * line.  On error line may have been partly rewritten.
 */
int	 cmd_parse_line(char *line, size_t len, struct cmd *cmds,
	    size_t maxcmds, size_t *ncmds, const char **errstr);

/*
 * cmd_kw: 1 if word i exists and equals kw ignoring ASCII case (quoted
 * or not), else 0.
 */
int	 cmd_kw(const struct cmd *, int i, const char *kw);

/*
 * cmd_switch: 1 for +name, 0 for -name, -1 if absent (ASCII
 * case-insensitive; the first occurrence counts).
 */
int	 cmd_switch(const struct cmd *, const char *name);

/*
 * cmd_check_switches: 0 if every switch of c is in the NULL-terminated
 * list allowed (case-insensitive) and none repeats ("+X -x" repeats),
 * else -1 with *errstr "unknown switch" or "duplicate switch".
 */
int	 cmd_check_switches(const struct cmd *c, const char *const *allowed,
	    const char **errstr);

/*
 * utf8_valid: 1 if s[0..len) is well-formed UTF-8 (RFC 3629 section 4:
 * no overlong forms, no surrogates, nothing above U+10FFFF), else 0.
 * NUL octets are well-formed.
 */
int	 utf8_valid(const char *s, size_t len);

#endif
