/*
 * fuzz_cookie: the arguments of AUTH COOKIE and AUTH VERIFY
 * (cookie_args_parse) and the 101 greeting an outbound session reads
 * (outbound_greeting_parse), both of immpd/cookie_parse.c (immp(7)
 * AUTH COOKIE, AUTH VERIFY, RELAY).  First octet even: the rest is
 * "<domain>\n<cookie>" for cookie_args_parse; odd: the rest is the text
 * of a 101 reply.  Anything after a NUL is cut off.
 *
 * Properties:
 * - cookie_args_parse accepts exactly a valid domain of at most
 *   IPC_DOMAIN_MAX - 1 octets (imid_domain_valid) and canonical padded
 *   base64 of IPC_COOKIE_LEN octets; it then gives the domain in lower
 *   case and the octets that encode back to the text; a refusal says
 *   "bad domain" or "bad cookie", in that order;
 * - outbound_greeting_parse accepts only a text holding a word d=<valid
 *   domain> and a word i=<1..IPC_NONCE_MAX-1 base64 characters>, and
 *   gives back the first of each.
 */

#include <stdint.h>
#include <string.h>

#include "imid.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "outbound.h"
#include "session.h"
#include "util.h"
#include "fuzz.h"

#define B64CH	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		"0123456789+/="

static char	 text[8192];

static void
check_args(char *in)
{
	char		 dom[IPC_DOMAIN_MAX], enc[128], *b64;
	uint8_t		 cookie[IPC_COOKIE_LEN];
	const char	*err = NULL;
	size_t		 i, dl;
	int		 dom_ok;

	if ((b64 = strchr(in, '\n')) == NULL)
		b64 = in + strlen(in);
	else
		*b64++ = '\0';
	dl = strlen(in);
	dom_ok = dl > 0 && dl < IPC_DOMAIN_MAX && imid_domain_valid(in);
	if (cookie_args_parse(in, b64, dom, cookie, &err) == -1) {
		FUZZ_ASSERT(err != NULL);
		if (!dom_ok)
			FUZZ_ASSERT(strcmp(err, "bad domain") == 0);
		else
			FUZZ_ASSERT(strcmp(err, "bad cookie") == 0);
		/* refused although canonical base64 of 32 octets? */
		if (dom_ok)
			FUZZ_ASSERT(b64_decode(b64, cookie, sizeof(cookie)) !=
			    IPC_COOKIE_LEN || strlen(b64) > 64);
		return;
	}
	FUZZ_ASSERT(dom_ok);
	FUZZ_ASSERT(strlen(dom) == dl);
	for (i = 0; i < dl; i++)
		FUZZ_ASSERT(dom[i] == (in[i] >= 'A' && in[i] <= 'Z' ?
		    in[i] - 'A' + 'a' : in[i]));
	FUZZ_ASSERT(imid_domain_valid(dom));
	FUZZ_ASSERT(strspn(b64, B64CH) == strlen(b64));
	FUZZ_ASSERT(b64_encode(cookie, sizeof(cookie), enc, sizeof(enc)) > 0);
	FUZZ_ASSERT(strcmp(enc, b64) == 0);
}

/* The first word of text that starts with key, or NULL. */
static const char *
first_word(const char *t, const char *key, size_t *len)
{
	size_t	 kl = strlen(key), n;

	for (;;) {
		t += strspn(t, " ");
		if (*t == '\0')
			return (NULL);
		n = strcspn(t, " ");
		if (n > kl && strncmp(t, key, kl) == 0) {
			*len = n - kl;
			return (t + kl);
		}
		t += n;
	}
}

static void
check_greeting(const char *in)
{
	char		 domain[IPC_DOMAIN_MAX], nonce[IPC_NONCE_MAX];
	const char	*d, *n;
	size_t		 dl, nl;

	memset(domain, 0, sizeof(domain));
	memset(nonce, 0, sizeof(nonce));
	if (outbound_greeting_parse(in, domain, nonce) == -1)
		return;
	d = first_word(in, "d=", &dl);
	n = first_word(in, "i=", &nl);
	FUZZ_ASSERT(d != NULL && n != NULL);
	FUZZ_ASSERT(dl < IPC_DOMAIN_MAX && strlen(domain) == dl &&
	    memcmp(domain, d, dl) == 0);
	FUZZ_ASSERT(imid_domain_valid(domain));
	FUZZ_ASSERT(nl > 0 && nl < IPC_NONCE_MAX && strlen(nonce) == nl &&
	    memcmp(nonce, n, nl) == 0);
	FUZZ_ASSERT(strspn(nonce, B64CH) == nl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 len;

	if (size < 1)
		return (0);
	len = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	if ((data[0] & 1) == 0)
		check_args(text);
	else
		check_greeting(text);
	return (0);
}
