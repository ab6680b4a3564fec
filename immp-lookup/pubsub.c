/*
 * Nodes and subscribers of the publisher side (pubsub.h; draft 3.4).
 */

#include <sys/types.h>

#include <ctype.h>
#include <db.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "immpuri.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_push.h"
#include "log.h"
#include "pubsub.h"
#include "util.h"

#define KEY_MAX		(2 + IPC_PUBSUB_NODE_MAX + IPC_ACCOUNT_MAX + 2)
#define VAL_MAX		(IPC_ACCOUNT_MAX + IPC_PUBSUB_TITLE_MAX + 2)

static DB		*pdb;
static struct imsgev	*net;

void
pubsub_init(struct immpd_conf *conf, struct imsgev *network)
{
	char	 path[CONF_PATH_MAX];
	int	 n, r;

	net = network;
	if ((n = snprintf(path, sizeof(path), "%s/pubsub.db",
	    conf->queue_dir)) < 0 || (size_t)n >= sizeof(path)) {
		log_warnx("pubsub: path too long; PUBLISH is unavailable");
		return;
	}
	if ((r = db_create(&pdb, NULL, 0)) != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		pdb = NULL;
		return;
	}
	if ((r = pdb->open(pdb, NULL, path, NULL, DB_BTREE, DB_CREATE,
	    0600)) != 0) {
		log_warnx("pubsub %s: %s; PUBLISH is unavailable", path,
		    db_strerror(r));
		pdb->close(pdb, 0);
		pdb = NULL;
		return;
	}
	log_debug("pubsub %s: open", path);
}

void
pubsub_shutdown(void)
{
	/* Every change was synced when it was made. */
	if (pdb != NULL)
		pdb->close(pdb, DB_NOSYNC);
	pdb = NULL;
}

static void
answer(uint32_t type, const struct ipc_pubsub_res *res)
{
	if (imsgev_compose(net, type, 0, -1, res, sizeof(*res)) == -1)
		fatal("pubsub: compose");
}

static void
dbt(DBT *d, const void *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = len;
}

/* The node record: 0 found (owner, title filled), 1 absent, -1 error. */
static int
node_get(const char *node, char *owner, char *title)
{
	char	 key[KEY_MAX], val[VAL_MAX], *nl;
	DBT	 k, v;
	int	 r;

	(void)snprintf(key, sizeof(key), "n %s", node);
	dbt(&k, key, strlen(key));
	dbt(&v, NULL, 0);
	if ((r = pdb->get(pdb, NULL, &k, &v, 0)) == DB_NOTFOUND)
		return (1);
	if (r != 0 || v.size >= sizeof(val)) {
		log_warnx("pubsub: %s", r ? db_strerror(r) : "bad record");
		return (-1);
	}
	memcpy(val, v.data, v.size);
	val[v.size] = '\0';
	if ((nl = strchr(val, '\n')) == NULL) {
		log_warnx("pubsub: bad record for %s", node);
		return (-1);
	}
	*nl = '\0';
	(void)strlcpy(owner, val, IPC_ACCOUNT_MAX);
	(void)strlcpy(title, nl + 1, IPC_PUBSUB_TITLE_MAX);
	return (0);
}

static int
put(const char *key, const char *val)
{
	DBT	 k, v;
	int	 r;

	dbt(&k, key, strlen(key));
	dbt(&v, val, strlen(val));
	if ((r = pdb->put(pdb, NULL, &k, &v, 0)) != 0 ||
	    (r = pdb->sync(pdb, 0)) != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		return (-1);
	}
	return (0);
}

/* GET: the subscribers (at most PUBSUB_MAX_SUBS + 1 sent), then the end. */
static void
get(const struct ipc_pubsub_req *q, struct ipc_pubsub_res *res)
{
	char	 prefix[KEY_MAX];
	DBC	*cur;
	DBT	 k, v;
	size_t	 plen;
	int	 r;

	plen = snprintf(prefix, sizeof(prefix), "s %s ", q->node);
	if ((r = pdb->cursor(pdb, NULL, &cur, 0)) != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		res->result = IPC_TEMPFAIL;
		return;
	}
	dbt(&k, prefix, plen);
	dbt(&v, NULL, 0);
	for (r = cur->get(cur, &k, &v, DB_SET_RANGE); r == 0;
	    r = cur->get(cur, &k, &v, DB_NEXT)) {
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		res->count++;
		if (res->count > PUBSUB_MAX_SUBS + 1 ||
		    k.size - plen >= sizeof(res->account))
			continue;
		memcpy(res->account, (char *)k.data + plen, k.size - plen);
		res->account[k.size - plen] = '\0';
		answer(IMSG_PUBSUB_SUBSCRIBER, res);
	}
	if (r != 0 && r != DB_NOTFOUND) {
		log_warnx("pubsub: %s", db_strerror(r));
		res->result = IPC_TEMPFAIL;
	}
	cur->close(cur);
}

int
pubsub_dispatch(struct imsg *imsg)
{
	struct ipc_pubsub_req	 q;
	struct ipc_pubsub_res	 res;
	struct pubid		 p;
	const char		*err;
	char			 canon[IPC_PUBSUB_NODE_MAX];
	char			 owner[IPC_ACCOUNT_MAX];
	char			 title[IPC_PUBSUB_TITLE_MAX];
	char			 key[KEY_MAX], val[VAL_MAX];
	size_t			 i;
	int			 r;

	if (imsg->hdr.type != IMSG_PUBSUB_REQ)
		return (0);
	memcpy(&q, ipc_payload(imsg, sizeof(q)), sizeof(q));
	if (!ipc_check_str(q.node, sizeof(q.node)) ||
	    !ipc_check_str(q.account, sizeof(q.account)) ||
	    !ipc_check_str(q.title, sizeof(q.title)) ||
	    pubid_parse(q.node, &p, &err) == -1 ||
	    pubid_format(&p, canon, sizeof(canon)) == -1 ||
	    strcmp(canon, q.node) != 0 || strpbrk(q.title, "\r\n") != NULL ||
	    strchr(q.account, ' ') != NULL ||
	    q.op < PUBSUB_CREATE || q.op > PUBSUB_GET)
		fatalx("network: malformed PUBSUB_REQ");
	for (i = 0; q.account[i] != '\0'; i++)
		q.account[i] = tolower((unsigned char)q.account[i]);
	memset(&res, 0, sizeof(res));
	res.reqid = q.reqid;
	res.result = IPC_OK;
	if (pdb == NULL) {
		res.result = IPC_TEMPFAIL;
		answer(IMSG_PUBSUB_RESULT, &res);
		return (1);
	}
	if ((r = node_get(q.node, owner, title)) == -1) {
		res.result = IPC_TEMPFAIL;
		answer(IMSG_PUBSUB_RESULT, &res);
		return (1);
	}
	if (r == 0) {
		(void)strlcpy(res.account, owner, sizeof(res.account));
		(void)strlcpy(res.title, title, sizeof(res.title));
	}
	switch (q.op) {
	case PUBSUB_CREATE:
		if (r == 0) {
			res.result = IPC_FAIL;
			break;
		}
		(void)snprintf(key, sizeof(key), "n %s", q.node);
		(void)snprintf(val, sizeof(val), "%s\n%s", q.account, q.title);
		if (put(key, val) == -1)
			res.result = IPC_TEMPFAIL;
		else {
			log_info("pubsub create node=%s owner=%s", q.node,
			    q.account);
			(void)strlcpy(res.account, q.account,
			    sizeof(res.account));
			(void)strlcpy(res.title, q.title, sizeof(res.title));
		}
		break;
	case PUBSUB_SUB_ADD:
	case PUBSUB_SUB_DEL:
		if (r == 1) {
			res.result = IPC_FAIL;
			break;
		}
		(void)snprintf(key, sizeof(key), "s %s %s", q.node, q.account);
		if (q.op == PUBSUB_SUB_ADD) {
			if (put(key, "1") == -1)
				res.result = IPC_TEMPFAIL;
		} else {
			DBT	 k;

			dbt(&k, key, strlen(key));
			r = pdb->del(pdb, NULL, &k, 0);
			if (r == DB_NOTFOUND)
				res.result = IPC_FAIL;
			else if (r != 0 || pdb->sync(pdb, 0) != 0) {
				log_warnx("pubsub: %s", db_strerror(r));
				res.result = IPC_TEMPFAIL;
			}
		}
		if (res.result == IPC_OK)
			log_info("pubsub %s node=%s subscriber=%s",
			    q.op == PUBSUB_SUB_ADD ? "subscribe" :
			    "unsubscribe", q.node, q.account);
		break;
	case PUBSUB_GET:
		if (r == 1) {
			res.result = IPC_FAIL;
			break;
		}
		get(&q, &res);
		res.account[0] = '\0';
		(void)strlcpy(res.account, owner, sizeof(res.account));
		break;
	}
	answer(IMSG_PUBSUB_RESULT, &res);
	return (1);
}
