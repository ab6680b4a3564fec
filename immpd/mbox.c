/*
 * Copyright (c) 2026 The immpd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The MBOX commands (draft 3.2, 7.3.3, 8.5; immp(7) MAILBOXES, MBOX):
 * parsing and the request to immp-deliver.
 *
 *   ref        = [ mailbox-id ] path [ "#" uuid ]
 *   mailbox-id = [ shared "/" ] local "@" domain
 *   path       = "/" seg *( "/" seg )      at most 8 segs, 200 octets
 *   seg        = 1*64( ALPHA / DIGIT / "_" / "-" )
 *   uuid       = 8-4-4-4-12 lower-case hex
 *
 * Every form is checked here, before anything is sent: a bad folder
 * name (444) never reaches immp-deliver, which checks again anyway.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "imid.h"
#include "ipc.h"
#include "ipc_mbox.h"
#include "log.h"
#include "mbox.h"
#include "session.h"

#define PATH_MAXLEN	200
#define PATH_MAXSEGS	8
#define SEG_MAXLEN	64
#define KW_MAXLEN	32
#define LIMIT_MAX	10000

/* Parse errors: the reply code and its text. */
struct perr {
	int		 code;
	const char	*text;
};

/* A parsed ref. */
struct ref {
	char	 mailbox[IPC_ACCOUNT_MAX];	/* "" own mailbox */
	char	 folder[IPC_FOLDER_MAX];	/* canonical path */
	char	 uuid[IPC_UUID_MAX];		/* "" none */
};

/* What a ref may hold. */
#define REF_UUID	0x01	/* "#uuid" required */
#define REF_NOUUID	0x02	/* "#uuid" refused */
#define REF_ROOT	0x04	/* "/" alone allowed (CHECK +RECURSIVE) */
#define REF_NOID	0x08	/* no mailbox-id (second operands) */

static const char *const defaults[] = { "INBOX", "Drafts", "Sent", "Junk" };

static const struct {
	const char	*name;
	uint32_t	 flag;
} flagnames[] = {
	{ "SEEN",	MBOX_FLAG_SEEN },
	{ "ANSWERED",	MBOX_FLAG_ANSWERED },
	{ "FLAGGED",	MBOX_FLAG_FLAGGED },
	{ "DELETED",	MBOX_FLAG_DELETED },
	{ "DRAFT",	MBOX_FLAG_DRAFT },
};

static const char *const selectors[] = {
	"all", "unread", "seen", "flagged", "answered", "deleted", "draft",
	NULL
};

static int	 path_parse(const char *, size_t, char *, size_t, int);
static int	 uuid_valid(const char *, size_t);
static int	 ref_parse(struct session *, const char *, int, struct ref *,
		    struct perr *);
static int	 num_parse(const char *, uint64_t, uint64_t, uint64_t *);
static int	 part_valid(const char *);
static void	 mbox_req_init(struct session *, struct ipc_mbox_req *, int,
		    const struct ref *);
static void	 mbox_syntax(struct session *, const char *);
static void	 mbox_list(struct session *, const struct cmd *);
static void	 mbox_check(struct session *, const struct cmd *);
static void	 mbox_index(struct session *, const struct cmd *);
static void	 mbox_fetch(struct session *, const struct cmd *);
static void	 mbox_folder(struct session *, const struct cmd *, int);
static void	 mbox_rename(struct session *, const struct cmd *);
static void	 mbox_flag(struct session *, const struct cmd *);
static void	 mbox_copymove(struct session *, const struct cmd *, int);
static void	 mbox_expunge(struct session *, const struct cmd *);

static const struct {
	const char	*verb;
	void		(*fn)(struct session *, const struct cmd *);
} verbs[] = {
	{ "LIST",	mbox_list },
	{ "CHECK",	mbox_check },
	{ "INDEX",	mbox_index },
	{ "FETCH",	mbox_fetch },
	{ "FLAG",	mbox_flag },
	{ "RENAME",	mbox_rename },
	{ "EXPUNGE",	mbox_expunge },
};

/*
 * The path p[0..len) into out (size outsz) in canonical form: the first
 * segment "INBOX", "Drafts", "Sent" or "Junk" in any case becomes that
 * spelling.  root: "/" alone is allowed.  0, or -1 for an invalid name.
 */
static int
path_parse(const char *p, size_t len, char *out, size_t outsz, int root)
{
	size_t	 i, seg, nseg = 0, k;
	char	 c;

	if (len == 0 || len > PATH_MAXLEN || len >= outsz || p[0] != '/')
		return (-1);
	if (len == 1) {
		if (!root)
			return (-1);
		memcpy(out, "/", 2);
		return (0);
	}
	memcpy(out, p, len);
	out[len] = '\0';
	seg = 0;
	for (i = 1; i <= len; i++) {
		c = i < len ? p[i] : '/';
		if (c == '/') {
			if (seg == 0 || seg > SEG_MAXLEN)
				return (-1);
			if (++nseg > PATH_MAXSEGS)
				return (-1);
			if (nseg == 1) {
				for (k = 0; k < sizeof(defaults) /
				    sizeof(defaults[0]); k++)
					if (strlen(defaults[k]) == seg &&
					    strncasecmp(p + 1, defaults[k],
					    seg) == 0)
						memcpy(out + 1, defaults[k],
						    seg);
			}
			seg = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return (-1);
		seg++;
	}
	return (0);
}

/* 1 if s[0..len) is a lower-case 8-4-4-4-12 UUID. */
static int
uuid_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len != 36)
		return (0);
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	}
	return (1);
}

/*
 * Parses the ref w for s into r.  0, or -1 with *e set: 400 (bad
 * uuid, uuid missing or not allowed, bad mailbox id), 444 (invalid
 * folder name), 445 (another account's mailbox).
 */
static int
ref_parse(struct session *s, const char *w, int how, struct ref *r,
    struct perr *e)
{
	struct imid	 id;
	const char	*at, *slash, *hash, *path, *errstr;
	char		 idbuf[IPC_ACCOUNT_MAX + 70];
	char		 account[IPC_ACCOUNT_MAX];
	size_t		 len = strlen(w), plen;

	memset(r, 0, sizeof(*r));
	hash = memchr(w, '#', len);
	if (hash != NULL) {
		if (how & REF_NOUUID) {
			e->code = 400;
			e->text = "No message UUID allowed here.";
			return (-1);
		}
		if (!uuid_valid(hash + 1, len - (hash + 1 - w))) {
			e->code = 400;
			e->text = "Bad message UUID.";
			return (-1);
		}
		memcpy(r->uuid, hash + 1, 36);
		len = hash - w;
	} else if (how & REF_UUID) {
		e->code = 400;
		e->text = "A message reference folder#uuid is needed.";
		return (-1);
	}

	e->code = 444;
	e->text = "Invalid folder name.";
	if (len > 0 && w[0] == '/')
		path = w;
	else {
		/* mailbox-id: up to the first "/" after the "@". */
		if ((how & REF_NOID) ||
		    (at = memchr(w, '@', len)) == NULL ||
		    (slash = memchr(at, '/', len - (at - w))) == NULL)
			return (-1);
		if ((size_t)(slash - w) >= sizeof(idbuf) ||
		    strncasecmp(w, "imid:", 5) == 0) {
			e->code = 400;
			e->text = "Bad mailbox id.";
			return (-1);
		}
		memcpy(idbuf, w, slash - w);
		idbuf[slash - w] = '\0';
		if (imid_parse(idbuf, &id, &errstr) == -1 ||
		    id.folder[0] != '\0' || id.mailbox[0] != '\0' ||
		    id.message[0] != '\0' || id.options[0] != '\0' ||
		    imid_account(&id, account, sizeof(account)) == -1) {
			e->code = 400;
			e->text = "Bad mailbox id.";
			return (-1);
		}
		if (strcasecmp(account, s->account) != 0) {
			e->code = 445;
			e->text = "No access to that mailbox.";
			return (-1);
		}
		if (id.shared[0] != '\0') {
			if (snprintf(r->mailbox, sizeof(r->mailbox), "%s@%s",
			    id.shared, id.domain) >= (int)sizeof(r->mailbox)) {
				e->code = 400;
				e->text = "Bad mailbox id.";
				return (-1);
			}
		}
		path = slash;
	}
	plen = len - (path - w);
	e->code = 444;
	e->text = "Invalid folder name.";
	if (path_parse(path, plen, r->folder, sizeof(r->folder),
	    (how & REF_ROOT) != 0) == -1)
		return (-1);
	return (0);
}

/* A decimal number without sign or leading zero, min..max. 0 or -1. */
static int
num_parse(const char *w, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i, len = strlen(w);

	if (len == 0 || len > 20 || (len > 1 && w[0] == '0'))
		return (-1);
	for (i = 0; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(w[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* PART id: "1", "2.1": numbers 1..9999 joined by ".". */
static int
part_valid(const char *w)
{
	size_t	 i, len = strlen(w), digits = 0;

	if (len == 0 || len >= IPC_MBOX_PART_MAX)
		return (0);
	for (i = 0; i <= len; i++) {
		if (i == len || w[i] == '.') {
			if (digits == 0 || digits > 4)
				return (0);
			digits = 0;
			continue;
		}
		if (w[i] < '0' || w[i] > '9' || (digits == 0 && w[i] == '0'))
			return (0);
		digits++;
	}
	return (1);
}

static void
mbox_req_init(struct session *s, struct ipc_mbox_req *req, int op,
    const struct ref *r)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	(void)strlcpy(req->account, s->account, sizeof(req->account));
	if (r != NULL && r->mailbox[0] != '\0')
		(void)strlcpy(req->mailbox, r->mailbox, sizeof(req->mailbox));
	else
		(void)strlcpy(req->mailbox, s->account, sizeof(req->mailbox));
	if (r != NULL) {
		(void)strlcpy(req->folder, r->folder, sizeof(req->folder));
		(void)strlcpy(req->uuid, r->uuid, sizeof(req->uuid));
	}
	(void)strlcpy(req->selector, "all", sizeof(req->selector));
}

static void
mbox_syntax(struct session *s, const char *usage)
{
	session_reply(s, 400, 0, "Syntax: MBOX %s.", usage);
}

void
mbox_cmd(struct session *s, const struct cmd *c)
{
	size_t	 i;

	if (c->nwords < 2) {
		session_reply(s, 400, 0, "Syntax: MBOX <command> ...");
		return;
	}
	if (s->state != STATE_LOCAL) {
		session_reply(s, 402, 0, "MBOX needs AUTH SECRET first.");
		return;
	}
	if (cmd_kw(c, 1, "CREATE")) {
		mbox_folder(s, c, MBOX_OP_CREATE);
		return;
	}
	if (cmd_kw(c, 1, "DELETE")) {
		mbox_folder(s, c, MBOX_OP_DELETE);
		return;
	}
	if (cmd_kw(c, 1, "COPY")) {
		mbox_copymove(s, c, MBOX_OP_COPY);
		return;
	}
	if (cmd_kw(c, 1, "MOVE")) {
		mbox_copymove(s, c, MBOX_OP_MOVE);
		return;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (cmd_kw(c, 1, verbs[i].verb)) {
			verbs[i].fn(s, c);
			return;
		}
	}
	session_reply(s, 400, 0, "Unknown MBOX command.");
}

/* MBOX LIST */
static void
mbox_list(struct session *s, const struct cmd *c)
{
	struct ipc_mbox_req	 req;

	if (c->nwords != 2 || c->nswitch != 0) {
		mbox_syntax(s, "LIST");
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_LIST, NULL);
	mbox_send(s, &req);
}

/* MBOX CHECK <path>[:*] [+RECURSIVE] */
static void
mbox_check(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = { "RECURSIVE", NULL };
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;
	const char		*errstr, *w;
	char			 buf[CMD_MAXLINE + 1];
	size_t			 len;
	int			 rec;

	if (c->nwords != 3 ||
	    cmd_check_switches(c, sw, &errstr) == -1 ||
	    cmd_switch(c, "RECURSIVE") == 0) {
		mbox_syntax(s, "CHECK <folder>[:*] [+RECURSIVE]");
		return;
	}
	rec = cmd_switch(c, "RECURSIVE") == 1;
	w = c->word[2];
	len = strlen(w);
	if (len >= 2 && strcmp(w + len - 2, ":*") == 0) {
		rec = 1;
		len -= 2;
	}
	if (len >= sizeof(buf)) {
		session_reply(s, 444, 0, "Invalid folder name.");
		return;
	}
	memcpy(buf, w, len);
	buf[len] = '\0';
	if (ref_parse(s, buf, REF_NOUUID | (rec ? REF_ROOT : 0), &r,
	    &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_CHECK, &r);
	if (rec)
		req.flags |= MBOXF_RECURSIVE;
	mbox_send(s, &req);
}

/*
 * MBOX INDEX <path>[::<sel>] [+JSON] [FROM <uid>] [LIMIT <n>]
 *     [SINCE <modseq>]
 */
static void
mbox_index(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = { "JSON", NULL };
	static const char usage[] = "INDEX <folder>[::<selector>] [+JSON] "
	    "[FROM <uid>] [LIMIT <n>] [SINCE <modseq>]";
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;
	const char		*errstr, *w, *sel;
	char			 buf[CMD_MAXLINE + 1];
	uint64_t		 v;
	int			 i, seen_from = 0, seen_limit = 0;
	int			 seen_since = 0;
	size_t			 k;

	if (c->nwords < 3 || c->nwords % 2 == 0 ||
	    cmd_check_switches(c, sw, &errstr) == -1 ||
	    cmd_switch(c, "JSON") == 0) {
		mbox_syntax(s, usage);
		return;
	}
	w = c->word[2];
	if (strlen(w) >= sizeof(buf)) {
		session_reply(s, 444, 0, "Invalid folder name.");
		return;
	}
	(void)strlcpy(buf, w, sizeof(buf));
	sel = "all";
	if ((w = strstr(buf, "::")) != NULL) {
		buf[w - buf] = '\0';
		sel = w + 2;
		for (k = 0; selectors[k] != NULL; k++)
			if (strcasecmp(sel, selectors[k]) == 0)
				break;
		if (selectors[k] == NULL) {
			session_reply(s, 400, 0, "Unknown selector.");
			return;
		}
		sel = selectors[k];
	}
	if (ref_parse(s, buf, REF_NOUUID, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_INDEX, &r);
	(void)strlcpy(req.selector, sel, sizeof(req.selector));
	if (cmd_switch(c, "JSON") == 1)
		req.flags |= MBOXF_JSON;
	for (i = 3; i + 1 < c->nwords; i += 2) {
		if (cmd_kw(c, i, "FROM") && !seen_from++) {
			if (num_parse(c->word[i + 1], 1, UINT32_MAX, &v) == -1)
				goto bad;
			req.from_uid = (uint32_t)v;
		} else if (cmd_kw(c, i, "LIMIT") && !seen_limit++) {
			if (num_parse(c->word[i + 1], 1, LIMIT_MAX, &v) == -1) {
				session_reply(s, 400, 0, "LIMIT must be 1 to "
				    "%d.", LIMIT_MAX);
				return;
			}
			req.limit = (uint32_t)v;
		} else if (cmd_kw(c, i, "SINCE") && !seen_since++) {
			if (num_parse(c->word[i + 1], 0, INT64_MAX, &v) == -1)
				goto bad;
			req.since = v;
		} else
			goto bad;
	}
	mbox_send(s, &req);
	return;
 bad:
	mbox_syntax(s, usage);
}

/* MBOX FETCH <ref#uuid> [PART <id>] [+JSON] [+PRETTY] [-READ] [+DELETE] */
static void
mbox_fetch(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = {
		"JSON", "PRETTY", "READ", "DELETE", NULL
	};
	static const char usage[] = "FETCH <folder>#<uuid> [PART <id>] "
	    "[+JSON] [+PRETTY] [-READ] [+DELETE]";
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;
	const char		*errstr;

	if ((c->nwords != 3 && c->nwords != 5) ||
	    cmd_check_switches(c, sw, &errstr) == -1 ||
	    cmd_switch(c, "JSON") == 0 || cmd_switch(c, "PRETTY") == 0 ||
	    cmd_switch(c, "READ") == 1 || cmd_switch(c, "DELETE") == 0 ||
	    (c->nwords == 5 && !cmd_kw(c, 3, "PART"))) {
		mbox_syntax(s, usage);
		return;
	}
	if (cmd_switch(c, "PRETTY") == 1 && cmd_switch(c, "JSON") != 1) {
		session_reply(s, 400, 0, "+PRETTY needs +JSON.");
		return;
	}
	if (c->nwords == 5 && !part_valid(c->word[4])) {
		session_reply(s, 400, 0, "Bad part id.");
		return;
	}
	if (ref_parse(s, c->word[2], REF_UUID, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_FETCH, &r);
	if (c->nwords == 5)
		(void)strlcpy(req.part, c->word[4], sizeof(req.part));
	if (cmd_switch(c, "JSON") == 1)
		req.flags |= MBOXF_JSON;
	if (cmd_switch(c, "PRETTY") == 1)
		req.flags |= MBOXF_PRETTY;
	if (cmd_switch(c, "READ") == 0)
		req.flags |= MBOXF_NOREAD;
	if (cmd_switch(c, "DELETE") == 1)
		req.flags |= MBOXF_DELETE;
	mbox_send(s, &req);
}

/* MBOX CREATE <path>, MBOX DELETE <path> */
static void
mbox_folder(struct session *s, const struct cmd *c, int op)
{
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;

	if (c->nwords != 3 || c->nswitch != 0) {
		mbox_syntax(s, op == MBOX_OP_CREATE ? "CREATE <folder>" :
		    "DELETE <folder>");
		return;
	}
	if (ref_parse(s, c->word[2], REF_NOUUID, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, op, &r);
	mbox_send(s, &req);
}

/* MBOX RENAME <path> <newpath> */
static void
mbox_rename(struct session *s, const struct cmd *c)
{
	struct ipc_mbox_req	 req;
	struct ref		 r, r2;
	struct perr		 e;

	if (c->nwords != 4 || c->nswitch != 0) {
		mbox_syntax(s, "RENAME <folder> <newfolder>");
		return;
	}
	if (ref_parse(s, c->word[2], REF_NOUUID, &r, &e) == -1 ||
	    ref_parse(s, c->word[3], REF_NOUUID | REF_NOID, &r2, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_RENAME, &r);
	(void)strlcpy(req.folder2, r2.folder, sizeof(req.folder2));
	mbox_send(s, &req);
}

/*
 * MBOX FLAG <ref#uuid> (+|-)<flag>...: the five system flags by name,
 * any other switch is a keyword (lower-cased, at most 32 octets).
 */
static void
mbox_flag(struct session *s, const struct cmd *c)
{
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;
	const char		*name;
	char			 kw[KW_MAXLEN + 1], *list;
	size_t			 i, k, len;
	int			 j, m;

	if (c->nwords != 3 || c->nswitch == 0) {
		mbox_syntax(s, "FLAG <folder>#<uuid> (+|-)<flag> ...");
		return;
	}
	for (j = 0; j < c->nswitch; j++)
		for (m = 0; m < j; m++)
			if (strcasecmp(c->swname[j], c->swname[m]) == 0) {
				session_reply(s, 400, 0, "Duplicate flag.");
				return;
			}
	if (ref_parse(s, c->word[2], REF_UUID, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_FLAG, &r);
	for (j = 0; j < c->nswitch; j++) {
		name = c->swname[j];
		for (k = 0; k < sizeof(flagnames) / sizeof(flagnames[0]); k++)
			if (strcasecmp(name, flagnames[k].name) == 0)
				break;
		if (k < sizeof(flagnames) / sizeof(flagnames[0])) {
			if (c->swon[j])
				req.set |= flagnames[k].flag;
			else
				req.clear |= flagnames[k].flag;
			continue;
		}
		len = strlen(name);
		if (len > KW_MAXLEN) {
			session_reply(s, 400, 0, "Keyword too long.");
			return;
		}
		for (i = 0; i <= len; i++)
			kw[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
			    name[i] - 'A' + 'a' : name[i];
		list = c->swon[j] ? req.kw_set : req.kw_clear;
		if ((list[0] != '\0' &&
		    strlcat(list, " ", IPC_MBOX_KW_MAX) >= IPC_MBOX_KW_MAX) ||
		    strlcat(list, kw, IPC_MBOX_KW_MAX) >= IPC_MBOX_KW_MAX) {
			session_reply(s, 400, 0, "Too many keywords.");
			return;
		}
	}
	mbox_send(s, &req);
}

/* MBOX COPY|MOVE <ref#uuid> <path> */
static void
mbox_copymove(struct session *s, const struct cmd *c, int op)
{
	struct ipc_mbox_req	 req;
	struct ref		 r, r2;
	struct perr		 e;

	if (c->nwords != 4 || c->nswitch != 0) {
		mbox_syntax(s, op == MBOX_OP_COPY ?
		    "COPY <folder>#<uuid> <folder>" :
		    "MOVE <folder>#<uuid> <folder>");
		return;
	}
	if (ref_parse(s, c->word[2], REF_UUID, &r, &e) == -1 ||
	    ref_parse(s, c->word[3], REF_NOUUID | REF_NOID, &r2, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, op, &r);
	(void)strlcpy(req.folder2, r2.folder, sizeof(req.folder2));
	mbox_send(s, &req);
}

/* MBOX EXPUNGE <path>[#<uuid>] */
static void
mbox_expunge(struct session *s, const struct cmd *c)
{
	struct ipc_mbox_req	 req;
	struct ref		 r;
	struct perr		 e;

	if (c->nwords != 3 || c->nswitch != 0) {
		mbox_syntax(s, "EXPUNGE <folder>[#<uuid>]");
		return;
	}
	if (ref_parse(s, c->word[2], 0, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_EXPUNGE, &r);
	mbox_send(s, &req);
}
