/*
 * imsg types and payloads for mailbox access (DESIGN §3, immp(7) MBOX):
 * the network process asks immp-deliver, which hands the request to
 * the worker of the mailbox owner; the worker reads and changes the
 * Maildir++ folders and their index and answers.  Message files and
 * long answers come back as passed descriptors, never inside imsgs.
 *
 *   network -> deliver   IMSG_MBOX_REQUEST  struct ipc_mbox_req
 *   deliver -> network   IMSG_MBOX_RESULT   struct ipc_mbox_res [+ fd]
 *   deliver -> network   IMSG_MBOX_EVENT    struct ipc_mbox_event
 *
 * Inside immp-deliver the same structs travel between the process and
 * its per-owner workers.  Same rules as ipc.h: fixed-size structs,
 * NUL-terminated strings, a malformed imsg from a peer is fatal.
 */
#ifndef IMMP_IPC_MBOX_H
#define IMMP_IPC_MBOX_H

#include <stdint.h>

#include "ipc.h"

enum imsg_mbox_type {
	IMSG_MBOX_REQUEST = 700,
	IMSG_MBOX_RESULT,
	IMSG_MBOX_EVENT,
};

/* What a request asks (immp(7) MBOX). */
enum mbox_op {
	MBOX_OP_LIST = 1,	/* folders of the mailbox */
	MBOX_OP_CHECK,		/* status of folder (and below: RECURSIVE) */
	MBOX_OP_INDEX,		/* message summaries of folder */
	MBOX_OP_FETCH,		/* one message, or one part of it */
	MBOX_OP_CREATE,		/* folder */
	MBOX_OP_DELETE,		/* folder */
	MBOX_OP_RENAME,		/* folder -> folder2 */
	MBOX_OP_FLAG,		/* set/clear flags of folder#uuid */
	MBOX_OP_COPY,		/* folder#uuid -> folder2 */
	MBOX_OP_MOVE,		/* folder#uuid -> folder2 */
	MBOX_OP_EXPUNGE,	/* \Deleted messages of folder (or just uuid) */
};

/* Request switches (MBOXF_*). */
#define MBOXF_RECURSIVE	0x0001	/* CHECK +RECURSIVE */
#define MBOXF_JSON	0x0002	/* INDEX/FETCH +JSON */
#define MBOXF_PRETTY	0x0004	/* FETCH +PRETTY (with +JSON) */
#define MBOXF_NOREAD	0x0008	/* FETCH -READ: leave \Seen unset */
#define MBOXF_DELETE	0x0010	/* FETCH +DELETE: also set \Deleted */

/* Message flags (Maildir info letters in parentheses). */
#define MBOX_FLAG_SEEN		0x01	/* \Seen (S) */
#define MBOX_FLAG_ANSWERED	0x02	/* \Answered (R) */
#define MBOX_FLAG_FLAGGED	0x04	/* \Flagged (F) */
#define MBOX_FLAG_DELETED	0x08	/* \Deleted (T) */
#define MBOX_FLAG_DRAFT		0x10	/* \Draft (D) */

#define IPC_MBOX_PART_MAX	32	/* "2.1.3" incl. NUL */
#define IPC_MBOX_SEL_MAX	16	/* "unread" incl. NUL */
#define IPC_MBOX_KW_MAX		256	/* keywords, space separated */
#define IPC_MBOX_TEXT_MAX	512	/* one reply line's text incl. NUL */

/*
 * One request.  folder and folder2 are canonical folder paths as
 * immp(7) MBOX defines them ("/INBOX", "/Sent", "/Lists/Rust"): the
 * network process has checked the grammar; deliver and the worker check
 * again before any path is built.  account is the session's
 * authenticated account; mailbox the mailbox it works on: the same, or
 * a shared mailbox, which deliver allows only if the "mailboxes" table
 * links account to it.
 */
struct ipc_mbox_req {
	uint64_t	reqid;
	int32_t		op;			/* enum mbox_op */
	uint32_t	flags;			/* MBOXF_* */
	char		account[IPC_ACCOUNT_MAX];
	char		mailbox[IPC_ACCOUNT_MAX];
	char		folder[IPC_FOLDER_MAX];
	char		folder2[IPC_FOLDER_MAX];
	char		uuid[IPC_UUID_MAX];	/* "" unless one message */
	char		part[IPC_MBOX_PART_MAX];	/* FETCH PART, "" */
	char		selector[IPC_MBOX_SEL_MAX];	/* INDEX ::sel, "all" */
	uint32_t	set;			/* FLAG: MBOX_FLAG_* to set */
	uint32_t	clear;			/* FLAG: MBOX_FLAG_* to clear */
	char		kw_set[IPC_MBOX_KW_MAX];	/* FLAG keywords */
	char		kw_clear[IPC_MBOX_KW_MAX];
	uint64_t	since;			/* INDEX SINCE modseq, 0 */
	uint32_t	from_uid;		/* INDEX FROM uid, 0 */
	uint32_t	limit;			/* INDEX LIMIT, 0: all */
};

/*
 * The answer.  code and text form the reply line the network process
 * sends (it adds the pipeline id and CRLF): a success code of immp(7)
 * MBOX, or the 4xx/7xx error.
 *
 * With a descriptor, lines != 0: the descriptor holds reply lines, each
 * "CCC SP text LF" (CCC a three-digit code, text without CR, LF or NUL,
 * at most IPC_MBOX_TEXT_MAX - 1 octets), which the network process
 * sends in order, every one as a continuation line ("CCC-"), and then
 * code/text as the last line.  length is the size of the descriptor's
 * contents in octets.
 *
 * With a descriptor, lines == 0: a literal (MBOX FETCH): code/text is
 * sent first, then exactly length octets read from the descriptor
 * (from offset 0; a file or a memfd, read-only).
 *
 * Events caused by the request (e.g. flags changed) arrive separately
 * as IMSG_MBOX_EVENT, after the result.
 */
struct ipc_mbox_res {
	uint64_t	reqid;
	int32_t		result;			/* IPC_OK, IPC_FAIL, IPC_TEMPFAIL */
	int32_t		code;			/* reply code */
	char		text[IPC_MBOX_TEXT_MAX];	/* reply text */
	uint32_t	lines;			/* see above */
	uint64_t	length;			/* octets behind the fd */
};

/* Kinds of unsolicited notifications (immp(7) NOTIFICATIONS). */
enum mbox_event_kind {
	MBOX_EV_NEW = 1,	/* a message arrived in folder */
	MBOX_EV_FLAGS,		/* flags of folder#uuid changed */
	MBOX_EV_EXPUNGE,	/* folder#uuid was removed (or moved away) */
	MBOX_EV_FOLDER,		/* folder created, deleted or renamed */
};

/*
 * A change in mailbox, to be told to every session working on it.
 * code/text is the notification line (no pipeline id; immp(7)).
 * origin is the reqid of the request that caused it (0: a delivery or
 * another program), so the session that made the change may skip it.
 */
struct ipc_mbox_event {
	uint64_t	origin;
	int32_t		kind;			/* enum mbox_event_kind */
	char		mailbox[IPC_ACCOUNT_MAX];
	char		folder[IPC_FOLDER_MAX];
	char		uuid[IPC_UUID_MAX];
	uint32_t	uid;
	uint64_t	modseq;
	int32_t		code;
	char		text[IPC_MBOX_TEXT_MAX];
};

#endif
