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
 * Mailbox requests in the worker (immp(7) MBOX, team spec "Mailbox
 * access"): mbox_ops.c does the message operations and the dispatch,
 * mbox_folder.c the folders (LIST CHECK CREATE DELETE RENAME), the
 * Maildir root and the index updates after deliveries.  Everything
 * runs as the mailbox owner, in the worker.
 */
#ifndef IMMP_DELIVER_MBOX_OPS_H
#define IMMP_DELIVER_MBOX_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ipc_mbox.h"
#include "mbox_index.h"

/* Called for every change event (sent on to the network process). */
typedef void	(*mbox_event_fn)(const struct ipc_mbox_event *ev, void *arg);

/*
 * mbox_request: performs req (checked again here: folder grammar, uuid,
 * limits) on the Maildir at root (absolute, from the maildir template
 * for req->mailbox) and fills res (reqid, result, code, text, lines,
 * length).  *fdp gets a read-only descriptor (message file or sealed
 * memfd, owned by the caller) or -1.  Change events go to emit with
 * origin req->reqid.  Always answers: errors are 4xx (IPC_FAIL) or 740
 * (IPC_TEMPFAIL).
 */
void	 mbox_request(const struct ipc_mbox_req *req, const char *root,
	    struct ipc_mbox_res *res, int *fdp, mbox_event_fn emit,
	    void *arg);

/* One message a delivery put into new/ (worker.c after a batch). */
struct mbox_delivered {
	const char	*account;	/* mailbox, for events */
	const char	*root;		/* Maildir root */
	const char	*folder;	/* Maildir++ name, NULL: INBOX */
	const char	*name;		/* file name in new/ */
	const char	*uuid;
};

/*
 * mbox_record_delivered: indexes d[0..n), one index open and one sync
 * per folder, and emits MBOX_EV_NEW (150) for each (origin 0).
 * Failures are logged only: the next access rescans the files.
 */
void	 mbox_record_delivered(const struct mbox_delivered *d, size_t n,
	    mbox_event_fn emit, void *arg);

/* ---- shared by mbox_ops.c and mbox_folder.c ---- */

/* A growing buffer of reply lines. */
struct mbox_lines {
	char		*buf;
	size_t		 len, cap;
	uint32_t	 n;
};

/* State of one request. */
struct mbox_ctx {
	const struct ipc_mbox_req	*req;
	const char			*root;
	int				 rootfd;
	struct ipc_mbox_res		*res;
	int				 fd;
	struct mbox_lines		 lines;
	mbox_event_fn			 emit;
	void				*arg;
};

/*
 * mbox_ctx_init: starts a request of mbox_request or push_request
 * (push_store.h): zeroes *res and *c, sets res->reqid from req, c's
 * req, root and res (borrowed, must outlive c), no descriptors
 * (rootfd, fd) and *fdp to -1.  The caller sets emit and arg.
 */
void	 mbox_ctx_init(struct mbox_ctx *c, const struct ipc_mbox_req *req,
	    const char *root, struct ipc_mbox_res *res, int *fdp);

/*
 * mbox_ctx_finish: ends the request of mbox_ctx_init: closes rootfd;
 * on a failed answer closes c->fd and drops the lines; otherwise,
 * without c->fd, puts the lines into a sealed memfd (memfd_sealed; the
 * 740 answer if that fails) and sets res->lines and res->length.
 * *fdp gets the descriptor (owned by the caller) or -1, with lines and
 * length 0.  Frees the lines buffer.
 */
void	 mbox_ctx_finish(struct mbox_ctx *c, int *fdp);

/* mbox_answer: sets the final reply line (code, printf text). */
void	 mbox_answer(struct mbox_ctx *c, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* mbox_line: appends "code text\n" (text cut to fit); 0 or -1. */
int	 mbox_line(struct mbox_ctx *c, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* mbox_event: emits an event of kind for folder (uuid, uid may be 0). */
void	 mbox_event(struct mbox_ctx *c, int kind, const char *folder,
	    const struct mbox_rec *r, int code, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/*
 * mbox_root_open: opens the Maildir root (creating it, and the default
 * folders, when missing; refusing one not owned by us or writable by
 * others) into c->rootfd.  0, or -1 with the 740 answer set.
 */
int	 mbox_root_open(struct mbox_ctx *c);

/*
 * mbox_folder_open: the directory of folder path (canonical) as dirfd
 * and its absolute path into dpath (size); -1 with the answer set
 * (444 bad name, 440 missing, 740).
 */
int	 mbox_folder_open(struct mbox_ctx *c, const char *path, int *dirfd,
	    char *dpath, size_t size);

/*
 * mbox_index_folder: mbox_folder_open and mbox_index_open together;
 * -1 with the answer set.
 */
int	 mbox_index_folder(struct mbox_ctx *c, const char *path,
	    struct mbox_index *ix);

/* Folder operations (mbox_folder.c); each sets the answer. */
void	 mbox_op_list(struct mbox_ctx *c);
void	 mbox_op_check(struct mbox_ctx *c);
void	 mbox_op_create(struct mbox_ctx *c);
void	 mbox_op_delete(struct mbox_ctx *c);
void	 mbox_op_rename(struct mbox_ctx *c);

/* mbox_fail_io: the 740 answer, with errno logged. */
void	 mbox_fail_io(struct mbox_ctx *c, const char *what);

/*
 * mbox_clean_text: s as valid UTF-8 without control characters into
 * out (size), cut at a character boundary.
 */
void	 mbox_clean_text(const char *s, char *out, size_t size);

/* mbox_rfc3339: t as "2026-11-25T14:00:00Z" into out (size >= 21). */
void	 mbox_rfc3339(time_t t, char *out, size_t size);

#endif
