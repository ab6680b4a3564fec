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

/* AUTH SECRET challenges, proofs and throttling (auth.h). */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ipc.h"
#include "log.h"
#include "scram.h"
#include "auth.h"
#include "table_db.h"

#define NONCE_OCTETS	24	/* n1 before base64 */
#define CNONCE_MIN	16	/* client nonce, characters */
#define CNONCE_MAX	48
#define VERIFIER_MAX	512	/* table value */
#define FAILREC_MAX	16384	/* failure records kept */
#define LOGSTR_MAX	IPC_ACCOUNT_MAX

_Static_assert(sodium_base64_ENCODED_LEN(NONCE_OCTETS,
    sodium_base64_VARIANT_ORIGINAL) <= IPC_NONCE_MAX, "n1 fits");
_Static_assert(SCRAM_SALTLEN == sizeof(((struct ipc_auth_challenge *)0)->salt),
    "salt size");
_Static_assert(SCRAM_KEYLEN == sizeof(((struct ipc_auth_proof *)0)->proof),
    "proof size");

/* One issued challenge, waiting for its AUTH RESPONSE. */
struct pending {
	RB_ENTRY(pending)	 node;
	TAILQ_ENTRY(pending)	 age;
	uint64_t		 reqid;
	time_t			 expires;	/* monotonic */
	int			 known;	/* has a verifier */
	struct scram_verifier	 v;	/* fake if !known */
	char			 account[IPC_ACCOUNT_MAX];	/* key */
	char			 device[IPC_DEVICE_MAX];
	char			 addr[IPC_ADDR_MAX];
	char			 n1[IPC_NONCE_MAX];
	uint64_t		 n2;
};

/* Recent failures for one client address ('a') or account ('u'). */
struct failrec {
	RB_ENTRY(failrec)	 node;
	TAILQ_ENTRY(failrec)	 lru;
	char			 key[1 + IPC_ACCOUNT_MAX];
	time_t			 when[AUTH_THROTTLE_ACCOUNT]; /* ring */
	size_t			 next;	/* next slot of when */
	time_t			 last;	/* newest failure */
};

RB_HEAD(auth_pending_tree, pending);
TAILQ_HEAD(pending_list, pending);
RB_HEAD(auth_failrec_tree, failrec);
TAILQ_HEAD(failrec_list, failrec);

static int	pending_cmp(struct pending *, struct pending *);
static struct pending	*pending_victim(const char *);
static int	failrec_cmp(struct failrec *, struct failrec *);
RB_PROTOTYPE(auth_pending_tree, pending, node, pending_cmp);
RB_PROTOTYPE(auth_failrec_tree, failrec, node, failrec_cmp);

static time_t	 now_mono(void);
static void	 pending_free(struct pending *);
static struct failrec *failrec_find(char, const char *);
static void	 failrec_free(struct failrec *);
static size_t	 failrec_count(const struct failrec *, time_t);
static int	 throttled(const char *, const char *, time_t);
static void	 fail_record(const char *, const char *, time_t);
static int	 cnonce_valid(const char *);
static int	 load_verifier(const char *, struct scram_verifier *);
static void	 fake_verifier(const char *, struct scram_verifier *);
static void	 log_auth(const char *, const char *, const char *,
		    const char *);

static struct auth_pending_tree	 pendings = RB_INITIALIZER(&pendings);
static struct pending_list	 pending_age =
				    TAILQ_HEAD_INITIALIZER(pending_age);
static size_t			 npending, max_pending = 1024;
static struct auth_failrec_tree	 failrecs = RB_INITIALIZER(&failrecs);
static struct failrec_list	 failrec_lru =
				    TAILQ_HEAD_INITIALIZER(failrec_lru);
static size_t			 nfailrec;
static struct table_db		*users;
static uint8_t			 secret[crypto_auth_hmacsha256_KEYBYTES];

RB_GENERATE(auth_pending_tree, pending, node, pending_cmp);
RB_GENERATE(auth_failrec_tree, failrec, node, failrec_cmp);

/*
 * Pending challenges are keyed by the network session (the reqid without
 * its sequence bits): a new AUTH SECRET in a session replaces the
 * challenge that session had, so one client cannot fill the table.
 */
static int
pending_cmp(struct pending *a, struct pending *b)
{
	uint64_t	 sa = a->reqid >> IPC_REQSEQ_BITS;
	uint64_t	 sb = b->reqid >> IPC_REQSEQ_BITS;

	return sa < sb ? -1 : sa > sb;
}

/*
 * The victim when the table is full: the oldest challenge of the same
 * client address if it has one (a client churning sessions evicts its
 * own challenges first), else the oldest of all.
 */
static struct pending *
pending_victim(const char *addr)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &pending_age, age)
		if (strcmp(p->addr, addr) == 0)
			return p;
	return TAILQ_FIRST(&pending_age);
}

static int
failrec_cmp(struct failrec *a, struct failrec *b)
{
	return strcmp(a->key, b->key);
}

static time_t
now_mono(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	return ts.tv_sec;
}

void
auth_init(struct table_db *t, size_t maxp)
{
	users = t;
	if (maxp > 0)
		max_pending = maxp;
	randombytes_buf(secret, sizeof(secret));
}

int
auth_account_key(const char *account, char *out, size_t size)
{
	char	*at, *p;

	if (strlcpy(out, account, size) >= size)
		return -1;
	if ((at = strrchr(out, '@')) != NULL) {
		for (p = at + 1; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p = *p - 'A' + 'a';
		}
	}
	return 0;
}

const char *
auth_log_safe(const char *s, char *out, size_t size)
{
	size_t	i;
	char	c;

	if (size == 0)
		return out;
	for (i = 0; s[i] != '\0' && i < size - 1; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._+@/:-", c) != NULL)
			out[i] = c;
		else
			out[i] = '?';
	}
	out[i] = '\0';
	return out;
}

/* "auth result=<result> account=<account> addr=<addr>[ reason=<why>]" */
static void
log_auth(const char *result, const char *account, const char *addr,
    const char *reason)
{
	char	a[LOGSTR_MAX], b[LOGSTR_MAX];

	auth_log_safe(account, a, sizeof(a));
	auth_log_safe(addr, b, sizeof(b));
	if (reason != NULL)
		log_info("auth result=%s account=%s addr=%s reason=%s",
		    result, a, b, reason);
	else
		log_info("auth result=%s account=%s addr=%s", result, a, b);
}

static void
pending_free(struct pending *p)
{
	RB_REMOVE(auth_pending_tree, &pendings, p);
	TAILQ_REMOVE(&pending_age, p, age);
	npending--;
	sodium_memzero(p, sizeof(*p));
	free(p);
}

static struct failrec *
failrec_find(char kind, const char *s)
{
	struct failrec	key;

	key.key[0] = kind;
	if (strlcpy(key.key + 1, s, sizeof(key.key) - 1) >=
	    sizeof(key.key) - 1)
		return NULL;
	return RB_FIND(auth_failrec_tree, &failrecs, &key);
}

static void
failrec_free(struct failrec *f)
{
	RB_REMOVE(auth_failrec_tree, &failrecs, f);
	TAILQ_REMOVE(&failrec_lru, f, lru);
	nfailrec--;
	free(f);
}

/* Failures of f within the throttling window before now. */
static size_t
failrec_count(const struct failrec *f, time_t now)
{
	size_t	i, n = 0;

	if (f == NULL)
		return 0;
	for (i = 0; i < AUTH_THROTTLE_ACCOUNT; i++) {
		if (f->when[i] != 0 && now - f->when[i] < AUTH_THROTTLE_WINDOW)
			n++;
	}
	return n;
}

/* 1 if addr or account has too many recent failures. */
static int
throttled(const char *addr, const char *account, time_t now)
{
	return failrec_count(failrec_find('a', addr), now) >=
	    AUTH_THROTTLE_ADDR ||
	    failrec_count(failrec_find('u', account), now) >=
	    AUTH_THROTTLE_ACCOUNT;
}

/* Records one failure for addr and one for account. */
static void
fail_record(const char *addr, const char *account, time_t now)
{
	const char	*vals[2] = { addr, account };
	const char	 kinds[2] = { 'a', 'u' };
	struct failrec	*f;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if ((f = failrec_find(kinds[i], vals[i])) != NULL)
			TAILQ_REMOVE(&failrec_lru, f, lru);
		else {
			if (nfailrec >= FAILREC_MAX)
				failrec_free(TAILQ_LAST(&failrec_lru,
				    failrec_list));
			if ((f = calloc(1, sizeof(*f))) == NULL)
				fatal("calloc");
			f->key[0] = kinds[i];
			(void)strlcpy(f->key + 1, vals[i], sizeof(f->key) - 1);
			RB_INSERT(auth_failrec_tree, &failrecs, f);
			nfailrec++;
		}
		/* now is never 0: CLOCK_MONOTONIC has run since boot. */
		f->when[f->next] = now > 0 ? now : 1;
		f->next = (f->next + 1) % AUTH_THROTTLE_ACCOUNT;
		f->last = now;
		TAILQ_INSERT_HEAD(&failrec_lru, f, lru);
	}
}

/* Client nonce: CNONCE_MIN..CNONCE_MAX of [A-Za-z0-9+/=] (immp(7)). */
static int
cnonce_valid(const char *s)
{
	size_t	n;
	char	c;

	for (n = 0; (c = s[n]) != '\0'; n++) {
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return 0;
	}
	return n >= CNONCE_MIN && n <= CNONCE_MAX;
}

/* Reads the verifier of account from the users table: 1, or 0. */
static int
load_verifier(const char *account, struct scram_verifier *v)
{
	char	text[VERIFIER_MAX];
	int	r, ok = 0;

	if (users == NULL)
		return 0;
	r = table_db_get(users, account, text, sizeof(text));
	if (r >= 0) {
		if (scram_verifier_decode(text, v) == 0)
			ok = 1;
		else {
			char	a[LOGSTR_MAX];

			log_warnx("users table: invalid verifier for "
			    "account=%s", auth_log_safe(account, a,
			    sizeof(a)));
		}
	}
	sodium_memzero(text, sizeof(text));
	return ok;
}

/*
 * A verifier for an account we do not have: a stable salt (so that
 * asking twice reveals nothing), default parameters and random keys
 * that no proof can match.
 */
static void
fake_verifier(const char *account, struct scram_verifier *v)
{
	uint8_t	mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)account,
	    strlen(account), secret);
	memcpy(v->salt, mac, sizeof(v->salt));
	sodium_memzero(mac, sizeof(mac));
	v->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	v->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	randombytes_buf(v->stored_key, sizeof(v->stored_key));
	randombytes_buf(v->server_key, sizeof(v->server_key));
}

void
auth_begin(const struct ipc_auth_begin *req, struct ipc_auth_challenge *out)
{
	struct pending	*p, *old;
	uint8_t		 nonce[NONCE_OCTETS];
	time_t		 now = now_mono();

	memset(out, 0, sizeof(*out));
	out->reqid = req->reqid;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->reqid = req->reqid;
	if (auth_account_key(req->account, p->account,
	    sizeof(p->account)) == -1)
		fatalx("auth: account does not fit");
	(void)strlcpy(p->device, req->device, sizeof(p->device));
	(void)strlcpy(p->addr, req->addr, sizeof(p->addr));

	if (throttled(p->addr, p->account, now)) {
		log_auth("throttled", p->account, p->addr, NULL);
		free(p);
		out->result = IPC_THROTTLED;
		return;
	}

	p->known = load_verifier(p->account, &p->v);
	if (!p->known)
		fake_verifier(p->account, &p->v);
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(p->n1, sizeof(p->n1), nonce, sizeof(nonce),
	    sodium_base64_VARIANT_ORIGINAL);
	p->n2 = (uint64_t)time(NULL);
	p->expires = now + AUTH_CHALLENGE_TTL;

	if ((old = RB_FIND(auth_pending_tree, &pendings, p)) != NULL)
		pending_free(old);
	if (npending >= max_pending) {
		log_warnx("auth: %zu challenges pending, dropping the oldest",
		    npending);
		pending_free(pending_victim(p->addr));
	}
	RB_INSERT(auth_pending_tree, &pendings, p);
	TAILQ_INSERT_TAIL(&pending_age, p, age);
	npending++;

	out->result = IPC_OK;
	memcpy(out->n1, p->n1, sizeof(out->n1));
	out->n2 = p->n2;
	memcpy(out->salt, p->v.salt, sizeof(out->salt));
	out->opslimit = p->v.opslimit;
	out->memlimit = p->v.memlimit;
	log_debug("auth challenge reqid=%llu", (unsigned long long)p->reqid);
}

void
auth_proof(const struct ipc_auth_proof *req, struct ipc_auth_result *out)
{
	struct pending	 key, *p;
	char		 am[SCRAM_AUTHMSG_MAX];
	const char	*reason = NULL;
	time_t		 now = now_mono();
	int		 n, ok;

	memset(out, 0, sizeof(*out));
	out->reqid = req->reqid;
	out->result = IPC_FAIL;

	key.reqid = req->reqid;
	if ((p = RB_FIND(auth_pending_tree, &pendings, &key)) == NULL ||
	    p->reqid != req->reqid) {
		log_info("auth result=fail reason=no-challenge reqid=%llu",
		    (unsigned long long)req->reqid);
		return;
	}
	/* Single use: gone whatever happens next. */
	RB_REMOVE(auth_pending_tree, &pendings, p);
	TAILQ_REMOVE(&pending_age, p, age);
	npending--;

	if (now > p->expires)
		reason = "expired";
	else if (throttled(p->addr, p->account, now))
		reason = "throttled";
	else if (!cnonce_valid(req->cnonce))
		reason = "bad-nonce";
	if (reason != NULL) {
		log_auth("fail", p->account, p->addr, reason);
		goto done;
	}

	n = scram_auth_message(am, sizeof(am), p->account, p->device, p->n1,
	    p->n2, req->cnonce, req->cbind);
	/* An unknown account does the same work as a known one. */
	ok = n > 0 && scram_verify_proof(&p->v, am, (size_t)n, req->proof);
	if (ok && p->known) {
		out->result = IPC_OK;
		(void)strlcpy(out->account, p->account, sizeof(out->account));
		scram_server_signature(p->v.server_key, am, (size_t)n,
		    out->server_sig);
		log_auth("ok", p->account, p->addr, NULL);
	} else {
		fail_record(p->addr, p->account, now);
		log_auth("fail", p->account, p->addr, n <= 0 ? "bad-field" :
		    p->known ? "bad-proof" : "unknown-account");
	}
	sodium_memzero(am, sizeof(am));
 done:
	sodium_memzero(p, sizeof(*p));
	free(p);
}

void
auth_expire(void)
{
	struct pending	*p;
	struct failrec	*f, *prev;
	time_t		 now = now_mono();

	while ((p = TAILQ_FIRST(&pending_age)) != NULL && now > p->expires)
		pending_free(p);
	/* LRU order: the oldest failures are at the tail. */
	for (f = TAILQ_LAST(&failrec_lru, failrec_list); f != NULL; f = prev) {
		if (now - f->last < AUTH_THROTTLE_WINDOW)
			break;
		prev = TAILQ_PREV(f, failrec_list, lru);
		failrec_free(f);
	}
}

void
auth_shutdown(void)
{
	struct pending	*p;
	struct failrec	*f;

	while ((p = TAILQ_FIRST(&pending_age)) != NULL)
		pending_free(p);
	while ((f = TAILQ_FIRST(&failrec_lru)) != NULL)
		failrec_free(f);
	sodium_memzero(secret, sizeof(secret));
	users = NULL;
}
