/*
 * Message reception in the network process (immp(7) DELIVER, DATA,
 * DONE; DESIGN §4).
 *
 *   DELIVER TO <imid>... [+IMPORTANT|-IMPORTANT] [+MULTIPART] [+SECURE]
 *     every recipient is checked with immp-lookup, one at a time; then
 *     immp-queue creates the spool file and passes its descriptor: 270.
 *   DATA [NAME] <name> [TYPE <type>] [LENGTH <n>] [+BASE64] [+CONTENT]
 *     271, the data (a literal of n octets, or base64 lines ended by
 *     two empty lines), 272.  Base64 is checked and decoded with
 *     libsodium on whole 4-character groups as it arrives.
 *   DONE
 *     the spool file is finished, the recipients and the commit go to
 *     the queue; 273 only once the queue says the message is durable.
 *
 * Parts go straight into the spool file (spool.h).  A part that turns
 * out bad (invalid base64, bad metadata) is dropped by rewinding the
 * writer and truncating the file; the message stays open.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "imid.h"
#include "ipc.h"
#include "ipc_push.h"
#include "ipc_relay.h"
#include "log.h"
#include "mime.h"
#include "session.h"
#include "set.h"
#include "spool.h"
#include "trace.h"
#include "envelope_wire.h"
#include "util.h"

#define B64_CHUNK	4096	/* base64 characters decoded per call */
#define DEFAULT_TYPE	"application/octet-stream"
#define LENGTH_DIGITS	20

struct data_args {
	const char	*name;
	const char	*type;
	int		 havelen;
	uint64_t	 len;
	int		 base64;
	int		 content;
};

static const char *const meta_headers[] = {
	"Subject", "In-Reply-To", "References", "Reply-To", "Cc", NULL
};

static void	 msg_refuse(struct session *, struct message *, int,
		    const char *, const char *);
static void	 msg_create(struct session *);
static void	 msg_copies_failed(struct session *);
static int	 msg_from(struct session *, const char *, const char **);
static void	 msg_drop(struct session *);
static const char *imid_text(const char *, char *, size_t);
static int	 data_length(const struct cmd *, uint64_t *);
static int	 data_parse(const struct cmd *, struct data_args *,
		    const char **);
static void	 data_discard(struct session *, const struct data_args *);
static int	 type_lower(const char *, char *, size_t);
static void	 part_reset(struct session *);
static int	 part_drop(struct session *);
static void	 part_write(struct session *, const void *, size_t);
static void	 part_store(struct session *, const void *, size_t);
static int	 part_inflated(void *, const void *, size_t);
static void	 part_b64(struct session *, const char *, size_t);
static int	 part_b64_chunk(struct session *, const char *, size_t);
static const char *meta_check(const uint8_t *, size_t);
static const char *meta_line(const char *, size_t, int *);

/*
 * The IMID as shown in a reply: at most size - 1 octets, cut on a UTF-8
 * character boundary (the command parser already checked the UTF-8).
 */
static const char *
imid_text(const char *s, char *buf, size_t size)
{
	size_t	 len = strlen(s);

	if (len >= size) {
		len = size - 4;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		memcpy(buf, s, len);
		memcpy(buf + len, "...", 4);
		return (buf);
	}
	memcpy(buf, s, len + 1);
	return (buf);
}

/*
 * DELIVER TO
 */

static void
msg_refuse(struct session *s, struct message *m, int code,
    const char *imid, const char *reason)
{
	char	 text[MSG_IMID_MAX];

	session_reply(s, code, 0, "%s: %s", imid_text(imid, text,
	    sizeof(text)), reason);
	if (m->env != NULL && s->msg == m) {	/* at DONE: envelope_in.c */
		log_warnx("session id=%016" PRIx64 " from=%s uuid=%s "
		    "event=envelope-refused reason=recipient", s->id,
		    s->remote, m->uuid);
		msg_free(s);
		return;
	}
	if (s->msg == m)
		s->msg = NULL;
	free(m->rcpts);
	free(m);
}

/* Adds one recipient to m; 0, or -1 after a 420/421 reply. */
int
msg_add_rcpt(struct session *s, struct message *m, const char *word)
{
	struct imid	 id;
	struct rcpt	*r;
	const char	*errstr;
	size_t		 i;

	if (imid_parse(word, &id, &errstr) == -1) {
		msg_refuse(s, m, 421, word, errstr);
		return (-1);
	}
	if (id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0') {
		msg_refuse(s, m, 421, word, "not a mailbox address");
		return (-1);
	}
	/* Shared mailboxes are not delivered to yet. */
	if (id.shared[0] != '\0') {
		msg_refuse(s, m, 420, word, "recipient refused.");
		return (-1);
	}
	/*
	 * Relay policy (immp(7) RELAY): a local user may send anywhere, a
	 * remote domain (AUTH COOKIE) only to our domains.
	 */
	if (!conf_is_local(&env->conf, id.domain) &&
	    s->state != STATE_LOCAL) {
		log_info("relay denied id=%016" PRIx64 " addr=%s from=%s "
		    "rcpt-domain=%s", s->id, s->addr, s->state ==
		    STATE_REMOTE ? s->remote : "-", id.domain);
		msg_refuse(s, m, 422, word, "relaying denied.");
		return (-1);
	}
	r = &m->rcpts[m->nrcpt];
	memset(r, 0, sizeof(*r));
	r->remote = !conf_is_local(&env->conf, id.domain);
	if (imid_account(&id, r->account, sizeof(r->account)) == -1 ||
	    strlcpy(r->folder, id.folder, sizeof(r->folder)) >=
	    sizeof(r->folder)) {
		msg_refuse(s, m, 421, word, "too long");
		return (-1);
	}
	(void)imid_text(word, r->imid, sizeof(r->imid));
	for (i = 0; i < m->nrcpt; i++)
		if (strcmp(m->rcpts[i].account, r->account) == 0 &&
		    strcmp(m->rcpts[i].folder, r->folder) == 0)
			return (0);	/* duplicate: deliver once */
	m->nrcpt++;
	return (0);
}

void
msg_deliver(struct session *s, const struct cmd *c)
{
	static const char *const sw[] = {
		"IMPORTANT", "MULTIPART", "SECURE", NULL
	};
	struct message	*m;
	const char	*errstr, *from = NULL;
	size_t		 n;
	int		 i, nw = c->nwords;

	if (s->state != STATE_LOCAL && s->state != STATE_REMOTE) {
		log_info("relay denied id=%016" PRIx64 " addr=%s from=- "
		    "reason=not-authenticated", s->id, s->addr);
		session_reply(s, 402, 0, "Authentication required.");
		return;
	}
	if (s->msg != NULL) {
		session_reply(s, 402, 0, "A message is already open.");
		return;
	}
	if (limit_message(s) == -1) {	/* limit.c */
		session_reply(s, 751, 0,
		    "Too many messages, try again later.");
		return;
	}
	if (c->nwords < 3 || !cmd_kw(c, 1, "TO")) {
		session_reply(s, 400, 0, "Syntax: DELIVER TO <imid>... "
		    "[+IMPORTANT|-IMPORTANT] [+MULTIPART] [+SECURE].");
		return;
	}
	/* DELIVER TO <domain>: the recipients are in the envelope. */
	if (s->state == STATE_REMOTE && c->nwords == 3 && !c->quoted[2] &&
	    strchr(c->word[2], '@') == NULL) {
		envin_deliver(s, c->word[2]);
		return;
	}
	if (cmd_check_switches(c, sw, &errstr) == -1 ||
	    cmd_switch(c, "MULTIPART") == 0 || cmd_switch(c, "SECURE") == 0) {
		session_reply(s, 400, 0, "Bad switch.");
		return;
	}
	/* "FROM <account>" ends the line of a relayed message. */
	if (nw >= 5 && !c->quoted[nw - 2] && cmd_kw(c, nw - 2, "FROM")) {
		from = c->word[nw - 1];
		nw -= 2;
	}
	if (msg_from(s, from, &errstr) == -1) {
		session_reply(s, 400, 0, "Bad FROM: %s.", errstr);
		return;
	}
	n = nw - 2;
	if (n > MSG_MAX_RCPTS) {
		session_reply(s, 400, 0, "Too many recipients.");
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->rcpts = calloc(n, sizeof(*m->rcpts))) == NULL) {
		log_warn("deliver");
		free(m);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	m->fd = -1;
	if (cmd_switch(c, "IMPORTANT") == 1)
		m->flags |= MSGF_IMPORTANT;
	else if (cmd_switch(c, "IMPORTANT") == 0)
		m->flags |= MSGF_UNIMPORTANT;
	if (cmd_switch(c, "MULTIPART") == 1)
		m->flags |= MSGF_MULTIPART;
	if (cmd_switch(c, "SECURE") == 1)
		m->flags |= MSGF_SECURE;
	if (s->state == STATE_REMOTE && from != NULL)
		(void)strlcpy(m->sender, from, sizeof(m->sender));
	else if (s->state == STATE_REMOTE) {
		(void)strlcpy(m->sender, "mailer-daemon@", sizeof(m->sender));
		(void)strlcat(m->sender, s->remote, sizeof(m->sender));
	}
	else
		(void)strlcpy(m->sender, s->account, sizeof(m->sender));
	for (i = 2; i < nw; i++)
		if (msg_add_rcpt(s, m, c->word[i]) == -1)
			return;
	m->state = MSG_RCPT;
	m->rcur = 0;
	/* A reload does not change the limit of a message under way. */
	m->max_size = env->conf.max_message_size;
	s->msg = m;
	msg_rcpt_next(s);
}

void
msg_open(struct session *s, struct message *m, uint64_t max_size)
{
	m->fd = -1;
	m->state = MSG_RCPT;
	m->rcur = 0;
	m->max_size = max_size;
	s->msg = m;
	msg_rcpt_next(s);
}

/*
 * FROM (immp(7) RELAY): only in the Remote state, an account of the
 * authenticated domain.  0, or -1 with *err.
 */
static int
msg_from(struct session *s, const char *from, const char **err)
{
	struct imid	 id;
	char		 acct[IPC_ACCOUNT_MAX];

	if (from == NULL)
		return (0);
	if (s->state != STATE_REMOTE) {
		*err = "only for a remote domain";
		return (-1);
	}
	if (strlen(from) >= IPC_ACCOUNT_MAX ||
	    imid_parse(from, &id, err) == -1)
		return (-1);
	if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0' ||
	    imid_account(&id, acct, sizeof(acct)) == -1 ||
	    strcmp(acct, from) != 0) {
		*err = "not a plain account";
		return (-1);
	}
	if (strcasecmp(id.domain, s->remote) != 0) {
		*err = "not in the authenticated domain";
		return (-1);
	}
	return (0);
}

void
msg_rcpt_next(struct session *s)
{
	struct ipc_rcpt_check	 rc;

	/* Remote recipients are checked by their own domain. */
	while (s->msg->rcur < s->msg->nrcpt &&
	    s->msg->rcpts[s->msg->rcur].remote)
		s->msg->rcur++;
	if (s->msg->rcur == s->msg->nrcpt) {
		if (s->msg->env != NULL && s->msg->env->verified)
			msg_commit(s);
		else
			msg_create(s);
		return;
	}
	memset(&rc, 0, sizeof(rc));
	(void)strlcpy(rc.account, s->msg->rcpts[s->msg->rcur].account,
	    sizeof(rc.account));
	rc.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_LKA_RCPT_CHECK, &rc, sizeof(rc));
	session_wait(s, WAIT_RCPT, rc.reqid);
}

/*
 * A fan-out (m->fanout, subscribe.c: PUBLISH TO, PUSH TO <domain>)
 * leaves out a subscriber that is refused on its own (420, 424) rather
 * than failing the push for every other one; with none left: 292, or
 * for a domain push from another domain 489 (m->fanout_none).
 */
static void
msg_fanout_skip(struct session *s, struct message *m, const char *why)
{
	log_info("publish id=%016" PRIx64 " rcpt=%s skipped: %s", s->id,
	    m->rcpts[m->rcur].account, why);
	memmove(&m->rcpts[m->rcur], &m->rcpts[m->rcur + 1],
	    (m->nrcpt - m->rcur - 1) * sizeof(*m->rcpts));
	if (--m->nrcpt == 0) {
		if (m->fanout_none[0] != '\0') {
			log_info("push id=%016" PRIx64 ": %s", s->id,
			    m->fanout_none);
			session_reply(s, 489, 0, "%s", m->fanout_none);
		} else
			session_reply(s, 292, 0, "No subscribers.");
		msg_free(s);
		return;
	}
	msg_rcpt_next(s);
}

void
msg_rcpt_result(struct session *s, const struct ipc_rcpt_result *rr)
{
	struct message		*m = s->msg;

	if (m == NULL || m->state != MSG_RCPT)
		fatalx("%s: no recipient check pending", __func__);
	if (rr->result == IPC_FAIL && m->fanout) {
		msg_fanout_skip(s, m, "unknown recipient");
		return;
	}
	if (rr->result == IPC_FAIL) {
		msg_refuse(s, m, 420, m->rcpts[m->rcur].imid,
		    "recipient refused.");
		return;
	}
	if (rr->result != IPC_OK) {
		session_reply(s, 700, 0, "Internal error, try again later.");
		msg_free(s);
		return;
	}
	/* Blocked senders (draft 3.10): msg_block_result goes on. */
	set_block_check(s, m->rcpts[m->rcur].account, m->sender);
}

void
msg_block_result(struct session *s, int result, int by)
{
	struct message		*m = s->msg;

	if (m == NULL || m->state != MSG_RCPT)
		fatalx("%s: no recipient check pending", __func__);
	if (result == IPC_FAIL && by == BLOCK_BY_USER && m->fanout) {
		msg_fanout_skip(s, m, "the recipient blocks the sender");
		return;
	}
	if (result == IPC_FAIL) {
		msg_refuse(s, m, by == BLOCK_BY_USER ? 424 : 423,
		    m->rcpts[m->rcur].imid, by == BLOCK_BY_USER ?
		    "recipient does not accept messages from this sender." :
		    "sender refused by this server.");
		return;
	}
	if (result != IPC_OK) {
		session_reply(s, 700, 0, "Internal error, try again later.");
		msg_free(s);
		return;
	}
	++m->rcur;
	msg_rcpt_next(s);
}

/* Every recipient is checked: asks the queue for a spool file. */
static void
msg_create(struct session *s)
{
	struct ipc_msg_create	 mc;

	memset(&mc, 0, sizeof(mc));
	mc.reqid = session_reqid(s);
	s->msg->state = MSG_CREATE;
	net_compose(env->queue, IMSG_QUEUE_MSG_CREATE, &mc, sizeof(mc));
	session_wait(s, WAIT_CREATE, mc.reqid);
}

void
msg_orphan_created(const struct ipc_msg_created *cr, int fd)
{
	struct ipc_msg_ref	 ref;

	if (fd != -1)
		close(fd);
	if (cr->result != IPC_OK || !uuid_valid(cr->uuid))
		return;
	memset(&ref, 0, sizeof(ref));
	ref.reqid = cr->reqid;
	(void)strlcpy(ref.uuid, cr->uuid, sizeof(ref.uuid));
	net_compose(env->queue, IMSG_QUEUE_MSG_ROLLBACK, &ref, sizeof(ref));
}

void
msg_created(struct session *s, const struct ipc_msg_created *cr, int fd)
{
	struct message	*m = s->msg;

	if (m == NULL || m->state != MSG_CREATE)
		fatalx("%s: no spool file requested", __func__);
	if (cr->result != IPC_OK || fd == -1) {
		if (cr->result == IPC_OK)
			log_warnx("%s: queue sent no descriptor", __func__);
		msg_orphan_created(cr, fd);
		msg_copies_failed(s);
		return;
	}
	if (!uuid_valid(cr->uuid))
		fatalx("%s: bad uuid from the queue", __func__);
	(void)strlcpy(m->uuid, cr->uuid, sizeof(m->uuid));
	m->fd = fd;
	m->state = MSG_OPEN;
	if (m->copy != NULL) {		/* the next copy of a fan-out */
		if (lseek(fd, 0, SEEK_SET) == -1 ||
		    write_full(fd, m->copy, m->copylen) == -1 ||
		    ftruncate(fd, (off_t)m->copylen) == -1) {
			log_warn("spool %s", m->uuid);
			msg_copies_failed(s);
			return;
		}
		msg_commit(s);
		return;
	}
	if (spool_w_init(&m->sw, fd) == -1) {
		log_warn("spool %s", m->uuid);
		session_reply(s, 720,
		    0, "Cannot queue the message now, try again later.");
		msg_free(s);
		return;
	}
	log_debug("session %016" PRIx64 ": message %s open, %zu recipients",
	    s->id, m->uuid, m->nrcpt);
	session_reply(s, 270, 0, "Ready for DATA.");
}

/* Drops the message after a spool failure (rollback). */
static void
msg_drop(struct session *s)
{
	session_replyid(s, s->part.id, 720, 0,
	    "Cannot queue the message now, try again later.");
	msg_free(s);
}

void
msg_free(struct session *s)
{
	struct message		*m = s->msg;
	struct ipc_msg_ref	 ref;

	part_reset(s);
	if (m == NULL)
		return;
	if (m->fd != -1)
		close(m->fd);
	/* A message being committed belongs to the queue now. */
	if (m->uuid[0] != '\0' && m->state != MSG_COMMIT) {
		memset(&ref, 0, sizeof(ref));
		ref.reqid = session_reqid(s);
		(void)strlcpy(ref.uuid, m->uuid, sizeof(ref.uuid));
		net_compose(env->queue, IMSG_QUEUE_MSG_ROLLBACK, &ref,
		    sizeof(ref));
	}
	free(m->rcpts);
	free(m->trace);
	free(m->copy);
	envin_free(m->env);
	free(m);
	s->msg = NULL;
}

/*
 * DATA
 */

/* Finds "LENGTH <n>"; 1 with *n if there is exactly one parseable. */
static int
data_length(const struct cmd *c, uint64_t *n)
{
	const char	*p;
	uint64_t	 v;
	int		 i, found = 0;

	for (i = 1; i < c->nwords - 1; i++) {
		if (c->quoted[i] || !cmd_kw(c, i, "LENGTH"))
			continue;
		if (found++)
			return (0);
		p = c->word[i + 1];
		if (*p == '\0' || strlen(p) > LENGTH_DIGITS)
			return (0);
		for (v = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9' ||
			    v > (UINT64_MAX - (*p - '0')) / 10)
				return (0);
			v = v * 10 + (*p - '0');
		}
		*n = v;
		i++;
	}
	return (found == 1);
}

/* Parses the DATA words.  0, or -1 with *err. */
static int
data_parse(const struct cmd *c, struct data_args *a, const char **err)
{
	static const char *const sw[] = { "BASE64", "CONTENT", NULL };
	const char	**slot;
	int		 i;

	memset(a, 0, sizeof(*a));
	a->havelen = data_length(c, &a->len);
	a->base64 = cmd_switch(c, "BASE64") == 1;
	a->content = cmd_switch(c, "CONTENT") == 1;
	if (cmd_check_switches(c, sw, err) == -1)
		return (-1);
	if (cmd_switch(c, "BASE64") == 0 || cmd_switch(c, "CONTENT") == 0) {
		*err = "unknown switch";
		return (-1);
	}
	for (i = 1; i < c->nwords; i++) {
		slot = NULL;
		if (!c->quoted[i] && cmd_kw(c, i, "NAME"))
			slot = &a->name;
		else if (!c->quoted[i] && cmd_kw(c, i, "TYPE"))
			slot = &a->type;
		else if (!c->quoted[i] && cmd_kw(c, i, "LENGTH")) {
			if (!a->havelen) {
				*err = "bad LENGTH";
				return (-1);
			}
			i++;
			continue;
		} else if (a->name == NULL) {
			a->name = c->word[i];
			continue;
		} else {
			*err = "unexpected word";
			return (-1);
		}
		if (*slot != NULL || i + 1 >= c->nwords) {
			*err = "repeated or empty parameter";
			return (-1);
		}
		*slot = c->word[++i];
	}
	return (0);
}

/* A refused DATA: its data, if the client will send some, is skipped. */
static void
data_discard(struct session *s, const struct data_args *a)
{
	part_reset(s);
	if (!a->havelen && !a->base64)
		return;
	s->part.active = 1;
	s->part.discard = 1;
	if (a->havelen)
		session_literal(s, a->len);
	else
		session_b64lines(s);
}

/* Lower-cases a MIME type into buf; -1 if it does not fit. */
static int
type_lower(const char *type, char *buf, size_t size)
{
	size_t	 i;

	if (strlen(type) >= size)
		return (-1);
	for (i = 0; type[i] != '\0'; i++)
		buf[i] = tolower((unsigned char)type[i]);
	buf[i] = '\0';
	return (0);
}

void
msg_data(struct session *s, const struct cmd *c)
{
	struct data_args	 a;
	struct message		*m = s->msg;
	struct part		*p = &s->part;
	const char		*err = NULL;
	char			 defname[SPOOL_NAME_MAX];

	if (data_parse(c, &a, &err) == -1) {
		session_reply(s, 430, 0, "Bad DATA parameters: %s.", err);
		goto refused;
	}
	if (s->state == STATE_UNENCRYPTED) {
		session_reply(s, 403, 0,
		    "TLS required: use UPGRADE TLS first.");
		goto refused;
	}
	if (m == NULL || m->state != MSG_OPEN) {
		session_reply(s, 433, 0, "No DELIVER in progress.");
		goto refused;
	}
	if (!a.havelen && !a.base64) {
		session_reply(s, 430, 0, "DATA needs LENGTH or +BASE64.");
		return;
	}
	if (!session_last_cmd(s)) {
		session_reply(s, 430, 0, "DATA must end its line.");
		session_skip_rest(s);
		goto refused;
	}
	if (m->nparts >= SPOOL_MAX_PARTS) {
		session_reply(s, 430, 0, "Too many parts.");
		goto refused;
	}
	if (a.havelen && !a.base64 &&
	    a.len > m->max_size - m->size) {
		session_reply(s, 432, 0, "Message too large.");
		session_close(s, "message-too-large");
		return;
	}

	part_reset(s);
	if (a.name == NULL) {
		(void)snprintf(defname, sizeof(defname), "part%d",
		    m->nparts + 1);
		a.name = defname;
	}
	if (a.type == NULL)
		a.type = DEFAULT_TYPE;
	if (strlcpy(p->name, a.name, sizeof(p->name)) >= sizeof(p->name) ||
	    type_lower(a.type, p->type, sizeof(p->type)) == -1) {
		session_reply(s, 430, 0, "Bad DATA parameters: too long.");
		goto refused;
	}
	p->meta = strcmp(p->type, MSG_META_TYPE) == 0;
	/* The relay trace (trace.h) comes only from a remote domain. */
	if ((p->trace = strcmp(p->type, TRACE_TYPE) == 0)) {
		if (s->state != STATE_REMOTE) {
			session_reply(s, 434, 0, "Bad metadata part: "
			    "reserved type.");
			goto refused;
		}
		p->meta = 1;	/* kept in memory like the metadata */
	}
	if (envin_data(s) == -1)	/* envelope_in.c */
		goto refused;
	if (p->meta && (p->metabuf = malloc(MSG_META_MAX)) == NULL) {
		log_warn("data");
		session_reply(s, 700, 0, "Internal error, try again later.");
		goto refused;
	}
	p->saved = m->sw;
	if (spool_w_begin(&m->sw, p->type, p->name, a.content) == -1) {
		if (errno != EINVAL) {
			log_warn("spool %s", m->uuid);
			session_reply(s, 720, 0,
			    "Cannot queue the message now, try again later.");
			msg_free(s);
		} else
			session_reply(s, 430, 0,
			    "Bad DATA parameters: bad name or type.");
		goto refused;
	}
	p->active = 1;
	p->base64 = a.base64;
	p->content = a.content;
	(void)strlcpy(p->id, s->cmdid != NULL ? s->cmdid : "", sizeof(p->id));
	/* COMPRESSION=GZIP: the data is one gzip member (set.h). */
	if (set_compression(s) == SET_COMP_GZIP &&
	    (p->zin = zlit_inflate_new(m->max_size - m->size)) == NULL) {
		log_warn("data");
		session_reply(s, 700, 0, "Internal error, try again later.");
		if (part_drop(s) == 0)
			goto refused;
		return;
	}
	session_reply(s, 271, 0, "%s Saving part.", p->name);
	if (a.havelen)
		session_literal(s, a.len);
	else
		session_b64lines(s);
	return;

 refused:
	if (!s->closing)
		data_discard(s, &a);
}

static void
part_reset(struct session *s)
{
	struct part	*p = &s->part;

	if (p->metabuf != NULL) {
		sodium_memzero(p->metabuf, MSG_META_MAX);
		free(p->metabuf);
	}
	zlit_free(p->zin);
	memset(p, 0, sizeof(*p));
}

/*
 * Forgets the current part: rewinds the writer and truncates the file.
 * 0, or -1 after the message was dropped with 720.
 */
static int
part_drop(struct session *s)
{
	struct message	*m = s->msg;

	m->size -= s->part.len;
	m->sw = s->part.saved;
	if (ftruncate(m->fd, m->sw.off) == -1) {
		log_warn("spool %s: truncate", m->uuid);
		msg_drop(s);
		return (-1);
	}
	return (0);
}

/* zlit_inflate's output: 1 stops inflating (the part is given up). */
static int
part_inflated(void *arg, const void *buf, size_t len)
{
	struct session	*s = arg;

	part_store(s, buf, len);
	return (s->part.discard || s->closing);
}

/*
 * Decoded octets of the current part; with COMPRESSION=GZIP inflated
 * first.  A bomb ends at the message's size limit: 432, as for any
 * message too large.
 */
static void
part_write(struct session *s, const void *buf, size_t len)
{
	struct part	*p = &s->part;
	int		 r;

	if (p->zin == NULL) {
		part_store(s, buf, len);
		return;
	}
	if (p->badz)
		return;
	r = zlit_inflate(p->zin, buf, len, part_inflated, s);
	if (r == ZLIT_TOOBIG) {
		session_replyid(s, p->id, 432, 0, "Message too large.");
		session_close(s, "message-too-large");
		p->discard = 1;
	} else if (r != ZLIT_OK)
		p->badz = 1;
}

/* Octets of the current part as stored. */
static void
part_store(struct session *s, const void *buf, size_t len)
{
	struct part	*p = &s->part;
	struct message	*m = s->msg;

	if (len > m->max_size - m->size) {
		session_replyid(s, p->id, 432, 0, "Message too large.");
		session_close(s, "message-too-large");
		p->discard = 1;
		return;
	}
	p->len += len;
	m->size += len;
	if (m->env != NULL && envin_store(s, buf, len))
		return;		/* the envelope, in memory */
	if (p->meta) {
		if (len > MSG_META_MAX - p->metalen) {
			p->metaover = 1;
			return;
		}
		memcpy(p->metabuf + p->metalen, buf, len);
		p->metalen += len;
		return;
	}
	if (p->failed)
		return;
	if (spool_w_data(&m->sw, buf, len) == -1) {
		log_warn("spool %s", m->uuid);
		p->failed = 1;
	}
}

/* 1 if text[0..n) holds only RFC 4648 base64 characters and "=". */
static int
b64_alphabet(const char *text, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isascii((unsigned char)text[i]) ||
		    (!isalnum((unsigned char)text[i]) && text[i] != '+' &&
		    text[i] != '/' && text[i] != '='))
			return (0);
	return (1);
}

/* Decodes n (a multiple of 4) base64 characters.  0, or -1 if invalid. */
static int
part_b64_chunk(struct session *s, const char *text, size_t n)
{
	struct part	*p = &s->part;
	uint8_t		 bin[B64_CHUNK / 4 * 3];
	const char	*end;
	size_t		 binlen;

	/*
	 * The alphabet is checked first: some libsodium versions decode
	 * octets 0x80-0xff as "/" instead of refusing them.
	 */
	if (p->padded || !b64_alphabet(text, n) ||
	    sodium_base642bin(bin, sizeof(bin), text, n, NULL,
	    &binlen, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != text + n) {
		p->bad64 = 1;
		return (-1);
	}
	if (text[n - 1] == '=')
		p->padded = 1;	/* the end of the data */
	part_write(s, bin, binlen);
	return (0);
}

/* Base64 text of the current part; CR and LF are skipped. */
static void
part_b64(struct session *s, const char *buf, size_t len)
{
	struct part	*p = &s->part;
	char		 text[B64_CHUNK];
	size_t		 i, n, full;

	if (p->bad64)
		return;
	memcpy(text, p->b64, p->nb64);
	n = p->nb64;
	p->nb64 = 0;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			continue;
		text[n++] = buf[i];
		if (n == sizeof(text)) {
			if (part_b64_chunk(s, text, n) == -1 || p->discard)
				return;
			n = 0;
		}
	}
	full = n - n % 4;
	if (full > 0 && (part_b64_chunk(s, text, full) == -1 || p->discard))
		return;
	memcpy(p->b64, text + full, n - full);
	p->nb64 = n - full;
}

void
msg_input(struct session *s, const char *buf, size_t len)
{
	struct part	*p = &s->part;

	if (!p->active || p->discard || s->msg == NULL)
		return;
	if (p->base64)
		part_b64(s, buf, len);
	else
		part_write(s, buf, len);
}

void
msg_line(struct session *s, const char *buf, size_t len)
{
	msg_input(s, buf, len);
}

void
msg_part_end(struct session *s)
{
	struct part	*p = &s->part;
	struct message	*m = s->msg;
	const char	*why;

	if (!p->active || p->discard || m == NULL) {
		part_reset(s);
		return;
	}
	if (p->base64 && p->nb64 != 0)
		p->bad64 = 1;
	if (p->failed) {
		msg_drop(s);
		return;
	}
	if (p->bad64) {
		if (part_drop(s) == 0)
			session_replyid(s, p->id, 431, 0,
			    "%s: invalid base64.", p->name);
		part_reset(s);
		return;
	}
	if (p->zin != NULL &&
	    (p->badz || zlit_inflate_end(p->zin) != ZLIT_OK)) {
		if (part_drop(s) == 0)
			session_replyid(s, p->id, 436, 0,
			    "%s: invalid gzip data.", p->name);
		part_reset(s);
		return;
	}
	if (m->env != NULL && m->env->cur) {
		/* Not a part of the message either (envelope_in.c). */
		if (part_drop(s) == 0)
			envin_envelope_end(s);
		part_reset(s);
		return;
	}
	if (p->trace && !p->metaover) {
		/* Not a part of the message: kept aside (relay_trace.c). */
		if (part_drop(s) == 0)
			trace_part_end(s);
		part_reset(s);
		return;
	}
	if (p->meta) {
		if (p->metaover)
			why = "part too large";
		else if (m->has_meta)
			why = "more than one metadata part";
		else if ((why = meta_check(p->metabuf, p->metalen)) == NULL)
			/* The composer's own rules, so a 273 never bounces. */
			(void)mime_meta_check(p->metabuf, p->metalen, &why);
		if (why != NULL) {
			if (part_drop(s) == 0)
				session_replyid(s, p->id, 434, 0,
				    "Bad metadata part: %s.", why);
			part_reset(s);
			return;
		}
		if (spool_w_data(&m->sw, p->metabuf, p->metalen) == -1) {
			log_warn("spool %s", m->uuid);
			msg_drop(s);
			return;
		}
		m->has_meta = 1;
	}
	if (m->env != NULL)
		envin_part_done(s);	/* its line of the digest */
	if (spool_w_end(&m->sw) == -1) {
		log_warn("spool %s", m->uuid);
		msg_drop(s);
		return;
	}
	m->nparts++;
	session_replyid(s, p->id, 272, 0, "%s Part saved (%" PRIu64
	    " octets).", p->name, p->len);
	part_reset(s);
}

/*
 * The metadata part: header lines "Name: value" for the names in
 * meta_headers only, each at most once, no folding, values that
 * mime_header_safe accepts; empty lines only at the end.  NULL if the
 * part is good, else the reason.
 */
static const char *
meta_check(const uint8_t *buf, size_t len)
{
	const char	*p = (const char *)buf, *nl, *why;
	size_t		 linelen;
	int		 seen = 0, blank = 0;

	if (memchr(buf, '\0', len) != NULL)
		return ("NUL octet");
	while (len > 0) {
		if ((nl = memchr(p, '\n', len)) != NULL)
			linelen = nl - p;
		else
			linelen = len;
		len -= linelen + (nl != NULL);
		if (linelen > 0 && p[linelen - 1] == '\r')
			linelen--;
		if (linelen == 0)
			blank = 1;
		else if (blank)
			return ("empty line between headers");
		else if ((why = meta_line(p, linelen, &seen)) != NULL)
			return (why);
		p = nl != NULL ? nl + 1 : p + linelen;
	}
	return (NULL);
}

/* One metadata header line (no CRLF).  NULL if good, else the reason. */
static const char *
meta_line(const char *line, size_t len, int *seen)
{
	char		 value[MSG_META_MAX + 1];
	const char	*colon, *v;
	size_t		 namelen, i;

	if (line[0] == ' ' || line[0] == '\t')
		return ("folded header line");
	if ((colon = memchr(line, ':', len)) == NULL)
		return ("line without a header name");
	namelen = colon - line;
	for (i = 0; meta_headers[i] != NULL; i++)
		if (strlen(meta_headers[i]) == namelen &&
		    strncasecmp(line, meta_headers[i], namelen) == 0)
			break;
	if (meta_headers[i] == NULL)
		return ("header not allowed");
	if (*seen & (1 << i))
		return ("repeated header");
	*seen |= 1 << i;
	v = colon + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	memcpy(value, v, line + len - v);
	value[line + len - v] = '\0';
	if (!mime_header_safe(value))
		return ("bad header value");
	return (NULL);
}

/*
 * DONE
 */

void
msg_done(struct session *s, const struct cmd *c)
{
	struct message		*m = s->msg;

	if (c->nwords != 1 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: DONE.");
		return;
	}
	if (m == NULL || m->state != MSG_OPEN) {
		session_reply(s, 433, 0, "No DELIVER in progress.");
		return;
	}
	if (m->nparts == 0) {
		session_reply(s, 433, 0, "Empty message.");
		return;
	}
	if ((m->flags & MSGF_PUSH) && m->nparts != 1) {	/* push.c */
		session_reply(s, 484, 0, "A push has exactly one DATA block.");
		return;
	}
	if (m->env != NULL) {	/* checked first (envelope_in.c) */
		envin_done(s);
		return;
	}
	if (s->state == STATE_REMOTE && !(m->flags & MSGF_PUSH)) {
		envin_require(s);	/* a pinned origin: envelope_in.c */
		return;
	}
	msg_commit(s);
}

/*
 * A copy of a fan-out could not be queued: the copies before it are
 * (and are not taken back: their recipients have what they asked for).
 */
static void
msg_copies_failed(struct session *s)
{
	struct message	*m = s->msg;

	if (m->ncopies > 0)
		log_warnx("session id=%016" PRIx64 " message %s: %zu of %zu "
		    "recipients queued in %d copies, the others not", s->id,
		    m->first, m->rdone, m->nrcpt, m->ncopies);
	session_reply(s, 720, 0, "Cannot queue the message now, try again "
	    "later.");
	msg_free(s);
}

/* The spool of the first copy, to write the next ones (push-sized). */
static int
msg_keep_copy(struct message *m)
{
	if (m->sw.off < 0 || m->sw.off > MSG_COPY_MAX) {
		errno = EFBIG;
		return (-1);
	}
	if ((m->copy = malloc((size_t)m->sw.off)) == NULL)
		return (-1);
	m->copylen = (size_t)m->sw.off;
	return (pread_full(m->fd, 0, m->copy, m->copylen));
}

void
msg_commit(struct session *s)
{
	struct message		*m = s->msg;
	struct ipc_msg_rcpt	 mr;
	struct ipc_msg_commit	 mc;
	size_t			 i, n;

	if (m->copy == NULL && ((m->env != NULL && envin_record(s) == -1) ||
	    (s->state == STATE_REMOTE && trace_finish(s) == -1) ||
	    spool_w_finish(&m->sw) == -1 ||
	    (m->nrcpt > MSG_MAX_RCPTS && msg_keep_copy(m) == -1))) {
		log_warn("spool %s", m->uuid);
		msg_copies_failed(s);
		return;
	}
	close(m->fd);
	m->fd = -1;

	/* At most MSG_MAX_RCPTS per copy, from rdone on. */
	n = m->nrcpt - m->rdone;
	if (n > MSG_MAX_RCPTS)
		n = MSG_MAX_RCPTS;
	memset(&mc, 0, sizeof(mc));
	mc.reqid = session_reqid(s);
	for (i = m->rdone; i < m->rdone + n; i++) {
		memset(&mr, 0, sizeof(mr));
		mr.reqid = mc.reqid;
		(void)strlcpy(mr.uuid, m->uuid, sizeof(mr.uuid));
		(void)strlcpy(mr.account, m->rcpts[i].account,
		    sizeof(mr.account));
		(void)strlcpy(mr.folder, m->rcpts[i].folder,
		    sizeof(mr.folder));
		net_compose(env->queue, IMSG_QUEUE_MSG_RCPT, &mr, sizeof(mr));
	}
	(void)strlcpy(mc.uuid, m->uuid, sizeof(mc.uuid));
	(void)strlcpy(mc.sender, m->sender, sizeof(mc.sender));
	(void)strlcpy(mc.peer, s->addr, sizeof(mc.peer));
	mc.flags = m->flags;
	/* A relayed bounce is never bounced again (immp(7) RELAY). */
	if (s->state == STATE_REMOTE &&
	    strncasecmp(m->sender, "mailer-daemon@", 14) == 0)
		mc.flags |= MSGF_BOUNCE;
	mc.nrcpt = n;
	mc.size = m->copy != NULL ? (uint64_t)m->copylen :
	    (uint64_t)m->sw.off;
	m->state = MSG_COMMIT;
	net_compose(env->queue, IMSG_QUEUE_MSG_COMMIT, &mc, sizeof(mc));
	session_wait(s, WAIT_COMMIT, mc.reqid);
}

void
msg_committed(struct session *s, const struct ipc_msg_committed *mc)
{
	struct message	*m = s->msg;
	size_t		 n;

	if (m == NULL || m->state != MSG_COMMIT ||
	    strcmp(m->uuid, mc->uuid) != 0)
		fatalx("%s: no such commit pending", __func__);
	if (mc->result != IPC_OK) {
		m->uuid[0] = '\0';	/* the queue dropped it */
		msg_copies_failed(s);
		return;
	}
	n = m->nrcpt - m->rdone;
	if (n > MSG_MAX_RCPTS)
		n = MSG_MAX_RCPTS;
	log_info("session message id=%016" PRIx64 " uuid=%s rcpts=%zu "
	    "size=%" PRIu64, s->id, m->uuid, n, m->size);
	if (m->ncopies++ == 0)
		(void)strlcpy(m->first, m->uuid, sizeof(m->first));
	m->rdone += n;
	if (m->rdone < m->nrcpt) {
		m->uuid[0] = '\0';	/* the queue's now */
		msg_create(s);
		return;
	}
	if (m->ncopies > 1)
		log_info("session id=%016" PRIx64 " message %s: %zu "
		    "recipients in %d copies", s->id, m->first, m->nrcpt,
		    m->ncopies);
	session_reply(s, 273, 0, "%s Message accepted for delivery.",
	    m->first);
	msg_free(s);
}
