/*
 * The network process (DESIGN §3): immpd re-executed as "immpd -X
 * network".  It owns the listening sockets and every IMMP session, and
 * talks to the parent (fd 3), immp-queue (fd 4), immp-lookup (fd 5) and
 * immp-deliver (fd 6, mailbox access: mbox.h).
 *
 * Start-up order matters: the configuration, certificates and keys are
 * read and the TLS server contexts fully configured before
 * sandbox_drop(), because the sandbox forbids open(2) afterwards.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>
#include <tls.h>

#include "conf.h"
#include "control.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "ipc_ctl.h"
#include "ipc_mbox.h"
#include "log.h"
#include "mbox.h"
#include "ipc_relay.h"
#include "outbound.h"
#include "envelope_wire.h"
#include "sandbox.h"
#include "push.h"
#include "session.h"
#include "set.h"

#define ACCEPT_PAUSE	1	/* seconds without accept after EMFILE */

struct netenv	*env;
static int	 accept_paused;		/* immpctl pause accept */

static void	 listeners_init(void);
static void	 listener_tls(struct listener *);
static int	 cert_hash(const uint8_t *, size_t, uint8_t *);
static void	 listener_accept(int, short, void *);
static void	 listeners_enable(int);
static void	 accept_resume(int, short, void *);
static void	 parent_dispatch(struct imsgev *, struct imsg *, void *);
static void	 queue_dispatch(struct imsgev *, struct imsg *, void *);
static void	 lookup_dispatch(struct imsgev *, struct imsg *, void *);
static void	 deliver_dispatch(struct imsgev *, struct imsg *, void *);
static void	 channel_closed(struct imsgev *, void *);
static struct session *session_expect(uint64_t, enum session_wait);
static void	 network_sigterm(int, short, void *);
static void	 net_reload(int);

void
network_main(const char *conffile, int debug, int verbose, int unpriv)
{
	static struct netenv	 e;
	struct event		*ev_term;
	size_t			 i;

	env = &e;
	log_init(debug, LOG_MAIL);
	log_procname("network");
	log_setverbose(verbose);

	if (sodium_init() == -1)
		fatalx("sodium_init");
	if (conf_parse_fd(IPC_FD_CONF, conffile, &env->conf) == -1)
		fatalx("%s: invalid configuration", conffile);
	(void)close(IPC_FD_CONF);
	if (TAILQ_EMPTY(&env->conf.domains))
		fatalx("%s: no domain configured", conffile);

	/* The parent handles terminal signals; a dead peer is no signal. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	if (tls_init() == -1)
		fatalx("tls_init");
	listeners_init();
	outbound_init();

	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	env->parent = imsgev_new(env->base, IPC_FD_PARENT, parent_dispatch,
	    channel_closed, "parent");
	env->queue = imsgev_new(env->base, IPC_FD_PEER1, queue_dispatch,
	    channel_closed, "queue");
	env->lookup = imsgev_new(env->base, IPC_FD_PEER2, lookup_dispatch,
	    channel_closed, "lookup");
	env->deliver = imsgev_new(env->base, IPC_FD_NET_DELIVER,
	    deliver_dispatch, channel_closed, "deliver");
	if (env->parent == NULL || env->queue == NULL || env->lookup == NULL ||
	    env->deliver == NULL)
		fatalx("imsgev_new");
	if ((env->accept_pause = evtimer_new(env->base, accept_resume,
	    NULL)) == NULL ||
	    (ev_term = evsignal_new(env->base, SIGTERM, network_sigterm,
	    NULL)) == NULL || evsignal_add(ev_term, NULL) == -1)
		fatalx("event_new");
	for (i = 0; i < env->nlisteners; i++)
		if ((env->listeners[i].ev = event_new(env->base,
		    env->listeners[i].fd, EV_READ | EV_PERSIST,
		    listener_accept, &env->listeners[i])) == NULL)
			fatalx("event_new");
	control_init(env->base, unpriv);

	sandbox_drop(SANDBOX_NETWORK, unpriv ? NULL : env->conf.user,
	    unpriv ? NULL : env->conf.chroot_dir);

	listeners_enable(1);
	if (imsgev_compose(env->parent, IMSG_CTL_READY, 0, -1, NULL, 0) == -1)
		fatal("imsgev_compose");
	log_debug("ready, %zu listeners", env->nlisteners);
	event_base_dispatch(env->base);
	fatalx("event loop ended");
}

static void
network_sigterm(int sig, short ev, void *arg)
{
	log_debug("SIGTERM, exiting");
	session_shutdown();
	exit(0);
}

void
net_compose(struct imsgev *ch, uint32_t type, const void *data, size_t len)
{
	if (imsgev_compose(ch, type, 0, -1, data, len) == -1)
		fatal("imsgev_compose type %u", type);
}

/*
 * Listeners.
 */

/* The parent passes one listening socket per "listen" line, fd 6 on. */
static void
listeners_init(void)
{
	struct conf_listen	*cl;
	struct listener		*l;
	struct stat		 st;
	size_t			 n = 0;
	int			 fd, flags;

	TAILQ_FOREACH(cl, &env->conf.listeners, entry)
		n++;
	if (n == 0)
		fatalx("no listener configured");
	if ((env->listeners = calloc(n, sizeof(*env->listeners))) == NULL)
		fatal("listeners");
	env->nlisteners = n;
	l = env->listeners;
	TAILQ_FOREACH(cl, &env->conf.listeners, entry) {
		fd = IPC_FD_LISTENER0 + (int)(l - env->listeners);
		if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
			fatalx("listener %s port %u: fd %d is not a socket",
			    cl->addr, cl->port, fd);
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			fatal("listener fd %d", fd);
		l->conf = cl;
		l->fd = fd;
		listener_tls(l);
		l++;
	}
}

/*
 * The TLS server context of a listener: TLS 1.2 and 1.3 only, the
 * certificate chain and key read here (before the sandbox), and the
 * channel binding computed from the same octets libtls loads.
 */
static void
listener_tls(struct listener *l)
{
	struct tls_config	*cfg;
	uint8_t			*cert, *key;
	size_t			 certlen, keylen;

	if ((cfg = tls_config_new()) == NULL)
		fatalx("tls_config_new");
	if (tls_config_set_protocols(cfg,
	    TLS_PROTOCOL_TLSv1_2 | TLS_PROTOCOL_TLSv1_3) == -1)
		fatalx("tls protocols: %s", tls_config_error(cfg));
	if ((cert = tls_load_file(l->conf->cert, &certlen, NULL)) == NULL)
		fatal("%s", l->conf->cert);
	if ((key = tls_load_file(l->conf->key, &keylen, NULL)) == NULL)
		fatal("%s", l->conf->key);
	if (tls_config_set_cert_mem(cfg, cert, certlen) == -1)
		fatalx("%s: %s", l->conf->cert, tls_config_error(cfg));
	if (tls_config_set_key_mem(cfg, key, keylen) == -1)
		fatalx("%s: %s", l->conf->key, tls_config_error(cfg));
	if (cert_hash(cert, certlen, l->cbind) == -1)
		fatalx("%s: no PEM certificate found", l->conf->cert);
	tls_unload_file(key, keylen);
	tls_unload_file(cert, certlen);

	if ((l->tls = tls_server()) == NULL)
		fatalx("tls_server");
	if (tls_configure(l->tls, cfg) == -1)
		fatalx("%s port %u: %s", l->conf->addr, l->conf->port,
		    tls_error(l->tls));
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
}

/*
 * RFC 5929 tls-server-end-point: SHA-256 of the DER of the first
 * certificate in the PEM file (the end-entity certificate libtls
 * presents).  0, or -1 if there is none or its base64 is invalid.
 */
static int
cert_hash(const uint8_t *pem, size_t len, uint8_t *out)
{
	static const char	 begin[] = "-----BEGIN CERTIFICATE-----";
	static const char	 end[] = "-----END CERTIFICATE-----";
	const char		*b, *e;
	uint8_t			*der;
	size_t			 derlen, dermax;
	int			 rv = -1;

	if ((b = memmem(pem, len, begin, sizeof(begin) - 1)) == NULL)
		return (-1);
	b += sizeof(begin) - 1;
	if ((e = memmem(b, (const char *)pem + len - b, end,
	    sizeof(end) - 1)) == NULL)
		return (-1);
	dermax = (size_t)(e - b) / 4 * 3 + 3;
	if ((der = malloc(dermax)) == NULL)
		return (-1);
	if (sodium_base642bin(der, dermax, b, e - b, "\r\n", &derlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) == 0 && derlen > 0) {
		crypto_hash_sha256(out, der, derlen);
		rv = 0;
	}
	free(der);
	return (rv);
}

static void
listeners_enable(int on)
{
	size_t	 i;

	for (i = 0; i < env->nlisteners; i++) {
		if (on)
			event_add(env->listeners[i].ev, NULL);
		else
			event_del(env->listeners[i].ev);
	}
}

static void
accept_resume(int fd, short ev, void *arg)
{
	if (!accept_paused)
		listeners_enable(1);
}

void
net_accept_pause(int on)
{
	accept_paused = on;
	listeners_enable(!on);
}

int
net_accept_paused(void)
{
	return accept_paused;
}

static void
listener_accept(int fd, short ev, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct timeval		 tv = { ACCEPT_PAUSE, 0 };
	int			 s;

	s = accept4(fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (s == -1) {
		switch (errno) {
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			log_warn("accept");
			listeners_enable(0);
			evtimer_add(env->accept_pause, &tv);
			return;
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
			return;
		default:
			log_warn("accept");
			return;
		}
	}
	control_connection();
	limit_accept(l, s, (struct sockaddr *)&ss);	/* limit.c */
}

/*
 * Messages from the other processes.
 */

/* The session waiting for reqid with what, or NULL; ends its wait. */
static struct session *
session_expect(uint64_t reqid, enum session_wait what)
{
	struct session	*s;

	if ((s = session_byreq(reqid)) == NULL) {
		log_debug("answer %d for a closed session", what);
		return (NULL);
	}
	if (s->wait != what || s->reqid != reqid) {
		log_warnx("unexpected answer %d for session %016llx", what,
		    (unsigned long long)s->id);
		return (NULL);
	}
	s->wait = WAIT_NONE;
	return (s);
}

static void
parent_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	*verbose;

	if (imsg->hdr.type == IMSG_CTL_RELOAD_CONF) {
		ipc_payload(imsg, 0);
		net_reload(imsg->fd);
		return;
	}
	if (imsg->fd != -1)
		fatalx("parent: unexpected descriptor");
	switch (imsg->hdr.type) {
	case IMSG_CTL_LINE:
	case IMSG_CTL_END:
		control_imsg(imsg, "parent");
		break;
	case IMSG_CTL_SHUTDOWN:
		log_debug("shutdown requested");
		session_shutdown();
		exit(0);
	case IMSG_CTL_VERBOSE:
		verbose = ipc_payload(imsg, sizeof(*verbose));
		log_setverbose(*verbose);
		break;
	default:
		fatalx("parent: unexpected imsg %u", imsg->hdr.type);
	}
}

static void
lookup_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ipc_auth_challenge	*ch;
	struct ipc_auth_result		*ar;
	struct ipc_rcpt_result		*rr;
	struct ipc_key_result		*kr;
	struct ipc_cookie_result	*cr;
	struct ipc_env_checked		*ec;
	struct session			*s;
	uint32_t			 i;

	if (imsg->hdr.type == IMSG_ENV_MADE) {	/* with a memfd */
		outbound_env_made(imsg);
		return;
	}
	if (imsg->fd != -1)
		fatalx("lookup: unexpected descriptor");
	if (imsg->hdr.type == IMSG_ENV_CHECKED) {	/* envelope_in.c */
		ec = ipc_payload(imsg, sizeof(*ec));
		if (!ipc_check_str(ec->reason, sizeof(ec->reason)) ||
		    !ipc_check_str(ec->sender, sizeof(ec->sender)) ||
		    ec->nrcpt > IPC_ENV_RCPTS)
			fatalx("lookup: bad ENV_CHECKED");
		for (i = 0; i < ec->nrcpt; i++)
			if (!ipc_check_str(ec->rcpt[i], sizeof(ec->rcpt[i])))
				fatalx("lookup: bad ENV_CHECKED recipient");
		if ((s = session_expect(ec->reqid, WAIT_ENV)) == NULL)
			return;
		envin_checked(s, ec);
		session_kick(s);
		return;
	}
	/* Relay (ipc_relay.h): outbound sessions and AUTH VERIFY. */
	if (outbound_lookup_imsg(imsg))
		return;
	if (set_lookup_imsg(imsg))
		return;		/* SET GLOBAL, blocking (set.c) */
	if (push_lookup_imsg(imsg))
		return;		/* PUBLISH, SUBSCRIBE (subscribe.c) */
	if (imsg->hdr.type == IMSG_RELAY_COOKIE_RESULT) {
		cr = ipc_payload(imsg, sizeof(*cr));
		if ((s = session_expect(cr->reqid, WAIT_VERIFY)) == NULL)
			return;
		auth_verify_result(s, cr->result);
		session_kick(s);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_LKA_AUTH_CHALLENGE:
		ch = ipc_payload(imsg, sizeof(*ch));
		if (!ipc_check_str(ch->n1, sizeof(ch->n1)))
			fatalx("lookup: bad challenge");
		if ((s = session_expect(ch->reqid,
		    WAIT_AUTH_CHALLENGE)) == NULL)
			return;
		auth_challenge(s, ch);
		break;
	case IMSG_LKA_AUTH_RESULT:
		ar = ipc_payload(imsg, sizeof(*ar));
		if (!ipc_check_str(ar->account, sizeof(ar->account)))
			fatalx("lookup: bad auth result");
		if ((s = session_expect(ar->reqid, WAIT_AUTH_RESULT)) == NULL)
			return;
		auth_result(s, ar);
		break;
	case IMSG_LKA_RCPT_RESULT:
		rr = ipc_payload(imsg, sizeof(*rr));
		if ((s = session_expect(rr->reqid, WAIT_RCPT)) == NULL)
			return;
		msg_rcpt_result(s, rr);
		break;
	case IMSG_LKA_KEY_RESULT:
		kr = ipc_payload(imsg, sizeof(*kr));
		if (!ipc_check_str(kr->domain, sizeof(kr->domain)) ||
		    kr->ngen > IPC_KEY_GENS)
			fatalx("lookup: bad key result");
		if ((s = session_expect(kr->reqid, WAIT_KEY)) == NULL)
			return;
		key_result(s, kr);
		break;
	case IMSG_CTL_LINE:
	case IMSG_CTL_END:
		control_imsg(imsg, "lookup");
		return;
	default:
		fatalx("lookup: unexpected imsg %u", imsg->hdr.type);
	}
	session_kick(s);
}

static void
queue_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ipc_msg_created		*cr;
	struct ipc_msg_committed	*mc;
	struct ipc_keypin_result	*kp;
	struct session			*s;

	if (outbound_queue_imsg(imsg))
		return;		/* relay (outbound.c) */
	if (imsg->hdr.type == IMSG_ENV_PIN) {	/* envelope_in.c */
		if (imsg->fd != -1)
			fatalx("queue: unexpected descriptor");
		kp = ipc_payload(imsg, sizeof(*kp));
		if ((s = session_expect(kp->reqid, WAIT_ENV)) == NULL)
			return;
		envin_pin(s, kp);
		session_kick(s);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_QUEUE_MSG_CREATED:
		cr = ipc_payload(imsg, sizeof(*cr));
		if (!ipc_check_str(cr->uuid, sizeof(cr->uuid)))
			fatalx("queue: bad created");
		if ((s = session_expect(cr->reqid, WAIT_CREATE)) == NULL) {
			msg_orphan_created(cr, imsg->fd);
			return;
		}
		msg_created(s, cr, imsg->fd);
		break;
	case IMSG_QUEUE_MSG_COMMITTED:
		if (imsg->fd != -1)
			fatalx("queue: unexpected descriptor");
		mc = ipc_payload(imsg, sizeof(*mc));
		if (!ipc_check_str(mc->uuid, sizeof(mc->uuid)))
			fatalx("queue: bad committed");
		if ((s = session_expect(mc->reqid, WAIT_COMMIT)) == NULL)
			return;
		msg_committed(s, mc);
		break;
	case IMSG_CTL_LINE:
	case IMSG_CTL_END:
		control_imsg(imsg, "queue");
		return;
	default:
		fatalx("queue: unexpected imsg %u", imsg->hdr.type);
	}
	session_kick(s);
}

/* Mailbox access: answers and change events (ipc_mbox.h, mbox.h). */
static void
deliver_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ipc_mbox_res	*res;
	struct ipc_mbox_event	*ev;
	struct session		*s;

	switch (imsg->hdr.type) {
	case IMSG_MBOX_RESULT:
		res = ipc_payload(imsg, sizeof(*res));
		if (!ipc_check_str(res->text, sizeof(res->text)))
			fatalx("deliver: bad mbox result");
		if ((s = session_expect(res->reqid, WAIT_MBOX)) == NULL) {
			if (imsg->fd != -1)
				close(imsg->fd);
			return;
		}
		mbox_result(s, res, imsg->fd);
		session_kick(s);
		break;
	case IMSG_MBOX_EVENT:
		if (imsg->fd != -1)
			fatalx("deliver: unexpected descriptor");
		ev = ipc_payload(imsg, sizeof(*ev));
		if (!ipc_check_str(ev->mailbox, sizeof(ev->mailbox)) ||
		    !ipc_check_str(ev->folder, sizeof(ev->folder)) ||
		    !ipc_check_str(ev->uuid, sizeof(ev->uuid)) ||
		    !ipc_check_str(ev->text, sizeof(ev->text)))
			fatalx("deliver: bad mbox event");
		mbox_event(ev);
		break;
	default:
		fatalx("deliver: unexpected imsg %u", imsg->hdr.type);
	}
}

/*
 * A new configuration from the parent (ipc_ctl.h): the parent parsed
 * the same octets, so a failure here is logged and the running settings
 * stay.  Sessions read the settings when they use them; a message being
 * received keeps the size limit it started with (message.c).
 */
static void
net_reload(int fd)
{
	struct immpd_conf	 nc;

	if (fd == -1)
		fatalx("parent: reload without a descriptor");
	if (conf_parse_fd(fd, env->conf.path, &nc) == -1) {
		log_warnx("reload: cannot parse the new configuration, "
		    "keeping the running one");
		close(fd);
		return;
	}
	close(fd);
	(void)conf_reload(&env->conf, &nc, NULL, 0);
	conf_clear(&nc);
	log_debug("reload: configuration applied");
}

static void
channel_closed(struct imsgev *iev, void *arg)
{
	const char	*name = arg;

	if (strcmp(name, "parent") == 0) {
		log_debug("parent went away, exiting");
		session_shutdown();
		exit(0);
	}
	fatalx("%s process went away", name);
}
