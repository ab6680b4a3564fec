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
 * Domain key files, fingerprints, rollover signatures and the published
 * view of KEY REQUEST (keyfile.h, draft 6.1, immp(7) DOMAIN KEYS,
 * immpctl(8) KEY FILES).
 *
 * The parser reads the file line by line into a small NUL-terminated
 * copy, splits it at single spaces and checks each line against the one
 * form allowed at that point.  Copies that may hold secret keys are
 * wiped before they go out of scope.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "imid.h"
#include "ipc.h"
#include "keyfile.h"
#include "util.h"

#define MAXTOK		8
#define FILE_LINE_MAX	256	/* octets of a key file line with LF */
#define B64_32		44	/* base64 of 32 octets */
#define B64_64		88	/* base64 of 64 octets */
#define HEADER		"immp-keys"
#define VERSION		"v1"

struct line {
	char	 buf[FILE_LINE_MAX];
	char	*tok[MAXTOK];
	int	 ntok;
	int	 lineno;
};

static void	 set_err(char *, size_t, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	 next_line(const char *, size_t, size_t *, struct line *,
		    const char **);
static int	 parse_num(const char *, int64_t, int64_t *);
static int	 parse_time(const char *, int, int64_t *);
static int	 decode_key(const char *, uint8_t *, size_t);
static int	 seal_pk_valid(const uint8_t *);
static int	 parse_keyline(struct line *, const char *, int,
		    struct key_gen *, const char **);
static int	 domain_lower_valid(const char *);
static int	 rollover_sign(struct keyset *);
static int	 rollover_verify(const struct keyset *);
static int	 format_time(char *, size_t, int64_t);
static int	 append(char *, size_t, size_t *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static void
set_err(char *err, size_t errsz, int lineno, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lineno > 0)
		(void)snprintf(err, errsz, "line %d: %s", lineno, msg);
	else
		(void)snprintf(err, errsz, "%s", msg);
}

/*
 * Copies the line at *pos into l and splits it.  Returns 1 with a line,
 * 0 at the end of buf, -1 with *why on a malformed line.
 */
static int
next_line(const char *buf, size_t len, size_t *pos, struct line *l,
    const char **why)
{
	const char	*p, *nl;
	size_t		 n, i;
	char		*s;

	sodium_memzero(l->buf, sizeof(l->buf));
	l->ntok = 0;
	if (*pos >= len)
		return (0);
	l->lineno++;
	p = buf + *pos;
	if ((nl = memchr(p, '\n', len - *pos)) == NULL) {
		*why = "no line end";
		return (-1);
	}
	n = nl - p;
	*pos += n + 1;
	if (n >= sizeof(l->buf)) {
		*why = "line too long";
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e) {
			*why = "control or non-ASCII character";
			return (-1);
		}
	}
	memcpy(l->buf, p, n);
	l->buf[n] = '\0';
	if (n == 0) {
		*why = "empty line";
		return (-1);
	}
	/* Single spaces between words, none at either end. */
	for (s = l->buf;;) {
		if (*s == ' ' || *s == '\0') {
			*why = "bad spacing";
			return (-1);
		}
		if (l->ntok == MAXTOK) {
			*why = "too many words";
			return (-1);
		}
		l->tok[l->ntok++] = s;
		if ((s = strchr(s, ' ')) == NULL)
			break;
		*s++ = '\0';
	}
	return (1);
}

/* Decimal 1..max, digits only, no leading zero; 0 or -1. */
static int
parse_num(const char *s, int64_t max, int64_t *out)
{
	int64_t	 v = 0;
	size_t	 i;

	if (s[0] < '1' || s[0] > '9')
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return (-1);
	*out = v;
	return (0);
}

/* A time 1..KEY_TIME_MAX, or "-" (0) if dash is allowed. */
static int
parse_time(const char *s, int dash, int64_t *out)
{
	if (dash && strcmp(s, "-") == 0) {
		*out = 0;
		return (0);
	}
	return (parse_num(s, KEY_TIME_MAX, out));
}

/* Canonical base64 of exactly n octets into out; 0 or -1. */
static int
decode_key(const char *s, uint8_t *out, size_t n)
{
	uint8_t	 tmp[KEY_SIGN_SK];
	size_t	 want = n == 32 ? B64_32 : B64_64;
	int	 r;

	if (n > sizeof(tmp) || strlen(s) != want)
		return (-1);
	r = b64_decode(s, tmp, sizeof(tmp));
	if (r == (int)n)
		memcpy(out, tmp, n);
	sodium_memzero(tmp, sizeof(tmp));
	return (r == (int)n ? 0 : -1);
}

/*
 * An X25519 public key that is not of low order: multiplying it by any
 * (clamped) scalar gives all zeroes exactly for the low-order points,
 * which crypto_scalarmult reports.
 */
static int
seal_pk_valid(const uint8_t *pk)
{
	static const uint8_t	 scalar[crypto_scalarmult_SCALARBYTES] = {
		0x5c, 0x3a, 0x61, 0x0f, 0x72, 0x9e, 0x11, 0x48,
		0x0d, 0x83, 0xc4, 0x26, 0x55, 0xb7, 0x9a, 0x2e,
		0x31, 0x47, 0xe2, 0x6c, 0x18, 0xf5, 0x0b, 0x93,
		0x7d, 0x24, 0xa8, 0x5e, 0x66, 0xc1, 0x3f, 0x42,
	};
	uint8_t			 q[crypto_scalarmult_BYTES];

	return (crypto_scalarmult(q, scalar, pk) == 0);
}

/*
 * "sign <gen> ed25519[-secret] <b64> <created> <not-after>" or the same
 * with "seal" and "x25519"; what is "sign" or "seal".  Fills the fields
 * of g that the line gives (for seal: only the key; the caller compares
 * the rest with the sign line).
 */
static int
parse_keyline(struct line *l, const char *what, int secret,
    struct key_gen *g, const char **why)
{
	char		 alg[32];
	uint8_t		 pk[KEY_SIGN_PK], sk[KEY_SIGN_SK];
	int64_t		 gen, created, not_after;
	int		 sign = strcmp(what, "sign") == 0;

	if (l->ntok < 1 || strcmp(l->tok[0], what) != 0) {
		*why = sign ? "sign line expected" : "seal line expected";
		return (-1);
	}
	if (l->ntok != 6) {
		*why = "wrong number of words";
		return (-1);
	}
	(void)snprintf(alg, sizeof(alg), "%s%s", sign ? "ed25519" : "x25519",
	    secret ? "-secret" : "");
	if (parse_num(l->tok[1], UINT32_MAX, &gen) == -1) {
		*why = "bad generation number";
		return (-1);
	}
	if (strcmp(l->tok[2], alg) != 0) {
		*why = sign ? "algorithm must be ed25519" :
		    "algorithm must be x25519";
		if (secret)
			*why = sign ? "algorithm must be ed25519-secret" :
			    "algorithm must be x25519-secret";
		return (-1);
	}
	if (parse_time(l->tok[4], 0, &created) == -1) {
		*why = "bad creation time";
		return (-1);
	}
	if (parse_time(l->tok[5], 1, &not_after) == -1 ||
	    (not_after != 0 && not_after <= created)) {
		*why = "bad not-after time";
		return (-1);
	}
	if (!sign) {
		if ((uint32_t)gen != g->gen || created != g->created ||
		    not_after != g->not_after) {
			*why = "seal line does not match its sign line";
			return (-1);
		}
	} else {
		g->gen = (uint32_t)gen;
		g->created = created;
		g->not_after = not_after;
	}

	if (sign && !secret) {
		if (decode_key(l->tok[3], g->sign_pk, KEY_SIGN_PK) == -1) {
			*why = "bad ed25519 key";
			return (-1);
		}
		if (crypto_core_ed25519_is_valid_point(g->sign_pk) != 1) {
			*why = "ed25519 key is not a valid point";
			return (-1);
		}
	} else if (sign) {
		if (decode_key(l->tok[3], g->sign_sk, KEY_SIGN_SK) == -1) {
			*why = "bad ed25519 secret key";
			return (-1);
		}
		/* The seed must give back the whole secret key. */
		if (crypto_sign_seed_keypair(pk, sk, g->sign_sk) != 0 ||
		    sodium_memcmp(sk, g->sign_sk, sizeof(sk)) != 0) {
			sodium_memzero(sk, sizeof(sk));
			*why = "inconsistent ed25519 secret key";
			return (-1);
		}
		sodium_memzero(sk, sizeof(sk));
		memcpy(g->sign_pk, pk, sizeof(g->sign_pk));
	} else if (!secret) {
		if (decode_key(l->tok[3], g->seal_pk, KEY_SEAL_PK) == -1) {
			*why = "bad x25519 key";
			return (-1);
		}
		if (!seal_pk_valid(g->seal_pk)) {
			*why = "x25519 key of low order";
			return (-1);
		}
	} else {
		if (decode_key(l->tok[3], g->seal_sk, KEY_SEAL_SK) == -1) {
			*why = "bad x25519 secret key";
			return (-1);
		}
		if (crypto_scalarmult_base(g->seal_pk, g->seal_sk) != 0) {
			*why = "unusable x25519 secret key";
			return (-1);
		}
	}
	return (0);
}

/* A valid domain (imid_domain_valid) in lower case. */
static int
domain_lower_valid(const char *s)
{
	size_t	 i;

	if (!imid_domain_valid(s))
		return (0);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return (0);
	return (i < KEY_DOMAIN_MAX);
}

/* Signs gen[1] with gen[0] into rollover_sig; 0 or -1. */
static int
rollover_sign(struct keyset *ks)
{
	char	 msg[KEY_DOMAIN_MAX + 2 * KEY_FP_HEX + 32];
	int	 n;

	if ((n = keyset_rollover_msg(ks->domain, ks->gen[0].fp,
	    ks->gen[1].fp, msg, sizeof(msg))) == -1)
		return (-1);
	return (crypto_sign_detached(ks->rollover_sig, NULL,
	    (const unsigned char *)msg, (unsigned long long)n,
	    ks->gen[0].sign_sk));
}

/* 0 if rollover_sig is gen[0]'s signature of gen[1], else -1. */
static int
rollover_verify(const struct keyset *ks)
{
	char	 msg[KEY_DOMAIN_MAX + 2 * KEY_FP_HEX + 32];
	int	 n;

	if ((n = keyset_rollover_msg(ks->domain, ks->gen[0].fp,
	    ks->gen[1].fp, msg, sizeof(msg))) == -1)
		return (-1);
	return (crypto_sign_verify_detached(ks->rollover_sig,
	    (const unsigned char *)msg, (unsigned long long)n,
	    ks->gen[0].sign_pk));
}

int
keyfile_parse(const char *buf, size_t len, enum keyfile_kind kind,
    const char *domain, struct keyset *ks, char *err, size_t errsz)
{
	struct line	 l;
	struct key_gen	*g;
	const char	*why = NULL;
	char		 fphex[KEY_FP_HEX];
	size_t		 pos = 0, i;
	int64_t		 n;
	int		 secret = kind == KEYFILE_SECRET, r, rollover = 0;

	keyset_wipe(ks);
	memset(&l, 0, sizeof(l));
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (len > KEYFILE_MAX) {
		set_err(err, errsz, 0, "file too large");
		goto fail;
	}

	/* immp-keys v1 public|secret <domain> */
	if ((r = next_line(buf, len, &pos, &l, &why)) != 1) {
		if (r == 0)
			why = "empty file";
		goto bad;
	}
	if (l.ntok != 4 || strcmp(l.tok[0], HEADER) != 0) {
		why = "not a key file";
		goto bad;
	}
	if (strcmp(l.tok[1], VERSION) != 0) {
		why = "unknown version";
		goto bad;
	}
	if (strcmp(l.tok[2], secret ? "secret" : "public") != 0) {
		why = secret ? "not a secret key file" :
		    "not a public key file";
		goto bad;
	}
	if (!domain_lower_valid(l.tok[3])) {
		why = "bad domain";
		goto bad;
	}
	if (domain != NULL && strcmp(l.tok[3], domain) != 0) {
		why = "keys of another domain";
		goto bad;
	}
	(void)strlcpy(ks->domain, l.tok[3], sizeof(ks->domain));
	ks->secret = secret;

	while ((r = next_line(buf, len, &pos, &l, &why)) == 1) {
		if (strcmp(l.tok[0], "sign") == 0) {
			if (rollover) {
				why = "key after the rollover line";
				goto bad;
			}
			if (ks->ngen == KEY_MAX_GEN) {
				why = "too many generations";
				goto bad;
			}
			g = &ks->gen[ks->ngen];
			if (parse_keyline(&l, "sign", secret, g, &why) == -1)
				goto bad;
			if (ks->ngen > 0 &&
			    g->gen <= ks->gen[ks->ngen - 1].gen) {
				why = "generations out of order";
				goto bad;
			}
			if ((r = next_line(buf, len, &pos, &l, &why)) != 1) {
				if (r == 0)
					why = "seal line expected";
				goto bad;
			}
			if (parse_keyline(&l, "seal", secret, g, &why) == -1)
				goto bad;
			key_fingerprint(g->sign_pk, g->seal_pk, g->fp);
			ks->ngen++;
		} else if (strcmp(l.tok[0], "rollover") == 0) {
			/* rollover <gen> <prev gen> <prev fp> <signature> */
			if (secret) {
				why = "rollover line in a secret key file";
				goto bad;
			}
			if (rollover || ks->ngen != 2) {
				why = "unexpected rollover line";
				goto bad;
			}
			if (l.ntok != 5) {
				why = "wrong number of words";
				goto bad;
			}
			if (parse_num(l.tok[1], UINT32_MAX, &n) == -1 ||
			    (uint32_t)n != ks->gen[1].gen) {
				why = "rollover of an unknown generation";
				goto bad;
			}
			if (parse_num(l.tok[2], UINT32_MAX, &n) == -1 ||
			    (uint32_t)n != ks->gen[0].gen) {
				why = "rollover by an unknown generation";
				goto bad;
			}
			key_fp_hex(ks->gen[0].fp, fphex);
			if (strcmp(l.tok[3], fphex) != 0) {
				why = "wrong previous fingerprint";
				goto bad;
			}
			if (decode_key(l.tok[4], ks->rollover_sig,
			    KEY_SIG) == -1) {
				why = "bad signature";
				goto bad;
			}
			rollover = 1;
		} else {
			why = "unknown line";
			goto bad;
		}
	}
	if (r == -1)
		goto bad;

	l.lineno = 0;
	if (ks->ngen == 0) {
		why = "no keys";
		goto bad;
	}
	for (i = 0; i < ks->ngen; i++) {
		if (i + 1 == ks->ngen && ks->gen[i].not_after != 0) {
			why = "the newest generation has a not-after time";
			goto bad;
		}
		if (i + 1 < ks->ngen && ks->gen[i].not_after == 0) {
			why = "an older generation needs a not-after time";
			goto bad;
		}
	}
	if (ks->ngen == 2) {
		if (secret) {
			if (rollover_sign(ks) != 0) {
				why = "cannot sign the rollover";
				goto bad;
			}
		} else if (!rollover) {
			why = "rollover line missing";
			goto bad;
		} else if (rollover_verify(ks) != 0) {
			why = "rollover signature does not verify";
			goto bad;
		}
	}
	sodium_memzero(&l, sizeof(l));
	return (0);

 bad:
	set_err(err, errsz, l.lineno, "%s", why != NULL ? why : "bad line");
 fail:
	sodium_memzero(&l, sizeof(l));
	keyset_wipe(ks);
	return (-1);
}

/* Appends a formatted string at *pos; 0 or -1 if it does not fit. */
static int
append(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*pos >= size)
		return (-1);
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *pos)
		return (-1);
	*pos += (size_t)n;
	return (0);
}

/* A time as written in key files and lines: decimal or "-". */
static int
format_time(char *buf, size_t size, int64_t t)
{
	int	 n;

	if (t == 0)
		n = snprintf(buf, size, "-");
	else
		n = snprintf(buf, size, "%" PRId64, t);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

int
keyfile_format(const struct keyset *ks, enum keyfile_kind kind, char *buf,
    size_t size)
{
	const struct key_gen	*g;
	char			 a[B64_64 + 1], b[B64_64 + 1];
	char			 t1[24], t2[24], fphex[KEY_FP_HEX];
	size_t			 pos = 0, i;
	int			 secret = kind == KEYFILE_SECRET, rv = -1;

	if (size > 0)
		buf[0] = '\0';
	if ((secret && !ks->secret) || ks->ngen < 1 ||
	    ks->ngen > KEY_MAX_GEN || !domain_lower_valid(ks->domain)) {
		errno = EINVAL;
		return (-1);
	}
	errno = ENOSPC;
	if (append(buf, size, &pos, "%s %s %s %s\n", HEADER, VERSION,
	    secret ? "secret" : "public", ks->domain) == -1)
		goto out;
	for (i = 0; i < ks->ngen; i++) {
		g = &ks->gen[i];
		if (format_time(t1, sizeof(t1), g->created) == -1 ||
		    format_time(t2, sizeof(t2), g->not_after) == -1)
			goto out;
		if (secret) {
			if (b64_encode(g->sign_sk, KEY_SIGN_SK, a,
			    sizeof(a)) == -1 || b64_encode(g->seal_sk,
			    KEY_SEAL_SK, b, sizeof(b)) == -1)
				goto out;
		} else if (b64_encode(g->sign_pk, KEY_SIGN_PK, a,
		    sizeof(a)) == -1 || b64_encode(g->seal_pk, KEY_SEAL_PK, b,
		    sizeof(b)) == -1)
			goto out;
		if (append(buf, size, &pos, "sign %" PRIu32 " ed25519%s %s "
		    "%s %s\n", g->gen, secret ? "-secret" : "", a, t1,
		    t2) == -1 ||
		    append(buf, size, &pos, "seal %" PRIu32 " x25519%s %s "
		    "%s %s\n", g->gen, secret ? "-secret" : "", b, t1,
		    t2) == -1)
			goto out;
	}
	if (!secret && ks->ngen == 2) {
		key_fp_hex(ks->gen[0].fp, fphex);
		if (b64_encode(ks->rollover_sig, KEY_SIG, a, sizeof(a)) == -1 ||
		    append(buf, size, &pos, "rollover %" PRIu32 " %" PRIu32
		    " %s %s\n", ks->gen[1].gen, ks->gen[0].gen, fphex,
		    a) == -1)
			goto out;
	}
	rv = (int)pos;
 out:
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
	if (rv == -1 && size > 0)
		sodium_memzero(buf, size);
	return (rv);
}

int
keyfile_read(const char *path, enum keyfile_kind kind, const char *domain,
    struct keyset *ks, char *err, size_t errsz)
{
	struct stat	 st;
	char		 buf[KEYFILE_MAX + 1], why[256];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rv = -1;

	keyset_wipe(ks);
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		set_err(err, errsz, 0, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		set_err(err, errsz, 0, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errsz, 0, "%s: not a regular file", path);
		goto out;
	}
	if (kind == KEYFILE_SECRET && (st.st_mode & 077) != 0) {
		set_err(err, errsz, 0, "%s: mode %04o: a secret key file must "
		    "not be accessible by group or others", path,
		    (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			set_err(err, errsz, 0, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	if (len > KEYFILE_MAX) {
		set_err(err, errsz, 0, "%s: file too large", path);
		goto out;
	}
	if (keyfile_parse(buf, len, kind, domain, ks, why,
	    sizeof(why)) == -1) {
		set_err(err, errsz, 0, "%s: %s", path, why);
		goto out;
	}
	rv = 0;
 out:
	sodium_memzero(buf, sizeof(buf));
	(void)close(fd);
	return (rv);
}

int
keyfile_path(const char *dir, const char *domain, enum keyfile_kind kind,
    char *buf, size_t size)
{
	int	 n;

	if (!domain_lower_valid(domain)) {
		errno = EINVAL;
		return (-1);
	}
	n = snprintf(buf, size, "%s/%s.%s", dir, domain,
	    kind == KEYFILE_SECRET ? "key" : "pub");
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

void
key_fingerprint(const uint8_t sign_pk[KEY_SIGN_PK],
    const uint8_t seal_pk[KEY_SEAL_PK], uint8_t fp[KEY_FP])
{
	crypto_generichash_state	 st;

	(void)crypto_generichash_init(&st, NULL, 0, KEY_FP);
	(void)crypto_generichash_update(&st,
	    (const unsigned char *)KEY_FP_LABEL, strlen(KEY_FP_LABEL));
	(void)crypto_generichash_update(&st, sign_pk, KEY_SIGN_PK);
	(void)crypto_generichash_update(&st, seal_pk, KEY_SEAL_PK);
	(void)crypto_generichash_final(&st, fp, KEY_FP);
}

void
key_fp_hex(const uint8_t fp[KEY_FP], char out[KEY_FP_HEX])
{
	(void)sodium_bin2hex(out, KEY_FP_HEX, fp, KEY_FP);
}

int
keyset_rollover_msg(const char *domain, const uint8_t prev[KEY_FP],
    const uint8_t next[KEY_FP], char *buf, size_t size)
{
	char	 a[KEY_FP_HEX], b[KEY_FP_HEX];
	int	 n;

	key_fp_hex(prev, a);
	key_fp_hex(next, b);
	n = snprintf(buf, size, "immp-rollover v1 %s %s %s", domain, a, b);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (n);
}

int
keyset_generate(struct keyset *ks, const char *domain, time_t now)
{
	struct key_gen	*g = &ks->gen[0];

	keyset_wipe(ks);
	if (!domain_lower_valid(domain) || now < 1 || now > KEY_TIME_MAX) {
		errno = EINVAL;
		return (-1);
	}
	(void)strlcpy(ks->domain, domain, sizeof(ks->domain));
	ks->secret = 1;
	ks->ngen = 1;
	g->gen = 1;
	g->created = now;
	g->not_after = 0;
	(void)crypto_sign_keypair(g->sign_pk, g->sign_sk);
	(void)crypto_box_keypair(g->seal_pk, g->seal_sk);
	key_fingerprint(g->sign_pk, g->seal_pk, g->fp);
	return (0);
}

int
keyset_rollover(struct keyset *ks, time_t now, uint32_t period,
    const char **errstr)
{
	struct key_gen	*cur, *next;

	if (!ks->secret || ks->ngen < 1 || ks->ngen > KEY_MAX_GEN) {
		*errstr = "no secret keys";
		return (-1);
	}
	if (now < 1 || period == 0 || now > KEY_TIME_MAX - (int64_t)period) {
		*errstr = "bad time";
		return (-1);
	}
	if (ks->ngen == 2) {
		if (ks->gen[0].not_after > now) {
			*errstr = "rollover in progress";
			return (-1);
		}
		/* The previous generation has expired: drop it. */
		ks->gen[0] = ks->gen[1];
		sodium_memzero(&ks->gen[1], sizeof(ks->gen[1]));
		sodium_memzero(ks->rollover_sig, sizeof(ks->rollover_sig));
		ks->gen[0].not_after = 0;
		ks->ngen = 1;
	}
	cur = &ks->gen[0];
	next = &ks->gen[1];
	if (cur->gen == UINT32_MAX) {
		*errstr = "generation numbers exhausted";
		return (-1);
	}
	memset(next, 0, sizeof(*next));
	next->gen = cur->gen + 1;
	next->created = now;
	next->not_after = 0;
	(void)crypto_sign_keypair(next->sign_pk, next->sign_sk);
	(void)crypto_box_keypair(next->seal_pk, next->seal_sk);
	key_fingerprint(next->sign_pk, next->seal_pk, next->fp);
	cur->not_after = now + (int64_t)period;
	if (cur->not_after <= cur->created)
		cur->not_after = cur->created + 1;
	ks->ngen = 2;
	if (rollover_sign(ks) != 0) {
		sodium_memzero(next, sizeof(*next));
		cur->not_after = 0;
		ks->ngen = 1;
		*errstr = "cannot sign the rollover";
		return (-1);
	}
	return (0);
}

int
keyset_view(const struct keyset *ks, time_t now, struct ipc_key_result *out)
{
	const struct key_gen	*g;
	struct ipc_key_gen	*v;
	size_t			 i;

	(void)strlcpy(out->domain, ks->domain, sizeof(out->domain));
	out->ngen = 0;
	memset(out->gen, 0, sizeof(out->gen));
	out->rollover = out->rollover_gen = out->rollover_prev = 0;
	memset(out->rollover_prev_fp, 0, sizeof(out->rollover_prev_fp));
	memset(out->rollover_sig, 0, sizeof(out->rollover_sig));

	for (i = 0; i < ks->ngen && i < KEY_MAX_GEN; i++) {
		g = &ks->gen[i];
		if (g->not_after != 0 && g->not_after <= (int64_t)now)
			continue;
		v = &out->gen[out->ngen];
		v->gen = g->gen;
		v->role = out->ngen == 0 ? IPC_KEY_CURRENT : IPC_KEY_NEXT;
		v->created = g->created;
		v->not_after = g->not_after;
		memcpy(v->sign_pk, g->sign_pk, sizeof(v->sign_pk));
		memcpy(v->seal_pk, g->seal_pk, sizeof(v->seal_pk));
		memcpy(v->fp, g->fp, sizeof(v->fp));
		out->ngen++;
	}
	if (ks->ngen == 2 && out->ngen > 0) {
		out->rollover = 1;
		out->rollover_gen = ks->gen[1].gen;
		out->rollover_prev = ks->gen[0].gen;
		memcpy(out->rollover_prev_fp, ks->gen[0].fp, KEY_FP);
		memcpy(out->rollover_sig, ks->rollover_sig, KEY_SIG);
	}
	return ((int)out->ngen);
}

int
keyview_line(const struct ipc_key_result *v, size_t i, char *buf,
    size_t size)
{
	const struct ipc_key_gen	*g;
	char				 b64[B64_64 + 1], fp[KEY_FP_HEX];
	char				 t1[24], t2[24];
	size_t				 pos = 0;
	int				 r;

	if (size > 0)
		buf[0] = '\0';
	if (v->ngen > IPC_KEY_GENS)
		return (-1);
	if (i >= 3 * (size_t)v->ngen) {
		if (i > 3 * (size_t)v->ngen || !v->rollover)
			return (0);
		key_fp_hex(v->rollover_prev_fp, fp);
		if (b64_encode(v->rollover_sig, KEY_SIG, b64,
		    sizeof(b64)) == -1)
			return (-1);
		r = append(buf, size, &pos, "rollover %" PRIu32 " %" PRIu32
		    " %s %s", v->rollover_gen, v->rollover_prev, fp, b64);
		return (r == -1 ? -1 : 1);
	}
	g = &v->gen[i / 3];
	if (format_time(t1, sizeof(t1), g->created) == -1 ||
	    format_time(t2, sizeof(t2), g->not_after) == -1)
		return (-1);
	switch (i % 3) {
	case 0:
		if (g->role != IPC_KEY_CURRENT && g->role != IPC_KEY_NEXT)
			return (-1);
		key_fp_hex(g->fp, fp);
		r = append(buf, size, &pos, "key %" PRIu32 " %s %s", g->gen,
		    g->role == IPC_KEY_CURRENT ? "current" : "next", fp);
		break;
	case 1:
		if (b64_encode(g->sign_pk, KEY_SIGN_PK, b64, sizeof(b64)) == -1)
			return (-1);
		r = append(buf, size, &pos, "sign %" PRIu32 " ed25519 %s %s %s",
		    g->gen, b64, t1, t2);
		break;
	default:
		if (b64_encode(g->seal_pk, KEY_SEAL_PK, b64, sizeof(b64)) == -1)
			return (-1);
		r = append(buf, size, &pos, "seal %" PRIu32 " x25519 %s %s %s",
		    g->gen, b64, t1, t2);
		break;
	}
	return (r == -1 ? -1 : 1);
}

void
keyset_wipe(struct keyset *ks)
{
	sodium_memzero(ks, sizeof(*ks));
}
