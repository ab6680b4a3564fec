/*
 * SET and SET GLOBAL in the network process (draft 5.4, 8.9, 8.9.1;
 * immp(7) SET).
 *
 * Session settings live in the session; account settings (SET GLOBAL)
 * are kept by immp-lookup (immp-lookup/settings.c) and loaded into the
 * session after 210.  SET GLOBAL also changes the value of the current
 * session; other sessions of the account see it at their next AUTH.
 *
 *   SET                      230 lines, one per setting, of the session
 *   SET <name>               230-<NAME>=<value>, 230 <supported values>
 *   SET <name>=<value>       230 <NAME>=<VALUE>; 471 with the list
 *   SET [GLOBAL] BLOCK       231-<entry> lines, 231 <n> entries.
 *   SET GLOBAL BLOCK+=<x>    230 BLOCK: <n> entries.  (x: IMID, domain)
 *   SET GLOBAL BLOCK-=<x>    the same, or 475 if x is not listed
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "ipc.h"
#include "ipc_set.h"
#include "log.h"
#include "session.h"
#include "set.h"

#define SHOW_ALL	(-1)	/* set_name of a SET GLOBAL without name */

static void	 set_show(struct session *, int);
static void	 set_show_stored(struct session *,
		    const struct ipc_set_result *);
static void	 set_ask(struct session *, int, int, int, const char *);
static void	 set_result(const struct ipc_set_result *);
static void	 set_item(const struct ipc_set_item *);
static void	 block_msg_result(const struct ipc_block_result *);
static struct session *set_waiting(uint64_t, enum session_wait);

int
set_notify(const struct session *s)
{
	return (s->set_notify);
}

int
set_compression(const struct session *s)
{
	return (s->set_comp);
}

/* SET GLOBAL [<name>]: the account's stored values, as set_show. */
static void
set_show_stored(struct session *s, const struct ipc_set_result *r)
{
	if (r->result != IPC_OK) {
		session_reply(s, 740, 0,
		    "Settings unavailable, try again later.");
		return;
	}
	if (s->set_name == SHOW_ALL) {
		session_reply(s, 230, 1, "COMPRESSION=%s",
		    set_value_text(SET_COMPRESSION, r->compression));
		session_reply(s, 230, 0, "NOTIFY=%s",
		    set_value_text(SET_NOTIFY, r->notify));
		return;
	}
	session_reply(s, 230, 1, "%s=%s", s->set_name == SET_COMPRESSION ?
	    "COMPRESSION" : "NOTIFY", set_value_text(s->set_name,
	    s->set_name == SET_COMPRESSION ? r->compression : r->notify));
	session_reply(s, 230, 0, "%s", set_supported(s->set_name));
}

/* One 230 line: "<NAME>=<value>", continued if more. */
static void
set_show(struct session *s, int more)
{
	session_reply(s, 230, 1, "COMPRESSION=%s",
	    set_value_text(SET_COMPRESSION, s->set_comp));
	session_reply(s, 230, more, "NOTIFY=%s",
	    set_value_text(SET_NOTIFY, s->set_notify));
}

void
set_cmd(struct session *s, const struct cmd *c)
{
	struct set_args	 a;
	const char	*err;
	char		 entry[IPC_SET_VALUE_MAX];
	int		 v, local = s->state == STATE_LOCAL;

	if (set_parse_cmd(c, &a, &err) == -1) {
		session_reply(s, 400, 0, "Syntax: SET [GLOBAL] [<name>"
		    "[=<value>]]: %s.", err);
		return;
	}
	if (a.global && !local) {
		session_reply(s, 402, 0, "SET GLOBAL needs AUTH SECRET.");
		return;
	}
	if (a.global && a.op == SETOP_SHOW && a.name != SET_BLOCK &&
	    (a.all || a.name != 0)) {
		/* The stored values, not the session's (set_result). */
		set_ask(s, SET_OP_LOAD, a.all ? SHOW_ALL : a.name, 0, "");
		return;
	}
	if (a.all) {
		set_show(s, 0);
		return;
	}
	if (a.name == 0) {
		session_reply(s, 470, 0, "Unknown setting %s; known: "
		    "COMPRESSION, NOTIFY, BLOCK.", a.text);
		return;
	}
	if (a.name == SET_BLOCK) {
		if (!local) {
			session_reply(s, 402, 0,
			    "BLOCK needs AUTH SECRET.");
			return;
		}
		if (a.op == SETOP_SHOW) {
			set_ask(s, SET_OP_LIST, SET_BLOCK, 0, "");
			return;
		}
		if (!a.global || a.op == SETOP_PUT) {
			session_reply(s, 400, 0, "Syntax: SET GLOBAL "
			    "BLOCK+=<imid|domain> or BLOCK-=<imid|domain>.");
			return;
		}
		if (set_block_entry(a.value, entry, sizeof(entry),
		    &err) == -1) {
			session_reply(s, 473, 0, "Bad block entry: %s.", err);
			return;
		}
		set_ask(s, a.op == SETOP_ADD ? SET_OP_ADD : SET_OP_DEL,
		    SET_BLOCK, 0, entry);
		return;
	}
	if (a.op == SETOP_SHOW) {
		session_reply(s, 230, 1, "%s=%s", a.text,
		    set_value_text(a.name, a.name == SET_COMPRESSION ?
		    s->set_comp : s->set_notify));
		session_reply(s, 230, 0, "%s", set_supported(a.name));
		return;
	}
	if (a.op != SETOP_PUT) {
		session_reply(s, 400, 0, "Syntax: SET [GLOBAL] %s=<value>.",
		    a.text);
		return;
	}
	if ((v = set_value_parse(a.name, a.value)) == -1) {
		session_reply(s, 471, 1, "Unsupported value for %s.",
		    a.text);
		session_reply(s, 471, 0, "%s", set_supported(a.name));
		return;
	}
	if (a.global) {
		set_ask(s, SET_OP_PUT, a.name, v, "");
		return;
	}
	if (a.name == SET_COMPRESSION)
		s->set_comp = v;
	else
		s->set_notify = v;
	log_info("session set id=%016" PRIx64 " name=%s value=%s", s->id,
	    a.text, set_value_text(a.name, v));
	session_reply(s, 230, 0, "%s=%s", a.text, set_value_text(a.name, v));
}

/* Sends an IMSG_SET_REQ for the session's account and waits. */
static void
set_ask(struct session *s, int op, int name, int ivalue, const char *value)
{
	struct ipc_set_req	 r;

	memset(&r, 0, sizeof(r));
	r.op = op;
	r.name = name;
	r.ivalue = ivalue;
	(void)strlcpy(r.account, s->account, sizeof(r.account));
	(void)strlcpy(r.value, value, sizeof(r.value));
	r.reqid = session_reqid(s);
	s->set_op = op;
	s->set_name = name;
	s->set_nitems = 0;
	net_compose(env->lookup, IMSG_SET_REQ, &r, sizeof(r));
	session_wait(s, WAIT_SET, r.reqid);
}

void
set_load(struct session *s)
{
	set_ask(s, SET_OP_LOAD, 0, 0, "");
}

void
set_block_check(struct session *s, const char *rcpt, const char *sender)
{
	struct ipc_block_msg	 b;

	memset(&b, 0, sizeof(b));
	(void)strlcpy(b.rcpt, rcpt, sizeof(b.rcpt));
	(void)strlcpy(b.sender, sender, sizeof(b.sender));
	(void)strlcpy(b.peer, s->addr, sizeof(b.peer));
	b.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_BLOCK_MSG, &b, sizeof(b));
	session_wait(s, WAIT_BLOCK, b.reqid);
}

/* The session waiting for reqid with what, or NULL (gone meanwhile). */
static struct session *
set_waiting(uint64_t reqid, enum session_wait what)
{
	struct session	*s;

	if ((s = session_byreq(reqid)) == NULL || s->wait != what ||
	    s->reqid != reqid)
		return (NULL);
	return (s);
}

static void
set_item(const struct ipc_set_item *it)
{
	struct session	*s;

	if ((s = set_waiting(it->reqid, WAIT_SET)) == NULL)
		return;
	if (s->set_op != SET_OP_LIST)
		fatalx("lookup: block list item for another request");
	s->set_nitems++;
	session_reply(s, 231, 1, "BLOCK=%s", it->value);
}

static void
set_result(const struct ipc_set_result *r)
{
	struct session	*s;

	if ((s = set_waiting(r->reqid, WAIT_SET)) == NULL)
		return;
	s->wait = WAIT_NONE;
	if (r->result == IPC_OK && (r->compression < 0 ||
	    r->compression > SET_COMP_GZIP || r->notify < 0 ||
	    r->notify > SET_NOTIFY_NONE))
		fatalx("lookup: bad settings");
	switch (s->set_op) {
	case SET_OP_LOAD:
		if (s->set_name != 0) {
			set_show_stored(s, r);
			break;
		}
		/* Without its stored settings the session keeps defaults. */
		if (r->result == IPC_OK) {
			s->set_comp = r->compression;
			s->set_notify = r->notify;
		} else
			log_warnx("session %016" PRIx64 ": account settings "
			    "unavailable, using the defaults", s->id);
		break;
	case SET_OP_LIST:
		if (r->result != IPC_OK)
			session_reply(s, 740, 0,
			    "Settings unavailable, try again later.");
		else
			session_reply(s, 231, 0, "%u entries.",
			    s->set_nitems);
		break;
	case SET_OP_PUT:
		if (r->result != IPC_OK) {
			session_reply(s, 740, 0,
			    "Cannot store the setting now, try again later.");
			break;
		}
		s->set_comp = r->compression;
		s->set_notify = r->notify;
		log_info("session set id=%016" PRIx64 " account=%s global=1 "
		    "name=%s", s->id, s->account, s->set_name ==
		    SET_COMPRESSION ? "COMPRESSION" : "NOTIFY");
		session_reply(s, 230, 0, "%s=%s", s->set_name ==
		    SET_COMPRESSION ? "COMPRESSION" : "NOTIFY",
		    set_value_text(s->set_name, s->set_name ==
		    SET_COMPRESSION ? s->set_comp : s->set_notify));
		break;
	case SET_OP_ADD:
	case SET_OP_DEL:
		if (r->result == IPC_FAIL && r->reason == SET_FAIL_FULL)
			session_reply(s, 474, 0, "Block list full (%d "
			    "entries).", IPC_SET_BLOCK_MAX);
		else if (r->result == IPC_FAIL)
			session_reply(s, 475, 0, "Not in the block list.");
		else if (r->result != IPC_OK)
			session_reply(s, 740, 0,
			    "Cannot store the setting now, try again later.");
		else {
			log_info("session set id=%016" PRIx64 " account=%s "
			    "global=1 name=BLOCK op=%s entries=%u", s->id,
			    s->account, s->set_op == SET_OP_ADD ? "add" :
			    "del", r->nblock);
			session_reply(s, 230, 0, "BLOCK: %u entries.",
			    r->nblock);
		}
		break;
	default:
		fatalx("%s: no request pending", __func__);
	}
	session_kick(s);
}

static void
block_msg_result(const struct ipc_block_result *r)
{
	struct session	*s;

	if ((s = set_waiting(r->reqid, WAIT_BLOCK)) == NULL)
		return;
	s->wait = WAIT_NONE;
	msg_block_result(s, r->result, r->by);
	session_kick(s);
}

int
set_lookup_imsg(struct imsg *imsg)
{
	struct ipc_set_item	*it;
	struct ipc_block_result	*br;

	switch (imsg->hdr.type) {
	case IMSG_SET_ITEM:
		it = ipc_payload(imsg, sizeof(*it));
		if (!ipc_check_str(it->value, sizeof(it->value)))
			fatalx("lookup: bad set item");
		set_item(it);
		return (1);
	case IMSG_SET_RESULT:
		set_result(ipc_payload(imsg, sizeof(struct ipc_set_result)));
		return (1);
	case IMSG_BLOCK_PEER_RESULT:
		br = ipc_payload(imsg, sizeof(*br));
		limit_peer_result(br);
		return (1);
	case IMSG_BLOCK_MSG_RESULT:
		br = ipc_payload(imsg, sizeof(*br));
		block_msg_result(br);
		return (1);
	}
	return (0);
}
