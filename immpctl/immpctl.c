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

/* immpctl(8): the administrator's tool.  Command dispatch. */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "log.h"
#include "immpctl.h"
#include "pins.h"

static const char	*conffile = SYSCONFDIR "/immpd.conf";
static const char	*sockfile;	/* -s */

static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
} cmds[] = {
	{ "user",	cmd_user },
	{ "key",	cmd_key },
	{ "show",	cmd_show },
	{ "schedule",	cmd_ctl },
	{ "remove",	cmd_ctl },
	{ "hold",	cmd_ctl },
	{ "release",	cmd_ctl },
	{ "pause",	cmd_ctl },
	{ "resume",	cmd_ctl },
	{ "log",	cmd_ctl },
	{ "reload",	cmd_ctl },
	{ "update",	cmd_ctl },
	{ "monitor",	cmd_monitor },
	{ "makemap",	cmd_makemap },
	{ "pin",	cmd_pins },
	{ "secret",	cmd_secret },
};

void
usage(void)
{
	fprintf(stderr,
	    "usage: immpctl [-f file] user add [-F] [-m memlimit] "
	    "[-o opslimit] account\n"
	    "       immpctl [-f file] user passwd [-m memlimit] "
	    "[-o opslimit] account\n"
	    "       immpctl [-f file] user del account\n"
	    "       immpctl [-f file] user list\n"
	    "       immpctl [-f file] key generate domain\n"
	    "       immpctl [-f file] key rollover domain\n"
	    "       immpctl [-f file] key show [domain]\n"
	    "       immpctl [-f file] key pin show [domain]\n"
	    "       immpctl [-f file] key pin accept domain [fp]\n"
	    "       immpctl [-f file] key pin clear domain\n"
	    "       immpctl [-f file] [-s socket] show queue|stats\n"
	    "       immpctl [-f file] [-s socket] show envelope|message id\n"
	    "       immpctl [-f file] [-s socket] schedule|remove|hold|release "
	    "id|all\n"
	    "       immpctl [-f file] [-s socket] pause|resume "
	    "accept|deliver|relay\n"
	    "       immpctl [-f file] [-s socket] log brief|verbose\n"
	    "       immpctl [-f file] [-s socket] reload\n"
	    "       immpctl [-f file] [-s socket] update table name\n"
	    "       immpctl [-f file] [-s socket] monitor [-c count] "
	    "[-i seconds]\n"
	    "       immpctl makemap [-t type] file table\n"
	    "       immpctl [-f file] show pins\n"
	    "       immpctl [-f file] pin accept domain [sha256]\n"
	    "       immpctl [-f file] pin clear domain\n"
	    "       immpctl [-f file] secret generate [-F] [file]\n");
	exit(1);
}

void
immpctl_conf(struct immpd_conf *conf)
{
	if (conf_parse(conffile, conf) == -1)
		errx(1, "%s: cannot use this configuration", conffile);
}

const char *
immpctl_socket(void)
{
	static char		 path[CONF_PATH_MAX];
	struct immpd_conf	 conf;

	if (sockfile != NULL)
		return sockfile;
	if (path[0] == '\0') {
		immpctl_conf(&conf);
		(void)strlcpy(path, conf.control_path, sizeof(path));
		conf_clear(&conf);
	}
	return path;
}

int
main(int argc, char *argv[])
{
	size_t	i;
	int	ch;

	/* conf_parse reports through log_warnx: "immpctl: file:line: ..." */
	log_init(1, LOG_USER);
	log_procname("immpctl");

	/* '+': options end at the command name. */
	while ((ch = getopt(argc, argv, "+f:s:")) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
			break;
		case 's':
			sockfile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (sodium_init() < 0)
		errx(1, "cannot initialise libsodium");

	/* "show pins" reads the pin store itself (pins.c). */
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "pins") == 0)
		return cmd_pins(argc, argv);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].fn(argc, argv);
	}
	usage();
}
