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
 * immpctl key generate|show|rollover: the keys of the local domains
 * (draft 6.1, DESIGN §5 "Domain keys and envelopes", immpctl(8) KEY
 * FILES, keyfile.h).
 *
 * The secret key file is the authority: it is written first, and the
 * public key file is then derived from it.  If the two disagree (a crash
 * between the two renames, a public file edited by hand), generate and
 * rollover write the public file again from the secret one.  Each file
 * is written to "<file>.tmp", synced, renamed over the file and the
 * directory synced; writers are serialised by flock(2) on the key
 * directory.  Secret key files get mode 0600; when immpctl runs as
 * root they are owned by the configuration's user (immpd.conf(5) user),
 * the user immp-lookup runs as, which signs and opens envelopes with
 * them after it dropped its privileges.  Public key files get 0644.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "ipc.h"
#include "keyfile.h"
#include "util.h"
#include "immpctl.h"

#define ERR_MAX		(PATH_MAX + 256)

struct keypaths {
	char	 domain[KEY_DOMAIN_MAX];
	char	 pub[PATH_MAX];
	char	 sec[PATH_MAX];
};

static void	 key_paths(struct immpd_conf *, const char *,
		    struct keypaths *);
static int	 key_lock(struct immpd_conf *);
static void	 write_atomic(const char *, const char *, const char *,
		    size_t, mode_t, const char *);
static void	 write_set(struct immpd_conf *, const struct keypaths *,
		    const struct keyset *, int);
static int	 sync_public(struct immpd_conf *, const struct keypaths *,
		    const struct keyset *);
static int	 show_domain(struct immpd_conf *, const char *, int);
static int	 key_generate(int, char *[]);
static int	 key_rollover(int, char *[]);
static int	 key_show(int, char *[]);

/*
 * The paths of the key files of domain, which must be one of ours (any
 * ASCII case; kept in lower case).  Exits on error.
 */
static void
key_paths(struct immpd_conf *conf, const char *domain, struct keypaths *kp)
{
	size_t	 i, len = strlen(domain);

	if (len >= sizeof(kp->domain))
		errx(1, "%s: domain too long", domain);
	for (i = 0; i <= len; i++)
		kp->domain[i] = (domain[i] >= 'A' && domain[i] <= 'Z') ?
		    domain[i] - 'A' + 'a' : domain[i];
	if (!conf_is_local(conf, kp->domain))
		errx(1, "%s: not a domain of this server", domain);
	if (keyfile_path(conf->keys_dir, kp->domain, KEYFILE_PUBLIC, kp->pub,
	    sizeof(kp->pub)) == -1 || keyfile_path(conf->keys_dir,
	    kp->domain, KEYFILE_SECRET, kp->sec, sizeof(kp->sec)) == -1)
		err(1, "%s: key file path", kp->domain);
}

/* Creates the key directory if needed and locks it; returns the fd. */
static int
key_lock(struct immpd_conf *conf)
{
	int	 fd;

	if (mkdirs(conf->keys_dir, 0755) == -1)
		err(1, "%s", conf->keys_dir);
	if ((fd = open(conf->keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		err(1, "%s", conf->keys_dir);
	if (flock(fd, LOCK_EX) == -1)
		err(1, "%s: lock", conf->keys_dir);
	return fd;
}

/*
 * Replaces path (in directory dir) by text[0..len) with mode, as
 * described at the top; if owner is not NULL and immpctl runs as root,
 * the file is given to that user and its primary group.  Exits on
 * error, after removing the temporary file.
 */
static void
write_atomic(const char *dir, const char *path, const char *text,
    size_t len, mode_t mode, const char *owner)
{
	struct passwd	*pw = NULL;
	char		 tmp[PATH_MAX];
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd, saved;

	if (owner != NULL && geteuid() == 0 && (pw = getpwnam(owner)) ==
	    NULL)
		warnx("%s: no user \"%s\" (immpd.conf user): the secret keys "
		    "stay owned by root", path, owner);

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", path);
	if (unlink(tmp) == -1 && errno != ENOENT)
		err(1, "%s", tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1)
		err(1, "%s", tmp);
	if (fchmod(fd, mode) == -1)
		goto fail;
	if (pw != NULL && fchown(fd, pw->pw_uid, pw->pw_gid) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	if (fsync_dir(dir) == -1)
		err(1, "%s", dir);
	return;
 fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
	err(1, "%s", tmp);
}

/*
 * Writes the secret file of ks (if secret is set) and then the public
 * file derived from it.
 */
static void
write_set(struct immpd_conf *conf, const struct keypaths *kp,
    const struct keyset *ks, int secret)
{
	char	 text[KEYFILE_MAX];
	int	 n;

	if (secret) {
		if ((n = keyfile_format(ks, KEYFILE_SECRET, text,
		    sizeof(text))) == -1)
			err(1, "%s: cannot format the secret keys", kp->domain);
		write_atomic(conf->keys_dir, kp->sec, text, (size_t)n, 0600,
		    conf->user);
		sodium_memzero(text, sizeof(text));
	}
	if ((n = keyfile_format(ks, KEYFILE_PUBLIC, text, sizeof(text))) == -1)
		err(1, "%s: cannot format the public keys", kp->domain);
	write_atomic(conf->keys_dir, kp->pub, text, (size_t)n, 0644,
	    NULL);
}

/*
 * Makes the public key file agree with the secret set ks; returns 1 if
 * it had to be written, else 0.
 */
static int
sync_public(struct immpd_conf *conf, const struct keypaths *kp,
    const struct keyset *ks)
{
	struct keyset	 pub;
	char		 want[KEYFILE_MAX], have[KEYFILE_MAX];
	char		 errbuf[ERR_MAX];
	int		 r, n, m = -1;

	if ((n = keyfile_format(ks, KEYFILE_PUBLIC, want, sizeof(want))) == -1)
		err(1, "%s: cannot format the public keys", kp->domain);
	r = keyfile_read(kp->pub, KEYFILE_PUBLIC, kp->domain, &pub, errbuf,
	    sizeof(errbuf));
	if (r == 0)
		m = keyfile_format(&pub, KEYFILE_PUBLIC, have, sizeof(have));
	keyset_wipe(&pub);
	if (m == n && memcmp(want, have, (size_t)n) == 0)
		return 0;
	if (r == -1)
		warnx("%s", errbuf);
	warnx("%s: %s does not match the secret keys: written again from %s",
	    kp->domain, kp->pub, kp->sec);
	write_set(conf, kp, ks, 0);
	return 1;
}

/*
 * Prints the published keys of domain (immpctl(8) key show).  Returns
 * 0; 1 if the domain has no keys (then "domain <d> none" is printed if
 * quiet_none is 0, else nothing); -1 after a message if the public key
 * file is unusable.
 */
static int
show_domain(struct immpd_conf *conf, const char *domain, int quiet_none)
{
	struct keypaths		 kp;
	struct keyset		 ks;
	struct ipc_key_result	 v;
	char			 errbuf[ERR_MAX], line[KEY_LINE_MAX];
	char			 fp[KEY_FP_HEX];
	size_t			 i;
	int			 r;

	key_paths(conf, domain, &kp);
	r = keyfile_read(kp.pub, KEYFILE_PUBLIC, kp.domain, &ks, errbuf,
	    sizeof(errbuf));
	if (r == -1) {
		warnx("%s", errbuf);
		return -1;
	}
	memset(&v, 0, sizeof(v));
	if (r == 1 || keyset_view(&ks, time(NULL), &v) == 0) {
		if (!quiet_none)
			printf("domain %s none\n", kp.domain);
		return 1;
	}
	key_fp_hex(v.gen[0].fp, fp);
	printf("domain %s fingerprint %s\n", kp.domain, fp);
	for (i = 0; (r = keyview_line(&v, i, line, sizeof(line))) == 1; i++)
		printf("%s\n", line);
	if (r == -1)
		errx(1, "%s: cannot format the keys", kp.domain);
	return 0;
}

/* key generate domain */
static int
key_generate(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	struct keypaths		 kp;
	struct keyset		 ks;
	struct stat		 st;
	char			 errbuf[ERR_MAX];
	int			 lock, r;

	if (argc != 2)
		usage();
	immpctl_conf(&conf);
	key_paths(&conf, argv[1], &kp);
	lock = key_lock(&conf);

	r = keyfile_read(kp.sec, KEYFILE_SECRET, kp.domain, &ks, errbuf,
	    sizeof(errbuf));
	if (r == -1)
		errx(1, "%s", errbuf);
	if (r == 0) {
		/* A generate that stopped after the secret file. */
		r = sync_public(&conf, &kp, &ks);
		keyset_wipe(&ks);
		if (!r)
			errx(1, "%s: keys exist (use \"key rollover\" to "
			    "replace them)", kp.domain);
	} else {
		if (lstat(kp.pub, &st) == 0)
			errx(1, "%s: %s exists without %s; remove it to "
			    "generate new keys", kp.domain, kp.pub, kp.sec);
		if (errno != ENOENT)
			err(1, "%s", kp.pub);
		if (keyset_generate(&ks, kp.domain, time(NULL)) == -1)
			err(1, "%s: cannot generate keys", kp.domain);
		write_set(&conf, &kp, &ks, 1);
		keyset_wipe(&ks);
	}
	(void)close(lock);
	(void)show_domain(&conf, kp.domain, 0);
	conf_clear(&conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

/* key rollover domain */
static int
key_rollover(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	struct keypaths		 kp;
	struct keyset		 ks;
	char			 errbuf[ERR_MAX];
	const char		*errstr;
	int			 lock, r;

	if (argc != 2)
		usage();
	immpctl_conf(&conf);
	key_paths(&conf, argv[1], &kp);
	lock = key_lock(&conf);

	r = keyfile_read(kp.sec, KEYFILE_SECRET, kp.domain, &ks, errbuf,
	    sizeof(errbuf));
	if (r == -1)
		errx(1, "%s", errbuf);
	if (r == 1)
		errx(1, "%s: no keys (use \"key generate\" first)", kp.domain);
	(void)sync_public(&conf, &kp, &ks);
	if (keyset_rollover(&ks, time(NULL), conf.key_rollover,
	    &errstr) == -1) {
		if (strcmp(errstr, "rollover in progress") == 0)
			errx(1, "%s: a rollover is in progress: generation "
			    "%u stays valid until %lld", kp.domain,
			    (unsigned int)ks.gen[0].gen,
			    (long long)ks.gen[0].not_after);
		errx(1, "%s: %s", kp.domain, errstr);
	}
	write_set(&conf, &kp, &ks, 1);
	keyset_wipe(&ks);
	(void)close(lock);
	(void)show_domain(&conf, kp.domain, 0);
	conf_clear(&conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

/* key show [domain] */
static int
key_show(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	struct conf_domain	*d;
	int			 rv = 0, r;

	if (argc > 2)
		usage();
	immpctl_conf(&conf);
	if (argc == 2) {
		if ((r = show_domain(&conf, argv[1], 1)) == 1)
			errx(1, "%s: no keys (use \"key generate\")",
			    argv[1]);
		if (r == -1)
			rv = 1;
	} else {
		TAILQ_FOREACH(d, &conf.domains, entry)
			if (show_domain(&conf, d->name, 0) == -1)
				rv = 1;
	}
	conf_clear(&conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return rv;
}

int
cmd_key(int argc, char *argv[])
{
	if (argc < 2)
		usage();
	argc--;
	argv++;
	if (strcmp(argv[0], "generate") == 0)
		return key_generate(argc, argv);
	if (strcmp(argv[0], "rollover") == 0)
		return key_rollover(argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return key_show(argc, argv);
	if (strcmp(argv[0], "pin") == 0)
		return cmd_keypin(argc, argv);	/* keypin.c */
	usage();
}
