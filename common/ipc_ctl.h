/*
 * Copyright (c) 2026 The immpd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * imsg types of the control socket (immpctl(8) CONTROL PROTOCOL), range
 * 500.. (ipc.h), and of configuration reloads.
 *
 * The network process reads the requests of the control clients, checks
 * their syntax and hands each one, as an ipc_ctl_req, to the process
 * that can answer it: the queue (queue listing, schedule, remove, hold,
 * release, pause and resume of deliveries and relay, statistics), the
 * lookup process (update table) or the parent (log level, reload).  The
 * answer is zero or more IMSG_CTL_LINE, each one output line for the
 * client, then one IMSG_CTL_END, all carrying the request's reqid.
 *
 * A reload (SIGHUP or "immpctl reload") is done by the parent: it reads
 * the configuration file into a sealed memory file, parses it, and on
 * success passes a descriptor of that memory file to the network, queue
 * and lookup processes (IMSG_CTL_RELOAD_CONF), which parse the same
 * octets with conf_parse_fd and take over what may change (conf_reload).
 */
#ifndef IMMP_IPC_CTL_H
#define IMMP_IPC_CTL_H

#include <stdint.h>

#define IPC_CTL_ARG_MAX		256	/* argument incl. NUL */
#define IPC_CTL_TEXT_MAX	1024	/* one output line incl. NUL */

enum ipc_ctl_type {
	/* network -> queue, lookup or parent */
	IMSG_CTL_REQ = 500,		/* struct ipc_ctl_req */
	/* queue, lookup or parent -> network */
	IMSG_CTL_LINE,			/* struct ipc_ctl_line */
	IMSG_CTL_END,			/* struct ipc_ctl_end */
	/* parent -> network, queue, lookup; fd: the configuration */
	IMSG_CTL_RELOAD_CONF,		/* no payload */
};

/* What a request asks for (ipc_ctl_req.op). */
enum ipc_ctl_op {
	CTL_OP_SHOW_QUEUE = 1,	/* queue: one line per recipient */
	CTL_OP_SHOW_ENVELOPE,	/* queue: arg uuid */
	CTL_OP_SCHEDULE,	/* queue: arg uuid or "all" */
	CTL_OP_REMOVE,		/* queue: arg uuid or "all" */
	CTL_OP_HOLD,		/* queue: arg uuid or "all" */
	CTL_OP_RELEASE,		/* queue: arg uuid or "all" */
	CTL_OP_PAUSE,		/* queue: which CTL_WHICH_DELIVER/RELAY */
	CTL_OP_RESUME,		/* queue: as CTL_OP_PAUSE */
	CTL_OP_STATS,		/* queue: counters, "key=value" lines */
	CTL_OP_LOG,		/* parent: which 0 brief, 1 verbose */
	CTL_OP_RELOAD,		/* parent */
	CTL_OP_UPDATE_TABLE,	/* lookup: arg table name */
};

/* ipc_ctl_req.which for CTL_OP_PAUSE and CTL_OP_RESUME. */
#define CTL_WHICH_DELIVER	1
#define CTL_WHICH_RELAY		2

struct ipc_ctl_req {
	uint64_t	reqid;
	int32_t		op;			/* enum ipc_ctl_op */
	int32_t		which;
	char		arg[IPC_CTL_ARG_MAX];	/* "" when unused */
};

/* One output line: printable ASCII, no LF, NUL-terminated. */
struct ipc_ctl_line {
	uint64_t	reqid;
	char		text[IPC_CTL_TEXT_MAX];
};

/* The end of an answer: IPC_OK or IPC_FAIL with a reason in text. */
struct ipc_ctl_end {
	uint64_t	reqid;
	int32_t		result;
	char		text[IPC_CTL_TEXT_MAX];
};

#endif
