/*
 * AUTH COOKIE in immp-lookup (cookie.h; DESIGN §5; modelled on XMPP
 * server dialback, XEP-0220 / XEP-0185).
 *
 *   cookie = HMAC-SHA-256(domain secret,
 *                         receiver " " issuer " " receiver's 101 nonce)
 *
 * Several hosts of one domain share the secret file, so any of them
 * can answer the call-back for a cookie another one issued.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "cookie.h"
#include "imid.h"
#include "ipc.h"
#include "ipc_relay.h"
#include "log.h"
#include "util.h"

#define COOKIE_STR_MAX	255

static struct {
	struct immpd_conf	*conf;
	uint8_t			 key[COOKIE_KEY_LEN];
	int			 loaded;
} ck;

int
cookie_compute(const uint8_t *key, const char *receiver, const char *issuer,
    const char *nonce, uint8_t *out)
{
	crypto_auth_hmacsha256_state	st;
	size_t				rl, il, nl;

	rl = strlen(receiver);
	il = strlen(issuer);
	nl = strlen(nonce);
	if (rl == 0 || il == 0 || nl == 0 || rl > COOKIE_STR_MAX ||
	    il > COOKIE_STR_MAX || nl > COOKIE_STR_MAX)
		return (-1);
	crypto_auth_hmacsha256_init(&st, key, COOKIE_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)receiver, rl);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)" ", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)issuer, il);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)" ", 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)nonce, nl);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
	return (0);
}

int
cookie_load(const char *path, uint8_t *key)
{
	struct stat	 sb;
	uint8_t		 buf[COOKIE_KEY_LEN + 1];
	ssize_t		 n;
	int		 fd;

	if (path[0] == '\0') {
		randombytes_buf(key, COOKIE_KEY_LEN);
		return (0);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("domain-secret %s", path);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (sb.st_mode & 077) != 0) {
		log_warnx("domain-secret %s: not a regular file of mode 0600",
		    path);
		close(fd);
		return (-1);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != COOKIE_KEY_LEN) {
		log_warnx("domain-secret %s: must hold exactly %d octets",
		    path, COOKIE_KEY_LEN);
		sodium_memzero(buf, sizeof(buf));
		return (-1);
	}
	memcpy(key, buf, COOKIE_KEY_LEN);
	sodium_memzero(buf, sizeof(buf));
	return (0);
}

void
cookie_init(struct immpd_conf *conf)
{
	ck.conf = conf;
	if (cookie_load(conf->domain_secret, ck.key) == -1)
		fatalx("cannot load the domain secret");
	if (conf->domain_secret[0] == '\0')
		log_info("no domain-secret configured: cookies are valid "
		    "for this run of this host only");
	ck.loaded = 1;
}

void
cookie_shutdown(void)
{
	sodium_memzero(ck.key, sizeof(ck.key));
	ck.loaded = 0;
}

/* 1 if s is 1..IPC_NONCE_MAX-1 characters of the base64 alphabet. */
static int
nonce_valid(const char *s)
{
	size_t	len = strlen(s);

	return (len > 0 && len < IPC_NONCE_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") == len);
}

/* Checks the strings of a cookie request; 0 or -1. */
static int
cookie_args(const char *receiver, const char *issuer, const char *nonce)
{
	if (!ck.loaded || !imid_domain_valid(receiver) ||
	    !imid_domain_valid(issuer) || !nonce_valid(nonce) ||
	    !conf_is_local(ck.conf, issuer))
		return (-1);
	return (0);
}

void
cookie_make(const struct ipc_cookie_req *req, struct ipc_cookie *res)
{
	memset(res, 0, sizeof(*res));
	res->reqid = req->reqid;
	res->result = IPC_FAIL;
	(void)strlcpy(res->receiver, req->receiver, sizeof(res->receiver));
	(void)strlcpy(res->issuer, req->issuer, sizeof(res->issuer));
	(void)strlcpy(res->nonce, req->nonce, sizeof(res->nonce));
	if (cookie_args(req->receiver, req->issuer, req->nonce) == -1)
		return;
	if (cookie_compute(ck.key, req->receiver, req->issuer, req->nonce,
	    res->cookie) == 0)
		res->result = IPC_OK;
}

int
cookie_check(const struct ipc_cookie *req)
{
	uint8_t	want[IPC_COOKIE_LEN];
	int	ok;

	if (cookie_args(req->receiver, req->issuer, req->nonce) == -1)
		return (IPC_FAIL);
	if (cookie_compute(ck.key, req->receiver, req->issuer, req->nonce,
	    want) == -1)
		return (IPC_FAIL);
	ok = sodium_memcmp(want, req->cookie, sizeof(want)) == 0;
	sodium_memzero(want, sizeof(want));
	return (ok ? IPC_OK : IPC_FAIL);
}
