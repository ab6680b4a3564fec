/*
 * Copyright (c) 2026 The immpd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * The scheduler (DESIGN §4 steps 4-5): hands each pending recipient of
 * each queued message to deliver (IMSG_MDA_DELIVER), at most
 * max_inflight at a time and never one that is already in flight;
 * retries temporary failures after retry_first, doubling up to
 * retry_max; turns permanent failures and expired messages into a
 * bounce to the (local) sender's INBOX; keeps the envelope on disk up
 * to date and removes the message when every recipient is done.
 */
#ifndef IMMP_QUEUE_SCHEDULER_H
#define IMMP_QUEUE_SCHEDULER_H

#include "conf.h"
#include "ipc.h"
#include "store.h"

struct event_base;
struct imsgev;

#define SCHED_MAX_INFLIGHT	64

/*
 * sched_init: conf and st must outlive the scheduler; deliveries are
 * sent on mda.  max_inflight caps concurrent deliveries (> 0).
 */
void	 sched_init(struct event_base *base, struct immpd_conf *conf,
	    struct store *st, struct imsgev *mda, int max_inflight);

/*
 * sched_add: takes over a committed message (env and env->rcpt are
 * moved in; *env is cleared) and schedules its pending recipients.
 */
void	 sched_add(struct envelope *env);

/*
 * sched_mda_done: a result from deliver for one of our delivery ids;
 * an unknown id is a protocol violation (fatal).
 */
void	 sched_mda_done(const struct ipc_mda_done *done);

/* sched_count: messages in the queue (for logs and tests). */
int	 sched_count(void);

/* immpctl(8) commands, for control.c. */
enum sched_ctl_op {
	SCHED_CTL_SCHEDULE,	/* pending recipients due now */
	SCHED_CTL_REMOVE,	/* drop the message, no bounce */
	SCHED_CTL_HOLD,		/* no delivery until released */
	SCHED_CTL_RELEASE,
};

/*
 * sched_walk: calls cb for every queued message, oldest first, with its
 * envelope (valid during the call) and whether it is held.
 * sched_lookup: the envelope of the message uuid (valid until the next
 * event) and *held, or NULL.
 */
void	 sched_walk(void (*cb)(const struct envelope *env, int held,
	    void *arg), void *arg);
const struct envelope *sched_lookup(const char *uuid, int *held);

/*
 * sched_ctl: applies op to the message uuid, or to every message if
 * uuid is NULL.  Holds are kept in memory only (a restart releases
 * them).  A message with a delivery in flight is not removed; *busy
 * counts those.  Returns the number of messages changed, or -1 if uuid
 * is not queued.
 */
int	 sched_ctl(const char *uuid, enum sched_ctl_op op, int *busy);

/*
 * sched_pause: on != 0 starts no new delivery until called with 0
 * (deliveries in flight finish).  sched_paused: the current setting.
 */
void	 sched_pause(int on);
int	 sched_paused(void);

#endif
