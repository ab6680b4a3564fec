/*
 * Mailbox access in the network process (DESIGN §3, immp(7) MAILBOXES,
 * MBOX, NOTIFICATIONS).
 *
 *   mbox.c         the MBOX commands: strict parsing of every form,
 *                  state checks, the request to immp-deliver
 *   mbox_stream.c  the answers: single lines, multi-line answers and
 *                  literals streamed from the passed descriptor,
 *                  notifications, POP3-style expunge at QUIT
 *
 * The network process never opens a mailbox: immp-deliver's worker
 * answers every request, long answers and message files come back as
 * passed descriptors (common/ipc_mbox.h).
 */
#ifndef IMMPD_MBOX_H
#define IMMPD_MBOX_H

#include <stdint.h>

#include "ipc_mbox.h"

struct session;
struct cmd;

#define MBOX_SHARED_MAX	8	/* shared mailboxes kept per session */
#define MBOX_NOTES_MAX	1024	/* queued notifications per session */
#define MBOX_DEL_MAX	4096	/* FETCH +DELETE messages per session */
#define MBOX_CHUNK	16384	/* octets read from an answer at once */

/*
 * mbox_cmd: "MBOX <verb> ..." (immp(7) MBOX): 400 syntax, 402 not
 * LOCAL, 444 invalid folder name, 445 other mailbox, else the request
 * goes to immp-deliver and the session waits (WAIT_MBOX).
 */
void	 mbox_cmd(struct session *, const struct cmd *);

/*
 * mbox_send: sends req (reqid set here) to immp-deliver on behalf of s
 * and makes s wait for the answer; req is copied.
 */
void	 mbox_send(struct session *, struct ipc_mbox_req *req);

/*
 * mbox_result: deliver's answer for s (strings and code checked by the
 * caller; fd -1 or a read-only descriptor owned from here): the reply
 * line, or the start of a stream (mbox_pump sends the rest).
 */
void	 mbox_result(struct session *, const struct ipc_mbox_res *, int fd);

/*
 * mbox_event: a change in a mailbox (strings checked by the caller):
 * the notification line goes to every LOCAL session of the mailbox's
 * account and to those that used it as a shared mailbox, except the
 * session that caused it; queued while a session streams an answer.
 */
void	 mbox_event(const struct ipc_mbox_event *);

/*
 * mbox_streaming: 1 while s sends a multi-line answer or a literal
 * from a descriptor (no command may run, no other line may go out).
 */
int	 mbox_streaming(struct session *);

/*
 * mbox_wants_more: 1 if s streams and its output buffer is below
 * SESSION_OUT_HIWAT, so mbox_pump would add more.
 */
int	 mbox_wants_more(struct session *);

/*
 * mbox_pump: adds stream octets to s's output up to SESSION_OUT_HIWAT,
 * MBOX_CHUNK at a time; at the end of a stream, flushes the queued
 * notifications.  A stream that cannot be completed (short or
 * malformed answer) ends with 740 for lines, or closes the session
 * within a literal (its length cannot be kept).
 */
void	 mbox_pump(struct session *);

/*
 * mbox_quit: called by QUIT.  With messages fetched +DELETE (draft
 * 3.2.2) sends MBOX_OP_EXPUNGE for each, waits for the answers, then
 * gives 201 and closes; returns 1.  Returns 0 (QUIT goes on as usual)
 * if there is nothing to expunge.
 */
int	 mbox_quit(struct session *);

/* mbox_free: drops s's mailbox state (stream fd, queued lines). */
void	 mbox_free(struct session *);

#endif
