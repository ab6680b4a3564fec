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
 * immp-deliver: local delivery (DESIGN §3-4).  Stays root (its workers
 * change to the mailbox owners), takes IMSG_MDA_DELIVER from the queue,
 * resolves the mailbox owner, and passes the delivery with its spool
 * descriptor to that owner's worker (worker.c), which writes the
 * Maildir (maildir.c).  Results go back as IMSG_MDA_DONE.
 *
 * Owner: with `maildir ... user NAME` that system user; otherwise the
 * system user named like the account's local part, or a permanent
 * failure "no such system user"; in -u mode the invoking user.
 */

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "conf.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"
#include "maildir.h"
#include "mime.h"
#include "sandbox.h"
#include "util.h"
#include "worker.h"

/* The lowest uid of a mailbox owner found by account name (login.defs). */
#define DELIVER_UID_MIN	1000

static struct {
	struct immpd_conf	 conf;
	struct event_base	*base;
	struct imsgev		*parent;
	struct imsgev		*queue;
	char			 host[512];
	char			 self[256];	/* -u: the invoking user */
	int			 unpriv;
} dl;

static void
done_to_queue(const struct ipc_mda_done *d)
{
	if (imsgev_compose(dl.queue, IMSG_MDA_DONE, 0, -1, d,
	    sizeof(*d)) == -1)
		fatal("imsg to queue");
}

static void
reply(uint64_t id, int result, const char *reason)
{
	struct ipc_mda_done	d;

	memset(&d, 0, sizeof(d));
	d.id = id;
	d.result = result;
	strlcpy(d.reason, reason, sizeof(d.reason));
	done_to_queue(&d);
}

/* "local@domain" exactly, per the IMID grammar; local part out. */
static int
account_valid(const char *s, char *local, size_t localsz)
{
	struct imid	 id;
	const char	*err;
	char		 buf[IPC_ACCOUNT_MAX];

	if (strncasecmp(s, "imid:", 5) == 0 ||
	    imid_parse(s, &id, &err) == -1)
		return 0;
	if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0')
		return 0;
	if (imid_account(&id, buf, sizeof(buf)) == -1 ||
	    strcasecmp(buf, s) != 0)
		return 0;
	return strlcpy(local, id.local, localsz) < localsz;
}

static void
queue_deliver(struct imsg *imsg)
{
	struct ipc_mda_deliver	 d;
	struct passwd		*pw;
	char			 local[65], sender_local[65], user[256];
	uid_t			 uid;
	gid_t			 gid;
	int			 fd = imsg->fd;

	if (fd == -1)
		fatalx("queue: MDA_DELIVER without a descriptor");
	memcpy(&d, ipc_payload(imsg, sizeof(d)), sizeof(d));
	if (!ipc_check_str(d.uuid, sizeof(d.uuid)) ||
	    !ipc_check_str(d.account, sizeof(d.account)) ||
	    !ipc_check_str(d.folder, sizeof(d.folder)) ||
	    !ipc_check_str(d.sender, sizeof(d.sender)) ||
	    !ipc_check_str(d.rcpts, sizeof(d.rcpts)))
		fatalx("queue: MDA_DELIVER: unterminated string");
	if (!uuid_valid(d.uuid) ||
	    !account_valid(d.account, local, sizeof(local)) ||
	    !account_valid(d.sender, sender_local, sizeof(sender_local)) ||
	    !mime_header_safe(d.rcpts))
		fatalx("queue: MDA_DELIVER: malformed delivery");

	if (d.folder[0] != '\0' && strcasecmp(d.folder, "INBOX") != 0 &&
	    !maildir_folder_valid(d.folder)) {
		close(fd);
		reply(d.id, IPC_FAIL, "invalid folder name");
		return;
	}

	/* The mailbox owner. */
	if (dl.unpriv) {
		uid = getuid();
		gid = getgid();
		strlcpy(user, dl.self, sizeof(user));
	} else {
		errno = 0;
		if (dl.conf.maildir_user[0] != '\0')
			pw = getpwnam(dl.conf.maildir_user);
		else
			pw = getpwnam(local);
		if (pw == NULL) {
			close(fd);
			if (errno != 0 && errno != ENOENT && errno != ESRCH) {
				log_warn("getpwnam");
				reply(d.id, IPC_TEMPFAIL,
				    "user database unavailable");
			} else if (dl.conf.maildir_user[0] != '\0') {
				log_warnx("maildir user %s does not exist",
				    dl.conf.maildir_user);
				reply(d.id, IPC_TEMPFAIL,
				    "maildir user does not exist");
			} else
				reply(d.id, IPC_FAIL, "no such system user");
			return;
		}
		if (pw->pw_uid == 0) {
			close(fd);
			reply(d.id, IPC_FAIL, "refusing to deliver as root");
			return;
		}
		/*
		 * Without "maildir ... user", the owner is the system user of
		 * the local part: never a system account (daemon, bin, ...).
		 */
		if (dl.conf.maildir_user[0] == '\0' &&
		    pw->pw_uid < DELIVER_UID_MIN) {
			close(fd);
			reply(d.id, IPC_FAIL, "refusing to deliver to a system "
			    "account");
			return;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		strlcpy(user, pw->pw_name, sizeof(user));
	}
	if (worker_deliver(uid, gid, user, &d, fd) == -1)
		reply(d.id, IPC_TEMPFAIL, "cannot start a delivery process");
}

static void
queue_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	switch (imsg->hdr.type) {
	case IMSG_MDA_DELIVER:
		queue_deliver(imsg);
		break;
	default:
		fatalx("queue: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
parent_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	v;

	if (imsg->fd != -1)
		fatalx("parent: unexpected descriptor");
	switch (imsg->hdr.type) {
	case IMSG_CTL_SHUTDOWN:
		log_info("shutdown");
		exit(0);
	case IMSG_CTL_VERBOSE:
		memcpy(&v, ipc_payload(imsg, sizeof(v)), sizeof(v));
		log_setverbose(v);
		break;
	default:
		fatalx("parent: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
closed(struct imsgev *iev, void *arg)
{
	if (iev == dl.queue) {
		log_info("queue channel closed, exiting");
		exit(0);
	}
	fatalx("%s channel closed", (const char *)arg);
}

static void
sigchld(int sig, short ev, void *arg)
{
	worker_reap();
}

int
main(int argc, char *argv[])
{
	struct event	*evchld;
	struct proc_opts o;

	proc_init(argc, argv, "immp-deliver", "deliver", &o, &dl.conf);
	dl.unpriv = o.unpriv;
	if (maildir_hostname(dl.host, sizeof(dl.host)) == -1)
		fatal("gethostname");
	if (!dl.unpriv && geteuid() != 0)
		fatalx("must run as root (or with -u)");
	if (dl.unpriv) {
		struct passwd	*pw = getpwuid(getuid());

		strlcpy(dl.self, pw ? pw->pw_name : "self", sizeof(dl.self));
	}

	if ((dl.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((dl.parent = imsgev_new(dl.base, IPC_FD_PARENT, parent_dispatch,
	    closed, "parent")) == NULL ||
	    (dl.queue = imsgev_new(dl.base, IPC_FD_PEER1, queue_dispatch,
	    closed, "queue")) == NULL)
		fatal("imsgev_new");
	if ((evchld = evsignal_new(dl.base, SIGCHLD, sigchld, NULL)) == NULL ||
	    evsignal_add(evchld, NULL) == -1)
		fatalx("signal");

	sandbox_drop(SANDBOX_DELIVER, NULL, NULL);
	worker_init(dl.base, &dl.conf, dl.host, dl.unpriv, o.debug,
	    done_to_queue);

	if (imsgev_compose(dl.parent, IMSG_CTL_READY, 0, -1, NULL, 0) == -1)
		fatal("imsg to parent");
	event_base_dispatch(dl.base);
	fatalx("event loop ended");
}
