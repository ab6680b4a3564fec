/*
 * Routing for relay (DESIGN §5, immp(7) RELAY, immpd.conf(5) route):
 * where the IMMP server of a domain is.  In this order: a static
 * "route" line; the DNS SRV records _immp._tcp.<domain> (RFC 2782
 * order: lowest priority first, weighted random within a priority);
 * the domain name itself on port 1025.  Names are resolved with c-ares,
 * asynchronously, on the process's libevent base.
 */
#ifndef IMMP_LOOKUP_ROUTE_H
#define IMMP_LOOKUP_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ipc_relay.h"

struct event_base;

#define ROUTE_SRV_MAX	16	/* SRV records used per domain */

/* One SRV record (RFC 2782). */
struct route_srv {
	uint16_t	priority;
	uint16_t	weight;
	uint16_t	port;
	char		target[IPC_HOST_MAX];
};

/*
 * route_cb: the answer to route_request; res is valid during the call
 * only.  arg as given.
 */
typedef void	(*route_cb)(const struct ipc_route_result *res, void *arg);

/*
 * route_init: sets up the resolver (reads /etc/resolv.conf: call before
 * the sandbox).  conf must outlive the module.  Fatal on error.
 * route_shutdown: cancels every query (their callbacks are not run).
 */
void	 route_init(struct event_base *base, struct immpd_conf *conf);
void	 route_shutdown(void);

/*
 * route_request: finds the addresses of req->domain (valid, lower
 * case) and calls cb once, possibly before returning (static route
 * with a numeric host).  Answers IPC_FAIL for one of our own domains
 * and for an SRV target of "." (no service), IPC_TEMPFAIL when the
 * resolver fails or finds no address.
 */
void	 route_request(const struct ipc_route_req *req, route_cb cb,
	    void *arg);

/*
 * route_srv_order: sorts srv[0..n) into the order to try (RFC 2782):
 * ascending priority; within a priority, the RFC 2782 selection: the
 * weight-0 records first, running sums of the weights, a random number
 * r in 0..sum, and the first record whose running sum is >= r is next;
 * repeated until the priority is used up.  rnd(upper) returns a uniform
 * number in 0..upper-1 (randombytes_uniform in the daemon).
 */
void	 route_srv_order(struct route_srv *srv, size_t n,
	    uint32_t (*rnd)(uint32_t));

#endif
