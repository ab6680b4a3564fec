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

#endif
