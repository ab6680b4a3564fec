/*
 * Outbound IMMP sessions (outbound.h), the relay side: the jobs that
 * wait per destination domain (queued messages of immp-queue, line jobs
 * of outbound_line), DELIVER TO / PUSH TO, the envelope, DATA with the
 * literal streamed from the spool file, DONE, and the results back to
 * the queue.  At most relay_max_conn sessions per destination carry the
 * jobs, each at most relay_max_msgs of them; the sessions themselves
 * are in outbound.c (outbound_int.h).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>

#include "envelope_wire.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "ipc_push.h"
#include "ipc_relay.h"
#include "log.h"
#include "outbound.h"
#include "outbound_int.h"
#include "push.h"
#include "session.h"
#include "spool.h"
#include "util.h"

static void		 conn_next(struct ob_conn *);
static void		 job_deliver(struct ob_conn *);
static int		 job_envelope(struct ob_conn *);
static int		 job_refused(struct ob_conn *, int, const char *,
			    const char *);
static void		 job_envelope_part(struct ob_conn *);
static void		 job_part(struct ob_conn *);
static void		 job_deliver_reply(struct ob_conn *, int,
			    const char *);
static void		 rcpt_result(struct ob_rcpt *, int, const char *);

/* The next message for an idle, authenticated session, or QUIT. */
static void
conn_next(struct ob_conn *c)
{
	struct ob_dest	*d = c->dest;
	struct ob_job	*j;

	for (;;) {
		if (c->nmsgs >= env->conf.relay_max_msgs ||
		    (j = TAILQ_FIRST(&d->jobs)) == NULL)
			break;
		TAILQ_REMOVE(&d->jobs, j, entry);
		if (j->line != NULL) {	/* outbound_line */
			c->job = j;
			conn_send(c, "%s", j->line);
			c->state = OB_LINE;
			conn_arm(c, OB_STEP_TIMEOUT);
			return;
		}
		if ((j->m.flags & MSGF_SECURE) && c->insecure) {
			log_warnx("relay held uuid=%s domain=%s: +SECURE "
			    "message and the TLS pin check failed; retry in "
			    "%d s", j->m.uuid, d->domain, RELAY_HOLD_SECONDS);
			job_settle(j, IPC_RELAY_HOLD, "TLS pin check failed, "
			    "+SECURE message held");
			job_free(j);
			continue;
		}
		c->job = j;
		c->envmode = c->envskip = 0;
		job_deliver(c);
		return;
	}
	if (c->nmsgs >= env->conf.relay_max_msgs ||
	    TAILQ_EMPTY(&d->jobs) == 0) {
		conn_quit(c);
		return;
	}
	c->state = OB_IDLE;
	conn_arm(c, OB_IDLE_TIMEOUT);
}


/*
 * Jobs.
 */

static void
rcpt_result(struct ob_rcpt *r, int result, const char *why)
{
	struct ipc_relay_result	 rr;

	if (r->settled)
		return;
	r->settled = 1;
	memset(&rr, 0, sizeof(rr));
	rr.id = r->id;
	rr.result = result;
	(void)strlcpy(rr.reason, why, sizeof(rr.reason));
	ob_clean(rr.reason);
	net_compose(env->queue, IMSG_RELAY_RESULT, &rr, sizeof(rr));
}

void
job_settle(struct ob_job *j, int result, const char *why)
{
	size_t	i;

	if (j->line != NULL && j->lreqid != 0) {	/* outbound_line */
		subscribe_line_done(j->lreqid, 0, why);
		j->lreqid = 0;
	}
	for (i = 0; i < j->nrcpt; i++)
		rcpt_result(&j->rcpts[i], result, why);
}

void
job_free(struct ob_job *j)
{
	free(j->line);
	if (j->fd != -1)
		close(j->fd);
	free(j->rcpts);
	free(j);
}

/*
 * The recipient as the sender wrote it: local[+folder]@domain; for a
 * push (MSGF_PUSH, ipc_push.h) the folder is the node's name: not shown.
 */
static void
job_imid(const struct ob_rcpt *r, int push, char *buf, size_t size)
{
	const char	*at = strchr(r->account, '@');

	if (push && r->account[0] == '@')	/* a domain push */
		(void)snprintf(buf, size, "%s", r->account + 1);
	else if (r->folder[0] == '\0' || at == NULL || push)
		(void)snprintf(buf, size, "%s", r->account);
	else
		(void)snprintf(buf, size, "%.*s+%s%s", (int)(at - r->account),
		    r->account, r->folder, at);
}

/*
 * A 420 or 421 "<imid>: reason" (to DELIVER, or to DONE of a message
 * with an envelope) names one recipient: it is settled as refused and
 * the message sent again to the others.  Returns 1 if so, else 0.
 */
static int
job_refused(struct ob_conn *c, int code, const char *text, const char *why)
{
	struct ob_job	*j = c->job;
	char		 one[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	const char	*colon;
	size_t		 i, n;

	if ((code != 420 && code != 421) ||
	    (colon = strstr(text, ": ")) == NULL)
		return (0);
	n = colon - text;
	for (i = 0; i < j->nrcpt; i++) {
		job_imid(&j->rcpts[i], (j->m.flags & MSGF_PUSH) != 0, one,
		    sizeof(one));
		if (!j->rcpts[i].settled && strlen(one) == n &&
		    strncasecmp(one, text, n) == 0)
			break;
	}
	if (i == j->nrcpt)
		return (0);
	log_info("relay uuid=%s rcpt=%s refused: %s", j->m.uuid, one, why);
	rcpt_result(&j->rcpts[i], IPC_FAIL, why);
	c->envmode = 0;
	job_deliver(c);	/* the others again */
	return (1);
}

/*
 * 489 to "PUSH TO <domain>": the domain has no subscriber of our node
 * (its own index decides, draft 3.4.1), so ours are dropped there.
 */
static void
job_no_subscribers(struct ob_job *j)
{
	char		 node[IPC_PUBSUB_NODE_MAX];
	const char	*at = strchr(j->m.sender, '@');
	size_t		 i;
	int		 n;

	if (!(j->m.flags & MSGF_PUSH) || at == NULL)
		return;
	for (i = 0; i < j->nrcpt; i++) {
		if (j->rcpts[i].account[0] != '@')
			continue;
		n = snprintf(node, sizeof(node), "%.*s/%s%s",
		    (int)(at - j->m.sender), j->m.sender, j->rcpts[i].folder,
		    at);
		if (n > 0 && (size_t)n < sizeof(node))
			push_forget(node, j->rcpts[i].account + 1);
	}
}

/* DELIVER TO the recipients not settled yet. */
static void
job_deliver(struct ob_conn *c)
{
	struct ob_job	*j = c->job;
	char		 line[CMD_MAXLINE], one[IPC_ACCOUNT_MAX +
			    IPC_FOLDER_MAX];
	const char	*at;
	size_t		 i, len, n = 0;

	if (!c->envskip && job_envelope(c) == 0)
		return;
	len = strlcpy(line, (j->m.flags & MSGF_PUSH) ? "PUSH TO" :
	    "DELIVER TO", sizeof(line));
	for (i = 0; i < j->nrcpt; i++) {
		if (j->rcpts[i].settled)
			continue;
		job_imid(&j->rcpts[i], (j->m.flags & MSGF_PUSH) != 0, one,
		    sizeof(one));
		len += snprintf(line + len, sizeof(line) - len, " %s", one);
		n++;
	}
	if (n == 0) {
		job_free(j);
		c->job = NULL;
		conn_next(c);
		return;
	}
	if (j->m.flags & MSGF_IMPORTANT)
		len += snprintf(line + len, sizeof(line) - len, " +IMPORTANT");
	if (j->m.flags & MSGF_UNIMPORTANT)
		len += snprintf(line + len, sizeof(line) - len, " -IMPORTANT");
	if (j->m.flags & MSGF_MULTIPART)
		len += snprintf(line + len, sizeof(line) - len, " +MULTIPART");
	if (j->m.flags & MSGF_SECURE)
		len += snprintf(line + len, sizeof(line) - len, " +SECURE");
	if ((j->m.flags & MSGF_PUSH) && (at = strchr(j->m.sender, '@')) !=
	    NULL)	/* "FROM owner/name@domain" (ipc_push.h) */
		(void)snprintf(line + len, sizeof(line) - len,
		    " FROM %.*s/%s%s", (int)(at - j->m.sender), j->m.sender,
		    j->rcpts[0].folder, at);
	else
		(void)snprintf(line + len, sizeof(line) - len, " FROM %s",
		    j->m.sender);
	conn_send(c, "%s", line);
	c->state = OB_DELIVER;
	conn_arm(c, OB_STEP_TIMEOUT);
}

static void
job_deliver_reply(struct ob_conn *c, int code, const char *text)
{
	struct ob_job	*j = c->job;
	char		 why[IPC_REASON_MAX];

	if (code == 270) {
		if (c->parts == NULL && (c->parts = calloc(SPOOL_MAX_PARTS,
		    sizeof(*c->parts))) == NULL)
			fatal("outbound");
		if (spool_read_index(j->fd, c->parts, SPOOL_MAX_PARTS,
		    &c->nparts) == -1 || c->nparts == 0) {
			log_warn("relay uuid=%s: spool file", j->m.uuid);
			job_settle(j, IPC_TEMPFAIL, "spool file unreadable");
			job_free(j);
			c->job = NULL;
			conn_quit(c);
			return;
		}
		c->partcur = 0;
		if (c->envmode) {	/* the envelope first */
			job_envelope_part(c);
			return;
		}
		job_part(c);
		return;
	}
	ob_reply_reason(why, sizeof(why), "DELIVER", code, text);
	if (job_refused(c, code, text, why))
		return;
	if (code == 489)
		job_no_subscribers(j);
	job_settle(j, code >= 700 ? IPC_TEMPFAIL : IPC_FAIL, why);
	job_free(j);
	c->job = NULL;
	conn_next(c);
}

/* The replies of the relay states (conn_reply hands them over). */
void
job_reply(struct ob_conn *c, int code, const char *text)
{
	char	 why[IPC_REASON_MAX];

	switch (c->state) {
	case OB_DELIVER:
		job_deliver_reply(c, code, text);
		return;
	case OB_DATA:
		if (code == 271)
			return;
		if (code != 272) {
			ob_reply_reason(why, sizeof(why), "DATA", code, text);
			job_settle(c->job, code >= 700 ? IPC_TEMPFAIL :
			    IPC_FAIL, why);
			job_free(c->job);
			c->job = NULL;
			c->litleft = 0;
			conn_quit(c);	/* the literal may be cut short */
			return;
		}
		if (++c->partcur < c->nparts) {
			job_part(c);
			return;
		}
		conn_send(c, "DONE");
		c->state = OB_DONE;
		return;
	case OB_DONE:
		if (code == 273) {
			ob_reply_reason(why, sizeof(why), "delivered", code,
			    text);
			job_settle(c->job, IPC_OK, why);
		} else {
			ob_reply_reason(why, sizeof(why), "DONE", code, text);
			/* envelope_wire.h: recipients are refused at DONE */
			if (c->envmode && job_refused(c, code, text, why))
				return;
			job_settle(c->job, code >= 700 ? IPC_TEMPFAIL :
			    IPC_FAIL, why);
		}
		job_free(c->job);
		c->job = NULL;
		c->nmsgs++;
		c->state = OB_IDLE;
		conn_next(c);
		return;
	case OB_LINE:	/* outbound_line: the final reply is the answer */
		if (code >= 300 && code < 400)
			return;
		subscribe_line_done(c->job->lreqid, code, text);
		c->job->lreqid = 0;
		job_free(c->job);
		c->job = NULL;
		c->nmsgs++;
		c->state = OB_IDLE;
		conn_next(c);
		return;
	default:
		fatalx("outbound: relay reply in state %d", c->state);
	}
}

/*
 * A message for a domain whose keys are pinned goes with an envelope
 * (envelope_wire.h): reads the spool index, hashes the parts and asks
 * immp-lookup to sign and seal (OB_ENVELOPE; outbound_env_made goes
 * on).  Returns 0 when it did (or settled the job), -1 when the message
 * goes the plain way: no keys pinned, a push, too many recipients.
 */
static int
job_envelope(struct ob_conn *c)
{
	struct ob_job		*j = c->job;
	struct ipc_env_make	*req;
	char			 one[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	size_t			 i;

	if ((c->keypin.state != KEYPIN_MATCH && c->keypin.state !=
	    KEYPIN_NEW && c->keypin.state != KEYPIN_ROLLOVER) ||
	    (j->m.flags & MSGF_PUSH))
		return (-1);
	if ((req = calloc(1, sizeof(*req))) == NULL)
		fatal("outbound");
	req->reqid = c->id;
	(void)strlcpy(req->origin, c->dest->issuer, sizeof(req->origin));
	(void)strlcpy(req->destination, c->domain, sizeof(req->destination));
	memcpy(req->seal_pk, c->keypin.seal_pk, sizeof(req->seal_pk));
	(void)strlcpy(req->sender, j->m.sender, sizeof(req->sender));
	req->flags = j->m.flags & (MSGF_IMPORTANT | MSGF_UNIMPORTANT |
	    MSGF_MULTIPART | MSGF_SECURE);
	for (i = 0; i < j->nrcpt; i++) {
		if (j->rcpts[i].settled)
			continue;
		job_imid(&j->rcpts[i], 0, one, sizeof(one));
		if (envout_add_rcpt(req, one) == -1) {
			log_info("relay uuid=%s domain=%s: too many "
			    "recipients for one envelope, sent without",
			    j->m.uuid, c->domain);
			free(req);
			c->envskip = 1;
			return (-1);
		}
	}
	if (c->parts == NULL && (c->parts = calloc(SPOOL_MAX_PARTS,
	    sizeof(*c->parts))) == NULL)
		fatal("outbound");
	if (spool_read_index(j->fd, c->parts, SPOOL_MAX_PARTS,
	    &c->nparts) == -1 || c->nparts == 0 ||
	    envout_digest(j->fd, c->parts, c->nparts, req->digest) == -1) {
		log_warn("relay uuid=%s: spool file", j->m.uuid);
		free(req);
		job_settle(j, IPC_TEMPFAIL, "spool file unreadable");
		job_free(j);
		c->job = NULL;
		conn_quit(c);
		return (0);
	}
	free(c->envtext);
	c->envtext = NULL;
	net_compose(env->lookup, IMSG_ENV_MAKE, req, sizeof(*req));
	sodium_memzero(req, sizeof(*req));
	free(req);
	c->state = OB_ENVELOPE;
	conn_arm(c, OB_STEP_TIMEOUT);
	return (0);
}

/* DATA of the envelope part, before the parts of the message. */
static void
job_envelope_part(struct ob_conn *c)
{
	conn_send(c, "DATA NAME \"envelope\" TYPE %s LENGTH %zu",
	    ENVELOPE_TYPE, c->envlen);
	if (evbuffer_add(c->out, c->envtext, c->envlen) == -1)
		fatalx("outbound: out of memory");
	c->partcur = -1;	/* the 272 goes on with part 0 */
	c->litleft = 0;
	c->state = OB_DATA;
	conn_arm(c, OB_STEP_TIMEOUT);
}

/* DATA for the current part, and its literal. */
static void
job_part(struct ob_conn *c)
{
	struct spool_part	*p = &c->parts[c->partcur];
	char			 name[2 * SPOOL_NAME_MAX + 3];
	size_t			 i, n = 0;

	name[n++] = '"';
	for (i = 0; p->name[i] != '\0'; i++) {
		if (p->name[i] == '"' || p->name[i] == '\\')
			name[n++] = '\\';
		name[n++] = p->name[i];
	}
	name[n++] = '"';
	name[n] = '\0';
	conn_send(c, "DATA NAME %s TYPE %s LENGTH %" PRIu64 "%s", name,
	    p->type, p->length, p->content ? " +CONTENT" : "");
	c->litleft = p->length;
	c->litoff = p->offset;
	c->state = OB_DATA;
	conn_arm(c, OB_STEP_TIMEOUT);
	conn_pump(c);
}

/* Moves literal octets from the spool file into the output. */
void
conn_pump(struct ob_conn *c)
{
	char	 buf[OB_CHUNK];
	size_t	 n;

	while (c->litleft > 0 && c->job != NULL &&
	    evbuffer_get_length(c->out) < OB_OUT_HIWAT) {
		n = c->litleft < sizeof(buf) ? c->litleft : sizeof(buf);
		if (pread_full(c->job->fd, c->litoff, buf, n) == -1) {
			log_warn("relay uuid=%s: spool read", c->job->m.uuid);
			(void)strlcpy(c->lasterr, "spool file unreadable",
			    sizeof(c->lasterr));
			/* The literal cannot be completed: drop the session. */
			c->litleft = 0;
			if (c->fd != -1)
				shutdown(c->fd, SHUT_RDWR);
			return;
		}
		if (evbuffer_add(c->out, buf, n) == -1)
			fatalx("outbound: out of memory");
		c->litleft -= n;
		c->litoff += n;
	}
	if (c->wev != NULL && evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
}

/*
 * Destinations.
 */

static struct ob_dest *
dest_get(const char *domain, const char *issuer)
{
	struct ob_dest	*d;

	TAILQ_FOREACH(d, &ob.dests, entry)
		if (strcmp(d->domain, domain) == 0 &&
		    strcmp(d->issuer, issuer) == 0)
			return (d);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		fatal("outbound");
	(void)strlcpy(d->domain, domain, sizeof(d->domain));
	(void)strlcpy(d->issuer, issuer, sizeof(d->issuer));
	TAILQ_INIT(&d->jobs);
	TAILQ_INIT(&d->conns);
	TAILQ_INSERT_TAIL(&ob.dests, d, entry);
	return (d);
}

/* Gives waiting jobs to an idle session or opens one within limits. */
void
dest_kick(struct ob_dest *d)
{
	struct ob_conn	*c;

	if (TAILQ_EMPTY(&d->jobs)) {
		if (d->nconn == 0) {
			TAILQ_REMOVE(&ob.dests, d, entry);
			free(d);
		}
		return;
	}
	TAILQ_FOREACH(c, &d->conns, dentry)
		if (c->state == OB_IDLE) {
			conn_next(c);
			if (c->state != OB_IDLE && c->fd != -1 &&
			    conn_flush(c) == -1)
				conn_fail(c, IPC_TEMPFAIL, c->lasterr);
			return;
		}
	if (d->nconn >= env->conf.relay_max_conn)
		return;
	c = conn_new(OB_RELAY, d->domain);
	c->dest = d;
	TAILQ_INSERT_TAIL(&d->conns, c, dentry);
	d->nconn++;
}

void
dest_fail_all(struct ob_dest *d, int result, const char *why)
{
	struct ob_job	*j;

	while ((j = TAILQ_FIRST(&d->jobs)) != NULL) {
		TAILQ_REMOVE(&d->jobs, j, entry);
		job_settle(j, (j->m.flags & MSGF_SECURE) ||
		    result != IPC_RELAY_HOLD ? result : IPC_TEMPFAIL, why);
		job_free(j);
	}
	if (d->nconn == 0) {
		TAILQ_REMOVE(&ob.dests, d, entry);
		free(d);
	}
}

/*
 * imsg.
 */

int
outbound_queue_imsg(struct imsg *imsg)
{
	struct ipc_relay_rcpt	 rr;
	struct ipc_relay_msg	 rm;
	struct ipc_pin_result	 pr;
	struct ipc_keypin_result kr;
	struct ob_job		*j;
	struct ob_dest		*d;
	struct ob_conn		*c;
	const char		*at;
	char			 issuer[IPC_DOMAIN_MAX];

	switch (imsg->hdr.type) {
	case IMSG_RELAY_RCPT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with RELAY_RCPT");
		memcpy(&rr, ipc_payload(imsg, sizeof(rr)), sizeof(rr));
		if (!ipc_check_str(rr.account, sizeof(rr.account)) ||
		    !ipc_check_str(rr.folder, sizeof(rr.folder)) ||
		    ob.npending >= MSG_MAX_RCPTS)
			fatalx("queue: bad RELAY_RCPT");
		ob.pending[ob.npending].id = rr.id;
		(void)strlcpy(ob.pending[ob.npending].account, rr.account,
		    IPC_ACCOUNT_MAX);
		(void)strlcpy(ob.pending[ob.npending].folder, rr.folder,
		    IPC_FOLDER_MAX);
		ob.pending[ob.npending].settled = 0;
		ob.npending++;
		return (1);
	case IMSG_RELAY_MSG:
		memcpy(&rm, ipc_payload(imsg, sizeof(rm)), sizeof(rm));
		if (!ipc_check_str(rm.uuid, sizeof(rm.uuid)) ||
		    !ipc_check_str(rm.domain, sizeof(rm.domain)) ||
		    !ipc_check_str(rm.sender, sizeof(rm.sender)) ||
		    rm.nrcpt != ob.npending || rm.nrcpt == 0 ||
		    imsg->fd == -1 || !imid_domain_valid(rm.domain) ||
		    (at = strrchr(rm.sender, '@')) == NULL)
			fatalx("queue: bad RELAY_MSG");
		if ((j = calloc(1, sizeof(*j))) == NULL ||
		    (j->rcpts = calloc(rm.nrcpt, sizeof(*j->rcpts))) == NULL)
			fatal("outbound");
		j->m = rm;
		j->fd = imsg->fd;
		j->nrcpt = rm.nrcpt;
		memcpy(j->rcpts, ob.pending, rm.nrcpt * sizeof(*j->rcpts));
		ob.npending = 0;
		/* The cookie is issued for the sender's (local) domain. */
		if (conf_is_local(&env->conf, at + 1))
			ob_lower(issuer, at + 1, sizeof(issuer));
		else
			(void)strlcpy(issuer,
			    TAILQ_FIRST(&env->conf.domains)->name,
			    sizeof(issuer));
		d = dest_get(rm.domain, issuer);
		TAILQ_INSERT_TAIL(&d->jobs, j, entry);
		log_debug("relay uuid=%s domain=%s rcpts=%u queued", rm.uuid,
		    rm.domain, rm.nrcpt);
		dest_kick(d);
		return (1);
	case IMSG_ENV_KEYPIN_RESULT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with KEYPIN_RESULT");
		memcpy(&kr, ipc_payload(imsg, sizeof(kr)), sizeof(kr));
		if ((c = conn_byid(kr.reqid)) == NULL ||
		    c->state != OB_KEYPIN)
			return (1);
		c->keypin = kr;
		if (c->dest == NULL) {
			/* A call-back: the keys are pinned, nothing to send. */
			log_info("outbound %" PRIu64 " call-back domain=%s "
			    "keys=%s", c->id, c->domain,
			    kr.state == KEYPIN_NONE ? "none" :
			    kr.state == KEYPIN_MISMATCH ||
			    kr.state == KEYPIN_GONE ? "refused" :
			    kr.state == KEYPIN_ERROR ? "error" : "pinned");
			conn_quit(c);
			return (1);
		}
		if (kr.state == KEYPIN_MISMATCH || kr.state == KEYPIN_GONE) {
			c->authed = 0;	/* every waiting message waits */
			conn_fail(c, IPC_RELAY_HOLD, kr.state ==
			    KEYPIN_GONE ? "the domain no longer publishes "
			    "its pinned keys" : "the domain's keys changed "
			    "without a rollover (immpctl key pin accept)");
			return (1);
		}
		if (kr.state == KEYPIN_ERROR) {
			c->authed = 0;
			conn_fail(c, IPC_TEMPFAIL, "key pin store unusable");
			return (1);
		}
		c->state = OB_IDLE;
		conn_next(c);
		if (c->state != OB_IDLE && c->fd != -1 && conn_flush(c) == -1)
			conn_fail(c, IPC_TEMPFAIL, c->lasterr);
		return (1);
	case IMSG_RELAY_PIN_RESULT:
		if (imsg->fd != -1)
			fatalx("queue: descriptor with PIN_RESULT");
		memcpy(&pr, ipc_payload(imsg, sizeof(pr)), sizeof(pr));
		if ((c = conn_byid(pr.reqid)) != NULL && c->state == OB_PIN)
			conn_pin(c, pr.state);
		return (1);
	default:
		return (0);
	}
}

void
outbound_line(const char *domain, const char *issuer, const char *line,
    uint64_t reqid)
{
	struct ob_job	*j;
	struct ob_dest	*d;
	char		 dom[IPC_DOMAIN_MAX], iss[IPC_DOMAIN_MAX];

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->line = strdup(line)) == NULL)
		fatal("outbound");
	j->fd = -1;
	j->lreqid = reqid;
	ob_lower(dom, domain, sizeof(dom));
	ob_lower(iss, issuer, sizeof(iss));
	d = dest_get(dom, iss);
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	log_debug("outbound line to %s queued", dom);
	dest_kick(d);
}

void
outbound_env_made(struct imsg *imsg)
{
	struct ipc_env_made	 res;
	struct ob_conn		*c;

	memcpy(&res, ipc_payload(imsg, sizeof(res)), sizeof(res));
	if (!ipc_check_str(res.reason, sizeof(res.reason)) ||
	    (res.result == IPC_OK) != (imsg->fd != -1))
		fatalx("lookup: bad ENV_MADE");
	if ((c = conn_byid(res.reqid)) == NULL || c->state != OB_ENVELOPE ||
	    c->job == NULL) {
		if (imsg->fd != -1)
			close(imsg->fd);
		return;
	}
	if (res.result == IPC_OK) {
		c->envtext = envout_read(imsg->fd, &c->envlen);
		close(imsg->fd);
		if (c->envtext == NULL)
			fatal("lookup: envelope descriptor");
		c->envmode = 1;
		log_debug("relay uuid=%s domain=%s: envelope %zu octets",
		    c->job->m.uuid, c->domain, c->envlen);
		conn_send(c, "DELIVER TO %s", c->domain);
		c->state = OB_DELIVER;
	} else if (res.result == IPC_FAIL) {
		/* No keys of our own to sign with: sent as before. */
		log_info("relay uuid=%s domain=%s: sent without an "
		    "envelope: %s", c->job->m.uuid, c->domain, res.reason);
		c->envskip = 1;
		job_deliver(c);
	} else {
		job_settle(c->job, IPC_TEMPFAIL, res.reason);
		job_free(c->job);
		c->job = NULL;
		conn_quit(c);
	}
	if (c->fd != -1 && conn_flush(c) == -1)
		conn_fail(c, IPC_TEMPFAIL, c->lasterr);
}
