/*
 * Unit tests for the push and subscription grammar: common/immpuri.c
 * (nodes, immp:// links) and immpd/push_parse.c (PUSH TO, UNSUBSCRIBE,
 * PUSH APPROVE/DROP arguments).  Draft 3.4; immp(7) PUSH, SUBSCRIBE.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "immpuri.h"
#include "push.h"

static void
uri_good(const char *s, const char *canon, int sub)
{
	struct immp_uri	 u;
	const char	*err = NULL;
	char		 buf[PUB_TEXT_MAX];

	if (immpuri_parse(s, &u, &err) != 0)
		fail_msg("refused: \"%s\": %s", s, err);
	assert_int_equal(pubid_format(&u.node, buf, sizeof(buf)),
	    (int)strlen(canon));
	assert_string_equal(buf, canon);
	assert_int_equal(u.subscribe, sub);
}

static void
uri_bad(const char *s)
{
	struct immp_uri	 u;
	const char	*err = NULL;

	if (immpuri_parse(s, &u, &err) != -1)
		fail_msg("accepted: \"%s\"", s);
	assert_non_null(err);
	assert_string_equal(u.node.owner, "");
}

static void
test_uri_good(void **state)
{
	uri_good("immp://newsletter/updates@website.com?subscribe",
	    "newsletter/updates@website.com", 1);
	uri_good("IMMP://Newsletter/Updates@WebSite.COM?SUBSCRIBE",
	    "newsletter/updates@website.com", 1);
	uri_good("immp://newsletter/updates@website.com",
	    "newsletter/updates@website.com", 0);
	uri_good("newsletter/updates@website.com",
	    "newsletter/updates@website.com", 0);
	uri_good("newsletter/updates@website.com?subscribe",
	    "newsletter/updates@website.com", 1);
	uri_good("immp://newsletter@website.com/updates?subscribe",
	    "newsletter/updates@website.com", 1);
	uri_good("immp://a.b_c-d/x.y@a-b.c", "a.b_c-d/x.y@a-b.c", 0);
}

static void
test_uri_hostile(void **state)
{
	char	 buf[1024];

	uri_bad("");
	uri_bad("immp://");
	uri_bad("immp://?subscribe");
	uri_bad("http://newsletter/updates@website.com");
	uri_bad("immp:newsletter/updates@website.com");
	uri_bad("immp:///newsletter/updates@website.com");
	uri_bad("immp://newsletter@website.com");
	uri_bad("immp://newsletter/updates@website.com?unsubscribe");
	uri_bad("immp://newsletter/updates@website.com?subscribe&x=1");
	uri_bad("immp://newsletter/updates@website.com??subscribe");
	uri_bad("immp://newsletter/updates@website.com#frag");
	uri_bad("immp://newsletter/up%2Fdates@website.com");
	uri_bad("immp://user:pw@newsletter/updates@website.com");
	uri_bad("immp://newsletter/updates@website.com:1025");
	uri_bad("immp://newsletter/updates/more@website.com");
	uri_bad("immp://newsletter/up dates@website.com");
	uri_bad("immp://newsletter/updates@website.com\n");
	uri_bad("immp://newsletter/updates@website.com\r\nDELIVER");
	uri_bad("immp://newsletter/../updates@website.com");
	uri_bad("immp://newsletter/.updates@website.com");
	uri_bad("immp://newsletter/updates.@website.com");
	uri_bad("immp://newsletter/up..dates@website.com");
	uri_bad("immp://newsletter+f/updates@website.com");
	uri_bad("immp://newsletter/updates+f@website.com");
	uri_bad("immp://newsletter/updates@-website.com");
	uri_bad("immp://newsletter/updates@website..com");
	uri_bad("immp://newsletter/updates@website.com.");
	uri_bad("immp://newsletter/updates@");
	uri_bad("immp://newsletter/@website.com");
	uri_bad("immp:///updates@website.com");
	uri_bad("immp://newsletter@website.com/a/b");
	uri_bad("immp://newsletter@website.com/");
	uri_bad("imid:newsletter/updates@website.com");
	uri_bad("immp://imid:newsletter/updates@website.com");
	uri_bad("immp://newsl\xc3\xa9tter/updates@website.com");
	uri_bad("immp://newsletter/updates@website.com\x7f");
	/* Lengths: a 65-octet name, an overlong whole. */
	memset(buf, 'x', 65);
	(void)snprintf(buf + 65, sizeof(buf) - 65, "/a@b.c");
	uri_bad(buf);
	memset(buf, 'a', 600);
	buf[600] = '\0';
	uri_bad(buf);
	(void)snprintf(buf, sizeof(buf), "immp://a/b@%0250d.com", 0);
	uri_bad(buf);
}

static void
test_pubid(void **state)
{
	struct pubid	 p;
	const char	*err;
	char		 small[8];

	assert_int_equal(pubid_parse("alice/updates@a.test", &p, &err), 0);
	assert_string_equal(p.owner, "alice");
	assert_string_equal(p.name, "updates");
	assert_string_equal(p.domain, "a.test");
	assert_int_equal(pubid_owner(&p, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(pubid_parse("alice@a.test", &p, &err), -1);
	assert_int_equal(pubid_parse("alice@a.test?x", &p, &err), -1);
	assert_int_equal(pubid_parse("alice/u@a.test/x", &p, &err), -1);
	assert_int_equal(pubid_parse("alice@a.test/x#y", &p, &err), -1);
}

/* Parses line as one command into c (line is modified). */
static void
one(char *line, struct cmd *c)
{
	struct cmd	 cmds[CMD_MAXCMDS];
	const char	*err;
	size_t		 n;

	assert_int_equal(cmd_parse_line(line, strlen(line), cmds, CMD_MAXCMDS,
	    &n, &err), 0);
	assert_int_equal(n, 1);
	*c = cmds[0];
}

static int
push_ok(const char *text, struct push_to *a)
{
	static char	 line[CMD_MAXLINE + 2];
	struct cmd	 c;
	const char	*err, *bad;

	(void)snprintf(line, sizeof(line), "%s", text);
	one(line, &c);
	return (push_to_parse(&c, a, &err, &bad));
}

static void
test_push_to(void **state)
{
	struct push_to	 a;
	char		 big[CMD_MAXLINE];
	size_t		 len;
	int		 i;

	assert_int_equal(push_ok("PUSH TO bob@b.test FROM alice/updates@a.test",
	    &a), 0);
	assert_int_equal(a.nrcpt, 1);
	assert_string_equal(a.rcpt[0], "bob@b.test");
	assert_string_equal(a.node.name, "updates");
	assert_int_equal(a.important, 0);
	assert_int_equal(push_ok("push to b@b.test c@c.test from "
	    "alice@a.test/updates +IMPORTANT", &a), 0);
	assert_int_equal(a.nrcpt, 2);
	assert_int_equal(a.important, 1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a/u@a.test -IMPORTANT",
	    &a), 0);
	assert_int_equal(a.important, -1);

	assert_int_equal(push_ok("PUSH TO", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO FROM a/u@a.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a/u@a.test x", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a@a.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test \"FROM\" a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH \"TO\" b@b.test FROM a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO b+f@b.test FROM a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO s/b@b.test FROM a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO b@b.test/x FROM a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO b@b.test?x FROM a/u@a.test", &a),
	    -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a/u@a.test +SECURE",
	    &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a/u@a.test "
	    "+IMPORTANT +IMPORTANT", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test FROM a/u@a.test FROM "
	    "a/u@a.test", &a), -1);
	/* 100 recipients are fine; 101 do not even make a command line. */
	len = snprintf(big, sizeof(big), "PUSH TO");
	for (i = 0; i < 100; i++)
		len += snprintf(big + len, sizeof(big) - len, " r%d@b.test", i);
	(void)snprintf(big + len, sizeof(big) - len, " FROM a/u@a.test");
	assert_int_equal(push_ok(big, &a), 0);
	assert_int_equal(a.nrcpt, 100);
	len = snprintf(big, sizeof(big), "PUSH TO");
	for (i = 0; i < 101; i++)
		len += snprintf(big + len, sizeof(big) - len, " r%d@b.test", i);
	(void)snprintf(big + len, sizeof(big) - len, " FROM a/u@a.test");
	{
		struct cmd	 cmds[CMD_MAXCMDS];
		const char	*err;
		size_t		 n;

		assert_int_equal(cmd_parse_line(big, strlen(big), cmds,
		    CMD_MAXCMDS, &n, &err), -1);
	}
}

/* A label one octet too long (RFC 1035 2.3.4: 63). */
#define LABEL64	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/* As push_ok, but also gives the reason and the offending word. */
static int
push_err(const char *text, struct push_to *a, const char **err,
    const char **bad)
{
	static char	 line[CMD_MAXLINE + 2];
	struct cmd	 c;

	(void)snprintf(line, sizeof(line), "%s", text);
	one(line, &c);
	*err = NULL;
	return (push_to_parse(&c, a, err, bad));
}

/*
 * PUSH TO word FROM a node must be refused: by push_to_parse, or already
 * by the command grammar (control characters).
 */
static void
domain_bad(const char *word)
{
	static char	 line[CMD_MAXLINE + 2];
	struct cmd	 cmds[CMD_MAXCMDS];
	struct push_to	 a;
	const char	*err, *bad;
	size_t		 n;

	(void)snprintf(line, sizeof(line), "PUSH TO %s FROM alice/news@a.test",
	    word);
	if (cmd_parse_line(line, strlen(line), cmds, CMD_MAXCMDS, &n,
	    &err) == -1)
		return;
	assert_int_equal(n, 1);
	if (push_to_parse(&cmds[0], &a, &err, &bad) != -1)
		fail_msg("accepted: \"%s\"", word);
	assert_non_null(err);
}

/* "PUSH TO <domain> FROM <node>" (draft 3.4.1): the domain alone. */
static void
test_push_to_domain(void **state)
{
	struct push_to	 a;
	const char	*err, *bad;
	char		 big[CMD_MAXLINE], line[CMD_MAXLINE];
	int		 i;

	assert_int_equal(push_ok("PUSH TO b.test FROM alice/news@a.test", &a),
	    0);
	assert_int_equal(a.nrcpt, 0);
	assert_non_null(a.domain);
	assert_string_equal(a.domain, "b.test");
	assert_string_equal(a.node.owner, "alice");
	assert_string_equal(a.node.name, "news");
	assert_string_equal(a.node.domain, "a.test");
	assert_int_equal(a.important, 0);
	assert_int_equal(push_ok("push to mail.b-c.example from "
	    "alice/news@a.test +IMPORTANT", &a), 0);
	assert_string_equal(a.domain, "mail.b-c.example");
	assert_int_equal(a.important, 1);
	/* An address is not a domain push. */
	assert_int_equal(push_ok("PUSH TO bob@b.test FROM alice/news@a.test",
	    &a), 0);
	assert_null(a.domain);
	assert_int_equal(a.nrcpt, 1);

	/* A domain is the only recipient. */
	assert_int_equal(push_err("PUSH TO b.test bob@b.test FROM "
	    "alice/news@a.test", &a, &err, &bad), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "one domain"));
	assert_int_equal(push_err("PUSH TO bob@b.test b.test FROM "
	    "alice/news@a.test", &a, &err, &bad), -1);
	assert_non_null(strstr(err, "one domain"));
	assert_non_null(bad);
	assert_string_equal(bad, "b.test");
	assert_int_equal(push_err("PUSH TO b.test c.test FROM "
	    "alice/news@a.test", &a, &err, &bad), -1);
	assert_non_null(strstr(err, "one domain"));
	assert_int_equal(push_ok("PUSH TO b.test b.test FROM "
	    "alice/news@a.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO b@b.test c@c.test d.test FROM "
	    "alice/news@a.test", &a), -1);
	/* Still one node, after FROM. */
	assert_int_equal(push_ok("PUSH TO b.test FROM a.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO b.test", &a), -1);
	assert_int_equal(push_ok("PUSH TO b.test FROM", &a), -1);
	assert_int_equal(push_ok("PUSH TO b.test FROM alice/news@a.test "
	    "+SECURE", &a), -1);

	/* Hostile domains. */
	domain_bad("b..test");
	domain_bad(".b.test");
	domain_bad("b.test.");
	domain_bad(".");
	domain_bad("..");
	domain_bad("-b.test");
	domain_bad("b-.test");
	domain_bad("b_c.test");
	domain_bad("b.t\xc3\xa9st");
	domain_bad("b\x7f.test");
	domain_bad("@b.test");
	domain_bad("b.test@");
	domain_bad("@");
	domain_bad("b.test/x");
	domain_bad("b.test?x");
	domain_bad("b.test:1025");
	domain_bad("\"b.test\"");
	domain_bad("imid:b.test");
	/* A label of 63 octets is fine, of 64 not. */
	(void)snprintf(line, sizeof(line), "PUSH TO %.63s.test FROM "
	    "alice/news@a.test", LABEL64);
	assert_int_equal(push_ok(line, &a), 0);
	assert_int_equal(strlen(a.domain), 63 + 5);
	(void)snprintf(big, sizeof(big), "%s.test", LABEL64);
	domain_bad(big);
	/* 253 octets are fine (63.63.63.61), 254 and more not. */
	for (i = 0; i < 4; i++) {
		memset(big + i * 64, 'a', 63);
		big[i * 64 + 63] = '.';
	}
	big[253] = '\0';
	(void)snprintf(line, sizeof(line), "PUSH TO %.253s FROM "
	    "alice/news@a.test", big);
	assert_int_equal(push_ok(line, &a), 0);
	assert_int_equal(strlen(a.domain), 253);
	big[253] = 'a';
	big[254] = '\0';
	domain_bad(big);
	memset(big, 'a', 600);
	big[600] = '\0';
	domain_bad(big);
}

static void
test_target(void **state)
{
	struct pubid	 p;
	const char	*err;
	char		 uuid[IPC_UUID_MAX];

	assert_int_equal(push_target_parse(
	    "3F2504E0-4F89-41D3-9A0C-0305E82C3301", 0, uuid, &p, &err), 0);
	assert_string_equal(uuid, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	assert_int_equal(push_target_parse("alice/u@a.test", 1, uuid, &p,
	    &err), 0);
	assert_string_equal(uuid, "");
	assert_string_equal(p.owner, "alice");
	assert_int_equal(push_target_parse("alice/u@a.test", 0, uuid, &p,
	    &err), -1);
	assert_int_equal(push_target_parse(
	    "3f2504e0-4f89-41d3-9a0c-0305e82c330g", 1, uuid, &p, &err), -1);
	assert_int_equal(push_target_parse(
	    "../../../../../../../../etc/passwd..", 1, uuid, &p, &err), -1);
	assert_int_equal(push_target_parse("", 1, uuid, &p, &err), -1);
	assert_int_equal(push_target_parse("x", 1, uuid, &p, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_good),
		cmocka_unit_test(test_uri_hostile),
		cmocka_unit_test(test_pubid),
		cmocka_unit_test(test_push_to),
		cmocka_unit_test(test_push_to_domain),
		cmocka_unit_test(test_target),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
