/*
 * imsg: the message channel between immpd's own processes (imsg.h,
 * DESIGN §3).
 *
 * Framing.  Every message is a struct imsg_hdr (host byte order, both
 * ends run on the same machine) followed by hdr.len - IMSG_HEADER_SIZE
 * octets of payload.  A message that carries a descriptor has
 * IMSG_FLAG_FD set in hdr.type on the wire; the flag is stripped before
 * the handler sees the message.
 *
 * Descriptors.  The sender passes a descriptor (SCM_RIGHTS) in the same
 * sendmsg(2) as the first octet of its message, and starts that sendmsg
 * with that message, so the descriptor arrives in the same recvmsg(2)
 * as the message's first octet.  The receiver queues received
 * descriptors in arrival order and gives the oldest one to each complete
 * message that is flagged as carrying one (the OpenBSD imsg approach).
 * Anything else is a broken peer and fatal: a flagged message with no
 * queued descriptor, more than one descriptor in one recvmsg, truncated
 * or unexpected control data, or a descriptor left over that no
 * partially received, flagged message can claim.
 *
 * Lifetime.  Handlers may call imsgev_free() on their own channel; the
 * free is deferred until the callback returns and no further handler or
 * closed callback is made for that channel.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imsg.h"
#include "log.h"

#define IMSG_MSG_MAX	(IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD)
#define IMSG_FDQ_MAX	4	/* received, not yet claimed descriptors */
#define IMSG_RECV_FDS	4	/* room to see (and reject) extra fds */
#define IMSG_IOV_MAX	64	/* messages per sendmsg */

struct imsg_out {
	TAILQ_ENTRY(imsg_out)	 entry;
	size_t			 len;	/* header + payload */
	size_t			 off;	/* octets already sent */
	int			 fd;	/* sent with the first octet, or -1 */
	unsigned char		 buf[];
};

struct imsgev {
	struct event_base	*base;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_retry;	/* fd table full: read later */
	imsgev_handler		 handler;
	imsgev_closed		 closed;
	void			*arg;
	int			 busy;		/* inside our own callback */
	int			 dead;		/* no more callbacks */
	int			 wclosed;	/* peer stopped reading */
	int			 freeing;	/* imsgev_free in a callback */
	TAILQ_HEAD(, imsg_out)	 outq;
	int			 fdq[IMSG_FDQ_MAX];
	size_t			 nfdq;
	size_t			 rlen;		/* octets in rbuf */
	unsigned char		 rbuf[IMSG_MSG_MAX];
	/* The payload is copied here so handlers get aligned structs. */
	_Alignas(max_align_t) unsigned char pbuf[IMSG_MAX_PAYLOAD];
};

static ssize_t	 recv_fd(int, void *, size_t, int *);
static int	 imsgev_write(struct imsgev *);
static void	 imsgev_update_write(struct imsgev *);
static void	 imsgev_fail(struct imsgev *);
static void	 imsgev_drop_output(struct imsgev *);
static void	 imsgev_destroy(struct imsgev *);
static void	 imsgev_dispatch(struct imsgev *);
static void	 imsgev_read_cb(int, short, void *);
static void	 imsgev_write_cb(int, short, void *);
static void	 imsgev_retry_cb(int, short, void *);
static void	 imsgev_leave(struct imsgev *);

/*
 * recv_fd: one recvmsg(2) of at most len octets into buf.  A received
 * descriptor (close-on-exec) is stored in *rfd, else *rfd = -1.
 * Returns the octet count, 0 on EOF, or -1 with errno; errno EBADMSG
 * means unexpected control data (every descriptor received is closed).
 */
static ssize_t
recv_fd(int s, void *buf, size_t len, int *rfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IMSG_RECV_FDS)];
	} cmsgbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	ssize_t		 n;
	size_t		 i, nfd;
	int		 fd, bad = 0;

	*rfd = -1;
	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC)) == -1)
		return -1;

	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		bad = 1;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(int));
			if (*rfd == -1)
				*rfd = fd;
			else {
				(void)close(fd);
				bad = 1;
			}
		}
	}
	if (bad) {
		if (*rfd != -1)
			(void)close(*rfd);
		*rfd = -1;
		errno = EBADMSG;
		return -1;
	}
	return n;
}

struct imsgev *
imsgev_new(struct event_base *base, int fd, imsgev_handler handler,
    imsgev_closed closed, void *arg)
{
	struct imsgev	*iev;
	int		 flags;

	if (base == NULL || fd < 0 || handler == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return NULL;

	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		return NULL;
	iev->base = base;
	iev->fd = fd;
	iev->handler = handler;
	iev->closed = closed;
	iev->arg = arg;
	TAILQ_INIT(&iev->outq);

	iev->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    imsgev_read_cb, iev);
	iev->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    imsgev_write_cb, iev);
	iev->ev_retry = evtimer_new(base, imsgev_retry_cb, iev);
	if (iev->ev_read == NULL || iev->ev_write == NULL ||
	    iev->ev_retry == NULL || event_add(iev->ev_read, NULL) == -1) {
		if (iev->ev_read != NULL)
			event_free(iev->ev_read);
		if (iev->ev_write != NULL)
			event_free(iev->ev_write);
		if (iev->ev_retry != NULL)
			event_free(iev->ev_retry);
		free(iev);
		errno = ENOMEM;
		return NULL;
	}
	return iev;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct imsg_out	*m;
	struct imsg_hdr	 hdr;
	int		 error;

	if (len > IMSG_MAX_PAYLOAD) {
		error = EMSGSIZE;
		goto fail;
	}
	if ((type & IMSG_FLAG_FD) != 0 || (len > 0 && data == NULL)) {
		error = EINVAL;
		goto fail;
	}
	if (iev->dead || iev->wclosed) {
		error = EPIPE;
		goto fail;
	}
	if ((m = malloc(sizeof(*m) + IMSG_HEADER_SIZE + len)) == NULL) {
		error = ENOMEM;
		goto fail;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type | (fd >= 0 ? IMSG_FLAG_FD : 0);
	hdr.len = (uint32_t)(IMSG_HEADER_SIZE + len);
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)getpid();
	memcpy(m->buf, &hdr, IMSG_HEADER_SIZE);
	if (len > 0)
		memcpy(m->buf + IMSG_HEADER_SIZE, data, len);
	m->len = IMSG_HEADER_SIZE + len;
	m->off = 0;
	m->fd = fd >= 0 ? fd : -1;

	TAILQ_INSERT_TAIL(&iev->outq, m, entry);
	if (event_add(iev->ev_write, NULL) == -1) {
		TAILQ_REMOVE(&iev->outq, m, entry);
		free(m);
		error = ENOMEM;
		goto fail;
	}
	return 0;

fail:
	if (fd >= 0)
		(void)close(fd);
	errno = error;
	return -1;
}

/*
 * imsgev_write: one sendmsg(2) of as many queued messages as possible.
 * A message with a descriptor is only ever sent at the start of a
 * sendmsg, so its descriptor travels with its first octet.  Returns 1
 * on progress, 0 if the socket would block (or the queue is empty), -1
 * with errno on failure.
 */
static int
imsgev_write(struct imsgev *iev)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct iovec	 iov[IMSG_IOV_MAX];
	struct msghdr	 mh;
	struct cmsghdr	*cmsg;
	struct imsg_out	*m, *first;
	size_t		 left, sent, niov = 0;
	ssize_t		 n;

	if ((first = TAILQ_FIRST(&iev->outq)) == NULL)
		return 0;

	memset(&mh, 0, sizeof(mh));
	TAILQ_FOREACH(m, &iev->outq, entry) {
		if (niov == IMSG_IOV_MAX)
			break;
		if (m != first && m->fd != -1)
			break;
		iov[niov].iov_base = m->buf + m->off;
		iov[niov].iov_len = m->len - m->off;
		niov++;
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = niov;

	if (first->fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &first->fd, sizeof(int));
	}

	do {
		n = sendmsg(iev->fd, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS)
			return 0;
		return -1;
	}
	if (n == 0)
		return 0;

	/* The kernel holds its own reference once an octet went out. */
	if (first->fd != -1) {
		(void)close(first->fd);
		first->fd = -1;
	}

	sent = (size_t)n;
	while (sent > 0 && (m = TAILQ_FIRST(&iev->outq)) != NULL) {
		left = m->len - m->off;
		if (sent < left) {
			m->off += sent;
			break;
		}
		sent -= left;
		TAILQ_REMOVE(&iev->outq, m, entry);
		free(m);
	}
	return 1;
}

static void
imsgev_update_write(struct imsgev *iev)
{
	if (iev->dead || iev->wclosed || TAILQ_EMPTY(&iev->outq))
		(void)event_del(iev->ev_write);
	else if (event_add(iev->ev_write, NULL) == -1)
		fatal("imsg: event_add");
}

int
imsgev_flush(struct imsgev *iev)
{
	struct pollfd	 pfd;
	int		 r;

	while (!TAILQ_EMPTY(&iev->outq)) {
		if (iev->dead || iev->wclosed) {
			errno = EPIPE;
			return -1;
		}
		if ((r = imsgev_write(iev)) == -1)
			return -1;
		if (r == 1)
			continue;
		memset(&pfd, 0, sizeof(pfd));
		pfd.fd = iev->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	imsgev_update_write(iev);
	return 0;
}

/* The channel is unusable: stop all events and tell the owner once. */
static void
imsgev_fail(struct imsgev *iev)
{
	if (iev->dead)
		return;
	iev->dead = 1;
	(void)event_del(iev->ev_read);
	(void)event_del(iev->ev_write);
	(void)event_del(iev->ev_retry);
	if (iev->closed != NULL)
		iev->closed(iev, iev->arg);
}

/* Drops every unsent message and closes the descriptors they carry. */
static void
imsgev_drop_output(struct imsgev *iev)
{
	struct imsg_out	*m;

	while ((m = TAILQ_FIRST(&iev->outq)) != NULL) {
		TAILQ_REMOVE(&iev->outq, m, entry);
		if (m->fd != -1)
			(void)close(m->fd);
		free(m);
	}
}

static void
imsgev_destroy(struct imsgev *iev)
{
	size_t		 i;

	event_free(iev->ev_read);
	event_free(iev->ev_write);
	event_free(iev->ev_retry);
	(void)close(iev->fd);
	for (i = 0; i < iev->nfdq; i++)
		(void)close(iev->fdq[i]);
	imsgev_drop_output(iev);
	free(iev);
}

void
imsgev_free(struct imsgev *iev)
{
	if (iev == NULL)
		return;
	if (iev->busy > 0) {
		/* Called from our own callback: finish when it returns. */
		iev->freeing = 1;
		iev->dead = 1;
		(void)event_del(iev->ev_read);
		(void)event_del(iev->ev_write);
		(void)event_del(iev->ev_retry);
		return;
	}
	imsgev_destroy(iev);
}

/* End of one of our callbacks: carry out a deferred imsgev_free. */
static void
imsgev_leave(struct imsgev *iev)
{
	if (--iev->busy == 0 && iev->freeing)
		imsgev_destroy(iev);
}

/* Hands every complete message in rbuf to the handler, in order. */
static void
imsgev_dispatch(struct imsgev *iev)
{
	struct imsg_hdr	 hdr;
	struct imsg	 imsg;
	size_t		 off = 0, datalen;

	while (!iev->dead && iev->rlen - off >= IMSG_HEADER_SIZE) {
		memcpy(&hdr, iev->rbuf + off, sizeof(hdr));
		if (hdr.len < IMSG_HEADER_SIZE || hdr.len > IMSG_MSG_MAX)
			fatalx("imsg: bad length %u in message type %u",
			    hdr.len, hdr.type & ~IMSG_FLAG_FD);
		if (iev->rlen - off < hdr.len)
			break;

		memset(&imsg, 0, sizeof(imsg));
		imsg.fd = -1;
		if (hdr.type & IMSG_FLAG_FD) {
			if (iev->nfdq == 0)
				fatalx("imsg: message type %u without its "
				    "descriptor", hdr.type & ~IMSG_FLAG_FD);
			imsg.fd = iev->fdq[0];
			iev->nfdq--;
			memmove(iev->fdq, iev->fdq + 1,
			    iev->nfdq * sizeof(iev->fdq[0]));
			hdr.type &= ~IMSG_FLAG_FD;
		}
		datalen = hdr.len - IMSG_HEADER_SIZE;
		if (datalen > 0)
			memcpy(iev->pbuf, iev->rbuf + off + IMSG_HEADER_SIZE,
			    datalen);
		imsg.hdr = hdr;
		imsg.data = datalen > 0 ? iev->pbuf : NULL;
		imsg.datalen = datalen;
		off += hdr.len;

		iev->handler(iev, &imsg, iev->arg);
	}

	if (off > 0) {
		memmove(iev->rbuf, iev->rbuf + off, iev->rlen - off);
		iev->rlen -= off;
	}
	if (iev->dead)
		return;

	/*
	 * A descriptor arrives with its message's first octet, and every
	 * complete message has been handled: what is left may only belong
	 * to the one partial message at the start of rbuf.
	 */
	if (iev->nfdq > 0) {
		if (iev->nfdq > 1 || iev->rlen == 0)
			fatalx("imsg: descriptor without a message");
		if (iev->rlen >= IMSG_HEADER_SIZE) {
			memcpy(&hdr, iev->rbuf, sizeof(hdr));
			if ((hdr.type & IMSG_FLAG_FD) == 0)
				fatalx("imsg: descriptor with message type "
				    "%u", hdr.type);
		}
	}
}

static void
imsgev_read_cb(int fd, short events, void *arg)
{
	struct imsgev	*iev = arg;
	struct timeval	 tv;
	ssize_t		 n;
	int		 rfd, spare;

	iev->busy++;
	if (iev->dead)
		goto out;

	/*
	 * Make sure a passed descriptor can be installed: if the table is
	 * full the kernel would drop it silently (MSG_CTRUNC).  At most
	 * one descriptor arrives per recvmsg.
	 */
	if ((spare = fcntl(iev->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		if (errno != EMFILE && errno != ENFILE)
			fatal("imsg: fcntl");
		log_warnx("imsg: descriptor table full, reading paused");
		(void)event_del(iev->ev_read);
		tv.tv_sec = 1;
		tv.tv_usec = 0;
		if (evtimer_add(iev->ev_retry, &tv) == -1)
			fatal("imsg: evtimer_add");
		goto out;
	}
	(void)close(spare);

	if (iev->rlen >= sizeof(iev->rbuf))
		fatalx("imsg: receive buffer full");
	n = recv_fd(iev->fd, iev->rbuf + iev->rlen,
	    sizeof(iev->rbuf) - iev->rlen, &rfd);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			goto out;
		if (errno == EBADMSG)
			fatalx("imsg: bad control data from peer");
		if (errno == ECONNRESET)
			log_debug("imsg: connection reset by peer");
		else
			log_warn("imsg: recvmsg");
		imsgev_fail(iev);
		goto out;
	}
	if (n == 0) {
		if (iev->rlen > 0)
			log_warnx("imsg: peer closed inside a message");
		imsgev_fail(iev);
		goto out;
	}
	if (rfd != -1) {
		if (iev->nfdq >= IMSG_FDQ_MAX)
			fatalx("imsg: too many descriptors from peer");
		iev->fdq[iev->nfdq++] = rfd;
	}
	iev->rlen += (size_t)n;
	imsgev_dispatch(iev);
out:
	imsgev_leave(iev);
}

static void
imsgev_write_cb(int fd, short events, void *arg)
{
	struct imsgev	*iev = arg;

	iev->busy++;
	if (!iev->dead && !iev->wclosed) {
		if (imsgev_write(iev) != -1)
			imsgev_update_write(iev);
		else if (errno == EPIPE || errno == ECONNRESET) {
			/*
			 * The peer is gone.  What it sent before going is
			 * still in our receive buffer: keep reading, the
			 * closed callback comes with EOF.
			 */
			log_debug("imsg: peer closed, output dropped");
			iev->wclosed = 1;
			(void)event_del(iev->ev_write);
			imsgev_drop_output(iev);
		} else {
			log_warn("imsg: sendmsg");
			imsgev_fail(iev);
		}
	}
	imsgev_leave(iev);
}

static void
imsgev_retry_cb(int fd, short events, void *arg)
{
	struct imsgev	*iev = arg;

	if (!iev->dead && event_add(iev->ev_read, NULL) == -1)
		fatal("imsg: event_add");
}

/*
 * read_full: blocking read of exactly len octets (poll(2) if the socket
 * is non-blocking).  A descriptor received on the way is stored in *rfd
 * (which must be -1 or hold one already: a second one is EBADMSG).
 * Returns the octets read (less than len only at EOF) or -1 with errno.
 */
static ssize_t
read_full(int fd, void *buf, size_t len, int *rfd)
{
	struct pollfd	 pfd;
	size_t		 done = 0;
	ssize_t		 n;
	int		 got;

	while (done < len) {
		n = recv_fd(fd, (unsigned char *)buf + done, len - done, &got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				memset(&pfd, 0, sizeof(pfd));
				pfd.fd = fd;
				pfd.events = POLLIN;
				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					return -1;
				continue;
			}
			return -1;
		}
		if (got != -1) {
			if (*rfd != -1) {
				(void)close(got);
				errno = EBADMSG;
				return -1;
			}
			*rfd = got;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
imsg_read_one(int fd, struct imsg *out)
{
	struct imsg_hdr	 hdr;
	ssize_t		 n;
	size_t		 datalen;
	void		*data = NULL;
	int		 rfd = -1, saved_errno;

	memset(out, 0, sizeof(*out));
	out->fd = -1;

	if ((n = read_full(fd, &hdr, sizeof(hdr), &rfd)) == -1)
		goto fail;
	if (n == 0 && rfd == -1)
		return 0;
	if ((size_t)n < sizeof(hdr) ||
	    hdr.len < IMSG_HEADER_SIZE || hdr.len > IMSG_MSG_MAX ||
	    ((hdr.type & IMSG_FLAG_FD) != 0) != (rfd != -1)) {
		errno = EBADMSG;
		goto fail;
	}

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			goto fail;
		/* The descriptor came with the header; no other may come. */
		if ((n = read_full(fd, data, datalen, &rfd)) == -1)
			goto fail;
		if ((size_t)n < datalen) {
			errno = EBADMSG;
			goto fail;
		}
	}

	hdr.type &= ~IMSG_FLAG_FD;
	out->hdr = hdr;
	out->fd = rfd;
	out->data = data;
	out->datalen = datalen;
	return 1;

fail:
	saved_errno = errno;
	if (rfd != -1)
		(void)close(rfd);
	free(data);
	errno = saved_errno;
	return -1;
}

int
imsg_write_one(int fd, uint32_t type, uint32_t peerid, int passfd,
    const void *data, size_t len)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct imsg_hdr	 hdr;
	struct iovec	 iov[2];
	struct msghdr	 mh;
	struct cmsghdr	*cmsg;
	struct pollfd	 pfd;
	size_t		 total, sent = 0, skip, niov;
	ssize_t		 n;
	int		 sendfd = passfd >= 0;

	if (len > IMSG_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((type & IMSG_FLAG_FD) != 0 || (len > 0 && data == NULL)) {
		errno = EINVAL;
		return -1;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type | (sendfd ? IMSG_FLAG_FD : 0);
	hdr.len = (uint32_t)(IMSG_HEADER_SIZE + len);
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)getpid();
	total = IMSG_HEADER_SIZE + len;

	while (sent < total) {
		niov = 0;
		if (sent < IMSG_HEADER_SIZE) {
			iov[niov].iov_base = (unsigned char *)&hdr + sent;
			iov[niov].iov_len = IMSG_HEADER_SIZE - sent;
			niov++;
			skip = 0;
		} else
			skip = sent - IMSG_HEADER_SIZE;
		if (len > skip) {
			iov[niov].iov_base = (unsigned char *)(uintptr_t)data +
			    skip;
			iov[niov].iov_len = len - skip;
			niov++;
		}

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = niov;
		if (sendfd) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&mh);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &passfd, sizeof(int));
		}

		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				memset(&pfd, 0, sizeof(pfd));
				pfd.fd = fd;
				pfd.events = POLLOUT;
				if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
					return -1;
				continue;
			}
			return -1;
		}
		if (n > 0)
			sendfd = 0;
		sent += (size_t)n;
	}
	return 0;
}
