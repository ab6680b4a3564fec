/*
 * Routing for relay (route.h): static routes, DNS SRV, the domain name
 * itself; asynchronous resolution with c-ares driven by libevent.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <event2/event.h>
#include <sodium.h>

#include "conf.h"
#include "imid.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "log.h"
#include "route.h"

#define ROUTE_SOCKS	16	/* resolver sockets watched at once */

struct rquery {
	struct ipc_route_result	 res;
	route_cb		 cb;
	void			*arg;
	struct route_srv	 srv[ROUTE_SRV_MAX];
	size_t			 nsrv;
	size_t			 cur;	/* SRV target being resolved */
	int			 fallback;	/* resolving the name itself */
};

static struct {
	struct event_base	*base;
	struct immpd_conf	*conf;
	ares_channel		 ch;
	int			 up;
	struct event		*timer;
	struct {
		int		 fd;
		struct event	*ev;
	} socks[ROUTE_SOCKS];
} rt;

static void	 sock_state(void *, ares_socket_t, int, int);
static void	 sock_ev(int, short, void *);
static void	 timer_ev(int, short, void *);
static void	 rearm(void);
static void	 resolve_name(struct rquery *, const char *, uint16_t);
static void	 addr_done(void *, int, int, struct ares_addrinfo *);
static void	 srv_done(void *, int, int, unsigned char *, int);
static void	 finish(struct rquery *, int);

void
route_srv_order(struct route_srv *srv, size_t n, uint32_t (*rnd)(uint32_t))
{
	struct route_srv	 tmp;
	size_t			 i, j, start, end, k;
	uint64_t		 sum, run, r;

	/* Insertion sort by priority, weight 0 first within a priority. */
	for (i = 1; i < n; i++) {
		tmp = srv[i];
		for (j = i; j > 0 && (srv[j - 1].priority > tmp.priority ||
		    (srv[j - 1].priority == tmp.priority &&
		    srv[j - 1].weight != 0 && tmp.weight == 0)); j--)
			srv[j] = srv[j - 1];
		srv[j] = tmp;
	}
	for (start = 0; start < n; start = end) {
		for (end = start; end < n &&
		    srv[end].priority == srv[start].priority; end++)
			;
		/* Draw srv[k] for position k, RFC 2782. */
		for (k = start; k + 1 < end; k++) {
			sum = 0;
			for (i = k; i < end; i++)
				sum += srv[i].weight;
			r = sum == 0 ? 0 : rnd((uint32_t)sum + 1);
			run = 0;
			for (i = k; i < end; i++) {
				run += srv[i].weight;
				if (run >= r)
					break;
			}
			if (i == end)
				i = end - 1;
			tmp = srv[i];
			memmove(&srv[k + 1], &srv[k], (i - k) * sizeof(*srv));
			srv[k] = tmp;
		}
	}
}

void
route_init(struct event_base *base, struct immpd_conf *conf)
{
	struct ares_options	 o;
	int			 r, i;

	rt.base = base;
	rt.conf = conf;
	for (i = 0; i < ROUTE_SOCKS; i++)
		rt.socks[i].fd = -1;
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
		fatalx("ares_library_init: %s", ares_strerror(r));
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = NULL;
	o.timeout = 3000;
	o.tries = 2;
	if ((r = ares_init_options(&rt.ch, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)) != ARES_SUCCESS)
		fatalx("ares_init_options: %s", ares_strerror(r));
	if ((rt.timer = evtimer_new(base, timer_ev, NULL)) == NULL)
		fatalx("route: evtimer_new");
	rt.up = 1;
}

void
route_shutdown(void)
{
	int	i;

	if (!rt.up)
		return;
	rt.up = 0;
	ares_destroy(rt.ch);
	for (i = 0; i < ROUTE_SOCKS; i++)
		if (rt.socks[i].ev != NULL) {
			event_free(rt.socks[i].ev);
			rt.socks[i].ev = NULL;
		}
	event_free(rt.timer);
	ares_library_cleanup();
}

/* c-ares tells which sockets it wants watched. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	short	 what = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	int	 i, slot = -1;

	for (i = 0; i < ROUTE_SOCKS; i++)
		if (rt.socks[i].fd == fd)
			break;
	if (i == ROUTE_SOCKS) {
		if (what == 0)
			return;
		for (i = 0; i < ROUTE_SOCKS; i++)
			if (rt.socks[i].fd == -1) {
				slot = i;
				break;
			}
		if (slot == -1) {
			log_warnx("route: too many resolver sockets");
			return;
		}
		i = slot;
	} else if (rt.socks[i].ev != NULL) {
		event_free(rt.socks[i].ev);
		rt.socks[i].ev = NULL;
	}
	if (what == 0) {
		rt.socks[i].fd = -1;
		return;
	}
	rt.socks[i].fd = fd;
	if ((rt.socks[i].ev = event_new(rt.base, fd, what | EV_PERSIST,
	    sock_ev, NULL)) == NULL || event_add(rt.socks[i].ev, NULL) == -1)
		fatalx("route: event_new");
}

static void
sock_ev(int fd, short ev, void *arg)
{
	ares_process_fd(rt.ch, (ev & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (ev & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm();
}

static void
timer_ev(int fd, short ev, void *arg)
{
	ares_process_fd(rt.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm();
}

static void
rearm(void)
{
	struct timeval	 tv, *tvp;

	if (!rt.up)
		return;
	if ((tvp = ares_timeout(rt.ch, NULL, &tv)) != NULL)
		evtimer_add(rt.timer, tvp);
	else
		evtimer_del(rt.timer);
}

static void
finish(struct rquery *q, int result)
{
	q->res.result = result;
	if (result != IPC_OK)
		q->res.naddr = 0;
	q->cb(&q->res, q->arg);
	free(q);
}

/* A numeric address: answered without the resolver.  1 if it was. */
static int
numeric(struct rquery *q, const char *host, uint16_t port)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		*out = q->res.addr[0].addr;

	if (inet_pton(AF_INET, host, &a4) == 1)
		(void)inet_ntop(AF_INET, &a4, out, IPC_ADDR_MAX);
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		(void)inet_ntop(AF_INET6, &a6, out, IPC_ADDR_MAX);
	else
		return (0);
	q->res.addr[0].port = port;
	q->res.naddr = 1;
	(void)strlcpy(q->res.host, host, sizeof(q->res.host));
	finish(q, IPC_OK);
	return (1);
}

void
route_request(const struct ipc_route_req *req, route_cb cb, void *arg)
{
	struct conf_route	*r;
	struct rquery		*q;
	char			 name[IPC_DOMAIN_MAX + 16];

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("route");
	q->cb = cb;
	q->arg = arg;
	q->res.reqid = req->reqid;
	(void)strlcpy(q->res.domain, req->domain, sizeof(q->res.domain));
	if (!imid_domain_valid(req->domain) ||
	    conf_is_local(rt.conf, req->domain)) {
		finish(q, IPC_FAIL);
		return;
	}
	if ((r = conf_route(rt.conf, req->domain)) != NULL) {
		q->res.tls_verify = r->tls_verify;
		if (numeric(q, r->host, r->port))
			return;
		resolve_name(q, r->host, r->port);
		return;
	}
	(void)snprintf(name, sizeof(name), "_immp._tcp.%s", req->domain);
	ares_query(rt.ch, name, ns_c_in, ns_t_srv, srv_done, q);
	rearm();
}

static void
resolve_name(struct rquery *q, const char *host, uint16_t port)
{
	struct ares_addrinfo_hints	 hints;
	char				 service[8];

	(void)strlcpy(q->res.host, host, sizeof(q->res.host));
	(void)snprintf(service, sizeof(service), "%u", (unsigned int)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV;
	ares_getaddrinfo(rt.ch, host, service, &hints, addr_done, q);
	rearm();
}

static void
addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct rquery			*q = arg;
	struct ares_addrinfo_node	*n;
	struct ipc_route_addr		*a;
	const void			*src;
	uint16_t			 port;

	if (status == ARES_EDESTRUCTION) {
		free(q);
		return;
	}
	if (status == ARES_SUCCESS && ai != NULL) {
		for (n = ai->nodes; n != NULL &&
		    q->res.naddr < IPC_ROUTE_ADDRS; n = n->ai_next) {
			a = &q->res.addr[q->res.naddr];
			if (n->ai_family == AF_INET) {
				src = &((struct sockaddr_in *)
				    (void *)n->ai_addr)->sin_addr;
				port = ntohs(((struct sockaddr_in *)
				    (void *)n->ai_addr)->sin_port);
			} else if (n->ai_family == AF_INET6) {
				src = &((struct sockaddr_in6 *)
				    (void *)n->ai_addr)->sin6_addr;
				port = ntohs(((struct sockaddr_in6 *)
				    (void *)n->ai_addr)->sin6_port);
			} else
				continue;
			if (inet_ntop(n->ai_family, src, a->addr,
			    sizeof(a->addr)) == NULL)
				continue;
			a->port = port;
			q->res.naddr++;
		}
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (q->res.naddr > 0) {
		finish(q, IPC_OK);
		return;
	}
	/* The next SRV target, if any. */
	if (q->nsrv > 0 && ++q->cur < q->nsrv) {
		resolve_name(q, q->srv[q->cur].target, q->srv[q->cur].port);
		return;
	}
	log_info("route domain=%s: no address for %s: %s", q->res.domain,
	    q->res.host, ares_strerror(status));
	finish(q, status == ARES_ENOTFOUND && q->fallback ? IPC_FAIL :
	    IPC_TEMPFAIL);
}

static uint32_t
rnd(uint32_t upper)
{
	return (randombytes_uniform(upper));
}

static void
srv_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rquery		*q = arg;
	struct ares_srv_reply	*srv = NULL, *s;

	if (status == ARES_EDESTRUCTION) {
		free(q);
		return;
	}
	if (status == ARES_SUCCESS &&
	    ares_parse_srv_reply(abuf, alen, &srv) == ARES_SUCCESS) {
		for (s = srv; s != NULL && q->nsrv < ROUTE_SRV_MAX;
		    s = s->next) {
			if (strlen(s->host) >= IPC_HOST_MAX)
				continue;
			q->srv[q->nsrv].priority = s->priority;
			q->srv[q->nsrv].weight = s->weight;
			q->srv[q->nsrv].port = s->port;
			(void)strlcpy(q->srv[q->nsrv].target, s->host,
			    IPC_HOST_MAX);
			q->nsrv++;
		}
		ares_free_data(srv);
	}
	if (q->nsrv == 1 && (q->srv[0].target[0] == '\0' ||
	    strcmp(q->srv[0].target, ".") == 0)) {
		log_info("route domain=%s: SRV says no IMMP service",
		    q->res.domain);
		finish(q, IPC_FAIL);
		return;
	}
	if (q->nsrv > 0) {
		route_srv_order(q->srv, q->nsrv, rnd);
		q->cur = 0;
		resolve_name(q, q->srv[0].target, q->srv[0].port);
		return;
	}
	if (status != ARES_SUCCESS && status != ARES_ENOTFOUND &&
	    status != ARES_ENODATA) {
		log_info("route domain=%s: SRV lookup: %s", q->res.domain,
		    ares_strerror(status));
		finish(q, IPC_TEMPFAIL);
		return;
	}
	q->fallback = 1;
	resolve_name(q, q->res.domain, CONF_DEFAULT_PORT);
}
