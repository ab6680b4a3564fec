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
 * Configuration reload (common/conf.h): conf_parse_fd reads the same
 * as conf_parse, from a sealed memory file as the parent passes it, and
 * conf_reload takes over only what may change while running.
 */

#include <sys/mman.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"

static const char base[] =
    "domain \"demo.test\"\n"
    "listen on 127.0.0.1 port 1025 tls-cert \"/c.pem\" tls-key \"/k.pem\"\n"
    "table users db:\"/etc/immpd/users.db\"\n"
    "users users\n"
    "max-message-size 1M\n";

static int
memfile(const char *text)
{
	int	fd;

	fd = memfd_create("conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW), 0);
	return fd;
}

static void
test_parse_fd(void **state)
{
	struct immpd_conf	 c;
	char			 path[] = "/tmp/test_conf_reload.XXXXXX";
	int			 fd, pfd;

	fd = memfile(base);
	/* the offset does not matter: pread from 0 */
	assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
	assert_int_equal(conf_parse_fd(fd, "/etc/immpd.conf", &c), 0);
	assert_string_equal(c.path, "/etc/immpd.conf");
	assert_int_equal(c.max_message_size, 1024 * 1024);
	assert_string_equal(TAILQ_FIRST(&c.domains)->name, "demo.test");
	conf_clear(&c);
	/* twice from the same descriptor */
	assert_int_equal(conf_parse_fd(fd, "/etc/immpd.conf", &c), 0);
	conf_clear(&c);
	close(fd);

	/* errors are errors here too */
	fd = memfile("domain\n");
	assert_int_equal(conf_parse_fd(fd, "x", &c), -1);
	close(fd);
	fd = memfile("");
	assert_int_equal(conf_parse_fd(fd, "x", &c), -1);
	close(fd);
	fd = memfile("domain \"a.test\"\n\x01\n");
	assert_int_equal(conf_parse_fd(fd, "x", &c), -1);
	close(fd);

	/* not a regular file */
	fd = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(conf_parse_fd(fd, "x", &c), -1);
	close(fd);

	/* the same result as conf_parse of a file */
	pfd = mkstemp(path);
	assert_true(pfd >= 0);
	assert_int_equal(write(pfd, base, strlen(base)), (ssize_t)strlen(base));
	assert_int_equal(conf_parse_fd(pfd, path, &c), 0);
	assert_int_equal(c.max_message_size, 1024 * 1024);
	conf_clear(&c);
	close(pfd);
	unlink(path);
}

static void
parse_text(const char *text, struct immpd_conf *c)
{
	int	fd = memfile(text);

	assert_int_equal(conf_parse_fd(fd, "t", c), 0);
	close(fd);
}

static void
test_reload(void **state)
{
	struct immpd_conf	 run, nc;
	char			 restart[256], text[2048];
	struct conf_listen	*l;

	parse_text(base, &run);
	l = TAILQ_FIRST(&run.listeners);

	/* reloadable settings are taken, nothing needs a restart */
	(void)snprintf(text, sizeof(text), "%s%s", base,
	    "max-sessions 7\nretry first 1m max 2h\nexpire 1d\n"
	    "key-rollover 2d\n");
	parse_text(text, &nc);
	assert_int_equal(conf_reload(&run, &nc, restart, sizeof(restart)),
	    0);
	assert_string_equal(restart, "");
	conf_clear(&nc);
	assert_int_equal(run.max_sessions, 7);
	assert_int_equal(run.retry_first, 60);
	assert_int_equal(run.retry_max, 7200);
	assert_int_equal(run.expire, 86400);
	assert_int_equal(run.key_rollover, 2 * 86400);
	assert_int_equal(run.max_message_size, 1024 * 1024);

	/* bound settings are kept and named; the rest is still taken */
	parse_text("domain \"other.test\"\n"
	    "listen on 127.0.0.1 port 1026 tls-cert \"/c.pem\" "
	    "tls-key \"/k.pem\"\n"
	    "table users db:\"/elsewhere.db\"\n"
	    "users users\n"
	    "queue \"/var/q\"\n"
	    "control-socket \"/tmp/s\"\n"
	    "max-message-size 2K\n", &nc);
	assert_int_equal(conf_reload(&run, &nc, restart, sizeof(restart)),
	    5);
	assert_string_equal(restart,
	    "domain listen table queue control-socket");
	conf_clear(&nc);
	assert_int_equal(run.max_message_size, 2048);
	assert_int_equal(run.max_sessions, 1024);	/* default again */
	assert_string_equal(TAILQ_FIRST(&run.domains)->name, "demo.test");
	assert_ptr_equal(TAILQ_FIRST(&run.listeners), l);
	assert_int_equal(l->port, 1025);
	assert_string_equal(run.queue_dir, "/var/spool/immpd");

	/* restart may be NULL; a short buffer is cut, the count is not */
	parse_text("domain \"other.test\"\n"
	    "listen on 127.0.0.1 port 1026 tls-cert \"/c.pem\" "
	    "tls-key \"/k.pem\"\n", &nc);
	assert_int_equal(conf_reload(&run, &nc, NULL, 0), 3);
	assert_int_equal(conf_reload(&run, &nc, restart, 8), 3);
	assert_string_equal(restart, "domain ");
	conf_clear(&nc);
	conf_clear(&run);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fd),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
