/*
 * Outbound IMMP sessions of the network process (DESIGN §3-5, immp(7)
 * RELAY, AUTH COOKIE): relay of queued messages to other domains, and
 * the call-back connection that verifies an AUTH COOKIE we received.
 *
 *   connect, greeting (101 d= i=), UPGRADE TLS, handshake, pin check
 *   (immp-lookup), then
 *   relay:     AUTH COOKIE <issuer> <cookie>  -> 301, 210
 *              DELIVER TO ... [FROM <sender>] -> 270
 *              DATA ... LENGTH n, n octets     -> 271, 272 (per part)
 *              DONE                            -> 273
 *              (several messages per connection, then QUIT)
 *   call-back: AS <tag> AUTH VERIFY <receiver> <issuer> <nonce> <cookie>
 *              -> <tag>: 211 (valid) or 4xx (invalid), QUIT
 */
#ifndef IMMPD_OUTBOUND_H
#define IMMPD_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

struct imsg;

#define OB_STEP_TIMEOUT		60	/* seconds per relay step */
#define OB_CALLBACK_TIMEOUT	10	/* seconds for a whole call-back */
#define OB_IDLE_TIMEOUT		5	/* seconds a relay session waits */

/*
 * outbound_init: the TLS client configurations (certificate authorities
 * of "tls ca" or the system store are read here: call before the
 * sandbox).  Fatal on error.
 */
void	 outbound_init(void);

/* outbound_shutdown: closes every outbound session (process exit). */
void	 outbound_shutdown(void);

/*
 * outbound_queue_imsg: handles IMSG_RELAY_RCPT, IMSG_RELAY_MSG (with
 * the spool file descriptor, owned from here) and IMSG_RELAY_PIN_RESULT
 * from immp-queue; 1 if imsg was one of them, else 0.  Malformed
 * payloads are fatal.
 */
int	 outbound_queue_imsg(struct imsg *imsg);

/*
 * outbound_lookup_imsg: handles IMSG_RELAY_ROUTE_RESULT and
 * IMSG_RELAY_COOKIE from immp-lookup; 1 if it was one of them, else 0.
 */
int	 outbound_lookup_imsg(struct imsg *imsg);

/*
 * outbound_line: queues one server-to-server command line (no literal;
 * immp(7) SUBSCRIBE between domains) for domain, sent over an AUTH
 * COOKIE session issued for our domain issuer like a relayed message.
 * Its final reply (3xx skipped) goes to subscribe_line_done(reqid, code,
 * text) exactly once, never before this function returns; a failure to
 * reach the domain gives code 0 and the reason.  reqid 0: no answer
 * wanted (subscribe_line_done ignores it).
 */
void	 outbound_line(const char *domain, const char *issuer,
	    const char *line, uint64_t reqid);

/*
 * outbound_env_made: IMSG_ENV_MADE from immp-lookup (ipc_env.h), with
 * its memfd (closed here): the envelope of the message the outbound
 * session waits for is sent (DELIVER TO <domain>, the envelope part,
 * the parts); without keys of our own the message goes without one.
 * Draft 5.1, 8.3; immp(7) RELAY.
 */
void	 outbound_env_made(struct imsg *imsg);

/*
 * outbound_callback: starts the call-back for an AUTH COOKIE received
 * by the session that owns reqid: connects to issuer's server and asks
 * it to verify cookie[32] for receiver and nonce.  The answer goes to
 * cookie_callback_done(reqid, IPC_OK or IPC_FAIL) exactly once, never
 * before this function returns.
 */

void	 outbound_callback(uint64_t reqid, const char *receiver,
	    const char *issuer, const char *nonce, const uint8_t *cookie);

/*
 * outbound_spki: SHA-256 of the DER SubjectPublicKeyInfo of the first
 * certificate in pem[0..len) into out[32] (draft 3.5 pin).  0, or -1 if
 * no certificate can be read.
 */
int	 outbound_spki(const uint8_t *pem, size_t len, uint8_t *out);

/*
 * outbound_greeting_parse: the "d=" and "i=" values of a 101 reply text
 * (after the code), into domain[IPC_DOMAIN_MAX] and nonce[IPC_NONCE_MAX].
 * The domain must pass imid_domain_valid, the nonce be 1..63 base64
 * characters.  0, or -1 if either is missing or bad.
 */
int	 outbound_greeting_parse(const char *text, char *domain, char *nonce);

#endif
