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

/*
 * Opens the folder directory below rootfd (the INBOX for NULL), adding
 * the maildirfolder file and, via make_subdirs, cur new tmp if missing.
 */
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

/* Opens the UUID record; NULL (logged) if it cannot be used. */
static DB *
uuid_db_open(const char *root)
{
	char		path[PATH_MAX], tmp[PATH_MAX];
	struct stat	sb;
	DB		*db;
	int		r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root,
	    MAILDIR_UUID_DB) >= sizeof(path))
		return NULL;
	/*
	 * Berkeley DB creates the file as "__db.<name>" and renames it
	 * when its first page is written.  One left over (disk full,
	 * crash) or an empty file is a creation that failed, and db->open
	 * would wait forever for its creator.  Only this worker creates
	 * the record, so such a file is always stale and holds nothing.
	 */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/__db.%s", root,
	    MAILDIR_UUID_DB) >= sizeof(tmp))
		return NULL;
	if (unlink(tmp) == 0)
		log_warnx("%s: unfinished creation removed", tmp);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
		log_warnx("%s: empty, created again", path);
		if (unlink(path) == -1) {
			log_warn("%s", path);
			return NULL;
		}
	}
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

/* Adds key; the caller syncs once for the batch.  0 or -1 (logged). */
static int
uuid_db_put(DB *db, const char *root, const char *key, const char *name)
{
	DBT	k, v;
	int	r;

	if (db == NULL)
		return -1;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = strlen(key);
	v.data = (void *)name;
	v.size = strlen(name);
	if ((r = db->put(db, NULL, &k, &v, 0)) != 0) {
		log_warnx("%s/%s: %s", root, MAILDIR_UUID_DB, db_strerror(r));
		return -1;
	}
	return 0;
}

/* ---- batches ---- */

enum job_state {
	J_NEW,		/* to be written */
	J_DONE,		/* result final */
	J_FOUND,	/* already in new/ or cur/: record the UUID */
	J_DUP,		/* same key as an earlier job of the batch */
	J_WRITTEN,	/* complete in tmp/, not yet flushed */
	J_FLUSHED,	/* durable in tmp/ */
	J_RENAMED,	/* in new/ */
};

/* A Maildir root of the batch. */
struct mroot {
	const char	*path;
	int		 fd;
	DB		*db;
	int		 dirty;
	int		 err;		/* errno of the set-up failure */
	const char	*what;
};

/* A folder (or the INBOX) of a root. */
struct mbox {
	int		 root;
	const char	*folder;	/* NULL: INBOX */
	int		 fd, tmpfd, newfd;
	dev_t		 dev;
	int		 err;
	const char	*what;
	int		 nrenamed;
};

struct batch {
	struct maildir_job	*jobs;
	size_t			 njobs;
	struct mroot		 roots[MAILDIR_BATCH_MAX];
	int			 nroots;
	struct mbox		 boxes[MAILDIR_BATCH_MAX];
	int			 nboxes;
	FILE			*files[MAILDIR_BATCH_MAX];
	int			 dupof[MAILDIR_BATCH_MAX];
};

static void
job_result(struct maildir_job *j, int result, const char *fmt, const char *arg)
{
	j->state = J_DONE;
	j->result = result;
	(void)snprintf(j->reason, sizeof(j->reason), fmt, arg);
}

/* The job fails with reason "what: strerror(err)". */
static void
job_fail(struct maildir_job *j, int result, const char *what, int err)
{
	j->state = J_DONE;
	j->result = result;
	(void)snprintf(j->reason, sizeof(j->reason), "%s: %s", what,
	    strerror(err));
}

/*
 * 1 if the Maildir++ folder ".<folder>" exists below rootfd as a real
 * directory (not a symbolic link), else 0.
 */
static int
folder_exists(int rootfd, const char *folder)
{
	char		name[80];
	struct stat	sb;

	if ((size_t)snprintf(name, sizeof(name), ".%s", folder) >=
	    sizeof(name))
		return 0;
	return fstatat(rootfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode);
}

/* Checks the job and builds its file name and key; -1: job failed. */
static int
job_prepare(struct maildir_job *j, const char *host)
{
	const char	*fname = NULL;

	if (j->folder != NULL && j->folder[0] != '\0' &&
	    strcasecmp(j->folder, "INBOX") != 0) {
		if (!maildir_folder_valid(j->folder)) {
			job_result(j, IPC_FAIL, "%s", "invalid folder name");
			return -1;
		}
		fname = j->folder;
	}
	j->folder = fname;
	if (!uuid_valid(j->env->uuid) || j->root[0] != '/') {
		job_result(j, IPC_FAIL, "%s", "invalid uuid or maildir path");
		return -1;
	}
	if ((size_t)snprintf(j->name, sizeof(j->name), "%lld.%s.%s",
	    (long long)j->env->accepted, j->env->uuid, host) >=
	    sizeof(j->name)) {
		job_result(j, IPC_FAIL, "%s", "file name too long");
		return -1;
	}
	(void)snprintf(j->key, sizeof(j->key), "%s/%s",
	    fname ? fname : "INBOX", j->env->uuid);
	return 0;
}

static int
root_get(struct batch *b, const char *path)
{
	struct mroot	*r;
	struct stat	 sb;
	int		 i;

	for (i = 0; i < b->nroots; i++)
		if (strcmp(b->roots[i].path, path) == 0)
			return i;
	r = &b->roots[b->nroots];
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = -1;
	if (mkdirs(path, 0700) == -1) {
		r->err = errno;
		r->what = "create Maildir";
	} else if ((r->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		r->err = errno;
		r->what = "open Maildir";
	} else if (fstat(r->fd, &sb) == -1 || sb.st_uid != geteuid() ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		/* Somebody else's directory, or one others may write. */
		r->err = EPERM;
		r->what = "Maildir not owned by the mailbox owner or writable "
		    "by others";
	} else if (make_subdirs(r->fd) == -1) {
		r->err = errno;
		r->what = "create Maildir";
	} else
		r->db = uuid_db_open(path);
	return b->nroots++;
}

static int
box_get(struct batch *b, int root, const char *folder)
{
	struct mbox	*x;
	struct stat	 sb;
	int		 i;

	for (i = 0; i < b->nboxes; i++) {
		x = &b->boxes[i];
		if (x->root == root && (x->folder == folder ||
		    (x->folder != NULL && folder != NULL &&
		    strcmp(x->folder, folder) == 0)))
			return i;
	}
	x = &b->boxes[b->nboxes];
	memset(x, 0, sizeof(*x));
	x->root = root;
	x->folder = folder;
	x->fd = x->tmpfd = x->newfd = -1;
	if (b->roots[root].err != 0) {
		x->err = b->roots[root].err;
		x->what = b->roots[root].what;
	} else if ((x->fd = open_folder(b->roots[root].fd, folder)) == -1 ||
	    make_subdirs(x->fd) == -1) {
		x->err = errno;
		x->what = "create folder";
	} else if ((x->tmpfd = opendir_at(x->fd, "tmp")) == -1 ||
	    (x->newfd = opendir_at(x->fd, "new")) == -1 ||
	    fstat(x->tmpfd, &sb) == -1) {
		x->err = errno;
		x->what = "open tmp/ or new/";
	} else
		x->dev = sb.st_dev;
	return b->nboxes++;
}

/*
 * One pass over dirfd/sub: every J_NEW job of box whose file is there,
 * as name or name:2,..., becomes J_FOUND.  A directory that cannot be
 * read counts as not holding the message.
 */
static void
scan_dir(struct batch *b, int box, int dirfd, const char *sub)
{
	struct maildir_job	*j;
	struct dirent		*de;
	DIR			*d;
	size_t			 i, len;
	const char		*colon;
	int			 fd;

	if ((fd = opendir_at(dirfd, sub)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		colon = strchr(de->d_name, ':');
		len = colon ? (size_t)(colon - de->d_name) :
		    strlen(de->d_name);
		for (i = 0; i < b->njobs; i++) {
			j = &b->jobs[i];
			if (j->state == J_NEW && j->box == box &&
			    strlen(j->name) == len &&
			    memcmp(j->name, de->d_name, len) == 0)
				j->state = J_FOUND;
		}
	}
	closedir(d);
}

/* Idempotence: a re-delivery after a crash changes nothing. */
static void
batch_lookup(struct batch *b)
{
	struct maildir_job	*j, *k;
	struct stat		 sb;
	size_t			 i, l;
	int			 x, todo;

	for (i = 0; i < b->njobs; i++) {
		j = &b->jobs[i];
		if (j->state != J_NEW)
			continue;
		for (l = 0; l < i; l++) {
			k = &b->jobs[l];
			if (k->box >= 0 &&
			    b->boxes[k->box].root == b->boxes[j->box].root &&
			    strcmp(k->key, j->key) == 0)
				break;
		}
		if (l < i) {
			j->state = J_DUP;
			b->dupof[i] = l;
		} else if (uuid_db_has(b->roots[b->boxes[j->box].root].db,
		    j->key))
			job_result(j, IPC_OK, "%s", "already delivered");
	}
	/* new/ holds plain names; cur/ names carry ":2,<flags>". */
	for (i = 0; i < b->njobs; i++) {
		j = &b->jobs[i];
		if (j->state == J_NEW && fstatat(b->boxes[j->box].newfd,
		    j->name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			j->state = J_FOUND;
	}
	for (x = 0; x < b->nboxes; x++) {
		for (todo = 0, i = 0; i < b->njobs; i++)
			if (b->jobs[i].state == J_NEW && b->jobs[i].box == x)
				todo = 1;
		if (todo)
			scan_dir(b, x, b->boxes[x].fd, "cur");
	}
}

/* Writes tmp/<name> of job i, complete but not flushed. */
static void
job_write(struct batch *b, size_t i)
{
	struct maildir_job	*j = &b->jobs[i];
	struct mbox		*x = &b->boxes[j->box];
	FILE			*f;
	int			 fd, saved;

	fd = openat(x->tmpfd, j->name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		job_fail(j, IPC_TEMPFAIL, "create in tmp/", errno);
		if (fd != -1)
			close(fd);
		return;
	}
	if (mime_compose(j->spoolfd, j->env, f) == -1) {
		saved = errno;
		fclose(f);
		unlinkat(x->tmpfd, j->name, 0);
		if (saved == EBADMSG || saved == EINVAL)
			job_fail(j, IPC_FAIL, "malformed message", saved);
		else
			job_fail(j, IPC_TEMPFAIL, "write", saved);
		return;
	}
	if (fflush(f) == EOF) {
		saved = errno;
		fclose(f);
		unlinkat(x->tmpfd, j->name, 0);
		job_fail(j, IPC_TEMPFAIL, "write", saved);
		return;
	}
	b->files[i] = f;
	j->state = J_WRITTEN;
}

/* Closes the tmp file of job i; on failure the job fails. */
static void
job_close(struct batch *b, size_t i, int failed, const char *what, int err)
{
	struct maildir_job	*j = &b->jobs[i];

	if (b->files[i] == NULL)
		return;
	if (fclose(b->files[i]) == EOF && !failed) {
		failed = 1;
		what = "close";
		err = errno;
	}
	b->files[i] = NULL;
	if (failed) {
		unlinkat(b->boxes[j->box].tmpfd, j->name, 0);
		job_fail(j, IPC_TEMPFAIL, what, err);
	} else
		j->state = J_FLUSHED;
}

/*
 * Makes every J_WRITTEN file durable: fsync(2) of a single file, else
 * one syncfs(2) per file system (Linux; it reports write-back errors
 * since 5.8), else fsync(2) of each.
 */
static void
batch_flush(struct batch *b)
{
	size_t	i, n = 0;
	int	err;
#ifdef __linux__
	size_t	l;
#endif

	for (i = 0; i < b->njobs; i++)
		if (b->jobs[i].state == J_WRITTEN)
			n++;
#ifdef __linux__
	for (i = 0; n > 1 && i < b->njobs; i++) {
		if (b->jobs[i].state != J_WRITTEN)
			continue;
		err = syncfs(b->boxes[b->jobs[i].box].tmpfd) == -1 ? errno : 0;
		/* That covered every file on the same file system. */
		for (l = i; l < b->njobs; l++)
			if (b->jobs[l].state == J_WRITTEN &&
			    b->boxes[b->jobs[l].box].dev ==
			    b->boxes[b->jobs[i].box].dev)
				job_close(b, l, err != 0, "syncfs", err);
	}
#endif
	for (i = 0; i < b->njobs; i++) {
		if (b->jobs[i].state != J_WRITTEN)
			continue;
		err = fsync(fileno(b->files[i])) == -1 ? errno : 0;
		job_close(b, i, err != 0, "fsync", err);
	}
}

/* Moves the flushed files into new/ and syncs each new/ once. */
static void
batch_commit(struct batch *b)
{
	struct maildir_job	*j;
	struct mbox		*x;
	size_t			 i;
	int			 xi, err;

	for (i = 0; i < b->njobs; i++) {
		j = &b->jobs[i];
		if (j->state != J_FLUSHED)
			continue;
		x = &b->boxes[j->box];
		if (renameat(x->tmpfd, j->name, x->newfd, j->name) == -1) {
			err = errno;
			unlinkat(x->tmpfd, j->name, 0);
			job_fail(j, IPC_TEMPFAIL, "rename to new/", err);
			continue;
		}
		j->state = J_RENAMED;
		x->nrenamed++;
	}
	for (xi = 0; xi < b->nboxes; xi++) {
		x = &b->boxes[xi];
		if (x->nrenamed == 0 || fsync(x->newfd) == 0)
			continue;
		err = errno;
		for (i = 0; i < b->njobs; i++)
			if (b->jobs[i].state == J_RENAMED &&
			    b->jobs[i].box == xi)
				job_fail(&b->jobs[i], IPC_TEMPFAIL,
				    "fsync new/", err);
	}
}

/* Records the UUIDs of what is now in the Maildirs, one sync per db. */
static void
batch_record(struct batch *b)
{
	struct maildir_job	*j;
	struct mroot		*r;
	size_t			 i;
	int			 ri, rc;

	for (i = 0; i < b->njobs; i++) {
		j = &b->jobs[i];
		if (j->state != J_RENAMED && j->state != J_FOUND)
			continue;
		r = &b->roots[b->boxes[j->box].root];
		if (uuid_db_put(r->db, r->path, j->key, j->name) == 0)
			r->dirty = 1;
		if (j->state == J_FOUND)
			job_result(j, IPC_OK, "%s", "already delivered");
		else
			job_result(j, IPC_OK, "delivered to %s",
			    j->folder ? j->folder : "INBOX");
	}
	for (ri = 0; ri < b->nroots; ri++) {
		r = &b->roots[ri];
		if (r->dirty && (rc = r->db->sync(r->db, 0)) != 0)
			log_warnx("%s/%s: %s", r->path, MAILDIR_UUID_DB,
			    db_strerror(rc));
	}
}

static void
batch_close(struct batch *b)
{
	struct mbox	*x;
	int		 i;

	for (i = 0; i < b->nboxes; i++) {
		x = &b->boxes[i];
		if (x->fd != -1)
			close(x->fd);
		if (x->tmpfd != -1)
			close(x->tmpfd);
		if (x->newfd != -1)
			close(x->newfd);
	}
	for (i = 0; i < b->nroots; i++) {
		if (b->roots[i].db != NULL)
			b->roots[i].db->close(b->roots[i].db, DB_NOSYNC);
		if (b->roots[i].fd != -1)
			close(b->roots[i].fd);
	}
}

void
maildir_deliver_batch(struct maildir_job *jobs, size_t njobs,
    const char *host)
{
	struct batch		*b;
	struct maildir_job	*j;
	size_t			 i;
	int			 root;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		for (i = 0; i < njobs; i++)
			job_fail(&jobs[i], IPC_TEMPFAIL, "batch", errno);
		return;
	}
	if (njobs > MAILDIR_BATCH_MAX) {
		for (i = MAILDIR_BATCH_MAX; i < njobs; i++)
			job_result(&jobs[i], IPC_TEMPFAIL, "%s",
			    "batch too large");
		njobs = MAILDIR_BATCH_MAX;
	}
	b->jobs = jobs;
	b->njobs = njobs;
	for (i = 0; i < njobs; i++) {
		j = &jobs[i];
		j->state = J_NEW;
		j->reason[0] = '\0';
		j->result = IPC_TEMPFAIL;
		j->box = -1;
		if (job_prepare(j, host) == -1)
			continue;
		root = root_get(b, j->root);
		if (j->folder != NULL && b->roots[root].err == 0 &&
		    !folder_exists(b->roots[root].fd, j->folder)) {
			/*
			 * Plus-addresses file into a folder the owner made;
			 * senders do not create folders (DESIGN 5).
			 */
			j->folder = NULL;
			(void)snprintf(j->key, sizeof(j->key), "INBOX/%s",
			    j->env->uuid);
		}
		j->box = box_get(b, root, j->folder);
		if (b->boxes[j->box].err != 0)
			job_fail(j, IPC_TEMPFAIL, b->boxes[j->box].what,
			    b->boxes[j->box].err);
	}
	batch_lookup(b);
	for (i = 0; i < njobs; i++)
		if (jobs[i].state == J_NEW)
			job_write(b, i);
	batch_flush(b);
	batch_commit(b);
	batch_record(b);
	for (i = 0; i < njobs; i++) {
		j = &jobs[i];
		if (j->state != J_DUP)
			continue;
		j->state = J_DONE;
		j->result = jobs[b->dupof[i]].result;
		strlcpy(j->reason, j->result == IPC_OK ? "already delivered" :
		    jobs[b->dupof[i]].reason, sizeof(j->reason));
	}
	batch_close(b);
	free(b);
}

int
maildir_deliver(const char *root, const char *folder,
    const struct mime_envelope *env, const char *host, int spoolfd,
    char *reason, size_t rsz)
{
	struct maildir_job	j;

	memset(&j, 0, sizeof(j));
	j.root = root;
	j.folder = folder;
	j.env = env;
	j.spoolfd = spoolfd;
	maildir_deliver_batch(&j, 1, host);
	strlcpy(reason, j.reason, rsz);
	return j.result;
}
