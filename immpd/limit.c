/*
 * Admission control in the network process (draft 3.10, immp(7)
 * BLOCKING, immpd.conf(5) "limit" and "block"):
 *
 *   - "limit connections N per D": connections per peer address; over
 *     the limit the peer gets "750" and the socket is closed (loopback
 *     peers are exempt from the per-address limits unless "limit
 *     loopback yes");
 *   - "block networks <table>": every other connection is held (not
 *     read, no greeting) until immp-lookup says whether the address is
 *     in the table; a blocked peer gets "405" and is closed;
 *   - "limit messages N per D" and "limit domain-messages N per D":
 *     DELIVER TO per peer address, and per domain authenticated with
 *     AUTH COOKIE (751).
 *
 * The counters are fixed windows in memory; they start empty at every
 * start of the daemon.  Log lines: "event=ratelimit ..." and
 * "event=blocked ...".
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "ipc.h"
#include "ipc_set.h"
#include "log.h"
#include "session.h"
#include "set.h"

#define RL_CAP		65536	/* keys per table */
#define PEND_MAX	256	/* connections waiting for lookup */

/* A connection waiting for the "block networks" answer. */
struct pending {
	uint64_t		 id;
	int			 fd;
	struct listener		*l;
	struct sockaddr_storage	 ss;
	char			 addr[IPC_ADDR_MAX];
};

static struct ratelimit	*rl_conn, *rl_msg, *rl_dom;
static struct pending	 pend[PEND_MAX];
static uint64_t		 pend_next = 1;

static int	 peer_text(const struct sockaddr *, char *, size_t);
static int	 exempt(const char *);
static void	 refuse(struct listener *, int, const char *);
static int64_t	 now_sec(void);

static int64_t
now_sec(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ((int64_t)ts.tv_sec);
}

static int
peer_text(const struct sockaddr *sa, char *buf, size_t size)
{
	socklen_t	 len;

	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(sa, len, buf, size, NULL, 0, NI_NUMERICHOST) != 0) {
		(void)strlcpy(buf, "unknown", size);
		return (-1);
	}
	return (0);
}

/*
 * 1 if the per-address limits do not apply to addr: loopback peers
 * (127.0.0.0/8, ::1, local submission) unless "limit loopback yes".
 */
static int
exempt(const char *addr)
{
	static const uint8_t	 v6lo[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct cidr		 c;
	const char		*err;

	if (env->conf.limit_loopback || cidr_parse(addr, &c, &err) == -1)
		return (0);
	if (c.family == AF_INET)
		return (c.addr[0] == 127);
	return (memcmp(c.addr, v6lo, sizeof(v6lo)) == 0);
}

/* One line in the clear (not on an implicit TLS listener), then close. */
static void
refuse(struct listener *l, int fd, const char *line)
{
	if (!l->conf->implicit_tls)
		(void)send(fd, line, strlen(line), MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	close(fd);
}

void
limit_accept(struct listener *l, int fd, const struct sockaddr *sa)
{
	struct ipc_block_peer	 bp;
	struct pending		*p = NULL;
	char			 addr[IPC_ADDR_MAX];
	size_t			 i;

	(void)peer_text(sa, addr, sizeof(addr));
	if (rl_conn == NULL && (rl_conn = ratelimit_new(RL_CAP)) == NULL)
		fatal("ratelimit");
	if (!exempt(addr) && !ratelimit_hit(rl_conn, addr,
	    env->conf.limit_conn, env->conf.limit_conn_per, now_sec())) {
		log_info("event=ratelimit kind=connections addr=%s limit=%u "
		    "per=%us", addr, env->conf.limit_conn,
		    env->conf.limit_conn_per);
		refuse(l, fd, "750 Too many connections from your address, "
		    "try again later.\r\n");
		return;
	}
	if (env->conf.block_networks[0] == '\0') {
		session_accept(l, fd, sa);
		return;
	}
	for (i = 0; i < PEND_MAX; i++)
		if (pend[i].id == 0) {
			p = &pend[i];
			break;
		}
	if (p == NULL) {
		log_info("session refused addr=%s reason=block-check-backlog",
		    addr);
		refuse(l, fd, "721 Too many sessions.\r\n");
		return;
	}
	p->id = pend_next++;
	p->fd = fd;
	p->l = l;
	memset(&p->ss, 0, sizeof(p->ss));
	memcpy(&p->ss, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	(void)strlcpy(p->addr, addr, sizeof(p->addr));
	memset(&bp, 0, sizeof(bp));
	bp.reqid = p->id;
	(void)strlcpy(bp.addr, addr, sizeof(bp.addr));
	net_compose(env->lookup, IMSG_BLOCK_PEER, &bp, sizeof(bp));
}

void
limit_peer_result(const struct ipc_block_result *r)
{
	struct pending	*p = NULL, c;
	size_t		 i;

	for (i = 0; i < PEND_MAX; i++)
		if (pend[i].id != 0 && pend[i].id == r->reqid) {
			p = &pend[i];
			break;
		}
	if (p == NULL)
		fatalx("lookup: block answer for no connection");
	c = *p;
	memset(p, 0, sizeof(*p));
	if (r->result == IPC_FAIL) {
		/* immp-lookup logged event=blocked with the table. */
		refuse(c.l, c.fd, "405 Connections from your address are "
		    "refused.\r\n");
		return;
	}
	if (r->result != IPC_OK) {
		log_info("session refused addr=%s reason=block-check-failed",
		    c.addr);
		refuse(c.l, c.fd, "700 Internal error, try again later.\r\n");
		return;
	}
	session_accept(c.l, c.fd, (struct sockaddr *)&c.ss);
}

int
limit_message(struct session *s)
{
	int64_t		 now = now_sec();

	if (rl_msg == NULL && (rl_msg = ratelimit_new(RL_CAP)) == NULL)
		fatal("ratelimit");
	if (rl_dom == NULL && (rl_dom = ratelimit_new(RL_CAP)) == NULL)
		fatal("ratelimit");
	if (s->state == STATE_REMOTE && !ratelimit_hit(rl_dom, s->remote,
	    env->conf.limit_dom_msgs, env->conf.limit_dom_msgs_per, now)) {
		log_info("event=ratelimit kind=domain-messages id=%016" PRIx64
		    " addr=%s domain=%s limit=%u per=%us", s->id, s->addr,
		    s->remote, env->conf.limit_dom_msgs,
		    env->conf.limit_dom_msgs_per);
		return (-1);
	}
	if (!exempt(s->addr) && !ratelimit_hit(rl_msg, s->addr,
	    env->conf.limit_msgs, env->conf.limit_msgs_per, now)) {
		log_info("event=ratelimit kind=messages id=%016" PRIx64
		    " addr=%s limit=%u per=%us", s->id, s->addr,
		    env->conf.limit_msgs, env->conf.limit_msgs_per);
		return (-1);
	}
	return (0);
}
