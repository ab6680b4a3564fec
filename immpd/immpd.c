/*
 * immpd(8): the parent process (DESIGN §3).
 *
 * It parses the configuration, opens the listening sockets, creates the
 * imsg socketpairs between the processes, starts the four children with
 * fork + exec on fixed descriptors (ipc.h), waits until each reports
 * IMSG_CTL_READY, and then only watches: a child that exits takes the
 * whole daemon down (exit 1, the service manager restarts it; the queue
 * keeps the mail), SIGTERM/SIGINT shut everything down (exit 0).  The
 * parent speaks no network protocol and reads no client input.
 *
 *   network  immpd -X network   3 parent, 4 queue, 5 lookup, 6 deliver,
 *                               7 control socket, 8.. listeners
 *   queue    immp-queue         3 parent, 4 network, 5 deliver
 *   lookup   immp-lookup        3 parent, 4 network
 *   deliver  immp-deliver       3 parent, 4 queue, 5 network
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_ctl.h"
#include "log.h"
#include "control.h"
#include "session.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR	"/usr/local/libexec/immpd"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif

#define SHUTDOWN_WAIT	5	/* seconds before SIGKILL */
#define START_WAIT	60	/* seconds for all children to be ready */
#define LISTEN_BACKLOG	128
#define MAX_CHILD_FDS	64	/* 3 channels + listeners */
#if 3 + MAX_CHILD_FDS >= IPC_FD_CONF
#error "IPC_FD_CONF must lie above the channels and listeners"
#endif

enum {
	PROC_NETWORK,
	PROC_QUEUE,
	PROC_LOOKUP,
	PROC_DELIVER,
	PROC_COUNT
};

struct child {
	const char	*name;		/* log tag */
	const char	*prog;		/* file in the libexec dir; NULL: us */
	pid_t		 pid;		/* -1 once reaped */
	int		 ready;
	struct imsgev	*iev;		/* our end of its fd 3 */
	int		 fds[MAX_CHILD_FDS];	/* become its fds 3, 4, ... */
	size_t		 nfds;
};

static struct {
	struct immpd_conf	 conf;
	struct event_base	*base;
	struct child		 child[PROC_COUNT];
	int			*lfd;		/* listening sockets */
	int			 ctlfd;		/* control socket */
	int			 conffd;	/* sealed copy of the file */
	int			 ctl_created;	/* unlink it on exit */
	size_t			 nlfd;
	int			 debug;
	int			 verbose;
	int			 unpriv;
	int			 stopping;
	int			 exitcode;
	struct event		*stop_timer;
	struct event		*start_timer;
	char			 conffile[PATH_MAX];
	char			 self[PATH_MAX];
	const char		*libexec;
} p;

__attribute__((noreturn)) static void usage(void);
static void	 listeners_open(void);
static int	 listener_open(const struct conf_listen *);
static void	 control_open(void);
static void	 children_start(void);
static void	 child_spawn(struct child *);
static void	 child_exec(struct child *) __attribute__((noreturn));
static void	 child_dispatch(struct imsgev *, struct imsg *, void *);
static void	 child_closed(struct imsgev *, void *);
static struct child *child_bypid(pid_t);
static int	 children_alive(void);
static void	 parent_stop(int);
static void	 parent_exit(void) __attribute__((noreturn));
static void	 sig_chld(int, short, void *);
static void	 sig_term(int, short, void *);
static void	 sig_hup(int, short, void *);
static void	 stop_timeout(int, short, void *);
static void	 start_timeout(int, short, void *);
static int	 parent_reload(char *, size_t);
static void	 parent_ctl(struct imsg *);

static void
usage(void)
{
	fprintf(stderr, "usage: immpd [-dnuv] [-f file]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	*ev;
	const char	*conffile = SYSCONFDIR "/immpd.conf";
	const char	*role = NULL;
	int		 ch, noaction = 0;
	ssize_t		 n;

	while ((ch = getopt(argc, argv, "df:nuvX:")) != -1) {
		switch (ch) {
		case 'd':
			p.debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'u':
			p.unpriv = 1;
			break;
		case 'v':
			p.verbose = 1;
			break;
		case 'X':
			role = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();

	if (role != NULL) {
		if (strcmp(role, "network") != 0)
			errx(1, "unknown process role %s", role);
		network_main(conffile, p.debug, p.verbose, p.unpriv);
	}

	log_init(1, LOG_MAIL);
	log_procname("immpd");
	log_setverbose(p.verbose);

	if ((p.conffd = conf_snapshot(conffile)) == -1) {
		log_warn("%s", conffile);
		if (noaction)
			fprintf(stderr, "configuration failed\n");
		exit(1);
	}
	if (conf_parse_fd(p.conffd, conffile, &p.conf) == -1) {
		if (noaction)
			fprintf(stderr, "configuration failed\n");
		exit(1);
	}
	if (noaction) {
		if (p.verbose)
			conf_dump(&p.conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}

	if (!p.unpriv && geteuid() != 0)
		fatalx("need root privileges (use -u for the unprivileged "
		    "development mode)");
	if (p.unpriv && geteuid() == 0)
		log_warnx("running as root in unprivileged mode (-u): "
		    "no chroot, no user change");

	/* Children get absolute paths: the daemon runs in /. */
	if (realpath(conffile, p.conffile) == NULL)
		fatal("%s", conffile);
	if ((n = readlink("/proc/self/exe", p.self, sizeof(p.self) - 1)) ==
	    -1)
		fatal("/proc/self/exe");
	p.self[n] = '\0';
	if ((p.libexec = getenv("IMMPD_LIBEXECDIR")) == NULL ||
	    *p.libexec == '\0')
		p.libexec = LIBEXECDIR;
	if (p.libexec[0] != '/')
		fatalx("IMMPD_LIBEXECDIR must be an absolute path");

	listeners_open();
	control_open();

	signal(SIGPIPE, SIG_IGN);
	if (!p.debug) {
		log_init(0, LOG_MAIL);
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}

	if ((p.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((ev = evsignal_new(p.base, SIGCHLD, sig_chld, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1 ||
	    (ev = evsignal_new(p.base, SIGTERM, sig_term, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1 ||
	    (ev = evsignal_new(p.base, SIGINT, sig_term, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1 ||
	    (ev = evsignal_new(p.base, SIGHUP, sig_hup, NULL)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("signal events");
	if ((p.stop_timer = evtimer_new(p.base, stop_timeout, NULL)) == NULL ||
	    (p.start_timer = evtimer_new(p.base, start_timeout, NULL)) ==
	    NULL)
		fatalx("evtimer_new");

	children_start();
	event_base_dispatch(p.base);
	fatalx("event loop ended");
}

/*
 * Listening sockets, one per "listen" line, opened before the fork so
 * that a bad address or a port in use is reported on the terminal.
 */
static void
listeners_open(void)
{
	struct conf_listen	*cl;
	size_t			 n = 0;

	TAILQ_FOREACH(cl, &p.conf.listeners, entry)
		n++;
	if (n == 0)
		fatalx("%s: no listen line", p.conffile);
	if (n > MAX_CHILD_FDS - 5)
		fatalx("%s: too many listen lines", p.conffile);
	if ((p.lfd = calloc(n, sizeof(*p.lfd))) == NULL)
		fatal("listeners");
	TAILQ_FOREACH(cl, &p.conf.listeners, entry)
		p.lfd[p.nlfd++] = listener_open(cl);
}

/*
 * The control socket of immpctl(8): an AF_UNIX stream socket at
 * control-socket, mode 0600 (root only unless -u), created before the
 * fork and handed to the network process.  A socket that still answers
 * means another immpd runs; a stale one is removed.
 */
static void
control_open(void)
{
	struct sockaddr_un	 sun;
	const char		*path = p.conf.control_path;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("control-socket %s: path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("control socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("control-socket %s: another immpd is running", path);
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("control-socket %s: unlink", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("control socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("control-socket %s: bind", path);
	(void)umask(old);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("control-socket %s: listen", path);
	p.ctlfd = fd;
	p.ctl_created = 1;
}

static int
listener_open(const struct conf_listen *cl)
{
	struct addrinfo	 hints, *res;
	char		 port[8];
	int		 fd, error, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	(void)snprintf(port, sizeof(port), "%u", cl->port);
	if ((error = getaddrinfo(cl->addr, port, &hints, &res)) != 0)
		fatalx("listen on %s: %s", cl->addr, gai_strerror(error));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1)
		fatal("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("SO_REUSEADDR");
	if (res->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		fatal("IPV6_V6ONLY");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		fatal("bind %s port %u", cl->addr, cl->port);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		fatal("listen %s port %u", cl->addr, cl->port);
	freeaddrinfo(res);
	log_debug("listening on %s port %u%s", cl->addr, cl->port,
	    cl->implicit_tls ? " (tls)" : "");
	return (fd);
}

/*
 * Children.
 */

static void
socketpair_ce(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
}

static void
children_start(void)
{
	struct child	*net = &p.child[PROC_NETWORK];
	struct child	*queue = &p.child[PROC_QUEUE];
	struct child	*lookup = &p.child[PROC_LOOKUP];
	struct child	*deliver = &p.child[PROC_DELIVER];
	struct timeval	 tv = { START_WAIT, 0 };
	int		 ctl[PROC_COUNT][2], nq[2], nl[2], qd[2], nd[2];
	size_t		 i, j;

	net->name = "network";
	net->prog = NULL;
	queue->name = "queue";
	queue->prog = "immp-queue";
	lookup->name = "lookup";
	lookup->prog = "immp-lookup";
	deliver->name = "deliver";
	deliver->prog = "immp-deliver";

	for (i = 0; i < PROC_COUNT; i++)
		socketpair_ce(ctl[i]);
	socketpair_ce(nq);
	socketpair_ce(nl);
	socketpair_ce(qd);
	socketpair_ce(nd);

	for (i = 0; i < PROC_COUNT; i++) {
		p.child[i].fds[0] = ctl[i][1];
		p.child[i].nfds = 1;
	}
	net->fds[net->nfds++] = nq[0];
	net->fds[net->nfds++] = nl[0];
	net->fds[net->nfds++] = nd[0];
	net->fds[net->nfds++] = p.ctlfd;
	for (j = 0; j < p.nlfd; j++)
		net->fds[net->nfds++] = p.lfd[j];
	queue->fds[queue->nfds++] = nq[1];
	queue->fds[queue->nfds++] = qd[0];
	lookup->fds[lookup->nfds++] = nl[1];
	deliver->fds[deliver->nfds++] = qd[1];
	deliver->fds[deliver->nfds++] = nd[1];

	for (i = 0; i < PROC_COUNT; i++)
		child_spawn(&p.child[i]);

	/* The children hold their ends now. */
	for (i = 0; i < PROC_COUNT; i++) {
		for (j = 0; j < p.child[i].nfds; j++)
			close(p.child[i].fds[j]);
		p.child[i].nfds = 0;
		if ((p.child[i].iev = imsgev_new(p.base, ctl[i][0],
		    child_dispatch, child_closed, &p.child[i])) == NULL)
			fatalx("imsgev_new");
	}
	free(p.lfd);
	p.lfd = NULL;
	p.nlfd = 0;
	evtimer_add(p.start_timer, &tv);
}

static void
child_spawn(struct child *c)
{
	if ((c->pid = fork()) == -1)
		fatal("fork");
	if (c->pid == 0)
		child_exec(c);
	log_debug("started %s, pid %ld", c->name, (long)c->pid);
}

/*
 * In the new child: c->fds[i] becomes descriptor 3 + i, every other
 * descriptor above 2 is closed, then the program is executed.  The
 * sources are first moved above the target range so that no dup2
 * overwrites a source not yet moved.
 */
static void
child_exec(struct child *c)
{
	char		 path[PATH_MAX];
	char		*argv[10];
	int		 tmp[MAX_CHILD_FDS], argc = 0, cfd;
	unsigned int	 top = 3 + c->nfds;
	size_t		 i;

	signal(SIGPIPE, SIG_DFL);
	/* Above every number the loops below write to. */
	if ((cfd = fcntl(p.conffd, F_DUPFD_CLOEXEC, IPC_FD_CONF + 1)) == -1)
		goto fail;
	for (i = 0; i < c->nfds; i++)
		if ((tmp[i] = fcntl(c->fds[i], F_DUPFD_CLOEXEC, top)) == -1)
			goto fail;
	for (i = 0; i < c->nfds; i++)
		if (dup2(tmp[i], 3 + i) == -1)
			goto fail;
	if (dup2(cfd, IPC_FD_CONF) == -1)
		goto fail;
	if (close_range(top, IPC_FD_CONF - 1, 0) == -1 ||
	    close_range(IPC_FD_CONF + 1, ~0U, 0) == -1)
		goto fail;

	if (c->prog == NULL) {
		(void)strlcpy(path, p.self, sizeof(path));
		argv[argc++] = "immpd";
		argv[argc++] = "-X";
		argv[argc++] = "network";
	} else {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", p.libexec,
		    c->prog) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		argv[argc++] = (char *)c->prog;
	}
	argv[argc++] = "-f";
	argv[argc++] = p.conffile;
	if (p.debug)
		argv[argc++] = "-d";
	if (p.verbose)
		argv[argc++] = "-v";
	if (p.unpriv)
		argv[argc++] = "-u";
	argv[argc] = NULL;
	execv(path, argv);
	log_warn("exec %s", path);
	_exit(1);
 fail:
	log_warn("%s: descriptors", c->name);
	_exit(1);
}

static struct child *
child_bypid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < PROC_COUNT; i++)
		if (p.child[i].pid == pid)
			return (&p.child[i]);
	return (NULL);
}

static int
children_alive(void)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < PROC_COUNT; i++)
		if (p.child[i].pid > 0)
			n++;
	return (n);
}

static void
child_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct child	*c = arg;
	size_t		 i;

	if (imsg->fd != -1)
		fatalx("%s: unexpected descriptor", c->name);
	switch (imsg->hdr.type) {
	case IMSG_CTL_READY:
		if (imsg->datalen != 0 || c->ready)
			fatalx("%s: bad READY", c->name);
		c->ready = 1;
		log_debug("%s ready", c->name);
		for (i = 0; i < PROC_COUNT; i++)
			if (!p.child[i].ready)
				return;
		evtimer_del(p.start_timer);
		log_info("immpd ready");
		break;
	case IMSG_CTL_REQ:
		if (c != &p.child[PROC_NETWORK])
			fatalx("%s: unexpected control request", c->name);
		parent_ctl(imsg);
		break;
	default:
		fatalx("%s: unexpected imsg %u", c->name, imsg->hdr.type);
	}
}

/* The exit itself is seen through SIGCHLD. */
static void
child_closed(struct imsgev *iev, void *arg)
{
	struct child	*c = arg;

	log_debug("%s channel closed", c->name);
	imsgev_free(c->iev);
	c->iev = NULL;
}

/*
 * Shutdown: every child gets IMSG_CTL_SHUTDOWN, stragglers SIGKILL after
 * SHUTDOWN_WAIT seconds; the parent exits with code when all are gone.
 */
static void
parent_stop(int code)
{
	struct timeval	 tv = { SHUTDOWN_WAIT, 0 };
	size_t		 i;

	if (p.stopping)
		return;
	p.stopping = 1;
	p.exitcode = code;
	evtimer_del(p.start_timer);
	for (i = 0; i < PROC_COUNT; i++)
		if (p.child[i].pid > 0 && p.child[i].iev != NULL &&
		    imsgev_compose(p.child[i].iev, IMSG_CTL_SHUTDOWN, 0, -1,
		    NULL, 0) == -1)
			log_warn("shutdown %s", p.child[i].name);
	if (children_alive() == 0)
		parent_exit();
	evtimer_add(p.stop_timer, &tv);
}

static void
parent_exit(void)
{
	if (p.ctl_created)
		(void)unlink(p.conf.control_path);
	log_info("immpd exiting");
	exit(p.exitcode);
}

static void
stop_timeout(int fd, short ev, void *arg)
{
	size_t	 i;

	for (i = 0; i < PROC_COUNT; i++) {
		if (p.child[i].pid <= 0)
			continue;
		log_warnx("%s did not stop, killing it", p.child[i].name);
		(void)kill(p.child[i].pid, SIGKILL);
	}
	for (i = 0; i < PROC_COUNT; i++) {
		if (p.child[i].pid <= 0)
			continue;
		while (waitpid(p.child[i].pid, NULL, 0) == -1 &&
		    errno == EINTR)
			;
		p.child[i].pid = -1;
	}
	parent_exit();
}

static void
start_timeout(int fd, short ev, void *arg)
{
	log_warnx("processes not ready after %d seconds", START_WAIT);
	parent_stop(1);
}

static void
sig_chld(int sig, short ev, void *arg)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = child_bypid(pid)) == NULL)
			continue;
		c->pid = -1;
		if (p.stopping && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			log_debug("%s exited", c->name);
		else if (WIFEXITED(status))
			log_warnx("%s exited with status %d", c->name,
			    WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			log_warnx("%s killed by signal %d", c->name,
			    WTERMSIG(status));
		if (!p.stopping) {
			log_warnx("%s process gone, stopping", c->name);
			parent_stop(1);
		}
	}
	if (p.stopping && children_alive() == 0)
		parent_exit();
}

static void
sig_term(int sig, short ev, void *arg)
{
	log_info("%s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	parent_stop(0);
}

static void
sig_hup(int sig, short ev, void *arg)
{
	char	msg[IPC_CTL_TEXT_MAX];

	log_info("SIGHUP, reloading %s", p.conffile);
	(void)parent_reload(msg, sizeof(msg));
}

/*
 * Reload (SIGHUP, immpctl reload; immpd.conf(5) RELOAD): reload.c does
 * the work; the outcome, one line for immpctl, goes into msg.  0 or -1.
 */
static int
parent_reload(char *msg, size_t size)
{
	struct imsgev	*to[] = { p.child[PROC_NETWORK].iev,
			    p.child[PROC_QUEUE].iev, p.child[PROC_LOOKUP].iev };

	if (p.stopping) {
		(void)snprintf(msg, size, "shutting down");
		return (-1);
	}
	return (conf_reload_all(p.conffile, &p.conf, to,
	    sizeof(to) / sizeof(to[0]), msg, size));
}

/* A control request relayed by the network process (ipc_ctl.h). */
static void
parent_ctl(struct imsg *imsg)
{
	struct ipc_ctl_req	 r;
	struct ipc_ctl_line	 l;
	struct ipc_ctl_end	 e;
	struct imsgev		*net = p.child[PROC_NETWORK].iev;
	size_t			 i;
	int			 v, ok;

	memcpy(&r, ipc_payload(imsg, sizeof(r)), sizeof(r));
	if (!ipc_check_str(r.arg, sizeof(r.arg)))
		fatalx("network: bad control request");
	memset(&l, 0, sizeof(l));
	memset(&e, 0, sizeof(e));
	l.reqid = e.reqid = r.reqid;
	switch (r.op) {
	case CTL_OP_LOG:
		v = r.which ? 1 : 0;
		p.verbose = v;
		log_setverbose(v);
		for (i = 0; i < PROC_COUNT; i++)
			if (p.child[i].iev != NULL &&
			    imsgev_compose(p.child[i].iev, IMSG_CTL_VERBOSE,
			    0, -1, &v, sizeof(v)) == -1)
				fatal("imsg to %s", p.child[i].name);
		log_info("control log %s", v ? "verbose" : "brief");
		(void)snprintf(l.text, sizeof(l.text), "log=%s",
		    v ? "verbose" : "brief");
		ok = 1;
		break;
	case CTL_OP_RELOAD:
		ok = parent_reload(l.text, sizeof(l.text)) == 0;
		if (!ok) {
			(void)strlcpy(e.text, l.text, sizeof(e.text));
			l.text[0] = '\0';
		}
		break;
	default:
		fatalx("network: unexpected control request %d", r.op);
	}
	if (net == NULL)
		return;
	if (l.text[0] != '\0' && imsgev_compose(net, IMSG_CTL_LINE, 0, -1,
	    &l, sizeof(l)) == -1)
		fatal("imsg to network");
	e.result = ok ? IPC_OK : IPC_FAIL;
	if (imsgev_compose(net, IMSG_CTL_END, 0, -1, &e, sizeof(e)) == -1)
		fatal("imsg to network");
}
