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
 * Public domain keys in immp-lookup (keys.h): one entry per local
 * domain with its public key file, the last good key set and the
 * identity of the file last looked at.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/queue.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "ipc.h"
#include "keyfile.h"
#include "log.h"
#include "keys.h"

enum dk_state {
	DK_NONE,	/* not looked at yet */
	DK_MISSING,	/* no file: no keys */
	DK_BAD,		/* unusable file; ks: the last good set */
	DK_OK,		/* ks is the file's set */
};

struct dk {
	TAILQ_ENTRY(dk)	 entry;
	char		 domain[KEY_DOMAIN_MAX];
	char		 path[PATH_MAX];
	enum dk_state	 state;
	int		 have;		/* ks holds a good set */
	struct keyset	 ks;
	dev_t		 dev;		/* the file last read */
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

static TAILQ_HEAD(, dk)	 dks = TAILQ_HEAD_INITIALIZER(dks);

static void	 dk_refresh(struct dk *);
static struct dk *dk_find(const char *);

/* Reads the file again if it is not the one last looked at. */
static void
dk_refresh(struct dk *d)
{
	struct stat	 st;
	struct keyset	 ks;
	char		 err[PATH_MAX + 256];
	int		 r;

	if (stat(d->path, &st) == -1) {
		if (errno != ENOENT) {
			if (d->state != DK_BAD)
				log_warn("keys %s: %s", d->domain, d->path);
			d->state = DK_BAD;
			d->ino = 0;
			return;
		}
		if (d->state != DK_MISSING) {
			if (d->have)
				log_warnx("keys %s: %s removed, no keys "
				    "published", d->domain, d->path);
			else
				log_debug("keys %s: no key file %s",
				    d->domain, d->path);
		}
		d->state = DK_MISSING;
		d->have = 0;
		keyset_wipe(&d->ks);
		return;
	}
	if (d->state != DK_NONE && d->state != DK_MISSING &&
	    st.st_dev == d->dev && st.st_ino == d->ino &&
	    st.st_size == d->size &&
	    st.st_mtim.tv_sec == d->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == d->mtime.tv_nsec)
		return;

	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->size = st.st_size;
	d->mtime = st.st_mtim;
	r = keyfile_read(d->path, KEYFILE_PUBLIC, d->domain, &ks, err,
	    sizeof(err));
	if (r == 0) {
		d->ks = ks;
		d->have = 1;
		d->state = DK_OK;
		log_info("keys %s: loaded %zu generation%s from %s",
		    d->domain, ks.ngen, ks.ngen == 1 ? "" : "s", d->path);
		return;
	}
	if (r == 1) {
		/* Gone between stat and open: looked at again next time. */
		d->state = DK_NONE;
		return;
	}
	log_warnx("keys %s: %s%s", d->domain, err,
	    d->have ? "; the keys loaded before stay published" : "");
	d->state = DK_BAD;
}

static struct dk *
dk_find(const char *domain)
{
	struct dk	*d;

	TAILQ_FOREACH(d, &dks, entry)
		if (strcmp(d->domain, domain) == 0)
			return (d);
	return (NULL);
}

void
keys_init(struct immpd_conf *conf)
{
	struct conf_domain	*cd;
	struct dk		*d;

	TAILQ_FOREACH(cd, &conf->domains, entry) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			fatal("keys");
		(void)strlcpy(d->domain, cd->name, sizeof(d->domain));
		if (keyfile_path(conf->keys_dir, d->domain, KEYFILE_PUBLIC,
		    d->path, sizeof(d->path)) == -1)
			fatalx("keys %s: key file path too long", d->domain);
		d->state = DK_NONE;
		TAILQ_INSERT_TAIL(&dks, d, entry);
		dk_refresh(d);
	}
}

void
keys_request(const struct ipc_key_request *req, struct ipc_key_result *out)
{
	struct dk	*d;
	const char	*what;

	memset(out, 0, sizeof(*out));
	out->reqid = req->reqid;
	(void)strlcpy(out->domain, req->domain, sizeof(out->domain));
	if ((d = dk_find(req->domain)) == NULL) {
		out->result = IPC_FAIL;
		what = "not local";
	} else {
		dk_refresh(d);
		if (d->have && keyset_view(&d->ks, time(NULL), out) > 0) {
			out->result = IPC_OK;
			what = "ok";
		} else if (d->have || d->state == DK_MISSING) {
			out->result = IPC_FAIL;
			what = d->have ? "expired" : "no keys";
		} else {
			out->result = IPC_TEMPFAIL;
			what = "unreadable";
		}
		out->reqid = req->reqid;
	}
	log_debug("key request domain=%s result=%s",
	    d != NULL ? d->domain : "(not local)", what);
}

void
keys_shutdown(void)
{
	struct dk	*d;

	while ((d = TAILQ_FIRST(&dks)) != NULL) {
		TAILQ_REMOVE(&dks, d, entry);
		keyset_wipe(&d->ks);
		free(d);
	}
}
