/*
 * The account settings store (settings.h).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_set.h"
#include "log.h"
#include "setgram.h"
#include "settings.h"
#include "util.h"

#define RECORD_MAX	(IPC_SET_BLOCK_MAX * (IPC_SET_VALUE_MAX + 8) + 64)

static DB		*sdb;
static char		 spath[CONF_PATH_MAX];
static struct imsgev	*net;
static struct acct_settings cur;	/* the record being worked on */

static int	 settings_put(const char *, const struct acct_settings *);
static void	 set_req_msg(struct imsg *);
static void	 answer(uint64_t, int, int, const struct acct_settings *);

void
settings_init(struct immpd_conf *conf, struct imsgev *network)
{
	char	 dir[CONF_PATH_MAX], *slash;
	int	 r;

	net = network;
	conf_settings_path(conf, spath, sizeof(spath));
	if (spath[0] == '\0') {
		log_warnx("settings: path too long; SET GLOBAL is unavailable");
		return;
	}
	(void)strlcpy(dir, spath, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdirs(dir, 0700) == -1)
			log_warn("settings: %s", dir);
	}
	if ((r = db_create(&sdb, NULL, 0)) != 0) {
		log_warnx("settings: %s", db_strerror(r));
		sdb = NULL;
		return;
	}
	if ((r = sdb->open(sdb, NULL, spath, NULL, DB_HASH, DB_CREATE,
	    0600)) != 0) {
		log_warnx("settings %s: %s; SET GLOBAL is unavailable", spath,
		    db_strerror(r));
		sdb->close(sdb, 0);
		sdb = NULL;
		return;
	}
	log_debug("settings %s: open", spath);
}

void
settings_shutdown(void)
{
	if (sdb != NULL)
		sdb->close(sdb, 0);
	sdb = NULL;
}

int
settings_decode(const char *rec, size_t len, struct acct_settings *out)
{
	char		 line[IPC_SET_VALUE_MAX + 16];
	char		 canon[IPC_SET_VALUE_MAX];
	const char	*p = rec, *nl, *err, *v;
	size_t		 n, i;
	int		 seen_c = 0, seen_n = 0;

	memset(out, 0, sizeof(*out));
	while (len > 0) {
		if ((nl = memchr(p, '\n', len)) == NULL)
			return (-1);	/* every line ends in LF */
		n = nl - p;
		if (n == 0 || n >= sizeof(line) || memchr(p, '\0', n) != NULL)
			return (-1);
		memcpy(line, p, n);
		line[n] = '\0';
		len -= n + 1;
		p = nl + 1;
		if (strncmp(line, "compression=", 12) == 0 ||
		    strncmp(line, "notify=", 7) == 0) {
			v = strchr(line, '=') + 1;
			if (strlen(v) != 1 || v[0] < '0' || v[0] > '9')
				return (-1);
			if (line[0] == 'c') {
				if (seen_c++ || v[0] - '0' > SET_COMP_GZIP)
					return (-1);
				out->compression = v[0] - '0';
			} else {
				if (seen_n++ || v[0] - '0' > SET_NOTIFY_NONE)
					return (-1);
				out->notify = v[0] - '0';
			}
		} else if (strncmp(line, "block=", 6) == 0) {
			v = line + 6;
			if (out->nblock == IPC_SET_BLOCK_MAX ||
			    set_block_entry(v, canon, sizeof(canon),
			    &err) == -1 || strcmp(canon, v) != 0)
				return (-1);
			for (i = 0; i < out->nblock; i++)
				if (strcmp(out->block[i], canon) == 0)
					return (-1);
			(void)strlcpy(out->block[out->nblock++], canon,
			    sizeof(out->block[0]));
		} else
			return (-1);
	}
	return (0);
}

int
settings_get(const char *account, struct acct_settings *out)
{
	char	 key[IPC_ACCOUNT_MAX], safe[IPC_ACCOUNT_MAX];
	DBT	 k, v;
	int	 r;

	memset(out, 0, sizeof(*out));
	if (sdb == NULL)
		return (-1);
	if (auth_account_key(account, key, sizeof(key)) == -1)
		return (-1);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = key;
	k.size = strlen(key);
	if ((r = sdb->get(sdb, NULL, &k, &v, 0)) == DB_NOTFOUND)
		return (0);
	if (r != 0) {
		log_warnx("settings %s: get: %s", spath, db_strerror(r));
		return (-1);
	}
	if (v.size > RECORD_MAX ||
	    settings_decode(v.data, v.size, out) == -1) {
		log_warnx("settings %s: invalid record for %s, refused",
		    spath, auth_log_safe(key, safe, sizeof(safe)));
		memset(out, 0, sizeof(*out));
		return (-1);
	}
	return (0);
}

/* Writes the record of account and syncs the file.  0 or -1. */
static int
settings_put(const char *account, const struct acct_settings *s)
{
	static char	 rec[RECORD_MAX];
	char		 key[IPC_ACCOUNT_MAX];
	DBT		 k, v;
	size_t		 len = 0, i;
	int		 n, r;

	if (sdb == NULL || auth_account_key(account, key, sizeof(key)) == -1)
		return (-1);
	n = snprintf(rec, sizeof(rec), "compression=%d\nnotify=%d\n",
	    s->compression, s->notify);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return (-1);
	len = n;
	for (i = 0; i < s->nblock; i++) {
		n = snprintf(rec + len, sizeof(rec) - len, "block=%s\n",
		    s->block[i]);
		if (n < 0 || (size_t)n >= sizeof(rec) - len)
			return (-1);
		len += n;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = key;
	k.size = strlen(key);
	v.data = rec;
	v.size = len;
	if ((r = sdb->put(sdb, NULL, &k, &v, 0)) != 0 ||
	    (r = sdb->sync(sdb, 0)) != 0) {
		log_warnx("settings %s: put: %s", spath, db_strerror(r));
		return (-1);
	}
	return (0);
}

static void
answer(uint64_t reqid, int result, int reason, const struct acct_settings *s)
{
	struct ipc_set_result	 res;

	memset(&res, 0, sizeof(res));
	res.reqid = reqid;
	res.result = result;
	res.reason = reason;
	if (result == IPC_OK) {
		res.compression = s->compression;
		res.notify = s->notify;
		res.nblock = s->nblock;
	}
	if (imsgev_compose(net, IMSG_SET_RESULT, 0, -1, &res,
	    sizeof(res)) == -1)
		fatal("imsg to network");
}

static void
set_req_msg(struct imsg *imsg)
{
	struct ipc_set_req	 req;
	struct ipc_set_item	 it;
	char			 canon[IPC_SET_VALUE_MAX];
	const char		*err;
	size_t			 i;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.account, sizeof(req.account)) ||
	    !ipc_check_str(req.value, sizeof(req.value)))
		fatalx("network: unterminated string in SET_REQ");
	if (settings_get(req.account, &cur) == -1) {
		answer(req.reqid, IPC_TEMPFAIL, 0, NULL);
		return;
	}
	switch (req.op) {
	case SET_OP_LOAD:
		break;
	case SET_OP_LIST:
		for (i = 0; i < cur.nblock; i++) {
			memset(&it, 0, sizeof(it));
			it.reqid = req.reqid;
			(void)strlcpy(it.value, cur.block[i],
			    sizeof(it.value));
			if (imsgev_compose(net, IMSG_SET_ITEM, 0, -1, &it,
			    sizeof(it)) == -1)
				fatal("imsg to network");
		}
		break;
	case SET_OP_PUT:
		if (req.name == SET_COMPRESSION && req.ivalue >= 0 &&
		    req.ivalue <= SET_COMP_GZIP)
			cur.compression = req.ivalue;
		else if (req.name == SET_NOTIFY && req.ivalue >= 0 &&
		    req.ivalue <= SET_NOTIFY_NONE)
			cur.notify = req.ivalue;
		else
			fatalx("network: bad SET_REQ value");
		if (settings_put(req.account, &cur) == -1) {
			answer(req.reqid, IPC_TEMPFAIL, 0, NULL);
			return;
		}
		break;
	case SET_OP_ADD:
	case SET_OP_DEL:
		if (req.name != SET_BLOCK ||
		    set_block_entry(req.value, canon, sizeof(canon),
		    &err) == -1 || strcmp(canon, req.value) != 0)
			fatalx("network: bad block entry in SET_REQ");
		for (i = 0; i < cur.nblock; i++)
			if (strcmp(cur.block[i], canon) == 0)
				break;
		if (req.op == SET_OP_ADD && i == cur.nblock) {
			if (cur.nblock == IPC_SET_BLOCK_MAX) {
				answer(req.reqid, IPC_FAIL, SET_FAIL_FULL,
				    NULL);
				return;
			}
			(void)strlcpy(cur.block[cur.nblock++], canon,
			    sizeof(cur.block[0]));
		} else if (req.op == SET_OP_DEL) {
			if (i == cur.nblock) {
				answer(req.reqid, IPC_FAIL, SET_FAIL_ABSENT,
				    NULL);
				return;
			}
			memmove(cur.block[i], cur.block[i + 1],
			    (cur.nblock - i - 1) * sizeof(cur.block[0]));
			cur.nblock--;
		}
		if (settings_put(req.account, &cur) == -1) {
			answer(req.reqid, IPC_TEMPFAIL, 0, NULL);
			return;
		}
		break;
	default:
		fatalx("network: bad SET_REQ op %d", req.op);
	}
	answer(req.reqid, IPC_OK, 0, &cur);
}

int
settings_dispatch(struct imsg *imsg)
{
	if (imsg->hdr.type != IMSG_SET_REQ)
		return (0);
	set_req_msg(imsg);
	return (1);
}
