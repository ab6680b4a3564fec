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
 * The receiving side of envelopes on the wire (envelope_wire.h): a
 * Remote session's DELIVER TO <domain>, the envelope part in memory,
 * the digest of the content as it streams, and the checks at DONE.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "envelope.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "keyfile.h"
#include "log.h"
#include "session.h"
#include "spool.h"
#include "trace.h"
#include "util.h"
#include "envelope_wire.h"

#define ENV_FLAGS	(MSGF_IMPORTANT | MSGF_UNIMPORTANT | MSGF_MULTIPART | \
			    MSGF_SECURE)

void
envin_free(struct envin *e)
{
	if (e == NULL)
		return;
	if (e->text != NULL) {
		sodium_memzero(e->text, ENV_MAX + 1);
		free(e->text);
	}
	free(e);
}

void
envin_deliver(struct session *s, const char *domain)
{
	struct message	*m;
	char		 dom[ENV_DOMAIN_MAX];
	size_t		 i;

	for (i = 0; domain[i] != '\0' && i < sizeof(dom) - 1; i++)
		dom[i] = tolower((unsigned char)domain[i]);
	dom[i] = '\0';
	if (domain[i] != '\0' || !imid_domain_valid(dom) ||
	    !conf_is_local(&env->conf, dom)) {
		log_info("relay denied id=%016" PRIx64 " addr=%s from=%s "
		    "rcpt-domain=%s", s->id, s->addr, s->remote, dom);
		session_reply(s, 422, 0, "%s: relaying denied.", dom);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->rcpts = calloc(IPC_ENV_RCPTS, sizeof(*m->rcpts))) == NULL ||
	    (m->env = calloc(1, sizeof(*m->env))) == NULL) {
		log_warn("deliver");
		if (m != NULL)
			free(m->rcpts);
		free(m);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	m->fd = -1;
	(void)strlcpy(m->env->domain, dom, sizeof(m->env->domain));
	env_digest_init(&m->env->dg);
	/* The inner envelope names the sender; until then the domain's. */
	(void)strlcpy(m->sender, "mailer-daemon@", sizeof(m->sender));
	(void)strlcat(m->sender, s->remote, sizeof(m->sender));
	m->state = MSG_RCPT;
	m->rcur = 0;
	m->max_size = env->conf.max_message_size;
	s->msg = m;
	log_info("session id=%016" PRIx64 " from=%s DELIVER TO %s "
	    "(envelope)", s->id, s->remote, dom);
	msg_rcpt_next(s);	/* no recipients yet: the spool file */
}

int
envin_data(struct session *s)
{
	struct message	*m = s->msg;
	struct part	*p = &s->part;
	struct envin	*e = m->env;
	int		 isenv = strcmp(p->type, ENVELOPE_TYPE) == 0;

	if (e == NULL) {
		if (!isenv && strcmp(p->type, ENVELOPE_RECORD_TYPE) != 0)
			return (0);
		session_reply(s, 434, 0, "Bad metadata part: reserved type.");
		return (-1);
	}
	crypto_hash_sha256_init(&e->dg.part);
	e->dg.len = 0;
	e->cur = 0;
	if (strcmp(p->type, ENVELOPE_RECORD_TYPE) == 0) {
		session_reply(s, 434, 0, "Bad metadata part: reserved type.");
		return (-1);
	}
	if (!isenv) {
		if (e->have)
			return (0);
		session_reply(s, 434, 0, "Bad metadata part: the envelope "
		    "must be the first part.");
		return (-1);
	}
	if (e->have || m->nparts != 0) {
		session_reply(s, 434, 0, "Bad metadata part: more than one "
		    "envelope.");
		return (-1);
	}
	if (e->text == NULL && (e->text = malloc(ENV_MAX + 1)) == NULL) {
		log_warn("envelope");
		session_reply(s, 700, 0, "Internal error, try again later.");
		return (-1);
	}
	e->cur = 1;
	e->len = 0;
	e->over = 0;
	return (0);
}

int
envin_store(struct session *s, const void *buf, size_t len)
{
	struct envin	*e = s->msg->env;

	if (e->cur) {
		if (len > ENV_MAX - e->len)
			e->over = 1;
		else {
			memcpy(e->text + e->len, buf, len);
			e->len += len;
		}
		return (1);
	}
	if (!s->part.trace)
		env_digest_data(&e->dg, buf, len);
	return (0);
}

void
envin_envelope_end(struct session *s)
{
	struct part	*p = &s->part;
	struct envin	*e = s->msg->env;

	e->cur = 0;
	if (e->over || e->len == 0) {
		session_replyid(s, p->id, 434, 0, "Bad metadata part: "
		    "envelope %s.", e->over ? "too long" : "empty");
		return;
	}
	e->text[e->len] = '\0';
	e->have = 1;
	session_replyid(s, p->id, 272, 0, "%s Part saved (%zu octets).",
	    p->name, e->len);
}

void
envin_part_done(struct session *s)
{
	struct part	*p = &s->part;
	struct envin	*e = s->msg->env;

	if (p->trace)
		return;
	if (env_digest_part(&e->dg, p->name, p->type, p->content) == -1)
		e->bad = 1;
}

void
envin_refuse(struct session *s, const char *reason)
{
	struct message	*m = s->msg;

	log_warnx("session id=%016" PRIx64 " from=%s uuid=%s "
	    "event=envelope-refused reason=%s", s->id, s->remote,
	    m != NULL ? m->uuid : "-", reason);
	session_reply(s, 437, 0, "Envelope refused: %s.", reason);
	msg_free(s);
}

/* Asks the queue for the pin of the session's origin (WAIT_ENV). */
static void
envin_pin_get(struct session *s)
{
	struct ipc_env_pin_get	 pg;
	size_t			 i;

	memset(&pg, 0, sizeof(pg));
	for (i = 0; s->remote[i] != '\0' && i < sizeof(pg.domain) - 1; i++)
		pg.domain[i] = tolower((unsigned char)s->remote[i]);
	pg.reqid = session_reqid(s);
	s->msg->state = MSG_RCPT;
	net_compose(env->queue, IMSG_ENV_PIN_GET, &pg, sizeof(pg));
	session_wait(s, WAIT_ENV, pg.reqid);
}

void
envin_done(struct session *s)
{
	struct envin	*e = s->msg->env;

	if (!e->have) {
		envin_refuse(s, "no-envelope");
		return;
	}
	env_digest_final(&e->dg, e->digest);
	if (e->bad)
		memset(e->digest, 0, sizeof(e->digest));
	envin_pin_get(s);
}

void
envin_require(struct session *s)
{
	envin_pin_get(s);
}

/*
 * The pin of a DELIVER TO <imid>... message's origin arrived: none, the
 * message goes on; a pin, then the recipients' domain is asked for its
 * keys (envin_keys), since an origin that can seal to it must.
 */
static void
envin_plain_pin(struct session *s, const struct ipc_keypin_result *kr)
{
	struct message		*m = s->msg;
	struct ipc_key_request	 req;
	const char		*d, *at;
	size_t			 i;

	if (kr->state == KEYPIN_NONE) {
		msg_commit(s);
		return;
	}
	if (kr->state != KEYPIN_MATCH) {
		session_reply(s, 720, 0,
		    "Cannot queue the message now, try again later.");
		msg_free(s);
		return;
	}
	/* One domain, as a relay sends; several are not its way. */
	if (m->nrcpt == 0 ||
	    (at = strrchr(m->rcpts[0].account, '@')) == NULL) {
		envin_refuse(s, "envelope-required");
		return;
	}
	d = at + 1;
	for (i = 1; i < m->nrcpt; i++)
		if ((at = strrchr(m->rcpts[i].account, '@')) == NULL ||
		    strcasecmp(at + 1, d) != 0) {
			envin_refuse(s, "envelope-required");
			return;
		}
	memset(&req, 0, sizeof(req));
	for (i = 0; d[i] != '\0' && i < sizeof(req.domain) - 1; i++)
		req.domain[i] = tolower((unsigned char)d[i]);
	req.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_LKA_KEY_REQUEST, &req, sizeof(req));
	session_wait(s, WAIT_KEY, req.reqid);
}

void
envin_keys(struct session *s, const struct ipc_key_result *kr)
{
	struct message	*m = s->msg;

	if (m == NULL || m->env != NULL || m->state != MSG_RCPT)
		fatalx("%s: no key check pending", __func__);
	if (kr->result == IPC_OK)
		envin_refuse(s, "envelope-required");
	else if (kr->result == IPC_FAIL)
		msg_commit(s);		/* no keys: it cannot seal to us */
	else {
		session_reply(s, 720, 0,
		    "Cannot queue the message now, try again later.");
		msg_free(s);
	}
}

void
envin_pin(struct session *s, const struct ipc_keypin_result *kr)
{
	struct message		*m = s->msg;
	struct envin		*e;
	struct ipc_env_check	 ck;
	size_t			 i;
	int			 fd;

	if (m == NULL || m->state != MSG_RCPT)
		fatalx("%s: no envelope check pending", __func__);
	if ((e = m->env) == NULL) {
		envin_plain_pin(s, kr);
		return;
	}
	if (kr->state == KEYPIN_NONE) {
		envin_refuse(s, "unknown-key");
		return;
	}
	if (kr->state != KEYPIN_MATCH || (fd = memfd_sealed("immp-envelope", e->text,
	    e->len)) == -1) {
		if (kr->state == KEYPIN_MATCH)
			log_warn("envelope memfd");
		session_reply(s, 720, 0,
		    "Cannot queue the message now, try again later.");
		msg_free(s);
		return;
	}
	memset(&ck, 0, sizeof(ck));
	ck.reqid = session_reqid(s);
	for (i = 0; s->remote[i] != '\0' && i < sizeof(ck.origin) - 1; i++)
		ck.origin[i] = tolower((unsigned char)s->remote[i]);
	(void)strlcpy(ck.destination, e->domain, sizeof(ck.destination));
	memcpy(ck.digest, e->digest, sizeof(ck.digest));
	memcpy(ck.fp, kr->fp, sizeof(ck.fp));
	memcpy(ck.sign_pk, kr->sign_pk, sizeof(ck.sign_pk));
	memcpy(e->fp, kr->fp, sizeof(e->fp));
	if (imsgev_compose(env->lookup, IMSG_ENV_CHECK, 0, fd, &ck,
	    sizeof(ck)) == -1)
		fatal("imsg to lookup");
	session_wait(s, WAIT_ENV, ck.reqid);
}

/* The inner envelope's sender: "" (a bounce) or one of the origin's. */
static int
envin_sender(struct session *s, const char *sender)
{
	struct imid	 id;
	const char	*errstr;

	if (sender[0] == '\0') {
		(void)strlcpy(s->msg->sender, "mailer-daemon@",
		    sizeof(s->msg->sender));
		(void)strlcat(s->msg->sender, s->remote,
		    sizeof(s->msg->sender));
		return (0);
	}
	if (imid_parse(sender, &id, &errstr) == -1 ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    strcasecmp(id.domain, s->remote) != 0 ||
	    strlcpy(s->msg->sender, sender, sizeof(s->msg->sender)) >=
	    sizeof(s->msg->sender))
		return (-1);
	return (0);
}

void
envin_checked(struct session *s, const struct ipc_env_checked *ec)
{
	struct message	*m = s->msg;
	struct envin	*e;
	uint32_t	 i;

	if (m == NULL || (e = m->env) == NULL || m->state != MSG_RCPT)
		fatalx("%s: no envelope check pending", __func__);
	if (ec->result == IPC_FAIL) {
		envin_refuse(s, ec->reason);
		return;
	}
	if (ec->result != IPC_OK) {
		session_reply(s, 720, 0,
		    "Cannot queue the message now, try again later.");
		msg_free(s);
		return;
	}
	if (envin_sender(s, ec->sender) == -1) {
		envin_refuse(s, "bad-sender");
		return;
	}
	m->flags = ec->flags & ENV_FLAGS;
	e->timestamp = ec->timestamp;
	e->nvia = ec->nvia;
	e->verified = 1;
	for (i = 0; i < ec->nrcpt; i++)
		if (msg_add_rcpt(s, m, ec->rcpt[i]) == -1)
			return;		/* refused and dropped */
	log_info("session id=%016" PRIx64 " from=%s uuid=%s envelope "
	    "verified rcpts=%zu", s->id, s->remote, m->uuid, m->nrcpt);
	m->rcur = 0;
	msg_rcpt_next(s);
}

int
envin_record(struct session *s)
{
	struct message	*m = s->msg;
	struct envin	*e = m->env;
	char		 line[ENV_DOMAIN_MAX + 2 * ENV_FP + 128];
	char		 fp[KEY_FP_HEX];
	int		 n;

	key_fp_hex(e->fp, fp);
	n = snprintf(line, sizeof(line), "origin=%s; signature=valid; "
	    "key=%s; hops=%" PRIu32 "; timestamp=%" PRId64 "\n", s->remote,
	    fp, e->nvia, e->timestamp);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (spool_w_begin(&m->sw, ENVELOPE_RECORD_TYPE, "envelope", 0) ==
	    -1 || spool_w_data(&m->sw, line, (size_t)n) == -1 ||
	    spool_w_end(&m->sw) == -1)
		return (-1);
	return (0);
}
