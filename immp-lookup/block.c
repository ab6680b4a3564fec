/*
 * Blocking in immp-lookup (block.h).  Log lines in key=value form:
 *   event=blocked kind=network addr=<ip> table=<name> key=<prefix>
 *   event=blocked kind=address|domain|user sender=<account> rcpt=<..>
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cidr.h"
#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_set.h"
#include "log.h"
#include "setgram.h"
#include "settings.h"
#include "table_db.h"
#include "block.h"

#define VALUE_MAX	512

static struct table_db	*t_networks, *t_domains, *t_addresses;
static char		 n_networks[CONF_NAME_MAX], n_domains[CONF_NAME_MAX];
static char		 n_addresses[CONF_NAME_MAX];
static struct imsgev	*net;
static struct acct_settings rs;	/* recipient's settings */

static struct table_db *open_named(struct immpd_conf *, const char *);
static void	 peer_msg(struct imsg *);
static void	 msg_msg(struct imsg *);
static void	 answer(uint32_t, uint64_t, int, int);

static struct table_db *
open_named(struct immpd_conf *conf, const char *name)
{
	struct conf_table	*t;
	struct table_db		*tdb;

	if (name[0] == '\0')
		return (NULL);
	if ((t = conf_table(conf, name)) == NULL)
		fatalx("block: no table named %s", name);
	if ((tdb = table_db_open(t->path)) == NULL)
		fatal("table %s", t->path);
	(void)table_db_check(tdb);
	return (tdb);
}

void
block_init(struct immpd_conf *conf, struct imsgev *network)
{
	net = network;
	t_networks = open_named(conf, conf->block_networks);
	t_domains = open_named(conf, conf->block_domains);
	t_addresses = open_named(conf, conf->block_addresses);
	(void)strlcpy(n_networks, conf->block_networks, sizeof(n_networks));
	(void)strlcpy(n_domains, conf->block_domains, sizeof(n_domains));
	(void)strlcpy(n_addresses, conf->block_addresses,
	    sizeof(n_addresses));
}

void
block_shutdown(void)
{
	table_db_close(t_networks);
	table_db_close(t_domains);
	table_db_close(t_addresses);
	t_networks = t_domains = t_addresses = NULL;
}

int
block_network(struct table_db *t, const char *addr, char *hit)
{
	struct cidr	 host, net_;
	char		 key[CIDR_TEXT_MAX], value[VALUE_MAX];
	const char	*err;
	int		 len, r;

	if (cidr_parse(addr, &host, &err) == -1)
		return (0);
	for (len = host.len; len >= 0; len--) {
		if (cidr_mask(&host, len, &net_) == -1 ||
		    cidr_format(&net_, key, sizeof(key)) == -1)
			return (-1);
		r = table_db_get(t, key, value, sizeof(value));
		if (r >= 0) {
			(void)strlcpy(hit, key, CIDR_TEXT_MAX);
			return (1);
		}
		if (r != TABLE_DB_NOTFOUND)
			return (-1);
		/* A bare address is also a key for its full length. */
		if (len == host.len) {
			(void)strlcpy(key, addr, sizeof(key));
			if ((r = table_db_get(t, key, value,
			    sizeof(value))) >= 0) {
				(void)strlcpy(hit, key, CIDR_TEXT_MAX);
				return (1);
			}
			if (r != TABLE_DB_NOTFOUND)
				return (-1);
		}
	}
	return (0);
}

int
block_domain(struct table_db *t, const char *domain)
{
	char		 value[VALUE_MAX];
	const char	*d = domain;
	int		 r;

	while (*d != '\0') {
		r = table_db_get(t, d, value, sizeof(value));
		if (r >= 0)
			return (1);
		if (r != TABLE_DB_NOTFOUND)
			return (-1);
		if ((d = strchr(d, '.')) == NULL)
			break;
		d++;
	}
	return (0);
}

static void
answer(uint32_t type, uint64_t reqid, int result, int by)
{
	struct ipc_block_result	 res;

	memset(&res, 0, sizeof(res));
	res.reqid = reqid;
	res.result = result;
	res.by = by;
	if (imsgev_compose(net, type, 0, -1, &res, sizeof(res)) == -1)
		fatal("imsg to network");
}

static void
peer_msg(struct imsg *imsg)
{
	struct ipc_block_peer	 req;
	char			 hit[CIDR_TEXT_MAX], safe[IPC_ADDR_MAX];
	int			 r = 0;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.addr, sizeof(req.addr)))
		fatalx("network: unterminated string in BLOCK_PEER");
	if (t_networks != NULL)
		r = block_network(t_networks, req.addr, hit);
	if (r == 1)
		log_info("event=blocked kind=network addr=%s table=%s key=%s",
		    auth_log_safe(req.addr, safe, sizeof(safe)), n_networks,
		    hit);
	else if (r == -1)
		log_warnx("event=block-error kind=network addr=%s table=%s",
		    auth_log_safe(req.addr, safe, sizeof(safe)), n_networks);
	answer(IMSG_BLOCK_PEER_RESULT, req.reqid, r == 1 ? IPC_FAIL :
	    r == 0 ? IPC_OK : IPC_TEMPFAIL, BLOCK_BY_SERVER);
}

static void
msg_msg(struct imsg *imsg)
{
	struct ipc_block_msg	 req;
	char			 sender[IPC_ACCOUNT_MAX], value[VALUE_MAX];
	char			 s1[IPC_ACCOUNT_MAX], s2[IPC_ACCOUNT_MAX];
	char			 s3[IPC_ADDR_MAX];
	const char		*dom, *kind = NULL, *table = "-";
	size_t			 i;
	int			 r, result = IPC_OK, by = 0;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.rcpt, sizeof(req.rcpt)) ||
	    !ipc_check_str(req.sender, sizeof(req.sender)) ||
	    !ipc_check_str(req.peer, sizeof(req.peer)))
		fatalx("network: unterminated string in BLOCK_MSG");
	for (i = 0; req.sender[i] != '\0'; i++)
		sender[i] = (req.sender[i] >= 'A' && req.sender[i] <= 'Z') ?
		    req.sender[i] - 'A' + 'a' : req.sender[i];
	sender[i] = '\0';
	dom = strrchr(sender, '@');
	dom = dom != NULL ? dom + 1 : sender;

	if (t_addresses != NULL &&
	    (r = table_db_get(t_addresses, sender, value,
	    sizeof(value))) != TABLE_DB_NOTFOUND) {
		if (r >= 0) {
			kind = "address";
			table = n_addresses;
		} else
			result = IPC_TEMPFAIL;
	}
	if (kind == NULL && result == IPC_OK && t_domains != NULL) {
		if ((r = block_domain(t_domains, dom)) == 1) {
			kind = "domain";
			table = n_domains;
		} else if (r == -1)
			result = IPC_TEMPFAIL;
	}
	if (kind != NULL)
		by = BLOCK_BY_SERVER;
	else if (result == IPC_OK) {
		if (settings_get(req.rcpt, &rs) == -1)
			result = IPC_TEMPFAIL;
		else
			for (i = 0; i < rs.nblock; i++)
				if (set_block_match(rs.block[i], sender)) {
					kind = "user";
					by = BLOCK_BY_USER;
					break;
				}
	}
	if (kind != NULL) {
		result = IPC_FAIL;
		log_info("event=blocked kind=%s sender=%s rcpt=%s addr=%s "
		    "table=%s", kind, auth_log_safe(sender, s1, sizeof(s1)),
		    auth_log_safe(req.rcpt, s2, sizeof(s2)),
		    auth_log_safe(req.peer, s3, sizeof(s3)), table);
	}
	answer(IMSG_BLOCK_MSG_RESULT, req.reqid, result, by);
}

int
block_dispatch(struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_BLOCK_PEER:
		peer_msg(imsg);
		return (1);
	case IMSG_BLOCK_MSG:
		msg_msg(imsg);
		return (1);
	}
	return (0);
}
