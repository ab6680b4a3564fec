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
 * immp-queue: the durable queue (DESIGN §3-4).  Start-up, the imsg
 * channels, and the network side of the protocol: spool file creation,
 * recipients, commit and rollback.  Durability is in commit.c, delivery
 * scheduling in scheduler.c, the files in store.c.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "commit.h"
#include "conf.h"
#include "control.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_ctl.h"
#include "ipc_env.h"
#include "ipc_push.h"
#include "ipc_relay.h"
#include "keypins.h"
#include "log.h"
#include "proc.h"
#include "relay.h"
#include "sandbox.h"
#include "scheduler.h"
#include "spool.h"
#include "store.h"
#include "util.h"

/* A message being received from the network process. */
struct inmsg {
	TAILQ_ENTRY(inmsg)	 entry;
	char			 uuid[IPC_UUID_MAX];
	int			 fd;		/* spool file, rw */
	uint64_t		 spool;		/* its pool number */
	int			 committing;
	int			 nrcpt;
	struct env_rcpt		 rcpt[ENV_MAX_RCPT];
	struct commit_req	 req;
	uint64_t		 reqid;		/* of the MSG_COMMIT */
	uint32_t		 peerid;
};

TAILQ_HEAD(inmsg_list, inmsg);

/* Incoming messages, hashed on the first octet of their random UUID. */
#define INMSG_BUCKETS	256

static struct {
	struct immpd_conf	 conf;
	struct store		 st;
	struct event_base	*base;
	struct imsgev		*parent;
	struct imsgev		*net;
	struct imsgev		*mda;
	struct inmsg_list	 incoming[INMSG_BUCKETS];
	int			 nincoming;
} q;

static struct inmsg_list *
inmsg_bucket(const char *uuid)
{
	unsigned int	h;

	h = (unsigned char)uuid[0] * 31 + (unsigned char)uuid[1];
	return &q.incoming[h % INMSG_BUCKETS];
}

static struct inmsg *
inmsg_find(const char *uuid)
{
	struct inmsg	*im;

	if (!uuid_valid(uuid))
		return NULL;
	TAILQ_FOREACH(im, inmsg_bucket(uuid), entry)
		if (strcmp(im->uuid, uuid) == 0)
			return im;
	return NULL;
}

static void
inmsg_free(struct inmsg *im)
{
	TAILQ_REMOVE(inmsg_bucket(im->uuid), im, entry);
	q.nincoming--;
	if (im->fd != -1)
		close(im->fd);
	free(im);
}

static void
net_create(struct imsg *imsg)
{
	struct ipc_msg_create	 c;
	struct ipc_msg_created	 r;
	struct inmsg		*im;
	int			 fd, dupfd = -1;

	memcpy(&c, ipc_payload(imsg, sizeof(c)), sizeof(c));
	memset(&r, 0, sizeof(r));
	r.reqid = c.reqid;
	r.result = IPC_TEMPFAIL;
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		log_warn("create");
		goto reply;
	}
	if ((fd = store_create(&q.st, im->uuid, &im->spool)) == -1) {
		log_warn("create incoming message");
		free(im);
		goto reply;
	}
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("create: dup");
		close(fd);
		store_pool_release(&q.st, im->spool);
		free(im);
		goto reply;
	}
	im->fd = fd;
	TAILQ_INSERT_TAIL(inmsg_bucket(im->uuid), im, entry);
	q.nincoming++;
	r.result = IPC_OK;
	strlcpy(r.uuid, im->uuid, sizeof(r.uuid));
	log_debug("created uuid=%s", im->uuid);
reply:
	if (imsgev_compose(q.net, IMSG_QUEUE_MSG_CREATED, imsg->hdr.peerid,
	    dupfd, &r, sizeof(r)) == -1)
		fatal("imsg to network");
}

static void
net_rcpt(struct imsg *imsg)
{
	struct ipc_msg_rcpt	 m;
	struct inmsg		*im;
	struct env_rcpt		*r;
	const char		*dom;

	memcpy(&m, ipc_payload(imsg, sizeof(m)), sizeof(m));
	if (!ipc_check_str(m.uuid, sizeof(m.uuid)) ||
	    !ipc_check_str(m.account, sizeof(m.account)) ||
	    !ipc_check_str(m.folder, sizeof(m.folder)))
		fatalx("network: MSG_RCPT: unterminated string");
	if ((im = inmsg_find(m.uuid)) == NULL || im->committing)
		fatalx("network: MSG_RCPT for unknown message");
	if (!store_rcpt_valid(m.account) ||
	    (m.folder[0] != '\0' && !store_folder_valid(m.folder)))
		fatalx("network: MSG_RCPT: invalid recipient");
	/* Remote recipients are relayed (relay.c; the network checked). */
	if ((dom = strrchr(m.account, '@')) == NULL)
		fatalx("network: MSG_RCPT: recipient without a domain");
	if (im->nrcpt >= ENV_MAX_RCPT)
		fatalx("network: MSG_RCPT: too many recipients");
	r = &im->rcpt[im->nrcpt++];
	strlcpy(r->account, m.account, sizeof(r->account));
	strlcpy(r->folder, m.folder, sizeof(r->folder));
	r->state = RCPT_PENDING;
}

static void
net_reply_committed(uint64_t reqid, uint32_t peerid, int result,
    const char *uuid)
{
	struct ipc_msg_committed	r;

	memset(&r, 0, sizeof(r));
	r.reqid = reqid;
	r.result = result;
	strlcpy(r.uuid, uuid, sizeof(r.uuid));
	if (imsgev_compose(q.net, IMSG_QUEUE_MSG_COMMITTED, peerid, -1, &r,
	    sizeof(r)) == -1)
		fatal("imsg to network");
}

static void
net_committed(struct commit_req *req, int result, void *arg)
{
	struct inmsg	*im = arg;
	char		 uuid[IPC_UUID_MAX];

	strlcpy(uuid, im->uuid, sizeof(uuid));
	net_reply_committed(im->reqid, im->peerid, result, uuid);
	if (result == IPC_OK) {
		log_info("msg accepted uuid=%s sender=%s size=%llu rcpts=%d",
		    uuid, req->env.sender,
		    (unsigned long long)req->env.size, req->env.nrcpt);
		qctl_count_accepted();
		sched_add(&req->env);
	} else {
		log_warnx("msg not accepted uuid=%s: commit failed", uuid);
		env_free(&req->env);
	}
	inmsg_free(im);
}

/* Checks the received spool file before it may be committed. */
static const char *
verify_spool(struct inmsg *im, uint64_t size)
{
	static struct spool_part	 parts[SPOOL_MAX_PARTS];
	struct stat			 sb;
	int				 n;

	if (fstat(im->fd, &sb) == -1 || (uint64_t)sb.st_size != size)
		return "size mismatch";
	if (spool_read_index(im->fd, parts, SPOOL_MAX_PARTS, &n) == -1)
		return "malformed spool file";
	if (n == 0)
		return "no parts";
	return NULL;
}

static void
net_commit(struct imsg *imsg)
{
	struct ipc_msg_commit	 c;
	struct inmsg		*im;
	struct envelope		*env;
	const char		*err;
	int			 i;

	memcpy(&c, ipc_payload(imsg, sizeof(c)), sizeof(c));
	if (!ipc_check_str(c.uuid, sizeof(c.uuid)) ||
	    !ipc_check_str(c.sender, sizeof(c.sender)) ||
	    !ipc_check_str(c.peer, sizeof(c.peer)))
		fatalx("network: MSG_COMMIT: unterminated string");
	if ((im = inmsg_find(c.uuid)) == NULL || im->committing)
		fatalx("network: MSG_COMMIT for unknown message");
	if (c.nrcpt != (uint32_t)im->nrcpt || im->nrcpt == 0)
		fatalx("network: MSG_COMMIT: %u recipients announced, %d sent",
		    c.nrcpt, im->nrcpt);
	if (!store_account_valid(c.sender) || !store_peer_valid(c.peer) ||
	    (c.flags & ~(MSGF_IMPORTANT | MSGF_UNIMPORTANT | MSGF_MULTIPART |
	    MSGF_SECURE | MSGF_BOUNCE | MSGF_PUSH)) != 0)
		fatalx("network: MSG_COMMIT: invalid sender, peer or flags");
	/*
	 * "@domain": a push to another domain's subscribers (ipc_push.h);
	 * one of our domains only while a reload reaches the processes.
	 */
	err = NULL;
	for (i = 0; i < im->nrcpt; i++)
		if (im->rcpt[i].account[0] == '@') {
			if (!(c.flags & MSGF_PUSH))
				fatalx("network: MSG_COMMIT: domain "
				    "recipient %s", im->rcpt[i].account);
			if (!relay_remote(&q.conf, im->rcpt[i].account))
				err = "domain push to a domain of ours";
		}
	if (err != NULL || (err = verify_spool(im, c.size)) != NULL) {
		log_warnx("msg refused uuid=%s: %s", im->uuid, err);
		net_reply_committed(c.reqid, imsg->hdr.peerid, IPC_FAIL,
		    im->uuid);
		store_pool_release(&q.st, im->spool);
		inmsg_free(im);
		return;
	}
	im->committing = 1;
	im->reqid = c.reqid;
	im->peerid = imsg->hdr.peerid;
	env = &im->req.env;
	strlcpy(env->uuid, im->uuid, sizeof(env->uuid));
	strlcpy(env->sender, c.sender, sizeof(env->sender));
	strlcpy(env->peer, c.peer, sizeof(env->peer));
	env->accepted = time(NULL);
	env->flags = c.flags & ~MSGF_BOUNCE;
	env->size = c.size;
	env->bounce = (c.flags & MSGF_BOUNCE) != 0;
	env->nrcpt = im->nrcpt;
	if ((env->rcpt = calloc(im->nrcpt, sizeof(*env->rcpt))) == NULL) {
		log_warn("commit");
		net_reply_committed(c.reqid, imsg->hdr.peerid, IPC_TEMPFAIL,
		    im->uuid);
		store_pool_release(&q.st, im->spool);
		inmsg_free(im);
		return;
	}
	memcpy(env->rcpt, im->rcpt, im->nrcpt * sizeof(*env->rcpt));
	im->req.fd = im->fd;
	im->req.spool = im->spool;
	im->req.done = net_committed;
	im->req.arg = im;
	commit_add(&im->req);
}

static void
net_rollback(struct imsg *imsg)
{
	struct ipc_msg_ref	 m;
	struct inmsg		*im;

	memcpy(&m, ipc_payload(imsg, sizeof(m)), sizeof(m));
	if (!ipc_check_str(m.uuid, sizeof(m.uuid)))
		fatalx("network: MSG_ROLLBACK: unterminated string");
	if ((im = inmsg_find(m.uuid)) == NULL) {
		log_debug("rollback of unknown uuid");
		return;
	}
	if (im->committing)
		fatalx("network: MSG_ROLLBACK during commit");
	log_debug("rollback uuid=%s", im->uuid);
	store_pool_release(&q.st, im->spool);
	inmsg_free(im);
}

static void
net_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg->fd != -1)
		fatalx("network: unexpected descriptor");
	switch (imsg->hdr.type) {
	case IMSG_QUEUE_MSG_CREATE:
		net_create(imsg);
		break;
	case IMSG_QUEUE_MSG_RCPT:
		net_rcpt(imsg);
		break;
	case IMSG_QUEUE_MSG_COMMIT:
		net_commit(imsg);
		break;
	case IMSG_QUEUE_MSG_ROLLBACK:
		net_rollback(imsg);
		break;
	case IMSG_RELAY_RESULT:
		relay_result(imsg);
		break;
	case IMSG_RELAY_PIN_CHECK:
		relay_pin_check(imsg);
		break;
	case IMSG_ENV_KEYPIN_CHECK:	/* domain key pins, keypins.c */
	case IMSG_ENV_PIN_GET:
		keypins_imsg(imsg);
		break;
	case IMSG_CTL_REQ:
		qctl_request(imsg);
		break;
	default:
		fatalx("network: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
mda_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ipc_mda_done	d;

	if (imsg->fd != -1)
		fatalx("deliver: unexpected descriptor");
	switch (imsg->hdr.type) {
	case IMSG_MDA_DONE:
		memcpy(&d, ipc_payload(imsg, sizeof(d)), sizeof(d));
		if (!ipc_check_str(d.reason, sizeof(d.reason)))
			fatalx("deliver: MDA_DONE: unterminated string");
		sched_mda_done(&d);
		break;
	default:
		fatalx("deliver: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
parent_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	v;

	if (imsg->hdr.type == IMSG_CTL_RELOAD_CONF) {
		qctl_reload(imsg);
		return;
	}
	if (imsg->fd != -1)
		fatalx("parent: unexpected descriptor");
	switch (imsg->hdr.type) {
	case IMSG_CTL_SHUTDOWN:
		log_info("shutdown: %d queued, %d being received",
		    sched_count(), q.nincoming);
		commit_shutdown();
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
	fatalx("%s channel closed", (const char *)arg);
}

static void
recovered(struct envelope *env, void *arg)
{
	log_debug("recovered uuid=%s", env->uuid);
	sched_add(env);
}

/* The queue directories belong to the queue user. */
static void
chown_dirs(const char *user)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown queue-user %s", user);
	if (fchown(q.st.root, pw->pw_uid, pw->pw_gid) == -1 ||
	    fchown(q.st.incoming, pw->pw_uid, pw->pw_gid) == -1 ||
	    fchown(q.st.queue, pw->pw_uid, pw->pw_gid) == -1 ||
	    fchown(q.st.journal, pw->pw_uid, pw->pw_gid) == -1 ||
	    fchown(q.st.pool, pw->pw_uid, pw->pw_gid) == -1 ||
	    fchown(q.st.corrupt, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", q.conf.queue_dir);
}

int
main(int argc, char *argv[])
{
	struct proc_opts o;
	uint64_t	 nextseq;
	int		 unpriv, n;

	proc_init(argc, argv, "immp-queue", "queue", &o, &q.conf);
	unpriv = o.unpriv;
	umask(077);
	if (store_open(q.conf.queue_dir, &q.st) == -1)
		fatal("queue directory %s", q.conf.queue_dir);
	if (!unpriv && geteuid() == 0)
		chown_dirs(q.conf.queue_user);
	for (n = 0; n < INMSG_BUCKETS; n++)
		TAILQ_INIT(&q.incoming[n]);

	if ((q.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((q.parent = imsgev_new(q.base, IPC_FD_PARENT, parent_dispatch,
	    closed, "parent")) == NULL ||
	    (q.net = imsgev_new(q.base, IPC_FD_PEER1, net_dispatch, closed,
	    "network")) == NULL ||
	    (q.mda = imsgev_new(q.base, IPC_FD_PEER2, mda_dispatch, closed,
	    "deliver")) == NULL)
		fatal("imsgev_new");

	sandbox_drop(SANDBOX_QUEUE, unpriv ? NULL : q.conf.queue_user,
	    unpriv ? NULL : q.conf.queue_dir);

	commit_init(q.base, &q.st);
	qctl_init(q.net, &q.conf);
	sched_init(q.base, &q.conf, &q.st, q.mda, SCHED_MAX_INFLIGHT);
	relay_init(q.base, &q.conf, q.net, !unpriv);
	keypins_init(&q.conf, q.net, !unpriv);
	if ((n = store_recover(&q.st, recovered, NULL, &nextseq)) == -1)
		fatal("recovery");
	commit_start(nextseq);
	log_info("startup: %d message%s in the queue", n, n == 1 ? "" : "s");

	if (imsgev_compose(q.parent, IMSG_CTL_READY, 0, -1, NULL, 0) == -1)
		fatal("imsg to parent");
	event_base_dispatch(q.base);
	fatalx("event loop ended");
}
