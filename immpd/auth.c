/*
 * AUTH SECRET in the network process (DESIGN §5, immp(7) AUTH SECRET).
 *
 *   C: AUTH SECRET <account> ["<device name>"]
 *   S: 302 Shared secret authentication request initiated.
 *   S: 303 n1=<b64> n2=<time> s=<salt b64> o=<ops> m=<mem> k=argon2id13
 *   C: AUTH RESPONSE c=<client nonce> p=<ClientProof b64>
 *   S: 210 Authentication accepted for <account> v=<ServerSignature b64>
 *
 * The network process only relays: immp-lookup holds the verifiers,
 * draws the challenge, checks the proof and throttles failures.  What
 * the network process adds is the channel binding (the SHA-256 of the
 * listener's certificate) and the single use of a challenge on its side.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "imid.h"
#include "ipc.h"
#include "log.h"
#include "session.h"
#include "set.h"
#include "util.h"

#define CNONCE_MIN	16
#define CNONCE_MAX	48

static int	 auth_account(const char *, char *, size_t);
static int	 auth_cnonce_valid(const char *);
static void	 auth_log(struct session *, const char *, const char *);

/* Canonical "local@domain" of a login name; -1 if it is not one. */
static int
auth_account(const char *word, char *buf, size_t size)
{
	struct imid	 id;
	const char	*errstr;

	if (strlen(word) >= IPC_ACCOUNT_MAX)
		return (-1);
	if (imid_parse(word, &id, &errstr) == -1)
		return (-1);
	if (id.shared[0] != '\0' || id.folder[0] != '\0' ||
	    id.mailbox[0] != '\0' || id.message[0] != '\0' ||
	    id.options[0] != '\0')
		return (-1);
	return (imid_account(&id, buf, size));
}

/* Client nonce: 16..48 characters of the base64 alphabet. */
static int
auth_cnonce_valid(const char *s)
{
	size_t	 len = strlen(s);

	if (len < CNONCE_MIN || len > CNONCE_MAX)
		return (0);
	return (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") == len);
}

static void
auth_log(struct session *s, const char *account, const char *result)
{
	log_info("session auth id=%016" PRIx64 " account=%s result=%s",
	    s->id, account, result);
}

void
auth_secret(struct session *s, const struct cmd *c)
{
	struct ipc_auth_begin	 ab;

	if (s->state == STATE_LOCAL || s->state == STATE_REMOTE) {
		session_reply(s, 402, 0, "Already authenticated.");
		return;
	}
	if (c->nwords < 3 || c->nwords > 4 || c->nswitch != 0) {
		session_reply(s, 400, 0,
		    "Syntax: AUTH SECRET <account> [\"<device>\"].");
		return;
	}
	memset(&ab, 0, sizeof(ab));
	if (auth_account(c->word[2], ab.account, sizeof(ab.account)) == -1) {
		session_reply(s, 400, 0, "Bad account name.");
		return;
	}
	if (c->nwords == 4 && strlcpy(ab.device, c->word[3],
	    sizeof(ab.device)) >= sizeof(ab.device)) {
		session_reply(s, 400, 0, "Device name too long.");
		return;
	}
	(void)strlcpy(ab.addr, s->addr, sizeof(ab.addr));

	/* A new AUTH SECRET replaces a challenge still pending. */
	s->auth_pending = 0;
	(void)strlcpy(s->auth_account, ab.account, sizeof(s->auth_account));
	ab.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_LKA_AUTH_BEGIN, &ab, sizeof(ab));
	session_wait(s, WAIT_AUTH_CHALLENGE, ab.reqid);
}

void
auth_challenge(struct session *s, const struct ipc_auth_challenge *ch)
{
	char	 salt[sodium_base64_ENCODED_LEN(sizeof(ch->salt),
		    sodium_base64_VARIANT_ORIGINAL)];

	switch (ch->result) {
	case IPC_OK:
		break;
	case IPC_THROTTLED:
		auth_log(s, s->auth_account, "throttled");
		session_reply(s, 710, 0,
		    "Too many failed authentications, try again later.");
		return;
	default:
		auth_log(s, s->auth_account, "tempfail");
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	sodium_bin2base64(salt, sizeof(salt), ch->salt, sizeof(ch->salt),
	    sodium_base64_VARIANT_ORIGINAL);
	s->auth_pending = 1;
	s->auth_reqid = ch->reqid;
	session_reply(s, 302, 0,
	    "Shared secret authentication request initiated.");
	session_reply(s, 303, 0, "n1=%s n2=%" PRIu64 " s=%s o=%" PRIu64
	    " m=%" PRIu64 " k=argon2id13", ch->n1, ch->n2, salt,
	    ch->opslimit, ch->memlimit);
}

void
auth_response(struct session *s, const struct cmd *c)
{
	struct ipc_auth_proof	 ap;
	const char		*cn, *pr;

	if (s->state == STATE_LOCAL || s->state == STATE_REMOTE) {
		session_reply(s, 402, 0, "Already authenticated.");
		return;
	}
	if (!s->auth_pending) {
		session_reply(s, 411, 0, "No authentication in progress.");
		return;
	}
	/* A challenge is good for one answer, whatever the answer is. */
	s->auth_pending = 0;

	memset(&ap, 0, sizeof(ap));
	if (c->nwords != 4 || c->nswitch != 0 ||
	    strncmp(c->word[2], "c=", 2) != 0 ||
	    strncmp(c->word[3], "p=", 2) != 0) {
		session_reply(s, 400, 0,
		    "Syntax: AUTH RESPONSE c=<nonce> p=<proof>.");
		return;
	}
	cn = c->word[2] + 2;
	pr = c->word[3] + 2;
	if (!auth_cnonce_valid(cn) ||
	    b64_decode(pr, ap.proof, sizeof(ap.proof)) != sizeof(ap.proof)) {
		session_reply(s, 400, 0,
		    "Syntax: AUTH RESPONSE c=<nonce> p=<proof>.");
		return;
	}
	(void)strlcpy(ap.cnonce, cn, sizeof(ap.cnonce));
	memcpy(ap.cbind, s->listener->cbind, sizeof(ap.cbind));
	ap.reqid = s->auth_reqid;
	net_compose(env->lookup, IMSG_LKA_AUTH_PROOF, &ap, sizeof(ap));
	session_wait(s, WAIT_AUTH_RESULT, ap.reqid);
}

void
auth_result(struct session *s, const struct ipc_auth_result *ar)
{
	char	 sig[sodium_base64_ENCODED_LEN(sizeof(ar->server_sig),
		    sodium_base64_VARIANT_ORIGINAL)];

	switch (ar->result) {
	case IPC_OK:
		break;
	case IPC_FAIL:
		auth_log(s, s->auth_account, "fail");
		session_reply(s, 410, 0, "Authentication failed.");
		return;
	case IPC_THROTTLED:
		auth_log(s, s->auth_account, "throttled");
		session_reply(s, 710, 0,
		    "Too many failed authentications, try again later.");
		return;
	default:
		auth_log(s, s->auth_account, "tempfail");
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	sodium_bin2base64(sig, sizeof(sig), ar->server_sig,
	    sizeof(ar->server_sig), sodium_base64_VARIANT_ORIGINAL);
	(void)strlcpy(s->account, ar->account, sizeof(s->account));
	s->state = STATE_LOCAL;
	auth_log(s, s->account, "ok");
	session_reply(s, 210, 0, "Authentication accepted for %s v=%s",
	    s->account, sig);
	set_load(s);	/* SET GLOBAL values (set.c) */
}
