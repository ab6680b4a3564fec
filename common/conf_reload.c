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
 * Configuration reload (conf.h conf_reload, immpd.conf(5) RELOAD): what
 * a running daemon takes over from a new configuration.  A setting
 * becomes reloadable by moving it from the "kept" checks to the copies
 * at the end of conf_reload, once every process that uses it reads it
 * at the time of use.
 */

#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "conf.h"

static void
note(char *restart, size_t size, int *n, const char *keyword)
{
	(*n)++;
	if (restart == NULL || size == 0)
		return;
	if (restart[0] != '\0')
		(void)strlcat(restart, " ", size);
	(void)strlcat(restart, keyword, size);
}

static int
domains_same(const struct immpd_conf *a, const struct immpd_conf *b)
{
	const struct conf_domain	*x, *y;

	for (x = TAILQ_FIRST(&a->domains), y = TAILQ_FIRST(&b->domains);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->name, y->name) != 0)
			return 0;
	return x == NULL && y == NULL;
}

static int
listeners_same(const struct immpd_conf *a, const struct immpd_conf *b)
{
	const struct conf_listen	*x, *y;

	for (x = TAILQ_FIRST(&a->listeners), y = TAILQ_FIRST(&b->listeners);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->addr, y->addr) != 0 || x->port != y->port ||
		    x->implicit_tls != y->implicit_tls ||
		    strcmp(x->cert, y->cert) != 0 ||
		    strcmp(x->key, y->key) != 0)
			return 0;
	return x == NULL && y == NULL;
}

static int
tables_same(const struct immpd_conf *a, const struct immpd_conf *b)
{
	const struct conf_table	*x, *y;

	for (x = TAILQ_FIRST(&a->tables), y = TAILQ_FIRST(&b->tables);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->name, y->name) != 0 ||
		    strcmp(x->path, y->path) != 0)
			return 0;
	return x == NULL && y == NULL;
}

static int
routes_same(const struct immpd_conf *a, const struct immpd_conf *b)
{
	const struct conf_route	*x, *y;

	for (x = TAILQ_FIRST(&a->routes), y = TAILQ_FIRST(&b->routes);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->domain, y->domain) != 0 ||
		    strcmp(x->host, y->host) != 0 || x->port != y->port ||
		    x->tls_verify != y->tls_verify)
			return 0;
	return x == NULL && y == NULL;
}

#define KEPT_STR(field, kw) do {					\
	if (strcmp(run->field, nc->field) != 0)				\
		note(restart, size, &n, kw);				\
} while (0)
#define KEPT_NUM(field, kw) do {					\
	if (run->field != nc->field)					\
		note(restart, size, &n, kw);				\
} while (0)

int
conf_reload(struct immpd_conf *run, const struct immpd_conf *nc,
    char *restart, size_t size)
{
	int	n = 0;

	if (restart != NULL && size > 0)
		restart[0] = '\0';

	/* Kept: bound at start-up (sockets, privileges, directories). */
	if (!domains_same(run, nc))
		note(restart, size, &n, "domain");
	if (!listeners_same(run, nc))
		note(restart, size, &n, "listen");
	if (!tables_same(run, nc))
		note(restart, size, &n, "table");
	KEPT_STR(users_table, "users");
	if (strcmp(run->maildir, nc->maildir) != 0 ||
	    strcmp(run->maildir_user, nc->maildir_user) != 0)
		note(restart, size, &n, "maildir");
	KEPT_STR(queue_dir, "queue");
	KEPT_STR(user, "user");
	KEPT_STR(queue_user, "queue-user");
	KEPT_STR(chroot_dir, "chroot");
	KEPT_STR(keys_dir, "keys");
	KEPT_STR(control_path, "control-socket");
	if (!routes_same(run, nc))
		note(restart, size, &n, "route");
	KEPT_STR(domain_secret, "domain-secret");
	if (strcmp(run->tls_ca, nc->tls_ca) != 0 ||
	    strcmp(run->pins_path, nc->pins_path) != 0 ||
	    run->pin_policy != nc->pin_policy)
		note(restart, size, &n, "tls");
	if (run->relay_max_conn != nc->relay_max_conn ||
	    run->relay_max_msgs != nc->relay_max_msgs)
		note(restart, size, &n, "relay");

	/* Taken: read where they are used, for each new use. */
	run->retry_first = nc->retry_first;
	run->retry_max = nc->retry_max;
	run->expire = nc->expire;
	run->max_message_size = nc->max_message_size;
	run->max_sessions = nc->max_sessions;
	run->key_rollover = nc->key_rollover;
	return n;
}
