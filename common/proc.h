/*
 * Start-up shared by the child processes immp-queue, immp-lookup and
 * immp-deliver (DESIGN §3): the command line the parent gives them, the
 * logging, libsodium, the signals they ignore and the configuration.
 */
#ifndef IMMP_PROC_H
#define IMMP_PROC_H

struct immpd_conf;

struct proc_opts {
	const char	*conffile;	/* -f, required */
	int		 debug;		/* -d: stay in the foreground, stderr */
	int		 verbose;	/* -v: debug lines too */
	int		 unpriv;	/* -u: development mode, no privsep */
};

/*
 * proc_init: parses argv as "-f file [-d] [-u] [-v]" (anything else:
 * usage message naming progname, exit 1), starts logging with the tag
 * name (log.h), initialises libsodium, ignores SIGPIPE and SIGHUP, and
 * parses the configuration into *conf (conf.h).  *o receives the
 * options; it points into argv.  Fatal on any failure.
 */
void	 proc_init(int argc, char *argv[], const char *progname,
	    const char *name, struct proc_opts *o, struct immpd_conf *conf);

#endif
