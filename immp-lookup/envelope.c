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
 * Signing and checking envelopes in immp-lookup (envelope.h).
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "envelope.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "keyfile.h"
#include "lka_envelope.h"
#include "log.h"
#include "util.h"

struct sk {
	TAILQ_ENTRY(sk)	 entry;
	char		 domain[KEY_DOMAIN_MAX];
	char		 path[PATH_MAX];
	int		 have;
	struct keyset	 ks;		/* with the secret keys */
};

static TAILQ_HEAD(, sk)	 sks = TAILQ_HEAD_INITIALIZER(sks);
static struct imsgev	*net;
static struct env_replay replay = { 0, ENVELOPE_REPLAY_MAX, 0, NULL };

static struct sk	*sk_get(const char *);
static void		 env_make_msg(struct imsg *);
static void		 env_check_msg(struct imsg *);
static char		*fd_text(int, size_t *);

/* Reads the secret file again; keeps the last good set if it fails. */
static void
sk_refresh(struct sk *k, int startup)
{
	struct keyset	 ks;
	char		 err[PATH_MAX + 256];
	int		 r;

	r = keyfile_read(k->path, KEYFILE_SECRET, k->domain, &ks, err,
	    sizeof(err));
	if (r == 0) {
		keyset_wipe(&k->ks);
		k->ks = ks;
		k->have = 1;
		keyset_wipe(&ks);
		return;
	}
	if (r == 1) {
		if (startup)
			log_debug("envelope %s: no secret key file",
			    k->domain);
		keyset_wipe(&k->ks);
		k->have = 0;
		return;
	}
	if (startup)
		log_warnx("envelope %s: %s", k->domain, err);
}

static struct sk *
sk_get(const char *domain)
{
	struct sk	*k;

	TAILQ_FOREACH(k, &sks, entry)
		if (strcmp(k->domain, domain) == 0) {
			sk_refresh(k, 0);
			return (k->have ? k : NULL);
		}
	return (NULL);
}

void
envelope_init(struct immpd_conf *conf, struct imsgev *network)
{
	struct conf_domain	*cd;
	struct sk		*k;

	net = network;
	TAILQ_FOREACH(cd, &conf->domains, entry) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			fatal("envelope");
		(void)strlcpy(k->domain, cd->name, sizeof(k->domain));
		if (keyfile_path(conf->keys_dir, k->domain, KEYFILE_SECRET,
		    k->path, sizeof(k->path)) == -1)
			fatalx("envelope %s: key file path too long",
			    k->domain);
		TAILQ_INSERT_TAIL(&sks, k, entry);
		sk_refresh(k, 1);
	}
}

void
envelope_shutdown(void)
{
	struct sk	*k;

	while ((k = TAILQ_FIRST(&sks)) != NULL) {
		TAILQ_REMOVE(&sks, k, entry);
		keyset_wipe(&k->ks);
		free(k);
	}
	env_replay_free(&replay);
}

int
envelope_dispatch(struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_ENV_MAKE:
		if (imsg->fd != -1)
			fatalx("network: descriptor with ENV_MAKE");
		env_make_msg(imsg);
		return (1);
	case IMSG_ENV_CHECK:
		if (imsg->fd == -1)
			fatalx("network: ENV_CHECK without a descriptor");
		env_check_msg(imsg);
		return (1);
	default:
		return (0);
	}
}

/* The contents of fd (at most ENV_MAX octets), NUL-terminated; or NULL. */
static char *
fd_text(int fd, size_t *len)
{
	struct stat	 st;
	char		*buf;

	if (fstat(fd, &st) == -1 || st.st_size < 0 ||
	    st.st_size > ENV_MAX)
		return (NULL);
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return (NULL);
	if (pread_full(fd, 0, buf, (size_t)st.st_size) == -1) {
		free(buf);
		return (NULL);
	}
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return (buf);
}

/* The generation that signs now: the current one KEY REQUEST shows. */
static const struct key_gen *
sk_current(const struct sk *k)
{
	struct ipc_key_result	 view;
	size_t			 i;

	memset(&view, 0, sizeof(view));
	if (keyset_view(&k->ks, time(NULL), &view) == 0)
		return (NULL);
	for (i = 0; i < k->ks.ngen; i++)
		if (memcmp(k->ks.gen[i].fp, view.gen[0].fp, KEY_FP) == 0)
			return (&k->ks.gen[i]);
	return (NULL);
}

static void
env_make_msg(struct imsg *imsg)
{
	struct ipc_env_make	 req;
	struct ipc_env_made	 res;
	struct env_outer	*e = NULL;
	struct env_inner	*in = NULL;
	const struct key_gen	*g;
	struct sk		*k;
	char			*text = NULL;
	size_t			 i, len;
	int			 fd = -1;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.origin, sizeof(req.origin)) ||
	    !ipc_check_str(req.destination, sizeof(req.destination)) ||
	    !ipc_check_str(req.sender, sizeof(req.sender)) ||
	    req.nrcpt == 0 || req.nrcpt > IPC_ENV_RCPTS)
		fatalx("network: bad ENV_MAKE");
	for (i = 0; i < req.nrcpt; i++)
		if (!ipc_check_str(req.rcpt[i], sizeof(req.rcpt[i])))
			fatalx("network: bad ENV_MAKE recipient");
	memset(&res, 0, sizeof(res));
	res.reqid = req.reqid;
	res.result = IPC_FAIL;
	if ((k = sk_get(req.origin)) == NULL || (g = sk_current(k)) ==
	    NULL) {
		(void)strlcpy(res.reason, "no secret keys for the origin",
		    sizeof(res.reason));
		goto done;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (in = calloc(1, sizeof(*in))) == NULL)
		fatal("envelope");
	(void)strlcpy(in->sender, req.sender, sizeof(in->sender));
	in->flags = req.flags;
	in->nrcpt = req.nrcpt;
	for (i = 0; i < req.nrcpt; i++)
		(void)strlcpy(in->rcpt[i], req.rcpt[i], sizeof(in->rcpt[i]));
	if (env_make(e, in, req.origin, req.destination, req.digest,
	    time(NULL), g->fp, g->sign_sk, req.seal_pk) == -1 ||
	    (text = env_format(e, &len)) == NULL) {
		(void)strlcpy(res.reason, "envelope cannot be made",
		    sizeof(res.reason));
		goto done;
	}
	if ((fd = memfd_sealed("immp-envelope", text, len)) == -1) {
		log_warn("envelope memfd");
		res.result = IPC_TEMPFAIL;
		(void)strlcpy(res.reason, "internal error",
		    sizeof(res.reason));
		goto done;
	}
	res.result = IPC_OK;
 done:
	if (res.result != IPC_OK)
		log_info("envelope not made origin=%s destination=%s: %s",
		    req.origin, req.destination, res.reason);
	if (imsgev_compose(net, IMSG_ENV_MADE, 0, fd, &res,
	    sizeof(res)) == -1)
		fatal("imsg to network");
	free(text);
	if (in != NULL)
		sodium_memzero(in, sizeof(*in));
	free(in);
	free(e);
	sodium_memzero(&req, sizeof(req));
}

static void
env_check_msg(struct imsg *imsg)
{
	struct ipc_env_check	 req;
	struct ipc_env_checked	*res;
	struct env_outer	*e;
	struct env_inner	*in;
	struct sk		*k;
	char			*text, err[256];
	size_t			 i, len;
	int			 v = ENV_NOT_SEALED;

	memcpy(&req, ipc_payload(imsg, sizeof(req)), sizeof(req));
	if (!ipc_check_str(req.origin, sizeof(req.origin)) ||
	    !ipc_check_str(req.destination, sizeof(req.destination)))
		fatalx("network: bad ENV_CHECK");
	if ((res = calloc(1, sizeof(*res))) == NULL ||
	    (e = calloc(1, sizeof(*e))) == NULL ||
	    (in = calloc(1, sizeof(*in))) == NULL)
		fatal("envelope");
	res->reqid = req.reqid;
	res->result = IPC_FAIL;
	text = fd_text(imsg->fd, &len);
	close(imsg->fd);
	if (text == NULL || env_parse(text, len, e, err, sizeof(err)) ==
	    -1) {
		(void)strlcpy(res->reason, "malformed", sizeof(res->reason));
		goto done;
	}
	if (strcmp(e->origin, req.origin) != 0) {
		(void)strlcpy(res->reason, "wrong-origin",
		    sizeof(res->reason));
		goto done;
	}
	if ((k = sk_get(req.destination)) == NULL) {
		(void)strlcpy(res->reason, "no-keys", sizeof(res->reason));
		goto done;
	}
	/* Sealed to the current generation, or to the next one. */
	for (i = 0; i < k->ks.ngen; i++) {
		v = env_check(e, req.destination, time(NULL),
		    ENVELOPE_WINDOW, req.digest, req.fp, req.sign_pk,
		    k->ks.gen[i].seal_pk, k->ks.gen[i].seal_sk, &replay, in);
		if (v != ENV_NOT_SEALED)
			break;
	}
	if (v == -1) {
		res->result = IPC_TEMPFAIL;
		(void)strlcpy(res->reason, "replay table full",
		    sizeof(res->reason));
		goto done;
	}
	if (v != ENV_OK) {
		(void)strlcpy(res->reason, env_verdict_name(v),
		    sizeof(res->reason));
		goto done;
	}
	res->result = IPC_OK;
	res->timestamp = e->timestamp;
	res->nvia = (uint32_t)e->nvia;
	res->flags = in->flags;
	(void)strlcpy(res->sender, in->sender, sizeof(res->sender));
	res->nrcpt = (uint32_t)in->nrcpt;
	for (i = 0; i < in->nrcpt && i < IPC_ENV_RCPTS; i++)
		(void)strlcpy(res->rcpt[i], in->rcpt[i],
		    sizeof(res->rcpt[i]));
 done:
	if (imsgev_compose(net, IMSG_ENV_CHECKED, 0, -1, res,
	    sizeof(*res)) == -1)
		fatal("imsg to network");
	free(text);
	sodium_memzero(in, sizeof(*in));
	free(in);
	free(e);
	free(res);
}
