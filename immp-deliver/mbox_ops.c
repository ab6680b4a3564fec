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
 * Mailbox requests in the worker (mbox_ops.h): dispatch, reply lines,
 * and the message operations INDEX FETCH FLAG COPY MOVE EXPUNGE.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "mbox_index.h"
#include "mbox_ops.h"
#include "util.h"

#define INDEX_LIMIT_MAX	10000
#define VANISHED_PER_LINE 100
#define LINE_MAX_TEXT	(IPC_MBOX_TEXT_MAX - 1)

/* ---- answers ---- */

void
mbox_answer(struct mbox_ctx *c, int code, const char *fmt, ...)
{
	va_list	ap;

	c->res->code = code;
	c->res->result = code < 400 ? IPC_OK : code >= 700 ? IPC_TEMPFAIL :
	    IPC_FAIL;
	va_start(ap, fmt);
	(void)vsnprintf(c->res->text, sizeof(c->res->text), fmt, ap);
	va_end(ap);
}

void
mbox_fail_io(struct mbox_ctx *c, const char *what)
{
	log_warn("mailbox %s: %s", c->req->mailbox, what);
	mbox_answer(c, 740, "Mailbox temporarily unavailable.");
}

int
mbox_line(struct mbox_ctx *c, int code, const char *fmt, ...)
{
	struct mbox_lines	*l = &c->lines;
	char			 text[IPC_MBOX_TEXT_MAX];
	char			*t;
	size_t			 need, cap;
	va_list			 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	need = 4 + strlen(text) + 1;
	if (l->len + need + 1 > l->cap) {
		cap = l->cap ? l->cap : 65536;
		while (cap < l->len + need + 1)
			cap *= 2;
		if ((t = realloc(l->buf, cap)) == NULL)
			return -1;
		l->buf = t;
		l->cap = cap;
	}
	(void)snprintf(l->buf + l->len, need + 1, "%03d %s\n", code, text);
	l->len += need;
	l->n++;
	return 0;
}

void
mbox_event(struct mbox_ctx *c, int kind, const char *folder,
    const struct mbox_rec *r, int code, const char *fmt, ...)
{
	struct ipc_mbox_event	ev;
	va_list			ap;

	memset(&ev, 0, sizeof(ev));
	ev.origin = c->req->reqid;
	ev.kind = kind;
	strlcpy(ev.mailbox, c->req->mailbox, sizeof(ev.mailbox));
	strlcpy(ev.folder, folder, sizeof(ev.folder));
	if (r != NULL) {
		strlcpy(ev.uuid, r->uuid, sizeof(ev.uuid));
		ev.uid = r->uid;
		ev.modseq = r->modseq;
	}
	ev.code = code;
	va_start(ap, fmt);
	(void)vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
	va_end(ap);
	c->emit(&ev, c->arg);
}

void
mbox_rfc3339(time_t t, char *out, size_t size)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(out, "1970-01-01T00:00:00Z", size);
}

/*
 * s as a quoted word ("..." with \" and \\) of at most max octets of
 * output, cut at a character boundary, into out.  Returns its length.
 */
static size_t
quote(const char *s, char *out, size_t max)
{
	size_t	n = 0, l;

	out[n++] = '"';
	while (*s != '\0') {
		l = 1;
		if ((unsigned char)*s >= 0xc0)
			while ((s[l] & 0xc0) == 0x80)
				l++;
		if (*s == '"' || *s == '\\') {
			if (n + 3 > max)
				break;
			out[n++] = '\\';
		} else if (n + l + 1 > max)
			break;
		memcpy(out + n, s, l);
		n += l;
		s += l;
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

static void
rec_flags(const struct mbox_rec *r, char *out, size_t size)
{
	if (mbox_flags_str(r->flags, r->kw, out, size) == -1)
		strlcpy(out, "-", size);
}

/* ---- INDEX ---- */

struct ilist {
	struct mbox_ctx	*c;
	uint32_t	 want, wantclear;	/* MBOX_FLAG_* set / unset */
	uint64_t	 since;
	uint32_t	 limit, n, next;
	int		 json, err;
	char		 vbuf[VANISHED_PER_LINE * 11 + 16];
	size_t		 vlen;
	uint32_t	 vn;
};

static int
index_line(struct ilist *il, const struct mbox_rec *r)
{
	char	flags[IPC_MBOX_TEXT_MAX], date[32], head[IPC_MBOX_TEXT_MAX];
	char	from[IPC_MBOX_TEXT_MAX], subj[IPC_MBOX_TEXT_MAX], *js;
	size_t	hl, room, fl;
	json_t	*o, *fa;
	char	*tok, *save, fcopy[IPC_MBOX_TEXT_MAX];

	rec_flags(r, flags, sizeof(flags));
	mbox_rfc3339((time_t)r->date, date, sizeof(date));
	if (il->json) {
		o = json_object();
		json_object_set_new(o, "uid", json_integer(r->uid));
		json_object_set_new(o, "uuid", json_string(r->uuid));
		json_object_set_new(o, "modseq", json_integer(
		    (json_int_t)r->modseq));
		fa = json_array();
		strlcpy(fcopy, flags, sizeof(fcopy));
		if (strcmp(fcopy, "-") != 0)
			for (tok = strtok_r(fcopy, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				json_array_append_new(fa, json_string(tok));
		json_object_set_new(o, "flags", fa);
		json_object_set_new(o, "size", json_integer(
		    (json_int_t)r->size));
		json_object_set_new(o, "date", json_string(date));
		/* Shorter texts until the line fits. */
		for (room = MBOX_TEXT_MAX;; room /= 2) {
			mbox_clean_text(r->from, from, room + 1);
			mbox_clean_text(r->subject, subj, room + 1);
			json_object_set_new(o, "from", json_string(from));
			json_object_set_new(o, "subject", json_string(subj));
			js = json_dumps(o, JSON_COMPACT);
			if (js == NULL || strlen(js) <= LINE_MAX_TEXT - 4 ||
			    room == 0)
				break;
			free(js);
		}
		json_decref(o);
		if (js == NULL)
			return -1;
		fl = mbox_line(il->c, 250, "%s", js);
		free(js);
		return fl == 0 ? 0 : -1;
	}
	hl = (size_t)snprintf(head, sizeof(head), "%u %s %llu %s %llu %s",
	    r->uid, r->uuid, (unsigned long long)r->modseq, flags,
	    (unsigned long long)r->size, date);
	if (hl >= LINE_MAX_TEXT - 4 - 6) {
		/* Too many keywords for one line: flags cut. */
		hl = (size_t)snprintf(head, sizeof(head), "%u %s %llu %s "
		    "%llu %s", r->uid, r->uuid, (unsigned long long)r->modseq,
		    "-", (unsigned long long)r->size, date);
	}
	room = LINE_MAX_TEXT - 4 - hl - 2;
	fl = quote(r->from, from, room / 2 < MBOX_TEXT_MAX * 2 + 2 ?
	    room / 2 : MBOX_TEXT_MAX * 2 + 2);
	(void)quote(r->subject, subj, room - fl);
	return mbox_line(il->c, 241, "%s %s %s", head, from, subj);
}

static int
index_one(const struct mbox_rec *r, void *arg)
{
	struct ilist	*il = arg;

	if ((r->flags & il->want) != il->want ||
	    (r->flags & il->wantclear) != 0 || r->modseq <= il->since)
		return 0;
	if (il->limit != 0 && il->n == il->limit) {
		il->next = r->uid;
		return 1;
	}
	if (index_line(il, r) == -1) {
		il->err = 1;
		return -1;
	}
	il->n++;
	return 0;
}

static void
vanished_flush(struct ilist *il)
{
	if (il->vn == 0)
		return;
	if (mbox_line(il->c, 243, "vanished %s", il->vbuf) == -1)
		il->err = 1;
	il->vn = 0;
	il->vlen = 0;
	il->vbuf[0] = '\0';
}

static void
vanished_one(uint32_t uid, void *arg)
{
	struct ilist	*il = arg;

	il->vlen += snprintf(il->vbuf + il->vlen, sizeof(il->vbuf) - il->vlen,
	    "%s%u", il->vn ? "," : "", uid);
	if (++il->vn == VANISHED_PER_LINE)
		vanished_flush(il);
}

static int
selector(const char *sel, uint32_t *want, uint32_t *wantclear)
{
	static const struct {
		const char	*name;
		uint32_t	 want, clear;
	} sels[] = {
		{ "", 0, 0 },
		{ "all", 0, 0 },
		{ "unread", 0, MBOX_FLAG_SEEN },
		{ "seen", MBOX_FLAG_SEEN, 0 },
		{ "flagged", MBOX_FLAG_FLAGGED, 0 },
		{ "answered", MBOX_FLAG_ANSWERED, 0 },
		{ "deleted", MBOX_FLAG_DELETED, 0 },
		{ "draft", MBOX_FLAG_DRAFT, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		if (strcmp(sel, sels[i].name) == 0) {
			*want = sels[i].want;
			*wantclear = sels[i].clear;
			return 0;
		}
	return -1;
}

static void
op_index(struct mbox_ctx *c)
{
	const struct ipc_mbox_req	*q = c->req;
	struct mbox_index		 ix;
	struct ilist			 il;

	memset(&il, 0, sizeof(il));
	il.c = c;
	if (selector(q->selector, &il.want, &il.wantclear) == -1 ||
	    q->limit > INDEX_LIMIT_MAX) {
		mbox_answer(c, 400, "Syntax error.");
		return;
	}
	il.limit = q->limit;
	il.since = q->since;
	il.json = (q->flags & MBOXF_JSON) != 0;
	if (mbox_index_folder(c, q->folder, &ix) == -1)
		return;
	if (mbox_index_walk(&ix, q->from_uid ? q->from_uid : 1, index_one,
	    &il) == -1 || il.err) {
		mbox_fail_io(c, q->folder);
		(void)mbox_index_close(&ix);
		return;
	}
	if (q->since != 0) {
		if (mbox_index_vanished(&ix, q->since, vanished_one, &il) ==
		    -1) {
			mbox_fail_io(c, q->folder);
			(void)mbox_index_close(&ix);
			return;
		}
		vanished_flush(&il);
	}
	if (il.err) {
		mbox_fail_io(c, "lines");
		(void)mbox_index_close(&ix);
		return;
	}
	if (il.next != 0)
		mbox_answer(c, 242, "%u messages uidvalidity=%u "
		    "highestmodseq=%llu next=%u", il.n, ix.meta.uidvalidity,
		    (unsigned long long)ix.meta.highestmodseq, il.next);
	else
		mbox_answer(c, 242, "%u messages uidvalidity=%u "
		    "highestmodseq=%llu", il.n, ix.meta.uidvalidity,
		    (unsigned long long)ix.meta.highestmodseq);
	if (mbox_index_close(&ix) == -1)
		mbox_fail_io(c, q->folder);
}

/* ---- one message ---- */

/* The message req->uuid in ix; -1 with the answer set. */
static int
find_msg(struct mbox_ctx *c, struct mbox_index *ix, struct mbox_rec *r)
{
	int	rv;

	if (!uuid_valid(c->req->uuid)) {
		mbox_answer(c, 441, "No such message.");
		return -1;
	}
	if ((rv = mbox_index_find(ix, c->req->uuid, r)) == -1) {
		mbox_fail_io(c, c->req->folder);
		return -1;
	}
	if (rv == 1) {
		mbox_answer(c, 441, "No such message.");
		return -1;
	}
	return 0;
}

/*
 * Gives r (as stored: old) the flags and keywords of nr: renames its
 * file (into cur/), syncs, updates the index and emits 151 when they
 * changed.  0 or -1 (answer set).
 */
static int
set_flags(struct mbox_ctx *c, struct mbox_index *ix, const char *folder,
    const struct mbox_rec *old, struct mbox_rec *nr)
{
	char	from[MBOX_NAME_MAX + 48], to[MBOX_NAME_MAX + 48];
	char	flags[IPC_MBOX_TEXT_MAX];

	/* Nothing to change: the file stays where it is. */
	if (nr->flags == old->flags && strcmp(nr->kw, old->kw) == 0)
		return 0;
	nr->where = MBOX_IN_CUR;
	if (mbox_index_file(old, from, sizeof(from)) == -1 ||
	    mbox_index_file(nr, to, sizeof(to)) == -1) {
		mbox_fail_io(c, "file name");
		return -1;
	}
	if (strcmp(from, to) != 0) {
		if (renameat(ix->dirfd, from, ix->dirfd, to) == -1) {
			if (errno == ENOENT)
				mbox_answer(c, 441, "No such message.");
			else
				mbox_fail_io(c, from);
			return -1;
		}
		if (fsync(ix->curfd) == -1 || (old->where == MBOX_IN_NEW &&
		    fsync(ix->newfd) == -1)) {
			mbox_fail_io(c, "fsync");
			return -1;
		}
	}
	if (mbox_index_update(ix, old, nr) == -1 ||
	    mbox_index_touch(ix) == -1 || mbox_index_commit(ix) == -1) {
		mbox_fail_io(c, "index");
		return -1;
	}
	if (nr->modseq != old->modseq) {
		rec_flags(nr, flags, sizeof(flags));
		mbox_event(c, MBOX_EV_FLAGS, folder, nr, 151,
		    "%s#%s uid=%u modseq=%llu flags=%s", folder, nr->uuid,
		    nr->uid, (unsigned long long)nr->modseq, flags);
	}
	return 0;
}

static void
op_fetch(struct mbox_ctx *c)
{
	const struct ipc_mbox_req	*q = c->req;
	struct mbox_index		 ix;
	struct mbox_rec			 r, nr;
	struct stat			 sb;
	char				 file[MBOX_NAME_MAX + 48], type[128];
	uint64_t			 len;
	int				 fd, mfd;

	if (mbox_index_folder(c, q->folder, &ix) == -1)
		return;
	if (find_msg(c, &ix, &r) == -1)
		goto out;
	if (mbox_index_file(&r, file, sizeof(file)) == -1 ||
	    (fd = openat(ix.dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			mbox_answer(c, 441, "No such message.");
		else
			mbox_fail_io(c, file);
		goto out;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		mbox_answer(c, 441, "No such message.");
		goto out;
	}
	nr = r;
	if ((q->flags & MBOXF_NOREAD) == 0)
		nr.flags |= MBOX_FLAG_SEEN;
	if (q->flags & MBOXF_DELETE)
		nr.flags |= MBOX_FLAG_DELETED;
	if (set_flags(c, &ix, q->folder, &r, &nr) == -1) {
		close(fd);
		goto out;
	}
	if (q->part[0] != '\0') {
		mfd = mbox_json_part(fd, q->part, type, sizeof(type), &len);
		close(fd);
		if (mfd == -1) {
			if (errno == ENOENT)
				mbox_answer(c, 446, "No such part.");
			else
				mbox_fail_io(c, "part");
			goto out;
		}
		c->fd = mfd;
		c->res->length = len;
		mbox_answer(c, 251, "%s#%s PART %s TYPE %s LENGTH %llu",
		    q->folder, r.uuid, q->part, type,
		    (unsigned long long)len);
	} else if (q->flags & MBOXF_JSON) {
		mfd = mbox_json_message(fd, &nr, (q->flags & MBOXF_PRETTY) !=
		    0, &len);
		close(fd);
		if (mfd == -1) {
			mbox_fail_io(c, "json");
			goto out;
		}
		c->fd = mfd;
		c->res->length = len;
		mbox_answer(c, 250, "%s#%s LENGTH %llu", q->folder, r.uuid,
		    (unsigned long long)len);
	} else {
		c->fd = fd;
		c->res->length = sb.st_size;
		mbox_answer(c, 251, "%s#%s LENGTH %llu", q->folder, r.uuid,
		    (unsigned long long)sb.st_size);
	}
 out:
	if (mbox_index_close(&ix) == -1 && c->res->result == IPC_OK) {
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		c->res->length = 0;
		mbox_fail_io(c, q->folder);
	}
}

/* Keyword list kw with the words of add and without those of del. */
static int
kw_merge(char *kw, size_t size, const char *add, const char *del)
{
	char	 out[IPC_MBOX_KW_MAX], word[MBOX_KWLEN_MAX + 1], *p;
	char	 both[IPC_MBOX_KW_MAX * 2 + 2];
	size_t	 l, i, n = 0, nw = 0;
	const char *s, *e;

	out[0] = '\0';
	(void)snprintf(both, sizeof(both), "%s %s", kw, add);
	for (s = both; *s != '\0'; s = e) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		e = s + strcspn(s, " ");
		if ((l = e - s) > MBOX_KWLEN_MAX)
			return -1;
		memcpy(word, s, l);
		word[l] = '\0';
		for (i = 0; i < l; i++) {
			if (word[i] >= 'A' && word[i] <= 'Z')
				word[i] += 'a' - 'A';
			if (!((word[i] >= 'a' && word[i] <= 'z') ||
			    (word[i] >= '0' && word[i] <= '9') ||
			    word[i] == '_' || word[i] == '-' ||
			    word[i] == '$' || word[i] == '.'))
				return -1;
		}
		/* Removed, or there already? */
		for (p = strstr(del, word); p != NULL;
		    p = strstr(p + 1, word))
			if ((p == del || p[-1] == ' ') &&
			    (p[l] == ' ' || p[l] == '\0'))
				break;
		if (p != NULL)
			continue;
		for (p = strstr(out, word); p != NULL;
		    p = strstr(p + 1, word))
			if ((p == out || p[-1] == ' ') &&
			    (p[l] == ' ' || p[l] == '\0'))
				break;
		if (p != NULL)
			continue;
		if (++nw > MBOX_KW_MAX || n + l + 2 > sizeof(out))
			return -1;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, word, l + 1);
		n += l;
	}
	return strlcpy(kw, out, size) < size ? 0 : -1;
}

static void
op_flag(struct mbox_ctx *c)
{
	const struct ipc_mbox_req	*q = c->req;
	struct mbox_index		 ix;
	struct mbox_rec			 r, nr;
	char				 flags[IPC_MBOX_TEXT_MAX];
	char				 del[IPC_MBOX_KW_MAX];
	size_t				 i;

	if (((q->set | q->clear) & ~0x1fU) != 0) {
		mbox_answer(c, 400, "Syntax error.");
		return;
	}
	/* Case does not matter for the keywords to clear either. */
	strlcpy(del, q->kw_clear, sizeof(del));
	for (i = 0; del[i] != '\0'; i++)
		if (del[i] >= 'A' && del[i] <= 'Z')
			del[i] += 'a' - 'A';
	if (mbox_index_folder(c, q->folder, &ix) == -1)
		return;
	if (find_msg(c, &ix, &r) == -1)
		goto out;
	nr = r;
	nr.flags = (r.flags | q->set) & ~q->clear;
	if (kw_merge(nr.kw, sizeof(nr.kw), q->kw_set, del) == -1) {
		mbox_answer(c, 400, "Syntax error.");
		goto out;
	}
	if (set_flags(c, &ix, q->folder, &r, &nr) == -1)
		goto out;
	rec_flags(&nr, flags, sizeof(flags));
	mbox_answer(c, 246, "%s#%s uid=%u modseq=%llu flags=%s", q->folder,
	    nr.uuid, nr.uid, (unsigned long long)nr.modseq, flags);
 out:
	if (mbox_index_close(&ix) == -1 && c->res->result == IPC_OK)
		mbox_fail_io(c, q->folder);
}

/* Copies the open file fd into tmp/ of ix, then to cur/name. */
static int
copy_file(struct mbox_index *ix, int fd, const char *base, const char *name)
{
	char	buf[65536];
	ssize_t	n;
	int	out;

	if ((out = openat(ix->tmpfd, base, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_full(out, buf, n) == -1)
			break;
	if (n != 0 || fsync(out) == -1) {
		close(out);
		(void)unlinkat(ix->tmpfd, base, 0);
		return -1;
	}
	if (close(out) == -1 ||
	    renameat(ix->tmpfd, base, ix->curfd, name) == -1) {
		(void)unlinkat(ix->tmpfd, base, 0);
		return -1;
	}
	return fsync(ix->curfd);
}

static void
op_copy_move(struct mbox_ctx *c, int move)
{
	const struct ipc_mbox_req	*q = c->req;
	struct mbox_index		 src, dst;
	struct mbox_rec			 r, t;
	char				 file[MBOX_NAME_MAX + 48];
	char				 name[MBOX_NAME_MAX + 48];
	int				 fd, rv;

	if (!mbox_path_valid(q->folder2)) {
		mbox_answer(c, 444, "Invalid folder name.");
		return;
	}
	if (mbox_index_folder(c, q->folder, &src) == -1)
		return;
	if (find_msg(c, &src, &r) == -1) {
		(void)mbox_index_close(&src);
		return;
	}
	if (strcmp(q->folder, q->folder2) == 0) {
		mbox_answer(c, 247, "%s#%s uid=%u", q->folder2, r.uuid,
		    r.uid);
		(void)mbox_index_close(&src);
		return;
	}
	if (mbox_index_folder(c, q->folder2, &dst) == -1) {
		(void)mbox_index_close(&src);
		return;
	}
	if ((rv = mbox_index_find(&dst, r.uuid, &t)) == 0) {
		/* Already there (an earlier COPY): same message. */
		mbox_answer(c, 247, "%s#%s uid=%u", q->folder2, t.uuid, t.uid);
		goto out;
	} else if (rv == -1) {
		mbox_fail_io(c, q->folder2);
		goto out;
	}
	t = r;
	t.where = MBOX_IN_CUR;
	if (mbox_index_file(&r, file, sizeof(file)) == -1 ||
	    mbox_name_make(t.base, t.flags, t.xinfo, name, sizeof(name)) ==
	    -1) {
		mbox_fail_io(c, "file name");
		goto out;
	}
	/* Files first, then the indexes. */
	if (move) {
		if (renameat(src.dirfd, file, dst.curfd, name) == -1) {
			if (errno == ENOENT)
				mbox_answer(c, 441, "No such message.");
			else
				mbox_fail_io(c, file);
			goto out;
		}
		if (fsync(dst.curfd) == -1 || fsync(src.curfd) == -1 ||
		    (r.where == MBOX_IN_NEW && fsync(src.newfd) == -1)) {
			mbox_fail_io(c, "fsync");
			goto out;
		}
	} else {
		if ((fd = openat(src.dirfd, file, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK)) == -1) {
			if (errno == ENOENT)
				mbox_answer(c, 441, "No such message.");
			else
				mbox_fail_io(c, file);
			goto out;
		}
		rv = copy_file(&dst, fd, t.base, name);
		close(fd);
		if (rv == -1) {
			mbox_fail_io(c, "copy");
			goto out;
		}
	}
	if (mbox_index_add(&dst, &t) == -1 || mbox_index_touch(&dst) == -1 ||
	    mbox_index_commit(&dst) == -1 ||
	    (move && (mbox_index_expunge(&src, &r) == -1 ||
	    mbox_index_touch(&src) == -1 || mbox_index_commit(&src) == -1))) {
		mbox_fail_io(c, "index");
		goto out;
	}
	mbox_event(c, MBOX_EV_NEW, q->folder2, &t, 150, "%s#%s uid=%u",
	    q->folder2, t.uuid, t.uid);
	if (move)
		mbox_event(c, MBOX_EV_EXPUNGE, q->folder, &r, 152,
		    "%s#%s uid=%u expunged", q->folder, r.uuid, r.uid);
	mbox_answer(c, 247, "%s#%s uid=%u", q->folder2, t.uuid, t.uid);
 out:
	if (mbox_index_close(&dst) == -1 && c->res->result == IPC_OK)
		mbox_fail_io(c, q->folder2);
	if (mbox_index_close(&src) == -1 && c->res->result == IPC_OK)
		mbox_fail_io(c, q->folder);
}

struct xlist {
	uint32_t	*uids;
	size_t		 n, cap;
};

static int
expunge_one(const struct mbox_rec *r, void *arg)
{
	struct xlist	*x = arg;
	uint32_t	*t;

	if ((r->flags & MBOX_FLAG_DELETED) == 0)
		return 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		if ((t = reallocarray(x->uids, x->cap, sizeof(*t))) == NULL)
			return -1;
		x->uids = t;
	}
	x->uids[x->n++] = r->uid;
	return 0;
}

static void
op_expunge(struct mbox_ctx *c)
{
	const struct ipc_mbox_req	*q = c->req;
	struct mbox_index		 ix;
	struct mbox_rec			 r, *recs = NULL;
	struct xlist			 x;
	char				 file[MBOX_NAME_MAX + 48];
	size_t				 i, n = 0;

	memset(&x, 0, sizeof(x));
	if (mbox_index_folder(c, q->folder, &ix) == -1)
		return;
	if (q->uuid[0] != '\0') {
		if (find_msg(c, &ix, &r) == -1)
			goto out;
		if (expunge_one(&r, &x) == -1) {
			mbox_fail_io(c, "memory");
			goto out;
		}
	} else if (mbox_index_walk(&ix, 1, expunge_one, &x) != 0) {
		mbox_fail_io(c, q->folder);
		goto out;
	}
	if (x.n > 0 && (recs = calloc(x.n, sizeof(*recs))) == NULL) {
		mbox_fail_io(c, "memory");
		goto out;
	}
	/* Files first (synced once), then the index. */
	for (i = 0; i < x.n; i++) {
		if (mbox_index_get(&ix, x.uids[i], &recs[n]) != 0 ||
		    mbox_index_file(&recs[n], file, sizeof(file)) == -1)
			continue;
		if (unlinkat(ix.dirfd, file, 0) == -1 && errno != ENOENT) {
			log_warn("%s/%s", ix.path, file);
			continue;
		}
		n++;
	}
	if (n > 0 && (fsync(ix.curfd) == -1 || fsync(ix.newfd) == -1)) {
		mbox_fail_io(c, "fsync");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (mbox_index_expunge(&ix, &recs[i]) == -1) {
			mbox_fail_io(c, "index");
			goto out;
		}
	if (n > 0 && (mbox_index_touch(&ix) == -1 ||
	    mbox_index_commit(&ix) == -1)) {
		mbox_fail_io(c, "index");
		goto out;
	}
	for (i = 0; i < n; i++)
		mbox_event(c, MBOX_EV_EXPUNGE, q->folder, &recs[i], 152,
		    "%s#%s uid=%u expunged", q->folder, recs[i].uuid,
		    recs[i].uid);
	mbox_answer(c, 248, "%zu messages expunged.", n);
 out:
	free(recs);
	free(x.uids);
	if (mbox_index_close(&ix) == -1 && c->res->result == IPC_OK)
		mbox_fail_io(c, q->folder);
}

/* ---- dispatch ---- */

/* Every string of a request terminated and the folders in grammar. */
static int
req_check(struct mbox_ctx *c)
{
	const struct ipc_mbox_req	*q = c->req;

	if (!ipc_check_str(q->account, sizeof(q->account)) ||
	    !ipc_check_str(q->mailbox, sizeof(q->mailbox)) ||
	    !ipc_check_str(q->folder, sizeof(q->folder)) ||
	    !ipc_check_str(q->folder2, sizeof(q->folder2)) ||
	    !ipc_check_str(q->uuid, sizeof(q->uuid)) ||
	    !ipc_check_str(q->part, sizeof(q->part)) ||
	    !ipc_check_str(q->selector, sizeof(q->selector)) ||
	    !ipc_check_str(q->kw_set, sizeof(q->kw_set)) ||
	    !ipc_check_str(q->kw_clear, sizeof(q->kw_clear))) {
		mbox_answer(c, 400, "Syntax error.");
		return -1;
	}
	switch (q->op) {
	case MBOX_OP_LIST:
		return 0;
	case MBOX_OP_CHECK:
		if (strcmp(q->folder, "/") == 0)
			return 0;
		break;
	case MBOX_OP_FETCH:
	case MBOX_OP_FLAG:
	case MBOX_OP_COPY:
	case MBOX_OP_MOVE:
		if (!uuid_valid(q->uuid)) {
			mbox_answer(c, 400, "Syntax error.");
			return -1;
		}
		break;
	case MBOX_OP_EXPUNGE:
		if (q->uuid[0] != '\0' && !uuid_valid(q->uuid)) {
			mbox_answer(c, 400, "Syntax error.");
			return -1;
		}
		break;
	default:
		break;
	}
	if (!mbox_path_valid(q->folder)) {
		mbox_answer(c, 444, "Invalid folder name.");
		return -1;
	}
	return 0;
}

void
mbox_ctx_init(struct mbox_ctx *c, const struct ipc_mbox_req *req,
    const char *root, struct ipc_mbox_res *res, int *fdp)
{
	memset(res, 0, sizeof(*res));
	memset(c, 0, sizeof(*c));
	res->reqid = req->reqid;
	c->req = req;
	c->root = root;
	c->rootfd = -1;
	c->res = res;
	c->fd = -1;
	*fdp = -1;
}

void
mbox_ctx_finish(struct mbox_ctx *c, int *fdp)
{
	struct ipc_mbox_res	*res = c->res;

	if (c->rootfd != -1)
		close(c->rootfd);
	if (res->result != IPC_OK) {
		if (c->fd != -1)
			close(c->fd);
		c->fd = -1;
		c->lines.n = 0;
	}
	if (c->fd == -1 && c->lines.n > 0) {
		if ((c->fd = memfd_sealed("immp-mbox", c->lines.buf, c->lines.len)) == -1) {
			mbox_fail_io(c, "memfd");
			c->lines.n = 0;
		} else {
			res->lines = c->lines.n;
			res->length = c->lines.len;
		}
	}
	free(c->lines.buf);
	*fdp = c->fd;
	if (*fdp == -1) {
		res->lines = 0;
		res->length = 0;
	}
}

void
mbox_request(const struct ipc_mbox_req *req, const char *root,
    struct ipc_mbox_res *res, int *fdp, mbox_event_fn emit, void *arg)
{
	struct mbox_ctx	c;

	mbox_ctx_init(&c, req, root, res, fdp);
	c.emit = emit;
	c.arg = arg;
	if (req_check(&c) == -1 || mbox_root_open(&c) == -1)
		goto done;
	switch (req->op) {
	case MBOX_OP_LIST:
		mbox_op_list(&c);
		break;
	case MBOX_OP_CHECK:
		mbox_op_check(&c);
		break;
	case MBOX_OP_INDEX:
		op_index(&c);
		break;
	case MBOX_OP_FETCH:
		op_fetch(&c);
		break;
	case MBOX_OP_CREATE:
		mbox_op_create(&c);
		break;
	case MBOX_OP_DELETE:
		mbox_op_delete(&c);
		break;
	case MBOX_OP_RENAME:
		mbox_op_rename(&c);
		break;
	case MBOX_OP_FLAG:
		op_flag(&c);
		break;
	case MBOX_OP_COPY:
		op_copy_move(&c, 0);
		break;
	case MBOX_OP_MOVE:
		op_copy_move(&c, 1);
		break;
	case MBOX_OP_EXPUNGE:
		op_expunge(&c);
		break;
	default:
		mbox_answer(&c, 400, "Syntax error.");
		break;
	}
 done:
	mbox_ctx_finish(&c, fdp);
}
