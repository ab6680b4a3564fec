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
 * Unit tests for immp-lookup/auth.c: AUTH SECRET challenges, proofs,
 * replay, unknown accounts and throttling, against a users table
 * written with immpctl's table writer.
 */

#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ipc.h"
#include "scram.h"
#include "../../immp-lookup/auth.h"
#include "../../immp-lookup/table_db.h"
#include "../../immpctl/table_write.h"

#define CNONCE	"Y2xpZW50LW5vbmNlLTEyMzQ1"

static char		 dir[PATH_MAX], path[PATH_MAX];
static struct table_db	*users;
static uint64_t		 reqid;
/* Each begin() is a new network session (immpd's reqid layout, ipc.h). */
#define STEP	(1ULL << IPC_REQSEQ_BITS)

static void
add_user(const char *account, const char *password)
{
	struct scram_verifier	v;
	char			text[512], err[512];
	int			n;

	assert_int_equal(scram_make_verifier(password, strlen(password), 1,
	    8192, &v), 0);
	n = scram_verifier_encode(&v, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(table_update(path, TABLE_SET, account, text,
	    (size_t)n, (gid_t)-1, err, sizeof(err)), TABLE_OK);
}

static int
setup(void **state)
{
	const char	*t;

	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/test_auth.XXXXXX", t) >=
	    sizeof(dir) || mkdtemp(dir) == NULL)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/users.db", dir) >=
	    sizeof(path))
		return -1;
	if ((users = table_db_open(path)) == NULL)
		return -1;
	auth_init(users, 8);
	return 0;
}

static int
teardown(void **state)
{
	auth_shutdown();
	table_db_close(users);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
begin(const char *account, const char *addr, struct ipc_auth_challenge *c)
{
	struct ipc_auth_begin	req;

	memset(&req, 0, sizeof(req));
	req.reqid = (reqid += STEP);
	strlcpy(req.account, account, sizeof(req.account));
	strlcpy(req.device, "laptop", sizeof(req.device));
	strlcpy(req.addr, addr, sizeof(req.addr));
	auth_begin(&req, c);
	assert_int_equal(c->reqid, reqid);
}

/*
 * Answers challenge c (of request id) as a client with password would;
 * corrupt != 0 changes the channel binding after the proof is made.
 * Returns the result; on IPC_OK checks the ServerSignature.
 */
static int
prove(uint64_t id, const char *account, const char *password,
    const struct ipc_auth_challenge *c, int corrupt,
    struct ipc_auth_result *r)
{
	struct ipc_auth_proof	p;
	uint8_t	salted[32], ck[32], sk[32], svk[32], sig[32];
	char	am[SCRAM_AUTHMSG_MAX];
	int	n;

	memset(&p, 0, sizeof(p));
	p.reqid = id;
	strlcpy(p.cnonce, CNONCE, sizeof(p.cnonce));
	memset(p.cbind, 0xaa, sizeof(p.cbind));
	assert_int_equal(scram_salted_password(password, strlen(password),
	    c->salt, c->opslimit, c->memlimit, salted), 0);
	scram_keys(salted, ck, sk, svk);
	n = scram_auth_message(am, sizeof(am), account, "laptop", c->n1,
	    c->n2, p.cnonce, p.cbind);
	assert_true(n > 0);
	scram_client_proof(ck, sk, am, (size_t)n, p.proof);
	if (corrupt)
		p.cbind[0] ^= 1;
	auth_proof(&p, r);
	assert_int_equal(r->reqid, id);
	if (r->result == IPC_OK) {
		scram_server_signature(svk, am, (size_t)n, sig);
		assert_memory_equal(sig, r->server_sig, sizeof(sig));
	}
	return r->result;
}

static void
test_ok_and_replay(void **state)
{
	struct ipc_auth_challenge	c;
	struct ipc_auth_result		r;

	add_user("alice@demo.test", "pw-alice");
	begin("alice@DEMO.test", "10.0.0.1", &c);
	assert_int_equal(c.result, IPC_OK);
	assert_int_equal(strlen(c.n1), 32);
	assert_int_equal(c.opslimit, 1);
	assert_int_equal(c.memlimit, 8192);
	/* The canonical account (domain in lower case) is authenticated. */
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_OK);
	assert_string_equal(r.account, "alice@demo.test");
	/* Single use. */
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_FAIL);
	assert_string_equal(r.account, "");
	/* A request id that never had a challenge. */
	assert_int_equal(prove(999999, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_FAIL);
}

static void
test_wrong(void **state)
{
	struct ipc_auth_challenge	c, c2;
	struct ipc_auth_result		r;
	struct ipc_auth_proof		p;

	add_user("alice@demo.test", "pw-alice");
	begin("alice@demo.test", "10.0.0.1", &c);
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alicE", &c, 0,
	    &r), IPC_FAIL);
	begin("alice@demo.test", "10.0.0.2", &c);
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 1,
	    &r), IPC_FAIL);
	/* A proof for another account's AuthMessage. */
	begin("alice@demo.test", "10.0.0.3", &c);
	assert_int_equal(prove(reqid, "bob@demo.test", "pw-alice", &c, 0,
	    &r), IPC_FAIL);

	/* A new challenge for the same request id replaces the old one. */
	begin("alice@demo.test", "10.0.0.4", &c);
	reqid -= STEP;
	begin("alice@demo.test", "10.0.0.4", &c2);
	assert_string_not_equal(c.n1, c2.n1);
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_FAIL);

	/* Malformed client nonces. */
	begin("alice@demo.test", "10.0.0.5", &c);
	memset(&p, 0, sizeof(p));
	p.reqid = reqid;
	strlcpy(p.cnonce, "short", sizeof(p.cnonce));
	auth_proof(&p, &r);
	assert_int_equal(r.result, IPC_FAIL);
	begin("alice@demo.test", "10.0.0.5", &c);
	p.reqid = reqid;
	strlcpy(p.cnonce, "abcdefghijklmnop,", sizeof(p.cnonce));
	auth_proof(&p, &r);
	assert_int_equal(r.result, IPC_FAIL);
}

static void
test_unknown(void **state)
{
	struct ipc_auth_challenge	c, c2, c3;
	struct ipc_auth_result		r;

	add_user("alice@demo.test", "pw-alice");
	begin("ghost@demo.test", "10.0.0.1", &c);
	begin("ghost@demo.test", "10.0.0.2", &c2);
	begin("ghost2@demo.test", "10.0.0.2", &c3);
	assert_int_equal(c.result, IPC_OK);
	assert_memory_equal(c.salt, c2.salt, sizeof(c.salt));
	assert_memory_not_equal(c.salt, c3.salt, sizeof(c.salt));
	assert_string_not_equal(c.n1, c2.n1);
	assert_int_equal(c.opslimit,
	    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	assert_int_equal(c.memlimit,
	    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
	assert_int_equal(prove(reqid, "ghost2@demo.test", "x", &c3, 0, &r),
	    IPC_FAIL);
}

static void
test_missing_table(void **state)
{
	struct ipc_auth_challenge	c;
	struct ipc_auth_result		r;

	/* No users table file at all: everyone is unknown. */
	begin("alice@demo.test", "10.0.0.1", &c);
	assert_int_equal(c.result, IPC_OK);
	assert_int_equal(c.opslimit,
	    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
	/* Created later: found without a restart. */
	add_user("alice@demo.test", "pw-alice");
	begin("alice@demo.test", "10.0.0.1", &c);
	assert_int_equal(c.opslimit, 1);
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_OK);
}

static void
test_throttle_addr(void **state)
{
	struct ipc_auth_challenge	c;
	struct ipc_auth_result		r;
	int				i;

	add_user("alice@demo.test", "pw-alice");
	add_user("bob@demo.test", "pw-bob");
	for (i = 0; i < AUTH_THROTTLE_ADDR; i++) {
		begin(i % 2 ? "alice@demo.test" : "bob@demo.test", "10.9.9.9",
		    &c);
		assert_int_equal(c.result, IPC_OK);
		assert_int_equal(prove(reqid, i % 2 ? "alice@demo.test" :
		    "bob@demo.test", "wrong", &c, 0, &r), IPC_FAIL);
	}
	begin("alice@demo.test", "10.9.9.9", &c);
	assert_int_equal(c.result, IPC_THROTTLED);
	/* Another address is not affected. */
	begin("alice@demo.test", "10.9.9.8", &c);
	assert_int_equal(c.result, IPC_OK);
	assert_int_equal(prove(reqid, "alice@demo.test", "pw-alice", &c, 0,
	    &r), IPC_OK);
}

static void
test_throttle_account(void **state)
{
	struct ipc_auth_challenge	c;
	struct ipc_auth_result		r;
	char				addr[32];
	int				i;

	add_user("bob@demo.test", "pw-bob");
	for (i = 0; i < AUTH_THROTTLE_ACCOUNT; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		begin("bob@demo.test", addr, &c);
		assert_int_equal(c.result, IPC_OK);
		assert_int_equal(prove(reqid, "bob@demo.test", "wrong", &c, 0,
		    &r), IPC_FAIL);
	}
	begin("bob@demo.test", "198.51.100.1", &c);
	assert_int_equal(c.result, IPC_THROTTLED);
	begin("BOB@demo.test", "198.51.100.1", &c);
	assert_int_equal(c.result, IPC_OK);	/* the local part is kept */
	begin("bob@DEMO.TEST", "198.51.100.1", &c);
	assert_int_equal(c.result, IPC_THROTTLED);
}

/* Challenges fetched in advance do not escape the throttle. */
static void
test_throttle_parallel(void **state)
{
	struct ipc_auth_challenge	c[AUTH_THROTTLE_ADDR + 1];
	struct ipc_auth_result		r;
	uint64_t			first;
	int				i;

	add_user("alice@demo.test", "pw-alice");
	first = reqid + STEP;
	for (i = 0; i <= AUTH_THROTTLE_ADDR; i++) {
		begin("alice@demo.test", "10.7.7.7", &c[i]);
		assert_int_equal(c[i].result, IPC_OK);
	}
	for (i = 0; i < AUTH_THROTTLE_ADDR; i++)
		assert_int_equal(prove(first + (uint64_t)i * STEP, "alice@demo.test",
		    "wrong", &c[i], 0, &r), IPC_FAIL);
	assert_int_equal(prove(first + AUTH_THROTTLE_ADDR * STEP, "alice@demo.test",
	    "pw-alice", &c[AUTH_THROTTLE_ADDR], 0, &r), IPC_FAIL);
}

/* At most 8 challenges (auth_init above): the oldest is dropped. */
static void
test_pending_cap(void **state)
{
	struct ipc_auth_challenge	c[9];
	struct ipc_auth_result		r;
	uint64_t			first;
	int				i;

	add_user("alice@demo.test", "pw-alice");
	first = reqid + STEP;
	for (i = 0; i < 9; i++)
		begin("alice@demo.test", "10.6.6.6", &c[i]);
	assert_int_equal(prove(first, "alice@demo.test", "pw-alice", &c[0],
	    0, &r), IPC_FAIL);
	assert_int_equal(prove(first + STEP, "alice@demo.test", "pw-alice",
	    &c[1], 0, &r), IPC_OK);
	assert_int_equal(prove(first + 8 * STEP, "alice@demo.test", "pw-alice",
	    &c[8], 0, &r), IPC_OK);
}

/* A session keeps one challenge: a new AUTH SECRET replaces its last. */
static void
test_one_challenge_per_session(void **state)
{
	struct ipc_auth_challenge	c1, c2;
	struct ipc_auth_result		r;
	uint64_t			sess;

	add_user("alice@demo.test", "pw-alice");
	begin("alice@demo.test", "10.5.5.5", &c1);
	sess = reqid;
	reqid = sess + 1 - STEP;	/* same session, next sequence number */
	begin("alice@demo.test", "10.5.5.5", &c2);
	assert_int_equal(reqid, sess + 1);
	assert_int_equal(prove(sess, "alice@demo.test", "pw-alice", &c1, 0,
	    &r), IPC_FAIL);
	assert_int_equal(prove(sess + 1, "alice@demo.test", "pw-alice", &c2,
	    0, &r), IPC_OK);
}

static void
test_helpers(void **state)
{
	char	buf[32];

	assert_int_equal(auth_account_key("Al.Ice@Demo.TEST", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "Al.Ice@demo.test");
	assert_int_equal(auth_account_key("x@yz", buf, 5), 0);
	assert_int_equal(auth_account_key("x@yzw", buf, 5), -1);
	assert_string_equal(auth_log_safe("a b=c\n@d", buf, sizeof(buf)),
	    "a?b?c?@d");
	assert_string_equal(auth_log_safe("::1", buf, sizeof(buf)), "::1");
	assert_string_equal(auth_log_safe("abcdef", buf, 4), "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_and_replay, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_table, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throttle_addr, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throttle_account, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_throttle_parallel, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pending_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_challenge_per_session,
		    setup, teardown),
		cmocka_unit_test(test_helpers),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
