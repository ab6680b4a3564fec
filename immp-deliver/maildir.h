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
 * Maildir++ delivery (DESIGN §4 step 5, immpd(8) MAILDIR), done by a
 * worker running as the mailbox owner.
 *
 * Layout: <root>/{cur,new,tmp} is the INBOX; folder F is <root>/.F with
 * its own cur, new, tmp and an empty "maildirfolder" file; everything
 * is created mode 0700 (files 0600) when missing.
 * A message is written to tmp/<name>, fsynced, renamed to new/<name>,
 * and new/ is fsynced; name is "<accepted>.<uuid>.<host>".  Only then
 * is its UUID recorded (below) and synced, and the delivery reported.
 * Delivery is idempotent by UUID: when new/<name> or cur/<name>:2,...
 * (or cur/<name>) exists, or the Berkeley DB hash "immp-uuid.db" in
 * the root holds the key "<folder>/<uuid>" ("INBOX/<uuid>" for the
 * INBOX; value: the file name), nothing is written and the delivery
 * succeeds.
 *
 * A batch of deliveries shares the synchronisation: every message of
 * the batch is written to tmp/ first, then all are flushed together
 * (one syncfs(2) per file system on Linux, fsync(2) of each file
 * elsewhere or for a single message), renamed, each new/ directory is
 * fsynced once, and each UUID record gets one sync for the batch.
 */
#ifndef IMMP_DELIVER_MAILDIR_H
#define IMMP_DELIVER_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "mime.h"

#define MAILDIR_UUID_DB	"immp-uuid.db"

/*
 * maildir_folder_valid: 1 if folder may name a Maildir++ folder: 1..64
 * of [A-Za-z0-9_.-], not starting or ending with '.', no "..".  The
 * IMID grammar allows more; deliver checks again before any path is
 * built.
 */
int	 maildir_folder_valid(const char *folder);

/*
 * maildir_hostname: the host part of file names: gethostname() with
 * '/' written as "\057" and ':' as "\072" (Maildir convention), into
 * buf (size).  Returns 0 or -1.
 */
int	 maildir_hostname(char *buf, size_t size);

/*
 * maildir_deliver: delivers the spool file on spoolfd (not owned) into
 * the Maildir at root (absolute path), folder "" or "INBOX" (any case)
 * for the INBOX, composing the message with mime_compose(env).  host is
 * from maildir_hostname.  Returns IPC_OK, IPC_FAIL (malformed message,
 * bad folder) or IPC_TEMPFAIL (I/O error), with a short reason in
 * reason (size reasonsz).
 */
int	 maildir_deliver(const char *root, const char *folder,
	    const struct mime_envelope *env, const char *host, int spoolfd,
	    char *reason, size_t reasonsz);

/* One delivery of a batch: inputs as for maildir_deliver. */
struct maildir_job {
	const char			*root;
	const char			*folder;
	const struct mime_envelope	*env;
	int				 spoolfd;	/* not owned */
	int				 result;	/* out: IPC_* */
	char				 reason[IPC_REASON_MAX]; /* out */
	/* private to maildir.c */
	char				 name[256];
	char				 key[IPC_FOLDER_MAX + IPC_UUID_MAX];
	int				 box;
	int				 state;
};

/*
 * maildir_deliver_batch: performs jobs[0..njobs) (at most
 * MAILDIR_BATCH_MAX) as described above, setting each job's result and
 * reason exactly as maildir_deliver would.  A failure of one message
 * does not fail the others, except that a failed flush or directory
 * sync fails every message it covered (IPC_TEMPFAIL).
 */
#define MAILDIR_BATCH_MAX	64
void	 maildir_deliver_batch(struct maildir_job *jobs, size_t njobs,
	    const char *host);

#endif
