/*
 * Unit tests for common/imid.c: the IMID parser.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imid.h"

static struct imid	 id;
static const char	*err;

static void
bad(const char *s)
{
	err = NULL;
	if (imid_parse(s, &id, &err) != -1)
		fail_msg("accepted: \"%s\"", s);
	assert_non_null(err);
}

static void
good(const char *s)
{
	err = NULL;
	if (imid_parse(s, &id, &err) != 0)
		fail_msg("refused: \"%s\": %s", s, err);
}

/* A string of n copies of c followed by suffix. */
static char *
rep(char *buf, size_t bufsz, char c, size_t n, const char *suffix)
{
	assert_true(n + strlen(suffix) < bufsz);
	memset(buf, c, n);
	strcpy(buf + n, suffix);
	return (buf);
}

static void
test_full_form(void **state)
{
	good("imid:alice@a.com/inbox#9507ce26-d34e-41cb-9f14-4eeff943e25e"
	    "?x=y");
	assert_string_equal(id.shared, "");
	assert_string_equal(id.local, "alice");
	assert_string_equal(id.folder, "");
	assert_string_equal(id.domain, "a.com");
	assert_string_equal(id.mailbox, "inbox");
	assert_string_equal(id.message,
	    "9507ce26-d34e-41cb-9f14-4eeff943e25e");
	assert_string_equal(id.options, "x=y");
}

static void
test_forms(void **state)
{
	good("alice@a.com");
	assert_string_equal(id.local, "alice");
	assert_string_equal(id.domain, "a.com");
	assert_string_equal(id.mailbox, "");

	good("alice+folder@a.com");
	assert_string_equal(id.local, "alice");
	assert_string_equal(id.folder, "folder");

	good("helpdesk/alice@a.com");
	assert_string_equal(id.shared, "helpdesk");
	assert_string_equal(id.local, "alice");

	good("IMID:helpdesk/alice+lists@A.Example.COM/INBOX/Receipts"
	    "?subscribe");
	assert_string_equal(id.shared, "helpdesk");
	assert_string_equal(id.local, "alice");
	assert_string_equal(id.folder, "lists");
	assert_string_equal(id.domain, "a.example.com");
	assert_string_equal(id.mailbox, "INBOX/Receipts");
	assert_string_equal(id.options, "subscribe");

	good("Alice.B_c-d@x-y.z9");
	assert_string_equal(id.local, "Alice.B_c-d");
	good("a@b");
	good("a@a.com?x?y#z/w");
	assert_string_equal(id.options, "x?y#z/w");
	good("a@a.com/INBOX#abc-DEF-123");
	bad("a+.x@a.com");		/* folder: no leading, trailing or double dot */
	bad("a+x.@a.com");
	bad("a+x..y@a.com");
	good("a+x.y@a.com");
	assert_string_equal(id.folder, "x.y");
	good("a@123.45");		/* all-digit labels are LDH */
	bad("a@a.com/.x");		/* mailbox segments: same rule */
	good("a@a.com/x.y/z");
}

static void
test_account(void **state)
{
	char	buf[320];

	good("helpdesk/Alice+x@A.COM/inbox");
	assert_int_equal(imid_account(&id, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Alice@a.com");
	assert_int_equal(imid_account(&id, buf, 12), 0);
	assert_int_equal(imid_account(&id, buf, 11), -1);
	assert_string_equal(buf, "");
	assert_int_equal(imid_account(&id, buf, 0), -1);
}

static void
test_malformed(void **state)
{
	bad("");
	bad("imid:");
	bad("alice");
	bad("alice@");
	bad("@a.com");
	bad("imid:@a.com");
	bad("a@b@c.com");
	bad("alice@@a.com");
	bad("a..b@a.com");
	bad(".a@a.com");
	bad("a.@a.com");
	bad("a b@a.com");
	bad(" alice@a.com");
	bad("alice@a.com ");
	bad("alice @a.com");
	bad("alice@a .com");
	bad("caf\xc3\xa9@a.com");	/* UTF-8 in the local part */
	bad("alice@caf\xc3\xa9.com");
	bad("a\"b@a.com");
	bad("a\\b@a.com");
	bad("a%b@a.com");
	bad("a!b@a.com");
	bad("a\tb@a.com");
	bad("imid:imid:alice@a.com");
	bad("mailto:alice@a.com");
}

static void
test_domain(void **state)
{
	char	buf[600], dom[610];
	size_t	i;

	bad("a@a..b");
	bad("a@-a.com");
	bad("a@a-.com");
	bad("a@a.-com");
	bad("a@a.com-");
	bad("a@a.com.");		/* trailing dot */
	bad("a@.a.com");
	bad("a@.");
	bad("a@a_b.com");
	bad("a@a.com#x");		/* message only after a mailbox */
	bad("a@a.com:25");

	/* Label of 63 fine, 64 refused. */
	rep(buf, sizeof(buf), 'l', 63, ".com");
	(void)snprintf(dom, sizeof(dom), "a@%s", buf);
	good(dom);
	rep(buf, sizeof(buf), 'l', 64, ".com");
	(void)snprintf(dom, sizeof(dom), "a@%s", buf);
	bad(dom);
	assert_int_equal(imid_domain_valid(buf), 0);

	/* Domain of 253 fine (4 labels: 63 + 63 + 63 + 61, 3 dots). */
	buf[0] = '\0';
	for (i = 0; i < 3; i++) {
		memset(buf + i * 64, 'b', 63);
		buf[i * 64 + 63] = '.';
	}
	memset(buf + 192, 'c', 61);
	buf[253] = '\0';
	assert_int_equal(strlen(buf), 253);
	assert_int_equal(imid_domain_valid(buf), 1);
	(void)snprintf(dom, sizeof(dom), "a@%s", buf);
	good(dom);
	assert_int_equal(strlen(id.domain), 253);
	/* 254 refused. */
	buf[253] = 'c';
	buf[254] = '\0';
	assert_int_equal(imid_domain_valid(buf), 0);
	(void)snprintf(dom, sizeof(dom), "a@%s", buf);
	bad(dom);
	assert_string_equal(err, "domain too long");
	/* Very long: no overflow of domain[254]. */
	memset(buf, 'x', 590);
	buf[590] = '\0';
	(void)snprintf(dom, sizeof(dom), "a@%s", buf);
	bad(dom);

	assert_int_equal(imid_domain_valid("demo.test"), 1);
	assert_int_equal(imid_domain_valid("DEMO.test"), 1);
	assert_int_equal(imid_domain_valid(""), 0);
	assert_int_equal(imid_domain_valid("a..b"), 0);
	assert_int_equal(imid_domain_valid("-a.com"), 0);
	assert_int_equal(imid_domain_valid("a.com."), 0);
	assert_int_equal(imid_domain_valid("a com"), 0);
	assert_int_equal(imid_domain_valid("a/b"), 0);
}

static void
test_lengths(void **state)
{
	char	part[400], s[700];

	/* Local part: 64 fine, 65 refused. */
	rep(part, sizeof(part), 'l', 64, "@a.com");
	good(part);
	assert_int_equal(strlen(id.local), 64);
	rep(part, sizeof(part), 'l', 65, "@a.com");
	bad(part);
	assert_string_equal(err, "local part too long");

	/* Shared: 64 fine, 65 refused. */
	rep(part, sizeof(part), 's', 64, "/a@a.com");
	good(part);
	rep(part, sizeof(part), 's', 65, "/a@a.com");
	bad(part);

	/* Folder: 64 fine, 65 refused. */
	rep(part, sizeof(part), 'f', 64, "@a.com");
	(void)snprintf(s, sizeof(s), "a+%s", part);
	good(s);
	assert_int_equal(strlen(id.folder), 64);
	rep(part, sizeof(part), 'f', 65, "@a.com");
	(void)snprintf(s, sizeof(s), "a+%s", part);
	bad(s);

	/* Mailbox: 255 in all fine (4 segments of 63 + 3 slashes). */
	(void)snprintf(s, sizeof(s), "a@a.com/%.63s/%.63s/%.63s/%.63s",
	    rep(part, sizeof(part), 'm', 63, ""), part, part, part);
	assert_int_equal(strlen(s) - 8, 255);
	good(s);
	assert_int_equal(strlen(id.mailbox), 255);
	(void)snprintf(s, sizeof(s), "a@a.com/%.63s/%.63s/%.63s/%.63sm",
	    part, part, part, part);
	bad(s);
	/* A segment of 65. */
	(void)snprintf(s, sizeof(s), "a@a.com/x/%s",
	    rep(part, sizeof(part), 'm', 65, ""));
	bad(s);

	/* Message: 64 fine, 65 refused. */
	(void)snprintf(s, sizeof(s), "a@a.com/x#%s",
	    rep(part, sizeof(part), '9', 64, ""));
	good(s);
	(void)snprintf(s, sizeof(s), "a@a.com/x#%s",
	    rep(part, sizeof(part), '9', 65, ""));
	bad(s);

	/* Options: 255 fine, 256 refused. */
	(void)snprintf(s, sizeof(s), "a@a.com?%s",
	    rep(part, sizeof(part), 'o', 255, ""));
	good(s);
	assert_int_equal(strlen(id.options), 255);
	(void)snprintf(s, sizeof(s), "a@a.com?%s",
	    rep(part, sizeof(part), 'o', 256, ""));
	bad(s);
}

static void
test_parts_malformed(void **state)
{
	bad("/alice@a.com");		/* empty shared */
	bad("a/b/c@a.com");
	bad(".h/alice@a.com");
	bad("alice+@a.com");		/* empty folder */
	bad("alice+.@a.com");
	bad("alice+..@a.com");
	bad("alice+a+b@a.com");
	bad("alice+a/b@a.com");
	bad("alice@a.com/");		/* empty mailbox */
	bad("alice@a.com//x");
	bad("alice@a.com/x/");
	bad("alice@a.com/x/../y");
	bad("alice@a.com/./y");
	bad("alice@a.com/x y");
	bad("alice@a.com/x#");		/* empty message */
	bad("alice@a.com/x#a_b");
	bad("alice@a.com/x#a#b");
	bad("alice@a.com/x#a.b");
	bad("alice@a.com?");		/* empty options */
	bad("alice@a.com?a b");
	bad("alice@a.com?a\x7f");
	bad("alice@a.com?\xc3\xa9");
	bad("alice@a.com/x?a\tb");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_form),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_parts_malformed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
