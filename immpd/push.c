/*
 * PUSH, SUBSCRIBE and UNSUBSCRIBE (push.h; draft 3.2.3, 3.4, 3.4.1;
 * immp(7) PUSH, SUBSCRIBE).
 *
 *   PUSH TO <imid>... FROM <node> [+IMPORTANT|-IMPORTANT]
 *   PUSH TO <domain> FROM <node> [+IMPORTANT|-IMPORTANT]
 *     Local state: the node's owner is the session's account (a local
 *     account publishes as itself).  Remote state: the node is in the
 *     authenticated domain and every recipient is local.  A domain of
 *     ours is expanded to our subscribers of the node (subscribe.c),
 *     another domain is one recipient "@domain".  Then as DELIVER TO:
 *     270, one DATA block (at most PUSH_MAX_SIZE octets), DONE, 273.
 *     The queue carries it like mail (MSGF_PUSH).
 *   PUSH LIST | PUSH HELD | PUSH APPROVE <uuid> | PUSH DROP <uuid>
 *     Local state; answered by the account's worker (push_store.c).
 */

#include <sys/types.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imid.h"
#include "immpuri.h"
#include "ipc.h"
#include "ipc_mbox.h"
#include "ipc_push.h"
#include "log.h"
#include "mbox.h"
#include "push.h"
#include "session.h"
#include "set.h"

static int
need_local(struct session *s)
{
	if (s->state == STATE_LOCAL)
		return (1);
	session_reply(s, 402, 0, "Authentication required.");
	return (0);
}

void
push_user_request(struct session *s, int op, const char *uuid,
    const char *node, const char *title)
{
	struct ipc_mbox_req	 req;

	memset(&req, 0, sizeof(req));
	req.op = op;
	(void)strlcpy(req.account, s->account, sizeof(req.account));
	(void)strlcpy(req.mailbox, s->account, sizeof(req.mailbox));
	(void)strlcpy(req.selector, "all", sizeof(req.selector));
	if (uuid != NULL)
		(void)strlcpy(req.uuid, uuid, sizeof(req.uuid));
	if (node != NULL)
		(void)strlcpy(req.kw_set, node, sizeof(req.kw_set));
	if (title != NULL)
		(void)strlcpy(req.kw_clear, title, sizeof(req.kw_clear));
	mbox_send(s, &req);
}

/* PUSH TO ... */
static void
push_to(struct session *s, const struct cmd *c)
{
	struct push_to	 a;
	struct message	*m;
	struct imid	 id;
	struct rcpt	*r;
	const char	*err, *bad;
	char		 owner[IPC_ACCOUNT_MAX], text[PUB_TEXT_MAX];
	int		 i, j;

	if (s->state != STATE_LOCAL && s->state != STATE_REMOTE) {
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	if (s->msg != NULL) {
		session_reply(s, 402, 0, "A message is already open.");
		return;
	}
	if (push_to_parse(c, &a, &err, &bad) == -1) {
		if (bad != NULL)
			session_reply(s, 421, 0, "Bad PUSH argument: %s.",
			    err);
		else
			session_reply(s, 400, 0, "Syntax: PUSH TO "
			    "<imid>...|<domain> FROM <node> "
			    "[+IMPORTANT|-IMPORTANT].");
		return;
	}
	if (pubid_owner(&a.node, owner, sizeof(owner)) == -1) {
		session_reply(s, 421, 0, "Bad PUSH argument: node too long.");
		return;
	}
	/* Who may push as this node. */
	if ((s->state == STATE_LOCAL && strcasecmp(owner, s->account) != 0) ||
	    (s->state == STATE_REMOTE &&
	    strcasecmp(a.node.domain, s->remote) != 0)) {
		log_info("push denied id=%016" PRIx64 " addr=%s node=%s/%s@%s",
		    s->id, s->addr, a.node.owner, a.node.name, a.node.domain);
		session_reply(s, 483, 0, "Not the owner of that node.");
		return;
	}
	if (limit_message(s) == -1) {	/* limit.c */
		session_reply(s, 751, 0,
		    "Too many messages, try again later.");
		return;
	}
	if (a.domain != NULL && !conf_is_local(&env->conf, a.domain) &&
	    s->state != STATE_LOCAL) {
		session_reply(s, 422, 0, "%s: relaying denied.", a.domain);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->rcpts = calloc(a.domain != NULL ? 1 : a.nrcpt,
	    sizeof(*m->rcpts))) == NULL) {
		log_warn("push");
		free(m);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	m->flags = MSGF_PUSH;
	if (a.important == 1)
		m->flags |= MSGF_IMPORTANT;
	else if (a.important == -1)
		m->flags |= MSGF_UNIMPORTANT;
	(void)strlcpy(m->sender, owner, sizeof(m->sender));
	if (a.domain != NULL && conf_is_local(&env->conf, a.domain)) {
		/* Our subscribers of the node (subscribe.c). */
		if (pubid_format(&a.node, text, sizeof(text)) == -1) {
			session_reply(s, 421, 0, "Bad PUSH argument: node "
			    "too long.");
			goto fail;
		}
		free(m->rcpts);
		m->rcpts = NULL;
		push_expand(s, m, text, a.domain);
		return;
	}
	if (a.domain != NULL) {
		/* Another domain's subscribers: one recipient (ipc_push.h). */
		r = &m->rcpts[m->nrcpt++];
		(void)snprintf(r->account, sizeof(r->account), "@%s",
		    a.domain);
		for (j = 0; r->account[j] != '\0'; j++)
			r->account[j] = tolower((unsigned char)r->account[j]);
		(void)strlcpy(r->imid, r->account + 1, sizeof(r->imid));
		(void)strlcpy(r->folder, a.node.name, sizeof(r->folder));
		r->remote = 1;
	}
	for (i = 0; i < a.nrcpt; i++) {
		if (imid_parse(a.rcpt[i], &id, &err) == -1)
			fatalx("%s: recipient checked twice", __func__);
		if (!conf_is_local(&env->conf, id.domain) &&
		    s->state != STATE_LOCAL) {
			session_reply(s, 422, 0, "%s: relaying denied.",
			    a.rcpt[i]);
			goto fail;
		}
		r = &m->rcpts[m->nrcpt];
		memset(r, 0, sizeof(*r));
		r->remote = !conf_is_local(&env->conf, id.domain);
		if (imid_account(&id, r->account, sizeof(r->account)) == -1) {
			session_reply(s, 421, 0, "Bad PUSH argument: too "
			    "long.");
			goto fail;
		}
		/* The node's name travels as the folder (ipc_push.h). */
		(void)strlcpy(r->folder, a.node.name, sizeof(r->folder));
		(void)strlcpy(r->imid, a.rcpt[i], sizeof(r->imid));
		for (j = 0; j < (int)m->nrcpt; j++)
			if (strcasecmp(m->rcpts[j].account, r->account) == 0)
				break;
		if (j == (int)m->nrcpt)
			m->nrcpt++;
	}
	/*
	 * A relayed push also brings its trace part, which counts against
	 * the limit; the owner's worker refuses a data block over
	 * PUSH_MAX_SIZE (push_store.c).
	 */
	msg_open(s, m, PUSH_MAX_SIZE + (s->state == STATE_REMOTE ?
	    MSG_META_MAX : 0));	/* message.c: 270 */
	return;
 fail:
	free(m->rcpts);
	free(m);
}

void
push_cmd(struct session *s, const struct cmd *c)
{
	struct pubid	 node;
	const char	*err;
	char		 uuid[IPC_UUID_MAX];

	if (c->nwords >= 2 && !c->quoted[1] && cmd_kw(c, 1, "TO")) {
		push_to(s, c);
		return;
	}
	if (!need_local(s))
		return;
	if (c->nwords == 2 && c->nswitch == 0 && !c->quoted[1] &&
	    (cmd_kw(c, 1, "LIST") || cmd_kw(c, 1, "HELD"))) {
		push_user_request(s, cmd_kw(c, 1, "LIST") ? PUSH_OP_LIST :
		    PUSH_OP_HELD, NULL, NULL, NULL);
		return;
	}
	if (c->nwords == 3 && c->nswitch == 0 && !c->quoted[1] &&
	    (cmd_kw(c, 1, "APPROVE") || cmd_kw(c, 1, "DROP"))) {
		if (push_target_parse(c->word[2], 0, uuid, &node, &err) ==
		    -1) {
			session_reply(s, 400, 0, "Bad argument: %s.", err);
			return;
		}
		push_user_request(s, cmd_kw(c, 1, "APPROVE") ? PUSH_OP_APPROVE :
		    PUSH_OP_DROP, uuid, NULL, NULL);
		return;
	}
	session_reply(s, 400, 0, "Syntax: PUSH TO <imid>...|<domain> FROM "
	    "<node> [+IMPORTANT|-IMPORTANT] | PUSH LIST | PUSH HELD | "
	    "PUSH APPROVE <uuid> | PUSH DROP <uuid>.");
}
