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
 * the request to immp-deliver; the grammar of refs and paths is in
 * mbox_parse.h.
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
#include "mbox_parse.h"
#include "session.h"

#define KW_MAXLEN	32
#define LIMIT_MAX	10000

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

static void	 mbox_req_init(struct session *, struct ipc_mbox_req *, int,
		    const struct mbox_ref *);
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

static void
mbox_req_init(struct session *s, struct ipc_mbox_req *req, int op,
    const struct mbox_ref *r)
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;
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
	if (mbox_ref_parse(s->account, buf, MBOX_REF_NOUUID |
	    (rec ? MBOX_REF_ROOT : 0), &r, &e) == -1) {
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;
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
	if (mbox_ref_parse(s->account, buf, MBOX_REF_NOUUID, &r,
	    &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_INDEX, &r);
	(void)strlcpy(req.selector, sel, sizeof(req.selector));
	if (cmd_switch(c, "JSON") == 1)
		req.flags |= MBOXF_JSON;
	for (i = 3; i + 1 < c->nwords; i += 2) {
		if (cmd_kw(c, i, "FROM") && !seen_from++) {
			if (mbox_num_parse(c->word[i + 1], 1, UINT32_MAX,
			    &v) == -1)
				goto bad;
			req.from_uid = (uint32_t)v;
		} else if (cmd_kw(c, i, "LIMIT") && !seen_limit++) {
			if (mbox_num_parse(c->word[i + 1], 1, LIMIT_MAX,
			    &v) == -1) {
				session_reply(s, 400, 0, "LIMIT must be 1 to "
				    "%d.", LIMIT_MAX);
				return;
			}
			req.limit = (uint32_t)v;
		} else if (cmd_kw(c, i, "SINCE") && !seen_since++) {
			if (mbox_num_parse(c->word[i + 1], 0, INT64_MAX,
			    &v) == -1)
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;
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
	if (c->nwords == 5 && !mbox_part_valid(c->word[4])) {
		session_reply(s, 400, 0, "Bad part id.");
		return;
	}
	if (mbox_ref_parse(s->account, c->word[2], MBOX_REF_UUID, &r,
	    &e) == -1) {
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;

	if (c->nwords != 3 || c->nswitch != 0) {
		mbox_syntax(s, op == MBOX_OP_CREATE ? "CREATE <folder>" :
		    "DELETE <folder>");
		return;
	}
	if (mbox_ref_parse(s->account, c->word[2], MBOX_REF_NOUUID, &r,
	    &e) == -1) {
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
	struct mbox_ref		 r, r2;
	struct mbox_perr	 e;

	if (c->nwords != 4 || c->nswitch != 0) {
		mbox_syntax(s, "RENAME <folder> <newfolder>");
		return;
	}
	if (mbox_ref_parse(s->account, c->word[2], MBOX_REF_NOUUID, &r,
	    &e) == -1 || mbox_ref_parse(s->account, c->word[3],
	    MBOX_REF_NOUUID | MBOX_REF_NOID, &r2, &e) == -1) {
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;
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
	if (mbox_ref_parse(s->account, c->word[2], MBOX_REF_UUID, &r,
	    &e) == -1) {
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
	struct mbox_ref		 r, r2;
	struct mbox_perr	 e;

	if (c->nwords != 4 || c->nswitch != 0) {
		mbox_syntax(s, op == MBOX_OP_COPY ?
		    "COPY <folder>#<uuid> <folder>" :
		    "MOVE <folder>#<uuid> <folder>");
		return;
	}
	if (mbox_ref_parse(s->account, c->word[2], MBOX_REF_UUID, &r,
	    &e) == -1 || mbox_ref_parse(s->account, c->word[3],
	    MBOX_REF_NOUUID | MBOX_REF_NOID, &r2, &e) == -1) {
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
	struct mbox_ref		 r;
	struct mbox_perr	 e;

	if (c->nwords != 3 || c->nswitch != 0) {
		mbox_syntax(s, "EXPUNGE <folder>[#<uuid>]");
		return;
	}
	if (mbox_ref_parse(s->account, c->word[2], 0, &r, &e) == -1) {
		session_reply(s, e.code, 0, "%s", e.text);
		return;
	}
	mbox_req_init(s, &req, MBOX_OP_EXPUNGE, &r);
	mbox_send(s, &req);
}
