/*
 * SUBSCRIBE, UNSUBSCRIBE and PUBLISH (push.h; draft 3.4, 3.4.1; immp(7)
 * SUBSCRIBE, PUBLISH).
 *
 * The subscriber's server keeps the subscription in the account's
 * store (push_store.c); the publisher's server keeps its nodes and their
 * subscribers (immp-lookup/pubsub.c) and is asked first: directly for a
 * node of ours, else with "SUBSCRIBE TO <node> FOR <imid>" over an AUTH
 * COOKIE session (outbound_line).  PUBLISH TO turns the subscriber list
 * into a push to all of them (message.c, MSGF_PUSH); the queue groups the
 * recipients per destination domain.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imid.h"
#include "immpuri.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_push.h"
#include "log.h"
#include "outbound.h"
#include "push.h"
#include "session.h"

/* What an answer from lookup or the publisher's domain goes on with. */
enum pending_kind {
	P_SUB_LOCAL,	/* SUBSCRIBE TO, our node: store it (280) */
	P_SUB_REMOTE,	/* SUBSCRIBE TO ... FOR (Remote): 280 title */
	P_UNSUB_REMOTE,	/* UNSUBSCRIBE ... FOR (Remote): 283 */
	P_CREATE,	/* PUBLISH CREATE: 290 */
	P_PUBLISH,	/* PUBLISH TO: collect subscribers, then 270 */
	P_FORGET,	/* no session waits (unsubscribe notice) */
};

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	uint64_t		 reqid;
	enum pending_kind	 kind;
	char			 node[PUB_TEXT_MAX];
	struct message		*m;		/* P_PUBLISH */
};

static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);

static struct pending *
pending_new(struct session *s, enum pending_kind kind, const char *node)
{
	struct pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->reqid = s != NULL ? session_reqid(s) : 0;
	p->kind = kind;
	(void)strlcpy(p->node, node, sizeof(p->node));
	TAILQ_INSERT_TAIL(&pendings, p, entry);
	return (p);
}

static struct pending *
pending_find(uint64_t reqid)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &pendings, entry)
		if (p->reqid == reqid)
			return (p);
	return (NULL);
}

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&pendings, p, entry);
	if (p->m != NULL) {
		free(p->m->rcpts);
		free(p->m);
	}
	free(p);
}

/* Sends one request to immp-lookup's pubsub store. */
static void
pubsub_send(uint64_t reqid, int op, const char *node, const char *account,
    const char *title)
{
	struct ipc_pubsub_req	 q;

	memset(&q, 0, sizeof(q));
	q.reqid = reqid;
	q.op = op;
	(void)strlcpy(q.node, node, sizeof(q.node));
	(void)strlcpy(q.account, account, sizeof(q.account));
	if (title != NULL)
		(void)strlcpy(q.title, title, sizeof(q.title));
	net_compose(env->lookup, IMSG_PUBSUB_REQ, &q, sizeof(q));
}

/* Our domain in the account "local@domain" (the cookie's issuer). */
static const char *
account_domain(const char *account)
{
	const char	*at = strrchr(account, '@');

	return (at != NULL ? at + 1 : account);
}

/* "<node>" and, between domains, "FOR <imid>": 0 or -1 after a reply. */
static int
node_arg(struct session *s, const char *word, struct pubid *node,
    char *text)
{
	const char	*err;

	if (pubid_parse(word, node, &err) == -1 ||
	    pubid_format(node, text, PUB_TEXT_MAX) == -1) {
		session_reply(s, 421, 0, "Bad node: %s.", err);
		return (-1);
	}
	return (0);
}

/* The subscriber of a Remote request: an account of that domain. */
static int
remote_account(struct session *s, const char *word, char *acct)
{
	struct imid	 id;
	const char	*err;

	if (strlen(word) >= IPC_ACCOUNT_MAX ||
	    imid_parse(word, &id, &err) == -1 || id.shared[0] != '\0' ||
	    id.folder[0] != '\0' || id.mailbox[0] != '\0' ||
	    id.message[0] != '\0' || id.options[0] != '\0' ||
	    imid_account(&id, acct, IPC_ACCOUNT_MAX) == -1) {
		session_reply(s, 421, 0, "Bad subscriber.");
		return (-1);
	}
	if (strcasecmp(id.domain, s->remote) != 0) {
		session_reply(s, 483, 0, "Not an account of your domain.");
		return (-1);
	}
	return (0);
}

void
subscribe_cmd(struct session *s, const struct cmd *c)
{
	struct pending	*p;
	struct pubid	 node;
	char		 text[PUB_TEXT_MAX], acct[IPC_ACCOUNT_MAX];
	char		 line[PUB_TEXT_MAX + IPC_ACCOUNT_MAX + 32];

	if (s->state == STATE_REMOTE) {
		if (c->nwords != 5 || c->nswitch != 0 || !cmd_kw(c, 1, "TO") ||
		    c->quoted[1] || c->quoted[3] || !cmd_kw(c, 3, "FOR")) {
			session_reply(s, 400, 0, "Syntax: SUBSCRIBE TO <node> "
			    "FOR <imid>.");
			return;
		}
		if (node_arg(s, c->word[2], &node, text) == -1 ||
		    remote_account(s, c->word[4], acct) == -1)
			return;
		if (!conf_is_local(&env->conf, node.domain)) {
			session_reply(s, 485, 0, "No such node.");
			return;
		}
		if ((p = pending_new(s, P_SUB_REMOTE, text)) == NULL)
			goto oom;
		pubsub_send(p->reqid, PUBSUB_SUB_ADD, text, acct, NULL);
		session_wait(s, WAIT_PUBSUB, p->reqid);
		return;
	}
	if (s->state != STATE_LOCAL) {
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	if (c->nwords == 2 && c->nswitch == 0 && !c->quoted[1] &&
	    cmd_kw(c, 1, "LIST")) {
		push_user_request(s, PUSH_OP_SUB_LIST, NULL, NULL, NULL);
		return;
	}
	if (c->nwords != 3 || c->nswitch != 0 || c->quoted[1] ||
	    !cmd_kw(c, 1, "TO")) {
		session_reply(s, 400, 0, "Syntax: SUBSCRIBE TO <node> | "
		    "SUBSCRIBE LIST.");
		return;
	}
	if (node_arg(s, c->word[2], &node, text) == -1)
		return;
	session_reply(s, 380, 0, "Subscribing to publisher %s.", text);
	if ((p = pending_new(s, P_SUB_LOCAL, text)) == NULL)
		goto oom;
	if (conf_is_local(&env->conf, node.domain))
		pubsub_send(p->reqid, PUBSUB_SUB_ADD, text, s->account, NULL);
	else {
		(void)snprintf(line, sizeof(line), "SUBSCRIBE TO %s FOR %s",
		    text, s->account);
		outbound_line(node.domain, account_domain(s->account), line,
		    p->reqid);
	}
	session_wait(s, WAIT_PUBSUB, p->reqid);
	return;
 oom:
	log_warn("subscribe");
	session_reply(s, 700, 0, "Internal error, try again later.");
}

void
unsubscribe_cmd(struct session *s, const struct cmd *c)
{
	struct pending	*p;
	struct pubid	 node;
	const char	*err;
	char		 uuid[IPC_UUID_MAX], text[PUB_TEXT_MAX];
	char		 acct[IPC_ACCOUNT_MAX];

	if (s->state == STATE_REMOTE) {
		if (c->nwords != 4 || c->nswitch != 0 || c->quoted[2] ||
		    !cmd_kw(c, 2, "FOR")) {
			session_reply(s, 400, 0, "Syntax: UNSUBSCRIBE <node> "
			    "FOR <imid>.");
			return;
		}
		if (node_arg(s, c->word[1], &node, text) == -1 ||
		    remote_account(s, c->word[3], acct) == -1)
			return;
		if (!conf_is_local(&env->conf, node.domain)) {
			session_reply(s, 485, 0, "No such node.");
			return;
		}
		if ((p = pending_new(s, P_UNSUB_REMOTE, text)) == NULL) {
			session_reply(s, 700, 0, "Internal error, try again "
			    "later.");
			return;
		}
		pubsub_send(p->reqid, PUBSUB_SUB_DEL, text, acct, NULL);
		session_wait(s, WAIT_PUBSUB, p->reqid);
		return;
	}
	if (s->state != STATE_LOCAL) {
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	if (c->nwords != 2 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: UNSUBSCRIBE <uuid|node>.");
		return;
	}
	if (push_target_parse(c->word[1], 1, uuid, &node, &err) == -1) {
		session_reply(s, 421, 0, "Bad argument: %s.", err);
		return;
	}
	text[0] = '\0';
	if (uuid[0] == '\0' && pubid_format(&node, text, sizeof(text)) ==
	    -1) {
		session_reply(s, 421, 0, "Bad argument: node too long.");
		return;
	}
	push_user_request(s, PUSH_OP_SUB_DEL, uuid[0] != '\0' ? uuid : NULL,
	    text[0] != '\0' ? text : NULL, NULL);
}

void
push_unsubscribed(struct session *s, const char *text)
{
	struct pubid	 node;
	struct pending	*p;
	const char	*err;
	char		 word[PUB_TEXT_MAX], canon[PUB_TEXT_MAX];
	char		 line[PUB_TEXT_MAX + IPC_ACCOUNT_MAX + 32];
	size_t		 n = strcspn(text, " ");

	if (n >= sizeof(word))
		return;
	memcpy(word, text, n);
	word[n] = '\0';
	if (pubid_parse(word, &node, &err) == -1 ||
	    pubid_format(&node, canon, sizeof(canon)) == -1)
		return;
	if (conf_is_local(&env->conf, node.domain)) {
		if ((p = pending_new(NULL, P_FORGET, canon)) == NULL)
			return;
		p->reqid = session_reqid(s);
		pubsub_send(p->reqid, PUBSUB_SUB_DEL, canon, s->account, NULL);
		return;
	}
	(void)snprintf(line, sizeof(line), "UNSUBSCRIBE %s FOR %s", canon,
	    s->account);
	outbound_line(node.domain, account_domain(s->account), line, 0);
}

/*
 * PUBLISH
 */

void
publish_cmd(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = { "IMPORTANT", NULL };
	struct pending	*p;
	struct pubid	 node;
	const char	*err;
	char		 text[PUB_TEXT_MAX], owner[IPC_ACCOUNT_MAX];
	int		 create;

	if (s->state != STATE_LOCAL) {
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	create = c->nwords >= 2 && !c->quoted[1] && cmd_kw(c, 1, "CREATE");
	if ((create && (c->nwords != 4 || c->nswitch != 0)) ||
	    (!create && (c->nwords != 3 || c->quoted[1] ||
	    !cmd_kw(c, 1, "TO") || cmd_check_switches(c, sw, &err) == -1))) {
		session_reply(s, 400, 0, "Syntax: PUBLISH CREATE <node> "
		    "<title> | PUBLISH TO <node> [+IMPORTANT|-IMPORTANT].");
		return;
	}
	if (node_arg(s, c->word[2], &node, text) == -1)
		return;
	if (pubid_owner(&node, owner, sizeof(owner)) == -1 ||
	    strcasecmp(owner, s->account) != 0) {
		session_reply(s, 483, 0, "Not the owner of that node.");
		return;
	}
	if (create && (strlen(c->word[3]) == 0 ||
	    strlen(c->word[3]) >= IPC_PUBSUB_TITLE_MAX)) {
		session_reply(s, 421, 0, "Bad title.");
		return;
	}
	if ((p = pending_new(s, create ? P_CREATE : P_PUBLISH, text)) ==
	    NULL)
		goto oom;
	if (!create) {
		if ((p->m = calloc(1, sizeof(*p->m))) == NULL ||
		    (p->m->rcpts = calloc(PUBSUB_MAX_SUBS,
		    sizeof(*p->m->rcpts))) == NULL) {
			pending_free(p);
			goto oom;
		}
		p->m->flags = MSGF_PUSH;
		if (cmd_switch(c, "IMPORTANT") == 1)
			p->m->flags |= MSGF_IMPORTANT;
		else if (cmd_switch(c, "IMPORTANT") == 0)
			p->m->flags |= MSGF_UNIMPORTANT;
		(void)strlcpy(p->m->sender, owner, sizeof(p->m->sender));
	}
	pubsub_send(p->reqid, create ? PUBSUB_CREATE : PUBSUB_GET, text,
	    s->account, create ? c->word[3] : NULL);
	session_wait(s, WAIT_PUBSUB, p->reqid);
	return;
 oom:
	log_warn("publish");
	session_reply(s, 700, 0, "Internal error, try again later.");
}

/* One subscriber of PUBLISH TO: a recipient of the push. */
static void
publish_rcpt(struct pending *p, const char *account)
{
	struct message	*m = p->m;
	struct rcpt	*r;
	struct imid	 id;
	struct pubid	 node;
	const char	*err;

	if (m->nrcpt >= PUBSUB_MAX_SUBS)
		return;
	if (imid_parse(account, &id, &err) == -1 ||
	    pubid_parse(p->node, &node, &err) == -1) {
		log_warnx("publish %s: bad subscriber in the store", p->node);
		return;
	}
	r = &m->rcpts[m->nrcpt++];
	memset(r, 0, sizeof(*r));
	(void)strlcpy(r->account, account, sizeof(r->account));
	(void)strlcpy(r->imid, account, sizeof(r->imid));
	(void)strlcpy(r->folder, node.name, sizeof(r->folder));
	r->remote = !conf_is_local(&env->conf, id.domain);
}

/* The final answer for p's session s. */
static void
pending_result(struct session *s, struct pending *p,
    const struct ipc_pubsub_res *res)
{
	struct message	*m;

	if (res->result == IPC_TEMPFAIL) {
		session_reply(s, 740, 0, "Subscriptions temporarily "
		    "unavailable.");
		return;
	}
	switch (p->kind) {
	case P_SUB_LOCAL:
		if (res->result != IPC_OK) {
			session_reply(s, 485, 0, "No such node.");
			return;
		}
		push_user_request(s, PUSH_OP_SUB_ADD, NULL, p->node,
		    res->title);
		return;
	case P_SUB_REMOTE:
		if (res->result != IPC_OK)
			session_reply(s, 485, 0, "No such node.");
		else
			session_reply(s, 280, 0, "%s", res->title);
		return;
	case P_UNSUB_REMOTE:
		if (res->result != IPC_OK)
			session_reply(s, 481, 0, "No such subscription.");
		else
			session_reply(s, 283, 0, "Unsubscribed.");
		return;
	case P_CREATE:
		if (res->result != IPC_OK)
			session_reply(s, 486, 0, "%s exists.", p->node);
		else
			session_reply(s, 290, 0, "%s created.", p->node);
		return;
	case P_PUBLISH:
		if (res->result != IPC_OK) {
			session_reply(s, 485, 0, "No such node.");
			return;
		}
		if (strcasecmp(res->account, s->account) != 0) {
			session_reply(s, 483, 0, "Not the owner of that node.");
			return;
		}
		if (res->count > PUBSUB_MAX_SUBS) {
			session_reply(s, 487, 0, "Too many subscribers (more "
			    "than %d).", PUBSUB_MAX_SUBS);
			return;
		}
		if (p->m->nrcpt == 0) {
			session_reply(s, 292, 0, "No subscribers.");
			return;
		}
		log_info("publish id=%016" PRIx64 " node=%s subscribers=%zu",
		    s->id, p->node, p->m->nrcpt);
		m = p->m;
		p->m = NULL;
		m->fanout = 1;	/* refused subscribers are left out */
		msg_open(s, m, PUSH_MAX_SIZE);	/* message.c: 270 */
		return;
	case P_FORGET:
		return;
	}
}

int
push_lookup_imsg(struct imsg *imsg)
{
	struct ipc_pubsub_res	 res;
	struct pending		*p;
	struct session		*s;

	if (imsg->hdr.type != IMSG_PUBSUB_SUBSCRIBER &&
	    imsg->hdr.type != IMSG_PUBSUB_RESULT)
		return (0);
	memcpy(&res, ipc_payload(imsg, sizeof(res)), sizeof(res));
	if (!ipc_check_str(res.account, sizeof(res.account)) ||
	    !ipc_check_str(res.title, sizeof(res.title)) ||
	    strpbrk(res.title, "\r\n") != NULL)
		fatalx("lookup: malformed PUBSUB answer");
	if ((p = pending_find(res.reqid)) == NULL)
		fatalx("lookup: PUBSUB answer for no request");
	if (imsg->hdr.type == IMSG_PUBSUB_SUBSCRIBER) {
		if (p->kind == P_PUBLISH)
			publish_rcpt(p, res.account);
		return (1);
	}
	s = session_byreq(res.reqid);
	if (p->kind == P_FORGET || s == NULL || s->wait != WAIT_PUBSUB ||
	    s->reqid != res.reqid) {
		pending_free(p);
		return (1);
	}
	s->wait = WAIT_NONE;
	pending_result(s, p, &res);
	pending_free(p);
	session_kick(s);
	return (1);
}

void
subscribe_line_done(uint64_t reqid, int code, const char *text)
{
	struct pending	*p;
	struct session	*s;
	char		 title[IPC_PUBSUB_TITLE_MAX];

	if (reqid == 0 || (p = pending_find(reqid)) == NULL)
		return;
	s = session_byreq(reqid);
	if (s == NULL || s->wait != WAIT_PUBSUB || s->reqid != reqid) {
		pending_free(p);
		return;
	}
	s->wait = WAIT_NONE;
	if (code == 280) {
		/* The publisher's title, as a reply text (no CR, LF). */
		(void)strlcpy(title, text, sizeof(title));
		log_info("subscribe id=%016" PRIx64 " node=%s confirmed",
		    s->id, p->node);
		push_user_request(s, PUSH_OP_SUB_ADD, NULL, p->node, title);
	} else if (code >= 400 && code < 700) {
		log_info("subscribe id=%016" PRIx64 " node=%s refused: %d %s",
		    s->id, p->node, code, text);
		session_reply(s, code == 485 ? 485 : 488, 0,
		    "Refused by the publisher's domain: %s", text);
	} else {
		log_info("subscribe id=%016" PRIx64 " node=%s failed: %s",
		    s->id, p->node, code == 0 ? text : "server error");
		session_reply(s, 721, 0, "The publisher's domain cannot be "
		    "reached now, try again later.");
	}
	pending_free(p);
	session_kick(s);
}
