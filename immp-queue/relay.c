/* Relay jobs of the queue (relay.h). */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "ipc_env.h"
#include "ipc_relay.h"
#include "imid.h"
#include "log.h"
#include "pins.h"
#include "relay.h"
#include "scheduler.h"
#include "store.h"

struct rjob {
	TAILQ_ENTRY(rjob)	 entry;
	struct ipc_relay_msg	 m;
	struct ipc_relay_rcpt	 r[ENV_MAX_RCPT];
	int			 fd;
};

static struct {
	struct immpd_conf	*conf;
	struct imsgev		*net;
	struct event		*flush;
	char			 pins[CONF_PATH_MAX];
	int			 armed;
	TAILQ_HEAD(, rjob)	 jobs;
} rl;

static void	 relay_flush(int, short, void *);

void
relay_init(struct event_base *base, struct immpd_conf *conf,
    struct imsgev *net, int chrooted)
{
	size_t	 n = strlen(conf->queue_dir);

	conf_pins_path(conf, rl.pins, sizeof(rl.pins));
	if (chrooted && strncmp(rl.pins, conf->queue_dir, n) == 0 &&
	    rl.pins[n] == '/')
		memmove(rl.pins, rl.pins + n, strlen(rl.pins + n) + 1);
	rl.conf = conf;
	rl.net = net;
	TAILQ_INIT(&rl.jobs);
	if ((rl.flush = evtimer_new(base, relay_flush, NULL)) == NULL)
		fatalx("relay: evtimer_new");
}

int
relay_remote(struct immpd_conf *conf, const char *account)
{
	const char	*at = strrchr(account, '@');

	return (at != NULL && !conf_is_local(conf, at + 1));
}

static void
lower(char *dst, const char *src, size_t size)
{
	size_t	i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 :
		    src[i];
	dst[i] = '\0';
}

void
relay_add(uint64_t id, const struct envelope *env, int i, int fd)
{
	struct timeval	 tv = { 0, 0 };
	struct rjob	*j;
	char		 dom[IPC_DOMAIN_MAX];

	lower(dom, strrchr(env->rcpt[i].account, '@') + 1, sizeof(dom));
	/*
	 * At most IPC_ENV_RCPTS recipients per relayed copy, so that each
	 * copy fits one sealed inner envelope (immp(7) ENVELOPES); a
	 * message to more recipients at one domain goes as several.
	 */
	TAILQ_FOREACH(j, &rl.jobs, entry)
		if (strcmp(j->m.uuid, env->uuid) == 0 &&
		    strcmp(j->m.domain, dom) == 0 &&
		    j->m.nrcpt < IPC_ENV_RCPTS)
			break;
	if (j == NULL) {
		if ((j = calloc(1, sizeof(*j))) == NULL)
			fatal("relay");
		(void)strlcpy(j->m.uuid, env->uuid, sizeof(j->m.uuid));
		(void)strlcpy(j->m.domain, dom, sizeof(j->m.domain));
		(void)strlcpy(j->m.sender, env->sender, sizeof(j->m.sender));
		j->m.flags = env->flags | (env->bounce ? MSGF_BOUNCE : 0);
		j->m.accepted = env->accepted;
		j->m.size = env->size;
		j->fd = fd;
		TAILQ_INSERT_TAIL(&rl.jobs, j, entry);
	} else
		close(fd);
	if (j->m.nrcpt >= ENV_MAX_RCPT)
		fatalx("relay: too many recipients");
	j->r[j->m.nrcpt].id = id;
	(void)strlcpy(j->r[j->m.nrcpt].account, env->rcpt[i].account,
	    IPC_ACCOUNT_MAX);
	(void)strlcpy(j->r[j->m.nrcpt].folder, env->rcpt[i].folder,
	    IPC_FOLDER_MAX);
	j->m.nrcpt++;
	if (!rl.armed) {
		rl.armed = 1;
		evtimer_add(rl.flush, &tv);
	}
}

static void
relay_flush(int fd, short ev, void *arg)
{
	struct rjob	*j;
	uint32_t	 i;

	rl.armed = 0;
	while ((j = TAILQ_FIRST(&rl.jobs)) != NULL) {
		TAILQ_REMOVE(&rl.jobs, j, entry);
		for (i = 0; i < j->m.nrcpt; i++)
			if (imsgev_compose(rl.net, IMSG_RELAY_RCPT, 0, -1,
			    &j->r[i], sizeof(j->r[i])) == -1)
				fatal("imsg to network");
		log_debug("relay uuid=%s domain=%s rcpts=%u", j->m.uuid,
		    j->m.domain, j->m.nrcpt);
		if (imsgev_compose(rl.net, IMSG_RELAY_MSG, 0, j->fd, &j->m,
		    sizeof(j->m)) == -1)
			fatal("imsg to network");
		free(j);
	}
}

void
relay_result(struct imsg *imsg)
{
	struct ipc_relay_result	 rr;
	struct ipc_mda_done	 d;

	memcpy(&rr, ipc_payload(imsg, sizeof(rr)), sizeof(rr));
	if (!ipc_check_str(rr.reason, sizeof(rr.reason)) ||
	    (rr.result != IPC_OK && rr.result != IPC_FAIL &&
	    rr.result != IPC_TEMPFAIL && rr.result != IPC_RELAY_HOLD))
		fatalx("network: bad RELAY_RESULT");
	memset(&d, 0, sizeof(d));
	d.id = rr.id;
	d.result = rr.result;
	(void)strlcpy(d.reason, rr.reason, sizeof(d.reason));
	sched_mda_done(&d);
}

void
relay_pin_check(struct imsg *imsg)
{
	struct ipc_pin_check	 pc;
	struct ipc_pin_result	 pr;

	memcpy(&pc, ipc_payload(imsg, sizeof(pc)), sizeof(pc));
	if (!ipc_check_str(pc.domain, sizeof(pc.domain)) ||
	    !imid_domain_valid(pc.domain))
		fatalx("network: bad PIN_CHECK");
	memset(&pr, 0, sizeof(pr));
	pr.reqid = pc.reqid;
	pr.state = pins_check(rl.pins, pc.domain, pc.spki);
	if (imsgev_compose(rl.net, IMSG_RELAY_PIN_RESULT, 0, -1, &pr,
	    sizeof(pr)) == -1)
		fatal("imsg to network");
}
