/*
 * fuzz_conf: conf_parse (common/conf.h, immpd.conf(5)) on a memfd
 * holding the input, opened by its /proc/self/fd path.
 *
 * Properties:
 * - no crash, no leak (LeakSanitizer), no descriptor left open, no call
 *   of fatal();
 * - parsing the same file twice gives the same result (the parser keeps
 *   no state between calls), and the same configuration;
 * - an accepted configuration has at least one domain, all lower case
 *   and valid, at least one listener, a usable maildir template (or
 *   none), retry first <= retry max, a users table that exists when
 *   named; a refused one leaves the lists empty.
 */

#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "imid.h"
#include "fuzz.h"

static void
summary(struct immpd_conf *c, char *buf, size_t size)
{
	struct conf_domain	*d;
	struct conf_listen	*l;
	struct conf_table	*t;
	size_t			 off;

	off = snprintf(buf, size, "%s|%s|%s|%s|%s|%s|%s|%u|%u|%u|%llu|%u",
	    c->users_table, c->maildir, c->maildir_user, c->queue_dir,
	    c->user, c->queue_user, c->chroot_dir, c->retry_first,
	    c->retry_max, c->expire, (unsigned long long)c->max_message_size,
	    c->max_sessions);
	TAILQ_FOREACH(d, &c->domains, entry)
		if (off < size)
			off += snprintf(buf + off, size - off, "|d=%s", d->name);
	TAILQ_FOREACH(l, &c->listeners, entry)
		if (off < size)
			off += snprintf(buf + off, size - off,
			    "|l=%s:%u:%d:%s:%s", l->addr, l->port,
			    l->implicit_tls, l->cert, l->key);
	TAILQ_FOREACH(t, &c->tables, entry)
		if (off < size)
			off += snprintf(buf + off, size - off, "|t=%s:%s",
			    t->name, t->path);
}

static void
check_ok(struct immpd_conf *c)
{
	struct conf_domain	*d;
	const char		*err;
	size_t			 i;

	FUZZ_ASSERT(!TAILQ_EMPTY(&c->domains));
	FUZZ_ASSERT(!TAILQ_EMPTY(&c->listeners));
	TAILQ_FOREACH(d, &c->domains, entry) {
		FUZZ_ASSERT(imid_domain_valid(d->name));
		for (i = 0; d->name[i] != '\0'; i++)
			FUZZ_ASSERT(d->name[i] < 'A' || d->name[i] > 'Z');
		FUZZ_ASSERT(conf_is_local(c, d->name));
	}
	if (c->maildir[0] != '\0')
		FUZZ_ASSERT(conf_maildir_check(c->maildir, &err) == 0);
	FUZZ_ASSERT(c->retry_first <= c->retry_max);
	FUZZ_ASSERT(c->users_table[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		s1[64 * 1024], s2[64 * 1024];
	struct immpd_conf	c;
	char			path[64];
	int			fd, fds, r1, r2;

	if (size > 32 * 1024)
		return 0;
	fds = fuzz_fd_count();
	if ((fd = fuzz_memfd("immpd.conf", data, size)) == -1)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	r1 = conf_parse(path, &c);
	FUZZ_ASSERT(r1 == 0 || r1 == -1);
	if (r1 == 0)
		check_ok(&c);
	else
		FUZZ_ASSERT(TAILQ_EMPTY(&c.domains) &&
		    TAILQ_EMPTY(&c.listeners) && TAILQ_EMPTY(&c.tables));
	summary(&c, s1, sizeof(s1));
	conf_clear(&c);

	r2 = conf_parse(path, &c);
	FUZZ_ASSERT(r2 == r1);
	summary(&c, s2, sizeof(s2));
	FUZZ_ASSERT(strcmp(s1, s2) == 0);
	conf_clear(&c);
	conf_clear(&c);

	close(fd);
	FUZZ_ASSERT(fuzz_fd_count() == fds);
	return 0;
}
