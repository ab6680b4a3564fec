/*
 * fuzz_auth: the AUTH SECRET fields as the network process reads them
 * (immpd/auth.c, immp(7) AUTH SECRET, DESIGN §5): the input is one
 * command line, tokenized by cmd_parse_line, then run through
 * auth_secret (first octet even: no challenge pending) or auth_response
 * (odd: a challenge pending) of the real immpd/auth.c, with the session
 * stand-ins of fuzz_netstub.c.
 *
 * Properties: every call either answers exactly one 4xx and sends
 * nothing, or answers nothing, sends exactly one imsg and waits for its
 * answer under the request id it sent.  An AUTH_BEGIN carries an
 * account that is a canonical IMID account (it parses again as itself,
 * local@domain, NUL-terminated, no CR/LF) and a device that was the
 * fourth word; an AUTH_PROOF carries the c= nonce as given (16-48
 * base64-alphabet characters) and the 32 octets that p= decodes to.
 */

#include <string.h>

#include <sodium.h>

#include "imid.h"
#include "util.h"
#include "fuzz.h"
#include "fuzz_net.h"

static struct listener	 lst;

static int
nonce_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n < 16 || n > 48)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		    s[i] == '/' || s[i] == '='))
			return 0;
	return 1;
}

static void
check_begin(const struct cmd *c)
{
	struct ipc_auth_begin	 ab;
	struct imid		 id;
	const char		*err;
	char			 again[IPC_ACCOUNT_MAX];

	FUZZ_ASSERT(fuzz_net.type == IMSG_LKA_AUTH_BEGIN);
	FUZZ_ASSERT(fuzz_net.len == sizeof(ab));
	memcpy(&ab, fuzz_net.payload, sizeof(ab));
	FUZZ_ASSERT(ipc_check_str(ab.account, sizeof(ab.account)));
	FUZZ_ASSERT(ipc_check_str(ab.device, sizeof(ab.device)));
	FUZZ_ASSERT(strchr(ab.account, '@') != NULL);
	FUZZ_ASSERT(strpbrk(ab.account, "\r\n ") == NULL);
	/* canonical: parsing the account again gives itself */
	FUZZ_ASSERT(imid_parse(ab.account, &id, &err) == 0);
	FUZZ_ASSERT(imid_account(&id, again, sizeof(again)) == 0);
	FUZZ_ASSERT(strcmp(again, ab.account) == 0);
	if (c->nwords == 4)
		FUZZ_ASSERT(strcmp(ab.device, c->word[3]) == 0);
	else
		FUZZ_ASSERT(ab.device[0] == '\0');
	FUZZ_ASSERT(ab.reqid == fuzz_net.waitid);
	FUZZ_ASSERT(fuzz_net.wait == WAIT_AUTH_CHALLENGE);
}

static void
check_proof(const struct cmd *c)
{
	struct ipc_auth_proof	 ap;
	uint8_t			 proof[64];

	FUZZ_ASSERT(fuzz_net.type == IMSG_LKA_AUTH_PROOF);
	FUZZ_ASSERT(fuzz_net.len == sizeof(ap));
	memcpy(&ap, fuzz_net.payload, sizeof(ap));
	FUZZ_ASSERT(c->nwords == 4 && c->nswitch == 0);
	FUZZ_ASSERT(strncmp(c->word[2], "c=", 2) == 0);
	FUZZ_ASSERT(strncmp(c->word[3], "p=", 2) == 0);
	FUZZ_ASSERT(nonce_ok(c->word[2] + 2));
	FUZZ_ASSERT(strcmp(ap.cnonce, c->word[2] + 2) == 0);
	FUZZ_ASSERT(b64_decode(c->word[3] + 2, proof, sizeof(proof)) ==
	    (int)sizeof(ap.proof));
	FUZZ_ASSERT(memcmp(proof, ap.proof, sizeof(ap.proof)) == 0);
	FUZZ_ASSERT(memcmp(ap.cbind, lst.cbind, sizeof(ap.cbind)) == 0);
	FUZZ_ASSERT(fuzz_net.wait == WAIT_AUTH_RESULT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session	 s;
	static struct cmd	 cmds[CMD_MAXCMDS];
	static char		 line[CMD_MAXLINE + 2];
	const char		*err;
	size_t			 ncmds, len, i;
	int			 pending;

	if (size < 1 || size - 1 > CMD_MAXLINE)
		return 0;
	pending = data[0] & 1;
	len = size - 1;
	memcpy(line, data + 1, len);
	line[len] = '\0';
	if (cmd_parse_line(line, len, cmds, CMD_MAXCMDS, &ncmds, &err) == -1)
		return 0;
	for (i = 0; i < sizeof(lst.cbind); i++)
		lst.cbind[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < ncmds; i++) {
		memset(&s, 0, sizeof(s));
		s.listener = &lst;
		s.state = (data[0] & 2) ? STATE_LOCAL : STATE_UNAUTH;
		s.auth_pending = pending;
		(void)strlcpy(s.addr, "192.0.2.1", sizeof(s.addr));
		fuzz_net_reset();
		if (pending)
			auth_response(&s, &cmds[i]);
		else
			auth_secret(&s, &cmds[i]);
		/* one reply and nothing sent, or nothing said and one sent */
		FUZZ_ASSERT(fuzz_net.nreply + fuzz_net.ncompose == 1);
		if (fuzz_net.nreply == 1) {
			FUZZ_ASSERT(fuzz_net.code >= 400 &&
			    fuzz_net.code < 500);
			FUZZ_ASSERT(fuzz_net.wait == WAIT_NONE);
			continue;
		}
		FUZZ_ASSERT(s.state == STATE_UNAUTH);
		if (pending)
			check_proof(&cmds[i]);
		else
			check_begin(&cmds[i]);
		/* a challenge is good for one answer only */
		FUZZ_ASSERT(s.auth_pending == 0);
	}
	return 0;
}
