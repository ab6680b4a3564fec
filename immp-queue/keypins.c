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

/* Domain key pins (keypins.h). */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "keyfile.h"
#include "log.h"
#include "util.h"
#include "keypins.h"
#include "../immp-lookup/table_db.h"
#include "../immpctl/table_write.h"

static struct {
	struct imsgev	*net;
	char		 path[CONF_PATH_MAX];
} kp;

static void
from_gen(const struct ipc_key_gen *g, struct keypin *k)
{
	memcpy(k->fp, g->fp, 32);
	memcpy(k->sign_pk, g->sign_pk, 32);
	memcpy(k->seal_pk, g->seal_pk, 32);
}

int
keypin_decide(const char *domain, const struct keypin *pinned, int have,
    const struct ipc_key_result *view, struct keypin *use)
{
	const struct ipc_key_gen	*g;
	uint8_t				 fp[32];
	char				 msg[KEY_LINE_MAX];
	uint32_t			 i;
	int				 n;

	memset(use, 0, sizeof(*use));
	if (!have || view->ngen == 0)
		return (pinned != NULL ? KEYPIN_GONE : KEYPIN_NONE);
	if (view->ngen > IPC_KEY_GENS)
		return (KEYPIN_MISMATCH);
	for (i = 0; i < view->ngen; i++) {
		key_fingerprint(view->gen[i].sign_pk, view->gen[i].seal_pk,
		    fp);
		if (sodium_memcmp(fp, view->gen[i].fp, 32) != 0)
			return (KEYPIN_MISMATCH);
	}
	from_gen(&view->gen[0], use);
	if (pinned == NULL)
		return (KEYPIN_NEW);
	for (i = 0; i < view->ngen; i++)
		if (sodium_memcmp(view->gen[i].fp, pinned->fp, 32) == 0) {
			from_gen(&view->gen[i], use);
			return (KEYPIN_MATCH);
		}
	if (!view->rollover ||
	    sodium_memcmp(view->rollover_prev_fp, pinned->fp, 32) != 0)
		return (KEYPIN_MISMATCH);
	for (i = 0, g = NULL; i < view->ngen; i++)
		if (view->gen[i].gen == view->rollover_gen)
			g = &view->gen[i];
	if (g == NULL || (n = keyset_rollover_msg(domain, pinned->fp, g->fp,
	    msg, sizeof(msg))) == -1 ||
	    crypto_sign_verify_detached(view->rollover_sig,
	    (const unsigned char *)msg, (size_t)n, pinned->sign_pk) != 0)
		return (KEYPIN_MISMATCH);
	from_gen(g, use);
	return (KEYPIN_ROLLOVER);
}

int
keypin_format(const struct keypin *k, char *buf, size_t size)
{
	char	 fp[KEY_FP_HEX], s[64], x[64];

	key_fp_hex(k->fp, fp);
	if (b64_encode(k->sign_pk, 32, s, sizeof(s)) == -1 ||
	    b64_encode(k->seal_pk, 32, x, sizeof(x)) == -1)
		return (-1);
	return (snprintf(buf, size, "%s %s %s", fp, s, x));
}

int
keypin_parse(const char *s, struct keypin *k)
{
	char	 w[3][72];
	uint8_t	 fp[32];
	size_t	 i, n, len;
	const char *p = s;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < 3; i++) {
		n = strcspn(p, " ");
		if (n == 0 || n >= sizeof(w[i]))
			return (-1);
		memcpy(w[i], p, n);
		w[i][n] = '\0';
		p += n;
		if (i < 2) {
			if (*p != ' ')
				return (-1);
			p++;
		}
	}
	if (*p != '\0' || strlen(w[0]) != 64)
		return (-1);
	for (i = 0; i < 64; i++)
		if (!((w[0][i] >= '0' && w[0][i] <= '9') ||
		    (w[0][i] >= 'a' && w[0][i] <= 'f')))
			return (-1);
	if (sodium_hex2bin(k->fp, 32, w[0], 64, NULL, &len, NULL) != 0 ||
	    len != 32 || b64_decode(w[1], k->sign_pk, 32) != 32 ||
	    b64_decode(w[2], k->seal_pk, 32) != 32)
		goto bad;
	key_fingerprint(k->sign_pk, k->seal_pk, fp);
	if (sodium_memcmp(fp, k->fp, 32) != 0)
		goto bad;
	return (0);
 bad:
	memset(k, 0, sizeof(*k));
	return (-1);
}

void
keypins_path(struct immpd_conf *conf, char *buf, size_t size)
{
	char	 pins[CONF_PATH_MAX], *slash;

	conf_pins_path(conf, pins, sizeof(pins));
	if ((slash = strrchr(pins, '/')) == NULL)
		(void)strlcpy(buf, "keypins.db", size);
	else {
		slash[1] = '\0';
		(void)snprintf(buf, size, "%skeypins.db", pins);
	}
}

int
keypins_check(const char *path, const char *domain, int have,
    const struct ipc_key_result *view, struct keypin *use)
{
	struct table_db	*t;
	struct keypin	 pinned;
	char		 value[KEYPIN_VALUE_MAX], key[IPC_DOMAIN_MAX + 2];
	char		 err[512], fp[KEY_FP_HEX];
	int		 r, state, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((t = table_db_open(path)) == NULL) {
			log_warn("keypins %s", path);
			return (KEYPIN_ERROR);
		}
		r = table_db_get(t, domain, value, sizeof(value));
		table_db_close(t);
		if (r < 0 && r != TABLE_DB_NOTFOUND) {
			log_warnx("keypins %s: cannot read the pin of %s",
			    path, domain);
			return (KEYPIN_ERROR);
		}
		if (r >= 0 && keypin_parse(value, &pinned) == -1) {
			log_warnx("keypins %s: bad pin for %s", path, domain);
			memset(&pinned, 0xff, sizeof(pinned));
		}
		state = keypin_decide(domain, r >= 0 ? &pinned : NULL, have,
		    view, use);
		if (state != KEYPIN_NEW)
			break;
		if (keypin_format(use, value, sizeof(value)) < 0)
			return (KEYPIN_ERROR);
		r = table_update(path, TABLE_ADD, domain, value,
		    strlen(value), (gid_t)-1, err, sizeof(err));
		if (r == TABLE_OK) {
			key_fp_hex(use->fp, fp);
			log_info("keypin stored domain=%s fp=%s", domain, fp);
			return (KEYPIN_NEW);
		}
		if (r != TABLE_EXISTS) {
			log_warnx("%s", err);
			return (KEYPIN_ERROR);
		}
		/* Pinned meanwhile (immpctl): compare with that. */
	}
	if (state == KEYPIN_ROLLOVER || state == KEYPIN_MISMATCH) {
		if (keypin_format(use, value, sizeof(value)) < 0)
			return (KEYPIN_ERROR);
		key_fp_hex(use->fp, fp);
		if (state == KEYPIN_ROLLOVER)
			(void)strlcpy(key, domain, sizeof(key));
		else
			(void)snprintf(key, sizeof(key), "%s%s",
			    KEYPIN_PENDING, domain);
		if (table_update(path, TABLE_SET, key, value, strlen(value),
		    (gid_t)-1, err, sizeof(err)) != TABLE_OK) {
			log_warnx("%s", err);
			if (state == KEYPIN_ROLLOVER)
				return (KEYPIN_ERROR);
		}
		if (state == KEYPIN_ROLLOVER)
			log_info("keypin rollover domain=%s fp=%s", domain, fp);
		else
			log_warnx("keypin mismatch domain=%s seen=%s: the "
			    "domain's keys changed without a rollover "
			    "(immpctl key pin accept %s after checking)",
			    domain, fp, domain);
	}
	return (state);
}

void
keypins_init(struct immpd_conf *conf, struct imsgev *net, int chrooted)
{
	size_t	 n = strlen(conf->queue_dir);

	keypins_path(conf, kp.path, sizeof(kp.path));
	if (chrooted && strncmp(kp.path, conf->queue_dir, n) == 0 &&
	    kp.path[n] == '/')
		memmove(kp.path, kp.path + n, strlen(kp.path + n) + 1);
	kp.net = net;
}

/* IMSG_ENV_PIN_GET: the pinned keys of a domain, read afresh. */
static void
keypins_get(struct imsg *imsg)
{
	struct ipc_env_pin_get		 pg;
	struct ipc_keypin_result	 kr;
	struct keypin			 pinned;
	struct table_db			*t;
	char				 value[KEYPIN_VALUE_MAX];
	int				 r;

	memcpy(&pg, ipc_payload(imsg, sizeof(pg)), sizeof(pg));
	if (!ipc_check_str(pg.domain, sizeof(pg.domain)) ||
	    !imid_domain_valid(pg.domain))
		fatalx("network: bad ENV_PIN_GET");
	memset(&kr, 0, sizeof(kr));
	kr.reqid = pg.reqid;
	kr.state = KEYPIN_ERROR;
	if ((t = table_db_open(kp.path)) == NULL)
		log_warn("keypins %s", kp.path);
	else {
		r = table_db_get(t, pg.domain, value, sizeof(value));
		table_db_close(t);
		if (r == TABLE_DB_NOTFOUND)
			kr.state = KEYPIN_NONE;
		else if (r < 0 || keypin_parse(value, &pinned) == -1)
			log_warnx("keypins %s: cannot read the pin of %s",
			    kp.path, pg.domain);
		else {
			kr.state = KEYPIN_MATCH;
			memcpy(kr.fp, pinned.fp, 32);
			memcpy(kr.sign_pk, pinned.sign_pk, 32);
			memcpy(kr.seal_pk, pinned.seal_pk, 32);
		}
	}
	if (imsgev_compose(kp.net, IMSG_ENV_PIN, 0, -1, &kr,
	    sizeof(kr)) == -1)
		fatal("imsg to network");
}

void
keypins_imsg(struct imsg *imsg)
{
	struct ipc_keypin_check		 kc;
	struct ipc_keypin_result	 kr;
	struct keypin			 use;

	if (imsg->hdr.type == IMSG_ENV_PIN_GET) {
		keypins_get(imsg);
		return;
	}
	memcpy(&kc, ipc_payload(imsg, sizeof(kc)), sizeof(kc));
	if (!ipc_check_str(kc.domain, sizeof(kc.domain)) ||
	    !imid_domain_valid(kc.domain) ||
	    kc.view.ngen > IPC_KEY_GENS)
		fatalx("network: bad KEYPIN_CHECK");
	memset(&kr, 0, sizeof(kr));
	kr.reqid = kc.reqid;
	kr.state = keypins_check(kp.path, kc.domain, kc.have, &kc.view,
	    &use);
	memcpy(kr.fp, use.fp, 32);
	memcpy(kr.sign_pk, use.sign_pk, 32);
	memcpy(kr.seal_pk, use.seal_pk, 32);
	if (imsgev_compose(kp.net, IMSG_ENV_KEYPIN_RESULT, 0, -1, &kr,
	    sizeof(kr)) == -1)
		fatal("imsg to network");
}
