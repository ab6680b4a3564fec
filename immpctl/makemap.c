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
 * "immpctl makemap [-t type] file table": builds a Berkeley DB hash
 * table (immpd-tables(5)) from its text form (makemap.h) in a temporary
 * file beside the table, syncs it and renames it over the table, so a
 * reader sees the old table or the new one, never a mix.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "immpctl.h"
#include "makemap.h"

struct mm {
	DB	*db;
	char	 tmp[PATH_MAX];
};

static struct mm	*cleanup;

static void
mm_unlink(void)
{
	if (cleanup != NULL && cleanup->tmp[0] != '\0')
		(void)unlink(cleanup->tmp);
}

static int
mm_put(const char *key, const char *value, void *arg)
{
	struct mm	*mm = arg;
	DBT		 k, v;
	int		 r;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	v.data = (void *)value;
	v.size = (u_int32_t)strlen(value);
	if ((r = mm->db->put(mm->db, NULL, &k, &v, DB_NOOVERWRITE)) != 0) {
		warnx("%s: %s", mm->tmp, db_strerror(r));
		return -1;
	}
	return 0;
}

static void
mm_report(const char *msg, void *arg)
{
	warnx("%s", msg);
}

static void
fsync_path(const char *path, int dir)
{
	int	fd;

	if ((fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
	    O_CLOEXEC)) == -1)
		err(1, "%s", path);
	if (fsync(fd) == -1)
		err(1, "fsync %s", path);
	close(fd);
}

int
cmd_makemap(int argc, char *argv[])
{
	struct mm	 mm;
	struct stat	 st;
	enum map_type	 type = MAP_PLAIN;
	const char	*in, *out;
	char		 dirbuf[PATH_MAX], *dir;
	FILE		*fp;
	long		 n;
	int		 ch, fd, r, have_old;

	optind = 1;
	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			if (map_type_parse(optarg, &type) == -1)
				errx(1, "unknown table type %s", optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	in = argv[0];
	out = argv[1];

	if (strcmp(in, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(in, "r")) == NULL)
		err(1, "%s", in);
	memset(&mm, 0, sizeof(mm));
	have_old = stat(out, &st) == 0;
	if (have_old && !S_ISREG(st.st_mode))
		errx(1, "%s: not a regular file", out);
	if ((size_t)snprintf(mm.tmp, sizeof(mm.tmp), "%s.XXXXXX", out) >=
	    sizeof(mm.tmp))
		errx(1, "%s: path too long", out);
	if ((fd = mkstemp(mm.tmp)) == -1)
		err(1, "%s", mm.tmp);
	cleanup = &mm;
	atexit(mm_unlink);
	if (have_old) {
		if (fchown(fd, st.st_uid, st.st_gid) == -1 && geteuid() == 0)
			err(1, "%s", mm.tmp);
		if (fchmod(fd, st.st_mode & 07777) == -1)
			err(1, "%s", mm.tmp);
	} else if (fchmod(fd, 0640) == -1)
		err(1, "%s", mm.tmp);
	close(fd);

	/* Berkeley DB takes an empty file for a new database. */
	if ((r = db_create(&mm.db, NULL, 0)) != 0)
		errx(1, "db_create: %s", db_strerror(r));
	if ((r = mm.db->open(mm.db, NULL, mm.tmp, NULL, DB_HASH, DB_CREATE,
	    0640)) != 0)
		errx(1, "%s: %s", mm.tmp, db_strerror(r));

	n = makemap_parse(fp, strcmp(in, "-") == 0 ? "stdin" : in, type,
	    mm_put, mm_report, &mm);
	if (fp != stdin)
		fclose(fp);
	if (n == -1) {
		mm.db->close(mm.db, 0);
		errx(1, "%s: not written", out);
	}
	if ((r = mm.db->sync(mm.db, 0)) != 0 ||
	    (r = mm.db->close(mm.db, 0)) != 0)
		errx(1, "%s: %s", mm.tmp, db_strerror(r));
	fsync_path(mm.tmp, 0);
	if (rename(mm.tmp, out) == -1)
		err(1, "rename %s to %s", mm.tmp, out);
	mm.tmp[0] = '\0';
	if (strlcpy(dirbuf, out, sizeof(dirbuf)) >= sizeof(dirbuf))
		errx(1, "%s: path too long", out);
	dir = dirname(dirbuf);
	fsync_path(dir, 1);
	printf("records=%ld table=%s\n", n, out);
	return 0;
}
