/*
 * Relay in the queue (DESIGN §4 step 4): recipients in other domains
 * are handed to the network process grouped by message and destination
 * domain (IMSG_RELAY_RCPT..., IMSG_RELAY_MSG with the spool file), and
 * its per-recipient results come back as if from deliver.
 */
#ifndef IMMP_QUEUE_RELAY_H
#define IMMP_QUEUE_RELAY_H

#include <stdint.h>

#include "conf.h"
#include "store.h"

struct event_base;
struct imsg;
struct imsgev;

/*
 * relay_init: conf must outlive the module; jobs go out on net.
 * chrooted: the process is chrooted into the queue directory (the pin
 * store path is then taken relative to it).
 */
void	 relay_init(struct event_base *base, struct immpd_conf *conf,
	    struct imsgev *net, int chrooted);

/* relay_remote: 1 if account's domain is not one of ours, else 0. */
int	 relay_remote(struct immpd_conf *conf, const char *account);

/*
 * relay_add: delivery id of recipient i of env goes to the network
 * process; fd is a read-only descriptor of the spool file (owned from
 * here).  Recipients of one message and domain added in the same event
 * loop turn are sent as one job.
 */
void	 relay_add(uint64_t id, const struct envelope *env, int i, int fd);

/*
 * relay_result: IMSG_RELAY_RESULT from the network process, turned
 * into a delivery result for the scheduler (sched_mda_done).  Malformed
 * payloads are fatal.
 */
void	 relay_result(struct imsg *imsg);

/*
 * relay_pin_check: IMSG_RELAY_PIN_CHECK from the network process,
 * answered with IMSG_RELAY_PIN_RESULT (pins.h, draft 3.5).
 */
void	 relay_pin_check(struct imsg *imsg);

#endif
