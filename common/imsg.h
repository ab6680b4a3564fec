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

/* A received message; data and fd belong to the handler for its call. */
struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;	/* passed descriptor or -1; the handler owns it */
	void		*data;	/* payload, valid only during the handler call */
	size_t		 datalen;
};

struct imsgev;

/* Called once per complete message. */
typedef void	(*imsgev_handler)(struct imsgev *, struct imsg *, void *arg);
/* Called once when the peer closed or the channel failed. */
typedef void	(*imsgev_closed)(struct imsgev *, void *arg);

/*
 * imsgev_new: takes ownership of the connected socket fd (set
 * non-blocking here), registers it with base.  Returns NULL on ENOMEM.
 */
struct imsgev	*imsgev_new(struct event_base *base, int fd,
		    imsgev_handler handler, imsgev_closed closed, void *arg);

/*
 * imsgev_compose: queues one message for sending.  len <=
 * IMSG_MAX_PAYLOAD.  If fd >= 0 it is passed to the peer and closed here
 * once sent (the caller gives it up).  Returns 0, or -1 with errno set
 * (EMSGSIZE, ENOMEM); on -1 a passed fd has been closed.
 */
int		 imsgev_compose(struct imsgev *, uint32_t type,
		    uint32_t peerid, int fd, const void *data, size_t len);

/* imsgev_flush: blocks until every queued message is written (shutdown). */
int		 imsgev_flush(struct imsgev *);

/* imsgev_free: closes the socket, drops unsent messages and their fds. */
void		 imsgev_free(struct imsgev *);

/*
 * Low-level framing, usable without libevent (tests, immpctl).
 * imsg_read_one: blocking read of one full message from fd into *out;
 * out->data is malloc'ed (caller frees).  Returns 1, 0 on EOF, -1 on
 * error or a malformed header (errno EBADMSG).
 * imsg_write_one: blocking write of one message.  Returns 0 or -1.
 */
int		 imsg_read_one(int fd, struct imsg *out);
int		 imsg_write_one(int fd, uint32_t type, uint32_t peerid,
		    int passfd, const void *data, size_t len);

#endif
