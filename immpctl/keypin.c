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
 * immpctl key pin show|accept|clear: the pinned domain keys of peer
 * domains (immpctl(8), immp-queue/keypins.h).
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "imid.h"
#include "immpctl.h"
#include "pins.h"
#include "../immp-lookup/table_db.h"
#include "../immp-queue/keypins.h"
#include "table_write.h"

/* 0 and *k filled if key has a valid entry, -1 if none. */
static int
kp_get(const char *path, const char *key, struct keypin *k)
{
	struct table_db	*t;
	char		 v[KEYPIN_VALUE_MAX];
	int		 r;

	if ((t = table_db_open(path)) == NULL)
		err(1, "%s", path);
	r = table_db_get(t, key, v, sizeof(v));
	table_db_close(t);
	if (r == TABLE_DB_ERROR)
		errx(1, "%s: cannot read %s", path, key);
	if (r < 0)
		return (-1);
	if (keypin_parse(v, k) == -1) {
		warnx("%s: %s: malformed entry", path, key);
		return (-1);
	}
	return (0);
}

static void
fp_hex(const struct keypin *k, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[k->fp[i] >> 4];
		out[2 * i + 1] = hex[k->fp[i] & 15];
	}
	out[64] = '\0';
}

static int
kp_show(const char *path, const char *only)
{
	struct keypin	 k, p;
	char		**keys, fp[65], pfp[65], pkey[IPC_DOMAIN_MAX + 2];
	char		 msg[512];
	size_t		 n, i;
	int		 shown = 0;

	if (table_keys(path, &keys, &n, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	for (i = 0; i < n; i++) {
		if (strncmp(keys[i], KEYPIN_PENDING,
		    strlen(KEYPIN_PENDING)) == 0)
			continue;
		if (only != NULL && strcmp(only, keys[i]) != 0)
			continue;
		if (kp_get(path, keys[i], &k) == -1)
			continue;
		fp_hex(&k, fp);
		printf("%s %s", keys[i], fp);
		(void)snprintf(pkey, sizeof(pkey), "%s%s", KEYPIN_PENDING,
		    keys[i]);
		if (kp_get(path, pkey, &p) == 0) {
			fp_hex(&p, pfp);
			printf(" mismatch-seen %s", pfp);
		}
		putchar('\n');
		shown++;
	}
	table_keys_free(keys, n);
	if (only != NULL && shown == 0) {
		fprintf(stderr, "immpctl: %s: no key pin\n", only);
		return (1);
	}
	return (0);
}

int
cmd_keypin(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	struct keypin		 k;
	char			 path[CONF_PATH_MAX], dom[IPC_DOMAIN_MAX];
	char			 pkey[IPC_DOMAIN_MAX + 2];
	char			 v[KEYPIN_VALUE_MAX];
	char			 fp[65], msg[512];
	int			 r;

	/* argv: "pin" <verb> [domain [fp]] */
	if (argc < 2)
		usage();
	immpctl_conf(&conf);
	keypins_path(&conf, path, sizeof(path));
	conf_clear(&conf);
	if (strcmp(argv[1], "show") == 0 && (argc == 2 || argc == 3)) {
		if (argc == 3)
			pins_domain(argv[2], dom, sizeof(dom));
		return (kp_show(path, argc == 3 ? dom : NULL));
	}
	if (argc < 3)
		usage();
	pins_domain(argv[2], dom, sizeof(dom));
	(void)snprintf(pkey, sizeof(pkey), "%s%s", KEYPIN_PENDING, dom);
	if (strcmp(argv[1], "accept") == 0 && (argc == 3 || argc == 4)) {
		if (kp_get(path, pkey, &k) == -1)
			errx(1, "%s: no changed keys seen", dom);
		fp_hex(&k, fp);
		if (argc == 4 && strcmp(argv[3], fp) != 0)
			errx(1, "%s: the keys seen have the fingerprint %s",
			    dom, fp);
		if (keypin_format(&k, v, sizeof(v)) < 0 ||
		    table_update(path, TABLE_SET, dom, v, strlen(v),
		    (gid_t)-1, msg, sizeof(msg)) == -1 ||
		    table_update(path, TABLE_DEL, pkey, NULL, 0, (gid_t)-1,
		    msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		printf("%s keys pinned to %s\n", dom, fp);
		return (0);
	}
	if (strcmp(argv[1], "clear") == 0 && argc == 3) {
		r = table_update(path, TABLE_DEL, dom, NULL, 0, (gid_t)-1,
		    msg, sizeof(msg));
		if (r == -1 || table_update(path, TABLE_DEL, pkey, NULL, 0,
		    (gid_t)-1, msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		if (r == TABLE_NOKEY) {
			fprintf(stderr, "immpctl: %s: no key pin\n", dom);
			return (1);
		}
		printf("%s: key pin cleared; the next contact pins again\n",
		    dom);
		return (0);
	}
	usage();
}
