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
 * The queue's side of immpctl(8) (ipc_ctl.h): queue listing, schedule,
 * remove, hold and release, pause and resume, statistics, and the
 * configuration reload of immp-queue.
 */
#ifndef IMMP_QUEUE_CONTROL_H
#define IMMP_QUEUE_CONTROL_H

struct imsg;
struct imsgev;
struct immpd_conf;

#define QCTL_FAIL_DOMAINS	64	/* destinations counted in stats */

/*
 * qctl_init: answers go to net (the network channel); conf is the
 * running configuration a reload updates in place (conf_reload).
 */
void	 qctl_init(struct imsgev *net, struct immpd_conf *conf);

/*
 * qctl_request: an IMSG_CTL_REQ from the network process (trusted:
 * a malformed one is fatal).  Answers with IMSG_CTL_LINE* IMSG_CTL_END.
 */
void	 qctl_request(struct imsg *imsg);

/*
 * qctl_reload: an IMSG_CTL_RELOAD_CONF from the parent with the new
 * configuration's descriptor (owned, closed here).  A configuration
 * that does not parse is logged and ignored.
 */
void	 qctl_reload(struct imsg *imsg);

/*
 * Counters for "show stats": a committed message; a delivery result
 * for account ("ok", "tempfail" or "permfail"; failures are also
 * counted per domain of account, for the QCTL_FAIL_DOMAINS domains
 * seen most recently); a bounce queued.
 */
void	 qctl_count_accepted(void);
void	 qctl_count_delivery(const char *account, const char *result);
void	 qctl_count_bounce(void);

/*
 * qctl_relay_paused: 1 after "immpctl pause relay" until "resume relay";
 * the relay scheduler starts no new relay attempt meanwhile.
 */
int	 qctl_relay_paused(void);

#endif
