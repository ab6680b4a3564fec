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
 * Outer and inner envelopes (draft 5.1, 5.3.1, 5.3.2; DESIGN §5 "Domain
 * keys and envelopes"; immp(7) ENVELOPES): the canonical JSON form that
 * is signed, the outer envelope codec with the origin signature and the
 * per-hop signatures, and the inner envelope sealed to the destination
 * domain.  Pure functions over memory (jansson, libsodium); no I/O.
 */
#ifndef IMMP_ENVELOPE_H
#define IMMP_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define ENV_VERSION	1
#define ENV_MAX		65536	/* octets of an outer envelope */
#define ENV_INNER_MAX	8192	/* octets of a clear inner envelope */
#define ENV_DEPTH_MAX	8	/* nesting of a canonical value */
#define ENV_INT_MAX	9007199254740991LL	/* 2^53 - 1 */
#define ENV_DOMAIN_MAX	256	/* incl. NUL */
#define ENV_ADDR_MAX	512	/* incl. NUL */
#define ENV_RCPT_MAX	8	/* sealed inner envelopes per outer one */
#define ENV_HOPS_MAX	16	/* received-via entries */
#define ENV_INNER_RCPT_MAX 64	/* recipients per inner envelope */
#define ENV_SIG		64	/* crypto_sign_BYTES */
#define ENV_SIGN_PK	32
#define ENV_SIGN_SK	64
#define ENV_SEAL_PK	32
#define ENV_SEAL_SK	32
#define ENV_FP		32
#define ENV_DIGEST	32	/* SHA-256 */
#define ENV_ID		16	/* random envelope id */
/* A sealed inner envelope in base64, incl. NUL. */
#define ENV_SEALED_MAX	(((ENV_INNER_MAX + 48 + 2) / 3) * 4 + 1)
/* Prefixes of the signed octets (immp(7) ENVELOPES). */
#define ENV_ORIGIN_LABEL "immp-envelope-v1\n"
#define ENV_HOP_LABEL	"immp-hop-v1\n"

/* One received-via entry: a relay's signed addition. */
struct env_hop {
	char		domain[ENV_DOMAIN_MAX];
	int64_t		timestamp;		/* Unix time */
	uint8_t		fp[ENV_FP];		/* its key's */
	uint8_t		sig[ENV_SIG];
};

/*
 * An outer envelope.  The origin fields are everything but via[] and
 * sig; sig is the origin's signature over them.
 */
struct env_outer {
	char		origin[ENV_DOMAIN_MAX];
	char		destination[ENV_DOMAIN_MAX];
	/* the sealed inner envelopes in base64, 1..ENV_RCPT_MAX */
	size_t		nrcpt;
	char		rcpt[ENV_RCPT_MAX][ENV_SEALED_MAX];
	uint8_t		id[ENV_ID];
	uint8_t		digest[ENV_DIGEST];	/* content SHA-256 */
	int64_t		timestamp;
	uint8_t		fp[ENV_FP];		/* origin key */
	/* received-from */
	char		from_domain[ENV_DOMAIN_MAX];
	int64_t		from_timestamp;
	size_t		nvia;			/* 0..ENV_HOPS_MAX */
	struct env_hop	via[ENV_HOPS_MAX];
	uint8_t		sig[ENV_SIG];
};

/* The clear inner envelope. */
struct env_inner {
	uint8_t		id[ENV_ID];		/* the outer one's */
	uint8_t		digest[ENV_DIGEST];	/* the outer one's */
	char		sender[ENV_ADDR_MAX];	/* "": a bounce */
	uint32_t	flags;			/* IPC message flags */
	int64_t		timestamp;
	size_t		nrcpt;		/* 1..ENV_INNER_RCPT_MAX */
	char		rcpt[ENV_INNER_RCPT_MAX][ENV_ADDR_MAX];
};

/*
 * env_canon: the canonical form (immp(7) ENVELOPES, Canonical form) of
 * the JSON text in[0..len): an object at the top, values only objects,
 * arrays, strings and integers in -ENV_INT_MAX..ENV_INT_MAX, strings and
 * keys only of octets 0x20-0x7e, no duplicate keys, nesting at most
 * ENV_DEPTH_MAX, len at most ENV_MAX.  Written with keys sorted by
 * octet, no white space, '"' and '\' escaped and nothing else.  On
 * success *out is a NUL-terminated string the caller frees (free(3)),
 * *outlen its length, and 0 is returned; on failure -1 with a reason in
 * err (errsz octets) and *out NULL.
 */
int	 env_canon(const char *in, size_t len, char **out, size_t *outlen,
	    char *err, size_t errsz);

/*
 * env_parse: parses the outer envelope in[0..len) (JSON, canonical or
 * not) into *e: exactly the members of immp(7) ENVELOPES, each of its
 * type and form (lower-case domains, lower-case hex, canonical base64
 * of the right length); anything else is refused.  Signatures are not
 * checked here.  Returns 0, or -1 with *e zeroed and a reason in err.
 */
int	 env_parse(const char *in, size_t len, struct env_outer *e,
	    char *err, size_t errsz);

/*
 * env_format: the canonical JSON text of *e, NUL-terminated, in a
 * buffer the caller frees; *len its length.  NULL if *e is malformed
 * (a field env_parse would refuse) or on ENOMEM.  It parses back with
 * env_parse to *e.
 */
char	*env_format(const struct env_outer *e, size_t *len);

/*
 * env_origin_msg: the octets the origin signs: ENV_ORIGIN_LABEL then
 * the canonical form of the origin fields of *e.  Caller frees *out;
 * returns 0, or -1 (malformed *e, ENOMEM).
 */
int	 env_origin_msg(const struct env_outer *e, char **out, size_t *len);

/*
 * env_sign: sets e->sig to the Ed25519 signature by sk (ENV_SIGN_SK
 * octets, libsodium) over env_origin_msg.  Returns 0 or -1.  Draft
 * 5.3.1.
 */
int	 env_sign(struct env_outer *e, const uint8_t sk[ENV_SIGN_SK]);

/*
 * env_verify: 0 if e->sig is pk's (ENV_SIGN_PK) signature over the
 * origin fields, else -1.
 */
int	 env_verify(const struct env_outer *e,
	    const uint8_t pk[ENV_SIGN_PK]);

/*
 * env_hop_msg: the octets hop i of *e signs: ENV_HOP_LABEL then the
 * canonical {"domain","key-fingerprint","previous","timestamp"}, where
 * previous is the base64 of the signature before it (the origin's for
 * hop 0).  Caller frees *out; 0 or -1.
 */
int	 env_hop_msg(const struct env_outer *e, size_t i, char **out,
	    size_t *len);

/*
 * env_hop_add: appends a received-via entry for domain at timestamp
 * with the key fingerprint fp, signed with sk.  Returns 0, or -1 (no
 * room: ENV_HOPS_MAX, bad domain).
 */
int	 env_hop_add(struct env_outer *e, const char *domain,
	    int64_t timestamp, const uint8_t fp[ENV_FP],
	    const uint8_t sk[ENV_SIGN_SK]);

/* env_hop_verify: 0 if hop i's signature is pk's, else -1. */
int	 env_hop_verify(const struct env_outer *e, size_t i,
	    const uint8_t pk[ENV_SIGN_PK]);

/*
 * env_inner_format: the canonical JSON of *in (caller frees; *len its
 * length), NULL if malformed or ENOMEM.  env_inner_parse: the reverse,
 * as strict as env_parse; 0, or -1 with a reason in err.  Draft 5.3.2.
 */
char	*env_inner_format(const struct env_inner *in, size_t *len);
int	 env_inner_parse(const char *buf, size_t len, struct env_inner *in,
	    char *err, size_t errsz);

/*
 * env_inner_seal: crypto_box_seal of env_inner_format(*in) to pk, in
 * base64, into out (outsz octets, ENV_SEALED_MAX is enough).  Returns
 * 0 or -1.  env_inner_open: opens the base64 sealed text s with the key
 * pair pk/sk and parses it into *in; 0, or -1 with a reason in err
 * ("not sealed to us" when the box does not open).  Draft 5.3.2.
 */
int	 env_inner_seal(const struct env_inner *in,
	    const uint8_t pk[ENV_SEAL_PK], char *out, size_t outsz);
int	 env_inner_open(const char *s, const uint8_t pk[ENV_SEAL_PK],
	    const uint8_t sk[ENV_SEAL_SK], struct env_inner *in, char *err,
	    size_t errsz);

/*
 * env_time_ok: 1 if ts lies within window seconds of now (either way),
 * else 0.
 */
int	 env_time_ok(int64_t ts, int64_t now, int64_t window);

/* Why env_check refused an envelope (env_verdict_name gives the word). */
enum env_verdict {
	ENV_OK = 0,
	ENV_WRONG_DESTINATION,	/* immp-destination is not ours */
	ENV_STALE,		/* timestamp outside the window */
	ENV_BAD_DIGEST,		/* content-sha256 differs */
	ENV_BAD_SIGNATURE,	/* origin signature does not verify */
	ENV_BAD_KEY,		/* key-fingerprint is not the pinned key */
	ENV_NOT_SEALED,		/* no inner envelope opens for us */
	ENV_MISBOUND,		/* inner id or digest not this one's */
	ENV_REPLAY,		/* envelope-id seen within the window */
};

/* Envelope ids seen, each remembered until its window has passed. */
struct env_replay {
	size_t		 n, cap;		/* cap 0: unbounded */
	size_t		 alloc;		/* entries allocated */
	struct env_seen {
		uint8_t	 id[ENV_ID];
		int64_t	 until;
	}		*seen;
};

/*
 * env_verdict_name: a fixed lower-case word for v ("ok",
 * "wrong-destination", "stale", "bad-digest", "bad-signature",
 * "bad-key", "not-sealed", "misbound", "replay"), for the log line
 * "event=envelope-refused reason=<word>".
 */
const char *env_verdict_name(enum env_verdict v);

/*
 * env_replay_check: 1 if id was recorded by an earlier call and its
 * time (until = now + window) has not passed; else records it (expired
 * entries are dropped first) and returns 0.  -1 on ENOMEM or when cap
 * entries are live (the caller refuses the message as a temporary
 * failure).  env_replay_free releases the table.
 */
int	 env_replay_check(struct env_replay *r, const uint8_t id[ENV_ID],
	    int64_t now, int64_t window);
void	 env_replay_free(struct env_replay *r);

/*
 * env_check: the receiver's checks of immp(7) ENVELOPES,
 * Verification, in this order: destination (lower-case domain, ours),
 * timestamp within window seconds of now, the SHA-256 digest of the
 * content as received, the key fingerprint and the origin signature
 * against the origin's pinned keys (fp, sign_pk), an inner envelope
 * that opens with our seal key pair, bound to this envelope (same id and
 * digest), and last the replay table r (only an envelope that passed
 * everything else is recorded).  Relay signatures are not checked here
 * (env_hop_verify, with each relay's key).  Returns ENV_OK with *in
 * filled, else the first failing check with *in zeroed; -1 only from
 * env_replay_check (ENOMEM).
 */
int	 env_check(const struct env_outer *e, const char *destination,
	    int64_t now, int64_t window, const uint8_t digest[ENV_DIGEST],
	    const uint8_t fp[ENV_FP], const uint8_t sign_pk[ENV_SIGN_PK],
	    const uint8_t seal_pk[ENV_SEAL_PK],
	    const uint8_t seal_sk[ENV_SEAL_SK], struct env_replay *r,
	    struct env_inner *in);

/*
 * The content digest (immp(7) ENVELOPES, content-sha256): SHA-256 over
 * one line per part of the message as relayed, in order, the envelope
 * and the trace part excepted:
 *	"part " <name> " " <type> " " ("content" / "attachment") " "
 *	<length in decimal> " " <SHA-256 of its octets, lower-case hex> LF
 * so that sender and receiver can hash the octets as they stream.
 * env_digest_init starts, env_digest_data adds decoded octets of the
 * current part, env_digest_part ends that part (name and type as on its
 * DATA line, type in lower case; -1 if they do not fit a line: the part
 * is then not counted), env_digest_final writes the 32 octets and wipes
 * *d.
 */
struct env_digest {
	crypto_hash_sha256_state all;
	crypto_hash_sha256_state part;
	uint64_t		 len;	/* octets of the current part */
};

void	 env_digest_init(struct env_digest *d);
void	 env_digest_data(struct env_digest *d, const void *buf, size_t len);
int	 env_digest_part(struct env_digest *d, const char *name,
	    const char *type, int content);
void	 env_digest_final(struct env_digest *d, uint8_t out[ENV_DIGEST]);

/*
 * env_make: the outer envelope *e for one message from origin to
 * destination: the inner envelope *in (its id, digest and timestamp are
 * set here from digest, a fresh random id and now) sealed to seal_pk,
 * received-from the origin at now, signed with sign_sk whose generation
 * has the fingerprint fp; one inner envelope with all recipients (1..
 * ENV_INNER_RCPT_MAX; a message with more goes as several).  Returns 0,
 * or -1 with *e zeroed (bad domain or recipient).  Draft 5.1, 5.3.
 */
int	 env_make(struct env_outer *e, struct env_inner *in,
	    const char *origin, const char *destination,
	    const uint8_t digest[ENV_DIGEST], int64_t now,
	    const uint8_t fp[ENV_FP], const uint8_t sign_sk[ENV_SIGN_SK],
	    const uint8_t seal_pk[ENV_SEAL_PK]);

#endif
