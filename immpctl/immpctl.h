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

/* immpctl(8): commands shared between the command files. */
#ifndef IMMPCTL_H
#define IMMPCTL_H

#include <stddef.h>

struct immpd_conf;

/*
 * usage: prints the synopsis of every command to stderr and exits 1.
 */
void	 usage(void) __attribute__((noreturn));

/*
 * immpctl_conf: parses the configuration file given with -f (or the
 * default) into *conf; on any error the parser's messages have been
 * printed and immpctl exits 1.
 */
void	 immpctl_conf(struct immpd_conf *conf);

/*
 * cmd_user: "user add|passwd|del|list ..." (immpctl(8)); argv[0] is
 * "user".  Returns the exit status (0); errors exit 1 with a message
 * "immpctl: ..." and bad arguments call usage().
 */
int	 cmd_user(int argc, char *argv[]);

/*
 * cmd_key: "key generate|rollover|show ..." (immpctl(8) KEY FILES,
 * draft 6.1); argv[0] is "key".  Returns the exit status: 0, or 1 if
 * "key show" met an unusable key file; other errors exit 1 with a
 * message "immpctl: ..." and bad arguments call usage().
 */
int	 cmd_key(int argc, char *argv[]);

/*
 * cmd_keypin: "key pin show [domain]", "key pin accept domain [fp]",
 * "key pin clear domain" (immpctl(8), the key pins of
 * immp-queue/keypins.h, draft 6.1); argv[0] is "pin".  Returns the exit
 * status: 0, or 1 if the domain has no key pin; other errors exit 1
 * with a message "immpctl: ..." and bad arguments call usage().
 */
int	 cmd_keypin(int argc, char *argv[]);

/*
 * immpctl_socket: the control socket: -s if given, else control-socket
 * of the configuration (immpctl_conf; exits 1 if it cannot be read).
 */
const char	*immpctl_socket(void);

/*
 * ctl_connect: connects to the control socket (immpctl(8) CONTROL
 * PROTOCOL).  0, or -1 with errno (ENOENT or ECONNREFUSED: immpd is
 * not running).  ctl_connect_or_die: the same, exits 1 on failure.
 */
int	 ctl_connect(void);
void	 ctl_connect_or_die(void);

/*
 * ctl_request: sends the request line req (at most 512 octets, no LF)
 * and reads the answer: cb(text, arg) for each "+ " line (may be NULL),
 * then 0 for ".", or 1 for "! reason" with the reason in why (whysz
 * octets).  A broken connection or malformed answer exits 1.
 */
int	 ctl_request(const char *req, void (*cb)(const char *, void *),
	    void *arg, char *why, size_t whysz);

/* ctl_print: a ctl_request callback printing the line to stdout. */
void	 ctl_print(const char *text, void *arg);

/*
 * ctl_simple: sends argv[0..argc) joined by single spaces as one
 * request, prints the answer lines; a refusal exits 1 with the reason.
 * Returns 0.
 */
int	 ctl_simple(int argc, char *argv[]);

/* write_all: writes buf[0..len) to fd, retrying; 0 or -1 with errno. */
int	 write_all(int fd, const void *buf, size_t len);

/*
 * cmd_show: "show queue|stats", "show envelope|message <id>"
 * (immpctl(8)); queue and envelope fall back to reading the queue
 * directory when immpd is not running, message always reads it.
 * Returns the exit status.
 */
int	 cmd_show(int argc, char *argv[]);

/*
 * cmd_ctl: schedule, remove, hold, release, pause, resume, log, reload
 * and update table (immpctl(8)): one request each.  Returns 0; errors
 * exit 1.
 */
int	 cmd_ctl(int argc, char *argv[]);

/*
 * cmd_monitor: "monitor [-c count] [-i seconds]": a row of counters per
 * interval (default 1 s, at most 60), forever or count rows.
 */
int	 cmd_monitor(int argc, char *argv[]);

/*
 * cmd_makemap: "makemap [-t type] file table" (makemap.h,
 * immpd-tables(5)).  Returns 0; errors exit 1 naming file and line.
 */
int	 cmd_makemap(int argc, char *argv[]);

#endif
