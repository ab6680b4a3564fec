/*
 * imsg types and payloads of inter-domain relay (DESIGN §4-5, immp(7)
 * RELAY and AUTH COOKIE), range 600.. (ipc.h lists the ranges).
 *
 *   queue   -> network   RELAY_RCPT (one per recipient), then RELAY_MSG
 *                        with a read-only descriptor of the spool file
 *   network -> queue     RELAY_RESULT, one per recipient
 *   network -> queue     PIN_CHECK (the queue keeps the pin store)
 *   queue   -> network   PIN_RESULT
 *   network -> lookup    ROUTE, COOKIE_MAKE, COOKIE_CHECK
 *   lookup  -> network   ROUTE_RESULT, COOKIE, COOKIE_RESULT
 *
 * The same rules as in ipc.h: fixed-size structs, NUL-terminated
 * strings checked with ipc_check_str, a malformed imsg is fatal.
 */
#ifndef IMMP_IPC_RELAY_H
#define IMMP_IPC_RELAY_H

#include <stdint.h>

#include "ipc.h"

#define IPC_HOST_MAX	256	/* host name incl. NUL */
#define IPC_ROUTE_ADDRS	8	/* addresses per route answer */
#define IPC_COOKIE_LEN	32	/* HMAC-SHA-256 */
#define IPC_REPLY_MAX	256	/* remote reply line kept for a bounce */

/* A relayed message that is itself a bounce (never bounced again). */
#define MSGF_BOUNCE	0x10

/*
 * RELAY_RESULT: +SECURE message not sent because the peer's pin or
 * certificate check failed; retry in RELAY_HOLD_SECONDS (or "retry
 * max" if that is shorter).
 */
#define IPC_RELAY_HOLD	100
#define RELAY_HOLD_SECONDS	300

enum imsg_relay_type {
	IMSG_RELAY_RCPT = 600,		/* struct ipc_relay_rcpt */
	IMSG_RELAY_MSG,			/* struct ipc_relay_msg + fd */
	IMSG_RELAY_RESULT,		/* struct ipc_relay_result */

	IMSG_RELAY_ROUTE = 620,		/* struct ipc_route_req */
	IMSG_RELAY_ROUTE_RESULT,	/* struct ipc_route_result */
	IMSG_RELAY_COOKIE_MAKE,		/* struct ipc_cookie_req */
	IMSG_RELAY_COOKIE,		/* struct ipc_cookie */
	IMSG_RELAY_COOKIE_CHECK,	/* struct ipc_cookie */
	IMSG_RELAY_COOKIE_RESULT,	/* struct ipc_cookie_result */
	IMSG_RELAY_PIN_CHECK,		/* struct ipc_pin_check */
	IMSG_RELAY_PIN_RESULT,		/* struct ipc_pin_result */
};

/* One recipient of the next RELAY_MSG; id is the queue's delivery id. */
struct ipc_relay_rcpt {
	uint64_t	id;
	char		account[IPC_ACCOUNT_MAX];
	char		folder[IPC_FOLDER_MAX];	/* "" = INBOX */
};

/* A message for the nrcpt RELAY_RCPT before it, all in domain. */
struct ipc_relay_msg {
	char		uuid[IPC_UUID_MAX];
	char		domain[IPC_DOMAIN_MAX];	/* destination, lower case */
	char		sender[IPC_ACCOUNT_MAX];
	uint32_t	flags;			/* MSGF_* */
	uint32_t	nrcpt;			/* 1..MSG_MAX_RCPTS */
	int64_t		accepted;
	uint64_t	size;			/* spool file octets */
};

/* result: IPC_OK, IPC_FAIL (4xx), IPC_TEMPFAIL, IPC_RELAY_HOLD. */
struct ipc_relay_result {
	uint64_t	id;
	int32_t		result;
	char		reason[IPC_REASON_MAX];	/* with the remote reply */
};

struct ipc_route_req {
	uint64_t	reqid;
	char		domain[IPC_DOMAIN_MAX];
};

struct ipc_route_addr {
	char		addr[IPC_ADDR_MAX];	/* numeric */
	uint16_t	port;
};

/*
 * IPC_OK with naddr addresses in the order to try; host is the name
 * the certificate is checked against when tls_verify is set.
 * IPC_FAIL: no such domain; IPC_TEMPFAIL: resolver failure.
 */
struct ipc_route_result {
	uint64_t	reqid;
	int32_t		result;
	char		domain[IPC_DOMAIN_MAX];
	char		host[IPC_HOST_MAX];
	int32_t		tls_verify;
	uint32_t	naddr;
	struct ipc_route_addr addr[IPC_ROUTE_ADDRS];
};

/* COOKIE_MAKE: the cookie issuer gives receiver for its 101 nonce. */
struct ipc_cookie_req {
	uint64_t	reqid;
	char		receiver[IPC_DOMAIN_MAX];
	char		issuer[IPC_DOMAIN_MAX];
	char		nonce[IPC_NONCE_MAX];
};

/*
 * COOKIE (lookup -> network, answer to COOKIE_MAKE: result IPC_OK or
 * IPC_FAIL when issuer is not ours) and COOKIE_CHECK (network ->
 * lookup: AUTH VERIFY received, result unused).
 */
struct ipc_cookie {
	uint64_t	reqid;
	int32_t		result;
	char		receiver[IPC_DOMAIN_MAX];
	char		issuer[IPC_DOMAIN_MAX];
	char		nonce[IPC_NONCE_MAX];
	uint8_t		cookie[IPC_COOKIE_LEN];
};

/* COOKIE_RESULT: IPC_OK valid, IPC_FAIL invalid. */
struct ipc_cookie_result {
	uint64_t	reqid;
	int32_t		result;
};

/* PIN_CHECK: the SPKI SHA-256 a peer of domain presented. */
struct ipc_pin_check {
	uint64_t	reqid;
	char		domain[IPC_DOMAIN_MAX];
	uint8_t		spki[32];
};

enum ipc_pin_state {
	IPC_PIN_MATCH = 0,	/* as stored */
	IPC_PIN_NEW,		/* first contact: stored now */
	IPC_PIN_MISMATCH,	/* differs from the stored pin */
	IPC_PIN_ERROR,		/* store unusable */
};

struct ipc_pin_result {
	uint64_t	reqid;
	int32_t		state;		/* enum ipc_pin_state */
};

#endif
