/*
 * Publish/subscribe in immp-lookup (draft 3.4, 3.4.1; immp(7) PUBLISH,
 * SUBSCRIBE): the nodes of our accounts and their subscribers, and the
 * index of our own accounts' subscriptions by node (for PUSH TO
 * <domain>), in the Berkeley DB (btree) <queue dir>/pubsub.db, opened
 * read-write before the sandbox.  Nodes and accounts hold no space.
 *
 *   "n <node>"               -> "<owner>\n<title>"
 *   "s <node> <subscriber>"  -> "1"	(a subscriber of our node)
 *   "l <node> <account>"     -> "1"	(our account subscribes to node)
 *   "u <node> <account>"     -> "<first> <next> <tries>"
 *				(an unsubscribe notice to send, ipc_push.h)
 */
#ifndef IMMP_LOOKUP_PUBSUB_H
#define IMMP_LOOKUP_PUBSUB_H

struct immpd_conf;
struct imsgev;
struct imsg;

/*
 * pubsub_init: opens (creating) the store; network is the channel the
 * answers go to.  A failure is logged and leaves the store unavailable
 * (every request answered IPC_TEMPFAIL).
 */
void	 pubsub_init(struct immpd_conf *conf, struct imsgev *network);

/*
 * pubsub_dispatch: handles imsg if it is IMSG_PUBSUB_REQ (ipc_push.h)
 * and returns 1, else returns 0.  A malformed request is fatal (the
 * network process is trusted, DESIGN §3).
 */
int	 pubsub_dispatch(struct imsg *imsg);

/*
 * pubsub_tick: sends the unsubscribe notices whose retry time has come
 * (called every few seconds; retry and expire from the configuration).
 */
void	 pubsub_tick(void);

/* pubsub_shutdown: closes the store. */
void	 pubsub_shutdown(void);

#endif
