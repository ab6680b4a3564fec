/*
 * Copyright (c) 2026 The immpd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * KEY REQUEST in the network process (draft 6.1, DESIGN §5, immp(7)
 * KEY REQUEST).
 *
 *   C: KEY REQUEST <domain>
 *   S: 260 Public keys for <domain> (fingerprint <fp>):
 *   S: 261-key <gen> current <fp>
 *   S: 261-sign <gen> ed25519 <base64> <created> <not-after>
 *   S: 261-seal <gen> x25519 <base64> <created> <not-after>
 *   S: ...   (the next generation and the rollover signature, if any)
 *   S: 261 End of keys for <domain>.
 *
 * Valid in every state after TLS.  The network process only relays:
 * immp-lookup holds the public keys; no key, public or secret, is ever
 * read here.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "imid.h"
#include "ipc.h"
#include "keyfile.h"
#include "log.h"
#include "session.h"
#include "envelope_wire.h"

static void	 key_log(struct session *, const char *, const char *);

static void
key_log(struct session *s, const char *domain, const char *result)
{
	log_info("session key id=%016" PRIx64 " domain=%s result=%s", s->id,
	    domain, result);
}

void
key_cmd(struct session *s, const struct cmd *c)
{
	struct ipc_key_request	 req;
	const char		*w;
	size_t			 i, len;

	if (c->nwords != 3 || c->nswitch != 0 || !cmd_kw(c, 1, "REQUEST")) {
		session_reply(s, 400, 0, "Syntax: KEY REQUEST <domain>.");
		return;
	}
	w = c->word[2];
	len = strlen(w);
	memset(&req, 0, sizeof(req));
	if (len >= sizeof(req.domain) || !imid_domain_valid(w)) {
		session_reply(s, 400, 0, "Bad domain name.");
		return;
	}
	for (i = 0; i < len; i++)
		req.domain[i] = (w[i] >= 'A' && w[i] <= 'Z') ?
		    w[i] - 'A' + 'a' : w[i];
	if (!conf_is_local(&env->conf, req.domain)) {
		key_log(s, req.domain, "not-local");
		session_reply(s, 460, 0, "%s: not a domain of this server.",
		    req.domain);
		return;
	}
	req.reqid = session_reqid(s);
	net_compose(env->lookup, IMSG_LKA_KEY_REQUEST, &req, sizeof(req));
	session_wait(s, WAIT_KEY, req.reqid);
}

void
key_result(struct session *s, const struct ipc_key_result *r)
{
	char	 line[KEY_LINE_MAX], fp[KEY_FP_HEX];
	size_t	 i;
	int	 n;

	if (s->msg != NULL && s->msg->state == MSG_RCPT) {
		envin_keys(s, r);	/* DONE of a message: envelope_in.c */
		return;
	}
	switch (r->result) {
	case IPC_OK:
		break;
	case IPC_FAIL:
		key_log(s, r->domain, "no-keys");
		session_reply(s, 461, 0, "%s: no keys published.", r->domain);
		return;
	default:
		key_log(s, r->domain, "tempfail");
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	/* Every line is checked before the first one goes out. */
	for (i = 0; (n = keyview_line(r, i, line, sizeof(line))) == 1; i++)
		;
	if (n == -1 || r->ngen < 1 || r->gen[0].role != IPC_KEY_CURRENT) {
		log_warnx("session %016" PRIx64 ": malformed keys of %s from "
		    "lookup", s->id, r->domain);
		session_reply(s, 700, 0, "Internal error, try again later.");
		return;
	}
	key_fp_hex(r->gen[0].fp, fp);
	key_log(s, r->domain, "ok");
	session_reply(s, 260, 0, "Public keys for %s (fingerprint %s):",
	    r->domain, fp);
	for (i = 0; keyview_line(r, i, line, sizeof(line)) == 1; i++)
		session_reply(s, 261, 1, "%s", line);
	session_reply(s, 261, 0, "End of keys for %s.", r->domain);
}
