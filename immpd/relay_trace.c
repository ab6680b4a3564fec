/*
 * The relay trace in the network process (draft 5.1, immp(7) RELAY;
 * format in trace.h).  A remote domain may send the hops so far as a
 * DATA part of type application/x-immp-trace; it is checked for loops
 * (too many hops, or one of our domains already in it), kept aside,
 * and written back at DONE with our own hop as the last spool part.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "ipc.h"
#include "log.h"
#include "session.h"
#include "spool.h"
#include "trace.h"

void
trace_part_end(struct session *s)
{
	struct part		*p = &s->part;
	struct message		*m = s->msg;
	struct trace_hop	*hops;
	const char		*err;
	int			 n, i;

	if ((hops = calloc(TRACE_MAX_HOPS, sizeof(*hops))) == NULL) {
		session_replyid(s, p->id, 700, 0,
		    "Internal error, try again later.");
		return;
	}
	if (m->trace != NULL) {
		session_replyid(s, p->id, 434, 0,
		    "Bad metadata part: more than one trace.");
		goto done;
	}
	if (trace_parse(p->metabuf, p->metalen, hops, TRACE_MAX_HOPS - 1,
	    &n, &err) == -1) {
		if (strcmp(err, "too many hops") == 0)
			goto loop;
		session_replyid(s, p->id, 434, 0, "Bad metadata part: %s.",
		    err);
		goto done;
	}
	for (i = 0; i < n; i++)
		if (conf_is_local(&env->conf, hops[i].from) ||
		    conf_is_local(&env->conf, hops[i].via))
			goto loop;
	if ((m->trace = malloc(p->metalen)) == NULL) {
		session_replyid(s, p->id, 700, 0,
		    "Internal error, try again later.");
		goto done;
	}
	memcpy(m->trace, p->metabuf, p->metalen);
	m->tracelen = p->metalen;
	session_replyid(s, p->id, 272, 0, "%s Part saved (%zu octets).",
	    p->name, p->metalen);
	goto done;
 loop:
	log_warnx("relay loop id=%016" PRIx64 " from=%s uuid=%s: message "
	    "refused", s->id, s->remote, m->uuid);
	session_replyid(s, p->id, 435, 0, "Mail loop detected, message "
	    "refused.");
	msg_free(s);
 done:
	free(hops);
}

int
trace_finish(struct session *s)
{
	struct message		*m = s->msg;
	struct trace_hop	 h;
	char			 line[2 * TRACE_DOMAIN_MAX + TRACE_ADDR_MAX +
				    64];
	int			 n;

	memset(&h, 0, sizeof(h));
	(void)strlcpy(h.from, s->remote, sizeof(h.from));
	(void)strlcpy(h.addr, s->addr, sizeof(h.addr));
	(void)strlcpy(h.via, TAILQ_FIRST(&env->conf.domains)->name,
	    sizeof(h.via));
	h.at = time(NULL);
	if ((n = trace_hop_format(&h, line, sizeof(line))) == -1 ||
	    spool_w_begin(&m->sw, TRACE_TYPE, "trace", 0) == -1 ||
	    (m->trace != NULL && spool_w_data(&m->sw, m->trace,
	    m->tracelen) == -1) ||
	    spool_w_data(&m->sw, line, n) == -1 ||
	    spool_w_end(&m->sw) == -1) {
		log_warn("spool %s: trace", m->uuid);
		return (-1);
	}
	return (0);
}
