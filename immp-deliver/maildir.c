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


/* Maildir++ delivery with per-Maildir UUID record (maildir.h). */

#include <sys/types.h>
#include <sys/stat.h>

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "maildir.h"
#include "mime.h"
#include "util.h"

#define NAME_MAX_LEN	256

int
maildir_folder_valid(const char *folder)
{
	size_t	i, len = strlen(folder);

	if (len == 0 || len > 64 || folder[0] == '.' ||
	    folder[len - 1] == '.' || strstr(folder, "..") != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (!((folder[i] >= 'a' && folder[i] <= 'z') ||
		    (folder[i] >= 'A' && folder[i] <= 'Z') ||
		    (folder[i] >= '0' && folder[i] <= '9') ||
		    folder[i] == '_' || folder[i] == '-' || folder[i] == '.'))
			return 0;
	return 1;
}

int
maildir_hostname(char *buf, size_t size)
{
	char	host[HOST_NAME_MAX + 1];
	size_t	i, len = 0;

	if (gethostname(host, sizeof(host)) == -1)
		return -1;
	host[sizeof(host) - 1] = '\0';
	if (host[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	for (i = 0; host[i] != '\0'; i++) {
		if (len + 5 >= size)
			return -1;
		if (host[i] == '/') {
			memcpy(buf + len, "\\057", 4);
			len += 4;
		} else if (host[i] == ':') {
			memcpy(buf + len, "\\072", 4);
			len += 4;
		} else
			buf[len++] = host[i];
	}
	buf[len] = '\0';
	return 0;
}

/* Sets reason to "what: strerror(errno)" and returns result. */
static int
fail(char *reason, size_t size, int result, const char *what)
{
	(void)snprintf(reason, size, "%s: %s", what, strerror(errno));
	return result;
}

/* mkdirat that reports whether it created the directory. */
static int
mkdir_new(int at, const char *name, int *created)
{
	if (mkdirat(at, name, 0700) == 0) {
		*created = 1;
		return 0;
	}
	return errno == EEXIST ? 0 : -1;
}

static int
opendir_at(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * Makes sure dirfd has cur, new and tmp; fsyncs dirfd when something
 * was created.
 */
static int
make_subdirs(int dirfd)
{
	int	created = 0;

	if (mkdir_new(dirfd, "cur", &created) == -1 ||
	    mkdir_new(dirfd, "new", &created) == -1 ||
	    mkdir_new(dirfd, "tmp", &created) == -1)
		return -1;
	if (created && fsync(dirfd) == -1)
		return -1;
	return 0;
}

/* Opens (creating as needed) the folder directory below rootfd. */
static int
open_folder(int rootfd, const char *folder)
{
	char	name[80];
	int	fd, mfd, created = 0;

	if (folder == NULL)
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	(void)snprintf(name, sizeof(name), ".%s", folder);
	if (mkdir_new(rootfd, name, &created) == -1)
		return -1;
	if ((fd = opendir_at(rootfd, name)) == -1)
		return -1;
	mfd = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (mfd == -1 || close(mfd) == -1 ||
	    (created && fsync(rootfd) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 if dirfd/sub holds name or name:2,..., 0 if not, -1 on error. */
static int
exists_in(int dirfd, const char *sub, const char *name)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 len = strlen(name);
	int		 fd, found = 0;

	if ((fd = opendir_at(dirfd, sub)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, name, len) == 0 &&
		    (de->d_name[len] == '\0' || de->d_name[len] == ':')) {
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Opens the UUID record; NULL (logged) if it cannot be used. */
static DB *
uuid_db_open(const char *root)
{
	char	path[PATH_MAX];
	DB	*db;
	int	r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
	    MAILDIR_UUID_DB) >= sizeof(path))
		return NULL;
	if ((r = db_create(&db, NULL, 0)) != 0) {
		log_warnx("%s: %s", path, db_strerror(r));
		return NULL;
	}
	if ((r = db->open(db, NULL, path, NULL, DB_HASH, DB_CREATE,
	    0600)) != 0) {
		log_warnx("%s: %s", path, db_strerror(r));
		db->close(db, 0);
		return NULL;
	}
	return db;
}

static int
uuid_db_has(DB *db, const char *key)
{
	DBT	k, v;

	if (db == NULL)
		return 0;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = strlen(key);
	return db->get(db, NULL, &k, &v, 0) == 0;
}

static void
uuid_db_put(DB *db, const char *root, const char *key, const char *name)
{
	DBT	k, v;
	int	r;

	if (db == NULL)
		return;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = strlen(key);
	v.data = (void *)name;
	v.size = strlen(name);
	if ((r = db->put(db, NULL, &k, &v, 0)) != 0 ||
	    (r = db->sync(db, 0)) != 0)
		log_warnx("%s/%s: %s", root, MAILDIR_UUID_DB, db_strerror(r));
}

/* Writes tmp/<name> and moves it to new/<name>. */
static int
write_message(int dirfd, const char *name, const struct mime_envelope *env,
    int spoolfd, char *reason, size_t rsz)
{
	FILE	*f;
	int	 tmpfd = -1, newfd = -1, fd = -1, r = IPC_TEMPFAIL, saved;

	if ((tmpfd = opendir_at(dirfd, "tmp")) == -1 ||
	    (newfd = opendir_at(dirfd, "new")) == -1) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "open tmp/ or new/");
		goto out;
	}
	fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "create in tmp/");
		if (fd != -1)
			close(fd);
		goto out;
	}
	if (mime_compose(spoolfd, env, f) == -1) {
		saved = errno;
		fclose(f);
		unlinkat(tmpfd, name, 0);
		errno = saved;
		if (saved == EBADMSG || saved == EINVAL)
			r = fail(reason, rsz, IPC_FAIL, "malformed message");
		else
			r = fail(reason, rsz, IPC_TEMPFAIL, "write");
		goto out;
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1) {
		saved = errno;
		fclose(f);
		unlinkat(tmpfd, name, 0);
		errno = saved;
		r = fail(reason, rsz, IPC_TEMPFAIL, "fsync");
		goto out;
	}
	if (fclose(f) == EOF) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "close");
		unlinkat(tmpfd, name, 0);
		goto out;
	}
	if (renameat(tmpfd, name, newfd, name) == -1) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "rename to new/");
		unlinkat(tmpfd, name, 0);
		goto out;
	}
	if (fsync(newfd) == -1) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "fsync new/");
		goto out;
	}
	r = IPC_OK;
out:
	if (tmpfd != -1)
		close(tmpfd);
	if (newfd != -1)
		close(newfd);
	return r;
}

int
maildir_deliver(const char *root, const char *folder,
    const struct mime_envelope *env, const char *host, int spoolfd,
    char *reason, size_t rsz)
{
	char		 name[NAME_MAX_LEN], key[IPC_FOLDER_MAX + IPC_UUID_MAX];
	const char	*fname = NULL;
	DB		*db = NULL;
	int		 rootfd = -1, dirfd = -1, r, found = 0;

	reason[0] = '\0';
	if (folder != NULL && folder[0] != '\0' &&
	    strcasecmp(folder, "INBOX") != 0) {
		if (!maildir_folder_valid(folder)) {
			(void)snprintf(reason, rsz, "invalid folder name");
			return IPC_FAIL;
		}
		fname = folder;
	}
	if (!uuid_valid(env->uuid) || root[0] != '/') {
		(void)snprintf(reason, rsz, "invalid uuid or maildir path");
		return IPC_FAIL;
	}
	if ((size_t)snprintf(name, sizeof(name), "%lld.%s.%s",
	    (long long)env->accepted, env->uuid, host) >= sizeof(name)) {
		(void)snprintf(reason, rsz, "file name too long");
		return IPC_FAIL;
	}
	(void)snprintf(key, sizeof(key), "%s/%s", fname ? fname : "INBOX",
	    env->uuid);

	if (mkdirs(root, 0700) == -1)
		return fail(reason, rsz, IPC_TEMPFAIL, "create Maildir");
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return fail(reason, rsz, IPC_TEMPFAIL, "open Maildir");
	if (make_subdirs(rootfd) == -1) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "create Maildir");
		goto out;
	}
	if ((dirfd = open_folder(rootfd, fname)) == -1 ||
	    make_subdirs(dirfd) == -1) {
		r = fail(reason, rsz, IPC_TEMPFAIL, "create folder");
		goto out;
	}

	/* Idempotence: a re-delivery after a crash changes nothing. */
	db = uuid_db_open(root);
	if (uuid_db_has(db, key))
		found = 1;
	else if (exists_in(dirfd, "new", name) == 1 ||
	    exists_in(dirfd, "cur", name) == 1)
		found = 2;
	if (found) {
		if (found == 2)
			uuid_db_put(db, root, key, name);
		(void)snprintf(reason, rsz, "already delivered");
		r = IPC_OK;
		goto out;
	}

	r = write_message(dirfd, name, env, spoolfd, reason, rsz);
	if (r == IPC_OK) {
		uuid_db_put(db, root, key, name);
		(void)snprintf(reason, rsz, "delivered to %s",
		    fname ? fname : "INBOX");
	}
out:
	if (db != NULL)
		db->close(db, 0);
	if (dirfd != -1)
		close(dirfd);
	if (rootfd != -1)
		close(rootfd);
	return r;
}
