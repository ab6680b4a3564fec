/*
 * Stand-ins for the network process around immpd/auth.c and
 * immpd/message.c, so that fuzz_auth and fuzz_data run their parsers
 * without sockets, TLS or peers: replies, imsgs, waits and input-mode
 * changes are recorded in fuzz_net (fuzz_net.h) for the target to check.
 * A new external call in those two files needs a stand-in here.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_net.h"
#include "ipc_set.h"
#include "set.h"

static struct netenv	 fake_env;
struct netenv		*env = &fake_env;
struct fuzz_net		 fuzz_net;

void
fuzz_net_reset(void)
{
	memset(&fuzz_net, 0, sizeof(fuzz_net));
	memset(&fake_env, 0, sizeof(fake_env));
	fuzz_net.last_cmd = 1;
}

void
net_compose(struct imsgev *ch, uint32_t type, const void *data, size_t len)
{
	fuzz_net.ncompose++;
	fuzz_net.type = type;
	fuzz_net.len = len;
	if (len <= sizeof(fuzz_net.payload))
		memcpy(fuzz_net.payload, data, len);
}

static void
record(int code, const char *fmt, va_list ap)
{
	fuzz_net.nreply++;
	fuzz_net.code = code;
	(void)vsnprintf(fuzz_net.text, sizeof(fuzz_net.text), fmt, ap);
}

void
session_reply(struct session *s, int code, int more, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	record(code, fmt, ap);
	va_end(ap);
}

void
session_replyid(struct session *s, const char *id, int code, int more,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	record(code, fmt, ap);
	va_end(ap);
}

void
session_close(struct session *s, const char *reason)
{
	s->closing = 1;
	fuzz_net.closed++;
}

uint64_t
session_reqid(struct session *s)
{
	return ++fuzz_net.reqid;
}

void
session_wait(struct session *s, enum session_wait what, uint64_t reqid)
{
	fuzz_net.wait = what;
	fuzz_net.waitid = reqid;
}

void
session_literal(struct session *s, uint64_t n)
{
	fuzz_net.input = IN_LITERAL;
	fuzz_net.litlen = n;
}

void
session_b64lines(struct session *s)
{
	fuzz_net.input = IN_B64LINES;
}

int
session_last_cmd(struct session *s)
{
	return fuzz_net.last_cmd;
}

void
session_skip_rest(struct session *s)
{
	fuzz_net.skipped++;
}

void
trace_part_end(struct session *s)
{
	session_replyid(s, s->part.id, 272, 0, "trace");
}

int
trace_finish(struct session *s)
{
	return 0;
}

void
set_load(struct session *s)
{
}

int
set_compression(const struct session *s)
{
	return fuzz_net.gzip ? SET_COMP_GZIP : SET_COMP_NONE;
}

void
set_block_check(struct session *s, const char *rcpt, const char *sender)
{
	fuzz_net.ncompose++;
}

int
limit_message(struct session *s)
{
	return 0;
}

/*
 * Envelope messages (immpd/envelope_in.c) exist only in the Remote
 * state, which the fuzzed sessions never reach: an envelope part is
 * refused as envin_data refuses one outside an envelope message.
 */
void
envin_deliver(struct session *s, const char *domain)
{
	session_reply(s, 422, 0, "Relaying denied.");
}

int
envin_data(struct session *s)
{
	session_reply(s, 434, 0, "No envelope message.");
	return -1;
}

int
envin_store(struct session *s, const void *buf, size_t len)
{
	return 0;
}

void
envin_envelope_end(struct session *s)
{
}

void
envin_part_done(struct session *s)
{
}

void
envin_done(struct session *s)
{
}

void
envin_require(struct session *s)
{
}

int
envin_record(struct session *s)
{
	return 0;
}

void
envin_free(struct envin *e)
{
}
