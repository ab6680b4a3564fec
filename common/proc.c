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

/* Start-up of the child processes (proc.h). */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "proc.h"

void
proc_init(int argc, char *argv[], const char *progname, const char *name,
    struct proc_opts *o, struct immpd_conf *conf)
{
	int	ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt(argc, argv, "df:uv")) != -1) {
		switch (ch) {
		case 'd':
			o->debug = 1;
			break;
		case 'f':
			o->conffile = optarg;
			break;
		case 'u':
			o->unpriv = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			goto usage;
		}
	}
	if (o->conffile == NULL || optind != argc)
		goto usage;

	log_init(o->debug, LOG_MAIL);
	log_procname(name);
	log_setverbose(o->verbose);
	if (sodium_init() == -1)
		fatalx("cannot initialise libsodium");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGHUP, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (conf_parse_fd(IPC_FD_CONF, o->conffile, conf) == -1)
		fatalx("%s: configuration error", o->conffile);
	(void)close(IPC_FD_CONF);
	return;
 usage:
	fprintf(stderr, "usage: %s -f file [-duv]\n", progname);
	exit(1);
}
