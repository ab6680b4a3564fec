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
#include <sys/tree.h>

#include <ctype.h>
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
	P_SUB_INDEX,	/* SUBSCRIBE TO, confirmed: our index, then store */
	P_SUB_REMOTE,	/* SUBSCRIBE TO ... FOR (Remote): 280 title */
	P_UNSUB_REMOTE,	/* UNSUBSCRIBE ... FOR (Remote): 283 */
	P_CREATE,	/* PUBLISH CREATE: 290 */
	P_PUBLISH,	/* PUBLISH TO: collect subscribers, then 270 */
	P_EXPAND,	/* PUSH TO <our domain>: collect ours, then 270 */
	P_LIST,		/* PUBLISH LIST: 291 lines, 293 */
	P_DELETE,	/* PUBLISH DELETE: 294 */
	P_NOTICE,	/* an unsubscribe notice on its way (lookup's) */
	P_FORGET,	/* no session waits (index, notices) */
};

/* The other domains of a fan-out, each once (fanout_rcpt). */
struct fanout_dom {
	RB_ENTRY(fanout_dom)	 entry;
	char			 name[IPC_DOMAIN_MAX];	/* lower case */
};
RB_HEAD(fanout_doms, fanout_dom);

static int	 fanout_dom_cmp(struct fanout_dom *, struct fanout_dom *);
RB_PROTOTYPE(fanout_doms, fanout_dom, entry, fanout_dom_cmp);
RB_GENERATE(fanout_doms, fanout_dom, entry, fanout_dom_cmp);

static int
fanout_dom_cmp(struct fanout_dom *a, struct fanout_dom *b)
{
	return (strcmp(a->name, b->name));
}

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	uint64_t		 reqid;
	enum pending_kind	 kind;
	char			 node[PUB_TEXT_MAX];
	char			 domain[IPC_DOMAIN_MAX];	/* P_EXPAND */
	char			 account[IPC_ACCOUNT_MAX];	/* P_NOTICE */
	char			 title[IPC_PUBSUB_TITLE_MAX];	/* P_SUB_INDEX */
	struct fanout_doms	 doms;		/* P_PUBLISH */
	struct message		*m;		/* P_PUBLISH, P_EXPAND */
	size_t			 size;		/* of m->rcpts */
	size_t			 nlist;		/* P_LIST lines */
};

static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);

static struct pending *
pending_new(struct session *s, enum pending_kind kind, const char *node)
{
	static uint64_t	 seq;
	struct pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	/* Without a session: ids no session's can be (top bit set). */
	p->reqid = s != NULL ? session_reqid(s) : (1ULL << 63) | ++seq;
	p->kind = kind;
	(void)strlcpy(p->node, node, sizeof(p->node));
	RB_INIT(&p->doms);
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
	struct fanout_dom	*d, *next;

	RB_FOREACH_SAFE(d, fanout_doms, &p->doms, next) {
		RB_REMOVE(fanout_doms, &p->doms, d);
		free(d);
	}
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

/*
 * A request nobody waits for (index removals, notices, forgetting a
 * domain's subscribers): its answer is only matched and dropped.
 */
static void
pubsub_post(int op, const char *node, const char *account)
{
	struct pending	*p;

	if ((p = pending_new(NULL, P_FORGET, node)) == NULL) {
		log_warn("pubsub %s", node);
		return;
	}
	pubsub_send(p->reqid, op, node, account, NULL);
}

void
push_forget(const char *node, const char *domain)
{
	pubsub_post(PUBSUB_FORGET, node, domain);
}

/*
 * A confirmed subscription of s's account: into our index first (a
 * failure there fails the SUBSCRIBE: 740), then its own store (280).
 * An index entry without the subscription only brings a push that the
 * account's worker holds; so the index is added to first and, at
 * UNSUBSCRIBE, removed from last.
 */
static void
sub_index(struct session *s, const char *node, const char *title)
{
	struct pending	*p;

	if ((p = pending_new(s, P_SUB_INDEX, node)) == NULL) {
		log_warn("subscribe");
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	(void)strlcpy(p->title, title, sizeof(p->title));
	pubsub_send(p->reqid, PUBSUB_LOCAL_ADD, node, s->account, NULL);
	session_wait(s, WAIT_PUBSUB, p->reqid);
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

/*
 * "<node> FOR <imid>" between domains: a node of ours (canonical text
 * into text, PUB_TEXT_MAX) and an account of the session's domain (into
 * acct, IPC_ACCOUNT_MAX); 0, or -1 after a reply.
 */
static int
remote_args(struct session *s, const char *nodeword, const char *acctword,
    char *text, char *acct)
{
	struct pubid	 node;

	if (node_arg(s, nodeword, &node, text) == -1 ||
	    remote_account(s, acctword, acct) == -1)
		return (-1);
	if (!conf_is_local(&env->conf, node.domain)) {
		session_reply(s, 485, 0, "No such node.");
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
		if (remote_args(s, c->word[2], c->word[4], text, acct) == -1)
			return;
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
		/* A notice still going out would undo this (pubsub.c). */
		pubsub_post(PUBSUB_NOTICE_CANCEL, text, s->account);
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
		if (remote_args(s, c->word[1], c->word[3], text, acct) == -1)
			return;
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
	const char	*err;
	char		 word[PUB_TEXT_MAX], canon[PUB_TEXT_MAX];
	size_t		 n = strcspn(text, " ");

	if (n >= sizeof(word))
		return;
	memcpy(word, text, n);
	word[n] = '\0';
	if (pubid_parse(word, &node, &err) == -1 ||
	    pubid_format(&node, canon, sizeof(canon)) == -1)
		return;
	pubsub_post(PUBSUB_LOCAL_DEL, canon, s->account);
	/* Another domain's: told until it is done (pubsub.c notices). */
	pubsub_post(conf_is_local(&env->conf, node.domain) ? PUBSUB_SUB_DEL :
	    PUBSUB_NOTICE, canon, s->account);
}

/* IMSG_PUBSUB_NOTICE_SEND: "UNSUBSCRIBE <node> FOR <account>". */
static void
notice_send(const struct ipc_pubsub_req *q)
{
	struct pending	*p;
	struct pubid	 node;
	const char	*err;
	char		 canon[PUB_TEXT_MAX];
	char		 line[PUB_TEXT_MAX + IPC_ACCOUNT_MAX + 32];

	if (!ipc_check_str(q->node, sizeof(q->node)) ||
	    !ipc_check_str(q->account, sizeof(q->account)) ||
	    q->op != PUBSUB_NOTICE ||
	    pubid_parse(q->node, &node, &err) == -1 ||
	    pubid_format(&node, canon, sizeof(canon)) == -1 ||
	    strcmp(canon, q->node) != 0 || strchr(q->account, '@') == NULL ||
	    strpbrk(q->account, " \r\n") != NULL)
		fatalx("lookup: malformed PUBSUB_NOTICE_SEND");
	if ((p = pending_new(NULL, P_NOTICE, canon)) == NULL) {
		log_warn("unsubscribe notice %s", canon);
		return;		/* lookup sends it again */
	}
	(void)strlcpy(p->account, q->account, sizeof(p->account));
	(void)snprintf(line, sizeof(line), "UNSUBSCRIBE %s FOR %s", canon,
	    q->account);
	outbound_line(node.domain, account_domain(q->account), line,
	    p->reqid);
}

/* The reply to a notice, back to lookup (PUBSUB_NOTICE_DONE). */
static void
notice_done(struct pending *p, int code, const char *text)
{
	struct pending		*d;
	struct ipc_pubsub_req	 q;

	memset(&q, 0, sizeof(q));
	/* 481, 485: the publisher has no such subscription either. */
	if (code == 283 || code == 481 || code == 485)
		q.status = IPC_OK;
	else if (code >= 400 && code < 500)
		q.status = IPC_FAIL;
	else
		q.status = IPC_TEMPFAIL;
	log_info("unsubscribe notice node=%s account=%s: %d %s", p->node,
	    p->account, code, text);
	if ((d = pending_new(NULL, P_FORGET, p->node)) == NULL) {
		log_warn("unsubscribe notice %s", p->node);
		return;		/* sent again at the retry time */
	}
	q.reqid = d->reqid;
	q.op = PUBSUB_NOTICE_DONE;
	(void)strlcpy(q.node, p->node, sizeof(q.node));
	(void)strlcpy(q.account, p->account, sizeof(q.account));
	net_compose(env->lookup, IMSG_PUBSUB_REQ, &q, sizeof(q));
}

/*
 * PUBLISH
 */

/*
 * A node of the session's account: its canonical text (PUB_TEXT_MAX)
 * and owner (IPC_ACCOUNT_MAX); 0, or -1 after a reply.
 */
static int
own_node(struct session *s, const char *word, char *text, char *owner)
{
	struct pubid	 node;

	if (node_arg(s, word, &node, text) == -1)
		return (-1);
	if (pubid_owner(&node, owner, IPC_ACCOUNT_MAX) == -1 ||
	    strcasecmp(owner, s->account) != 0) {
		session_reply(s, 483, 0, "Not the owner of that node.");
		return (-1);
	}
	return (0);
}

/* PUBLISH LIST, PUBLISH DELETE <node>. */
static void
publish_admin(struct session *s, const struct cmd *c)
{
	struct pending	*p;
	char		 text[PUB_TEXT_MAX], owner[IPC_ACCOUNT_MAX];

	if (cmd_kw(c, 1, "LIST")) {
		if (c->nwords != 2 || c->nswitch != 0) {
			session_reply(s, 400, 0, "Syntax: PUBLISH LIST.");
			return;
		}
		if ((p = pending_new(s, P_LIST, "")) == NULL)
			goto oom;
		pubsub_send(p->reqid, PUBSUB_LIST, "", s->account, NULL);
		session_wait(s, WAIT_PUBSUB, p->reqid);
		return;
	}
	if (c->nwords != 3 || c->nswitch != 0 || c->quoted[2]) {
		session_reply(s, 400, 0, "Syntax: PUBLISH DELETE <node>.");
		return;
	}
	if (own_node(s, c->word[2], text, owner) == -1)
		return;
	if ((p = pending_new(s, P_DELETE, text)) == NULL)
		goto oom;
	pubsub_send(p->reqid, PUBSUB_DELETE, text, s->account, NULL);
	session_wait(s, WAIT_PUBSUB, p->reqid);
	return;
 oom:
	log_warn("publish");
	session_reply(s, 700, 0, "Internal error, try again later.");
}

void
publish_cmd(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = { "IMPORTANT", NULL };
	struct pending	*p;
	const char	*err;
	char		 text[PUB_TEXT_MAX], owner[IPC_ACCOUNT_MAX];
	int		 create;

	if (s->state != STATE_LOCAL) {
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	if (c->nwords >= 2 && !c->quoted[1] && (cmd_kw(c, 1, "LIST") ||
	    cmd_kw(c, 1, "DELETE"))) {
		publish_admin(s, c);
		return;
	}
	create = c->nwords >= 2 && !c->quoted[1] && cmd_kw(c, 1, "CREATE");
	if ((create && (c->nwords != 4 || c->nswitch != 0)) ||
	    (!create && (c->nwords != 3 || c->quoted[1] ||
	    !cmd_kw(c, 1, "TO") || cmd_check_switches(c, sw, &err) == -1))) {
		session_reply(s, 400, 0, "Syntax: PUBLISH CREATE <node> "
		    "<title> | PUBLISH TO <node> [+IMPORTANT|-IMPORTANT] | "
		    "PUBLISH LIST | PUBLISH DELETE <node>.");
		return;
	}
	if (own_node(s, c->word[2], text, owner) == -1)
		return;
	if (create && (strlen(c->word[3]) == 0 ||
	    strlen(c->word[3]) >= IPC_PUBSUB_TITLE_MAX)) {
		session_reply(s, 421, 0, "Bad title.");
		return;
	}
	if ((p = pending_new(s, create ? P_CREATE : P_PUBLISH, text)) ==
	    NULL)
		goto oom;
	if (!create) {
		if ((p->m = calloc(1, sizeof(*p->m))) == NULL) {
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

void
push_expand(struct session *s, struct message *m, const char *node,
    const char *domain)
{
	struct pending	*p;
	size_t		 i;

	if ((p = pending_new(s, P_EXPAND, node)) == NULL) {
		log_warn("push");
		free(m->rcpts);
		free(m);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	p->m = m;
	p->size = m->nrcpt;
	for (i = 0; domain[i] != '\0' && i + 1 < sizeof(p->domain); i++)
		p->domain[i] = tolower((unsigned char)domain[i]);
	p->domain[i] = '\0';
	pubsub_send(p->reqid, PUBSUB_LOCAL_GET, node, p->domain, NULL);
	session_wait(s, WAIT_PUBSUB, p->reqid);
}

/*
 * One recipient of a fan-out (PUBLISH TO, PUSH TO <domain>): an account
 * of ours by name, another domain's subscribers as one domain push
 * ("@domain", ipc_push.h), once.  -1 if out of memory.
 */
static int
fanout_rcpt(struct pending *p, const char *account)
{
	struct message		*m = p->m;
	struct rcpt		*r, *nr;
	struct fanout_dom	*d;
	struct imid		 id;
	struct pubid	 node;
	const char	*err;
	char		 acct[IPC_ACCOUNT_MAX];
	size_t		 i, size;
	int		 remote;

	if (imid_parse(account, &id, &err) == -1 ||
	    pubid_parse(p->node, &node, &err) == -1) {
		log_warnx("publish %s: bad subscriber %s in the store",
		    p->node, account);
		return (0);
	}
	remote = !conf_is_local(&env->conf, id.domain);
	if (p->kind == P_EXPAND && remote) {
		log_warnx("push %s: index names %s, not ours", p->node,
		    account);
		return (0);
	}
	if (remote) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return (-1);
		for (i = 0; id.domain[i] != '\0' && i + 1 < sizeof(d->name);
		    i++)
			d->name[i] = tolower((unsigned char)id.domain[i]);
		if (RB_INSERT(fanout_doms, &p->doms, d) != NULL) {
			free(d);	/* that domain has its push */
			return (0);
		}
		/* Fits: the domain came out of an account of this size. */
		acct[0] = '@';
		(void)strlcpy(acct + 1, d->name, sizeof(acct) - 1);
	} else
		(void)strlcpy(acct, account, sizeof(acct));
	if (m->nrcpt == p->size) {
		size = p->size == 0 ? 64 : p->size * 2;
		if ((nr = reallocarray(m->rcpts, size, sizeof(*nr))) == NULL)
			return (-1);
		m->rcpts = nr;
		p->size = size;
	}
	r = &m->rcpts[m->nrcpt++];
	memset(r, 0, sizeof(*r));
	(void)strlcpy(r->account, acct, sizeof(r->account));
	(void)strlcpy(r->imid, remote ? id.domain : account, sizeof(r->imid));
	(void)strlcpy(r->folder, node.name, sizeof(r->folder));
	r->remote = remote;
	return (0);
}

/* A fan-out's recipients are known: 270 and on as PUSH (message.c). */
static void
fanout_open(struct session *s, struct pending *p)
{
	struct message	*m = p->m;

	/* Another domain's push that finds nobody here: 489 (push.h). */
	if (p->kind == P_EXPAND && s->state == STATE_REMOTE)
		(void)snprintf(m->fanout_none, sizeof(m->fanout_none),
		    "No subscriber of %s at %s.", p->node, p->domain);
	if (m->nrcpt == 0) {
		if (m->fanout_none[0] != '\0') {
			log_info("push id=%016" PRIx64 ": %s", s->id,
			    m->fanout_none);
			session_reply(s, 489, 0, "%s", m->fanout_none);
		} else
			session_reply(s, 292, 0, "No subscribers.");
		return;
	}
	log_info("%s id=%016" PRIx64 " node=%s%s%s recipients=%zu",
	    p->kind == P_PUBLISH ? "publish" : "push", s->id, p->node,
	    p->kind == P_EXPAND ? " domain=" : "", p->domain, m->nrcpt);
	p->m = NULL;
	m->fanout = 1;	/* refused subscribers are left out */
	/* A relayed push also brings its trace part (push.c). */
	msg_open(s, m, PUSH_MAX_SIZE + (s->state == STATE_REMOTE ?
	    MSG_META_MAX : 0));	/* message.c: 270 */
}

/* PUBLISH LIST: one node of the account, as a 291 line. */
static void
list_line(struct pending *p, const struct ipc_pubsub_res *res)
{
	struct session	*s;

	if (!ipc_check_str(res->node, sizeof(res->node)) ||
	    res->node[0] == '\0' || strchr(res->node, ' ') != NULL)
		fatalx("lookup: malformed PUBSUB node");
	s = session_byreq(p->reqid);
	if (s == NULL || s->wait != WAIT_PUBSUB || s->reqid != p->reqid)
		return;
	p->nlist++;
	session_reply(s, 291, 1, "%s %u %s", res->node, res->count,
	    res->title);
}

/* The final answer for p's session s. */
static void
pending_result(struct session *s, struct pending *p,
    const struct ipc_pubsub_res *res)
{
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
		sub_index(s, p->node, res->title);
		return;
	case P_SUB_INDEX:
		push_user_request(s, PUSH_OP_SUB_ADD, NULL, p->node,
		    p->title);
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
		/* FALLTHROUGH */
	case P_EXPAND:
		if (p->nlist != 0) {	/* out of memory */
			session_reply(s, 700, 0, "Internal error, try again "
			    "later.");
			return;
		}
		fanout_open(s, p);
		return;
	case P_LIST:
		session_reply(s, 293, 0, "%zu nodes.", p->nlist);
		return;
	case P_DELETE:
		if (res->result != IPC_OK)
			session_reply(s, 485, 0, "No such node.");
		else {
			log_info("publish id=%016" PRIx64 " node=%s deleted, "
			    "subscribers=%u", s->id, p->node, res->count);
			session_reply(s, 294, 0, "%s deleted.", p->node);
		}
		return;
	case P_NOTICE:
	case P_FORGET:
		return;
	}
}

int
push_lookup_imsg(struct imsg *imsg)
{
	struct ipc_pubsub_res	 res;
	struct ipc_pubsub_req	 q;
	struct pending		*p;
	struct session		*s;

	if (imsg->hdr.type == IMSG_PUBSUB_NOTICE_SEND) {
		memcpy(&q, ipc_payload(imsg, sizeof(q)), sizeof(q));
		notice_send(&q);
		return (1);
	}
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
		if ((p->kind == P_PUBLISH || p->kind == P_EXPAND) &&
		    p->nlist == 0 && fanout_rcpt(p, res.account) == -1) {
			log_warn("publish %s", p->node);
			p->nlist = 1;	/* failed, answered at the end */
		} else if (p->kind == P_LIST)
			list_line(p, &res);
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
	if (p->kind == P_NOTICE) {
		notice_done(p, code, text);
		pending_free(p);
		return;
	}
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
		sub_index(s, p->node, title);
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
