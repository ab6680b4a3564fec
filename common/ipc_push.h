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
 * network <-> lookup: the publisher side (immp-lookup/pubsub.c keeps the
 * nodes and their subscribers in <queue dir>/pubsub.db).
 */
enum imsg_push_type {
	IMSG_PUBSUB_REQ = 1000,		/* struct ipc_pubsub_req */
	IMSG_PUBSUB_SUBSCRIBER,		/* struct ipc_pubsub_res, per entry */
	IMSG_PUBSUB_RESULT,		/* struct ipc_pubsub_res, last */
};

enum pubsub_op {
	PUBSUB_CREATE = 1,	/* node, owner, title: a new node */
	PUBSUB_SUB_ADD,		/* node, subscriber: title back */
	PUBSUB_SUB_DEL,		/* node, subscriber */
	PUBSUB_GET,		/* node: SUBSCRIBER lines, then owner/title */
};

#define IPC_PUBSUB_TITLE_MAX	200	/* title incl. NUL */
#define IPC_PUBSUB_NODE_MAX	256	/* "owner/name@domain" incl. NUL */
#define PUBSUB_MAX_SUBS		100	/* subscribers served per PUBLISH */

struct ipc_pubsub_req {
	uint64_t	reqid;
	int32_t		op;				/* enum pubsub_op */
	char		node[IPC_PUBSUB_NODE_MAX];	/* canonical */
	char		account[IPC_ACCOUNT_MAX];	/* owner, subscriber */
	char		title[IPC_PUBSUB_TITLE_MAX];	/* CREATE */
};

/*
 * result: IPC_OK; IPC_FAIL: no such node (or, for CREATE, it exists;
 * for SUB_DEL, not subscribed); IPC_TEMPFAIL: the store failed.
 */
struct ipc_pubsub_res {
	uint64_t	reqid;
	int32_t		result;
	uint32_t	count;				/* GET: subscribers */
	char		account[IPC_ACCOUNT_MAX];	/* owner, subscriber */
	char		title[IPC_PUBSUB_TITLE_MAX];
};

#endif
