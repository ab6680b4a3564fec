/*
 * Internal interface of the outbound sessions, shared by outbound.c
 * (connection, TLS, line I/O, authentication, call-back) and
 * outbound_relay.c (jobs, DELIVER/DATA/DONE, spool streaming, results);
 * not for other files: the public interface is outbound.h.
 */
#ifndef IMMPD_OUTBOUND_INT_H
#define IMMPD_OUTBOUND_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "ipc_env.h"
#include "ipc_relay.h"
#include "session.h"

struct envkeys;
struct event;
struct evbuffer;
struct spool_part;
struct tls;
struct tls_config;

#define OB_CHUNK	(64 * 1024)	/* literal octets read at once */
#define OB_OUT_HIWAT	(256 * 1024)

enum ob_purpose {
	OB_RELAY,
	OB_CALLBACK,
};

enum ob_state {
	OB_ROUTE,		/* waiting for the route */
	OB_CONNECT,		/* connect(2) in progress */
	OB_GREETING,		/* reading up to 101 */
	OB_UPGRADE,		/* UPGRADE TLS sent */
	OB_HANDSHAKE,		/* TLS handshake */
	OB_PIN,			/* waiting for the pin check */
	OB_COOKIE,		/* waiting for our cookie (lookup) */
	OB_AUTH,		/* AUTH COOKIE sent */
	OB_VERIFY,		/* AUTH VERIFY sent (call-back) */
	OB_KEYS,		/* KEY REQUEST sent (envelope_keys.h) */
	OB_KEYPIN,		/* waiting for the key pin check (queue) */
	OB_IDLE,		/* authenticated, no message */
	OB_ENVELOPE,		/* waiting for the envelope (lookup) */
	OB_DELIVER,		/* DELIVER sent */
	OB_DATA,		/* DATA + literal sent */
	OB_DONE,		/* DONE sent */
	OB_QUIT,		/* QUIT sent, closing */
	OB_LINE,		/* a line job's command sent (outbound_line) */
};

struct ob_rcpt {
	uint64_t	 id;
	char		 account[IPC_ACCOUNT_MAX];
	char		 folder[IPC_FOLDER_MAX];
	int		 settled;
};

struct ob_job {
	TAILQ_ENTRY(ob_job)	 entry;
	struct ipc_relay_msg	 m;
	char			*line;	/* line job (outbound_line) or NULL */
	uint64_t		 lreqid;	/* caller's id, 0: answered */
	int			 fd;
	struct ob_rcpt		*rcpts;
	size_t			 nrcpt;
};

struct ob_conn;

struct ob_dest {
	TAILQ_ENTRY(ob_dest)	 entry;
	char			 domain[IPC_DOMAIN_MAX];
	char			 issuer[IPC_DOMAIN_MAX];
	TAILQ_HEAD(, ob_job)	 jobs;
	TAILQ_HEAD(, ob_conn)	 conns;
	uint32_t		 nconn;
};

struct ob_conn {
	TAILQ_ENTRY(ob_conn)	 entry;		/* all */
	TAILQ_ENTRY(ob_conn)	 dentry;	/* dest->conns */
	uint64_t		 id;
	enum ob_purpose		 purpose;
	enum ob_state		 state;
	struct ob_dest		*dest;
	char			 domain[IPC_DOMAIN_MAX];	/* peer */
	int			 fd;
	struct tls		*tls;
	int			 tls_verify;
	int			 tls_up;
	size_t			 wlen;		/* tls_write length to retry */
	int			 insecure;	/* pin or cert check failed */
	int			 authed;
	struct event		*rev, *wev, *timer;
	struct evbuffer		*in, *out;
	struct ipc_route_result	 route;
	uint32_t		 addrcur;
	char			 rdomain[IPC_DOMAIN_MAX];	/* 101 d= */
	char			 rnonce[IPC_NONCE_MAX];	/* 101 i= */
	char			 lasterr[IPC_REASON_MAX];
	uint32_t		 nmsgs;
	/* relay: the peer's domain keys (KEY REQUEST, ipc_env.h) */
	struct envkeys		*keys;
	struct ipc_keypin_result keypin;
	/* relay: the current message's envelope (envelope_wire.h) */
	char			*envtext;
	size_t			 envlen;
	int			 envmode;	/* sent with the envelope */
	int			 envskip;	/* sent without one */
	/* relay: the message being sent */
	struct ob_job		*job;
	struct spool_part	*parts;
	int			 nparts;
	int			 partcur;
	uint64_t		 litleft;
	off_t			 litoff;
	/* call-back */
	uint64_t		 sreqid;
	char			 receiver[IPC_DOMAIN_MAX];
	char			 nonce[IPC_NONCE_MAX];
	uint8_t			 cookie[IPC_COOKIE_LEN];
	char			 tag[20];
};

struct outbound_state {
	struct tls_config	*cfg_pin;	/* pins, no PKIX */
	struct tls_config	*cfg_verify;	/* PKIX ("tls verify") */
	TAILQ_HEAD(, ob_dest)	 dests;
	TAILQ_HEAD(, ob_conn)	 conns;
	uint64_t		 nextid;
	struct ob_rcpt		 pending[MSG_MAX_RCPTS];
	size_t			 npending;
};

/* All sessions, destinations and RELAY_RCPTs not yet taken by a job. */
extern struct outbound_state	 ob;

/*
 * outbound.c: sessions.
 */

/*
 * conn_new: a session of purpose to domain (copied lower-case), in
 * OB_ROUTE with its route asked of immp-lookup; never NULL (fatal
 * without memory).  Owned by ob.conns until conn_fail or its end.
 */
struct ob_conn	*conn_new(enum ob_purpose purpose, const char *domain);

/* conn_byid: the session with id, or NULL if it is gone. */
struct ob_conn	*conn_byid(uint64_t id);

/*
 * conn_fail: ends c with result (IPC_*) and reason why for its job and,
 * if the peer was never reached, for every job of its destination; the
 * call-back is answered IPC_FAIL.  c is freed.
 */
void		 conn_fail(struct ob_conn *c, int result, const char *why);

/* conn_arm: (re)starts c's timer for secs seconds. */
void		 conn_arm(struct ob_conn *c, int secs);

/*
 * conn_send: one command line (printf format, CRLF added, at most
 * CMD_MAXLINE octets or fatal) into c's output; conn_flush sends it.
 */
void		 conn_send(struct ob_conn *c, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * conn_flush: writes what the socket takes of c's output (and pumps
 * the literal on); 0, or -1 with c->lasterr set (the caller fails c).
 */
int		 conn_flush(struct ob_conn *c);

/* conn_quit: sends QUIT (immp(7)) and closes c; c may be freed. */
void		 conn_quit(struct ob_conn *c);

/*
 * conn_pin: the TLS pin check result state (IPC_PIN_*, draft 3.5) for c
 * in OB_PIN: goes on to authenticate, or fails c.
 */
void		 conn_pin(struct ob_conn *c, int state);

/* ob_lower: lower-case copy of the valid domain src into dst[size]. */
void		 ob_lower(char *dst, const char *src, size_t size);

/* ob_clean: replaces in s all but printable ASCII (no '"', '\\'). */
void		 ob_clean(char *s);

/*
 * ob_reply_reason: "<what>: remote reply <code> <text>" into buf[size],
 * cleaned, for logs and bounces.
 */
void		 ob_reply_reason(char *buf, size_t size, const char *what,
		    int code, const char *text);

/*
 * outbound_relay.c: jobs and destinations.
 */

/*
 * job_reply: a final reply (code, text) to c in OB_DELIVER, OB_DATA,
 * OB_DONE or OB_LINE (immp(7) RELAY); settles and frees the job when it
 * is answered and goes on with the next one.  c may be freed.
 */
void		 job_reply(struct ob_conn *c, int code, const char *text);

/*
 * job_settle: the result (IPC_*) and reason why of j for every
 * recipient not settled yet (IMSG_RELAY_RESULT), or for a line job its
 * caller (subscribe_line_done, code 0).
 */
void		 job_settle(struct ob_job *j, int result, const char *why);

/* job_free: frees j, its line and recipients, closes its spool file. */
void		 job_free(struct ob_job *j);

/*
 * conn_pump: moves literal octets of c's job from the spool file into
 * c's output up to OB_OUT_HIWAT; a read error shuts the socket down.
 */
void		 conn_pump(struct ob_conn *c);

/*
 * dest_kick: gives d's waiting jobs to an idle session or opens one
 * within relay_max_conn; frees d when it has neither jobs nor sessions.
 */
void		 dest_kick(struct ob_dest *d);

/*
 * dest_fail_all: settles every job waiting for d with result (a hold
 * only for +SECURE messages) and why; frees d if it has no sessions.
 */
void		 dest_fail_all(struct ob_dest *d, int result, const char *why);

#endif
