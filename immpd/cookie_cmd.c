/*
 * AUTH COOKIE and AUTH VERIFY in the network process (DESIGN §5,
 * immp(7) AUTH COOKIE; modelled on XMPP server dialback, XEP-0220).
 *
 *   C: AUTH COOKIE <issuer> <cookie>
 *   S: 301 Cookie authentication initiated, calling <issuer> back.
 *      (we connect to <issuer>'s server over TLS and send
 *       AS <tag> AUTH VERIFY <us> <issuer> <our 101 nonce> <cookie>)
 *   S: 210 Authentication accepted for mailer-daemon@<issuer>
 *   or 413 Cookie authentication failed. (and the session closes)
 *
 * The receiver and the nonce of the call-back are ours (the first
 * domain, which the 101 names, and this session's nonce), never taken
 * from the client: a cookie made for another receiver or another
 * session does not verify.  AUTH VERIFY is answered by immp-lookup,
 * which holds the domain secret.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "imid.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "log.h"
#include "outbound.h"
#include "session.h"
#include "util.h"

/* Our domain as the 101 names it (session.c session_domain). */
static const char *
our_domain(void)
{
	return (TAILQ_FIRST(&env->conf.domains)->name);
}

void
auth_cookie(struct session *s, const struct cmd *c)
{
	char		 issuer[IPC_DOMAIN_MAX];
	uint8_t		 cookie[IPC_COOKIE_LEN];
	const char	*err;
	uint64_t	 reqid;

	if (s->state != STATE_UNAUTH) {
		session_reply(s, 402, 0, "Already authenticated.");
		return;
	}
	if (c->nwords != 4 || c->nswitch != 0) {
		session_reply(s, 400, 0,
		    "Syntax: AUTH COOKIE <issuer> <cookie>.");
		return;
	}
	if (cookie_args_parse(c->word[2], c->word[3], issuer, cookie,
	    &err) == -1) {
		session_reply(s, 400, 0, "Syntax: AUTH COOKIE: %s.", err);
		return;
	}
	if (conf_is_local(&env->conf, issuer)) {
		log_info("session auth id=%016" PRIx64 " cookie issuer=%s "
		    "result=refused-local", s->id, issuer);
		session_reply(s, 413, 0, "Cookie authentication failed.");
		session_close(s, "cookie-refused");
		return;
	}
	(void)strlcpy(s->remote, issuer, sizeof(s->remote));
	session_reply(s, 301, 0, "Cookie authentication initiated, "
	    "calling %s back.", issuer);
	reqid = session_reqid(s);
	session_wait(s, WAIT_COOKIE, reqid);
	outbound_callback(reqid, our_domain(), issuer, s->nonce, cookie);
	sodium_memzero(cookie, sizeof(cookie));
}

void
cookie_callback_done(uint64_t reqid, int result)
{
	struct session	*s;

	if ((s = session_byreq(reqid)) == NULL || s->wait != WAIT_COOKIE ||
	    s->reqid != reqid)
		return;
	s->wait = WAIT_NONE;
	log_info("session auth id=%016" PRIx64 " cookie issuer=%s result=%s",
	    s->id, s->remote, result == IPC_OK ? "ok" : "fail");
	if (result == IPC_OK) {
		s->state = STATE_REMOTE;
		session_reply(s, 210, 0, "Authentication accepted for "
		    "mailer-daemon@%s", s->remote);
	} else {
		s->remote[0] = '\0';
		session_reply(s, 413, 0, "Cookie authentication failed.");
		session_close(s, "cookie-failed");
	}
	session_kick(s);
}

void
auth_verify(struct session *s, const struct cmd *c)
{
	struct ipc_cookie	 ck;
	const char		*err;
	char			 issuer[IPC_DOMAIN_MAX];
	size_t			 len;

	if (c->nwords != 6 || c->nswitch != 0) {
		session_reply(s, 400, 0, "Syntax: AUTH VERIFY <receiver> "
		    "<issuer> <nonce> <cookie>.");
		return;
	}
	memset(&ck, 0, sizeof(ck));
	len = strlen(c->word[4]);
	if (cookie_args_parse(c->word[2], c->word[5], ck.receiver, ck.cookie,
	    &err) == -1 || cookie_args_parse(c->word[3], c->word[5], issuer,
	    ck.cookie, &err) == -1) {
		session_reply(s, 400, 0, "Syntax: AUTH VERIFY: %s.", err);
		return;
	}
	if (len == 0 || len >= sizeof(ck.nonce) || strspn(c->word[4],
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != len) {
		session_reply(s, 400, 0, "Syntax: AUTH VERIFY: bad nonce.");
		return;
	}
	(void)strlcpy(ck.issuer, issuer, sizeof(ck.issuer));
	(void)strlcpy(ck.nonce, c->word[4], sizeof(ck.nonce));
	ck.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_RELAY_COOKIE_CHECK, &ck, sizeof(ck));
	session_wait(s, WAIT_VERIFY, ck.reqid);
}

void
auth_verify_result(struct session *s, int result)
{
	if (result == IPC_OK)
		session_reply(s, 211, 0, "Cookie valid.");
	else
		session_reply(s, 412, 0, "Cookie invalid.");
}
