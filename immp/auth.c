/*
 * immp(1) AUTH SECRET client (immp(7) AUTH SECRET, DESIGN §5).
 *
 *   C: AUTH SECRET <account> ["<device>"]
 *   S: 302 ...
 *   S: 303 n1=<b64> n2=<time> s=<salt b64> o=<ops> m=<mem> k=argon2id13
 *   C: AUTH RESPONSE c=<cnonce> p=<ClientProof b64>
 *   S: 210 Authentication accepted for <account> v=<ServerSignature b64>
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "imid.h"
#include "immp.h"
#include "ipc.h"
#include "scram.h"
#include "util.h"

#define AUTH_MEMLIMIT_MAX	(1024ULL * 1024 * 1024)	/* 1 GiB */
/* A server may not make the client spin for minutes on Argon2id. */
#define AUTH_OPSLIMIT_MAX	32
#define AUTH_CNONCE_LEN		24	/* random octets, 32 base64 chars */

struct challenge {
	char		n1[128];
	uint64_t	n2;
	uint8_t		salt[SCRAM_SALTLEN];
	uint64_t	ops;
	uint64_t	mem;
};

static int	auth_parse_u64(const char *, uint64_t *);
static int	auth_parse_challenge(const char *, struct challenge *);
static int	auth_check_signature(const char *, const uint8_t *);

static int
auth_parse_u64(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Parses the text of the 303 line; 0 or -1. */
static int
auth_parse_challenge(const char *text, struct challenge *ch)
{
	char	 buf[REPLY_MAXLINE], *p, *tok;
	int	 seen = 0;

	memset(ch, 0, sizeof(*ch));
	strlcpy(buf, text, sizeof(buf));
	p = buf;
	while ((tok = strsep(&p, " ")) != NULL) {
		if (*tok == '\0')
			continue;
		if (strncmp(tok, "n1=", 3) == 0) {
			if (strlcpy(ch->n1, tok + 3, sizeof(ch->n1)) >=
			    sizeof(ch->n1) || ch->n1[0] == '\0')
				return -1;
			seen |= 1;
		} else if (strncmp(tok, "n2=", 3) == 0) {
			if (auth_parse_u64(tok + 3, &ch->n2) == -1)
				return -1;
			seen |= 2;
		} else if (strncmp(tok, "s=", 2) == 0) {
			if (b64_decode(tok + 2, ch->salt, sizeof(ch->salt)) !=
			    SCRAM_SALTLEN)
				return -1;
			seen |= 4;
		} else if (strncmp(tok, "o=", 2) == 0) {
			if (auth_parse_u64(tok + 2, &ch->ops) == -1)
				return -1;
			seen |= 8;
		} else if (strncmp(tok, "m=", 2) == 0) {
			if (auth_parse_u64(tok + 2, &ch->mem) == -1)
				return -1;
			seen |= 16;
		} else if (strncmp(tok, "k=", 2) == 0) {
			if (strcmp(tok + 2, "argon2id13") != 0)
				return -1;
			seen |= 32;
		}
	}
	if (seen != 63)
		return -1;
	if (ch->ops < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    ch->ops > AUTH_OPSLIMIT_MAX ||
	    ch->mem < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    ch->mem > AUTH_MEMLIMIT_MAX)
		return -1;
	return 0;
}

/* Checks "... v=<b64>" against sig in constant time; 0 if it matches. */
static int
auth_check_signature(const char *text, const uint8_t *sig)
{
	const char	*v = NULL, *p;
	char		 b64[128];
	uint8_t		 got[SCRAM_KEYLEN];
	size_t		 n;
	int		 rv;

	for (p = text; (p = strstr(p, "v=")) != NULL; p += 2)
		if (p == text || p[-1] == ' ')
			v = p + 2;
	if (v == NULL)
		return -1;
	n = strcspn(v, " ");
	if (n == 0 || n >= sizeof(b64))
		return -1;
	memcpy(b64, v, n);
	b64[n] = '\0';
	if (b64_decode(b64, got, sizeof(got)) != SCRAM_KEYLEN)
		return -1;
	rv = sodium_memcmp(got, sig, SCRAM_KEYLEN);
	sodium_memzero(got, sizeof(got));
	return rv == 0 ? 0 : -1;
}

int
auth_secret(struct conn *c, const char *account, const char *device,
    const char *password, size_t pwlen)
{
	struct challenge ch;
	struct reply	 r;
	char		 authmsg[SCRAM_AUTHMSG_MAX];
	char		 cnonce[64], proof64[64], devq[300];
	uint8_t		 rnd[AUTH_CNONCE_LEN], cbind[SCRAM_KEYLEN];
	uint8_t		 salted[SCRAM_KEYLEN], ckey[SCRAM_KEYLEN];
	uint8_t		 skey[SCRAM_KEYLEN], stkey[SCRAM_KEYLEN];
	uint8_t		 proof[SCRAM_KEYLEN], sig[SCRAM_KEYLEN];
	struct imid	 id;
	const char	*errstr;
	char		 acct[IPC_ACCOUNT_MAX];
	int		 rv, len;

	/*
	 * The server binds the canonical account (domain in lower case,
	 * no "imid:") into the AuthMessage; so must we.
	 */
	if (imid_parse(account, &id, &errstr) == -1 || id.shared[0] != '\0' ||
	    id.folder[0] != '\0' || id.mailbox[0] != '\0' ||
	    id.message[0] != '\0' || id.options[0] != '\0' ||
	    imid_account(&id, acct, sizeof(acct)) == -1) {
		fprintf(stderr, "immp: %s: not an account (user@domain)\n",
		    account);
		return EXIT_PERM;
	}
	account = acct;

	if (conn_cert_hash(c, cbind) == -1) {
		fprintf(stderr, "immp: cannot get the server certificate "
		    "hash for channel binding\n");
		return EXIT_PERM;
	}
	if (device != NULL && device[0] != '\0') {
		if (send_quote_word(device, devq, sizeof(devq)) == -1) {
			fprintf(stderr, "immp: bad device name\n");
			return EXIT_PERM;
		}
		rv = conn_cmd(c, NULL, "AUTH SECRET %s %s", account, devq);
	} else
		rv = conn_cmd(c, NULL, "AUTH SECRET %s", account);
	if (rv != 0)
		return rv;
	if ((rv = conn_expect(c, &r, 302, "AUTH SECRET")) != 0)
		return rv;
	if ((rv = conn_expect(c, &r, 303, "AUTH SECRET")) != 0)
		return rv;
	if (auth_parse_challenge(r.text, &ch) == -1) {
		fprintf(stderr, "immp: AUTH SECRET: unusable challenge: %s\n",
		    r.line);
		return EXIT_PERM;
	}

	randombytes_buf(rnd, sizeof(rnd));
	if (b64_encode(rnd, sizeof(rnd), cnonce, sizeof(cnonce)) == -1)
		return EXIT_PERM;
	len = scram_auth_message(authmsg, sizeof(authmsg), account,
	    device != NULL ? device : "", ch.n1, ch.n2, cnonce, cbind);
	if (len == -1) {
		fprintf(stderr, "immp: AUTH SECRET: bad challenge fields\n");
		return EXIT_PERM;
	}
	if (c->verbose)
		fprintf(stderr, "-- deriving the key (Argon2id, o=%" PRIu64
		    " m=%" PRIu64 ")\n", ch.ops, ch.mem);
	if (scram_salted_password(password, pwlen, ch.salt, ch.ops, ch.mem,
	    salted) == -1) {
		fprintf(stderr, "immp: Argon2id failed (out of memory?)\n");
		return EXIT_TEMP;
	}
	scram_keys(salted, ckey, stkey, skey);
	sodium_memzero(salted, sizeof(salted));
	scram_client_proof(ckey, stkey, authmsg, len, proof);
	scram_server_signature(skey, authmsg, len, sig);
	sodium_memzero(ckey, sizeof(ckey));
	sodium_memzero(stkey, sizeof(stkey));
	sodium_memzero(skey, sizeof(skey));
	rv = b64_encode(proof, sizeof(proof), proof64, sizeof(proof64));
	sodium_memzero(proof, sizeof(proof));
	if (rv == -1)
		return EXIT_PERM;

	rv = conn_cmd(c, "AUTH RESPONSE c=... p=(hidden)",
	    "AUTH RESPONSE c=%s p=%s", cnonce, proof64);
	sodium_memzero(proof64, sizeof(proof64));
	if (rv != 0)
		goto out;
	if ((rv = conn_expect(c, &r, 210, "authentication")) != 0)
		goto out;
	if (auth_check_signature(r.text, sig) == -1) {
		fprintf(stderr, "immp: the server's signature does not match: "
		    "it does not know the verifier of %s (impostor?); "
		    "giving up\n", account);
		rv = EXIT_PERM;
		goto out;
	}
	if (c->verbose)
		fprintf(stderr, "-- server signature verified\n");
	rv = 0;
 out:
	sodium_memzero(sig, sizeof(sig));
	return rv;
}
