/*
 * immp-bench: load generator for immpd.  N sessions (one thread each)
 * connect, upgrade to TLS, authenticate once and deliver M messages of
 * S octets each; prints accepted/s, delivered/s (by watching the
 * recipient's Maildir new/ directory) and the p50/p99 acceptance
 * latency (DELIVER TO sent -> 273 read); with -A also the latency
 * from 273 to the file in the Maildir (for relay: the k-th arrival is
 * matched with the k-th 273, see README).  The rates count from the
 * moment every session is logged in; the login (Argon2id in each
 * client) is timed on its own.  See regress/bench/README.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <tls.h>

#include "bench_util.h"
#include "immp.h"

struct bench {
	const char	*host;
	const char	*port;
	const char	*account;
	const char	*password;
	const char	*cafile;
	const char	*servername;
	char		*rcpt;
	const char	*maildir_new;
	int		 insecure;
	int		 sessions;
	int		 messages;
	size_t		 size;
	pthread_barrier_t ready;	/* all sessions logged in (or failed) */
	/* -A: arrival times of the files in maildir_new */
	int		 arrival;
	int		 base;
	volatile int	 stop;
	double		*arrived;
	int		 narrived;
	int		 total;
};

struct worker {
	pthread_t	 thread;
	struct bench	*b;
	int		 index;
	double		*latency;	/* seconds, one per message */
	double		*acc_at;	/* time of each 273 (-A) */
	int		 accepted;
	int		 failed;
};

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	struct bench	*b = w->b;
	struct conn	 c;
	struct part	 part;
	char		 uuid[128], name[32];
	double		 t0;
	int		 i;

	if (conn_connect(&c, b->host, b->port, 0) != 0) {
		w->failed = b->messages;
		pthread_barrier_wait(&b->ready);
		return NULL;
	}
	if (conn_greeting(&c) != 0 ||
	    conn_upgrade(&c, b->servername, b->cafile, b->insecure) != 0 ||
	    auth_secret(&c, b->account, NULL, b->password,
	    strlen(b->password)) != 0) {
		w->failed = b->messages;
		conn_close(&c);
		pthread_barrier_wait(&b->ready);
		return NULL;
	}
	/* Messages start together, once every session is logged in. */
	pthread_barrier_wait(&b->ready);
	memset(&part, 0, sizeof(part));
	part.name = name;
	part.type = "text/plain";
	part.content = 1;
	part.len = b->size;
	if ((part.data = malloc(b->size)) == NULL)
		err(1, NULL);
	for (i = 0; i < b->messages; i++) {
		size_t	j;

		/* printable text, lines of 72 */
		for (j = 0; j < b->size; j++)
			part.data[j] = (j % 73 == 72) ? '\n' :
			    'a' + (int)((j + i + w->index) % 26);
		if (b->size > 0)
			part.data[b->size - 1] = '\n';
		snprintf(name, sizeof(name), "body-%d-%d.txt", w->index, i);
		t0 = bench_now();
		if (send_message(&c, &b->rcpt, 1, &part, 1, uuid,
		    sizeof(uuid)) != 0) {
			w->failed = b->messages - i;
			break;
		}
		w->acc_at[w->accepted] = bench_now();
		w->latency[w->accepted] = w->acc_at[w->accepted] - t0;
		w->accepted++;
	}
	free(part.data);
	if (w->failed == 0)
		(void)conn_cmd(&c, NULL, "QUIT");
	conn_close(&c);
	return NULL;
}

/* -A: notes when each new file shows up in maildir_new (5 ms polls). */
static void *
poller_run(void *arg)
{
	struct bench	*b = arg;
	int		 last = b->base, n;
	double		 t;

	for (;;) {
		n = bench_count_files(b->maildir_new);
		t = bench_now();
		while (last < n && b->narrived < b->total) {
			b->arrived[b->narrived++] = t;
			last++;
		}
		if (b->stop || b->narrived >= b->total)
			break;
		usleep(5000);
	}
	return NULL;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: immp-bench -H host:port -u account -t rcpt "
	    "[-P password-file] [-C cafile | -k]\n"
	    "                  [-S servername] [-n sessions] [-m messages] "
	    "[-s size] [-d maildir-new [-A]]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct bench	 b;
	struct bench_result r;
	struct worker	*w;
	double		*all, *accs, t0, t1;
	pthread_t	 poller;
	char		 hostbuf[256], pwbuf[1024], files[32], *colon;
	const char	*pwfile = NULL;
	FILE		*fp;
	int		 ch, i, j, base = 0, n;

	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	b.sessions = 8;
	b.messages = 250;
	b.size = 2048;
	while ((ch = getopt(argc, argv, "AC:d:H:km:n:P:s:S:t:u:")) != -1) {
		switch (ch) {
		case 'A':
			b.arrival = 1;
			break;
		case 'C':
			b.cafile = optarg;
			break;
		case 'd':
			b.maildir_new = optarg;
			break;
		case 'H':
			if (strlcpy(hostbuf, optarg, sizeof(hostbuf)) >=
			    sizeof(hostbuf))
				usage();
			b.host = hostbuf;
			break;
		case 'k':
			b.insecure = 1;
			break;
		case 'm':
			b.messages = atoi(optarg);
			break;
		case 'n':
			b.sessions = atoi(optarg);
			break;
		case 'P':
			pwfile = optarg;
			break;
		case 's':
			b.size = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			b.servername = optarg;
			break;
		case 't':
			b.rcpt = optarg;
			break;
		case 'u':
			b.account = optarg;
			break;
		default:
			usage();
		}
	}
	if (b.host == NULL || b.account == NULL || b.rcpt == NULL ||
	    strchr(b.account, '@') == NULL || b.sessions < 1 ||
	    b.messages < 1 || b.size < 1 || b.size > 64 * 1024 * 1024)
		usage();
	b.port = "1025";
	if ((colon = strrchr(hostbuf, ':')) != NULL) {
		*colon = '\0';
		b.port = colon + 1;
	}
	if (b.servername == NULL)
		b.servername = strchr(b.account, '@') + 1;
	if (pwfile != NULL) {
		if ((fp = fopen(pwfile, "r")) == NULL)
			err(1, "%s", pwfile);
		if (fgets(pwbuf, sizeof(pwbuf), fp) == NULL)
			errx(1, "%s: empty", pwfile);
		fclose(fp);
		pwbuf[strcspn(pwbuf, "\r\n")] = '\0';
		b.password = pwbuf;
	} else if ((b.password = getenv("IMMP_PASSWORD")) == NULL)
		errx(1, "no password: -P file or IMMP_PASSWORD");

	if (sodium_init() == -1 || tls_init() == -1)
		errx(1, "library initialisation failed");
	if (b.maildir_new != NULL)
		base = bench_count_files(b.maildir_new);
	if (b.arrival && b.maildir_new == NULL)
		usage();

	r.total = b.sessions * b.messages;
	if ((w = calloc(b.sessions, sizeof(*w))) == NULL ||
	    (all = calloc(r.total, sizeof(double))) == NULL ||
	    (accs = calloc(r.total, sizeof(double))) == NULL ||
	    (b.arrived = calloc(r.total, sizeof(double))) == NULL)
		err(1, NULL);
	b.base = base;
	b.total = r.total;
	if (pthread_barrier_init(&b.ready, NULL, b.sessions + 1) != 0)
		errx(1, "pthread_barrier_init failed");
	t0 = bench_now();
	for (i = 0; i < b.sessions; i++) {
		w[i].b = &b;
		w[i].index = i;
		w[i].latency = all + (size_t)i * b.messages;
		w[i].acc_at = accs + (size_t)i * b.messages;
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]) != 0)
			errx(1, "pthread_create failed");
	}
	pthread_barrier_wait(&b.ready);
	t1 = bench_now();
	if (b.arrival && pthread_create(&poller, NULL, poller_run, &b) != 0)
		errx(1, "pthread_create failed");
	for (i = 0; i < b.sessions; i++)
		pthread_join(w[i].thread, NULL);
	r.t_acc = bench_now() - t1;

	/* compact the latencies */
	for (i = 0, n = 0; i < b.sessions; i++) {
		for (j = 0; j < w[i].accepted; j++) {
			accs[n] = w[i].acc_at[j];
			all[n++] = w[i].latency[j];
		}
		r.accepted += w[i].accepted;
		r.failed += w[i].failed;
	}
	qsort(all, r.accepted, sizeof(double), bench_cmp_double);
	r.latency = all;
	bench_wait_delivered(&r, b.maildir_new, base, t1);
	if (b.arrival) {
		b.stop = 1;
		pthread_join(poller, NULL);
	}

	r.sessions = b.sessions;
	r.size = b.size;
	r.login_what = "connect, TLS, AUTH SECRET";
	r.t_login = t1 - t0;
	bench_report(&r);
	if (b.arrival && r.accepted > 0 && b.narrived > 0) {
		/* k-th 273 with the k-th arrival (FIFO approximation). */
		qsort(accs, r.accepted, sizeof(double), bench_cmp_double);
		n = b.narrived < r.accepted ? b.narrived : r.accepted;
		for (i = 0; i < n; i++)
			accs[i] = b.arrived[i] - accs[i];
		qsort(accs, n, sizeof(double), bench_cmp_double);
		snprintf(files, sizeof(files), " (%d files)", n);
		bench_percentiles("273->file  ", accs, n, files);
	}
	sodium_memzero(pwbuf, sizeof(pwbuf));
	free(accs);
	free(b.arrived);
	free(all);
	free(w);
	return (r.failed > 0 || (b.maildir_new != NULL &&
	    r.delivered < r.accepted)) ? 1 : 0;
}
