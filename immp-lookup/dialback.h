/*
 * The relay channel of immp-lookup (ipc_relay.h): routes, cookies for
 * AUTH COOKIE and their check for AUTH VERIFY (the call-back of DESIGN
 * §5).
 */
#ifndef IMMP_LOOKUP_DIALBACK_H
#define IMMP_LOOKUP_DIALBACK_H

#include "conf.h"

struct event_base;
struct imsg;
struct imsgev;

/*
 * dialback_init: resolver, domain secret and pin store for conf (which
 * must outlive the module); answers go to net.  Before the sandbox.
 * dialback_shutdown: releases them (secret wiped).
 */
void	 dialback_init(struct event_base *base, struct immpd_conf *conf,
	    struct imsgev *net);
void	 dialback_shutdown(void);

/*
 * dialback_dispatch: handles one imsg of the 600.. range from the
 * network process; 1 if it was one, 0 if the type is not ours.  A
 * malformed payload is fatal (peers are trusted, DESIGN §3).
 */
int	 dialback_dispatch(struct imsg *imsg);

#endif
