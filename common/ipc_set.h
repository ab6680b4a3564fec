/*
 * imsg types and payloads between the network process and immp-lookup
 * for account settings (SET GLOBAL, immp(7) SET) and blocking (draft
 * 3.10, immp(7) BLOCKING), type range 800..
 *
 *   network -> lookup  IMSG_SET_REQ          struct ipc_set_req
 *   lookup -> network  IMSG_SET_ITEM         struct ipc_set_item, zero
 *                                            or more (SET_OP_LIST only)
 *   lookup -> network  IMSG_SET_RESULT       struct ipc_set_result,
 *                                            ends every IMSG_SET_REQ
 *   network -> lookup  IMSG_BLOCK_PEER       struct ipc_block_peer
 *   lookup -> network  IMSG_BLOCK_PEER_RESULT struct ipc_block_result
 *   network -> lookup  IMSG_BLOCK_MSG        struct ipc_block_msg
 *   lookup -> network  IMSG_BLOCK_MSG_RESULT struct ipc_block_result
 *
 * Settings cross the channel as numbers (enum set_name, set_* values),
 * never as the client's text; only block list entries are text, and
 * those were checked by the network process (set_block_entry_valid).
 * The receiver checks sizes and strings as ipc.h says (fatal if bad).
 */
#ifndef IMMP_IPC_SET_H
#define IMMP_IPC_SET_H

#include <stdint.h>

#include "ipc.h"

#define IPC_SET_VALUE_MAX	256	/* block list entry incl. NUL */
#define IPC_SET_BLOCK_MAX	100	/* entries in an account's list */

enum ipc_set_type {
	IMSG_SET_REQ = 800,
	IMSG_SET_ITEM,
	IMSG_SET_RESULT,
	IMSG_BLOCK_PEER,
	IMSG_BLOCK_PEER_RESULT,
	IMSG_BLOCK_MSG,
	IMSG_BLOCK_MSG_RESULT,
};

/* What an IMSG_SET_REQ asks for. */
enum ipc_set_op {
	SET_OP_LOAD = 1,	/* the account's values (at AUTH, 210) */
	SET_OP_LIST,		/* the block list, as IMSG_SET_ITEMs */
	SET_OP_PUT,		/* name = value (COMPRESSION, NOTIFY) */
	SET_OP_ADD,		/* BLOCK += value */
	SET_OP_DEL,		/* BLOCK -= value */
};

/* The settings (immp(7) SET). */
enum set_name {
	SET_COMPRESSION = 1,
	SET_NOTIFY,
	SET_BLOCK,
};

/* COMPRESSION values. */
#define SET_COMP_NONE	0
#define SET_COMP_GZIP	1

/* NOTIFY values. */
#define SET_NOTIFY_ALL		0	/* the default */
#define SET_NOTIFY_IMPORTANT	1	/* +IMPORTANT only */
#define SET_NOTIFY_NONE		2

struct ipc_set_req {
	uint64_t	reqid;
	int32_t		op;		/* enum ipc_set_op */
	int32_t		name;		/* enum set_name (PUT, ADD, DEL) */
	int32_t		ivalue;		/* PUT: the new number */
	char		account[IPC_ACCOUNT_MAX];	/* as authenticated */
	char		value[IPC_SET_VALUE_MAX];	/* ADD, DEL */
};

struct ipc_set_item {
	uint64_t	reqid;
	char		value[IPC_SET_VALUE_MAX];	/* a block entry */
};

/*
 * result: IPC_OK; IPC_FAIL with reason SET_FAIL_*; IPC_TEMPFAIL (the
 * store cannot be read or written now).  With IPC_OK the account's
 * values after the request.
 */
#define SET_FAIL_FULL		1	/* ADD: list full */
#define SET_FAIL_ABSENT		2	/* DEL: not listed */
struct ipc_set_result {
	uint64_t	reqid;
	int32_t		result;
	int32_t		reason;		/* SET_FAIL_* */
	int32_t		compression;	/* SET_COMP_* */
	int32_t		notify;		/* SET_NOTIFY_* */
	uint32_t	nblock;		/* block list entries */
};

/* A connection to check against the "block networks" table. */
struct ipc_block_peer {
	uint64_t	reqid;		/* limit.c's id, no session */
	char		addr[IPC_ADDR_MAX];	/* numeric address */
};

/*
 * A message from sender to the local account rcpt: the server's
 * "block addresses" and "block domains" tables, then rcpt's own list.
 */
struct ipc_block_msg {
	uint64_t	reqid;
	char		rcpt[IPC_ACCOUNT_MAX];	/* user@domain */
	char		sender[IPC_ACCOUNT_MAX];	/* user@domain */
	char		peer[IPC_ADDR_MAX];	/* for the log */
};

/* result: IPC_OK (not blocked), IPC_FAIL (blocked), IPC_TEMPFAIL. */
#define BLOCK_BY_SERVER	1	/* a server-wide table */
#define BLOCK_BY_USER	2	/* the recipient's block list */
struct ipc_block_result {
	uint64_t	reqid;
	int32_t		result;
	int32_t		by;		/* BLOCK_BY_* if IPC_FAIL */
};

#endif
