/*
 * fuzz_imsg: imsg_read_one (common/imsg.h) reading the input from a
 * socketpair, as a process would read its channel.
 *
 * The first input octet says whether a descriptor (/dev/null) travels
 * with the first octet of the stream; the rest is the stream, written by
 * a second thread, which then closes its end.  The reader calls
 * imsg_read_one until it returns 0 or -1 and compares every result with
 * an independent walk over the stream: a message comes back with its
 * type (flag stripped), peerid, pid and payload; a header that is short,
 * has len < IMSG_HEADER_SIZE or above the maximum, a payload cut short,
 * or a descriptor flag that does not match the descriptor gives -1 with
 * EBADMSG; the end of the stream exactly between messages gives 0.  No
 * descriptor is leaked.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "fuzz.h"

struct feed {
	int		 sock;
	int		 passfd;
	const uint8_t	*data;
	size_t		 len;
};

static void *
writer(void *arg)
{
	struct feed	*f = arg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	size_t		 off = 0;
	ssize_t		 n;
	char		 zero = 0;

	if (f->passfd != -1) {
		memset(&mh, 0, sizeof(mh));
		memset(&cm, 0, sizeof(cm));
		/* a descriptor needs at least one octet to ride on */
		iov.iov_base = f->len > 0 ? (void *)f->data : &zero;
		iov.iov_len = f->len > 0 ? f->len : 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &f->passfd, sizeof(int));
		n = sendmsg(f->sock, &mh, MSG_NOSIGNAL);
		off = n > 0 ? (size_t)n : f->len;
	}
	while (off < f->len) {
		n = send(f->sock, f->data + off, f->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += n;
	}
	close(f->sock);
	return NULL;
}

/* What the next imsg_read_one must return for stream s[*off..len). */
static int
expect(const uint8_t *s, size_t len, size_t *off, int fd_here,
    struct imsg_hdr *h)
{
	size_t	left = len - *off;

	if (left == 0)
		return fd_here ? -1 : 0;
	if (left < IMSG_HEADER_SIZE)
		return -1;
	memcpy(h, s + *off, sizeof(*h));
	if (h->len < IMSG_HEADER_SIZE ||
	    h->len > IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD)
		return -1;
	if (((h->type & IMSG_FLAG_FD) != 0) != fd_here)
		return -1;
	if (left < h->len)
		return -1;
	*off += h->len;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed	 f;
	struct imsg	 m;
	struct imsg_hdr	 h;
	pthread_t	 t;
	size_t		 off = 0, start;
	int		 sv[2], fds, r, e, want, fd_here, steps;

	if (size < 1 || size > 256 * 1024)
		return 0;
	fds = fuzz_fd_count();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.sock = sv[1];
	f.passfd = -1;
	f.data = data + 1;
	f.len = size - 1;
	if (data[0] & 1)
		f.passfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	FUZZ_ASSERT(pthread_create(&t, NULL, writer, &f) == 0);

	fd_here = f.passfd != -1;
	for (steps = 0; steps < 100000; steps++) {
		start = off;
		want = expect(f.data, f.len, &off, fd_here, &h);
		errno = 0;
		r = imsg_read_one(sv[0], &m);
		e = errno;
		if (r != want)
			fprintf(stderr, "message at %zu: imsg_read_one %d "
			    "(errno %d), expected %d\n", start, r, e, want);
		FUZZ_ASSERT(r == want);
		if (r == 0)
			break;
		if (r == -1) {
			FUZZ_ASSERT(e == EBADMSG);
			break;
		}
		FUZZ_ASSERT(m.hdr.type == (h.type & ~IMSG_FLAG_FD));
		FUZZ_ASSERT(m.hdr.len == h.len && m.hdr.peerid == h.peerid &&
		    m.hdr.pid == h.pid);
		FUZZ_ASSERT(m.datalen == h.len - IMSG_HEADER_SIZE);
		FUZZ_ASSERT((m.data == NULL) == (m.datalen == 0));
		if (m.datalen > 0)
			FUZZ_ASSERT(memcmp(m.data, f.data + start +
			    IMSG_HEADER_SIZE, m.datalen) == 0);
		FUZZ_ASSERT((m.fd != -1) == fd_here);
		if (m.fd != -1) {
			FUZZ_ASSERT(fcntl(m.fd, F_GETFD) & FD_CLOEXEC);
			close(m.fd);
		}
		free(m.data);
		fd_here = 0;
	}
	/* a writer still blocked in send(2) gets EPIPE */
	close(sv[0]);
	FUZZ_ASSERT(pthread_join(t, NULL) == 0);
	if (f.passfd != -1)
		close(f.passfd);
	FUZZ_ASSERT(fuzz_fd_count() == fds);
	return 0;
}
