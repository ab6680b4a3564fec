/* Unit tests for common/util.c. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "util.h"

#define NUUID	10000

static int
cmpstr(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void
test_uuid_format(void **state)
{
	char	 u[37];
	int	 i;

	for (i = 0; i < 1000; i++) {
		memset(u, 'X', sizeof(u));
		uuid_generate_v4(u);
		assert_int_equal(strlen(u), 36);
		assert_true(uuid_valid(u));
		assert_int_equal(u[14], '4');
		assert_non_null(strchr("89ab", u[19]));
	}
}

static void
test_uuid_unique(void **state)
{
	char	(*u)[37];
	int	 i;

	u = calloc(NUUID, sizeof(*u));
	assert_non_null(u);
	for (i = 0; i < NUUID; i++)
		uuid_generate_v4(u[i]);
	qsort(u, NUUID, sizeof(*u), cmpstr);
	for (i = 1; i < NUUID; i++)
		assert_string_not_equal(u[i - 1], u[i]);
	free(u);
}

static void
test_uuid_valid(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"123e4567-e89b-42d3-a456-42661417400",	/* short */
		"123e4567-e89b-42d3-a456-4266141740000",	/* long */
		"123E4567-e89b-42d3-a456-426614174000",	/* upper case */
		"123e4567e89b-42d3-a456-426614174000-",	/* dash moved */
		"123e4567-e89b-42d3-a456_426614174000",
		"123e4567-e89b-42d3-a456-42661417400g",
		"123e4567-e89b-42d3-a456-42661417400 ",
		"{23e4567-e89b-42d3-a456-426614174000",
		"123e4567-e89b-42d3-a456-426614174000\n",
		"../../../../../../../../../etc/passw",
		"------------------------------------",
	};
	size_t	 i;

	assert_true(uuid_valid("123e4567-e89b-42d3-a456-426614174000"));
	assert_true(uuid_valid("00000000-0000-0000-0000-000000000000"));
	assert_false(uuid_valid(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(uuid_valid(bad[i]));
}

static void
test_b64_vectors(void **state)
{
	static const struct {
		const char	*bin;
		const char	*b64;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=" },
	};
	char		 out[64];
	unsigned char	 bin[64];
	size_t		 i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].bin);
		assert_int_equal(b64_encode(v[i].bin, n, out, sizeof(out)),
		    strlen(v[i].b64));
		assert_string_equal(out, v[i].b64);
		assert_int_equal(b64_decode(v[i].b64, bin, sizeof(bin)), n);
		assert_memory_equal(bin, v[i].bin, n);
	}
}

static void
test_b64_round_trip(void **state)
{
	unsigned char	 in[300], back[300];
	char		 enc[420];
	size_t		 len;
	int		 n;

	for (len = 0; len <= sizeof(in); len++) {
		randombytes_buf(in, len);
		n = b64_encode(in, len, enc, sizeof(enc));
		assert_int_equal(n, (int)((len + 2) / 3 * 4));
		assert_int_equal(strlen(enc), (size_t)n);
		assert_int_equal(b64_decode(enc, back, sizeof(back)),
		    (int)len);
		assert_memory_equal(in, back, len);
	}
}

static void
test_b64_sizes(void **state)
{
	char		 out[9];
	unsigned char	 bin[6];

	/* "foobar" needs 8 characters + NUL. */
	assert_int_equal(b64_encode("foobar", 6, out, 9), 8);
	assert_int_equal(b64_encode("foobar", 6, out, 8), -1);
	assert_int_equal(b64_encode("foobar", 6, out, 0), -1);
	assert_int_equal(b64_encode(NULL, 1, out, sizeof(out)), -1);
	assert_int_equal(b64_encode(NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(b64_encode("x", SIZE_MAX, out, sizeof(out)), -1);
	assert_int_equal(b64_encode("x", (size_t)INT_MAX, out, sizeof(out)),
	    -1);

	/* Output buffer exactly big enough, and one too small. */
	assert_int_equal(b64_decode("Zm9vYmFy", bin, 6), 6);
	assert_int_equal(b64_decode("Zm9vYmFy", bin, 5), -1);
	assert_int_equal(b64_decode("Zm9vYmFy", bin, 0), -1);
	assert_int_equal(b64_decode(NULL, bin, 6), -1);
}

static void
test_b64_hostile(void **state)
{
	static const char *const bad[] = {
		"Zg",		/* padding missing */
		"Zg=",		/* padding short */
		"Zg===",	/* too much padding */
		"Zm9",		/* padding missing */
		"=",
		"==",
		"====",
		"Z===",
		"Zg==Zg==",	/* data after padding */
		"Zm9v!",
		"Zm9 v",	/* white space */
		"Zm9v\n",
		" Zm9v",
		"Zm9v\r\n",
		"-_8=",		/* URL-safe alphabet */
		"Zh==",		/* non-zero unused bits */
		"Zm9=",		/* non-zero unused bits */
		"Zm9v\xc3\xa9",
		"Z",
		"Zm9vY",
		"\x80\x80\x80\x80",	/* 1.0.18 took these as '/' */
		"Zm9v\xff\xff\xff\xff",
		"\xc3\xa9\xc3\xa9",
	};
	unsigned char	 bin[64];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(b64_decode(bad[i], bin, sizeof(bin)), -1);
}

static void
test_b64_long(void **state)
{
	char		*s;
	unsigned char	*bin;
	size_t		 len = 1 << 20;

	/* A long valid string decodes only into a buffer that holds it. */
	s = malloc(len + 1);
	bin = malloc(len);
	assert_non_null(s);
	assert_non_null(bin);
	memset(s, 'A', len);
	s[len] = '\0';
	assert_int_equal(b64_decode(s, bin, 16), -1);
	assert_int_equal(b64_decode(s, bin, len), (int)(len / 4 * 3));
	s[len / 2] = '*';
	assert_int_equal(b64_decode(s, bin, len), -1);
	free(s);
	free(bin);
}

static void
test_parse_duration(void **state)
{
	static const struct {
		const char	*s;
		uint32_t	 v;
	} good[] = {
		{ "0", 0 },
		{ "30", 30 },
		{ "30s", 30 },
		{ "5m", 300 },
		{ "4h", 14400 },
		{ "4d", 345600 },
		{ "007m", 420 },
		{ "4294967295", UINT32_MAX },
		{ "4294967295s", UINT32_MAX },
		{ "71582788m", 4294967280U },
		{ "49710d", 4294944000U },
		{ "00000000000000000000000000000001s", 1 },
	};
	static const char *const bad[] = {
		"", "s", "m", "-1", "+1", " 1", "1 ", "1x", "1ss", "1sm",
		"1.5h", "1,5h", "0x10", "1S", "1M", "1H", "1D", "1w", "1e3",
		"4294967296", "4294967296s", "71582789m", "1193047h",
		"49711d", "99999999999999999999999999999999",
		"18446744073709551616", "1\n", "\n1",
	};
	uint32_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		assert_int_equal(parse_duration(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		assert_int_equal(parse_duration(bad[i], &v), -1);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(parse_duration(NULL, &v), -1);
}

static void
test_parse_size(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 v;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "1K", 1024 },
		{ "35M", 35ULL * 1024 * 1024 },
		{ "2G", 2ULL * 1024 * 1024 * 1024 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 },
		{ "18014398509481983K", 18014398509481983ULL << 10 },
	};
	static const char *const bad[] = {
		"", "K", "M", "-1", "+1", " 1", "1 ", "1k", "1m", "1g",
		"1KB", "1MM", "1T", "1.5M", "0x10",
		"18446744073709551616", "17179869184G", "18014398509481984K",
		"99999999999999999999999999999999999999",
	};
	uint64_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		assert_int_equal(parse_size(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		assert_int_equal(parse_size(bad[i], &v), -1);
		assert_true(v == 12345);
	}
}

static char *
tmpdir(void)
{
	char	*d;

	d = strdup("/tmp/test_util.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void
rmrf(const char *d)
{
	char	 cmd[PATH_MAX + 16];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

static void
test_mkdirs(void **state)
{
	char		*d, p[PATH_MAX], *big;
	struct stat	 st;
	mode_t		 old;
	int		 fd;

	d = tmpdir();
	old = umask(022);

	(void)snprintf(p, sizeof(p), "%s/a/b/c", d);
	assert_int_equal(mkdirs(p, 0700), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	(void)snprintf(p, sizeof(p), "%s/a", d);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	/* Existing path, trailing and doubled slashes. */
	(void)snprintf(p, sizeof(p), "%s/a/b/c", d);
	assert_int_equal(mkdirs(p, 0700), 0);
	(void)snprintf(p, sizeof(p), "%s//a//b/c/d//", d);
	assert_int_equal(mkdirs(p, 0755), 0);
	(void)snprintf(p, sizeof(p), "%s/a/b/c/d", d);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(mkdirs("/", 0700), 0);

	/* A file in the way. */
	(void)snprintf(p, sizeof(p), "%s/file", d);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_int_equal(mkdirs(p, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	(void)snprintf(p, sizeof(p), "%s/file/x/y", d);
	assert_int_equal(mkdirs(p, 0700), -1);

	/* Empty and overlong paths. */
	errno = 0;
	assert_int_equal(mkdirs("", 0700), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mkdirs(NULL, 0700), -1);
	big = malloc(PATH_MAX + 10);
	assert_non_null(big);
	memset(big, 'a', PATH_MAX + 9);
	big[PATH_MAX + 9] = '\0';
	errno = 0;
	assert_int_equal(mkdirs(big, 0700), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(big);

	umask(old);
	rmrf(d);
	free(d);
}

static void
test_fsync_dir(void **state)
{
	char	*d, p[PATH_MAX];
	int	 fd;

	d = tmpdir();
	assert_int_equal(fsync_dir(d), 0);
	(void)snprintf(p, sizeof(p), "%s/none", d);
	assert_int_equal(fsync_dir(p), -1);
	assert_int_equal(errno, ENOENT);
	(void)snprintf(p, sizeof(p), "%s/file", d);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fsync_dir(p), -1);
	assert_int_equal(errno, ENOTDIR);
	rmrf(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_format),
		cmocka_unit_test(test_uuid_unique),
		cmocka_unit_test(test_uuid_valid),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_sizes),
		cmocka_unit_test(test_b64_hostile),
		cmocka_unit_test(test_b64_long),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_mkdirs),
		cmocka_unit_test(test_fsync_dir),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
