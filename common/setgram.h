#ifndef IMMP_SETGRAM_H
#define IMMP_SETGRAM_H

#include <stddef.h>

#include "cmd.h"
#include "ipc_set.h"

/*
 * The SET grammar and the syntax of setting values (draft 5.4, 8.9,
 * 8.9.1; immp(7) SET).  No state: used by the network process, by
 * immp-lookup (block lists), the unit tests and regress/fuzz/fuzz_set.c.
 *
 *   set-cmd  = "SET" [ "GLOBAL" ] [ setting ]        (one word each)
 *   setting  = name [ ( "=" / "+=" / "-=" ) value ]
 *   name     = 1*32( ALPHA / DIGIT / "_" )           (any case)
 *   value    = 1*255 octets (the tokenizer already refused controls,
 *              blanks, ";" and DQUOTE)
 */

#define SET_NAME_MAX	32

enum set_op {
	SETOP_SHOW,		/* "SET [GLOBAL] [name]" */
	SETOP_PUT,		/* name=value */
	SETOP_ADD,		/* name+=value */
	SETOP_DEL,		/* name-=value */
};

struct set_args {
	int		 global;	/* "SET GLOBAL" */
	int		 all;		/* no setting: show all */
	enum set_op	 op;
	int		 name;		/* enum set_name, 0: unknown */
	char		 text[SET_NAME_MAX + 1];	/* upper case */
	const char	*value;		/* in the word, or NULL */
};

/*
 * set_parse_cmd: reads the words of a "SET ..." command (c->word[0] is
 * SET; c must come from cmd_parse_line and stay alive while a->value is
 * used) into *a.  A name that is well-formed but unknown gives 0 with
 * a->name == 0 (the caller answers 470).  Returns 0, or -1 with *err a
 * short static reason for a 400 (switches, quoted words, more than one
 * setting, a bad name, an empty or too long value, an operator other
 * than "=" "+=" "-=").
 */
int	 set_parse_cmd(const struct cmd *c, struct set_args *a,
	    const char **err);

/*
 * set_value_parse: the number of a COMPRESSION or NOTIFY value (any
 * ASCII case; SET_COMP_*, SET_NOTIFY_*), or -1 if it is not one of the
 * supported values.
 */
int	 set_value_parse(int name, const char *value);

/*
 * set_value_text: the upper-case text of value v of setting name
 * ("GZIP"), or "?" for a number out of range.
 */
const char	*set_value_text(int name, int v);

/*
 * set_supported: the supported values of setting name as the draft
 * 5.4 list line ("NONE, GZIP"); "" for BLOCK (a list, not a choice).
 */
const char	*set_supported(int name);

/*
 * set_block_entry: checks a block list entry and writes its canonical
 * form into out (size octets, at least IPC_SET_VALUE_MAX): either an
 * account "local@domain" (imid_parse, without folder, shared mailbox,
 * mailbox or options; "imid:" dropped) or a domain (imid_domain_valid),
 * both lower-cased.  0, or -1 with *err a short static reason.
 */
int	 set_block_entry(const char *in, char *out, size_t size,
	    const char **err);

/*
 * set_block_match: 1 if sender ("local@domain", lower case) is covered
 * by the canonical entry: the same account, the same domain or a
 * subdomain of it ("example.com" covers "a.example.com"); else 0.
 * Shared by immp-lookup (per-user lists) and the tests.
 */
int	 set_block_match(const char *entry, const char *sender);

#endif
