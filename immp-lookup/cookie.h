/*
 * AUTH COOKIE in immp-lookup (DESIGN §5, immp(7) AUTH COOKIE): the
 * domain secret, cookie issue for our outbound sessions and cookie
 * checks for AUTH VERIFY (the call-back of a receiving domain).
 */
#ifndef IMMP_LOOKUP_COOKIE_H
#define IMMP_LOOKUP_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ipc_relay.h"

#define COOKIE_KEY_LEN	32	/* domain secret octets */

/*
 * cookie_compute: HMAC-SHA-256(key[COOKIE_KEY_LEN], receiver " " issuer
 * " " nonce) into out[IPC_COOKIE_LEN] (libsodium
 * crypto_auth_hmacsha256).  The strings are used as given (callers pass
 * lower-case domains and the nonce text of the receiver's 101).
 * Returns 0, or -1 if a string is empty or longer than 255 octets.
 */
int	 cookie_compute(const uint8_t *key, const char *receiver,
	    const char *issuer, const char *nonce, uint8_t *out);

/*
 * cookie_load: reads the domain secret file path (exactly
 * COOKIE_KEY_LEN octets, see immpctl(8) secret generate) into key; with
 * path "" draws a random secret instead (valid for this run only, good
 * for a domain served by one host).  0, or -1 (logged).
 */
int	 cookie_load(const char *path, uint8_t *key);

/*
 * cookie_init: loads the secret named in conf (cookie_load); fatal on
 * error.  cookie_shutdown wipes it.
 */
void	 cookie_init(struct immpd_conf *conf);
void	 cookie_shutdown(void);

/*
 * cookie_make: answers COOKIE_MAKE: res->result IPC_OK with the cookie
 * if req->issuer is one of our domains and the strings are valid
 * (domains per imid_domain_valid, nonce 1..63 base64 characters), else
 * IPC_FAIL.
 */
void	 cookie_make(const struct ipc_cookie_req *req, struct ipc_cookie *res);

/*
 * cookie_check: answers COOKIE_CHECK (an AUTH VERIFY we received):
 * IPC_OK if issuer is ours and the cookie equals the one we would issue
 * (constant-time comparison, sodium_memcmp), else IPC_FAIL.
 */
int	 cookie_check(const struct ipc_cookie *req);

#endif
