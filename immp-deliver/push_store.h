/*
 * The notification store of a mailbox owner (draft 3.2.3, 3.4; immp(7)
 * PUSH, SUBSCRIBE), kept in the owner's Maildir root and written only
 * by the owner's worker:
 *
 *   immp-push/<uuid>        pushes accepted (a subscribed or approved
 *                           publisher)
 *   immp-push-held/<uuid>   pushes of any other publisher, never shown
 *                           live, until approved or dropped
 *   immp-subscriptions      "<uuid> <node> <title>" lines
 *   immp-approved           "<node>" lines
 *
 * A push file is "immp-push 1", "publisher <node>", "received <unix>",
 * "important <0|1>", "length <n>" lines, an empty line, then n octets.
 * Files are written to a temporary name, synced and renamed, so a
 * retried delivery finds the first one ("already delivered").
 */
#ifndef IMMP_DELIVER_PUSH_STORE_H
#define IMMP_DELIVER_PUSH_STORE_H

#include "ipc.h"
#include "maildir.h"
#include "mbox_ops.h"

#define PUSH_DIR	"immp-push"
#define PUSH_HELD_DIR	"immp-push-held"
#define PUSH_SUBS_FILE	"immp-subscriptions"
#define PUSH_APPR_FILE	"immp-approved"
#define PUSH_LIST_MAX	1000	/* entries listed, newest names first */

/*
 * push_deliver: files the push d (MSGF_PUSH set; its spool descriptor is
 * job->spoolfd, its Maildir root job->root) into the store or the held
 * list, and for the store calls emit(ev, arg) with the live line
 * (PUSH_CODE_EVENT or PUSH_CODE_IMPORTANT, ipc_push.h).  Sets
 * job->result (IPC_OK, IPC_FAIL for a malformed push, IPC_TEMPFAIL for
 * an I/O error) and job->reason.  Draft 3.2.3, 3.4.1.
 */
void	 push_deliver(const struct ipc_mda_deliver *d, struct maildir_job *job,
	    mbox_event_fn emit, void *arg);

/*
 * push_request: performs one PUSH_OP_* request (ipc_push.h) in the
 * Maildir root root, with the contract of mbox_request (mbox_ops.h):
 * *res is the answer, *fdp -1 or a descriptor with its reply lines (the
 * caller closes it).  Draft 3.4, immp(7) PUSH, SUBSCRIBE.
 */
void	 push_request(const struct ipc_mbox_req *req, const char *root,
	    struct ipc_mbox_res *res, int *fdp);

#endif
