/*
 * Unit tests for blocking (draft 3.10): the CIDR matcher (common/cidr.c)
 * with hostile inputs, the table look-ups of immp-lookup/block.c against
 * tables written by immpctl's writer, and the settings record decoder
 * (immp-lookup/settings.c).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cidr.h"
#include "ipc_set.h"
#include "../../immp-lookup/block.h"
#include "../../immp-lookup/settings.h"
#include "../../immp-lookup/table_db.h"
#include "../../immpctl/table_write.h"

static const char	*err;

static void
cidr_good(const char *in, const char *canon)
{
	struct cidr	 c;
	char		 buf[CIDR_TEXT_MAX];

	err = NULL;
	if (cidr_parse(in, &c, &err) != 0)
		fail_msg("refused \"%s\": %s", in, err);
	assert_int_equal(cidr_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, canon);
}

static void
cidr_bad(const char *in)
{
	struct cidr	 c;

	err = NULL;
	if (cidr_parse(in, &c, &err) != -1)
		fail_msg("accepted \"%s\"", in);
	assert_non_null(err);
}

static void
test_cidr_parse(void **state)
{
	static const char *const bad[] = {
		"", "/", "/24", "1.2.3.4/", "1.2.3.4/33", "1.2.3.4/024",
		"1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/1.0", "1.2.3.0/24/1",
		"1.2.3.1/24", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1",
		"1.2.3.4 ", " 1.2.3.4", "::/129", "::1/1280", "2001:db8::1/32",
		"2001:db8:::1", "fe80::1%eth0", "::ffff:1.2.3.4/95",
		"::ffff:1.2.3.0/119", "example.com", "1.2.3.4/2x",
		"0x7f.0.0.1", "1.2.3.4/00",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaa",
		NULL
	};
	size_t	 i;

	cidr_good("192.0.2.7", "192.0.2.7/32");
	cidr_good("192.0.2.0/24", "192.0.2.0/24");
	cidr_good("0.0.0.0/0", "0.0.0.0/0");
	cidr_good("10.0.0.0/8", "10.0.0.0/8");
	cidr_good("2001:DB8::/32", "2001:db8::/32");
	cidr_good("2001:db8:0:0:0:0:0:1", "2001:db8::1/128");
	cidr_good("::/0", "::/0");
	cidr_good("::ffff:192.0.2.9", "192.0.2.9/32");
	cidr_good("::ffff:192.0.2.0/120", "192.0.2.0/24");
	for (i = 0; bad[i] != NULL; i++)
		cidr_bad(bad[i]);
}

static void
test_cidr_contains(void **state)
{
	struct cidr	 net, a, m;

	assert_int_equal(cidr_parse("192.0.2.16/28", &net, &err), 0);
	assert_int_equal(cidr_parse("192.0.2.20", &a, &err), 0);
	assert_true(cidr_contains(&net, &a));
	assert_int_equal(cidr_parse("192.0.2.32", &a, &err), 0);
	assert_false(cidr_contains(&net, &a));
	assert_int_equal(cidr_parse("192.0.2.15", &a, &err), 0);
	assert_false(cidr_contains(&net, &a));
	/* families never mix, not even through mapped addresses */
	assert_int_equal(cidr_parse("::c000:214", &a, &err), 0);
	assert_false(cidr_contains(&net, &a));
	/* a wider prefix is not inside a narrower one */
	assert_int_equal(cidr_parse("192.0.2.0/24", &a, &err), 0);
	assert_false(cidr_contains(&net, &a));
	assert_true(cidr_contains(&a, &net));
	assert_int_equal(cidr_parse("2001:db8::1", &a, &err), 0);
	assert_int_equal(cidr_mask(&a, 129, &m), -1);
	assert_int_equal(cidr_mask(&a, -1, &m), -1);
	assert_int_equal(cidr_mask(&a, 31, &m), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &net, &err), 0);
	assert_true(cidr_contains(&net, &a));
	assert_int_equal(cidr_parse("0.0.0.0/0", &net, &err), 0);
	assert_int_equal(cidr_parse("255.255.255.255", &a, &err), 0);
	assert_true(cidr_contains(&net, &a));
}

static char	 dir[] = "/tmp/immpd-test-block.XXXXXX";

static void
put(const char *path, const char *key)
{
	char	 e[256];

	assert_int_equal(table_update(path, TABLE_SET, key, "x", 1,
	    (gid_t)-1, e, sizeof(e)), TABLE_OK);
}

static void
test_tables(void **state)
{
	char		 nets[300], doms[300], hit[CIDR_TEXT_MAX];
	struct table_db	*tn, *td;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(nets, sizeof(nets), "%s/nets.db", dir);
	(void)snprintf(doms, sizeof(doms), "%s/doms.db", dir);
	tn = table_db_open(nets);
	td = table_db_open(doms);
	/* missing tables block nothing */
	assert_int_equal(block_network(tn, "192.0.2.1", hit), 0);
	assert_int_equal(block_domain(td, "a.example"), 0);
	put(nets, "192.0.2.16/28");
	put(nets, "198.51.100.7");
	put(nets, "2001:db8::/32");
	put(nets, "203.0.113.1/24");	/* not canonical: never matches */
	put(doms, "evil.example");
	assert_int_equal(block_network(tn, "192.0.2.17", hit), 1);
	assert_string_equal(hit, "192.0.2.16/28");
	assert_int_equal(block_network(tn, "192.0.2.32", hit), 0);
	assert_int_equal(block_network(tn, "198.51.100.7", hit), 1);
	assert_int_equal(block_network(tn, "198.51.100.8", hit), 0);
	assert_int_equal(block_network(tn, "2001:db8:1::5", hit), 1);
	assert_int_equal(block_network(tn, "::ffff:192.0.2.18", hit), 1);
	assert_int_equal(block_network(tn, "203.0.113.1", hit), 0);
	assert_int_equal(block_network(tn, "unknown", hit), 0);
	assert_int_equal(block_network(tn, "", hit), 0);
	assert_int_equal(block_domain(td, "evil.example"), 1);
	assert_int_equal(block_domain(td, "mx.evil.example"), 1);
	assert_int_equal(block_domain(td, "notevil.example"), 0);
	assert_int_equal(block_domain(td, "example"), 0);
	assert_int_equal(block_domain(td, ""), 0);
	/* a file that is not a table: an error, not "not blocked" */
	table_db_close(tn);
	assert_int_equal(unlink(nets), 0);
	{
		FILE	*f = fopen(nets, "w");

		assert_non_null(f);
		fputs("garbage", f);
		fclose(f);
	}
	tn = table_db_open(nets);
	assert_int_equal(block_network(tn, "192.0.2.17", hit), -1);
	table_db_close(tn);
	table_db_close(td);
	(void)unlink(nets);
	(void)unlink(doms);
	(void)rmdir(dir);
}

static void
decode_bad(const char *rec)
{
	struct acct_settings	*s = malloc(sizeof(*s));

	assert_non_null(s);
	if (settings_decode(rec, strlen(rec), s) != -1)
		fail_msg("accepted record \"%s\"", rec);
	free(s);
}

static void
test_settings_decode(void **state)
{
	struct acct_settings	*s = malloc(sizeof(*s));
	static const char *const bad[] = {
		"compression=1", "compression=2\n", "notify=3\n",
		"compression=1\ncompression=0\n", "notify=01\n",
		"notify=\n", "block=Spam.example\n", "block=x..y\n",
		"block=a.example\nblock=a.example\n", "frob=1\n", "\n",
		"compression =1\n", "block=a+b@c.example\n", NULL
	};
	const char	*rec;
	char		*big;
	size_t		 i, off = 0;

	assert_non_null(s);
	assert_int_equal(settings_decode("", 0, s), 0);
	assert_int_equal(s->compression, 0);
	assert_int_equal(s->nblock, 0);
	rec = "compression=1\nnotify=2\nblock=a.example\nblock=x@b.example\n";
	assert_int_equal(settings_decode(rec, strlen(rec), s), 0);
	assert_int_equal(s->compression, SET_COMP_GZIP);
	assert_int_equal(s->notify, SET_NOTIFY_NONE);
	assert_int_equal(s->nblock, 2);
	assert_string_equal(s->block[1], "x@b.example");
	assert_int_equal(settings_decode("notify=1\0\n", 10, s), -1);
	for (i = 0; bad[i] != NULL; i++)
		decode_bad(bad[i]);
	/* IPC_SET_BLOCK_MAX entries fit, one more does not */
	big = malloc(64 * (IPC_SET_BLOCK_MAX + 1));
	assert_non_null(big);
	for (i = 0; i <= IPC_SET_BLOCK_MAX; i++)
		off += sprintf(big + off, "block=d%zu.example\n", i);
	assert_int_equal(settings_decode(big, off, s), -1);
	assert_int_equal(settings_decode(big, off - strlen("block=d100."
	    "example\n"), s), 0);
	assert_int_equal(s->nblock, IPC_SET_BLOCK_MAX);
	free(big);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_settings_decode),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
