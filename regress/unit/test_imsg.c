/* Unit tests for common/imsg.c and common/ipc.c. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "imsg.h"
#include "ipc.h"

#define BURST		20000
#define NFDMSG		300

struct rx {
	struct event_base	*base;
	struct imsgev		*iev;
	size_t			 want;	/* messages before loopexit */
	size_t			 got;
	int			 closed;
	size_t			 got_at_close;
	int			 free_in_handler;
	const size_t		*sizes;	/* expected payload sizes */
};

static size_t
burst_size(size_t i)
{
	if (i % 500 == 0)
		return IMSG_MAX_PAYLOAD;
	return (i * 7919) % 2048;
}

static void
fill(unsigned char *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

static int
check(const unsigned char *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
timeout(struct event_base *base, int secs)
{
	struct timeval	 tv = { secs, 0 };

	event_base_loopexit(base, &tv);
}

static void
h_none(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	fail_msg("unexpected message type %u", imsg->hdr.type);
}

static void
c_count(struct imsgev *iev, void *arg)
{
	struct rx	*rx = arg;

	rx->closed++;
	rx->got_at_close = rx->got;
	event_base_loopexit(rx->base, NULL);
}

/* Payload i has type 1000 + i, peerid i, seed i, size from rx->sizes. */
static void
h_seq(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct rx	*rx = arg;
	size_t		 i = rx->got;
	size_t		 len = rx->sizes != NULL ? rx->sizes[i] : burst_size(i);

	assert_int_equal(imsg->hdr.type, 1000 + i);
	assert_int_equal(imsg->hdr.peerid, i);
	assert_int_equal(imsg->hdr.pid, getpid());
	assert_int_equal(imsg->hdr.len, IMSG_HEADER_SIZE + len);
	assert_int_equal(imsg->datalen, len);
	assert_int_equal(imsg->fd, -1);
	if (len == 0)
		assert_null(imsg->data);
	else {
		assert_non_null(imsg->data);
		assert_int_equal((uintptr_t)imsg->data % sizeof(uint64_t), 0);
		assert_true(check(imsg->data, len, (uint32_t)i));
	}
	rx->got++;
	if (rx->free_in_handler) {
		imsgev_free(iev);
		rx->iev = NULL;
		return;
	}
	if (rx->got == rx->want)
		event_base_loopexit(rx->base, NULL);
}

static void
send_seq(struct imsgev *iev, size_t n, const size_t *sizes)
{
	unsigned char	*buf;
	size_t		 i, len;

	buf = malloc(IMSG_MAX_PAYLOAD);
	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		len = sizes != NULL ? sizes[i] : burst_size(i);
		fill(buf, len, (uint32_t)i);
		assert_int_equal(imsgev_compose(iev, 1000 + i, i, -1,
		    len > 0 ? buf : NULL, len), 0);
	}
	free(buf);
}

static void
test_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 7, 15, 16, 17, 255, 4096, 65535, IMSG_MAX_PAYLOAD,
		3, IMSG_MAX_PAYLOAD, 0
	};
	const size_t	 n = sizeof(sizes) / sizeof(sizes[0]);
	struct rx	 rx;
	struct imsgev	*a;
	int		 sv[2], fds;

	fds = count_fds();
	pair(sv);
	memset(&rx, 0, sizeof(rx));
	rx.base = event_base_new();
	rx.want = n;
	rx.sizes = sizes;
	a = imsgev_new(rx.base, sv[0], h_none, NULL, NULL);
	rx.iev = imsgev_new(rx.base, sv[1], h_seq, c_count, &rx);
	assert_non_null(a);
	assert_non_null(rx.iev);
	send_seq(a, n, sizes);
	timeout(rx.base, 20);
	event_base_dispatch(rx.base);
	assert_int_equal(rx.got, n);
	assert_int_equal(rx.closed, 0);
	imsgev_free(a);
	imsgev_free(rx.iev);
	event_base_free(rx.base);
	assert_int_equal(count_fds(), fds);
}

/* Both directions at once, large and small messages mixed. */
static void
test_burst(void **state)
{
	struct event_base	*base;
	struct rx		 ra, rb;
	time_t			 start;
	int			 sv[2];

	pair(sv);
	base = event_base_new();
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.base = rb.base = base;
	ra.want = rb.want = BURST;
	ra.iev = imsgev_new(base, sv[0], h_seq, c_count, &ra);
	rb.iev = imsgev_new(base, sv[1], h_seq, c_count, &rb);
	assert_non_null(ra.iev);
	assert_non_null(rb.iev);
	send_seq(ra.iev, BURST, NULL);
	send_seq(rb.iev, BURST, NULL);
	/* Each side ends the loop when it is done: run until both are. */
	start = time(NULL);
	while ((ra.got < BURST || rb.got < BURST) &&
	    time(NULL) - start < 60)
		(void)event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(ra.got, BURST);
	assert_int_equal(rb.got, BURST);
	imsgev_free(ra.iev);
	imsgev_free(rb.iev);
	event_base_free(base);
}

struct fdrx {
	struct event_base	*base;
	size_t			 got;
};

static int
has_fd(size_t i)
{
	return i % 3 == 0 || i % 10 == 1;
}

static size_t
fd_size(size_t i)
{
	if (i % 7 == 0)
		return 60000;
	return 4 + i % 50;
}

static void
h_fd(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct fdrx	*rx = arg;
	char		 want[32], got[32];
	ssize_t		 n;
	uint32_t	 idx;

	assert_int_equal(imsg->hdr.type, 7);
	assert_int_equal(imsg->hdr.peerid, rx->got);
	assert_int_equal(imsg->datalen, fd_size(rx->got));
	memcpy(&idx, imsg->data, sizeof(idx));
	assert_int_equal(idx, rx->got);
	if (has_fd(rx->got)) {
		assert_true(imsg->fd >= 0);
		assert_int_equal(fcntl(imsg->fd, F_GETFD), FD_CLOEXEC);
		(void)snprintf(want, sizeof(want), "pipe %zu", rx->got);
		memset(got, 0, sizeof(got));
		n = read(imsg->fd, got, sizeof(got) - 1);
		assert_int_equal(n, strlen(want));
		assert_string_equal(got, want);
		close(imsg->fd);
	} else
		assert_int_equal(imsg->fd, -1);
	if (++rx->got == NFDMSG)
		event_base_loopexit(rx->base, NULL);
}

/* Descriptors land on the right message, with mixed sizes. */
static void
test_fd_passing(void **state)
{
	struct event_base	*base;
	struct fdrx		 rx;
	struct imsgev		*a, *b;
	unsigned char		*buf;
	char			 msg[32];
	size_t			 i;
	uint32_t		 idx;
	int			 sv[2], p[2], fd, fds;

	fds = count_fds();
	pair(sv);
	base = event_base_new();
	memset(&rx, 0, sizeof(rx));
	rx.base = base;
	a = imsgev_new(base, sv[0], h_none, NULL, NULL);
	b = imsgev_new(base, sv[1], h_fd, NULL, &rx);
	assert_non_null(a);
	assert_non_null(b);
	buf = calloc(1, 60000);
	assert_non_null(buf);
	for (i = 0; i < NFDMSG; i++) {
		idx = (uint32_t)i;
		memcpy(buf, &idx, sizeof(idx));
		fd = -1;
		if (has_fd(i)) {
			assert_int_equal(pipe(p), 0);
			(void)snprintf(msg, sizeof(msg), "pipe %zu", i);
			assert_int_equal(write(p[1], msg, strlen(msg)),
			    strlen(msg));
			close(p[1]);
			fd = p[0];
		}
		assert_int_equal(imsgev_compose(a, 7, i, fd, buf,
		    fd_size(i)), 0);
	}
	free(buf);
	timeout(base, 20);
	event_base_dispatch(base);
	assert_int_equal(rx.got, NFDMSG);
	imsgev_free(a);
	imsgev_free(b);
	event_base_free(base);
	/* Every passed descriptor was closed on both sides. */
	assert_int_equal(count_fds(), fds);
}

/* Peer flushes, frees; the receiver gets everything, then closed. */
static void
test_peer_close(void **state)
{
	struct rx	 rx;
	struct imsgev	*a;
	int		 sv[2], p[2];

	pair(sv);
	memset(&rx, 0, sizeof(rx));
	rx.base = event_base_new();
	rx.want = 1000;		/* never reached: closed ends the loop */
	a = imsgev_new(rx.base, sv[0], h_none, NULL, NULL);
	rx.iev = imsgev_new(rx.base, sv[1], h_seq, c_count, &rx);
	send_seq(a, 5, NULL);
	assert_int_equal(imsgev_flush(a), 0);
	imsgev_free(a);
	timeout(rx.base, 20);
	event_base_dispatch(rx.base);
	assert_int_equal(rx.closed, 1);
	assert_int_equal(rx.got_at_close, 5);

	/* A dead channel refuses messages and closes the fd given. */
	assert_int_equal(pipe(p), 0);
	errno = 0;
	assert_int_equal(imsgev_compose(rx.iev, 1, 0, p[0], NULL, 0), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	close(p[1]);
	imsgev_free(rx.iev);
	event_base_free(rx.base);
}

/*
 * The peer sends a last message and exits while we still have output:
 * the write fails, but the last message is delivered before closed.
 */
static void
test_last_words(void **state)
{
	static const size_t last_sizes[] = { 3 };
	struct rx	 rx;
	unsigned char	 buf[16];
	int		 sv[2], p[2], fds;

	fds = count_fds();
	pair(sv);
	memset(&rx, 0, sizeof(rx));
	rx.base = event_base_new();
	rx.want = 1000;
	rx.sizes = last_sizes;
	rx.iev = imsgev_new(rx.base, sv[0], h_seq, c_count, &rx);
	assert_non_null(rx.iev);
	send_seq(rx.iev, 50, NULL);
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	assert_int_equal(imsgev_compose(rx.iev, 1, 0, p[0], NULL, 0), 0);

	fill(buf, last_sizes[0], 0);
	assert_int_equal(imsg_write_one(sv[1], 1000, 0, -1, buf,
	    last_sizes[0]), 0);
	close(sv[1]);

	timeout(rx.base, 20);
	event_base_dispatch(rx.base);
	assert_int_equal(rx.closed, 1);
	assert_int_equal(rx.got_at_close, 1);
	imsgev_free(rx.iev);
	event_base_free(rx.base);
	assert_int_equal(count_fds(), fds);
}

/* Unsent messages are dropped by imsgev_free: the peer sees EOF. */
static void
test_free_unsent(void **state)
{
	struct rx	 rx;
	struct imsgev	*a;
	int		 sv[2], p[2], fds;

	fds = count_fds();
	pair(sv);
	memset(&rx, 0, sizeof(rx));
	rx.base = event_base_new();
	rx.want = 1000;
	a = imsgev_new(rx.base, sv[0], h_none, NULL, NULL);
	rx.iev = imsgev_new(rx.base, sv[1], h_seq, c_count, &rx);
	send_seq(a, 5, NULL);
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	assert_int_equal(imsgev_compose(a, 1, 0, p[0], NULL, 0), 0);
	imsgev_free(a);
	timeout(rx.base, 20);
	event_base_dispatch(rx.base);
	assert_int_equal(rx.closed, 1);
	assert_int_equal(rx.got_at_close, 0);
	imsgev_free(rx.iev);
	event_base_free(rx.base);
	assert_int_equal(count_fds(), fds);
}

/* imsgev_free from inside the handler: no further calls, no leak. */
static void
test_free_in_handler(void **state)
{
	struct rx	 rx;
	struct imsgev	*a;
	int		 sv[2], fds;

	fds = count_fds();
	pair(sv);
	memset(&rx, 0, sizeof(rx));
	rx.base = event_base_new();
	rx.want = 1000;
	rx.free_in_handler = 1;
	a = imsgev_new(rx.base, sv[0], h_none, NULL, NULL);
	rx.iev = imsgev_new(rx.base, sv[1], h_seq, c_count, &rx);
	send_seq(a, 10, NULL);
	assert_int_equal(imsgev_flush(a), 0);
	timeout(rx.base, 1);
	event_base_dispatch(rx.base);
	assert_int_equal(rx.got, 1);
	assert_int_equal(rx.closed, 0);
	assert_null(rx.iev);
	imsgev_free(a);
	event_base_free(rx.base);
	assert_int_equal(count_fds(), fds);
}

static void
test_compose_errors(void **state)
{
	struct event_base	*base;
	struct imsgev		*a;
	unsigned char		*big;
	int			 sv[2], p[2];

	pair(sv);
	base = event_base_new();
	a = imsgev_new(base, sv[0], h_none, NULL, NULL);
	assert_non_null(a);
	big = calloc(1, IMSG_MAX_PAYLOAD + 1);
	assert_non_null(big);

	assert_int_equal(pipe(p), 0);
	errno = 0;
	assert_int_equal(imsgev_compose(a, 1, 0, p[0], big,
	    IMSG_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);	/* closed */

	errno = 0;
	assert_int_equal(imsgev_compose(a, IMSG_FLAG_FD | 1, 0, -1, NULL,
	    0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(imsgev_compose(a, 1, 0, p[1], NULL, 5), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fcntl(p[1], F_GETFD), -1);	/* closed */

	assert_null(imsgev_new(base, sv[1], NULL, NULL, NULL));
	assert_null(imsgev_new(NULL, sv[1], h_none, NULL, NULL));
	close(sv[1]);

	free(big);
	imsgev_free(a);
	event_base_free(base);
}

static void
test_blocking(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, IMSG_MAX_PAYLOAD };
	struct imsg	 m;
	unsigned char	*buf;
	char		 c;
	size_t		 i;
	int		 sv[2], p[2];
	pid_t		 pid;
	int		 status;

	pair(sv);
	buf = malloc(IMSG_MAX_PAYLOAD);
	assert_non_null(buf);

	/* Large messages need a concurrent reader. */
	if ((pid = fork()) == 0) {
		close(sv[1]);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			fill(buf, sizes[i], (uint32_t)i);
			if (imsg_write_one(sv[0], 50 + i, i, -1, buf,
			    sizes[i]) != 0)
				_exit(1);
		}
		if (pipe(p) == -1 || write(p[1], "x", 1) != 1)
			_exit(2);
		if (imsg_write_one(sv[0], 60, 0, p[0], "fd", 2) != 0)
			_exit(3);
		/* passfd still belongs to the caller. */
		if (fcntl(p[0], F_GETFD) == -1)
			_exit(4);
		_exit(0);
	}
	assert_true(pid > 0);
	close(sv[0]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(imsg_read_one(sv[1], &m), 1);
		assert_int_equal(m.hdr.type, 50 + i);
		assert_int_equal(m.hdr.peerid, i);
		assert_int_equal(m.hdr.pid, pid);
		assert_int_equal(m.datalen, sizes[i]);
		assert_int_equal(m.fd, -1);
		if (sizes[i] == 0)
			assert_null(m.data);
		else
			assert_true(check(m.data, sizes[i], (uint32_t)i));
		free(m.data);
	}
	assert_int_equal(imsg_read_one(sv[1], &m), 1);
	assert_int_equal(m.hdr.type, 60);
	assert_int_equal(m.datalen, 2);
	assert_memory_equal(m.data, "fd", 2);
	assert_true(m.fd >= 0);
	assert_int_equal(read(m.fd, &c, 1), 1);
	assert_int_equal(c, 'x');
	close(m.fd);
	free(m.data);
	assert_int_equal(imsg_read_one(sv[1], &m), 0);	/* EOF */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(sv[1]);

	/* Argument checks. */
	pair(sv);
	errno = 0;
	assert_int_equal(imsg_write_one(sv[0], 1, 0, -1, buf,
	    IMSG_MAX_PAYLOAD + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(imsg_write_one(sv[0], IMSG_FLAG_FD, 0, -1, NULL, 0),
	    -1);
	assert_int_equal(errno, EINVAL);
	close(sv[1]);
	errno = 0;
	assert_int_equal(imsg_write_one(sv[0], 1, 0, -1, NULL, 0), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	free(buf);
}

/* Raw bytes (and descriptors) on a stream, for malformed input. */
static void
raw_send(int s, const void *buf, size_t len, int nfd, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cmsgbuf;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	int		 fds[2] = { fd, fd };

	memset(&mh, 0, sizeof(mh));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfd > 0) {
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), fds, nfd * sizeof(int));
	}
	assert_int_equal(sendmsg(s, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static struct event_base	*imsgev_base_for_test;

enum bad {
	BAD_NONE,	/* a valid message: control case */
	BAD_SHORT,	/* len < header */
	BAD_LONG,	/* len > header + max payload */
	BAD_NOFD,	/* flagged, no descriptor */
	BAD_STRAYFD,	/* descriptor, not flagged */
	BAD_TWOFD,	/* two descriptors */
	BAD_TRUNC,	/* header promises more than comes before EOF */
};

static void
send_bad(int s, enum bad what)
{
	struct imsg_hdr	 hdr;
	unsigned char	 buf[IMSG_HEADER_SIZE + 8];
	int		 p[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(buf, 0, sizeof(buf));
	hdr.type = 5;
	hdr.len = IMSG_HEADER_SIZE + 8;
	hdr.pid = (uint32_t)getpid();
	assert_int_equal(pipe(p), 0);
	switch (what) {
	case BAD_NONE:
		break;
	case BAD_SHORT:
		hdr.len = IMSG_HEADER_SIZE - 1;
		break;
	case BAD_LONG:
		hdr.len = IMSG_HEADER_SIZE + IMSG_MAX_PAYLOAD + 1;
		break;
	case BAD_NOFD:
		hdr.type |= IMSG_FLAG_FD;
		break;
	case BAD_STRAYFD:
		break;
	case BAD_TWOFD:
		hdr.type |= IMSG_FLAG_FD;
		break;
	case BAD_TRUNC:
		hdr.len = IMSG_HEADER_SIZE + 100;
		break;
	}
	memcpy(buf, &hdr, sizeof(hdr));
	raw_send(s, buf, sizeof(buf),
	    what == BAD_TWOFD ? 2 : what == BAD_STRAYFD ? 1 : 0, p[0]);
	close(p[0]);
	close(p[1]);
}

/*
 * A stray descriptor is only noticed once the read's complete messages
 * have been handled, so the handler does not exit: it ends the loop and
 * the check after it gets its chance.
 */
static void
h_bad(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	*got = arg;

	if (imsg->hdr.type != 5 || imsg->datalen != 8 || imsg->fd != -1)
		_exit(3);
	(*got)++;
	event_base_loopexit(imsgev_base_for_test, NULL);
}

/* A child runs an imsgev channel; the parent feeds it one input. */
static int
run_bad_child(enum bad what)
{
	struct imsgev		*iev;
	int			 sv[2], status, devnull, got = 0;
	pid_t			 pid;

	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if ((devnull = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(devnull, STDERR_FILENO);
		imsgev_base_for_test = event_base_new();
		iev = imsgev_new(imsgev_base_for_test, sv[1], h_bad, NULL,
		    &got);
		if (iev == NULL)
			_exit(4);
		event_base_dispatch(imsgev_base_for_test);
		_exit(got == 1 ? 0 : 5);
	}
	assert_true(pid > 0);
	close(sv[1]);
	send_bad(sv[0], what);
	if (what == BAD_TRUNC)
		close(sv[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (what != BAD_TRUNC)
		close(sv[0]);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_malformed_fatal(void **state)
{
	assert_int_equal(run_bad_child(BAD_NONE), 0);
	assert_int_equal(run_bad_child(BAD_SHORT), 1);
	assert_int_equal(run_bad_child(BAD_LONG), 1);
	assert_int_equal(run_bad_child(BAD_NOFD), 1);
	assert_int_equal(run_bad_child(BAD_STRAYFD), 1);
	assert_int_equal(run_bad_child(BAD_TWOFD), 1);
	/* Truncated: the channel just closes (closed cb NULL): loop ends. */
	assert_int_equal(run_bad_child(BAD_TRUNC), 5);
}

static void
test_malformed_blocking(void **state)
{
	static const enum bad bads[] = {
		BAD_SHORT, BAD_LONG, BAD_NOFD, BAD_STRAYFD, BAD_TWOFD,
		BAD_TRUNC
	};
	struct imsg	 m;
	size_t		 i;
	int		 sv[2], fds;

	fds = count_fds();
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		pair(sv);
		send_bad(sv[0], bads[i]);
		close(sv[0]);
		errno = 0;
		assert_int_equal(imsg_read_one(sv[1], &m), -1);
		assert_int_equal(errno, EBADMSG);
		assert_int_equal(m.fd, -1);
		assert_null(m.data);
		close(sv[1]);
	}
	assert_int_equal(count_fds(), fds);
}

struct interop {
	struct event_base	*base;
	int			 got;
};

static void
h_interop(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct interop	*io = arg;
	char		 c;

	assert_int_equal(imsg->hdr.type, 77);
	assert_int_equal(imsg->datalen, 3);
	assert_memory_equal(imsg->data, "abc", 3);
	assert_true(imsg->fd >= 0);
	assert_int_equal(read(imsg->fd, &c, 1), 1);
	assert_int_equal(c, 'z');
	close(imsg->fd);
	io->got++;
	event_base_loopexit(io->base, NULL);
}

/* imsg_write_one -> imsgev, and imsgev -> imsg_read_one. */
static void
test_interop(void **state)
{
	struct interop	 io;
	struct imsgev	*b;
	struct imsg	 m;
	char		 c;
	int		 sv[2], p[2];

	pair(sv);
	memset(&io, 0, sizeof(io));
	io.base = event_base_new();
	b = imsgev_new(io.base, sv[1], h_interop, NULL, &io);
	assert_non_null(b);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(imsg_write_one(sv[0], 77, 1, p[0], "abc", 3), 0);
	close(p[0]);
	timeout(io.base, 20);
	event_base_dispatch(io.base);
	assert_int_equal(io.got, 1);

	close(p[1]);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "w", 1), 1);
	assert_int_equal(imsgev_compose(b, 78, 9, p[0], "hello", 5), 0);
	assert_int_equal(imsgev_flush(b), 0);
	assert_int_equal(imsg_read_one(sv[0], &m), 1);
	assert_int_equal(m.hdr.type, 78);
	assert_int_equal(m.hdr.peerid, 9);
	assert_int_equal(m.datalen, 5);
	assert_memory_equal(m.data, "hello", 5);
	assert_int_equal(read(m.fd, &c, 1), 1);
	assert_int_equal(c, 'w');
	close(m.fd);
	close(p[1]);
	free(m.data);

	imsgev_free(b);
	close(sv[0]);
	event_base_free(io.base);
}

/* imsgev_flush with more queued than the socket buffer holds. */
static void
test_flush_large(void **state)
{
	struct event_base	*base;
	struct imsgev		*a;
	struct imsg		 m;
	unsigned char		*buf;
	size_t			 i;
	int			 sv[2], status;
	pid_t			 pid;

	pair(sv);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		for (i = 0; i < 64; i++) {
			if (imsg_read_one(sv[1], &m) != 1 ||
			    m.hdr.type != 1000 + i ||
			    m.datalen != IMSG_MAX_PAYLOAD ||
			    !check(m.data, m.datalen, (uint32_t)i))
				_exit(1);
			free(m.data);
		}
		_exit(imsg_read_one(sv[1], &m) == 0 ? 0 : 2);
	}
	assert_true(pid > 0);
	close(sv[1]);
	base = event_base_new();
	a = imsgev_new(base, sv[0], h_none, NULL, NULL);
	buf = malloc(IMSG_MAX_PAYLOAD);
	assert_non_null(buf);
	for (i = 0; i < 64; i++) {
		fill(buf, IMSG_MAX_PAYLOAD, (uint32_t)i);
		assert_int_equal(imsgev_compose(a, 1000 + i, i, -1, buf,
		    IMSG_MAX_PAYLOAD), 0);
	}
	free(buf);
	assert_int_equal(imsgev_flush(a), 0);
	imsgev_free(a);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	event_base_free(base);
}

static void
test_ipc(void **state)
{
	struct imsg	 m;
	char		 s[4] = { 'a', 'b', 'c', 'd' };
	uint64_t	 v = 42;
	int		 status;
	pid_t		 pid;

	assert_int_equal(ipc_check_str(s, sizeof(s)), 0);
	s[3] = '\0';
	assert_int_equal(ipc_check_str(s, sizeof(s)), 1);
	s[0] = '\0';
	assert_int_equal(ipc_check_str(s, 1), 1);
	assert_int_equal(ipc_check_str(s, 0), 0);

	memset(&m, 0, sizeof(m));
	m.data = &v;
	m.datalen = sizeof(v);
	assert_ptr_equal(ipc_payload(&m, sizeof(v)), &v);

	if ((pid = fork()) == 0) {
		(void)freopen("/dev/null", "w", stderr);
		(void)ipc_payload(&m, sizeof(v) + 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_peer_close),
		cmocka_unit_test(test_last_words),
		cmocka_unit_test(test_free_unsent),
		cmocka_unit_test(test_free_in_handler),
		cmocka_unit_test(test_compose_errors),
		cmocka_unit_test(test_blocking),
		cmocka_unit_test(test_malformed_fatal),
		cmocka_unit_test(test_malformed_blocking),
		cmocka_unit_test(test_interop),
		cmocka_unit_test(test_flush_large),
		cmocka_unit_test(test_ipc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
