/*
 * The network process of immpd (DESIGN §3, §5): listeners, IMMP
 * sessions, AUTH SECRET and message reception.  Everything here runs
 * inside the sandboxed network process; it never sees a password, a
 * verifier or a mailbox.
 *
 *   network.c   process start-up, TLS contexts, imsg dispatch, accept
 *   session.c   per-connection I/O (plain and TLS), line reader, the
 *               command dispatcher and the commands without state
 *   auth.c      AUTH SECRET / AUTH RESPONSE (talks to immp-lookup)
 *   message.c   DELIVER TO / DATA / DONE (talks to immp-lookup and
 *               immp-queue, writes the spool file)
 *   key_cmd.c   KEY REQUEST (talks to immp-lookup)
 */
#ifndef IMMPD_SESSION_H
#define IMMPD_SESSION_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>

#include "cmd.h"
#include "conf.h"
#include "ipc.h"
#include "spool.h"

struct event;
struct event_base;
struct evbuffer;
struct imsgev;
struct mbox_state;
struct zlit;
struct sockaddr;
struct tls;

#define SESSION_IDLE_TIMEOUT	300	/* seconds without input: 730 */
#define SESSION_FLUSH_TIMEOUT	10	/* seconds to flush before close */
#define SESSION_OUT_HIWAT	(64 * 1024)	/* stop reading above this */
#define SESSION_NONCE_LEN	24	/* random octets of the 101 i= */
#define SESSION_NONCE_B64	33	/* its base64 text incl. NUL */
#define CBIND_LEN		32	/* SHA-256 of the certificate DER */

#define MSG_MAX_RCPTS		100	/* recipients per DELIVER */
#define MSG_COPY_MAX		(64 * 1024)	/* spool of a fan-out */
#define MSG_NONE_MAX		(2 * IPC_DOMAIN_MAX + 64)
#define MSG_META_MAX		8192	/* text/rfc822-headers part */
#define MSG_META_TYPE		"text/rfc822-headers"
#define MSG_IMID_MAX		512	/* IMID text kept for 420 replies */

/* One "listen on" line with its socket and TLS server context. */
struct listener {
	struct conf_listen	*conf;
	int			 fd;
	struct tls		*tls;
	uint8_t			 cbind[CBIND_LEN];
	struct event		*ev;
};

/* Process-wide state of the network process (network.c). */
struct netenv {
	struct immpd_conf	 conf;
	struct event_base	*base;
	struct imsgev		*parent;
	struct imsgev		*queue;
	struct imsgev		*lookup;
	struct imsgev		*deliver;	/* mailbox access (mbox.c) */
	struct listener		*listeners;
	size_t			 nlisteners;
	uint32_t		 nsessions;
	struct event		*accept_pause;
};
extern struct netenv	*env;

/* Protocol state (immp(7) STATES). */
enum session_state {
	STATE_UNENCRYPTED,	/* before UPGRADE */
	STATE_UNAUTH,		/* TLS, no AUTH yet */
	STATE_LOCAL,		/* AUTH SECRET accepted */
	STATE_REMOTE,		/* AUTH COOKIE accepted (relay) */
};

/* Transport state. */
enum session_io {
	IO_PLAIN,
	IO_HANDSHAKE,		/* TLS handshake in progress */
	IO_TLS,
};

/* What the octets after the current command line are. */
enum session_input {
	IN_COMMAND,		/* command lines */
	IN_LITERAL,		/* DATA ... LENGTH n: n raw octets */
	IN_B64LINES,		/* DATA ... +BASE64: lines until two empty */
};

/* The request a session waits for; input is not read meanwhile. */
enum session_wait {
	WAIT_NONE,
	WAIT_AUTH_CHALLENGE,	/* IMSG_LKA_AUTH_CHALLENGE */
	WAIT_AUTH_RESULT,	/* IMSG_LKA_AUTH_RESULT */
	WAIT_RCPT,		/* IMSG_LKA_RCPT_RESULT */
	WAIT_CREATE,		/* IMSG_QUEUE_MSG_CREATED */
	WAIT_COMMIT,		/* IMSG_QUEUE_MSG_COMMITTED */
	WAIT_KEY,		/* IMSG_LKA_KEY_RESULT */
	WAIT_COOKIE,		/* AUTH COOKIE call-back (outbound.c) */
	WAIT_VERIFY,		/* IMSG_RELAY_COOKIE_RESULT */
	WAIT_MBOX,		/* IMSG_MBOX_RESULT */
	WAIT_SET,		/* IMSG_SET_RESULT (set.c) */
	WAIT_BLOCK,		/* IMSG_BLOCK_MSG_RESULT (set.c) */
	WAIT_PUBSUB,		/* IMSG_PUBSUB_RESULT, outbound_line (push.h) */
	WAIT_ENV,		/* IMSG_ENV_PIN, _CHECKED (envelope_in.c) */
};

/* The DATA block being received (also when it is only discarded). */
struct part {
	int		 active;
	int		 discard;	/* refused: swallow data, no reply */
	int		 base64;	/* +BASE64 */
	int		 meta;		/* text/rfc822-headers, in memory */
	int		 trace;		/* relay trace (trace.h), in memory */
	int		 content;	/* +CONTENT */
	int		 bad64;		/* invalid base64 seen */
	int		 failed;	/* spool write error */
	int		 padded;	/* a group with '=' was decoded */
	struct zlit	*zin;		/* COMPRESSION=GZIP inflater (set.h) */
	int		 badz;		/* invalid gzip data */
	char		 id[CMD_MAXID + 1];	/* pipeline id of the DATA */
	char		 name[SPOOL_NAME_MAX];
	char		 type[SPOOL_TYPE_MAX];
	uint64_t	 len;		/* decoded octets so far */
	char		 b64[4];	/* incomplete base64 group */
	size_t		 nb64;
	uint8_t		*metabuf;	/* MSG_META_MAX octets if meta */
	size_t		 metalen;
	int		 metaover;	/* more than MSG_META_MAX octets */
	struct spool_writer saved;	/* writer before the part began */
};

struct envin;

struct rcpt {
	char		 imid[MSG_IMID_MAX];	/* as the client wrote it */
	char		 account[IPC_ACCOUNT_MAX];
	char		 folder[IPC_FOLDER_MAX];
	int		 remote;	/* not a local domain: relay */
};

enum msg_state {
	MSG_RCPT,		/* checking recipients with lookup */
	MSG_CREATE,		/* waiting for the spool descriptor */
	MSG_OPEN,		/* 270 given, DATA accepted */
	MSG_COMMIT,		/* DONE sent to the queue */
};

/* A message between DELIVER TO and the answer to DONE. */
struct message {
	enum msg_state	 state;
	uint32_t	 flags;		/* MSGF_* */
	struct rcpt	*rcpts;
	size_t		 nrcpt;
	size_t		 rcur;		/* recipient being checked */
	char		 uuid[IPC_UUID_MAX];
	int		 fd;		/* spool file, -1 before CREATED */
	struct spool_writer sw;
	uint64_t	 size;		/* decoded octets of all parts */
	uint64_t	 max_size;	/* max-message-size at DELIVER TO */
	int		 nparts;
	int		 has_meta;	/* a metadata part was saved */
	int		 fanout;	/* PUBLISH: skip refused rcpts */
	char		 fanout_none[MSG_NONE_MAX];	/* 489 text, or "" */
	/*
	 * More than MSG_MAX_RCPTS recipients (a fan-out) are queued as
	 * copies of at most MSG_MAX_RCPTS: the first spool's octets are
	 * kept to write the others (message.c msg_commit).
	 */
	size_t		 rdone;		/* recipients in committed copies */
	char		*copy;		/* the spool file's octets */
	size_t		 copylen;
	int		 ncopies;	/* copies committed */
	char		 first[IPC_UUID_MAX];	/* uuid of the first */
	char		 sender[IPC_ACCOUNT_MAX];	/* FROM, Remote state */
	char		*trace;		/* hops received (trace.h) */
	size_t		 tracelen;
	struct envin	*env;		/* DELIVER TO <domain>, envelope_in.c */
};

struct session {
	RB_ENTRY(session)	 entry;
	uint64_t		 id;
	int			 fd;
	struct listener		*listener;
	char			 addr[IPC_ADDR_MAX];
	char			 nonce[SESSION_NONCE_B64];

	enum session_state	 state;
	enum session_io		 io;
	struct tls		*tls;
	int			 upgrading;	/* 204 queued, TLS next */
	int			 closing;	/* flush, then free */
	int			 lingering;	/* flushed, draining input */
	const char		*reason;	/* for the close log line */
	struct event		*rev;
	struct event		*wev;
	struct event		*timer;
	short			 rd_want;	/* event the last read needs */
	short			 wr_want;	/* event the last write needs */
	short			 hs_want;	/* event the handshake needs */
	size_t			 wlen;		/* tls_write length to retry */
	struct evbuffer		*in;
	struct evbuffer		*out;

	/*
	 * The command line being executed, and its position.  cmds
	 * (CMD_MAXCMDS entries) is allocated for a line and freed once its
	 * last command has started, so an idle session does not hold it.
	 */
	char			 line[CMD_MAXLINE + 2];
	struct cmd		*cmds;
	size_t			 ncmds;
	size_t			 curcmd;
	const char		*cmdid;		/* id of the current command */
	int			 skipline;	/* overlong: drop up to LF */

	enum session_wait	 wait;
	uint64_t		 reqid;
	uint32_t		 reqseq;

	enum session_input	 inmode;
	uint64_t		 litleft;	/* octets of the literal left */
	int			 empties;	/* consecutive empty lines */
	struct part		 part;

	/* AUTH SECRET */
	int			 auth_pending;	/* 303 given, no RESPONSE yet */
	uint64_t		 auth_reqid;
	char			 auth_account[IPC_ACCOUNT_MAX];
	char			 account[IPC_ACCOUNT_MAX];	/* once LOCAL */
	char			 remote[IPC_DOMAIN_MAX];	/* once REMOTE */

	struct message		*msg;
	struct mbox_state	*mbox;		/* mbox_stream.c, or NULL */

	/* SET (set.c, set.h) */
	int			 set_comp;	/* SET_COMP_* */
	int			 set_notify;	/* SET_NOTIFY_* */
	int			 set_op;	/* ipc_set_op awaiting lookup */
	int			 set_name;	/* its set_name */
	uint32_t		 set_nitems;	/* block entries listed */
};

/* network.c */

/*
 * network_main: the network process (immpd -X network).  fds 3, 4, 5, 6
 * are the parent, queue, lookup and deliver channels, fd 7 the control
 * socket, fds 8.. the listening sockets in the order of the "listen"
 * lines (ipc.h).  Never returns.
 */
__attribute__((noreturn))
void	 network_main(const char *conffile, int debug, int verbose,
	    int unpriv);

/*
 * net_compose: sends one imsg to the queue or lookup process (ch is
 * env->queue or env->lookup).  A failure is fatal: the peer is our own
 * process and the channel cannot be repaired (DESIGN §3).
 */
void	 net_compose(struct imsgev *ch, uint32_t type, const void *data,
	    size_t len);

/* session.c */

/*
 * session_accept: takes ownership of the accepted, non-blocking socket
 * fd from listener l; sa is the peer address.  Starts the greeting or
 * the implicit TLS handshake.  On failure the socket is closed.
 */
void	 session_accept(struct listener *l, int fd, const struct sockaddr *sa);

/*
 * session_reply: queues one reply line, formatted with reply_format
 * (reply.h), with the pipeline id of the command being executed.
 * session_replyid does the same with an explicit id (may be NULL or "").
 * more != 0 gives the "-" continuation form.  A line that cannot be
 * formatted is replaced by "700 Internal error, try again later."
 */
void	 session_reply(struct session *, int code, int more,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 session_replyid(struct session *, const char *id, int code,
	    int more, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * session_close: queues nothing more, flushes the output (at most
 * SESSION_FLUSH_TIMEOUT seconds) and frees the session.  reason is a
 * static string for the "session close" log line.
 */
void	 session_close(struct session *, const char *reason);

/*
 * session_reqid: a new request id for an imsg sent on behalf of s; the
 * session can be found again from it with session_byreq.
 */
uint64_t session_reqid(struct session *);

/* session_byreq: the live session that issued reqid, or NULL. */
struct session	*session_byreq(uint64_t reqid);

/*
 * session_wait: s stops executing commands and reading input until
 * the answer arrives (see session_kick).  what names the expected
 * answer, reqid its id.
 */
void	 session_wait(struct session *, enum session_wait what,
	    uint64_t reqid);

/*
 * session_kick: runs the session's I/O after a change made from outside
 * it (an answer from another process: the caller sets s->wait to
 * WAIT_NONE first, the handler may start a new wait).  May free s (e.g.
 * the client went away meanwhile): the caller must not touch s after.
 */
void	 session_kick(struct session *);

/*
 * session_literal: the next n octets after the current line are a DATA
 * literal; they are handed to msg_input, then msg_part_end is called.
 * session_b64lines: the next lines are base64 text for msg_line, up to
 * two consecutive empty lines, then msg_part_end is called.
 */
void	 session_literal(struct session *, uint64_t n);
void	 session_b64lines(struct session *);

/* session_last_cmd: 1 if the command being executed ends its line. */
int	 session_last_cmd(struct session *);

/*
 * session_skip_rest: answers every command left on the current line with
 * 400 and drops them (they follow a refused DATA literal).
 */
void	 session_skip_rest(struct session *);

/* session_shutdown: frees every session (process exit). */
void	 session_shutdown(void);

/*
 * session_foreach: calls fn(s, arg) for every live session; fn may free
 * the session it is given (session_kick), no other.
 */
void	 session_foreach(void (*fn)(struct session *, void *), void *arg);

/* auth.c -- AUTH SECRET, DESIGN §5, immp(7) AUTH SECRET. */

/* auth_secret: "AUTH SECRET <account> [<device>]": asks lookup. */
void	 auth_secret(struct session *, const struct cmd *);
/* auth_response: "AUTH RESPONSE c=<nonce> p=<proof>": asks lookup. */
void	 auth_response(struct session *, const struct cmd *);
/* auth_challenge: the answer to AUTH_BEGIN: 302 + 303, 710 or 700. */
void	 auth_challenge(struct session *, const struct ipc_auth_challenge *);
/* auth_result: the answer to AUTH_PROOF: 210, 410, 710 or 700. */
void	 auth_result(struct session *, const struct ipc_auth_result *);

/* message.c -- DELIVER TO / DATA / DONE, immp(7) DELIVER. */

/* msg_deliver: "DELIVER TO <imid>... [switches]": checks recipients. */
void	 msg_deliver(struct session *, const struct cmd *);
/*
 * msg_data: "DATA ...": accepts (271) or refuses a part; in both cases
 * with a parseable LENGTH the literal is consumed.  Handles every state,
 * including before TLS, so that the literal is always skipped.
 */
void	 msg_data(struct session *, const struct cmd *);
/* msg_done: "DONE": finishes the spool file and commits it. */
void	 msg_done(struct session *, const struct cmd *);

/*
 * msg_commit: the end of DONE once an envelope message passed its checks,
 * or a remote one was not refused as a downgrade (envelope_in.c): the
 * record, the trace, the spool file committed.
 */
void	 msg_commit(struct session *);

/*
 * msg_add_rcpt: adds the recipient text word to m as DELIVER TO does
 * (immp(7) DELIVER): 0, or -1 after a 420/421/422 reply (m then freed;
 * an envelope message is dropped, envelope_in.c).
 */
int	 msg_add_rcpt(struct session *, struct message *, const char *);

/*
 * msg_rcpt_next: checks the next recipient of s->msg with lookup; after
 * the last one asks for a spool file, or for an envelope message that
 * was verified commits it (msg_commit).
 */
void	 msg_rcpt_next(struct session *);
/* msg_input: len octets of the current literal (raw or base64). */
void	 msg_input(struct session *, const char *buf, size_t len);
/* msg_line: one line (without CRLF) of a +BASE64 block without LENGTH. */
void	 msg_line(struct session *, const char *buf, size_t len);
/* msg_part_end: the literal or the base64 block is complete: 272/4xx. */
void	 msg_part_end(struct session *);
/* msg_rcpt_result: lookup's answer for the recipient being checked. */
void	 msg_rcpt_result(struct session *, const struct ipc_rcpt_result *);
/* msg_created: queue's answer to MSG_CREATE; fd is owned from here. */
void	 msg_created(struct session *, const struct ipc_msg_created *, int fd);
/* msg_orphan_created: MSG_CREATED for a session that is gone. */
void	 msg_orphan_created(const struct ipc_msg_created *, int fd);
/* msg_committed: queue's answer to MSG_COMMIT: 273 or 720. */
void	 msg_committed(struct session *, const struct ipc_msg_committed *);
/*
 * msg_block_result: lookup's answer to set_block_check for the
 * recipient being checked: result IPC_OK goes on, IPC_FAIL refuses the
 * recipient (423 for a server table, 424 for the recipient's own list,
 * by is BLOCK_BY_*), anything else 700.
 */
void	 msg_block_result(struct session *, int result, int by);
/*
 * msg_open: starts m, a message built by another command (PUSH TO,
 * push.c; rcpts and flags filled in), as DELIVER TO does: recipients
 * checked, spool file created, 270.  m is owned from here; max_size is
 * its size limit in octets.
 */
void	 msg_open(struct session *, struct message *m, uint64_t max_size);
/* msg_free: drops the open message and part (rollback if created). */
void	 msg_free(struct session *);

/* cookie_cmd.c -- AUTH COOKIE / AUTH VERIFY, DESIGN §5, immp(7). */

/*
 * auth_cookie: "AUTH COOKIE <issuer> <cookie>" (Unauthenticated state):
 * 301, then the call-back (outbound_callback, WAIT_COOKIE); 4xx for bad
 * arguments.
 */
void	 auth_cookie(struct session *, const struct cmd *);
/*
 * cookie_callback_done: the call-back for the session owning reqid
 * ended: IPC_OK gives 210 and the Remote state, anything else 413 and
 * the session is closed.  A session that is gone is ignored.
 */
void	 cookie_callback_done(uint64_t reqid, int result);
/*
 * auth_verify: "AUTH VERIFY <receiver> <issuer> <nonce> <cookie>" (any
 * state after TLS): asks immp-lookup (WAIT_VERIFY).
 */
void	 auth_verify(struct session *, const struct cmd *);
/* auth_verify_result: lookup's answer: 211 valid or 412 invalid. */
void	 auth_verify_result(struct session *, int result);
/*
 * cookie_args_parse: the hostile-input check shared by both commands:
 * domain (imid_domain_valid, at most IPC_DOMAIN_MAX - 1 octets) into
 * dom (lower case, IPC_DOMAIN_MAX), and base64 text of exactly
 * IPC_COOKIE_LEN octets into cookie.  0, or -1 with *err a static
 * reason.
 */
int	 cookie_args_parse(const char *domain, const char *b64, char *dom,
	    uint8_t *cookie, const char **err);

/* relay_trace.c -- the relay trace, draft 5.1, immp(7) RELAY. */

/*
 * trace_part_end: the trace part just received (in s->part.metabuf,
 * already taken out of the spool file): checked (trace.h grammar, at
 * most TRACE_MAX_HOPS - 1 hops, none of our domains in it: else a
 * loop) and kept in the message; 272, 434 (malformed) or 435 (loop:
 * the message is dropped).  Only called in the Remote state (a local
 * client gets 434 at DATA).
 */
void	 trace_part_end(struct session *);
/*
 * trace_finish: at DONE in the Remote state, writes the trace part
 * (the hops received plus this one) as the last part of the spool
 * file.  0, or -1 (spool write error, logged).
 */
int	 trace_finish(struct session *);

/* key_cmd.c -- KEY REQUEST, draft 6.1, immp(7) KEY REQUEST. */

/*
 * key_cmd: "KEY REQUEST <domain>" (any state after TLS): 400 for bad
 * syntax or a bad domain, 460 for a domain that is not ours, else asks
 * immp-lookup for the domain's public keys (WAIT_KEY).
 */
void	 key_cmd(struct session *, const struct cmd *);
/*
 * key_result: lookup's answer to IMSG_LKA_KEY_REQUEST (strings checked
 * by the caller): 260 and the 261 lines, 461 (no keys) or 700; for a
 * message being checked at DONE, envin_keys (envelope_wire.h).
 */
void	 key_result(struct session *, const struct ipc_key_result *);

#endif
