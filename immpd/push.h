/*
 * PUSH, SUBSCRIBE and UNSUBSCRIBE in the network process (draft 3.2.3,
 * 3.4, 3.4.1; immp(7) PUSH, SUBSCRIBE; DESIGN §5).
 *
 *   push_parse.c  the argument grammar (no session, no I/O: unit tests
 *                 and the fuzzer use it alone)
 *   push.c        the commands: a push is a message with MSGF_PUSH that
 *                 goes through message.c and the queue; the per-user
 *                 requests go to the owner's worker as mailbox requests
 *                 (ipc_push.h)
 */
#ifndef IMMPD_PUSH_H
#define IMMPD_PUSH_H

#include "cmd.h"
#include "immpuri.h"
#include "ipc.h"

struct message;
struct session;

#define PUSH_MAX_RCPTS	100	/* recipients of one PUSH TO */

/*
 * The arguments of "PUSH TO <imid>... FROM <node> [+|-IMPORTANT]" or
 * "PUSH TO <domain> FROM <node> [+|-IMPORTANT]".
 */
struct push_to {
	const char	*rcpt[PUSH_MAX_RCPTS];	/* words of c, as written */
	int		 nrcpt;
	const char	*domain;	/* PUSH TO <domain> (nrcpt 0) or NULL */
	struct pubid	 node;			/* the publisher */
	int		 important;	/* 1 +IMPORTANT, -1 -IMPORTANT, 0 */
};

/*
 * push_to_parse: checks the words of c ("PUSH" "TO" ...) against the
 * grammar above: 1..PUSH_MAX_RCPTS recipients, each a plain IMID
 * (imid.h: no shared part, folder, mailbox, message or options), or one
 * domain (a word without "@", imid_domain_valid; draft 3.4.1), then
 * FROM and one node (immpuri.h), and no switch but IMPORTANT.  The
 * pointers in *out point into c.  0, or -1 with *err a static reason
 * and *bad the offending word (or NULL).
 */
int	 push_to_parse(const struct cmd *c, struct push_to *out,
	    const char **err, const char **bad);

/*
 * push_target_parse: the argument of UNSUBSCRIBE, PUSH APPROVE and
 * PUSH DROP: a UUID (lower-cased into uuid, IPC_UUID_MAX octets, node
 * zeroed) or, if nodes is set, a node (into *node, uuid "").  0, or -1
 * with *err a static reason.
 */
int	 push_target_parse(const char *word, int nodes, char *uuid,
	    struct pubid *node, const char **err);

struct imsg;

/* PUSH TO / LIST / HELD / APPROVE / DROP (immp(7) PUSH). */
void	 push_cmd(struct session *, const struct cmd *);

/*
 * push_user_request: sends one per-user request (op PUSH_OP_*,
 * ipc_push.h) for the session's account to its worker (WAIT_MBOX); uuid,
 * node and title may be NULL.  The answer is sent like an MBOX answer.
 */
void	 push_user_request(struct session *, int op, const char *uuid,
	    const char *node, const char *title);

/* subscribe.c -- SUBSCRIBE, UNSUBSCRIBE, PUBLISH (draft 3.4, 3.4.1). */

/*
 * subscribe_cmd: "SUBSCRIBE TO <node>" (Local: 380, the publisher's
 * domain is asked, then 280), "SUBSCRIBE LIST" (281 lines, 282), and
 * between domains "SUBSCRIBE TO <node> FOR <imid>" (Remote: 280 title).
 */
void	 subscribe_cmd(struct session *, const struct cmd *);
/*
 * unsubscribe_cmd: "UNSUBSCRIBE <uuid|node>" (Local: 283, then the
 * publisher's domain is told), "UNSUBSCRIBE <node> FOR <imid>" (Remote).
 */
void	 unsubscribe_cmd(struct session *, const struct cmd *);
/*
 * publish_cmd: "PUBLISH CREATE <node> <title>" (290), "PUBLISH TO
 * <node> [+|-IMPORTANT]" (270 ... 273 as PUSH, to every subscriber; 292
 * when there are none).  Local state, own nodes only.
 */
void	 publish_cmd(struct session *, const struct cmd *);
/*
 * push_expand: PUSH TO <domain> for a domain of ours (draft 3.4.1): m
 * (owned from here on, its recipients not yet set) goes to every
 * account of ours at domain that subscribes to node (canonical text,
 * PUB_TEXT_MAX) by our index (immp-lookup/pubsub.c), then on as PUSH
 * TO (message.c: 270); none: 292 in the Local state, 489 in the Remote
 * state (the publisher forgets its subscribers here).
 */
void	 push_expand(struct session *, struct message *m, const char *node,
	    const char *domain);
/*
 * push_forget: the publisher's side of a 489 to a relayed domain push:
 * our node (canonical text) has no subscriber left at domain, which are
 * dropped from its list (not waited for).
 */
void	 push_forget(const char *node, const char *domain);
/*
 * push_lookup_imsg: IMSG_PUBSUB_SUBSCRIBER and IMSG_PUBSUB_RESULT from
 * immp-lookup; 1 if imsg was one of them (handled), else 0.  Malformed:
 * fatal.
 */
int	 push_lookup_imsg(struct imsg *);
/*
 * subscribe_line_done: the final reply (code, text) to a line sent with
 * outbound_line for reqid, or code 0 and a reason if the domain could
 * not be reached.  reqid 0 is ignored.
 */
void	 subscribe_line_done(uint64_t reqid, int code, const char *text);
/*
 * push_unsubscribed: the worker removed the subscription to node (text
 * of its 283 answer starts with the node): our index forgets it, and
 * the publisher's domain is told, without waiting: directly for a node
 * of ours, else by a notice that immp-lookup keeps and has sent again
 * until that domain answers (ipc_push.h PUBSUB_NOTICE).
 */
void	 push_unsubscribed(struct session *, const char *text);

#endif
