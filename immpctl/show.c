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
 * immpctl(8) "show": queue, envelope and stats from the running daemon;
 * queue and envelope from the queue directory when it is not running;
 * message always from the queue directory.  The spool is only read:
 * queue/<uuid>.env files, and the commit journal for messages whose
 * files a crash left behind (immpd(8) QUEUE).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "mime.h"
#include "util.h"
#include "immpctl.h"
#include "journal.h"
#include "qshow.h"
#include "store.h"

struct qlist {
	struct envelope	*env;
	size_t		 n;
	size_t		 cap;
};

static int
open_dir(const char *queue_dir, const char *sub)
{
	char	path[PATH_MAX];
	int	fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", queue_dir, sub) >=
	    sizeof(path))
		errx(1, "%s: path too long", queue_dir);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno != ENOENT)
		err(1, "%s", path);
	return fd;
}

static struct envelope *
qlist_find(struct qlist *l, const char *uuid)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->env[i].uuid, uuid) == 0)
			return &l->env[i];
	return NULL;
}

/* Takes over env (and env->rcpt). */
static void
qlist_add(struct qlist *l, struct envelope *env)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		if ((l->env = reallocarray(l->env, l->cap,
		    sizeof(*l->env))) == NULL)
			err(1, NULL);
	}
	l->env[l->n++] = *env;
	memset(env, 0, sizeof(*env));
}

static void
qlist_drop(struct qlist *l, const char *uuid)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->env[i].uuid, uuid) == 0) {
			env_free(&l->env[i]);
			l->env[i] = l->env[--l->n];
			return;
		}
}

/* queue/<uuid>.env; a file that does not parse is reported, skipped. */
static void
load_envs(int qfd, struct qlist *l)
{
	struct dirent	*de;
	struct envelope	 env;
	const char	*errstr;
	char		 uuid[IPC_UUID_MAX], *buf;
	size_t		 len, nlen;
	DIR		*d;

	if ((d = fdopendir(dup(qfd))) == NULL)
		err(1, "queue directory");
	while ((de = readdir(d)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen != IPC_UUID_MAX - 1 + 4 ||
		    strcmp(de->d_name + IPC_UUID_MAX - 1, ".env") != 0)
			continue;
		memcpy(uuid, de->d_name, IPC_UUID_MAX - 1);
		uuid[IPC_UUID_MAX - 1] = '\0';
		if (!uuid_valid(uuid))
			continue;
		if (store_read_file(qfd, de->d_name, ENV_FILE_MAX, &buf,
		    &len) == -1) {
			warn("queue/%s", de->d_name);
			continue;
		}
		if (env_parse(buf, len, &env, &errstr) == -1 ||
		    strcmp(env.uuid, uuid) != 0)
			warnx("queue/%s: unusable envelope", de->d_name);
		else
			qlist_add(l, &env);
		free(buf);
	}
	closedir(d);
}

struct jscan {
	struct qlist	*journal;	/* committed, not finished */
};

static void
jrec(const struct jrnl_rec *rec, size_t off, void *arg)
{
	struct jscan	*js = arg;
	struct envelope	 env;

	if (rec->type == 'D') {
		qlist_drop(js->journal, rec->uuid);
		return;
	}
	if (qlist_find(js->journal, rec->uuid) != NULL)
		return;
	env = rec->envp;
	if ((env.rcpt = calloc(env.nrcpt, sizeof(*env.rcpt))) == NULL)
		err(1, NULL);
	memcpy(env.rcpt, rec->envp.rcpt, env.nrcpt * sizeof(*env.rcpt));
	qlist_add(js->journal, &env);
}

static void
jskip(size_t off, size_t len, const char *why, void *arg)
{
}

static void
jtail(size_t off, size_t len, void *arg)
{
}

static int
seqcmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Journal segments, in order: messages committed and not finished. */
static void
load_journal(int jfd, struct qlist *l)
{
	struct jrnl_scan_cb	 cb = { jrec, jskip, jtail };
	struct jscan		 js = { l };
	struct dirent		*de;
	uint64_t		*seqs = NULL, seq;
	size_t			 n = 0, cap = 0, i, len;
	char			 name[JRNL_NAME_LEN + 1], *buf;
	DIR			*d;

	if ((d = fdopendir(dup(jfd))) == NULL)
		err(1, "journal directory");
	while ((de = readdir(d)) != NULL) {
		if (jrnl_seg_parse(de->d_name, &seq) == -1)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((seqs = reallocarray(seqs, cap,
			    sizeof(*seqs))) == NULL)
				err(1, NULL);
		}
		seqs[n++] = seq;
	}
	closedir(d);
	qsort(seqs, n, sizeof(*seqs), seqcmp);
	for (i = 0; i < n; i++) {
		jrnl_seg_name(seqs[i], name, sizeof(name));
		if (store_read_file(jfd, name, JRNL_SEG_MAX + JRNL_REC_MAX +
		    JRNL_HDR, &buf, &len) == -1) {
			warn("journal/%s", name);
			continue;
		}
		jrnl_scan((const uint8_t *)buf, len, &cb, &js);
		free(buf);
	}
	free(seqs);
}

static int
envcmp(const void *a, const void *b)
{
	const struct envelope	*x = a, *y = b;

	if (x->accepted != y->accepted)
		return x->accepted < y->accepted ? -1 : 1;
	return strcmp(x->uuid, y->uuid);
}

/*
 * Every queued message as the queue would load it: queue/ files first,
 * then journal records for messages without a file there.
 */
static void
spool_load(struct qlist *l)
{
	struct immpd_conf	 conf;
	struct qlist		 jl;
	size_t			 i;
	int			 qfd, jfd;

	immpctl_conf(&conf);
	memset(l, 0, sizeof(*l));
	memset(&jl, 0, sizeof(jl));
	if ((qfd = open_dir(conf.queue_dir, "queue")) != -1) {
		load_envs(qfd, l);
		close(qfd);
	}
	if ((jfd = open_dir(conf.queue_dir, "journal")) != -1) {
		load_journal(jfd, &jl);
		close(jfd);
	}
	for (i = 0; i < jl.n; i++) {
		if (qlist_find(l, jl.env[i].uuid) != NULL)
			env_free(&jl.env[i]);
		else
			qlist_add(l, &jl.env[i]);
	}
	free(jl.env);
	qsort(l->env, l->n, sizeof(*l->env), envcmp);
	conf_clear(&conf);
}

static void
qlist_free(struct qlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		env_free(&l->env[i]);
	free(l->env);
}

static void
offline_queue(void)
{
	struct qlist	 l;
	char		 buf[QSHOW_LINE_MAX];
	size_t		 i;
	int		 r;

	spool_load(&l);
	for (i = 0; i < l.n; i++)
		for (r = 0; r < l.env[i].nrcpt; r++)
			if (qshow_rcpt(&l.env[i], r, 0, buf,
			    sizeof(buf)) == 0)
				printf("%s\n", buf);
	qlist_free(&l);
}

static void
print_line(const char *line, void *arg)
{
	printf("%s\n", line);
}

static int
offline_envelope(const char *uuid)
{
	struct qlist	 l;
	struct envelope	*env;
	int		 rv = 0;

	spool_load(&l);
	if ((env = qlist_find(&l, uuid)) == NULL) {
		warnx("%s: no such message", uuid);
		rv = 1;
	} else if (qshow_envelope(env, 0, print_line, NULL) == -1)
		err(1, "%s", uuid);
	qlist_free(&l);
	return rv;
}

/*
 * The message as it would be delivered (mime.h), composed from
 * queue/<uuid>.msg; the To: line lists the pending recipients.
 */
static int
show_message(const char *uuid)
{
	struct immpd_conf	 conf;
	struct qlist		 l;
	struct envelope		*env;
	struct mime_envelope	 me;
	char			 name[IPC_UUID_MAX + 8], rcpts[1024];
	int			 qfd, fd, i, rv = 1;

	if (!uuid_valid(uuid))
		errx(1, "%s: not a message id", uuid);
	spool_load(&l);
	if ((env = qlist_find(&l, uuid)) == NULL) {
		warnx("%s: no such message", uuid);
		qlist_free(&l);
		return 1;
	}
	immpctl_conf(&conf);
	if ((qfd = open_dir(conf.queue_dir, "queue")) == -1)
		errx(1, "%s/queue: no such directory", conf.queue_dir);
	(void)snprintf(name, sizeof(name), "%s.msg", uuid);
	if ((fd = openat(qfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		err(1, "queue/%s", name);
	rcpts[0] = '\0';
	for (i = 0; i < env->nrcpt; i++) {
		if (i > 0)
			(void)strlcat(rcpts, ", ", sizeof(rcpts));
		(void)strlcat(rcpts, env->rcpt[i].account, sizeof(rcpts));
	}
	memset(&me, 0, sizeof(me));
	me.uuid = env->uuid;
	me.sender = env->sender;
	me.rcpts = rcpts;
	me.host = TAILQ_EMPTY(&conf.domains) ? "localhost" :
	    TAILQ_FIRST(&conf.domains)->name;
	me.accepted = env->accepted;
	me.flags = env->flags;
	if (mime_compose(fd, &me, stdout) == -1)
		warn("queue/%s", name);
	else
		rv = 0;
	close(fd);
	close(qfd);
	conf_clear(&conf);
	qlist_free(&l);
	return rv;
}

/* Not running: the socket is missing or nobody listens on it. */
static int
daemon_down(void)
{
	if (ctl_connect() == 0)
		return 0;
	if (errno != ENOENT && errno != ECONNREFUSED)
		err(1, "cannot reach immpd at %s", immpctl_socket());
	warnx("immpd is not running, reading the queue directory");
	return 1;
}

int
cmd_show(int argc, char *argv[])
{
	char	why[1024], req[128];

	if (argc == 2 && strcmp(argv[1], "queue") == 0) {
		if (daemon_down()) {
			offline_queue();
			return 0;
		}
		if (ctl_request("show queue", ctl_print, NULL, why,
		    sizeof(why)) != 0)
			errx(1, "%s", why);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "envelope") == 0) {
		if (!uuid_valid(argv[2]))
			errx(1, "%s: not a message id", argv[2]);
		if (daemon_down())
			return offline_envelope(argv[2]);
		(void)snprintf(req, sizeof(req), "show envelope %s", argv[2]);
		if (ctl_request(req, ctl_print, NULL, why,
		    sizeof(why)) != 0)
			errx(1, "%s", why);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "message") == 0)
		return show_message(argv[2]);
	if (argc == 2 && strcmp(argv[1], "stats") == 0)
		return ctl_simple(argc, argv);
	usage();
}
