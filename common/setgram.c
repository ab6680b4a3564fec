/*
 * The SET grammar and the syntax of setting values (draft 5.4, 8.9;
 * immp(7) SET), see setgram.h.
 */

#include <sys/types.h>

#include <stddef.h>
#include <string.h>

#include "cmd.h"
#include "imid.h"
#include "setgram.h"

static const struct {
	const char	*name;
	int		 id;
} set_names[] = {
	{ "COMPRESSION",	SET_COMPRESSION },
	{ "NOTIFY",		SET_NOTIFY },
	{ "BLOCK",		SET_BLOCK },
};

static const char *const comp_values[] = { "NONE", "GZIP", NULL };
static const char *const notify_values[] = {
	"ALL", "IMPORTANT", "NONE", NULL
};

static int	 name_char(unsigned char);
static char	 upper(char);
static char	 lower(char);
static int	 casecmp(const char *, const char *);
static const char *const *values_of(int);

static int
name_char(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_');
}

static char
upper(char c)
{
	return (c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* ASCII case-insensitive equality: 1 or 0. */
static int
casecmp(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (upper(*a) != upper(*b))
			return (0);
	return (*a == *b);
}

static const char *const *
values_of(int name)
{
	switch (name) {
	case SET_COMPRESSION:
		return (comp_values);
	case SET_NOTIFY:
		return (notify_values);
	}
	return (NULL);
}

int
set_parse_cmd(const struct cmd *c, struct set_args *a, const char **err)
{
	const char	*w, *p;
	size_t		 n, i, vlen;
	int		 first = 1;

	memset(a, 0, sizeof(*a));
	if (c->nwords < 1 || c->nswitch != 0) {
		*err = "no switches allowed";
		return (-1);
	}
	if (c->nwords >= 2 && !c->quoted[1] && cmd_kw(c, 1, "GLOBAL")) {
		a->global = 1;
		first = 2;
	}
	if (c->nwords == first) {
		a->all = 1;
		a->op = SETOP_SHOW;
		return (0);
	}
	if (c->nwords != first + 1) {
		*err = "one setting per command";
		return (-1);
	}
	if (c->quoted[first]) {
		*err = "quoted setting";
		return (-1);
	}
	w = c->word[first];
	for (n = 0; w[n] != '\0' && name_char((unsigned char)w[n]); n++)
		;
	if (n == 0 || n > SET_NAME_MAX) {
		*err = "bad setting name";
		return (-1);
	}
	p = w + n;
	if (*p == '\0') {
		a->op = SETOP_SHOW;
		a->value = NULL;
	} else if (p[0] == '=') {
		a->op = SETOP_PUT;
		a->value = p + 1;
	} else if ((p[0] == '+' || p[0] == '-') && p[1] == '=') {
		a->op = p[0] == '+' ? SETOP_ADD : SETOP_DEL;
		a->value = p + 2;
	} else {
		*err = "bad operator";
		return (-1);
	}
	if (a->value != NULL) {
		vlen = strlen(a->value);
		if (vlen == 0 || vlen >= IPC_SET_VALUE_MAX) {
			*err = "empty or too long value";
			return (-1);
		}
	}
	for (i = 0; i < n; i++)
		a->text[i] = upper(w[i]);
	a->text[n] = '\0';
	a->name = 0;
	for (i = 0; i < sizeof(set_names) / sizeof(set_names[0]); i++)
		if (strcmp(a->text, set_names[i].name) == 0)
			a->name = set_names[i].id;
	return (0);
}

int
set_value_parse(int name, const char *value)
{
	const char *const	*v;
	int			 i;

	if ((v = values_of(name)) == NULL || value == NULL)
		return (-1);
	for (i = 0; v[i] != NULL; i++)
		if (casecmp(value, v[i]))
			return (i);
	return (-1);
}

const char *
set_value_text(int name, int v)
{
	const char *const	*vals;
	int			 i;

	if ((vals = values_of(name)) == NULL || v < 0)
		return ("?");
	for (i = 0; vals[i] != NULL; i++)
		if (i == v)
			return (vals[i]);
	return ("?");
}

const char *
set_supported(int name)
{
	switch (name) {
	case SET_COMPRESSION:
		return ("NONE, GZIP");
	case SET_NOTIFY:
		return ("ALL, IMPORTANT, NONE");
	}
	return ("");
}

int
set_block_entry(const char *in, char *out, size_t size, const char **err)
{
	struct imid	 id;
	size_t		 i, len;

	if (size < IPC_SET_VALUE_MAX) {
		*err = "no room";
		return (-1);
	}
	len = strlen(in);
	if (len == 0 || len >= IPC_SET_VALUE_MAX) {
		*err = "empty or too long";
		return (-1);
	}
	if (strchr(in, '@') == NULL && strchr(in, ':') == NULL) {
		if (!imid_domain_valid(in)) {
			*err = "not a domain or an account";
			return (-1);
		}
		for (i = 0; i <= len; i++)
			out[i] = lower(in[i]);
		return (0);
	}
	if (imid_parse(in, &id, err) == -1)
		return (-1);
	if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0') {
		*err = "not a plain account";
		return (-1);
	}
	if (imid_account(&id, out, size) == -1) {
		*err = "too long";
		return (-1);
	}
	for (i = 0; out[i] != '\0'; i++)
		out[i] = lower(out[i]);
	return (0);
}

int
set_block_match(const char *entry, const char *sender)
{
	const char	*dom;
	size_t		 elen, dlen;

	if (*entry == '\0' || *sender == '\0')
		return (0);
	if (strchr(entry, '@') != NULL)
		return (strcmp(entry, sender) == 0);
	if ((dom = strrchr(sender, '@')) == NULL)
		dom = sender;
	else
		dom++;
	elen = strlen(entry);
	dlen = strlen(dom);
	if (dlen == elen)
		return (strcmp(dom, entry) == 0);
	return (dlen > elen && dom[dlen - elen - 1] == '.' &&
	    strcmp(dom + dlen - elen, entry) == 0);
}
