/*
 * imsg: the message channel between immpd's own processes (DESIGN §3).
 *
 * A message is a fixed header followed by a payload of hdr.len -
 * IMSG_HEADER_SIZE bytes, optionally carrying one passed descriptor
 * (SCM_RIGHTS).  The channel is a non-blocking AF_UNIX SOCK_STREAM
 * socketpair driven by libevent.  Peers are our own processes and are
 * trusted to be well formed: a header with len < IMSG_HEADER_SIZE or
 * len > IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD, or more than one descriptor
 * per message, is fatal for the receiving process (fail closed).
 */
#ifndef IMMP_IMSG_H
#define IMMP_IMSG_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

struct imsg_hdr {
	uint32_t	type;	/* IMSG_* from ipc.h */
	uint32_t	len;	/* header + payload, octets */
	uint32_t	peerid;	/* free for the sender, e.g. a session id */
	uint32_t	pid;	/* sender's pid */
};

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_MAX_PAYLOAD	(64 * 1024)

/*
 * On the wire only: set in hdr.type when the message carries a passed
 * descriptor (sent with the message's first octet).  Stripped before a
 * handler or imsg_read_one's caller sees hdr.type, and refused in the
 * type given to imsgev_compose/imsg_write_one (EINVAL).
 */
#define IMSG_FLAG_FD		0x80000000U

/*
 * A received message; data and fd belong to the handler for its call.
 * data is NULL when datalen is 0, otherwise suitably aligned for any
 * payload struct.  A received fd has FD_CLOEXEC set.
 */
struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;	/* passed descriptor or -1; the handler owns it */
	void		*data;	/* payload, valid only during the handler call */
	size_t		 datalen;
};

struct imsgev;

/* Called once per complete message. */
typedef void	(*imsgev_handler)(struct imsgev *, struct imsg *, void *arg);
/*
 * Called once when the peer closed or the channel failed; no handler
 * call follows.  The owner still calls imsgev_free.
 */
typedef void	(*imsgev_closed)(struct imsgev *, void *arg);

/*
 * imsgev_new: takes ownership of the connected socket fd (set
 * non-blocking and close-on-exec here), registers it with base.
 * Returns NULL with errno (ENOMEM, EINVAL if handler is NULL); the fd is
 * then left open for the caller.
 */
struct imsgev	*imsgev_new(struct event_base *base, int fd,
		    imsgev_handler handler, imsgev_closed closed, void *arg);

/*
 * imsgev_compose: queues one message for sending; nothing is written
 * before the event loop runs (or imsgev_flush).  len <=
 * IMSG_MAX_PAYLOAD.  If fd >= 0 it is passed to the peer and closed here
 * once sent (the caller gives it up).  Returns 0, or -1 with errno set
 * (EMSGSIZE, ENOMEM, EINVAL, EPIPE after the channel closed); on -1 a
 * passed fd has been closed.
 */
int		 imsgev_compose(struct imsgev *, uint32_t type,
		    uint32_t peerid, int fd, const void *data, size_t len);

/*
 * imsgev_flush: blocks until every queued message is written (shutdown).
 * Returns 0, or -1 with errno if the channel failed.
 */
int		 imsgev_flush(struct imsgev *);

/*
 * imsgev_free: closes the socket, drops unsent messages and their fds.
 * May be called from the channel's own handler or closed callback: the
 * free then happens when the callback returns, and no further callback
 * is made.
 */
void		 imsgev_free(struct imsgev *);

/*
 * Low-level framing, usable without libevent (tests, immpctl).  Both
 * also work on a non-blocking socket (they poll(2)).
 * imsg_read_one: blocking read of one full message from fd into *out;
 * out->data is malloc'ed (NULL if datalen is 0; caller frees), out->fd
 * is the passed descriptor or -1 (caller closes).  Returns 1, 0 on EOF
 * before a message, -1 on error or a malformed or truncated message
 * (errno EBADMSG).
 * imsg_write_one: blocking write of one message; passfd (if >= 0) is
 * passed but NOT closed, the caller keeps it.  Returns 0 or -1 with
 * errno (EMSGSIZE, EINVAL, or from sendmsg).
 */
int		 imsg_read_one(int fd, struct imsg *out);
int		 imsg_write_one(int fd, uint32_t type, uint32_t peerid,
		    int passfd, const void *data, size_t len);

#endif
