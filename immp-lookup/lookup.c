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
 * immp-lookup: the lookup process (DESIGN §3).  Answers the network
 * process's credential checks (AUTH SECRET) and recipient checks from
 * the users table, and its requests for the public keys of the local
 * domains (KEY REQUEST).  Started by immpd as
 *	immp-lookup -f conf [-d] [-v] [-u]
 * with the parent channel on fd 3 and the network channel on fd 4.
 */

#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_ctl.h"
#include "log.h"
#include "proc.h"
#include "pubsub.h"
#include "sandbox.h"
#include "auth.h"
#include "dialback.h"
#include "keys.h"
#include "lka_envelope.h"
#include "table_db.h"
#include "settings.h"
#include "block.h"

#define TICK_SECONDS	10	/* expiry of challenges and failures */
#define VALUE_MAX	512	/* users table value */

static void	lookup_exit(int) __attribute__((noreturn));
static void	parent_dispatch(struct imsgev *, struct imsg *, void *);
static void	parent_closed(struct imsgev *, void *);
static void	network_dispatch(struct imsgev *, struct imsg *, void *);
static void	network_closed(struct imsgev *, void *);
static void	auth_begin_msg(struct imsg *);
static void	auth_proof_msg(struct imsg *);
static void	rcpt_check_msg(struct imsg *);
static void	key_request_msg(struct imsg *);
static void	ctl_request_msg(struct imsg *);
static void	reload_msg(struct imsg *);
static void	reply(uint32_t, uint32_t, const void *, size_t);
static void	tick(int, short, void *);

static struct {
	struct immpd_conf	 conf;
	struct event_base	*base;
	struct imsgev		*parent;
	struct imsgev		*network;
	struct table_db		*users;
	struct event		*tick;
	int			 quitting;
} env;

/* Wipes the credential state and exits with status. */
static void
lookup_exit(int status)
{
	auth_shutdown();
	keys_shutdown();
	envelope_shutdown();
	dialback_shutdown();
	settings_shutdown();
	block_shutdown();
	pubsub_shutdown();
	table_db_close(env.users);
	if (env.tick != NULL)
		event_free(env.tick);
	if (env.network != NULL)
		imsgev_free(env.network);
	if (env.parent != NULL)
		imsgev_free(env.parent);
	if (env.base != NULL)
		event_base_free(env.base);
	conf_clear(&env.conf);
	exit(status);
}

static void
reply(uint32_t type, uint32_t peerid, const void *data, size_t len)
{
	if (imsgev_compose(env.network, type, peerid, -1, data, len) == -1)
		fatal("imsg to network");
}

static void
parent_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	verbose;

	if (imsg->hdr.type == IMSG_CTL_RELOAD_CONF) {
		reload_msg(imsg);
		return;
	}
	if (imsg->fd != -1)
		fatalx("parent: unexpected descriptor with imsg type %u",
		    imsg->hdr.type);
	switch (imsg->hdr.type) {
	case IMSG_CTL_SHUTDOWN:
		ipc_payload(imsg, 0);
		log_debug("shutdown");
		env.quitting = 1;
		event_base_loopexit(env.base, NULL);
		break;
	case IMSG_CTL_VERBOSE:
		memcpy(&verbose, ipc_payload(imsg, sizeof(verbose)),
		    sizeof(verbose));
		log_setverbose(verbose);
		break;
	default:
		fatalx("parent: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
parent_closed(struct imsgev *iev, void *arg)
{
	log_debug("parent went away");
	env.quitting = 1;
	event_base_loopexit(env.base, NULL);
}

static void
network_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (envelope_dispatch(imsg))	/* envelope.c, ipc_env.h */
		return;
	if (imsg->fd != -1)
		fatalx("network: unexpected descriptor with imsg type %u",
		    imsg->hdr.type);
	switch (imsg->hdr.type) {
	case IMSG_LKA_AUTH_BEGIN:
		auth_begin_msg(imsg);
		break;
	case IMSG_LKA_AUTH_PROOF:
		auth_proof_msg(imsg);
		break;
	case IMSG_LKA_RCPT_CHECK:
		rcpt_check_msg(imsg);
		break;
	case IMSG_LKA_KEY_REQUEST:
		key_request_msg(imsg);
		break;
	case IMSG_CTL_REQ:
		ctl_request_msg(imsg);
		break;
	default:
		if (dialback_dispatch(imsg))
			break;
		if (settings_dispatch(imsg) || block_dispatch(imsg) ||
		    pubsub_dispatch(imsg))	/* pubsub.c */
			break;	/* SET GLOBAL, blocking (ipc_set.h) */
		fatalx("network: unexpected imsg type %u", imsg->hdr.type);
	}
}

static void
network_closed(struct imsgev *iev, void *arg)
{
	if (env.quitting)
		return;
	fatalx("network process went away");
}

static void
auth_begin_msg(struct imsg *imsg)
{
	struct ipc_auth_begin		req;
	struct ipc_auth_challenge	ch;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.account, sizeof(req.account)) ||
	    !ipc_check_str(req.device, sizeof(req.device)) ||
	    !ipc_check_str(req.addr, sizeof(req.addr)))
		fatalx("network: unterminated string in AUTH_BEGIN");
	auth_begin(&req, &ch);
	reply(IMSG_LKA_AUTH_CHALLENGE, imsg->hdr.peerid, &ch, sizeof(ch));
}

static void
auth_proof_msg(struct imsg *imsg)
{
	struct ipc_auth_proof	req;
	struct ipc_auth_result	res;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.cnonce, sizeof(req.cnonce)))
		fatalx("network: unterminated string in AUTH_PROOF");
	auth_proof(&req, &res);
	sodium_memzero(&req, sizeof(req));
	reply(IMSG_LKA_AUTH_RESULT, imsg->hdr.peerid, &res, sizeof(res));
	sodium_memzero(&res, sizeof(res));
}

/* IMSG_LKA_RCPT_CHECK: IPC_OK if the account has a users table entry. */
static void
rcpt_check_msg(struct imsg *imsg)
{
	struct ipc_rcpt_check	req;
	struct ipc_rcpt_result	res;
	char			key[IPC_ACCOUNT_MAX], value[VALUE_MAX];
	char			logacct[IPC_ACCOUNT_MAX];
	int			r;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.account, sizeof(req.account)))
		fatalx("network: unterminated string in RCPT_CHECK");
	if (auth_account_key(req.account, key, sizeof(key)) == -1)
		fatalx("network: account does not fit");
	r = table_db_get(env.users, key, value, sizeof(value));
	sodium_memzero(value, sizeof(value));

	memset(&res, 0, sizeof(res));
	res.reqid = req.reqid;
	if (r >= 0)
		res.result = IPC_OK;
	else if (r == TABLE_DB_NOTFOUND)
		res.result = IPC_FAIL;
	else
		res.result = IPC_TEMPFAIL;
	log_debug("rcpt account=%s result=%s",
	    auth_log_safe(key, logacct, sizeof(logacct)),
	    res.result == IPC_OK ? "ok" : res.result == IPC_FAIL ? "unknown" :
	    "tempfail");
	reply(IMSG_LKA_RCPT_RESULT, imsg->hdr.peerid, &res, sizeof(res));
}

/* IMSG_LKA_KEY_REQUEST: the published keys of a local domain. */
static void
key_request_msg(struct imsg *imsg)
{
	struct ipc_key_request	req;
	struct ipc_key_result	res;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.domain, sizeof(req.domain)))
		fatalx("network: unterminated string in KEY_REQUEST");
	keys_request(&req, &res);
	reply(IMSG_LKA_KEY_RESULT, imsg->hdr.peerid, &res, sizeof(res));
}

/*
 * "immpctl update table <name>" (ipc_ctl.h): the table is reopened
 * now, changed or not (immpd-tables(5)); one line with its
 * state.  Only tables named in the configuration are looked at.
 */
static void
ctl_request_msg(struct imsg *imsg)
{
	struct ipc_ctl_req	 r;
	struct ipc_ctl_line	 l;
	struct ipc_ctl_end	 e;
	struct conf_table	*t;
	struct table_db		*tdb;
	const char		*state;
	int			 st;

	memcpy(&r, ipc_payload(imsg, sizeof(r)), sizeof(r));
	if (!ipc_check_str(r.arg, sizeof(r.arg)) ||
	    r.op != CTL_OP_UPDATE_TABLE)
		fatalx("network: bad control request");
	memset(&l, 0, sizeof(l));
	memset(&e, 0, sizeof(e));
	l.reqid = e.reqid = r.reqid;
	if ((t = conf_table(&env.conf, r.arg)) == NULL) {
		e.result = IPC_FAIL;
		(void)strlcpy(e.text, "no such table", sizeof(e.text));
		reply(IMSG_CTL_END, 0, &e, sizeof(e));
		return;
	}
	if (strcmp(t->name, env.conf.users_table) == 0)
		st = table_db_reopen(env.users);
	else if ((tdb = table_db_open(t->path)) != NULL) {
		st = table_db_check(tdb);
		table_db_close(tdb);
	} else
		st = -1;
	state = st == 1 ? "open" : st == 0 ? "missing" : "unusable";
	log_info("control update table=%s path=%s state=%s", t->name,
	    t->path, state);
	(void)snprintf(l.text, sizeof(l.text), "table=%s state=%s path=%.900s",
	    t->name, state, t->path);
	reply(IMSG_CTL_LINE, 0, &l, sizeof(l));
	e.result = st >= 0 ? IPC_OK : IPC_FAIL;
	if (st < 0)
		(void)strlcpy(e.text, "the table cannot be opened",
		    sizeof(e.text));
	reply(IMSG_CTL_END, 0, &e, sizeof(e));
}

/* A new configuration from the parent (ipc_ctl.h, conf_reload). */
static void
reload_msg(struct imsg *imsg)
{
	struct immpd_conf	nc;

	ipc_payload(imsg, 0);
	if (imsg->fd == -1)
		fatalx("parent: reload without a descriptor");
	if (conf_parse_fd(imsg->fd, env.conf.path, &nc) == -1)
		log_warnx("reload: cannot parse the new configuration, "
		    "keeping the running one");
	else {
		(void)conf_reload(&env.conf, &nc, NULL, 0);
		conf_clear(&nc);
		log_debug("reload: configuration applied");
	}
	close(imsg->fd);
}

static void
tick(int fd, short ev, void *arg)
{
	auth_expire();
	pubsub_tick();		/* unsubscribe notices */
}

int
main(int argc, char *argv[])
{
	struct conf_table	*t;
	struct timeval		 tv = { TICK_SECONDS, 0 };
	struct proc_opts	 o;
	const char		*conffile;
	int			 unpriv;

	proc_init(argc, argv, "immp-lookup", "lookup", &o, &env.conf);
	unpriv = o.unpriv;
	conffile = o.conffile;
	if ((t = conf_table(&env.conf, env.conf.users_table)) == NULL)
		fatalx("%s: no table named \"%s\" for the users", conffile,
		    env.conf.users_table);
	if ((env.users = table_db_open(t->path)) == NULL)
		fatal("table %s", t->path);
	/* Say now if the table is missing or unreadable; not fatal. */
	(void)table_db_check(env.users);
	auth_init(env.users, 2 * (size_t)env.conf.max_sessions);
	/* Public keys only: the secret key files are never opened here. */
	keys_init(&env.conf);

	if ((env.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((env.parent = imsgev_new(env.base, IPC_FD_PARENT, parent_dispatch,
	    parent_closed, NULL)) == NULL)
		fatal("parent channel");
	if ((env.network = imsgev_new(env.base, IPC_FD_PEER1,
	    network_dispatch, network_closed, NULL)) == NULL)
		fatal("network channel");
	dialback_init(env.base, &env.conf, env.network);
	/* Opened for writing now: the sandbox allows reading only. */
	settings_init(&env.conf, env.network);
	envelope_init(&env.conf, env.network);	/* secret keys */
	block_init(&env.conf, env.network);
	pubsub_init(&env.conf, env.network);
	if ((env.tick = event_new(env.base, -1, EV_PERSIST, tick, NULL)) ==
	    NULL || event_add(env.tick, &tv) == -1)
		fatalx("tick timer");

	sandbox_drop(SANDBOX_LOOKUP, unpriv ? NULL : env.conf.user, NULL);

	if (imsgev_compose(env.parent, IMSG_CTL_READY, 0, -1, NULL, 0) == -1)
		fatal("imsg to parent");
	log_debug("ready");
	if (event_base_dispatch(env.base) == -1)
		fatalx("event_base_dispatch");
	lookup_exit(0);
}
