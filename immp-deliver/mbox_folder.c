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
 * Folders of a Maildir++ mailbox (mbox_ops.h): the root and the default
 * folders, LIST, CHECK, CREATE, DELETE, RENAME, and the index records
 * of deliveries.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "mbox_index.h"
#include "mbox_ops.h"
#include "util.h"

static const char *const defaults[] = { "Drafts", "Sent", "Junk", NULL };

static int
opendir_at(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* cur/ new/ tmp/ in dirfd; 0 or -1. */
static int
make_subdirs(int dirfd)
{
	static const char *const sub[] = { "cur", "new", "tmp", NULL };
	int	i, created = 0;

	for (i = 0; sub[i] != NULL; i++) {
		if (mkdirat(dirfd, sub[i], 0700) == 0)
			created = 1;
		else if (errno != EEXIST)
			return -1;
	}
	return created ? fsync(dirfd) : 0;
}

/*
 * Creates folder directory dir (".X") below rootfd with maildirfolder
 * and cur new tmp.  0, 1 if it existed, -1.
 */
static int
folder_make(int rootfd, const char *dir)
{
	int	fd, mfd;

	if (mkdirat(rootfd, dir, 0700) == -1)
		return errno == EEXIST ? 1 : -1;
	if ((fd = opendir_at(rootfd, dir)) == -1)
		return -1;
	mfd = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (mfd == -1 || close(mfd) == -1 || make_subdirs(fd) == -1 ||
	    fsync(fd) == -1 || fsync(rootfd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
is_dir(int at, const char *name)
{
	struct stat	sb;

	return fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode);
}

int
mbox_root_open(struct mbox_ctx *c)
{
	struct stat	sb;
	char		dir[16];
	int		i;

	if (mkdirs(c->root, 0700) == -1 || (c->rootfd = open(c->root,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		mbox_fail_io(c, c->root);
		return -1;
	}
	if (fstat(c->rootfd, &sb) == -1 || sb.st_uid != geteuid() ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("%s: Maildir not owned by the mailbox owner or "
		    "writable by others", c->root);
		mbox_answer(c, 740, "Mailbox temporarily unavailable.");
		return -1;
	}
	if (make_subdirs(c->rootfd) == -1) {
		mbox_fail_io(c, c->root);
		return -1;
	}
	for (i = 0; defaults[i] != NULL; i++) {
		(void)snprintf(dir, sizeof(dir), ".%s", defaults[i]);
		if (!is_dir(c->rootfd, dir) &&
		    folder_make(c->rootfd, dir) == -1) {
			mbox_fail_io(c, dir);
			return -1;
		}
	}
	return 0;
}

int
mbox_folder_open(struct mbox_ctx *c, const char *path, int *dirfd,
    char *dpath, size_t size)
{
	char	dir[IPC_FOLDER_MAX];

	if (mbox_path_dir(path, dir, sizeof(dir)) == -1) {
		mbox_answer(c, 444, "Invalid folder name.");
		return -1;
	}
	if ((size_t)snprintf(dpath, size, "%s%s%s", c->root,
	    dir[0] ? "/" : "", dir) >= size) {
		mbox_answer(c, 444, "Invalid folder name.");
		return -1;
	}
	if (dir[0] == '\0')
		*dirfd = fcntl(c->rootfd, F_DUPFD_CLOEXEC, 0);
	else
		*dirfd = opendir_at(c->rootfd, dir);
	if (*dirfd == -1) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			mbox_answer(c, 440, "No such folder.");
		else
			mbox_fail_io(c, dpath);
		return -1;
	}
	return 0;
}

int
mbox_index_folder(struct mbox_ctx *c, const char *path,
    struct mbox_index *ix)
{
	char	dpath[PATH_MAX];
	int	fd;

	if (mbox_folder_open(c, path, &fd, dpath, sizeof(dpath)) == -1)
		return -1;
	if (mbox_index_open(fd, dpath, ix) == -1) {
		mbox_fail_io(c, dpath);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- folder lists ---- */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * The folders of the mailbox, canonical paths in order ("/INBOX"
 * first); directories whose names the grammar cannot express are
 * skipped.  NULL on error.
 */
static char **
list_folders(int rootfd, size_t *np)
{
	struct dirent	*de;
	DIR		*d;
	char		**v, **t, path[IPC_FOLDER_MAX];
	size_t		 n = 0, cap = 16;
	int		 fd;

	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return NULL;
	if ((v[n++] = strdup("/INBOX")) == NULL)
		goto fail;
	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		goto fail;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		goto fail;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (mbox_dir_path(de->d_name, path, sizeof(path)) == -1 ||
		    !is_dir(rootfd, de->d_name))
			continue;
		if (n == cap) {
			if ((t = reallocarray(v, cap * 2, sizeof(*v))) ==
			    NULL) {
				closedir(d);
				goto fail;
			}
			v = t;
			cap *= 2;
		}
		if ((v[n] = strdup(path)) == NULL) {
			closedir(d);
			goto fail;
		}
		n++;
	}
	closedir(d);
	qsort(v + 1, n - 1, sizeof(*v), str_cmp);
	*np = n;
	return v;
 fail:
	list_free(v, n);
	return NULL;
}

/* 1 if path is at or below top ("/" is above everything). */
static int
below(const char *path, const char *top)
{
	size_t	len = strlen(top);

	if (strcmp(top, "/") == 0)
		return 1;
	return strncmp(path, top, len) == 0 &&
	    (path[len] == '\0' || path[len] == '/');
}

/* Status lines of the folders at or below top (all: LIST). */
static void
status_lines(struct mbox_ctx *c, const char *top, int code, int recursive)
{
	struct mbox_index	 ix;
	char			**v, *last = NULL, line[IPC_MBOX_TEXT_MAX];
	size_t			 n, i;
	int			 lastcode = code;

	if ((v = list_folders(c->rootfd, &n)) == NULL) {
		mbox_fail_io(c, c->root);
		return;
	}
	for (i = 0; i < n; i++) {
		if (recursive ? !below(v[i], top) : strcmp(v[i], top) != 0)
			continue;
		if (mbox_index_folder(c, v[i], &ix) == -1) {
			if (c->res->code == 440)
				continue;	/* removed meanwhile */
			free(last);
			list_free(v, n);
			return;
		}
		if (code == 244)
			(void)snprintf(line, sizeof(line), "%s t=%u u=%u",
			    v[i], ix.meta.total, ix.meta.unread);
		else
			(void)snprintf(line, sizeof(line), "%s u=%u t=%u "
			    "uidvalidity=%u uidnext=%u highestmodseq=%llu",
			    v[i], ix.meta.unread, ix.meta.total,
			    ix.meta.uidvalidity, ix.meta.uidnext,
			    (unsigned long long)ix.meta.highestmodseq);
		if (mbox_index_close(&ix) == -1) {
			mbox_fail_io(c, v[i]);
			free(last);
			list_free(v, n);
			return;
		}
		/* Every line but the last is a continuation line. */
		if (last != NULL && mbox_line(c, lastcode, "%s", last) == -1) {
			mbox_fail_io(c, "lines");
			free(last);
			list_free(v, n);
			return;
		}
		free(last);
		if ((last = strdup(line)) == NULL) {
			mbox_fail_io(c, "lines");
			list_free(v, n);
			return;
		}
	}
	list_free(v, n);
	if (last == NULL)
		mbox_answer(c, 440, "No such folder.");
	else
		mbox_answer(c, code, "%s", last);
	free(last);
}

void
mbox_op_list(struct mbox_ctx *c)
{
	status_lines(c, "/", 244, 1);
}

void
mbox_op_check(struct mbox_ctx *c)
{
	const char	*f = c->req->folder;

	if (strcmp(f, "/") == 0) {
		if ((c->req->flags & MBOXF_RECURSIVE) == 0) {
			mbox_answer(c, 444, "Invalid folder name.");
			return;
		}
	} else if (!mbox_path_valid(f)) {
		mbox_answer(c, 444, "Invalid folder name.");
		return;
	}
	status_lines(c, f, 240, (c->req->flags & MBOXF_RECURSIVE) != 0);
}

/* ---- create, delete, rename ---- */

/* 1 if the first seg of path is a default folder or INBOX. */
static int
is_default(const char *path)
{
	size_t	len = strcspn(path + 1, "/");
	int	i;

	if (path[len + 1] != '\0')
		return 0;	/* "/INBOX/x", "/Sent/old" are ordinary */
	if (strcmp(path, "/INBOX") == 0)
		return 1;
	for (i = 0; defaults[i] != NULL; i++)
		if (strcmp(path + 1, defaults[i]) == 0)
			return 1;
	return 0;
}

void
mbox_op_create(struct mbox_ctx *c)
{
	struct mbox_index	 ix;
	const char		*f = c->req->folder;
	char			 dir[IPC_FOLDER_MAX];
	int			 r;

	if (mbox_path_dir(f, dir, sizeof(dir)) == -1) {
		mbox_answer(c, 444, "Invalid folder name.");
		return;
	}
	if (dir[0] == '\0') {
		mbox_answer(c, 442, "Folder exists.");
		return;
	}
	if ((r = folder_make(c->rootfd, dir)) == 1) {
		mbox_answer(c, 442, "Folder exists.");
		return;
	}
	if (r == -1) {
		mbox_fail_io(c, dir);
		return;
	}
	/* The index now: a new UIDVALIDITY. */
	if (mbox_index_folder(c, f, &ix) == -1)
		return;
	if (mbox_index_close(&ix) == -1) {
		mbox_fail_io(c, f);
		return;
	}
	mbox_event(c, MBOX_EV_FOLDER, f, NULL, 153, "%s created", f);
	mbox_answer(c, 245, "Folder %s created.", f);
}

/* Removes the files of dirfd/sub and sub itself; -1 on error. */
static int
remove_sub(int dirfd, const char *sub)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, rv = 0;

	if ((fd = opendir_at(dirfd, sub)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == -1 && errno != ENOENT)
			rv = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, sub, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rv = -1;
	return rv;
}

/* 1 if a folder below dir (".A" -> ".A.x") exists; -1 on error. */
static int
has_children(int rootfd, const char *dir, char ***kids, size_t *nkids)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 len = strlen(dir), cap = 0;
	char		**t;
	int		 fd, found = 0;

	if (kids != NULL) {
		*kids = NULL;
		*nkids = 0;
	}
	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, dir, len) != 0 ||
		    de->d_name[len] != '.' || !is_dir(rootfd, de->d_name))
			continue;
		found = 1;
		if (kids == NULL)
			break;
		if (*nkids == cap) {
			cap = cap ? cap * 2 : 8;
			if ((t = reallocarray(*kids, cap, sizeof(*t))) ==
			    NULL) {
				closedir(d);
				list_free(*kids, *nkids);
				*kids = NULL;
				return -1;
			}
			*kids = t;
		}
		if (((*kids)[*nkids] = strdup(de->d_name)) == NULL) {
			closedir(d);
			list_free(*kids, *nkids);
			*kids = NULL;
			return -1;
		}
		(*nkids)++;
	}
	closedir(d);
	return found;
}

void
mbox_op_delete(struct mbox_ctx *c)
{
	const char	*f = c->req->folder;
	char		 dir[IPC_FOLDER_MAX], trash[64], hex[17];
	unsigned char	 rnd[8];
	int		 fd, r;

	if (mbox_path_dir(f, dir, sizeof(dir)) == -1) {
		mbox_answer(c, 444, "Invalid folder name.");
		return;
	}
	if (is_default(f)) {
		mbox_answer(c, 443, "Default folders cannot be deleted.");
		return;
	}
	if (!is_dir(c->rootfd, dir)) {
		mbox_answer(c, 440, "No such folder.");
		return;
	}
	if ((r = has_children(c->rootfd, dir, NULL, NULL)) != 0) {
		if (r == -1)
			mbox_fail_io(c, dir);
		else
			mbox_answer(c, 443, "Folder has subfolders.");
		return;
	}
	/* Out of sight first (LIST skips the name), then removed. */
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	(void)snprintf(trash, sizeof(trash), ".immp-deleted-%s", hex);
	if (renameat(c->rootfd, dir, c->rootfd, trash) == -1 ||
	    fsync(c->rootfd) == -1) {
		mbox_fail_io(c, dir);
		return;
	}
	if ((fd = opendir_at(c->rootfd, trash)) != -1) {
		if (remove_sub(fd, "cur") == -1 ||
		    remove_sub(fd, "new") == -1 ||
		    remove_sub(fd, "tmp") == -1)
			log_warn("%s/%s", c->root, trash);
		(void)unlinkat(fd, MBOX_INDEX_DB, 0);
		(void)unlinkat(fd, MBOX_INDEX_DB ".bad", 0);
		(void)unlinkat(fd, "maildirfolder", 0);
		close(fd);
	}
	if (unlinkat(c->rootfd, trash, AT_REMOVEDIR) == -1)
		log_warn("%s/%s: left behind", c->root, trash);
	(void)fsync(c->rootfd);
	mbox_event(c, MBOX_EV_FOLDER, f, NULL, 153, "%s deleted", f);
	mbox_answer(c, 245, "Folder %s deleted.", f);
}

void
mbox_op_rename(struct mbox_ctx *c)
{
	const char	*f = c->req->folder, *t = c->req->folder2;
	char		 dir[IPC_FOLDER_MAX], tdir[IPC_FOLDER_MAX];
	char		 from[IPC_FOLDER_MAX * 2], to[IPC_FOLDER_MAX * 2];
	char		**kids = NULL;
	size_t		 nkids = 0, i, len;

	if (mbox_path_dir(f, dir, sizeof(dir)) == -1 ||
	    mbox_path_dir(t, tdir, sizeof(tdir)) == -1) {
		mbox_answer(c, 444, "Invalid folder name.");
		return;
	}
	if (is_default(f) || is_default(t)) {
		mbox_answer(c, 443, "Default folders cannot be renamed.");
		return;
	}
	if (!is_dir(c->rootfd, dir)) {
		mbox_answer(c, 440, "No such folder.");
		return;
	}
	if (fstatat(c->rootfd, tdir, &(struct stat){ 0 },
	    AT_SYMLINK_NOFOLLOW) == 0 || below(t, f)) {
		mbox_answer(c, 443, "Target folder exists.");
		return;
	}
	if (has_children(c->rootfd, dir, &kids, &nkids) == -1) {
		mbox_fail_io(c, dir);
		return;
	}
	len = strlen(dir);
	for (i = 0; i < nkids; i++) {
		(void)snprintf(to, sizeof(to), "%s%s", tdir, kids[i] + len);
		if (strlen(to) > 200 || fstatat(c->rootfd, to,
		    &(struct stat){ 0 }, AT_SYMLINK_NOFOLLOW) == 0) {
			mbox_answer(c, 443, "Target folder exists.");
			list_free(kids, nkids);
			return;
		}
	}
	if (renameat(c->rootfd, dir, c->rootfd, tdir) == -1) {
		mbox_fail_io(c, dir);
		list_free(kids, nkids);
		return;
	}
	for (i = 0; i < nkids; i++) {
		(void)snprintf(from, sizeof(from), "%s", kids[i]);
		(void)snprintf(to, sizeof(to), "%s%s", tdir, kids[i] + len);
		if (renameat(c->rootfd, from, c->rootfd, to) == -1)
			log_warn("%s/%s", c->root, from);
	}
	list_free(kids, nkids);
	if (fsync(c->rootfd) == -1) {
		mbox_fail_io(c, c->root);
		return;
	}
	mbox_event(c, MBOX_EV_FOLDER, f, NULL, 153, "%s renamed to %s", f, t);
	mbox_answer(c, 245, "Folder %s renamed to %s.", f, t);
}

/* ---- deliveries ---- */

void
mbox_record_delivered(const struct mbox_delivered *d, size_t n,
    mbox_event_fn emit, void *arg)
{
	struct ipc_mbox_event	*evs, ev;
	struct mbox_index	 ix;
	struct mbox_rec		 r;
	char			*done, dpath[PATH_MAX], path[IPC_FOLDER_MAX];
	char			 dir[IPC_FOLDER_MAX];
	size_t			 i, l, nev = 0;
	int			 fd, mfd, rv;

	if (n == 0 || (done = calloc(n, 1)) == NULL)
		return;
	if ((evs = calloc(n, sizeof(*evs))) == NULL) {
		free(done);
		return;
	}
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		/* One index per folder: every delivery into it at once. */
		if (d[i].folder == NULL) {
			strlcpy(path, "/INBOX", sizeof(path));
			strlcpy(dpath, d[i].root, sizeof(dpath));
		} else {
			(void)snprintf(dir, sizeof(dir), ".%s", d[i].folder);
			if (mbox_dir_path(dir, path, sizeof(path)) == -1)
				path[0] = '\0';
			(void)snprintf(dpath, sizeof(dpath), "%s/%s",
			    d[i].root, dir);
		}
		fd = open(dpath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1 || mbox_index_open_nosync(fd, dpath, &ix) == -1) {
			log_warn("%s: index", dpath);
			if (fd != -1)
				close(fd);
			for (l = i; l < n; l++)
				if (strcmp(d[l].root, d[i].root) == 0 &&
				    (d[l].folder == d[i].folder ||
				    (d[l].folder && d[i].folder &&
				    strcmp(d[l].folder, d[i].folder) == 0)))
					done[l] = 1;
			continue;
		}
		close(fd);
		for (l = i; l < n; l++) {
			if (done[l] || strcmp(d[l].root, d[i].root) != 0 ||
			    !(d[l].folder == d[i].folder ||
			    (d[l].folder && d[i].folder &&
			    strcmp(d[l].folder, d[i].folder) == 0)))
				continue;
			done[l] = 1;
			memset(&r, 0, sizeof(r));
			strlcpy(r.base, d[l].name, sizeof(r.base));
			strlcpy(r.uuid, d[l].uuid, sizeof(r.uuid));
			r.where = MBOX_IN_NEW;
			if ((mfd = openat(ix.newfd, d[l].name, O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1)
				continue;	/* moved on already */
			rv = mbox_summary_file(mfd, &r);
			close(mfd);
			if (rv == -1 || (rv = mbox_index_add(&ix, &r)) == -1) {
				log_warn("%s: index", dpath);
				continue;
			}
			if ((rv == 1 && !ix.rebuilt) || path[0] == '\0')
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.kind = MBOX_EV_NEW;
			strlcpy(ev.mailbox, d[l].account, sizeof(ev.mailbox));
			strlcpy(ev.folder, path, sizeof(ev.folder));
			strlcpy(ev.uuid, r.uuid, sizeof(ev.uuid));
			ev.uid = r.uid;
			ev.modseq = r.modseq;
			ev.code = 150;
			(void)snprintf(ev.text, sizeof(ev.text), "%s#%s uid=%u",
			    path, r.uuid, r.uid);
			evs[nev++] = ev;
		}
		if (mbox_index_close(&ix) == -1)
			log_warn("%s: index", dpath);
	}
	/* Told once the index is on disk. */
	for (i = 0; i < nev; i++)
		emit(&evs[i], arg);
	free(evs);
	free(done);
}
