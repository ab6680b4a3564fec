/*
 * SET and SET GLOBAL (draft 5.4, 8.9, 8.9.1; immp(7) SET), literal
 * compression (immp(7) COMPRESSION) and admission limits (draft 3.10,
 * immp(7) BLOCKING) in the network process.
 *
 *   (common/setgram.c: the SET grammar and the value syntax)
 *   set.c        the SET command, the session's settings, the imsgs
 *                of ipc_set.h
 *   zlit.c       streaming gzip for literals, both ways (zlib)
 *   limit.c      connection and message rate limits, the peer block
 *                check at accept
 *   ratelimit.c  the fixed-window counters behind them
 */
#ifndef IMMPD_SET_H
#define IMMPD_SET_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "ipc_set.h"
#include "setgram.h"

struct session;
struct listener;
struct sockaddr;
struct imsg;

/*
 * set.c -- the session side (network process).
 */

/* set_cmd: "SET ..." in any state after TLS (immp(7) SET). */
void	 set_cmd(struct session *, const struct cmd *);

/*
 * set_load: after 210 (AUTH SECRET accepted), asks immp-lookup for the
 * account's stored settings; the session waits (WAIT_SET) so that no
 * command runs with the defaults.
 */
void	 set_load(struct session *);

/*
 * set_lookup_imsg: handles an IMSG_SET_* or IMSG_BLOCK_* answer from
 * immp-lookup (checked here; a malformed one is fatal).  Returns 1 if
 * it was one of those, else 0.
 */
int	 set_lookup_imsg(struct imsg *);

/*
 * set_notify: the notification preference of the session (SET_NOTIFY_*:
 * from SET NOTIFY, else the account's SET GLOBAL NOTIFY, else ALL).
 * For the code that sends unsolicited lines and pushes: a session with
 * SET_NOTIFY_NONE gets none, one with SET_NOTIFY_IMPORTANT only those
 * for +IMPORTANT messages and pushes.
 */
int	 set_notify(const struct session *);

/* set_compression: the session's COMPRESSION (SET_COMP_*). */
int	 set_compression(const struct session *);

/*
 * set_block_check: before a message to the local account rcpt is
 * accepted (message.c, after the recipient check), asks immp-lookup
 * whether the session's sender is blocked by a server table or by
 * rcpt's own list; the session waits (WAIT_BLOCK) and the answer goes
 * to msg_block_result.
 */
void	 set_block_check(struct session *, const char *rcpt,
	    const char *sender);

/*
 * zlit.c -- gzip literals (RFC 1952 via zlib).
 *
 * Inbound: a DATA literal of a session with COMPRESSION=GZIP is one gzip
 * member; it is inflated as it arrives, in pieces of at most
 * ZLIT_CHUNK octets, and never more than the limit given at creation
 * (max-message-size minus what the message holds): a decompression bomb
 * costs ZLIT_CHUNK octets of memory and ends with ZLIT_TOOBIG.
 */

#define ZLIT_CHUNK	16384

#define ZLIT_OK		0
#define ZLIT_BAD	(-1)	/* not gzip, corrupt, data after the end */
#define ZLIT_TOOBIG	(-2)	/* inflated size over the limit */
#define ZLIT_NOMEM	(-3)

struct zlit;

/*
 * zlit_inflate_new: an inflater for one gzip member whose output may
 * total at most limit octets.  NULL when out of memory.
 */
struct zlit	*zlit_inflate_new(uint64_t limit);

/*
 * zlit_inflate: feeds len octets of compressed input; every piece of
 * output (1..ZLIT_CHUNK octets) is handed to out(arg, buf, n) before
 * this returns.  If out returns non-zero, inflating stops and ZLIT_OK
 * is returned (the caller gave up on the part).  Returns ZLIT_OK,
 * ZLIT_BAD, ZLIT_TOOBIG or ZLIT_NOMEM; after an error the stream is
 * dead and further calls return the same error.
 */
int	 zlit_inflate(struct zlit *, const void *in, size_t len,
	    int (*out)(void *arg, const void *buf, size_t n), void *arg);

/*
 * zlit_inflate_end: ZLIT_OK if the member was complete (trailer and CRC
 * checked by zlib), else ZLIT_BAD or the earlier error.  Call once the
 * literal has ended; does not free.
 */
int	 zlit_inflate_end(struct zlit *);

/* zlit_inflated: octets of output so far. */
uint64_t zlit_inflated(const struct zlit *);

/*
 * Outbound (for literal writers such as MBOX FETCH, immp(7)
 * COMPRESSION): a deflater makes one gzip member out of the octets it
 * is given.  A literal's LENGTH is announced before its octets, so a
 * writer compresses the whole body first (into memory bounded by
 * zlit_deflate_bound) and announces the compressed length.
 *
 * zlit_deflate_new: a deflater (zlib level 6, gzip wrapper).  NULL when
 * out of memory.
 */
struct zlit	*zlit_deflate_new(void);

/*
 * zlit_deflate: compresses len octets of in and hands the compressed
 * output, in pieces of at most ZLIT_CHUNK octets, to out(arg, buf, n)
 * (a non-zero return stops and gives ZLIT_NOMEM).  With finish != 0
 * this is the last call: the gzip trailer is written too.  Returns
 * ZLIT_OK or ZLIT_NOMEM.
 */
int	 zlit_deflate(struct zlit *, const void *in, size_t len, int finish,
	    int (*out)(void *arg, const void *buf, size_t n), void *arg);

/*
 * zlit_deflate_bound: the most octets a gzip member of len input octets
 * can take (zlib's deflateBound plus the gzip header and trailer).
 */
uint64_t zlit_deflate_bound(uint64_t len);

/* zlit_free: frees an inflater or deflater (NULL allowed). */
void	 zlit_free(struct zlit *);

/*
 * limit.c -- draft 3.10 admission control in the network process.
 */

/*
 * limit_accept: a connection fd just accepted on listener l from sa.
 * Applies "limit connections" to the peer address (750 and close when
 * exceeded), then, if a "block networks" table is configured, asks
 * immp-lookup about the address and keeps fd until the answer (405 and
 * close if blocked); otherwise, or when allowed, hands it to
 * session_accept.  Takes ownership of fd in every case.
 */
void	 limit_accept(struct listener *l, int fd,
	    const struct sockaddr *sa);

/*
 * limit_peer_result: immp-lookup's answer to IMSG_BLOCK_PEER (called by
 * set_lookup_imsg).
 */
void	 limit_peer_result(const struct ipc_block_result *);

/*
 * limit_message: at DELIVER TO, counts one message for the session's
 * peer address and, in the Remote state, its authenticated domain.
 * 0, or -1 when "limit messages" or "limit domain-messages" is
 * exceeded (the caller answers 751; the domain's counter may have
 * counted the refused message).
 */
int	 limit_message(struct session *);

/*
 * ratelimit.c -- rate counters, one fixed window per key: at most max
 * events per per seconds.  Exposed for the unit tests.
 */
struct ratelimit;

/* ratelimit_new: an empty table of at most cap keys.  NULL: no memory. */
struct ratelimit *ratelimit_new(size_t cap);

/*
 * ratelimit_hit: counts one event for key (at most IPC_DOMAIN_MAX - 1
 * octets; longer keys are cut) at time now (seconds).  Returns 1 if it
 * is allowed (and counted), 0 if max events are already counted in the
 * current window of per seconds (not counted).  max == 0 allows
 * everything.  When the table is full and no window has ended, the
 * event is allowed without being counted (fail open: an attacker who
 * fills the table with many addresses gains nothing the max-sessions
 * limit does not already stop).
 */
int	 ratelimit_hit(struct ratelimit *, const char *key, uint32_t max,
	    uint32_t per, int64_t now);

/* ratelimit_free: frees the table (NULL allowed). */
void	 ratelimit_free(struct ratelimit *);

#endif
