/*
 * What immp-bench and smtp-bench share: the clock, counting the files
 * of a Maildir new/ directory, waiting for the deliveries and the
 * lines of the report that both print (regress/bench/README).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

/* bench_now: CLOCK_MONOTONIC in seconds. */
double	 bench_now(void);

/*
 * bench_count_files: the number of entries of dir whose names do not
 * start with "."; 0 if dir cannot be opened.
 */
int	 bench_count_files(const char *dir);

/* bench_cmp_double: qsort(3) comparison of two doubles, ascending. */
int	 bench_cmp_double(const void *, const void *);

/* The outcome of one run, for bench_report. */
struct bench_result {
	int		 sessions;
	int		 total;		/* messages tried */
	size_t		 size;		/* octets per message */
	int		 accepted;
	int		 failed;
	const char	*login_what;	/* what the login covers */
	double		 t_login;	/* s until all logged in */
	double		 t_acc;		/* s from then to last ack */
	int		 watched;	/* a Maildir was watched (-d) */
	int		 delivered;
	double		 t_del;		/* s until the last file */
	const double	*latency;	/* accepted ones, sorted, s */
};

/*
 * bench_wait_delivered: with dir NULL (no -d) nothing.  Else marks r
 * watched and, if r->accepted > 0, polls dir (20 ms) until it holds
 * r->accepted files more than base, or 60 s plus 20 ms per message have
 * passed; then sets r->delivered (new files seen last) and r->t_del
 * (seconds since t1, bench_now() when all sessions were logged in).
 */
void	 bench_wait_delivered(struct bench_result *r, const char *dir,
	    int base, double t1);

/*
 * bench_report: prints the summary, accepted/s, delivered/s (when
 * watched) and latency lines of r on stdout, in the format that
 * regress/bench/compare reads.
 */
void	 bench_report(const struct bench_result *r);

/*
 * bench_percentiles: prints "<label> p50 X ms, p99 Y ms, max Z ms" for
 * the n > 0 sorted values v (seconds), then suffix and a newline.
 */
void	 bench_percentiles(const char *label, const double *v, int n,
	    const char *suffix);

#endif
