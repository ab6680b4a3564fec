/*
 * The relay channel of immp-lookup (dialback.h).  The call-back of
 * AUTH COOKIE itself is made by the network process, which has the
 * outbound TLS client (immp(7) AUTH COOKIE): this process resolves the
 * issuer, keeps the secret, issues cookies and decides AUTH VERIFY.
 * TLS pins are kept by immp-queue (pins.c there): this process may not
 * write files.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "cookie.h"
#include "dialback.h"
#include "imid.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "log.h"
#include "route.h"

static struct {
	struct immpd_conf	*conf;
	struct imsgev		*net;
} db;

static void	 send_net(uint32_t, const void *, size_t);
static void	 route_answer(const struct ipc_route_result *, void *);

void
dialback_init(struct event_base *base, struct immpd_conf *conf,
    struct imsgev *net)
{
	db.conf = conf;
	db.net = net;
	route_init(base, conf);
	cookie_init(conf);
}

void
dialback_shutdown(void)
{
	route_shutdown();
	cookie_shutdown();
}

static void
send_net(uint32_t type, const void *data, size_t len)
{
	if (imsgev_compose(db.net, type, 0, -1, data, len) == -1)
		fatal("imsg to network");
}

static void
route_answer(const struct ipc_route_result *res, void *arg)
{
	log_debug("route domain=%s result=%d naddr=%u", res->domain,
	    res->result, res->naddr);
	send_net(IMSG_RELAY_ROUTE_RESULT, res, sizeof(*res));
}

int
dialback_dispatch(struct imsg *imsg)
{
	struct ipc_route_req		 rq;
	struct ipc_cookie_req		 cq;
	struct ipc_cookie		 ck;
	struct ipc_cookie_result	 cr;

	switch (imsg->hdr.type) {
	case IMSG_RELAY_ROUTE:
		memcpy(&rq, ipc_payload(imsg, sizeof(rq)), sizeof(rq));
		if (!ipc_check_str(rq.domain, sizeof(rq.domain)))
			fatalx("network: bad ROUTE");
		route_request(&rq, route_answer, NULL);
		return (1);
	case IMSG_RELAY_COOKIE_MAKE:
		memcpy(&cq, ipc_payload(imsg, sizeof(cq)), sizeof(cq));
		if (!ipc_check_str(cq.receiver, sizeof(cq.receiver)) ||
		    !ipc_check_str(cq.issuer, sizeof(cq.issuer)) ||
		    !ipc_check_str(cq.nonce, sizeof(cq.nonce)))
			fatalx("network: bad COOKIE_MAKE");
		cookie_make(&cq, &ck);
		send_net(IMSG_RELAY_COOKIE, &ck, sizeof(ck));
		sodium_memzero(&ck, sizeof(ck));
		return (1);
	case IMSG_RELAY_COOKIE_CHECK:
		memcpy(&ck, ipc_payload(imsg, sizeof(ck)), sizeof(ck));
		if (!ipc_check_str(ck.receiver, sizeof(ck.receiver)) ||
		    !ipc_check_str(ck.issuer, sizeof(ck.issuer)) ||
		    !ipc_check_str(ck.nonce, sizeof(ck.nonce)))
			fatalx("network: bad COOKIE_CHECK");
		memset(&cr, 0, sizeof(cr));
		cr.reqid = ck.reqid;
		cr.result = cookie_check(&ck);
		log_info("cookie verify receiver=%s issuer=%s result=%s",
		    imid_domain_valid(ck.receiver) ? ck.receiver : "?",
		    imid_domain_valid(ck.issuer) ? ck.issuer : "?",
		    cr.result == IPC_OK ? "valid" : "invalid");
		send_net(IMSG_RELAY_COOKIE_RESULT, &cr, sizeof(cr));
		return (1);
	default:
		return (0);
	}
}
