/* Shared parts of the load generators; see bench_util.h. */

#include <sys/types.h>

#include <dirent.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
bench_count_files(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
bench_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
bench_wait_delivered(struct bench_result *r, const char *dir, int base,
    double t1)
{
	double	wait_until;

	if (dir == NULL)
		return;
	r->watched = 1;
	if (r->accepted == 0)
		return;
	wait_until = bench_now() + 60 + r->accepted / 50.0;
	for (;;) {
		r->delivered = bench_count_files(dir) - base;
		if (r->delivered >= r->accepted || bench_now() > wait_until)
			break;
		usleep(20000);
	}
	r->t_del = bench_now() - t1;
}

void
bench_percentiles(const char *label, const double *v, int n,
    const char *suffix)
{
	printf("%s p50 %.1f ms, p99 %.1f ms, max %.1f ms%s\n", label,
	    v[(n - 1) / 2] * 1e3, v[(size_t)((n - 1) * 0.99)] * 1e3,
	    v[n - 1] * 1e3, suffix);
}

void
bench_report(const struct bench_result *r)
{
	printf("sessions %d, messages %d x %zu octets, accepted %d, "
	    "failed %d\n", r->sessions, r->total, r->size, r->accepted,
	    r->failed);
	printf("login       %.2f s  (%s)\n", r->t_login, r->login_what);
	printf("accepted/s  %.1f  (%.2f s; %.1f/s counting the login)\n",
	    r->accepted / r->t_acc, r->t_acc,
	    r->accepted / (r->t_acc + r->t_login));
	if (r->watched)
		printf("delivered/s %.1f  (%d of %d in %.2f s; %.1f/s counting "
		    "the login)\n", r->delivered / r->t_del, r->delivered,
		    r->accepted, r->t_del,
		    r->delivered / (r->t_del + r->t_login));
	if (r->accepted > 0)
		bench_percentiles("latency", r->latency, r->accepted, "");
}
