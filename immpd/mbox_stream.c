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
 * Answers of immp-deliver to MBOX requests, notifications and the
 * POP3-style expunge at QUIT (immp(7) MBOX, NOTIFICATIONS; draft 3.6
 * pipelining, 3.2.2).
 *
 * A multi-line answer or a literal is read from the passed descriptor
 * MBOX_CHUNK octets at a time, only while the session's output buffer
 * is below SESSION_OUT_HIWAT, so a 100,000-line INDEX or a large
 * message never sits in memory as a whole.  While a stream runs the
 * session executes no command (session_busy), so pipelined answers
 * follow each other whole, each line with its own pipeline id, and
 * notifications wait in a queue until the stream has ended.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "cmd.h"
#include "ipc.h"
#include "ipc_mbox.h"
#include "ipc_push.h"
#include "ipc_set.h"
#include "log.h"
#include "mbox.h"
#include "push.h"
#include "reply.h"
#include "session.h"
#include "set.h"

#define LINE_MAX_IN	(4 + IPC_MBOX_TEXT_MAX)	/* "CCC " text LF */

struct note {
	TAILQ_ENTRY(note)	 entry;
	size_t			 len;
	char			 line[];	/* with CRLF */
};

struct del {
	char	 mailbox[IPC_ACCOUNT_MAX];
	char	 folder[IPC_FOLDER_MAX];
	char	 uuid[IPC_UUID_MAX];
};

struct mbox_state {
	/* The request in flight (for logs, +DELETE and shared use). */
	struct ipc_mbox_req	 req;
	char			 id[CMD_MAXID + 1];

	/* The stream: fd >= 0 while one runs. */
	int			 fd;
	int			 lines;	/* 1 lines, 0 literal */
	uint64_t		 off;		/* next octet to read */
	uint64_t		 length;	/* octets behind fd */
	int			 code;	/* last line (lines mode) */
	char			 text[IPC_MBOX_TEXT_MAX];
	char			 lbuf[LINE_MAX_IN];
	size_t			 llen;
	uint64_t		 nlines;

	TAILQ_HEAD(, note)	 notes;
	size_t			 nnotes;
	int			 dropped;	/* notes lost to the cap */

	char			 shared[MBOX_SHARED_MAX][IPC_ACCOUNT_MAX];
	size_t			 nshared;

	struct del		*dels;	/* FETCH +DELETE, for QUIT */
	size_t			 ndel, delcap;
	size_t			 delcur;
	int			 quitting;
};

static const char *const opnames[] = {
	"?", "list", "check", "index", "fetch", "create", "delete",
	"rename", "flag", "copy", "move", "expunge"
};

static struct mbox_state *mbox_state(struct session *);
static void	 mbox_log(struct session *, const struct ipc_mbox_req *,
		    int);
static void	 mbox_line(struct session *, struct mbox_state *, int, int,
		    const char *);
static void	 mbox_end(struct session *, struct mbox_state *, int);
static int	 mbox_lines(struct session *, struct mbox_state *,
		    const char *, size_t);
static void	 mbox_notes_flush(struct session *, struct mbox_state *);
static void	 mbox_note(struct session *, const struct ipc_mbox_event *,
		    const char *, size_t);
static void	 mbox_remember(struct session *, struct mbox_state *);
static void	 mbox_quit_next(struct session *, struct mbox_state *);
static int	 mbox_gzip_literal(struct session *, struct mbox_state *);
static int	 mbox_gzip_out(void *, const void *, size_t);

static struct mbox_state *
mbox_state(struct session *s)
{
	struct mbox_state	*st;

	if (s->mbox != NULL)
		return (s->mbox);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal("mbox state");
	st->fd = -1;
	TAILQ_INIT(&st->notes);
	s->mbox = st;
	return (st);
}

void
mbox_free(struct session *s)
{
	struct mbox_state	*st = s->mbox;
	struct note		*n;

	if (st == NULL)
		return;
	if (st->fd != -1)
		close(st->fd);
	while ((n = TAILQ_FIRST(&st->notes)) != NULL) {
		TAILQ_REMOVE(&st->notes, n, entry);
		free(n);
	}
	free(st->dels);
	free(st);
	s->mbox = NULL;
}

static void
mbox_log(struct session *s, const struct ipc_mbox_req *req, int code)
{
	const char	*op = "?";

	if (req->op > 0 && (size_t)req->op < sizeof(opnames) /
	    sizeof(opnames[0]))
		op = opnames[req->op];
	log_info("session mbox id=%016" PRIx64 " op=%s mailbox=%s folder=%s"
	    "%s%s code=%d", s->id, op, req->mailbox, req->folder,
	    req->uuid[0] != '\0' ? "#" : "", req->uuid, code);
}

void
mbox_send(struct session *s, struct ipc_mbox_req *req)
{
	struct mbox_state	*st = mbox_state(s);

	req->reqid = session_reqid(s);
	st->req = *req;
	st->id[0] = '\0';
	if (s->cmdid != NULL)
		(void)strlcpy(st->id, s->cmdid, sizeof(st->id));
	net_compose(env->deliver, IMSG_MBOX_REQUEST, req, sizeof(*req));
	session_wait(s, WAIT_MBOX, req->reqid);
}

int
mbox_streaming(struct session *s)
{
	return (s->mbox != NULL && s->mbox->fd != -1);
}

int
mbox_wants_more(struct session *s)
{
	return (mbox_streaming(s) && !s->closing &&
	    evbuffer_get_length(s->out) < SESSION_OUT_HIWAT);
}

/*
 * One reply line with the request's pipeline id; a text that cannot
 * be a reply line (controls, bad UTF-8) gives -1 and nothing is sent.
 */
static int
mbox_fmt(struct session *s, struct mbox_state *st, int code, int more,
    const char *text)
{
	char	 line[REPLY_MAXLINE];
	int	 n;

	if ((n = reply_format(line, sizeof(line), st->id[0] != '\0' ?
	    st->id : NULL, code, more, "%s", text)) == -1)
		return (-1);
	if (evbuffer_add(s->out, line, n) == -1)
		session_close(s, "out-of-memory");
	return (0);
}

/* A line of the answer; an unsendable one ends the stream with 740. */
static void
mbox_line(struct session *s, struct mbox_state *st, int code, int more,
    const char *text)
{
	if (s->closing)
		return;
	if (mbox_fmt(s, st, code, more, text) == 0)
		return;
	log_warnx("session %016" PRIx64 ": unsendable mbox reply line %d",
	    s->id, code);
	(void)mbox_fmt(s, st, 740, 0, "Mailbox temporarily unavailable.");
	if (more)
		mbox_end(s, st, 740);
}

/* Ends the running stream (if any) and flushes the notifications. */
static void
mbox_end(struct session *s, struct mbox_state *st, int code)
{
	if (st->fd != -1) {
		close(st->fd);
		st->fd = -1;
		mbox_log(s, &st->req, code);
	}
	st->llen = 0;
	mbox_notes_flush(s, st);
}

void
mbox_result(struct session *s, const struct ipc_mbox_res *res, int fd)
{
	struct mbox_state	*st = mbox_state(s);
	char			 want[64];
	size_t			 tl, wl;

	if (res->code < 100 || res->code > 799)
		fatalx("deliver: mbox reply code %d", res->code);
	if (st->quitting) {
		if (fd != -1)
			close(fd);
		mbox_log(s, &st->req, res->code);
		mbox_quit_next(s, st);
		return;
	}
	if (fd == -1) {
		mbox_log(s, &st->req, res->code);
		if (res->code < 400)
			mbox_remember(s, st);
		mbox_line(s, st, res->code, 0, res->text);
		if (st->req.op == PUSH_OP_SUB_DEL && res->code == 283)
			push_unsubscribed(s, res->text);	/* subscribe.c */
		mbox_notes_flush(s, st);
		return;
	}
	if (res->code >= 400) {
		/* An error has no body; drop what came with it. */
		close(fd);
		mbox_log(s, &st->req, res->code);
		mbox_line(s, st, res->code, 0, res->text);
		return;
	}
	st->fd = fd;
	st->off = 0;
	st->length = res->length;
	st->lines = res->lines != 0;
	st->code = res->code;
	st->llen = 0;
	st->nlines = 0;
	(void)strlcpy(st->text, res->text, sizeof(st->text));
	mbox_remember(s, st);
	if (!st->lines) {
		/* The literal's length is announced in the line itself. */
		(void)snprintf(want, sizeof(want), " LENGTH %" PRIu64,
		    res->length);
		tl = strlen(res->text);
		wl = strlen(want);
		if (tl < wl || strcmp(res->text + tl - wl, want) != 0) {
			log_warnx("session %016" PRIx64 ": literal answer "
			    "\"%s\" does not announce %" PRIu64 " octets",
			    s->id, res->text, res->length);
			(void)mbox_fmt(s, st, 740, 0,
			    "Mailbox temporarily unavailable.");
			mbox_end(s, st, 740);
			return;
		}
		if (set_compression(s) == SET_COMP_GZIP) {
			st->text[tl - wl] = '\0';
			if (mbox_gzip_literal(s, st) == -1) {
				(void)mbox_fmt(s, st, 740, 0,
				    "Mailbox temporarily unavailable.");
				mbox_end(s, st, 740);
				return;
			}
			mbox_end(s, st, st->code);
			return;
		}
		if (mbox_fmt(s, st, res->code, 0, res->text) == -1) {
			log_warnx("session %016" PRIx64 ": literal answer "
			    "\"%s\" does not announce %" PRIu64 " octets",
			    s->id, res->text, res->length);
			(void)mbox_fmt(s, st, 740, 0,
			    "Mailbox temporarily unavailable.");
			mbox_end(s, st, 740);
			return;
		}
	}
	mbox_pump(s);
}

/*
 * COMPRESSION=GZIP (immp(7) COMPRESSION): the literal's LENGTH must be
 * the compressed length, so the whole body is compressed first, into
 * memory bounded by zlit_deflate_bound(length), then announced and
 * queued.  st->text is the answer line without its " LENGTH n".
 * Returns 0, or -1 (nothing sent) on a read error or lack of memory.
 */
static int
mbox_gzip_literal(struct session *s, struct mbox_state *st)
{
	char		 buf[MBOX_CHUNK], line[IPC_MBOX_TEXT_MAX + 32];
	struct evbuffer	*z;
	struct zlit	*zl;
	uint64_t	 off = 0, left;
	ssize_t		 n;
	size_t		 want;
	int		 rv = -1, last;

	if ((z = evbuffer_new()) == NULL)
		return (-1);
	if ((zl = zlit_deflate_new()) == NULL)
		goto done;
	for (;;) {
		left = st->length - off;
		want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		n = 0;
		if (want > 0 && (n = pread(st->fd, buf, want,
		    (off_t)off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			log_warnx("session %016" PRIx64 ": mbox answer short "
			    "by %" PRIu64 " octets", s->id, left);
			goto done;
		}
		off += (uint64_t)n;
		last = off == st->length;
		if (zlit_deflate(zl, buf, (size_t)n, last, mbox_gzip_out,
		    z) != ZLIT_OK)
			goto done;
		if (last)
			break;
	}
	if (snprintf(line, sizeof(line), "%s LENGTH %zu", st->text,
	    evbuffer_get_length(z)) >= (int)sizeof(line) ||
	    mbox_fmt(s, st, st->code, 0, line) == -1)
		goto done;
	if (evbuffer_add_buffer(s->out, z) == -1) {
		session_close(s, "out-of-memory");
		goto done;
	}
	rv = 0;
done:
	zlit_free(zl);
	evbuffer_free(z);
	return (rv);
}

static int
mbox_gzip_out(void *arg, const void *buf, size_t n)
{
	return (evbuffer_add(arg, buf, n) == -1 ? -1 : 0);
}

/* Remembers what a successful request means for later. */
static void
mbox_remember(struct session *s, struct mbox_state *st)
{
	struct del	*d;
	size_t		 i, cap;

	if (strcasecmp(st->req.mailbox, s->account) != 0) {
		for (i = 0; i < st->nshared; i++)
			if (strcasecmp(st->shared[i], st->req.mailbox) == 0)
				break;
		if (i == st->nshared && st->nshared < MBOX_SHARED_MAX)
			(void)strlcpy(st->shared[st->nshared++],
			    st->req.mailbox, sizeof(st->shared[0]));
	}
	if (st->req.op != MBOX_OP_FETCH || !(st->req.flags & MBOXF_DELETE))
		return;
	for (i = 0; i < st->ndel; i++) {
		d = &st->dels[i];
		if (strcmp(d->uuid, st->req.uuid) == 0 &&
		    strcmp(d->folder, st->req.folder) == 0 &&
		    strcmp(d->mailbox, st->req.mailbox) == 0)
			return;
	}
	if (st->ndel == MBOX_DEL_MAX) {
		log_warnx("session %016" PRIx64 ": more than %d messages "
		    "fetched +DELETE, %s#%s stays", s->id, MBOX_DEL_MAX,
		    st->req.folder, st->req.uuid);
		return;
	}
	if (st->ndel == st->delcap) {
		cap = st->delcap ? st->delcap * 2 : 16;
		if ((d = reallocarray(st->dels, cap, sizeof(*d))) == NULL) {
			log_warn("session %016" PRIx64, s->id);
			return;
		}
		st->dels = d;
		st->delcap = cap;
	}
	d = &st->dels[st->ndel++];
	(void)strlcpy(d->mailbox, st->req.mailbox, sizeof(d->mailbox));
	(void)strlcpy(d->folder, st->req.folder, sizeof(d->folder));
	(void)strlcpy(d->uuid, st->req.uuid, sizeof(d->uuid));
}

/*
 * Splits buf[0..len) into answer lines "CCC SP text LF" and sends each
 * as a continuation line.  0, or -1 for a malformed line (the stream
 * has then been ended with 740).
 */
static int
mbox_lines(struct session *s, struct mbox_state *st, const char *buf,
    size_t len)
{
	const char	*p, *nl;
	size_t		 n;
	char		*l;
	int		 code;

	for (p = buf; p < buf + len; p += n) {
		nl = memchr(p, '\n', buf + len - p);
		n = (nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(buf + len -
		    p));
		if (st->llen + n > sizeof(st->lbuf))
			goto bad;
		memcpy(st->lbuf + st->llen, p, n);
		st->llen += n;
		if (nl == NULL)
			break;
		l = st->lbuf;
		l[st->llen - 1] = '\0';
		if (st->llen < 5 || l[0] < '1' || l[0] > '7' ||
		    l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9' ||
		    l[3] != ' ' || memchr(l, '\0', st->llen - 1) != NULL ||
		    memchr(l, '\r', st->llen - 1) != NULL)
			goto bad;
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		st->llen = 0;
		if (mbox_fmt(s, st, code, 1, l + 4) == -1)
			goto bad;
		st->nlines++;
	}
	return (0);
 bad:
	log_warnx("session %016" PRIx64 ": malformed mbox answer line %"
	    PRIu64, s->id, st->nlines + 1);
	(void)mbox_fmt(s, st, 740, 0, "Mailbox temporarily unavailable.");
	mbox_end(s, st, 740);
	return (-1);
}

void
mbox_pump(struct session *s)
{
	struct mbox_state	*st = s->mbox;
	char			 buf[MBOX_CHUNK];
	struct timeval		 tv = { SESSION_IDLE_TIMEOUT, 0 };
	uint64_t		 left;
	ssize_t			 n;
	size_t			 want;
	int			 progress = 0;

	if (st == NULL || st->fd == -1)
		return;
	if (s->closing) {
		mbox_end(s, st, 0);
		return;
	}
	while (st->fd != -1 && evbuffer_get_length(s->out) <
	    SESSION_OUT_HIWAT) {
		left = st->length - st->off;
		if (left == 0) {
			if (st->lines) {
				if (st->llen != 0) {
					st->llen = 0;
					log_warnx("session %016" PRIx64 ": "
					    "mbox answer ends inside a line",
					    s->id);
					(void)mbox_fmt(s, st, 740, 0,
					    "Mailbox temporarily unavailable.");
					mbox_end(s, st, 740);
					break;
				}
				if (mbox_fmt(s, st, st->code, 0,
				    st->text) == -1) {
					(void)mbox_fmt(s, st, 740, 0,
					    "Mailbox temporarily unavailable.");
					mbox_end(s, st, 740);
					break;
				}
			}
			mbox_end(s, st, st->code);
			break;
		}
		want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		n = pread(st->fd, buf, want, (off_t)st->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				log_warn("session %016" PRIx64 ": mbox answer",
				    s->id);
			else
				log_warnx("session %016" PRIx64 ": mbox answer"
				    " short by %" PRIu64 " octets", s->id,
				    left);
			if (!st->lines) {
				/* A literal cannot be finished: give up. */
				mbox_end(s, st, 740);
				session_close(s, "mbox-short-answer");
				break;
			}
			st->llen = 0;
			(void)mbox_fmt(s, st, 740, 0,
			    "Mailbox temporarily unavailable.");
			mbox_end(s, st, 740);
			break;
		}
		st->off += (uint64_t)n;
		progress = 1;
		if (st->lines) {
			if (mbox_lines(s, st, buf, (size_t)n) == -1)
				break;
		} else if (evbuffer_add(s->out, buf, (size_t)n) == -1) {
			mbox_end(s, st, 740);
			session_close(s, "out-of-memory");
			break;
		}
	}
	/* A slow reader that takes data is not idle. */
	if (progress && !s->closing)
		evtimer_add(s->timer, &tv);
}

/*
 * Notifications.
 */

static void
mbox_notes_flush(struct session *s, struct mbox_state *st)
{
	struct note	*n;

	while ((n = TAILQ_FIRST(&st->notes)) != NULL) {
		TAILQ_REMOVE(&st->notes, n, entry);
		if (!s->closing && evbuffer_add(s->out, n->line, n->len) == -1)
			session_close(s, "out-of-memory");
		free(n);
	}
	st->nnotes = 0;
	if (st->dropped) {
		log_warnx("session %016" PRIx64 ": %d notifications dropped",
		    s->id, st->dropped);
		st->dropped = 0;
	}
}

/* Sends or queues one formatted notification line for s. */
static void
mbox_note(struct session *s, const struct ipc_mbox_event *ev,
    const char *line, size_t len)
{
	struct mbox_state	*st;
	struct note		*n;

	if (s->state != STATE_LOCAL || s->closing)
		return;
	/*
	 * SET NOTIFY NONE: nothing; IMPORTANT: the store does not tell
	 * which messages are important, so no mailbox line either.
	 */
	if (ev->code == PUSH_CODE_IMPORTANT) {	/* push.c */
		if (set_notify(s) == SET_NOTIFY_NONE)
			return;
	} else if (set_notify(s) != SET_NOTIFY_ALL)
		return;
	if (ev->origin != 0 && (ev->origin >> IPC_REQSEQ_BITS) == s->id)
		return;
	st = s->mbox;
	if (strcasecmp(ev->mailbox, s->account) != 0) {
		size_t	 i;

		if (st == NULL)
			return;
		for (i = 0; i < st->nshared; i++)
			if (strcasecmp(st->shared[i], ev->mailbox) == 0)
				break;
		if (i == st->nshared)
			return;
	}
	st = mbox_state(s);
	if (st->fd == -1) {
		if (evbuffer_add(s->out, line, len) == -1)
			session_close(s, "out-of-memory");
		session_kick(s);
		return;
	}
	if (st->nnotes >= MBOX_NOTES_MAX) {
		st->dropped++;
		return;
	}
	if ((n = malloc(sizeof(*n) + len)) == NULL) {
		st->dropped++;
		return;
	}
	n->len = len;
	memcpy(n->line, line, len);
	TAILQ_INSERT_TAIL(&st->notes, n, entry);
	st->nnotes++;
}

struct note_arg {
	const struct ipc_mbox_event	*ev;
	const char			*line;
	size_t				 len;
};

static void
mbox_note_cb(struct session *s, void *arg)
{
	struct note_arg	*a = arg;

	mbox_note(s, a->ev, a->line, a->len);
}

void
mbox_event(const struct ipc_mbox_event *ev)
{
	struct note_arg	 a;
	char		 line[REPLY_MAXLINE];
	int		 n;

	if ((ev->code < 150 || ev->code > 153) &&
	    ev->code != PUSH_CODE_EVENT && ev->code != PUSH_CODE_IMPORTANT)
		fatalx("deliver: mbox event code %d", ev->code);
	if ((n = reply_format(line, sizeof(line), NULL, ev->code, 0, "%s",
	    ev->text)) == -1) {
		log_warnx("mbox event for %s%s: unsendable text", ev->mailbox,
		    ev->folder);
		return;
	}
	log_debug("mbox event %s %.*s", ev->mailbox, n - 2, line);
	a.ev = ev;
	a.line = line;
	a.len = (size_t)n;
	session_foreach(mbox_note_cb, &a);
}

/*
 * QUIT after FETCH +DELETE (draft 3.2.2): expunge each message, then
 * 201.
 */

int
mbox_quit(struct session *s)
{
	struct mbox_state	*st = s->mbox;

	if (st == NULL || st->ndel == 0 || s->state != STATE_LOCAL)
		return (0);
	st->quitting = 1;
	st->delcur = 0;
	st->id[0] = '\0';
	if (s->cmdid != NULL)
		(void)strlcpy(st->id, s->cmdid, sizeof(st->id));
	mbox_quit_next(s, st);
	return (1);
}

static void
mbox_quit_next(struct session *s, struct mbox_state *st)
{
	struct ipc_mbox_req	 req;
	struct del		*d;
	char			 id[CMD_MAXID + 1];

	if (st->delcur < st->ndel) {
		d = &st->dels[st->delcur++];
		memset(&req, 0, sizeof(req));
		req.op = MBOX_OP_EXPUNGE;
		(void)strlcpy(req.account, s->account, sizeof(req.account));
		(void)strlcpy(req.mailbox, d->mailbox, sizeof(req.mailbox));
		(void)strlcpy(req.folder, d->folder, sizeof(req.folder));
		(void)strlcpy(req.uuid, d->uuid, sizeof(req.uuid));
		(void)strlcpy(req.selector, "all", sizeof(req.selector));
		(void)strlcpy(id, st->id, sizeof(id));
		mbox_send(s, &req);
		(void)strlcpy(st->id, id, sizeof(st->id));
		return;
	}
	st->quitting = 0;
	st->ndel = 0;
	(void)mbox_fmt(s, st, 201, 0, "Bye.");
	session_close(s, "quit");
}
