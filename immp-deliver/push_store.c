/*
 * The notification store of a mailbox owner, in the owner's worker
 * (push_store.h; draft 3.2.3, 3.4, 3.4.1; immp(7) PUSH, SUBSCRIBE).
 */

#include <sys/param.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "immpuri.h"
#include "ipc_mbox.h"
#include "ipc_push.h"
#include "log.h"
#include "push_store.h"
#include "spool.h"
#include "trace.h"
#include "util.h"

#define HEAD_MAX	1024		/* header lines of a push file */
#define LIST_FILE_MAX	(1024 * 1024)	/* subscriptions, approved */
#define SHOW_MAX	300		/* octets of text in a 160 line */
#define TITLE_MAX	200

struct pushrec {
	char		 uuid[IPC_UUID_MAX];
	char		 node[PUB_TEXT_MAX];
	int64_t		 received;
	int		 important;
	size_t		 length;
	char		 body[PUSH_MAX_SIZE + 1];	/* NUL-terminated */
};

/* Opens (creating it) the directory name below rootfd; -1 on error. */
static int
store_dir(int rootfd, const char *name)
{
	int	fd;

	if (mkdirat(rootfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	return fd;
}

/* Writes name below dirfd atomically (temporary name, sync, rename). */
static int
file_put(int dirfd, const char *name, const void *buf, size_t len)
{
	char	tmp[128];
	int	fd;

	(void)snprintf(tmp, sizeof(tmp), ".tmp.%s.%ld", name, (long)getpid());
	(void)unlinkat(dirfd, tmp, 0);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (write_full(fd, buf, len) == -1 || fsync(fd) == -1) {
		close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		(void)unlinkat(dirfd, tmp, 0);
		return -1;
	}
	return fsync(dirfd);
}

/*
 * Reads the whole regular file name below dirfd (at most max octets)
 * into a NUL-terminated buffer.  NULL with errno (ENOENT if absent).
 */
static char *
file_get(int dirfd, const char *name, size_t max, size_t *lenp)
{
	struct stat	 sb;
	char		*buf;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	if ((buf = malloc(sb.st_size + 1)) == NULL ||
	    pread_full(fd, 0, buf, sb.st_size) == -1) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	buf[sb.st_size] = '\0';
	*lenp = sb.st_size;
	return buf;
}

/* Parses one push file's text (len octets) into r.  0 or -1. */
static int
rec_parse(const char *buf, size_t len, struct pushrec *r)
{
	struct pubid	 p;
	const char	*err, *body;
	char		 head[HEAD_MAX], node[PUB_TEXT_MAX];
	long long	 recv;
	unsigned long	 n;
	int		 imp, used;
	size_t		 hlen;

	if ((body = memmem(buf, len, "\n\n", 2)) == NULL ||
	    (hlen = body - buf + 1) >= sizeof(head))
		return -1;
	body += 2;
	memcpy(head, buf, hlen);
	head[hlen] = '\0';
	if (sscanf(head, "immp-push 1\npublisher %255s\nreceived %lld\n"
	    "important %d\nlength %lu\n%n", node, &recv, &imp, &n, &used) !=
	    4 || (size_t)used != hlen || (imp != 0 && imp != 1) ||
	    n > PUSH_MAX_SIZE || (size_t)(buf + len - body) != n ||
	    pubid_parse(node, &p, &err) == -1)
		return -1;
	(void)strlcpy(r->node, node, sizeof(r->node));
	r->received = recv;
	r->important = imp;
	r->length = n;
	memcpy(r->body, body, n);
	r->body[n] = '\0';
	return 0;
}

/* Reads the push file uuid below dirfd; 0, or -1 (errno ENOENT). */
static int
rec_read(int dirfd, const char *uuid, struct pushrec *r)
{
	char	*buf;
	size_t	 len;
	int	 rv;

	if ((buf = file_get(dirfd, uuid, HEAD_MAX + PUSH_MAX_SIZE, &len)) ==
	    NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	rv = rec_parse(buf, len, r);
	free(buf);
	if (rv == -1) {
		log_warnx("push %s: malformed file", uuid);
		errno = EINVAL;
		return -1;
	}
	(void)strlcpy(r->uuid, uuid, sizeof(r->uuid));
	return 0;
}

static int
rec_write(int dirfd, const struct pushrec *r)
{
	char	*buf;
	int	 n, rv;

	if ((buf = malloc(HEAD_MAX + r->length)) == NULL)
		return -1;
	n = snprintf(buf, HEAD_MAX, "immp-push 1\npublisher %s\n"
	    "received %" PRId64 "\nimportant %d\nlength %zu\n\n", r->node,
	    r->received, r->important, r->length);
	if (n < 0 || n >= HEAD_MAX) {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	memcpy(buf + n, r->body, r->length);
	rv = file_put(dirfd, r->uuid, buf, n + r->length);
	free(buf);
	return rv;
}

/*
 * 1 if a line of the list file name has node as its field-th
 * space-separated word, 0 if not (or no file), -1 on error.
 */
static int
list_has(int rootfd, const char *name, int field, const char *node)
{
	char	*buf, *line, *next, *w;
	size_t	 len, nl = strlen(node);
	int	 i, found = 0;

	if ((buf = file_get(rootfd, name, LIST_FILE_MAX, &len)) == NULL)
		return errno == ENOENT ? 0 : -1;
	for (line = buf; *line != '\0' && !found; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		for (w = line, i = 0; i < field && w != NULL; i++)
			if ((w = strchr(w, ' ')) != NULL)
				w++;
		if (w != NULL && strncmp(w, node, nl) == 0 &&
		    (w[nl] == ' ' || w[nl] == '\0'))
			found = 1;
	}
	free(buf);
	return found;
}

/* The live line's text: "<uuid> <node> <length>[ <text>]". */
static void
live_text(const struct pushrec *r, char *out, size_t size)
{
	char	 show[SHOW_MAX + 1];
	int	 n;

	mbox_clean_text(r->body, show, sizeof(show));
	n = snprintf(out, size, "%s %s %zu%s%s", r->uuid, r->node,
	    r->length, show[0] != '\0' ? " " : "", show);
	if (n < 0 || (size_t)n >= size)	/* no text rather than a part */
		(void)snprintf(out, size, "%s %s %zu", r->uuid, r->node,
		    r->length);
}

/* The node of a push: "<sender's local>/<folder>@<sender's domain>". */
static int
push_node(const struct ipc_mda_deliver *d, char *node, size_t size)
{
	struct pubid	 p;
	const char	*at, *err;
	char		 text[PUB_TEXT_MAX];
	int		 n;

	if ((at = strchr(d->sender, '@')) == NULL)
		return -1;
	n = snprintf(text, sizeof(text), "%.*s/%s%s", (int)(at - d->sender),
	    d->sender, d->folder, at);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    pubid_parse(text, &p, &err) == -1)
		return -1;
	return pubid_format(&p, node, size) == -1 ? -1 : 0;
}

/* The push's one data block (the trace part aside) into r. */
static int
push_body(int fd, struct pushrec *r)
{
	struct spool_part	*parts;
	int			 n, i, found = -1;

	if ((parts = calloc(SPOOL_MAX_PARTS, sizeof(*parts))) == NULL)
		return -1;
	if (spool_read_index(fd, parts, SPOOL_MAX_PARTS, &n) == -1) {
		free(parts);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(parts[i].type, TRACE_TYPE) == 0)
			continue;
		if (found != -1) {
			found = -2;
			break;
		}
		found = i;
	}
	if (found < 0 || parts[found].length > PUSH_MAX_SIZE ||
	    pread_full(fd, parts[found].offset, r->body,
	    parts[found].length) == -1) {
		free(parts);
		return -1;
	}
	r->length = parts[found].length;
	r->body[r->length] = '\0';
	free(parts);
	return 0;
}

void
push_deliver(const struct ipc_mda_deliver *d, struct maildir_job *job,
    mbox_event_fn emit, void *arg)
{
	struct ipc_mbox_req	 req;
	struct ipc_mbox_res	 res;
	struct ipc_mbox_event	 ev;
	struct mbox_ctx		 c;
	struct pushrec		*r = NULL;
	struct stat		 sb;
	int			 held = -1, dirfd = -1, sub, appr;

	job->result = IPC_TEMPFAIL;
	(void)strlcpy(job->reason, "notification store unavailable",
	    sizeof(job->reason));
	memset(&req, 0, sizeof(req));
	memset(&c, 0, sizeof(c));
	(void)strlcpy(req.mailbox, d->account, sizeof(req.mailbox));
	c.req = &req;
	c.res = &res;
	c.root = job->root;
	c.rootfd = -1;
	c.fd = -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto done;
	if (push_node(d, r->node, sizeof(r->node)) == -1 ||
	    push_body(job->spoolfd, r) == -1) {
		job->result = IPC_FAIL;
		(void)strlcpy(job->reason, "malformed push",
		    sizeof(job->reason));
		goto done;
	}
	(void)strlcpy(r->uuid, d->uuid, sizeof(r->uuid));
	r->received = d->accepted;
	r->important = (d->flags & MSGF_IMPORTANT) != 0;
	if (mbox_root_open(&c) == -1)
		goto done;
	if ((sub = list_has(c.rootfd, PUSH_SUBS_FILE, 1, r->node)) == -1 ||
	    (appr = list_has(c.rootfd, PUSH_APPR_FILE, 0, r->node)) == -1)
		goto done;
	held = !sub && !appr;
	/* A retried delivery: the first one stands. */
	if ((dirfd = store_dir(c.rootfd, PUSH_DIR)) == -1)
		goto done;
	if (fstatat(dirfd, r->uuid, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		goto dup;
	close(dirfd);
	if ((dirfd = store_dir(c.rootfd, PUSH_HELD_DIR)) == -1)
		goto done;
	if (fstatat(dirfd, r->uuid, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		goto dup;
	if (!held) {
		close(dirfd);
		if ((dirfd = store_dir(c.rootfd, PUSH_DIR)) == -1)
			goto done;
	}
	if (rec_write(dirfd, r) == -1) {
		log_warn("push %s for %s", r->uuid, d->account);
		goto done;
	}
	log_info("push uuid=%s rcpt=%s publisher=%s %s", r->uuid,
	    d->account, r->node, held ? "held" : "stored");
	job->result = IPC_OK;
	job->reason[0] = '\0';
	if (!held) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = MBOX_EV_NEW;
		(void)strlcpy(ev.mailbox, d->account, sizeof(ev.mailbox));
		(void)strlcpy(ev.uuid, r->uuid, sizeof(ev.uuid));
		ev.code = r->important ? PUSH_CODE_IMPORTANT : PUSH_CODE_EVENT;
		live_text(r, ev.text, sizeof(ev.text));
		emit(&ev, arg);
	}
	goto done;
 dup:
	job->result = IPC_OK;
	(void)strlcpy(job->reason, "already delivered", sizeof(job->reason));
 done:
	if (dirfd != -1)
		close(dirfd);
	if (c.rootfd != -1)
		close(c.rootfd);
	free(r);
}

/*
 * Requests
 */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* PUSH LIST (262 lines, 263) and PUSH HELD (264 lines, 265). */
static void
op_list(struct mbox_ctx *c, const char *dirname, int code)
{
	struct pushrec	*r;
	struct dirent	*de;
	DIR		*dir;
	char		**names = NULL, **t, tm[32], show[SHOW_MAX + 1];
	size_t		 n = 0, cap = 0, i, shown = 0;
	int		 fd;

	if ((fd = store_dir(c->rootfd, dirname)) == -1 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		mbox_fail_io(c, dirname);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!uuid_valid(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((t = reallocarray(names, cap, sizeof(*t))) == NULL)
				goto fail;
			names = t;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	if ((r = malloc(sizeof(*r))) == NULL)
		goto fail;
	for (i = 0; i < n && shown < PUSH_LIST_MAX; i++) {
		if (rec_read(dirfd(dir), names[i], r) == -1)
			continue;
		mbox_rfc3339(r->received, tm, sizeof(tm));
		mbox_clean_text(r->body, show, sizeof(show));
		if (mbox_line(c, code, "%s %s %s %zu %s%s%s", r->uuid, r->node,
		    tm, r->length, r->important ? "+IMPORTANT" : "-",
		    show[0] != '\0' ? " " : "", show) == -1) {
			free(r);
			goto fail;
		}
		shown++;
	}
	free(r);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	mbox_answer(c, code + 1, "%zu %s.", shown, code == 262 ?
	    "notifications" : "held");
	return;
 fail:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	mbox_fail_io(c, dirname);
}

/* Appends line (with its LF) to the list file name, atomically. */
static int
list_append(int rootfd, const char *name, const char *line)
{
	char	*buf, *nb;
	size_t	 len = 0, ll = strlen(line);
	int	 rv;

	if ((buf = file_get(rootfd, name, LIST_FILE_MAX, &len)) == NULL) {
		if (errno != ENOENT)
			return -1;
		len = 0;
	}
	if (len + ll > LIST_FILE_MAX || (nb = realloc(buf, len + ll + 1)) ==
	    NULL) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	memcpy(nb + len, line, ll);
	rv = file_put(rootfd, name, nb, len + ll);
	free(nb);
	return rv;
}

/*
 * Removes the lines of the list file name whose field-th word is key.
 * The number removed, or -1.
 */
static int
list_remove(int rootfd, const char *name, int field, const char *key,
    char *node, size_t nodesz)
{
	char	*buf, *out, *line, *next, *w;
	size_t	 len, olen = 0, kl = strlen(key);
	int	 i, removed = 0, rv = 0;

	if ((buf = file_get(rootfd, name, LIST_FILE_MAX, &len)) == NULL)
		return errno == ENOENT ? 0 : -1;
	if ((out = malloc(len + 1)) == NULL) {
		free(buf);
		return -1;
	}
	for (line = buf; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		for (w = line, i = 0; i < field && w != NULL; i++)
			if ((w = strchr(w, ' ')) != NULL)
				w++;
		if (w != NULL && strncmp(w, key, kl) == 0 &&
		    (w[kl] == ' ' || w[kl] == '\0')) {
			/* The node: the second word of a subscription. */
			if (removed++ == 0 && (w = strchr(line, ' ')) != NULL)
				(void)strlcpy(node, w + 1, MIN(nodesz,
				    strcspn(w + 1, " ") + 1));
			continue;
		}
		olen += snprintf(out + olen, len + 1 - olen, "%s\n", line);
	}
	if (removed > 0)
		rv = file_put(rootfd, name, out, olen);
	free(out);
	free(buf);
	return rv == -1 ? -1 : removed;
}

/* PUSH APPROVE <uuid>: the publisher is approved, the push filed. */
static void
op_approve(struct mbox_ctx *c)
{
	struct pushrec	*r;
	char		 line[PUB_TEXT_MAX + 2];
	int		 hfd = -1, pfd = -1, has;

	if ((r = malloc(sizeof(*r))) == NULL) {
		mbox_fail_io(c, "approve");
		return;
	}
	if ((hfd = store_dir(c->rootfd, PUSH_HELD_DIR)) == -1 ||
	    (pfd = store_dir(c->rootfd, PUSH_DIR)) == -1) {
		mbox_fail_io(c, PUSH_HELD_DIR);
		goto done;
	}
	if (rec_read(hfd, c->req->uuid, r) == -1) {
		if (errno == ENOENT)
			mbox_answer(c, 481, "No such held notification.");
		else
			mbox_fail_io(c, PUSH_HELD_DIR);
		goto done;
	}
	(void)snprintf(line, sizeof(line), "%s\n", r->node);
	if ((has = list_has(c->rootfd, PUSH_APPR_FILE, 0, r->node)) == -1 ||
	    (!has && list_append(c->rootfd, PUSH_APPR_FILE, line) == -1) ||
	    renameat(hfd, r->uuid, pfd, r->uuid) == -1 || fsync(pfd) == -1 ||
	    fsync(hfd) == -1) {
		mbox_fail_io(c, PUSH_APPR_FILE);
		goto done;
	}
	log_info("push approve rcpt=%s publisher=%s uuid=%s",
	    c->req->mailbox, r->node, r->uuid);
	mbox_answer(c, 266, "%s %s approved.", r->uuid, r->node);
 done:
	if (hfd != -1)
		close(hfd);
	if (pfd != -1)
		close(pfd);
	free(r);
}

/* PUSH DROP <uuid>: a held push is deleted. */
static void
op_drop(struct mbox_ctx *c)
{
	int	fd;

	if ((fd = store_dir(c->rootfd, PUSH_HELD_DIR)) == -1) {
		mbox_fail_io(c, PUSH_HELD_DIR);
		return;
	}
	if (unlinkat(fd, c->req->uuid, 0) == -1) {
		if (errno == ENOENT)
			mbox_answer(c, 481, "No such held notification.");
		else
			mbox_fail_io(c, PUSH_HELD_DIR);
	} else if (fsync(fd) == -1)
		mbox_fail_io(c, PUSH_HELD_DIR);
	else
		mbox_answer(c, 267, "%s dropped.", c->req->uuid);
	close(fd);
}

/* SUBSCRIBE TO: a new subscription with a new uuid (280). */
static void
op_sub_add(struct mbox_ctx *c)
{
	char	 uuid[IPC_UUID_MAX], title[TITLE_MAX + 1];
	char	 line[IPC_UUID_MAX + PUB_TEXT_MAX + TITLE_MAX + 4];
	int	 has;

	if ((has = list_has(c->rootfd, PUSH_SUBS_FILE, 1,
	    c->req->kw_set)) == -1) {
		mbox_fail_io(c, PUSH_SUBS_FILE);
		return;
	}
	if (has) {
		mbox_answer(c, 482, "Already subscribed to %s.",
		    c->req->kw_set);
		return;
	}
	mbox_clean_text(c->req->kw_clear, title, sizeof(title));
	uuid_generate_v4(uuid);
	(void)snprintf(line, sizeof(line), "%s %s %s\n", uuid,
	    c->req->kw_set, title);
	if (list_append(c->rootfd, PUSH_SUBS_FILE, line) == -1) {
		mbox_fail_io(c, PUSH_SUBS_FILE);
		return;
	}
	log_info("subscribe rcpt=%s node=%s uuid=%s", c->req->mailbox,
	    c->req->kw_set, uuid);
	mbox_answer(c, 280, "%s Subscribed to: %s", uuid, title);
}

/* SUBSCRIBE LIST: 281 "<uuid> <imid> <node> <title>", 282. */
static void
op_sub_list(struct mbox_ctx *c)
{
	struct pubid	 p;
	const char	*err;
	char		*buf, *line, *next, *sp, *sp2, acct[PUB_TEXT_MAX];
	char		 node[PUB_TEXT_MAX];
	size_t		 len;
	unsigned int	 n = 0;

	if ((buf = file_get(c->rootfd, PUSH_SUBS_FILE, LIST_FILE_MAX,
	    &len)) == NULL && errno != ENOENT) {
		mbox_fail_io(c, PUSH_SUBS_FILE);
		return;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL ||
		    (size_t)(sp - line) != IPC_UUID_MAX - 1)
			continue;
		*sp++ = '\0';
		if ((sp2 = strchr(sp, ' ')) != NULL)
			*sp2++ = '\0';
		if (!uuid_valid(line) || pubid_parse(sp, &p, &err) == -1 ||
		    pubid_owner(&p, acct, sizeof(acct)) == -1)
			continue;
		(void)snprintf(node, sizeof(node), "%s/%s", p.owner, p.name);
		if (mbox_line(c, 281, "%s %s %s %s", line, acct, node,
		    sp2 != NULL ? sp2 : "") == -1) {
			free(buf);
			mbox_fail_io(c, PUSH_SUBS_FILE);
			return;
		}
		n++;
	}
	free(buf);
	mbox_answer(c, 282, "%u subscriptions.", n);
}

/* UNSUBSCRIBE <uuid|node>: 283. */
static void
op_sub_del(struct mbox_ctx *c)
{
	char	node[PUB_TEXT_MAX] = "";
	int	n;

	if (c->req->uuid[0] != '\0')
		n = list_remove(c->rootfd, PUSH_SUBS_FILE, 0, c->req->uuid,
		    node, sizeof(node));
	else
		n = list_remove(c->rootfd, PUSH_SUBS_FILE, 1, c->req->kw_set,
		    node, sizeof(node));
	if (n == -1)
		mbox_fail_io(c, PUSH_SUBS_FILE);
	else if (n == 0)
		mbox_answer(c, 481, "No such subscription.");
	else {
		log_info("unsubscribe rcpt=%s %s", c->req->mailbox,
		    c->req->uuid[0] != '\0' ? c->req->uuid : c->req->kw_set);
		mbox_answer(c, 283, "%s Unsubscribed.", node);
	}
}

void
push_request(const struct ipc_mbox_req *req, const char *root,
    struct ipc_mbox_res *res, int *fdp)
{
	struct mbox_ctx	 c;
	struct pubid	 p;
	const char	*err;
	char		 node[PUB_TEXT_MAX];

	mbox_ctx_init(&c, req, root, res, fdp);
	/* The network process checked these; a bad one is refused here. */
	if (!ipc_check_str(req->uuid, sizeof(req->uuid)) ||
	    !ipc_check_str(req->kw_set, sizeof(req->kw_set)) ||
	    !ipc_check_str(req->kw_clear, sizeof(req->kw_clear)) ||
	    (req->uuid[0] != '\0' && !uuid_valid(req->uuid)) ||
	    (req->kw_set[0] != '\0' && (pubid_parse(req->kw_set, &p,
	    &err) == -1 || pubid_format(&p, node, sizeof(node)) == -1 ||
	    strcmp(node, req->kw_set) != 0)) ||
	    strpbrk(req->kw_clear, "\r\n") != NULL) {
		mbox_answer(&c, 400, "Syntax error.");
		return;
	}
	if (((req->op == PUSH_OP_APPROVE || req->op == PUSH_OP_DROP) &&
	    req->uuid[0] == '\0') || (req->op == PUSH_OP_SUB_ADD &&
	    req->kw_set[0] == '\0') || (req->op == PUSH_OP_SUB_DEL &&
	    req->uuid[0] == '\0' && req->kw_set[0] == '\0')) {
		mbox_answer(&c, 400, "Syntax error.");
		return;
	}
	if (mbox_root_open(&c) == -1)
		goto done;
	switch (req->op) {
	case PUSH_OP_LIST:
		op_list(&c, PUSH_DIR, 262);
		break;
	case PUSH_OP_HELD:
		op_list(&c, PUSH_HELD_DIR, 264);
		break;
	case PUSH_OP_APPROVE:
		op_approve(&c);
		break;
	case PUSH_OP_DROP:
		op_drop(&c);
		break;
	case PUSH_OP_SUB_ADD:
		op_sub_add(&c);
		break;
	case PUSH_OP_SUB_LIST:
		op_sub_list(&c);
		break;
	case PUSH_OP_SUB_DEL:
		op_sub_del(&c);
		break;
	default:
		mbox_answer(&c, 400, "Syntax error.");
		break;
	}
 done:
	mbox_ctx_finish(&c, fdp);
}
