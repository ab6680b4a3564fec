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
 * Domain keys (draft 6.1, DESIGN §5 "Domain keys and envelopes"): the
 * key files of immpctl(8) KEY FILES, the fingerprint and the rollover
 * signature of immp(7) DOMAIN KEYS, and the published view that KEY
 * REQUEST returns.
 *
 * A domain has one or two key generations.  A generation is an Ed25519
 * signing key pair and an X25519 sealing key pair (libsodium
 * crypto_sign / crypto_box) with a number, a creation time and an end
 * of validity.  With two, the older is the current generation, valid
 * until its not-after time, and the newer the next one, signed by the
 * older (the rollover signature).
 *
 * Each domain has two files in the key directory (immpd.conf(5) keys):
 *   <domain>.key  secret keys, mode 0600   "immp-keys v1 secret <domain>"
 *   <domain>.pub  public keys, mode 0644   "immp-keys v1 public <domain>"
 * followed by one "sign" and one "seal" line per generation and, with
 * two generations, one "rollover" line (public file only).  The secret
 * file is authoritative: the public file is derived from it (Ed25519
 * signatures are deterministic), byte for byte.  The grammar is a
 * positive one (keyfile_parse); anything else is refused.
 */
#ifndef IMMP_KEYFILE_H
#define IMMP_KEYFILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KEY_SIGN_PK	32	/* crypto_sign_PUBLICKEYBYTES */
#define KEY_SIGN_SK	64	/* crypto_sign_SECRETKEYBYTES */
#define KEY_SEAL_PK	32	/* crypto_box_PUBLICKEYBYTES */
#define KEY_SEAL_SK	32	/* crypto_box_SECRETKEYBYTES */
#define KEY_SIG		64	/* crypto_sign_BYTES */
#define KEY_FP		32	/* crypto_generichash output */
#define KEY_FP_HEX	(2 * KEY_FP + 1)	/* lower-case hex + NUL */
#define KEY_MAX_GEN	2	/* current and next */
#define KEY_DOMAIN_MAX	256	/* incl. NUL */
#define KEY_TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */
#define KEYFILE_MAX	4096	/* octets of a key file */
#define KEY_LINE_MAX	256	/* a published key line, incl. NUL */
/* "immp-key-v1", the prefix of the fingerprint input (immp(7)). */
#define KEY_FP_LABEL	"immp-key-v1"

enum keyfile_kind {
	KEYFILE_PUBLIC,		/* <domain>.pub */
	KEYFILE_SECRET,		/* <domain>.key */
};

struct key_gen {
	uint32_t	gen;		/* 1..UINT32_MAX */
	int64_t		created;	/* Unix time, 1..KEY_TIME_MAX */
	int64_t		not_after;	/* > created, 0: none */
	uint8_t		sign_pk[KEY_SIGN_PK];
	uint8_t		seal_pk[KEY_SEAL_PK];
	uint8_t		fp[KEY_FP];
	uint8_t		sign_sk[KEY_SIGN_SK];	/* secret sets */
	uint8_t		seal_sk[KEY_SEAL_SK];	/* secret sets */
};

/*
 * The keys of one domain.  gen[0..ngen) ascend by number; the newest
 * has no not-after, an older one has one.  With ngen == 2,
 * rollover_sig is gen[0]'s signature of gen[1] (keyset_rollover_msg).
 * secret is 1 if the secret keys are filled in.
 */
struct keyset {
	char		domain[KEY_DOMAIN_MAX];	/* lower case */
	int		secret;
	size_t		ngen;		/* 1..KEY_MAX_GEN */
	struct key_gen	gen[KEY_MAX_GEN];
	uint8_t		rollover_sig[KEY_SIG];
};

struct ipc_key_result;

/*
 * keyfile_parse: parses buf[0..len) (not NUL-terminated, may hold any
 * octet) as a key file of the given kind for domain (lower case, or
 * NULL to accept the domain of the file).  Fills *ks completely (public
 * keys, fingerprints, and for KEYFILE_SECRET the secret keys; the public
 * keys are then derived from them).  Checks everything the grammar of
 * immpctl(8) KEY FILES says: the header, the line order, numbers
 * without sign or leading zero, canonical base64 of the exact length
 * (b64_decode), valid Ed25519 points, secret keys that match their
 * public half, times, and the rollover signature.  Returns 0, or -1
 * with *ks wiped and a message "line N: reason" (or "reason") in err
 * (errsz octets).  Draft 6.1; DESIGN §3 (strict on-disk formats).
 */
int	 keyfile_parse(const char *buf, size_t len, enum keyfile_kind kind,
	    const char *domain, struct keyset *ks, char *err, size_t errsz);

/*
 * keyfile_format: writes the key file text of *ks of the given kind
 * into buf (size octets, NUL-terminated).  KEYFILE_SECRET needs a set
 * with secret keys.  The output parses back with keyfile_parse to the
 * same set.  Returns its length, or -1 (EINVAL: no secret keys or a
 * malformed set; ENOSPC: buf too small; buf is then wiped).  buf may
 * hold secret keys: the caller wipes it.  immpctl(8) KEY FILES, draft
 * 6.1.
 */
int	 keyfile_format(const struct keyset *ks, enum keyfile_kind kind,
	    char *buf, size_t size);

/*
 * keyfile_read: reads and parses the key file at path (at most
 * KEYFILE_MAX octets, a regular file, not followed if a symbolic link).
 * A KEYFILE_SECRET file must not be accessible by group or others.
 * Returns 0 with *ks filled as by keyfile_parse; 1 if the file does not
 * exist (*ks wiped, err empty); or -1 with *ks wiped and a message
 * "path: reason" in err (errsz octets).  The read buffer is wiped; no
 * descriptor is left open.  Draft 6.1.
 */
int	 keyfile_read(const char *path, enum keyfile_kind kind,
	    const char *domain, struct keyset *ks, char *err, size_t errsz);

/*
 * keyfile_path: "<dir>/<domain>.pub" or ".key" into buf (size octets;
 * dir is the keys directory of immpd.conf(5)).  domain must be a valid
 * lower-case domain (imid_domain_valid), so it cannot hold "/" or "..".
 * Returns 0, or -1 (EINVAL bad domain, ENAMETOOLONG).
 */
int	 keyfile_path(const char *dir, const char *domain,
	    enum keyfile_kind kind, char *buf, size_t size);

/*
 * key_fingerprint: the fingerprint of a generation, immp(7) DOMAIN
 * KEYS: BLAKE2b-256 (crypto_generichash, 32 octets, no key) of
 * KEY_FP_LABEL || sign_pk || seal_pk.  Writes KEY_FP octets to fp.
 */
void	 key_fingerprint(const uint8_t sign_pk[KEY_SIGN_PK],
	    const uint8_t seal_pk[KEY_SEAL_PK], uint8_t fp[KEY_FP]);

/*
 * key_fp_hex: the text form of a fingerprint (immp(7) DOMAIN KEYS):
 * KEY_FP octets of fp as 64 lower-case hex digits and a NUL into out.
 */
void	 key_fp_hex(const uint8_t fp[KEY_FP], char out[KEY_FP_HEX]);

/*
 * keyset_rollover_msg: the text signed by a rollover, immp(7) DOMAIN
 * KEYS: "immp-rollover v1 <domain> <previous fp hex> <new fp hex>",
 * without a line end, into buf (size octets).  Returns its length, or
 * -1 if it does not fit.
 */
int	 keyset_rollover_msg(const char *domain, const uint8_t prev[KEY_FP],
	    const uint8_t next[KEY_FP], char *buf, size_t size);

/*
 * keyset_generate: a new secret set for domain (lower case, valid)
 * with one generation number 1 created at now, from libsodium's
 * random generator (crypto_sign_keypair, crypto_box_keypair), draft
 * 6.1.  Returns 0, or -1 (EINVAL) for a bad domain or time.  *ks holds
 * secret keys: wipe it with keyset_wipe.
 */
int	 keyset_generate(struct keyset *ks, const char *domain, time_t now);

/*
 * keyset_rollover: in the secret set *ks, drops a generation that has
 * expired at now, then adds the next generation (number + 1, created
 * at now), gives the current one the not-after time now + period
 * (seconds, > 0) and signs the new one with it (immp(7) DOMAIN KEYS,
 * Rollover; draft 6.1).  Returns 0; or -1 with
 * *errstr: "rollover in progress" (a next generation exists and the
 * current has not expired; *ks unchanged), "no secret keys",
 * "generation numbers exhausted", "bad time".
 */
int	 keyset_rollover(struct keyset *ks, time_t now, uint32_t period,
	    const char **errstr);

/*
 * keyset_view: what KEY REQUEST publishes of *ks at now (draft 6.1):
 * fills out->domain, ngen, gen[] (the current generation first, then
 * the next one; expired generations are left out) and the rollover
 * fields (kept after the previous generation expired, so a peer that
 * pinned it can follow).  reqid and result are left to the caller.
 * Returns out->ngen (0 if every generation has expired).
 */
int	 keyset_view(const struct keyset *ks, time_t now,
	    struct ipc_key_result *out);

/*
 * keyview_line: line i (from 0) of the published keys in *v, the text
 * of the 261 continuation lines of immp(7) KEY REQUEST and of
 * immpctl(8) key show:
 *	key <gen> current|next <fp>
 *	sign <gen> ed25519 <base64> <created> <not-after>
 *	seal <gen> x25519 <base64> <created> <not-after>
 *	rollover <gen> <prev gen> <prev fp> <base64 signature>
 * into buf (size octets, at least KEY_LINE_MAX).  Returns 1 if line i
 * was written, 0 if there is no line i, -1 if buf is too small or *v
 * is malformed.
 */
int	 keyview_line(const struct ipc_key_result *v, size_t i, char *buf,
	    size_t size);

/*
 * keyset_wipe: zeroes *ks (sodium_memzero), secret keys included; the
 * set is then empty (ngen 0).
 */
void	 keyset_wipe(struct keyset *ks);

#endif
