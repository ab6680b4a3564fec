/* The relay trace (trace.h, draft 5.1). */

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imid.h"
#include "spool.h"
#include "trace.h"
#include "util.h"

/* Copies the field "key=value" at *p up to the next SP or LF. */
static int
field(const char **p, const char *end, const char *key, char *out,
    size_t size)
{
	size_t	klen = strlen(key), n = 0;

	if ((size_t)(end - *p) < klen || memcmp(*p, key, klen) != 0)
		return (-1);
	*p += klen;
	while (*p < end && **p != ' ' && **p != '\n') {
		if (n + 1 >= size)
			return (-1);
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	return (n == 0 ? -1 : 0);
}

static int
addr_valid(const char *s)
{
	size_t	len = strlen(s);

	return (len > 0 && len < TRACE_ADDR_MAX &&
	    strspn(s, "0123456789abcdefABCDEF.:") == len);
}

static int
domain_lower_valid(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			return (0);
	return (imid_domain_valid(s));
}

int
trace_parse(const void *buf, size_t len, struct trace_hop *hops,
    int maxhops, int *nhops, const char **err)
{
	const char	*p = buf, *end = p + len;
	char		 num[24];
	uint64_t	 v;
	size_t		 i;

	*nhops = 0;
	if (len == 0 || len > TRACE_MAX) {
		*err = "bad trace size";
		return (-1);
	}
	while (p < end) {
		struct trace_hop	h;

		if (*nhops >= maxhops) {
			*err = "too many hops";
			return (-1);
		}
		memset(&h, 0, sizeof(h));
		if ((size_t)(end - p) < 4 || memcmp(p, "hop ", 4) != 0)
			goto bad;
		p += 4;
		if (field(&p, end, "from=", h.from, sizeof(h.from)) == -1 ||
		    p >= end || *p++ != ' ' ||
		    field(&p, end, "addr=", h.addr, sizeof(h.addr)) == -1 ||
		    p >= end || *p++ != ' ' ||
		    field(&p, end, "via=", h.via, sizeof(h.via)) == -1 ||
		    p >= end || *p++ != ' ' ||
		    field(&p, end, "at=", num, sizeof(num)) == -1 ||
		    p >= end || *p++ != '\n')
			goto bad;
		if (!domain_lower_valid(h.from) || !domain_lower_valid(h.via) ||
		    !addr_valid(h.addr) || strlen(num) > 20)
			goto bad;
		for (i = 0, v = 0; num[i] != '\0'; i++) {
			if (num[i] < '0' || num[i] > '9' ||
			    v > ((uint64_t)INT64_MAX - (num[i] - '0')) / 10)
				goto bad;
			v = v * 10 + (num[i] - '0');
		}
		h.at = (int64_t)v;
		hops[(*nhops)++] = h;
	}
	return (0);
 bad:
	*err = "malformed trace";
	return (-1);
}

int
trace_hop_format(const struct trace_hop *h, char *buf, size_t size)
{
	int	n;

	if (!domain_lower_valid(h->from) || !domain_lower_valid(h->via) ||
	    !addr_valid(h->addr) || h->at < 0)
		return (-1);
	n = snprintf(buf, size, "hop from=%s addr=%s via=%s at=%" PRId64
	    "\n", h->from, h->addr, h->via, h->at);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (n);
}

int
trace_write_headers(int fd, const struct spool_part *p, FILE *out)
{
	struct trace_hop	*hops;
	char			*buf, date[64];
	const char		*err;
	struct tm		 tm;
	time_t			 t;
	int			 n, i, rv = -1;

	if (p->length == 0 || p->length > TRACE_MAX) {
		errno = EBADMSG;
		return (-1);
	}
	if ((buf = malloc(p->length)) == NULL ||
	    (hops = calloc(TRACE_MAX_HOPS, sizeof(*hops))) == NULL) {
		free(buf);
		return (-1);
	}
	if (pread_full(fd, p->offset, buf, p->length) == -1)
		goto done;
	if (trace_parse(buf, p->length, hops, TRACE_MAX_HOPS, &n,
	    &err) == -1) {
		errno = EBADMSG;
		goto done;
	}
	for (i = 0; i < n; i++) {
		t = (time_t)hops[i].at;
		if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date),
		    "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
			(void)strlcpy(date, "?", sizeof(date));
		fprintf(out, "IMMP-Trace: received-from=%s (%s);\n"
		    "\treceived-via=%s; %s\n", hops[i].from, hops[i].addr,
		    hops[i].via, date);
	}
	rv = 0;
 done:
	free(buf);
	free(hops);
	return (rv);
}
