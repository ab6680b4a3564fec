/*
 * Unit tests for relay: the AUTH COOKIE computation (immp-lookup
 * cookie.c), the SRV ordering (route.c), the pin store (immp-queue
 * pins.c), and hostile input to the new parsers: AUTH COOKIE / AUTH
 * VERIFY arguments and the 101 greeting (immpd cookie_parse.c), the
 * relay trace (common/trace.c) and the relay statements of
 * immpd.conf(5).
 */

#include <sys/stat.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "conf.h"
#include "ipc_relay.h"
#include "log.h"
#include "trace.h"
#include "../../immp-lookup/cookie.h"
#include "../../immp-lookup/route.h"
#include "../../immp-queue/pins.h"
#include "../../immpd/outbound.h"

int	 cookie_args_parse(const char *, const char *, char *, uint8_t *,
	    const char **);

static char	tmpdir[PATH_MAX - 64];

/* Cookie: RFC 4231-style fixed vector, computed independently. */
static void
test_cookie_vector(void **state)
{
	static const char want[] =
	    "effad5232ce4bcf0804cb5cc0b9f01587a4925b2d739d02bb9c85ea1d1fc5854";
	uint8_t	key[COOKIE_KEY_LEN], out[IPC_COOKIE_LEN];
	char	hex[2 * IPC_COOKIE_LEN + 1];
	size_t	i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(cookie_compute(key, "b.test", "a.test",
	    "Tf2bvwujv7541yYHNoE7wbJJC+iuUOdZ", out), 0);
	sodium_bin2hex(hex, sizeof(hex), out, sizeof(out));
	assert_string_equal(hex, want);
	/* Any change of receiver, issuer or nonce changes the cookie. */
	assert_int_equal(cookie_compute(key, "c.test", "a.test",
	    "Tf2bvwujv7541yYHNoE7wbJJC+iuUOdZ", out), 0);
	sodium_bin2hex(hex, sizeof(hex), out, sizeof(out));
	assert_string_not_equal(hex, want);
	assert_int_equal(cookie_compute(key, "b.test a.test", "",
	    "x", out), -1);
	assert_int_equal(cookie_compute(key, "b.test", "a.test", "", out),
	    -1);
}

static void
test_cookie_load(void **state)
{
	char	path[PATH_MAX];
	uint8_t	key[COOKIE_KEY_LEN], zero[COOKIE_KEY_LEN] = { 0 };
	FILE	*fp;

	(void)snprintf(path, sizeof(path), "%s/secret", tmpdir);
	/* Random when none is configured. */
	assert_int_equal(cookie_load("", key), 0);
	assert_memory_not_equal(key, zero, sizeof(key));
	/* Missing, too short, too long, readable by others: refused. */
	assert_int_equal(cookie_load(path, key), -1);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(zero, 1, 31, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cookie_load(path, key), -1);
	fp = fopen(path, "w");
	fwrite(zero, 1, 32, fp);
	fwrite(zero, 1, 1, fp);
	fclose(fp);
	assert_int_equal(cookie_load(path, key), -1);
	fp = fopen(path, "w");
	fwrite(zero, 1, 32, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cookie_load(path, key), -1);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cookie_load(path, key), 0);
	assert_memory_equal(key, zero, sizeof(key));
	unlink(path);
}

/* SRV ordering: a scripted "random" source. */
static uint32_t	script[32];
static size_t	nscript;
static uint32_t
fake_rnd(uint32_t upper)
{
	uint32_t	v = nscript < 32 ? script[nscript++] : 0;

	assert_true(v < upper);
	return (v);
}

static void
srv(struct route_srv *s, uint16_t prio, uint16_t weight, const char *t)
{
	memset(s, 0, sizeof(*s));
	s->priority = prio;
	s->weight = weight;
	s->port = 1025;
	strlcpy(s->target, t, sizeof(s->target));
}

static void
test_srv_order(void **state)
{
	struct route_srv	s[5];

	/* Priority first, whatever the weights. */
	srv(&s[0], 20, 100, "c");
	srv(&s[1], 10, 0, "a");
	srv(&s[2], 30, 5, "d");
	srv(&s[3], 10, 0, "b");
	nscript = 0;
	memset(script, 0, sizeof(script));
	route_srv_order(s, 4, fake_rnd);
	assert_int_equal(s[0].priority, 10);
	assert_int_equal(s[1].priority, 10);
	assert_string_equal(s[2].target, "c");
	assert_string_equal(s[3].target, "d");

	/*
	 * Weights 0, 10, 30 at one priority: the zero-weight record comes
	 * first in the running sums (0, 10, 40); r = 25 picks the 30.
	 */
	srv(&s[0], 1, 10, "ten");
	srv(&s[1], 1, 30, "thirty");
	srv(&s[2], 1, 0, "zero");
	nscript = 0;
	script[0] = 25;		/* of 0..40 */
	script[1] = 0;		/* then of 0..10: the zero-weight one */
	route_srv_order(s, 3, fake_rnd);
	assert_string_equal(s[0].target, "thirty");
	assert_string_equal(s[1].target, "zero");
	assert_string_equal(s[2].target, "ten");

	/* r = 40 (the top) picks the last record. */
	srv(&s[0], 1, 10, "ten");
	srv(&s[1], 1, 30, "thirty");
	nscript = 0;
	script[0] = 40;
	route_srv_order(s, 2, fake_rnd);
	assert_string_equal(s[0].target, "thirty");

	/* All weights 0: no random number needed, order kept. */
	srv(&s[0], 1, 0, "x");
	srv(&s[1], 1, 0, "y");
	nscript = 0;
	route_srv_order(s, 2, fake_rnd);
	assert_string_equal(s[0].target, "x");
	assert_int_equal(nscript, 0);
	route_srv_order(s, 0, fake_rnd);
}

static void
test_pins(void **state)
{
	char	path[PATH_MAX];
	uint8_t	a[PIN_LEN], b[PIN_LEN], back[PIN_LEN];
	char	hex[PIN_HEX];

	(void)snprintf(path, sizeof(path), "%s/pins.db", tmpdir);
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	assert_int_equal(pins_check(path, "b.test", a), IPC_PIN_NEW);
	assert_int_equal(pins_check(path, "b.test", a), IPC_PIN_MATCH);
	assert_int_equal(pins_check(path, "b.test", b), IPC_PIN_MISMATCH);
	/* A mismatch does not replace the pin. */
	assert_int_equal(pins_check(path, "b.test", a), IPC_PIN_MATCH);
	assert_int_equal(pins_check(path, "c.test", b), IPC_PIN_NEW);
	/* No writable directory: an error, never a silent pass. */
	assert_int_equal(pins_check("/nonexistent/dir/pins.db", "b.test", a),
	    IPC_PIN_ERROR);
	pins_hex(a, hex);
	assert_int_equal(pins_unhex(hex, back), 0);
	assert_memory_equal(a, back, sizeof(a));
	assert_int_equal(pins_unhex("AA", back), -1);
	hex[5] = 'G';
	assert_int_equal(pins_unhex(hex, back), -1);
	hex[5] = 'A';		/* upper case is refused */
	assert_int_equal(pins_unhex(hex, back), -1);
	unlink(path);
}

static void
test_cookie_args_hostile(void **state)
{
	static const char *const bad_dom[] = {
		"", "-a.test", "a..test", "a_test.x", "a.test.", ".a.test",
		"a test", "a.test\n", "\xc3\xa9.test",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".test", NULL
	};
	static const char *const bad_b64[] = {
		"", "AAAA", "!!!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9", NULL
	};
	char		 dom[IPC_DOMAIN_MAX];
	uint8_t		 ck[IPC_COOKIE_LEN];
	const char	*err;
	size_t		 i;
	char		 longdom[400];

	assert_int_equal(cookie_args_parse("A.Test",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", dom, ck, &err), 0);
	assert_string_equal(dom, "a.test");
	for (i = 0; bad_dom[i] != NULL; i++)
		assert_int_equal(cookie_args_parse(bad_dom[i],
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", dom, ck,
		    &err), -1);
	for (i = 0; bad_b64[i] != NULL; i++)
		assert_int_equal(cookie_args_parse("a.test", bad_b64[i], dom,
		    ck, &err), -1);
	memset(longdom, 'a', sizeof(longdom) - 1);
	longdom[sizeof(longdom) - 1] = '\0';
	assert_int_equal(cookie_args_parse(longdom,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", dom, ck, &err), -1);
}

static void
test_greeting_hostile(void **state)
{
	char	dom[IPC_DOMAIN_MAX], nonce[IPC_NONCE_MAX], big[300];

	assert_int_equal(outbound_greeting_parse("p=IMMP v=1.0 d=b.test "
	    "i=abc+/=", dom, nonce), 0);
	assert_string_equal(dom, "b.test");
	assert_string_equal(nonce, "abc+/=");
	assert_int_equal(outbound_greeting_parse("p=IMMP v=1.0 d=b.test",
	    dom, nonce), -1);
	assert_int_equal(outbound_greeting_parse("i=abc", dom, nonce), -1);
	assert_int_equal(outbound_greeting_parse("d= i=abc", dom, nonce), -1);
	assert_int_equal(outbound_greeting_parse("d=b..test i=abc", dom,
	    nonce), -1);
	assert_int_equal(outbound_greeting_parse("d=b.test i=a;b", dom,
	    nonce), -1);
	assert_int_equal(outbound_greeting_parse("", dom, nonce), -1);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "d=b.test i=", 11);
	assert_int_equal(outbound_greeting_parse(big, dom, nonce), -1);
}

static void
test_trace_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"hop from=a.test addr=1.2.3.4 via=b.test at=1",
		"hop from=a.test addr=1.2.3.4 via=b.test at=1\n\n",
		"hop from=A.test addr=1.2.3.4 via=b.test at=1\n",
		"hop from=a.test addr=1.2.3.4 via=b.test at=-1\n",
		"hop from=a.test addr=1.2.3.4 via=b.test at=99999999999999999999\n",
		"hop from=a.test addr=x via=b.test at=1\n",
		"hop from=a.test  addr=1.2.3.4 via=b.test at=1\n",
		"hop via=b.test from=a.test addr=1.2.3.4 at=1\n",
		"hop from=a.test addr=1.2.3.4 via=b.test at=1 x=y\n",
		"hop from=a.test addr=1.2.3.4 via=b.test at=1\r\n",
		"hop from= addr=1.2.3.4 via=b.test at=1\n",
		NULL
	};
	struct trace_hop	 hops[TRACE_MAX_HOPS], h;
	const char		*err;
	char			 buf[TRACE_MAX + 100], line[600];
	size_t			 i, len = 0;
	int			 n;

	static const char good[] = "hop from=a.test addr=::1 via=b.test "
	    "at=17\nhop from=b.test addr=10.0.0.1 via=c.test at=18\n";

	assert_int_equal(trace_parse(good, sizeof(good) - 1, hops,
	    TRACE_MAX_HOPS, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(hops[1].via, "c.test");
	assert_int_equal(hops[1].at, 18);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(trace_parse(bad[i], strlen(bad[i]), hops,
		    TRACE_MAX_HOPS, &n, &err), -1);
	/* Too many hops. */
	memset(&h, 0, sizeof(h));
	strlcpy(h.from, "a.test", sizeof(h.from));
	strlcpy(h.addr, "127.0.0.1", sizeof(h.addr));
	strlcpy(h.via, "b.test", sizeof(h.via));
	for (i = 0; i < 5; i++) {
		n = trace_hop_format(&h, line, sizeof(line));
		assert_true(n > 0);
		memcpy(buf + len, line, n);
		len += n;
	}
	assert_int_equal(trace_parse(buf, len, hops, 4, &n, &err), -1);
	assert_string_equal(err, "too many hops");
	assert_int_equal(trace_parse(buf, len, hops, 5, &n, &err), 0);
	/* Formatting refuses what parsing would refuse. */
	strlcpy(h.addr, "1.2.3.4 x", sizeof(h.addr));
	assert_int_equal(trace_hop_format(&h, line, sizeof(line)), -1);
}

/* The relay statements of immpd.conf(5), good and hostile. */
static int
parse_text(const char *text, struct immpd_conf *conf)
{
	char	path[PATH_MAX];
	FILE	*fp;
	int	 r;

	(void)snprintf(path, sizeof(path), "%s/immpd.conf", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("domain \"a.test\"\n"
	    "listen on 127.0.0.1 tls-cert \"/c.pem\" tls-key \"/k.pem\"\n",
	    fp);
	fputs(text, fp);
	fclose(fp);
	r = conf_parse(path, conf);
	unlink(path);
	return (r);
}

static void
test_route_config(void **state)
{
	static const char *const bad[] = {
		"route b.test\n",
		"route b.test to\n",
		"route \"b..test\" to 127.0.0.1\n",
		"route b.test to \"not a host\"\n",
		"route b.test to 127.0.0.1 port 0\n",
		"route b.test to 127.0.0.1 port 65536\n",
		"route b.test to 127.0.0.1 port 1x\n",
		"route b.test to 127.0.0.1 port 1 port 2\n",
		"route b.test to 127.0.0.1 tls\n",
		"route b.test to 127.0.0.1 tls verify tls verify\n",
		"route b.test to h1.test\nroute B.TEST to h2.test\n",
		"route a.test to 127.0.0.1\n",
		"domain-secret relative/path\n",
		"domain-secret /a\ndomain-secret /b\n",
		"tls ca x\n",
		"tls pin-policy maybe\n",
		"relay\n",
		"relay max-connections 0\n",
		"relay max-messages 10001\n",
		"relay max-connections 1 max-connections 2\n",
		"queue ttl 0\n",
		"queue ttl 1h\nexpire 2h\n",
		NULL
	};
	struct immpd_conf	 conf;
	struct conf_route	*r;
	size_t			 i;

	assert_int_equal(parse_text("route \"B.Test\" to 127.0.0.1 port 2000\n"
	    "route c.test to mx.c.test tls verify\n"
	    "route d.test to ::1\n"
	    "domain-secret \"/etc/immpd/secret\"\n"
	    "tls ca /etc/ssl/ca.pem\ntls pins /var/db/pins.db\n"
	    "tls pin-policy warn\n"
	    "relay max-connections 2 max-messages 7\n"
	    "queue ttl 3s\n", &conf), 0);
	r = conf_route(&conf, "b.TEST");
	assert_non_null(r);
	assert_string_equal(r->domain, "b.test");
	assert_string_equal(r->host, "127.0.0.1");
	assert_int_equal(r->port, 2000);
	assert_int_equal(r->tls_verify, 0);
	r = conf_route(&conf, "c.test");
	assert_non_null(r);
	assert_int_equal(r->port, CONF_DEFAULT_PORT);
	assert_int_equal(r->tls_verify, 1);
	assert_null(conf_route(&conf, "e.test"));
	assert_string_equal(conf.domain_secret, "/etc/immpd/secret");
	assert_int_equal(conf.pin_policy, CONF_PIN_WARN);
	assert_int_equal(conf.relay_max_conn, 2);
	assert_int_equal(conf.relay_max_msgs, 7);
	assert_int_equal(conf.expire, 3);
	conf_clear(&conf);

	/* Defaults. */
	assert_int_equal(parse_text("", &conf), 0);
	assert_int_equal(conf.pin_policy, CONF_PIN_REFUSE);
	assert_true(conf.relay_max_conn > 0 && conf.relay_max_msgs > 0);
	conf_clear(&conf);

	for (i = 0; bad[i] != NULL; i++) {
		if (parse_text(bad[i], &conf) != -1)
			fail_msg("accepted: %s", bad[i]);
		conf_clear(&conf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_vector),
		cmocka_unit_test(test_cookie_load),
		cmocka_unit_test(test_srv_order),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_cookie_args_hostile),
		cmocka_unit_test(test_greeting_hostile),
		cmocka_unit_test(test_trace_hostile),
		cmocka_unit_test(test_route_config),
	};
	char	tmpl[] = "/tmp/test_relay.XXXXXX";
	int	rv;

	if (sodium_init() < 0)
		return (1);
	log_init(1, 0);
	if (mkdtemp(tmpl) == NULL)
		return (1);
	strlcpy(tmpdir, tmpl, sizeof(tmpdir));
	rv = cmocka_run_group_tests(tests, NULL, NULL);
	(void)rmdir(tmpdir);
	return (rv);
}
