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
 *
 * Mailbox access (immp(7) MBOX): IMSG_MBOX_REQUEST from the network
 * process (fd 5) is checked (strings, folder grammar, account and
 * mailbox: the same, or linked by the "mailboxes" table), the mailbox
 * owner resolved as for a delivery, and the request handed to that
 * owner's worker; its IMSG_MBOX_RESULT (+fd) and IMSG_MBOX_EVENT go
 * back to the network process.
 */

#include <sys/types.h>

#include <db.h>
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
#include "ipc_mbox.h"
#include "ipc_push.h"
#include "log.h"
#include "proc.h"
#include "maildir.h"
#include "mbox_index.h"
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
	struct imsgev		*net;
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

/*
 * The owner of the mailbox with local part local: uid, gid and user
 * name (size usersz).  Returns IPC_OK, or IPC_FAIL / IPC_TEMPFAIL with
 * *why a short static reason.
 */
static int
owner(const char *local, uid_t *uid, gid_t *gid, char *user, size_t usersz,
    const char **why)
{
	struct passwd	*pw;

	if (dl.unpriv) {
		*uid = getuid();
		*gid = getgid();
		strlcpy(user, dl.self, usersz);
		return IPC_OK;
	}
	errno = 0;
	if (dl.conf.maildir_user[0] != '\0')
		pw = getpwnam(dl.conf.maildir_user);
	else
		pw = getpwnam(local);
	if (pw == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH) {
			log_warn("getpwnam");
			*why = "user database unavailable";
			return IPC_TEMPFAIL;
		} else if (dl.conf.maildir_user[0] != '\0') {
			log_warnx("maildir user %s does not exist",
			    dl.conf.maildir_user);
			*why = "maildir user does not exist";
			return IPC_TEMPFAIL;
		}
		*why = "no such system user";
		return IPC_FAIL;
	}
	if (pw->pw_uid == 0) {
		*why = "refusing to deliver as root";
		return IPC_FAIL;
	}
	/*
	 * Without "maildir ... user", the owner is the system user of the
	 * local part: never a system account (daemon, bin, ...).
	 */
	if (dl.conf.maildir_user[0] == '\0' && pw->pw_uid < DELIVER_UID_MIN) {
		*why = "refusing to deliver to a system account";
		return IPC_FAIL;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	strlcpy(user, pw->pw_name, usersz);
	return IPC_OK;
}

static void
queue_deliver(struct imsg *imsg)
{
	struct ipc_mda_deliver	 d;
	const char		*why;
	char			 local[65], sender_local[65], user[256];
	uid_t			 uid;
	gid_t			 gid;
	int			 fd = imsg->fd, rv;

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
	if ((rv = owner(local, &uid, &gid, user, sizeof(user),
	    &why)) != IPC_OK) {
		close(fd);
		reply(d.id, rv, why);
		return;
	}
	if (worker_deliver(uid, gid, user, &d, fd) == -1)
		reply(d.id, IPC_TEMPFAIL, "cannot start a delivery process");
}

/* ---- mailbox access ---- */

static void
mbox_to_net(const struct ipc_mbox_res *res, int fd)
{
	if (imsgev_compose(dl.net, IMSG_MBOX_RESULT, 0, fd, res,
	    sizeof(*res)) == -1)
		fatal("imsg to network");
}

static void
event_to_net(const struct ipc_mbox_event *ev)
{
	if (imsgev_compose(dl.net, IMSG_MBOX_EVENT, 0, -1, ev,
	    sizeof(*ev)) == -1)
		fatal("imsg to network");
}

static void
mbox_reply(uint64_t reqid, int code, const char *text)
{
	struct ipc_mbox_res	res;

	memset(&res, 0, sizeof(res));
	res.reqid = reqid;
	res.code = code;
	res.result = code >= 700 ? IPC_TEMPFAIL : IPC_FAIL;
	strlcpy(res.text, text, sizeof(res.text));
	mbox_to_net(&res, -1);
}

/*
 * 1 if the "mailboxes" table links account to mailbox (key account,
 * value "box@dom[,box@dom...]", any ASCII case), 0 if not, -1 if the
 * table cannot be read.
 */
static int
mailbox_linked(const char *account, const char *mailbox)
{
	struct conf_table	*t;
	DB			*db;
	DBT			 k, v;
	char			 val[4096], *p, *e;
	size_t			 len = strlen(mailbox);
	int			 r, found = 0;

	if (dl.conf.mailboxes_table[0] == '\0' ||
	    (t = conf_table(&dl.conf, dl.conf.mailboxes_table)) == NULL)
		return 0;
	if (db_create(&db, NULL, 0) != 0)
		return -1;
	if ((r = db->open(db, NULL, t->path, NULL, DB_HASH, DB_RDONLY,
	    0)) != 0) {
		log_warnx("table %s: %s", t->path, db_strerror(r));
		db->close(db, 0);
		return -1;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)account;
	k.size = strlen(account);
	r = db->get(db, NULL, &k, &v, 0);
	if (r == 0 && v.size < sizeof(val)) {
		memcpy(val, v.data, v.size);
		val[v.size] = '\0';
		for (p = val; *p != '\0'; p = *e ? e + 1 : e) {
			e = p + strcspn(p, ",");
			while (*p == ' ')
				p++;
			if ((size_t)(e - p) >= len &&
			    strncasecmp(p, mailbox, len) == 0 &&
			    (p[len] == ',' || p[len] == ' ' ||
			    p[len] == '\0'))
				found = 1;
		}
	} else if (r != 0 && r != DB_NOTFOUND) {
		log_warnx("table %s: %s", t->path, db_strerror(r));
		found = -1;
	}
	db->close(db, 0);
	return found;
}

static void
net_request(struct imsg *imsg)
{
	struct ipc_mbox_req	 q;
	const char		*why;
	char			 local[65], alocal[65], user[256];
	uid_t			 uid;
	gid_t			 gid;
	int			 rv, two;

	if (imsg->fd != -1)
		fatalx("network: MBOX_REQUEST with a descriptor");
	memcpy(&q, ipc_payload(imsg, sizeof(q)), sizeof(q));
	if (!ipc_check_str(q.account, sizeof(q.account)) ||
	    !ipc_check_str(q.mailbox, sizeof(q.mailbox)) ||
	    !ipc_check_str(q.folder, sizeof(q.folder)) ||
	    !ipc_check_str(q.folder2, sizeof(q.folder2)) ||
	    !ipc_check_str(q.uuid, sizeof(q.uuid)) ||
	    !ipc_check_str(q.part, sizeof(q.part)) ||
	    !ipc_check_str(q.selector, sizeof(q.selector)) ||
	    !ipc_check_str(q.kw_set, sizeof(q.kw_set)) ||
	    !ipc_check_str(q.kw_clear, sizeof(q.kw_clear)))
		fatalx("network: MBOX_REQUEST: unterminated string");
	if ((q.op < MBOX_OP_LIST || q.op > MBOX_OP_EXPUNGE) &&
	    (q.op < PUSH_OP_FIRST || q.op > PUSH_OP_LAST))
		fatalx("network: MBOX_REQUEST: unknown op %d", q.op);
	if (!account_valid(q.account, alocal, sizeof(alocal)) ||
	    !account_valid(q.mailbox, local, sizeof(local))) {
		mbox_reply(q.reqid, 445, "No access to that mailbox.");
		return;
	}
	/* The folder grammar again, before any path is built. */
	two = q.op == MBOX_OP_RENAME || q.op == MBOX_OP_COPY ||
	    q.op == MBOX_OP_MOVE;
	if (q.op >= PUSH_OP_FIRST) {	/* push_store.c checks its own */
		if (strcasecmp(q.account, q.mailbox) != 0) {
			mbox_reply(q.reqid, 445, "No access to that mailbox.");
			return;
		}
	} else if ((q.op != MBOX_OP_LIST && !mbox_path_valid(q.folder) &&
	    !(q.op == MBOX_OP_CHECK && strcmp(q.folder, "/") == 0)) ||
	    (two && !mbox_path_valid(q.folder2))) {
		mbox_reply(q.reqid, 444, "Invalid folder name.");
		return;
	}
	/* One spelling of the own mailbox: the account's, as delivered. */
	if (strcasecmp(q.account, q.mailbox) == 0)
		strlcpy(q.mailbox, q.account, sizeof(q.mailbox));
	else if ((rv = mailbox_linked(q.account, q.mailbox)) != 1) {
		if (rv == -1)
			mbox_reply(q.reqid, 740,
			    "Mailbox temporarily unavailable.");
		else
			mbox_reply(q.reqid, 445, "No access to that mailbox.");
		return;
	}
	if ((rv = owner(local, &uid, &gid, user, sizeof(user), &why)) !=
	    IPC_OK) {
		log_warnx("mailbox %s: %s", q.mailbox, why);
		if (rv == IPC_FAIL)
			mbox_reply(q.reqid, 445, "No access to that mailbox.");
		else
			mbox_reply(q.reqid, 740,
			    "Mailbox temporarily unavailable.");
		return;
	}
	if (worker_request(uid, gid, user, &q) == -1)
		mbox_reply(q.reqid, 740, "Mailbox temporarily unavailable.");
}

static void
net_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	switch (imsg->hdr.type) {
	case IMSG_MBOX_REQUEST:
		net_request(imsg);
		break;
	default:
		fatalx("network: unexpected imsg type %u", imsg->hdr.type);
	}
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
		worker_shutdown();
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
	if (iev == dl.queue || iev == dl.net) {
		log_info("%s channel closed, exiting", (const char *)arg);
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
	    closed, "queue")) == NULL ||
	    (dl.net = imsgev_new(dl.base, IPC_FD_PEER2, net_dispatch,
	    closed, "network")) == NULL)
		fatal("imsgev_new");
	if ((evchld = evsignal_new(dl.base, SIGCHLD, sigchld, NULL)) == NULL ||
	    evsignal_add(evchld, NULL) == -1)
		fatalx("signal");

	sandbox_drop(SANDBOX_DELIVER, NULL, NULL);
	worker_init(dl.base, &dl.conf, dl.host, dl.unpriv, o.debug,
	    done_to_queue, mbox_to_net, event_to_net);

	if (imsgev_compose(dl.parent, IMSG_CTL_READY, 0, -1, NULL, 0) == -1)
		fatal("imsg to parent");
	event_base_dispatch(dl.base);
	fatalx("event loop ended");
}
