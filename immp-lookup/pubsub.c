/*
 * Nodes and subscribers of the publisher side (pubsub.h; draft 3.4).
 */

#include <sys/types.h>

#include <ctype.h>
#include <db.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "imid.h"
#include "immpuri.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_push.h"
#include "log.h"
#include "pubsub.h"
#include "util.h"

#define KEY_MAX		(2 + IPC_PUBSUB_NODE_MAX + IPC_ACCOUNT_MAX + 2)
#define VAL_MAX		(IPC_ACCOUNT_MAX + IPC_PUBSUB_TITLE_MAX + 2)

#define NOTICE_BATCH	64	/* notices sent per tick at most */

static DB		*pdb;
static struct imsgev	*net;
static struct immpd_conf *cf;

void
pubsub_init(struct immpd_conf *conf, struct imsgev *network)
{
	char	 path[CONF_PATH_MAX];
	int	 n, r;

	net = network;
	cf = conf;
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

static int
del(const char *key)
{
	DBT	 k;
	int	 r;

	dbt(&k, key, strlen(key));
	if ((r = pdb->del(pdb, NULL, &k, 0)) == DB_NOTFOUND)
		return (1);
	if (r != 0 || (r = pdb->sync(pdb, 0)) != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		return (-1);
	}
	return (0);
}

/*
 * Calls fn for every record whose key starts with prefix, with the rest
 * of the key (NUL-terminated, at most KEY_MAX) and the value; fn returns
 * 1 to delete the record, 0 to keep it.  Returns the number of records
 * seen, or -1 on a store error.
 */
static long
scan(const char *prefix, int (*fn)(const char *, const DBT *, void *),
    void *arg)
{
	char	 rest[KEY_MAX];
	DBC	*cur;
	DBT	 k, v;
	size_t	 plen = strlen(prefix);
	long	 n = 0;
	int	 r, dirty = 0;

	if ((r = pdb->cursor(pdb, NULL, &cur, 0)) != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		return (-1);
	}
	dbt(&k, prefix, plen);
	dbt(&v, NULL, 0);
	for (r = cur->get(cur, &k, &v, DB_SET_RANGE); r == 0;
	    r = cur->get(cur, &k, &v, DB_NEXT)) {
		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		if (k.size - plen >= sizeof(rest)) {
			log_warnx("pubsub: over-long key under \"%s\"", prefix);
			continue;
		}
		memcpy(rest, (char *)k.data + plen, k.size - plen);
		rest[k.size - plen] = '\0';
		n++;
		if (fn != NULL && fn(rest, &v, arg) == 1) {
			if ((r = cur->del(cur, 0)) != 0)
				break;
			dirty = 1;
		}
	}
	cur->close(cur);
	if (r == 0 || r == DB_NOTFOUND)
		r = dirty ? pdb->sync(pdb, 0) : 0;
	if (r != 0) {
		log_warnx("pubsub: %s", db_strerror(r));
		return (-1);
	}
	return (n);
}

/* 1 if s is a node in canonical form (immpuri.h), else 0. */
static int
node_canonical(const char *s)
{
	struct pubid	 p;
	const char	*err;
	char		 canon[IPC_PUBSUB_NODE_MAX];

	return (pubid_parse(s, &p, &err) != -1 &&
	    pubid_format(&p, canon, sizeof(canon)) != -1 &&
	    strcmp(canon, s) == 0);
}

/* Sends each entry as one IMSG_PUBSUB_SUBSCRIBER (GET, LOCAL_GET). */
static int
send_account(const char *account, const DBT *v, void *arg)
{
	struct ipc_pubsub_res	*res = arg;

	(void)v;
	(void)strlcpy(res->account, account, sizeof(res->account));
	answer(IMSG_PUBSUB_SUBSCRIBER, res);
	return (0);
}

struct forget {
	const char		*domain;
	long			 n;	/* dropped (FORGET), sent */
	struct ipc_pubsub_res	*res;	/* LOCAL_GET */
};

/* LOCAL_GET: the accounts "<local>@<domain>" are sent. */
static int
send_at_domain(const char *account, const DBT *v, void *arg)
{
	struct forget	*f = arg;
	const char	*at = strrchr(account, '@');

	if (at == NULL || strcmp(at + 1, f->domain) != 0)
		return (0);
	f->n++;
	return (send_account(account, v, f->res));
}

/* FORGET: the subscribers "<local>@<domain>" go. */
static int
at_domain(const char *account, const DBT *v, void *arg)
{
	struct forget	*f = arg;
	const char	*at = strrchr(account, '@');

	(void)v;
	if (at == NULL || strcmp(at + 1, f->domain) != 0)
		return (0);
	f->n++;
	return (1);
}

static int
always(const char *key, const DBT *v, void *arg)
{
	(void)key;
	(void)v;
	(void)arg;
	return (1);
}

/* LIST: each node of the owner (arg: the answer, account = owner). */
static int
list_node(const char *node, const DBT *v, void *arg)
{
	struct ipc_pubsub_res	*res = arg;
	char			 val[VAL_MAX], prefix[KEY_MAX], *nl;
	long			 n;

	if (v->size >= sizeof(val) || !node_canonical(node)) {
		log_warnx("pubsub: bad node record \"%s\", not listed", node);
		return (0);
	}
	memcpy(val, v->data, v->size);
	val[v->size] = '\0';
	if ((nl = strchr(val, '\n')) == NULL || strpbrk(nl + 1, "\r\n") !=
	    NULL)
		return (0);
	*nl = '\0';
	if (strcmp(val, res->account) != 0)
		return (0);
	(void)snprintf(prefix, sizeof(prefix), "s %s ", node);
	if ((n = scan(prefix, NULL, NULL)) == -1) {
		res->result = IPC_TEMPFAIL;
		return (0);
	}
	(void)strlcpy(res->node, node, sizeof(res->node));
	(void)strlcpy(res->title, nl + 1, sizeof(res->title));
	res->count = (uint32_t)n;
	answer(IMSG_PUBSUB_SUBSCRIBER, res);
	return (0);
}

/*
 * Unsubscribe notices (ipc_push.h): "u <node> <account>" -> "<first>
 * <next> <tries>", times in seconds since the epoch.
 */
struct notice {
	char		node[IPC_PUBSUB_NODE_MAX];
	char		account[IPC_ACCOUNT_MAX];
	long long	first, next;
	int		tries;
};

struct due {
	struct notice	n[NOTICE_BATCH];
	int		count;
	time_t		now;
};

/* "<node> <account>" and the value into n; 0, or -1 if malformed. */
static int
notice_parse(const char *rest, const DBT *v, struct notice *n)
{
	char		 val[64];
	const char	*sp = strchr(rest, ' ');

	memset(n, 0, sizeof(*n));
	if (sp == NULL || (size_t)(sp - rest) >= sizeof(n->node) ||
	    strlen(sp + 1) >= sizeof(n->account) || v->size >= sizeof(val))
		return (-1);
	memcpy(n->node, rest, sp - rest);
	(void)strlcpy(n->account, sp + 1, sizeof(n->account));
	if (!node_canonical(n->node) || strchr(n->account, '@') == NULL ||
	    strpbrk(n->account, " \r\n") != NULL)
		return (-1);
	memcpy(val, v->data, v->size);
	val[v->size] = '\0';
	if (sscanf(val, "%lld %lld %d", &n->first, &n->next, &n->tries) != 3 ||
	    n->first < 0 || n->next < 0 || n->tries < 0)
		return (-1);
	return (0);
}

static int
notice_put(const struct notice *n)
{
	char	 key[KEY_MAX], val[64];

	(void)snprintf(key, sizeof(key), "u %s %s", n->node, n->account);
	(void)snprintf(val, sizeof(val), "%lld %lld %d", n->first, n->next,
	    n->tries);
	return (put(key, val));
}

static int
notice_due(const char *rest, const DBT *v, void *arg)
{
	struct due	*d = arg;

	if (d->count == NOTICE_BATCH)
		return (0);
	if (notice_parse(rest, v, &d->n[d->count]) == -1) {
		log_warnx("pubsub: bad notice record \"%s\", dropped", rest);
		return (1);
	}
	if (d->n[d->count].next <= (long long)d->now)
		d->count++;
	return (0);
}

/* Sends the notices that are due; each waits retry_first for its DONE. */
static void
notice_run(void)
{
	struct ipc_pubsub_req	 q;
	struct due		*d;
	int			 i;

	if (pdb == NULL || (d = calloc(1, sizeof(*d))) == NULL)
		return;
	d->now = time(NULL);
	if (scan("u ", notice_due, d) == -1) {
		free(d);
		return;
	}
	for (i = 0; i < d->count; i++) {
		d->n[i].next = d->now + cf->retry_first;
		if (notice_put(&d->n[i]) == -1)
			break;
		memset(&q, 0, sizeof(q));
		q.op = PUBSUB_NOTICE;
		(void)strlcpy(q.node, d->n[i].node, sizeof(q.node));
		(void)strlcpy(q.account, d->n[i].account, sizeof(q.account));
		if (imsgev_compose(net, IMSG_PUBSUB_NOTICE_SEND, 0, -1, &q,
		    sizeof(q)) == -1)
			fatal("pubsub: compose");
		log_debug("pubsub notice send node=%s account=%s try=%d",
		    d->n[i].node, d->n[i].account, d->n[i].tries + 1);
	}
	free(d);
}

void
pubsub_tick(void)
{
	notice_run();
}

/* NOTICE: stored (a pending one starts over), sent at once. */
static int
notice_add(const struct ipc_pubsub_req *q)
{
	struct notice	 n;

	memset(&n, 0, sizeof(n));
	(void)strlcpy(n.node, q->node, sizeof(n.node));
	(void)strlcpy(n.account, q->account, sizeof(n.account));
	n.first = n.next = time(NULL);
	if (notice_put(&n) == -1)
		return (-1);
	log_info("pubsub notice node=%s account=%s queued", n.node,
	    n.account);
	return (0);
}

/* NOTICE_DONE: done or refused for good (gone), or retried later. */
static int
notice_done(const struct ipc_pubsub_req *q)
{
	struct notice	 n;
	DBT		 k, v;
	char		 key[KEY_MAX], rest[KEY_MAX];
	long long	 now = time(NULL), wait;
	int		 r;

	(void)snprintf(key, sizeof(key), "u %s %s", q->node, q->account);
	dbt(&k, key, strlen(key));
	dbt(&v, NULL, 0);
	if ((r = pdb->get(pdb, NULL, &k, &v, 0)) == DB_NOTFOUND)
		return (0);	/* cancelled, or done twice */
	(void)snprintf(rest, sizeof(rest), "%s %s", q->node, q->account);
	if (r != 0 || notice_parse(rest, &v, &n) == -1) {
		log_warnx("pubsub: notice %s: %s", rest,
		    r ? db_strerror(r) : "bad record");
		return (del(key) == -1 ? -1 : 0);
	}
	if (q->status != IPC_TEMPFAIL || now - n.first >= cf->expire) {
		if (q->status == IPC_TEMPFAIL)
			log_warnx("pubsub notice node=%s account=%s: not "
			    "delivered after %d tries, given up", n.node,
			    n.account, n.tries + 1);
		else
			log_info("pubsub notice node=%s account=%s %s",
			    n.node, n.account, q->status == IPC_OK ?
			    "delivered" : "refused");
		return (del(key) == -1 ? -1 : 0);
	}
	n.tries++;
	wait = (long long)cf->retry_first << (n.tries > 16 ? 16 : n.tries - 1);
	if (wait > cf->retry_max)
		wait = cf->retry_max;
	n.next = now + wait;
	log_info("pubsub notice node=%s account=%s: retry in %llds", n.node,
	    n.account, wait);
	return (notice_put(&n));
}

/*
 * The "<kind> <node> <account>" record of q added (add) or removed:
 * IPC_OK, IPC_FAIL (removing one that is not there), IPC_TEMPFAIL.
 */
static int
pair_set(char kind, const struct ipc_pubsub_req *q, int add)
{
	char	 key[KEY_MAX];
	int	 r;

	(void)snprintf(key, sizeof(key), "%c %s %s", kind, q->node,
	    q->account);
	r = add ? put(key, "1") : del(key);
	return (r == 0 ? IPC_OK : r == 1 ? IPC_FAIL : IPC_TEMPFAIL);
}

/* The request's strings, by op (the network checked them first). */
static int
req_valid(const struct ipc_pubsub_req *q)
{
	if (!ipc_check_str(q->node, sizeof(q->node)) ||
	    !ipc_check_str(q->account, sizeof(q->account)) ||
	    !ipc_check_str(q->title, sizeof(q->title)) ||
	    q->op < PUBSUB_CREATE || q->op > PUBSUB_OP_LAST ||
	    strpbrk(q->title, "\r\n") != NULL ||
	    strpbrk(q->account, " \r\n") != NULL || q->account[0] == '\0')
		return (0);
	if (q->op == PUBSUB_LIST)
		return (q->node[0] == '\0');
	if (!node_canonical(q->node))
		return (0);
	if (q->op == PUBSUB_FORGET || q->op == PUBSUB_LOCAL_GET)
		return (imid_domain_valid(q->account));
	if (q->op == PUBSUB_NOTICE_DONE && q->status != IPC_OK &&
	    q->status != IPC_FAIL && q->status != IPC_TEMPFAIL)
		return (0);
	return (strchr(q->account, '@') != NULL);
}

int
pubsub_dispatch(struct imsg *imsg)
{
	struct ipc_pubsub_req	 q;
	struct ipc_pubsub_res	 res;
	struct forget		 f;
	char			 owner[IPC_ACCOUNT_MAX];
	char			 title[IPC_PUBSUB_TITLE_MAX];
	char			 key[KEY_MAX], val[VAL_MAX];
	size_t			 i;
	long			 n;
	int			 r = 1;

	if (imsg->hdr.type != IMSG_PUBSUB_REQ)
		return (0);
	memcpy(&q, ipc_payload(imsg, sizeof(q)), sizeof(q));
	if (!req_valid(&q))
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
	/* Our node's record, for every op on a node of ours. */
	if (q.op != PUBSUB_LIST && q.op != PUBSUB_LOCAL_ADD &&
	    q.op != PUBSUB_LOCAL_DEL && q.op != PUBSUB_LOCAL_GET &&
	    q.op != PUBSUB_NOTICE && q.op != PUBSUB_NOTICE_DONE &&
	    q.op != PUBSUB_NOTICE_CANCEL) {
		if ((r = node_get(q.node, owner, title)) == -1) {
			res.result = IPC_TEMPFAIL;
			answer(IMSG_PUBSUB_RESULT, &res);
			return (1);
		}
		if (r == 0) {
			(void)strlcpy(res.account, owner, sizeof(res.account));
			(void)strlcpy(res.title, title, sizeof(res.title));
		}
		if (r == 1 && q.op != PUBSUB_CREATE) {
			res.result = IPC_FAIL;
			answer(IMSG_PUBSUB_RESULT, &res);
			return (1);
		}
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
		res.result = pair_set('s', &q, q.op == PUBSUB_SUB_ADD);
		if (res.result == IPC_OK)
			log_info("pubsub %s node=%s subscriber=%s",
			    q.op == PUBSUB_SUB_ADD ? "subscribe" :
			    "unsubscribe", q.node, q.account);
		break;
	case PUBSUB_GET:
		(void)snprintf(key, sizeof(key), "s %s ", q.node);
		if ((n = scan(key, send_account, &res)) == -1)
			res.result = IPC_TEMPFAIL;
		else
			res.count = (uint32_t)n;
		(void)strlcpy(res.account, owner, sizeof(res.account));
		break;
	case PUBSUB_LOCAL_GET:
		/* Our accounts at the domain (account), not all of ours. */
		f.domain = q.account;
		f.n = 0;
		f.res = &res;
		(void)snprintf(key, sizeof(key), "l %s ", q.node);
		if (scan(key, send_at_domain, &f) == -1)
			res.result = IPC_TEMPFAIL;
		res.count = (uint32_t)f.n;
		res.account[0] = '\0';
		break;
	case PUBSUB_LOCAL_ADD:
	case PUBSUB_LOCAL_DEL:
		res.result = pair_set('l', &q, q.op == PUBSUB_LOCAL_ADD);
		if (res.result == IPC_OK)
			log_debug("pubsub index %s node=%s account=%s",
			    q.op == PUBSUB_LOCAL_ADD ? "add" : "remove",
			    q.node, q.account);
		break;
	case PUBSUB_FORGET:
		f.domain = q.account;
		f.n = 0;
		(void)snprintf(key, sizeof(key), "s %s ", q.node);
		if (scan(key, at_domain, &f) == -1)
			res.result = IPC_TEMPFAIL;
		res.count = (uint32_t)f.n;
		log_info("pubsub forget node=%s domain=%s subscribers=%ld",
		    q.node, q.account, f.n);
		break;
	case PUBSUB_LIST:
		(void)strlcpy(res.account, q.account, sizeof(res.account));
		if ((n = scan("n ", list_node, &res)) == -1)
			res.result = IPC_TEMPFAIL;
		res.node[0] = res.title[0] = '\0';
		res.count = 0;
		break;
	case PUBSUB_NOTICE:
		if (notice_add(&q) == -1)
			res.result = IPC_TEMPFAIL;
		else
			notice_run();
		break;
	case PUBSUB_NOTICE_DONE:
		if (notice_done(&q) == -1)
			res.result = IPC_TEMPFAIL;
		break;
	case PUBSUB_NOTICE_CANCEL:
		(void)snprintf(key, sizeof(key), "u %s %s", q.node,
		    q.account);
		if ((r = del(key)) == 0)
			log_info("pubsub notice node=%s account=%s "
			    "cancelled", q.node, q.account);
		res.result = r == -1 ? IPC_TEMPFAIL : IPC_OK;
		break;
	case PUBSUB_DELETE:
		(void)snprintf(key, sizeof(key), "s %s ", q.node);
		if ((n = scan(key, always, NULL)) == -1) {
			res.result = IPC_TEMPFAIL;
			break;
		}
		(void)snprintf(key, sizeof(key), "n %s", q.node);
		if (del(key) == -1) {
			res.result = IPC_TEMPFAIL;
			break;
		}
		res.count = (uint32_t)n;
		log_info("pubsub delete node=%s owner=%s subscribers=%ld",
		    q.node, owner, n);
		break;
	}
	answer(IMSG_PUBSUB_RESULT, &res);
	return (1);
}
