/*
 * imsg types and payloads exchanged by the immpd processes (DESIGN §3-4).
 * Included only by the processes that speak a given channel.
 *
 * Channels (created by the parent, passed on fixed descriptors):
 *   parent  <-> every child   fd 3 in the child
 *   network <-> queue         fd 4 in network, fd 4 in queue
 *   network <-> lookup        fd 5 in network, fd 4 in lookup
 *   queue   <-> deliver       fd 5 in queue,   fd 4 in deliver
 *   network <-> deliver       fd 6 in network, fd 5 in deliver
 *                             (mailbox access, DESIGN §3)
 *   control socket            fd 7 in network (listening AF_UNIX socket
 *                             opened by the parent, immpctl(8))
 *   listening sockets         fd 8, 9, ... in network, in the order of
 *                             the "listen" lines
 *   configuration             fd 99 (IPC_FD_CONF) in every child
 *
 * imsg type ranges: 1.. parent control, 100.. lookup, 200.. queue,
 * 300.. deliver, 400.. keys (this file); 500.. control socket
 * (ipc_ctl.h), 600.. relay (ipc_relay.h), 700.. mailbox access
 * (ipc_mbox.h), 800.. settings and blocking (ipc_set.h),
 * 900.. domain key pins and envelopes (ipc_env.h),
 * 1000.. push and subscription requests (ipc_push.h).
 *
 * Payloads are fixed-size structs.  Strings are NUL-terminated inside
 * their arrays; the receiver checks datalen == sizeof(struct) and that
 * every string is terminated (ipc_check_str) and treats a violation as
 * fatal (peers are trusted, DESIGN §3).
 */
#ifndef IMMP_IPC_H
#define IMMP_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_FD_PARENT	3
#define IPC_FD_PEER1	4
#define IPC_FD_PEER2	5
#define IPC_FD_NET_DELIVER 6	/* network: its channel to deliver */
#define IPC_FD_CONTROL	7	/* network: the control socket */
#define IPC_FD_LISTENER0 8	/* network: first listening socket */
/*
 * Every child: a sealed memory copy of the configuration file the parent
 * parsed (immpd(8)), so that all processes run on the same octets even
 * if the file changes during start-up.  Read it with conf_parse_fd and
 * close it.
 */
#define IPC_FD_CONF	99

#define IPC_ACCOUNT_MAX	256	/* "user@domain" incl. NUL */
#define IPC_FOLDER_MAX	256
#define IPC_DEVICE_MAX	128
#define IPC_ADDR_MAX	64	/* peer address "ip" incl. NUL */
#define IPC_UUID_MAX	37	/* canonical 8-4-4-4-12 lower-case + NUL */
#define IPC_NONCE_MAX	64	/* base64 nonce text incl. NUL */
#define IPC_REASON_MAX	256

enum imsg_type {
	/* parent -> child */
	IMSG_CTL_SHUTDOWN = 1,	/* no payload: finish and exit 0 */
	IMSG_CTL_VERBOSE,	/* int verbose */
	/* child -> parent */
	IMSG_CTL_READY,		/* no payload: child finished start-up */

	/* network -> lookup: AUTH SECRET first step */
	IMSG_LKA_AUTH_BEGIN = 100,	/* struct ipc_auth_begin */
	IMSG_LKA_AUTH_CHALLENGE,	/* lookup -> network */
	IMSG_LKA_AUTH_PROOF,		/* network -> lookup */
	IMSG_LKA_AUTH_RESULT,		/* lookup -> network */
	IMSG_LKA_RCPT_CHECK,		/* network -> lookup */
	IMSG_LKA_RCPT_RESULT,		/* lookup -> network */

	/* network <-> queue */
	IMSG_QUEUE_MSG_CREATE = 200,	/* struct ipc_msg_create */
	IMSG_QUEUE_MSG_CREATED,		/* struct ipc_msg_created + fd */
	IMSG_QUEUE_MSG_RCPT,		/* struct ipc_msg_rcpt */
	IMSG_QUEUE_MSG_COMMIT,		/* struct ipc_msg_commit */
	IMSG_QUEUE_MSG_COMMITTED,	/* struct ipc_msg_committed */
	IMSG_QUEUE_MSG_ROLLBACK,	/* struct ipc_msg_ref */

	/* queue <-> deliver */
	IMSG_MDA_DELIVER = 300,		/* struct ipc_mda_deliver + fd */
	IMSG_MDA_DONE,			/* struct ipc_mda_done */

	/* network <-> lookup: domain keys (KEY REQUEST, draft 6.1) */
	IMSG_LKA_KEY_REQUEST = 400,	/* struct ipc_key_request */
	IMSG_LKA_KEY_RESULT,		/* struct ipc_key_result */
};

/*
 * Request ids of the network process: the session id shifted left by
 * IPC_REQSEQ_BITS, ored with a per-session sequence number.  Other
 * processes may use reqid >> IPC_REQSEQ_BITS to tell sessions apart
 * (immp-lookup keeps at most one pending challenge per session).
 */
#define IPC_REQSEQ_BITS	16

/* Results carried in the "result" fields. */
enum ipc_result {
	IPC_OK = 0,
	IPC_FAIL,	/* permanent: wrong credentials, unknown user, ... */
	IPC_TEMPFAIL,	/* temporary: retry later (7xx on the wire) */
	IPC_THROTTLED,	/* too many failures for this address/account */
};

/* Message flags (DELIVER TO switches). */
#define MSGF_IMPORTANT	0x01	/* +IMPORTANT */
#define MSGF_UNIMPORTANT 0x02	/* -IMPORTANT */
#define MSGF_MULTIPART	0x04	/* +MULTIPART */
#define MSGF_SECURE	0x08	/* +SECURE */

struct ipc_auth_begin {
	uint64_t	reqid;			/* network's request id */
	char		account[IPC_ACCOUNT_MAX];
	char		device[IPC_DEVICE_MAX];
	char		addr[IPC_ADDR_MAX];	/* client IP, for throttling */
};

struct ipc_auth_challenge {
	uint64_t	reqid;
	int32_t		result;			/* IPC_OK or IPC_THROTTLED */
	char		n1[IPC_NONCE_MAX];	/* server nonce, base64 */
	uint64_t	n2;			/* time stamp, Unix seconds */
	uint8_t		salt[16];
	uint64_t	opslimit;		/* Argon2id parameters */
	uint64_t	memlimit;		/* octets */
};

struct ipc_auth_proof {
	uint64_t	reqid;			/* same as in AUTH_BEGIN */
	char		cnonce[IPC_NONCE_MAX];	/* client nonce, as sent */
	uint8_t		proof[32];		/* ClientProof */
	uint8_t		cbind[32];		/* SHA-256 of server cert DER */
};

struct ipc_auth_result {
	uint64_t	reqid;
	int32_t		result;			/* IPC_OK, IPC_FAIL, ... */
	char		account[IPC_ACCOUNT_MAX];	/* canonical account */
	uint8_t		server_sig[32];		/* ServerSignature if OK */
};

struct ipc_rcpt_check {
	uint64_t	reqid;
	char		account[IPC_ACCOUNT_MAX];	/* user@domain, no +folder */
};

struct ipc_rcpt_result {
	uint64_t	reqid;
	int32_t		result;	/* IPC_OK (local account exists), IPC_FAIL */
};

struct ipc_msg_create {
	uint64_t	reqid;
};

/* Answer to MSG_CREATE, with a writable descriptor for the spool file. */
struct ipc_msg_created {
	uint64_t	reqid;
	int32_t		result;
	char		uuid[IPC_UUID_MAX];
};

/* One recipient; sent once per recipient before MSG_COMMIT. */
struct ipc_msg_rcpt {
	uint64_t	reqid;
	char		uuid[IPC_UUID_MAX];
	char		account[IPC_ACCOUNT_MAX];	/* user@domain */
	char		folder[IPC_FOLDER_MAX];	/* "" = INBOX */
};

struct ipc_msg_commit {
	uint64_t	reqid;
	char		uuid[IPC_UUID_MAX];
	char		sender[IPC_ACCOUNT_MAX];	/* authenticated account */
	char		peer[IPC_ADDR_MAX];		/* client address */
	uint32_t	flags;				/* MSGF_* */
	uint32_t	nrcpt;				/* MSG_RCPT sent */
	uint64_t	size;				/* spool file octets */
};

struct ipc_msg_committed {
	uint64_t	reqid;
	int32_t		result;	/* IPC_OK: durable, answer 273 */
	char		uuid[IPC_UUID_MAX];
};

struct ipc_msg_ref {
	uint64_t	reqid;
	char		uuid[IPC_UUID_MAX];
};

/* One delivery of one message to one local recipient; fd: spool file. */
struct ipc_mda_deliver {
	uint64_t	id;		/* queue's delivery id */
	char		uuid[IPC_UUID_MAX];
	char		account[IPC_ACCOUNT_MAX];
	char		folder[IPC_FOLDER_MAX];
	char		sender[IPC_ACCOUNT_MAX];
	char		rcpts[1024];	/* "To:" list, comma separated */
	uint32_t	flags;
	int64_t		accepted;	/* Unix time the 273 was given */
};

struct ipc_mda_done {
	uint64_t	id;
	int32_t		result;		/* IPC_OK, IPC_FAIL, IPC_TEMPFAIL */
	char		reason[IPC_REASON_MAX];
};

/*
 * Domain keys (KEY REQUEST, draft 6.1, immp(7) KEY REQUEST): only public
 * keys ever cross a channel.  A key generation is one Ed25519 signing
 * key and one X25519 sealing key with their fingerprint.
 */
#define IPC_DOMAIN_MAX	256	/* domain incl. NUL */
#define IPC_KEY_GENS	2	/* current and next */

enum ipc_key_role {
	IPC_KEY_CURRENT = 1,	/* in use */
	IPC_KEY_NEXT,		/* announced by a rollover */
};

struct ipc_key_request {
	uint64_t	reqid;
	char		domain[IPC_DOMAIN_MAX];	/* lower case */
};

struct ipc_key_gen {
	uint32_t	gen;		/* generation number, >= 1 */
	int32_t		role;		/* enum ipc_key_role */
	int64_t		created;	/* Unix time */
	int64_t		not_after;	/* Unix time, 0: open-ended */
	uint8_t		sign_pk[32];	/* Ed25519 public key */
	uint8_t		seal_pk[32];	/* X25519 public key */
	uint8_t		fp[32];		/* fingerprint, immp(7) */
};

/*
 * The published keys of a domain: IPC_OK with ngen (1..IPC_KEY_GENS)
 * generations, the current one first; IPC_FAIL: the domain has no
 * usable keys; IPC_TEMPFAIL: the key file cannot be read now.  With
 * rollover != 0, rollover_sig is the Ed25519 signature by generation
 * rollover_prev (fingerprint rollover_prev_fp) of generation
 * rollover_gen, which is one of gen[].
 */
struct ipc_key_result {
	uint64_t	reqid;
	int32_t		result;
	char		domain[IPC_DOMAIN_MAX];
	uint32_t	ngen;
	struct ipc_key_gen gen[IPC_KEY_GENS];
	uint32_t	rollover;
	uint32_t	rollover_gen;
	uint32_t	rollover_prev;
	uint8_t		rollover_prev_fp[32];
	uint8_t		rollover_sig[64];
};

/*
 * ipc_check_str: 1 if buf[0..size) contains a NUL, 0 otherwise.
 * ipc_payload: fatal unless imsg datalen == size; returns imsg data.
 */
int	 ipc_check_str(const char *buf, size_t size);
struct imsg;
void	*ipc_payload(struct imsg *, size_t size);

#endif
