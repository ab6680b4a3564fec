/*
 * The relay trace (draft 5.1 received-from / received-via; immp(7)
 * RELAY): one line per hop, kept in the spool file as the last part,
 * of type TRACE_TYPE, which only a remote domain may send and which the
 * receiving server replaces with the list plus its own hop.
 *
 *   trace = 1*hop
 *   hop   = "hop from=" domain " addr=" addr " via=" domain
 *           " at=" 1*20DIGIT LF
 * domain per imid_domain_valid (lower case), addr 1..63 of
 * [0-9A-Fa-f.:], at Unix seconds.  Nothing else is accepted.
 */
#ifndef IMMP_TRACE_H
#define IMMP_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_TYPE	"application/x-immp-trace"
#define TRACE_MAX_HOPS	16	/* more is a loop */
#define TRACE_MAX	8192	/* octets of a trace part */
#define TRACE_DOMAIN_MAX 256
#define TRACE_ADDR_MAX	64

struct spool_part;

struct trace_hop {
	char	from[TRACE_DOMAIN_MAX];
	char	addr[TRACE_ADDR_MAX];
	char	via[TRACE_DOMAIN_MAX];
	int64_t	at;
};

/*
 * trace_parse: parses buf[0..len) (grammar above) into hops[0..*nhops),
 * at most maxhops.  Returns 0, or -1 with *err a short static reason
 * (malformed, or more than maxhops hops: "too many hops").
 */
int	 trace_parse(const void *buf, size_t len, struct trace_hop *hops,
	    int maxhops, int *nhops, const char **err);

/*
 * trace_hop_format: one hop line (with LF) into buf (size octets).
 * Returns its length, or -1 if a field is invalid or it does not fit.
 */
int	 trace_hop_format(const struct trace_hop *hop, char *buf, size_t size);

/*
 * trace_write_headers: reads the trace part p of the spool file on fd
 * (pread) and writes one "IMMP-Trace: received-from=<from> (<addr>);
 * received-via=<via>; <RFC 5322 date>" header line per hop to out,
 * oldest first.  0, or -1 with errno (EBADMSG: malformed part).
 */
int	 trace_write_headers(int fd, const struct spool_part *p, FILE *out);

#endif
