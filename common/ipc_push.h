/*
 * Push notifications and subscriptions between the processes (draft
 * 3.2.3, 3.4; immp(7) PUSH, SUBSCRIBE; DESIGN §5).
 *
 * A push is a message of the queue with MSGF_PUSH set: it is spooled,
 * committed, retried and relayed like mail.  For a push the sender is
 * the account owning the publisher node ("owner@domain") and every
 * recipient's folder field carries the node's name, so that the
 * publisher is "owner/name@domain" (immpuri.h) at every hop.  The owner's
 * worker in immp-deliver files it into the recipient's notification
 * store (push_store.c) instead of a folder.
 *
 * The per-user requests (list, held, approve, drop, subscriptions)
 * travel as IMSG_MBOX_REQUEST / IMSG_MBOX_RESULT (ipc_mbox.h) with the
 * op values below; the answer lines come back like MBOX answers.
 * Request fields used: uuid (push or subscription id), kw_set (the
 * canonical publisher node), kw_clear (a subscription's title).
 *
 * Live pushes reach the network process as IMSG_MBOX_EVENT with kind
 * MBOX_EV_NEW, folder "" and code PUSH_CODE_EVENT (or
 * PUSH_CODE_IMPORTANT for +IMPORTANT).
 */
#ifndef IMMP_IPC_PUSH_H
#define IMMP_IPC_PUSH_H

#include "ipc.h"

#define MSGF_PUSH	0x20	/* PUSH TO: a notification, not mail */

#define PUSH_MAX_SIZE	4096	/* octets of a push's one DATA block */

#define PUSH_CODE_EVENT		160	/* live push line */
#define PUSH_CODE_IMPORTANT	161	/* live push line, +IMPORTANT */

/* ipc_mbox_req.op values for the notification store (range 1000..). */
enum push_op {
	PUSH_OP_LIST = 1000,	/* stored pushes: 262 lines, 263 */
	PUSH_OP_HELD,		/* held pushes: 264 lines, 265 */
	PUSH_OP_APPROVE,	/* held uuid: approve its publisher, file it */
	PUSH_OP_DROP,		/* held uuid: delete */
	PUSH_OP_SUB_ADD,	/* kw_set node, kw_clear title: new uuid */
	PUSH_OP_SUB_LIST,	/* 281 lines, 282 */
	PUSH_OP_SUB_DEL,	/* uuid or kw_set node */
};
#define PUSH_OP_FIRST	PUSH_OP_LIST
#define PUSH_OP_LAST	PUSH_OP_SUB_DEL

/*
 * network <-> lookup: nodes and subscriptions (immp-lookup/pubsub.c,
 * <queue dir>/pubsub.db).  The publisher side keeps its nodes and their
 * subscribers; the subscriber side keeps an index of its own accounts'
 * confirmed subscriptions, by node, for PUSH TO <domain> (draft 3.4.1).
 */
enum imsg_push_type {
	IMSG_PUBSUB_REQ = 1000,		/* struct ipc_pubsub_req */
	IMSG_PUBSUB_SUBSCRIBER,		/* struct ipc_pubsub_res, per entry */
	IMSG_PUBSUB_RESULT,		/* struct ipc_pubsub_res, last */
	IMSG_PUBSUB_NOTICE_SEND,	/* lookup -> network: ipc_pubsub_req */
};

/*
 * For every op the answer is zero or more IMSG_PUBSUB_SUBSCRIBER, then
 * one IMSG_PUBSUB_RESULT with the same reqid.  Every op but the LOCAL_*
 * ones needs a node of ours.
 */
enum pubsub_op {
	PUBSUB_CREATE = 1,	/* node, owner, title: a new node */
	PUBSUB_SUB_ADD,		/* node, subscriber: title back */
	PUBSUB_SUB_DEL,		/* node, subscriber */
	PUBSUB_GET,		/* node: SUBSCRIBER per subscriber (account),
				   then owner, title, count */
	PUBSUB_LOCAL_ADD,	/* node (any domain), our account */
	PUBSUB_LOCAL_DEL,	/* node, our account; FAIL if absent */
	PUBSUB_LOCAL_GET,	/* node: SUBSCRIBER per account of ours */
	PUBSUB_FORGET,		/* node, account = a domain: drop its
				   subscribers there; count dropped */
	PUBSUB_LIST,		/* account = owner: SUBSCRIBER per node
				   (node, title, count of subscribers) */
	PUBSUB_DELETE,		/* node: the node and its subscribers */
	PUBSUB_NOTICE,		/* node (another domain's), our account:
				   tell the publisher's domain, until done */
	PUBSUB_NOTICE_DONE,	/* node, account, status: how it went */
	PUBSUB_NOTICE_CANCEL,	/* node, account: subscribing again */
};
#define PUBSUB_OP_LAST	PUBSUB_NOTICE_CANCEL

/*
 * Unsubscribe notices: UNSUBSCRIBE of a node of another domain stores a
 * notice (PUBSUB_NOTICE); lookup sends IMSG_PUBSUB_NOTICE_SEND (op
 * PUBSUB_NOTICE, reqid 0) now and at each retry; the network process
 * sends "UNSUBSCRIBE <node> FOR <account>" to the node's domain and
 * reports with PUBSUB_NOTICE_DONE, status IPC_OK (done), IPC_FAIL
 * (refused for good) or IPC_TEMPFAIL (retried with the relay's back-off
 * until expire).  Subscribing to the node again cancels the notice
 * (PUBSUB_NOTICE_CANCEL, sent before the SUBSCRIBE itself).
 */

#define IPC_PUBSUB_TITLE_MAX	200	/* title incl. NUL */
#define IPC_PUBSUB_NODE_MAX	256	/* "owner/name@domain" incl. NUL */

struct ipc_pubsub_req {
	uint64_t	reqid;
	int32_t		op;				/* enum pubsub_op */
	char		node[IPC_PUBSUB_NODE_MAX];	/* canonical; LIST "" */
	char		account[IPC_ACCOUNT_MAX];	/* owner, subscriber */
	char		title[IPC_PUBSUB_TITLE_MAX];	/* CREATE */
	int32_t		status;				/* NOTICE_DONE */
};

/*
 * result: IPC_OK; IPC_FAIL: no such node (or, for CREATE, it exists;
 * for SUB_DEL and LOCAL_DEL, not subscribed); IPC_TEMPFAIL: the store
 * failed.
 */
struct ipc_pubsub_res {
	uint64_t	reqid;
	int32_t		result;
	uint32_t	count;				/* subscribers */
	char		node[IPC_PUBSUB_NODE_MAX];	/* LIST entries */
	char		account[IPC_ACCOUNT_MAX];	/* owner, subscriber */
	char		title[IPC_PUBSUB_TITLE_MAX];
};

#endif
