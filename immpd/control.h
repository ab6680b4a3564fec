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
 * The control socket in the network process (immpctl(8) CONTROL
 * PROTOCOL).  Clients are untrusted input: a bad request drops that
 * client, never the process (OpenSMTPD's CVE-2025-62875 was a control
 * client crashing the daemon).
 *
 * Request: one line of at most CTL_LINE_MAX octets before its LF,
 * printable ASCII only, words separated by single spaces.  Answer: zero
 * or more lines "+ " text LF, then "." LF (done) or "! " reason LF
 * (failed).  One request at a time per client; a client may send the
 * next one after the end of the previous answer.
 */
#ifndef IMMPD_CONTROL_H
#define IMMPD_CONTROL_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct imsg;

#define CTL_LINE_MAX		512	/* request octets before LF */
#define CTL_MAX_CLIENTS		8	/* connections at once */
#define CTL_IDLE_TIMEOUT	120	/* seconds without a request */
#define CTL_OUT_MAX		(64 * 1024 * 1024)	/* unread answer */

/*
 * control_init: starts accepting on the control socket (IPC_FD_CONTROL,
 * ipc.h) in base.  Peers are checked with getpeereid(3): uid 0 is
 * accepted, and with unpriv also the uid the process runs as (immpd -u).
 * Fatal if the descriptor is not a socket.
 */
void	 control_init(struct event_base *base, int unpriv);

/*
 * control_imsg: an IMSG_CTL_LINE or IMSG_CTL_END from the queue, lookup
 * or parent (from names the channel for errors).  Malformed messages are
 * fatal (trusted peers); answers for a client that has gone are dropped.
 */
void	 control_imsg(struct imsg *imsg, const char *from);

/* control_connection: counts one accepted IMMP connection (show stats). */
void	 control_connection(void);

/*
 * control_shutdown: closes every control client (process exit).
 */
void	 control_shutdown(void);

/*
 * net_accept_pause (network.c): on != 0 stops accepting new IMMP
 * connections ("immpctl pause accept"), 0 accepts again.  Sessions in
 * progress are not affected.  net_accept_paused: the current setting.
 */
void	 net_accept_pause(int on);
int	 net_accept_paused(void);

/*
 * conf_snapshot (parent, reload.c): copies the regular file at path
 * (opened O_NOFOLLOW, at most CONF_FILE_MAX octets) into a sealed memory
 * file (memfd, no further writes), so that what the parent parses is
 * exactly what the children get (IPC_FD_CONF at start-up, reloads).
 * Returns its descriptor (close-on-exec, owned by the caller), or -1
 * with errno (EFBIG: too large, EINVAL: not a regular file, or open's).
 */
int	 conf_snapshot(const char *path);

/*
 * conf_reload_all (parent, reload.c; immpd.conf(5) RELOAD): reads path
 * into a sealed memory file and parses it.  On any error (logged) conf
 * stays as it is.  Otherwise conf takes what may change (conf_reload),
 * the settings that need a restart are logged, and each non-NULL
 * channel in to[0..nto) gets IMSG_CTL_RELOAD_CONF with a descriptor of
 * the same octets.  One line for immpctl goes into msg (size octets).
 * Returns 0, or -1 if the file was refused.
 */
struct immpd_conf;
struct imsgev;
int	 conf_reload_all(const char *path, struct immpd_conf *conf,
	    struct imsgev *const *to, size_t nto, char *msg, size_t size);

#endif
