/*
 * The parsers of AUTH COOKIE, AUTH VERIFY and the 101 greeting as the
 * outbound side reads it, and the pin of a certificate: pure functions
 * (declared in session.h and outbound.h), kept apart so that the unit
 * tests can drive them with hostile input.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "imid.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "outbound.h"
#include "util.h"

#define COOKIE_B64_MAX	64	/* base64 of 32 octets is 44 */

int	 cookie_args_parse(const char *, const char *, char *, uint8_t *,
	    const char **);

int
cookie_args_parse(const char *domain, const char *b64, char *dom,
    uint8_t *cookie, const char **err)
{
	size_t	 i, len;

	len = strlen(domain);
	if (len == 0 || len >= IPC_DOMAIN_MAX || !imid_domain_valid(domain)) {
		*err = "bad domain";
		return (-1);
	}
	for (i = 0; i <= len; i++)
		dom[i] = (domain[i] >= 'A' && domain[i] <= 'Z') ?
		    domain[i] - 'A' + 'a' : domain[i];
	len = strlen(b64);
	if (len == 0 || len > COOKIE_B64_MAX ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != len ||
	    b64_decode(b64, cookie, IPC_COOKIE_LEN) != IPC_COOKIE_LEN) {
		*err = "bad cookie";
		return (-1);
	}
	return (0);
}

int
outbound_spki(const uint8_t *pem, size_t len, uint8_t *out)
{
	BIO		*bio;
	X509		*x;
	unsigned char	*der = NULL;
	int		 n, rv = -1;

	if (len > INT32_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return (-1);
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
		if (n > 0) {
			crypto_hash_sha256(out, der, (size_t)n);
			rv = 0;
		}
		OPENSSL_free(der);
		X509_free(x);
	}
	BIO_free(bio);
	return (rv);
}

/* 1 if s is 1..IPC_NONCE_MAX-1 characters of the base64 alphabet. */
static int
nonce_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len >= IPC_NONCE_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/=", s[i]) == NULL || s[i] == '\0')
			return (0);
	return (1);
}

int
outbound_greeting_parse(const char *text, char *domain, char *nonce)
{
	const char	*p = text, *e;
	size_t		 len;
	int		 gotd = 0, goti = 0;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' '; e++)
			;
		len = e - p;
		if (len > 2 && strncmp(p, "d=", 2) == 0 && !gotd) {
			if (len - 2 >= IPC_DOMAIN_MAX)
				return (-1);
			memcpy(domain, p + 2, len - 2);
			domain[len - 2] = '\0';
			if (!imid_domain_valid(domain))
				return (-1);
			gotd = 1;
		} else if (len > 2 && strncmp(p, "i=", 2) == 0 && !goti) {
			if (!nonce_ok(p + 2, len - 2))
				return (-1);
			memcpy(nonce, p + 2, len - 2);
			nonce[len - 2] = '\0';
			goti = 1;
		}
		p = e;
	}
	return (gotd && goti ? 0 : -1);
}

