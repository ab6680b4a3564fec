/*
 * immpd.conf(5): defaults, look-ups, the maildir template and the dump
 * of the effective configuration.  The grammar is in parse.y.
 */

#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "imid.h"

#define CONF_DEFAULT_USERS	"users"
#define CONF_DEFAULT_MAILDIR	"/var/mail/%{user}/Maildir"
#define CONF_DEFAULT_QUEUE	"/var/spool/immpd"
#define CONF_DEFAULT_USER	"_immpd"
#define CONF_DEFAULT_QUEUE_USER	"_immpq"
#define CONF_DEFAULT_CHROOT	"/var/empty"
#define CONF_DEFAULT_RETRY_FIRST	300		/* 5m */
#define CONF_DEFAULT_RETRY_MAX	14400		/* 4h */
#define CONF_DEFAULT_EXPIRE	345600		/* 4d */
#define CONF_DEFAULT_MAX_SIZE	(35ULL * 1024 * 1024)
#define CONF_DEFAULT_MAX_SESSIONS	1024
#define CONF_DEFAULT_KEYS	"/etc/immpd/keys"
#define CONF_DEFAULT_CONTROL	"/var/run/immpd.sock"
#define CONF_DEFAULT_KEY_ROLLOVER	604800		/* 7d */
#define CONF_DEFAULT_RELAY_CONN	8
#define CONF_DEFAULT_RELAY_MSGS	100

#define IMID_MAXLOCAL		64

enum mtoken {
	MT_NONE,
	MT_USER,
	MT_DOMAIN,
	MT_ACCOUNT
};

static size_t	maildir_token(const char *, enum mtoken *);
static int	ascii_casecmp(const char *, const char *);
static int	local_valid(const char *, size_t);
static int	append(char *, size_t, size_t *, const char *, size_t);
static void	dump_string(const char *);
static void	dump_duration(uint32_t);
static void	dump_size(uint64_t);
static void	conf_dump_relay(struct immpd_conf *);
static void	conf_dump_block(struct immpd_conf *);

void
conf_init(struct immpd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	TAILQ_INIT(&conf->domains);
	TAILQ_INIT(&conf->listeners);
	TAILQ_INIT(&conf->tables);
	TAILQ_INIT(&conf->routes);
	conf->pin_policy = CONF_PIN_REFUSE;
	conf->relay_max_conn = CONF_DEFAULT_RELAY_CONN;
	conf->relay_max_msgs = CONF_DEFAULT_RELAY_MSGS;
	conf->limit_conn = 600;		/* immpd.conf(5) "limit" */
	conf->limit_conn_per = 60;
	conf->limit_msgs = 600;
	conf->limit_msgs_per = 60;
	conf->limit_dom_msgs = 3000;
	conf->limit_dom_msgs_per = 60;
	(void)strlcpy(conf->users_table, CONF_DEFAULT_USERS,
	    sizeof(conf->users_table));
	(void)strlcpy(conf->maildir, CONF_DEFAULT_MAILDIR,
	    sizeof(conf->maildir));
	(void)strlcpy(conf->queue_dir, CONF_DEFAULT_QUEUE,
	    sizeof(conf->queue_dir));
	(void)strlcpy(conf->user, CONF_DEFAULT_USER, sizeof(conf->user));
	(void)strlcpy(conf->queue_user, CONF_DEFAULT_QUEUE_USER,
	    sizeof(conf->queue_user));
	(void)strlcpy(conf->chroot_dir, CONF_DEFAULT_CHROOT,
	    sizeof(conf->chroot_dir));
	conf->retry_first = CONF_DEFAULT_RETRY_FIRST;
	conf->retry_max = CONF_DEFAULT_RETRY_MAX;
	conf->expire = CONF_DEFAULT_EXPIRE;
	conf->max_message_size = CONF_DEFAULT_MAX_SIZE;
	conf->max_sessions = CONF_DEFAULT_MAX_SESSIONS;
	(void)strlcpy(conf->keys_dir, CONF_DEFAULT_KEYS,
	    sizeof(conf->keys_dir));
	conf->key_rollover = CONF_DEFAULT_KEY_ROLLOVER;
	(void)strlcpy(conf->control_path, CONF_DEFAULT_CONTROL,
	    sizeof(conf->control_path));
}

void
conf_clear(struct immpd_conf *conf)
{
	struct conf_domain	*d;
	struct conf_listen	*l;
	struct conf_table	*t;
	struct conf_route	*r;

	while ((r = TAILQ_FIRST(&conf->routes)) != NULL) {
		TAILQ_REMOVE(&conf->routes, r, entry);
		free(r);
	}
	while ((d = TAILQ_FIRST(&conf->domains)) != NULL) {
		TAILQ_REMOVE(&conf->domains, d, entry);
		free(d);
	}
	while ((l = TAILQ_FIRST(&conf->listeners)) != NULL) {
		TAILQ_REMOVE(&conf->listeners, l, entry);
		free(l);
	}
	while ((t = TAILQ_FIRST(&conf->tables)) != NULL) {
		TAILQ_REMOVE(&conf->tables, t, entry);
		free(t);
	}
}

struct conf_table *
conf_table(struct immpd_conf *conf, const char *name)
{
	struct conf_table	*t;

	TAILQ_FOREACH(t, &conf->tables, entry)
		if (strcmp(t->name, name) == 0)
			return (t);
	return (NULL);
}

/* strcasecmp(3) restricted to ASCII, independent of the locale. */
static int
ascii_casecmp(const char *a, const char *b)
{
	unsigned char	ca, cb;

	for (;; a++, b++) {
		ca = (unsigned char)*a;
		cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (ca < cb ? -1 : 1);
		if (ca == '\0')
			return (0);
	}
}

struct conf_route *
conf_route(struct immpd_conf *conf, const char *domain)
{
	struct conf_route	*r;

	TAILQ_FOREACH(r, &conf->routes, entry)
		if (ascii_casecmp(r->domain, domain) == 0)
			return (r);
	return (NULL);
}

void
conf_settings_path(struct immpd_conf *conf, char *buf, size_t size)
{
	int	 n;

	if (conf->settings_path[0] != '\0')
		(void)strlcpy(buf, conf->settings_path, size);
	else if ((n = snprintf(buf, size, "%s/settings.db",
	    conf->queue_dir)) < 0 || (size_t)n >= size)
		buf[0] = '\0';	/* too long: the store is unavailable */
}

void
conf_pins_path(struct immpd_conf *conf, char *buf, size_t size)
{
	if (conf->pins_path[0] != '\0')
		(void)strlcpy(buf, conf->pins_path, size);
	else
		(void)snprintf(buf, size, "%s/pins.db", conf->queue_dir);
}

int
conf_is_local(struct immpd_conf *conf, const char *domain)
{
	struct conf_domain	*d;

	TAILQ_FOREACH(d, &conf->domains, entry)
		if (ascii_casecmp(d->name, domain) == 0)
			return (1);
	return (0);
}

/*
 * If s starts with a known %{...} token, returns its length and sets
 * *kind; else returns 0.
 */
static size_t
maildir_token(const char *s, enum mtoken *kind)
{
	static const struct {
		const char	*name;
		enum mtoken	 kind;
	} tokens[] = {
		{ "%{user}",	MT_USER },
		{ "%{domain}",	MT_DOMAIN },
		{ "%{account}",	MT_ACCOUNT },
	};
	size_t	i, n;

	for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		n = strlen(tokens[i].name);
		/* strncmp stops at the NUL of a shorter s. */
		if (strncmp(s, tokens[i].name, n) == 0) {
			*kind = tokens[i].kind;
			return (n);
		}
	}
	*kind = MT_NONE;
	return (0);
}

int
conf_maildir_check(const char *tmpl, const char **errstr)
{
	enum mtoken	kind;
	size_t		i, n;
	int		owner = 0;

	if (tmpl[0] != '/') {
		*errstr = "maildir must be an absolute path";
		return (-1);
	}
	if (strlen(tmpl) >= CONF_PATH_MAX) {
		*errstr = "maildir too long";
		return (-1);
	}
	for (i = 0; tmpl[i] != '\0'; i++) {
		if (tmpl[i] != '%')
			continue;
		if ((n = maildir_token(tmpl + i, &kind)) == 0) {
			*errstr = "unknown %{...} token in maildir";
			return (-1);
		}
		if (kind == MT_USER || kind == MT_ACCOUNT)
			owner = 1;
		i += n - 1;
	}
	if (!owner) {
		*errstr = "maildir needs %{user} or %{account}";
		return (-1);
	}
	return (0);
}

/*
 * The local part of an account: 1..64 of ALPHA DIGIT "." "_" "-", no
 * leading, trailing or doubled "." (imid.h).  This keeps "/", "." and
 * ".." out of the path.
 */
static int
local_valid(const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;

	if (len == 0 || len > IMID_MAXLOCAL)
		return (0);
	if (s[0] == '.' || s[len - 1] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return (0);
		if (c == '.' && i > 0 && s[i - 1] == '.')
			return (0);
	}
	return (1);
}

/* Appends src[0..n) to out at *pos, keeping room for the NUL. */
static int
append(char *out, size_t outsz, size_t *pos, const char *src, size_t n)
{
	if (n >= outsz - *pos)
		return (-1);
	memcpy(out + *pos, src, n);
	*pos += n;
	out[*pos] = '\0';
	return (0);
}

int
conf_maildir_path(const char *tmpl, const char *account, char *out,
    size_t outsz)
{
	const char	*at, *domain, *p;
	enum mtoken	 kind;
	size_t		 llen, pos = 0, n;
	int		 r;

	if (outsz == 0) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	out[0] = '\0';
	if (tmpl[0] != '/') {
		errno = EINVAL;
		return (-1);
	}

	at = strchr(account, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL) {
		errno = EINVAL;
		return (-1);
	}
	llen = at - account;
	domain = at + 1;
	if (!local_valid(account, llen) || !imid_domain_valid(domain)) {
		errno = EINVAL;
		return (-1);
	}

	for (p = tmpl; *p != '\0'; p += n) {
		if (*p != '%') {
			n = strcspn(p, "%");
			r = append(out, outsz, &pos, p, n);
		} else {
			if ((n = maildir_token(p, &kind)) == 0) {
				out[0] = '\0';
				errno = EINVAL;
				return (-1);
			}
			switch (kind) {
			case MT_USER:
				r = append(out, outsz, &pos, account, llen);
				break;
			case MT_DOMAIN:
				r = append(out, outsz, &pos, domain,
				    strlen(domain));
				break;
			case MT_ACCOUNT:
			default:
				r = append(out, outsz, &pos, account,
				    strlen(account));
				break;
			}
		}
		if (r == -1) {
			out[0] = '\0';
			errno = ENAMETOOLONG;
			return (-1);
		}
	}
	return (0);
}

/* Writes s as a quoted string of immpd.conf(5). */
static void
dump_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void
dump_duration(uint32_t secs)
{
	if (secs != 0 && secs % 86400 == 0)
		printf("%ud", secs / 86400);
	else if (secs != 0 && secs % 3600 == 0)
		printf("%uh", secs / 3600);
	else if (secs != 0 && secs % 60 == 0)
		printf("%um", secs / 60);
	else
		printf("%us", secs);
}

/* In the largest unit of parse_size(3) that is exact. */
static void
dump_size(uint64_t n)
{
	if (n != 0 && n % (1024ULL * 1024 * 1024) == 0)
		printf("%lluG\n", (unsigned long long)(n >> 30));
	else if (n != 0 && n % (1024ULL * 1024) == 0)
		printf("%lluM\n", (unsigned long long)(n >> 20));
	else if (n != 0 && n % 1024 == 0)
		printf("%lluK\n", (unsigned long long)(n >> 10));
	else
		printf("%llu\n", (unsigned long long)n);
}

void
conf_dump(struct immpd_conf *conf)
{
	struct conf_domain	*d;
	struct conf_listen	*l;
	struct conf_table	*t;

	printf("# %s\n", conf->path);
	TAILQ_FOREACH(d, &conf->domains, entry) {
		printf("domain ");
		dump_string(d->name);
		putchar('\n');
	}
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		printf("listen on %s port %u%s tls-cert ", l->addr,
		    (unsigned int)l->port, l->implicit_tls ? " tls" : "");
		dump_string(l->cert);
		printf(" tls-key ");
		dump_string(l->key);
		putchar('\n');
	}
	TAILQ_FOREACH(t, &conf->tables, entry) {
		printf("table ");
		dump_string(t->name);
		printf(" db:");
		dump_string(t->path);
		putchar('\n');
	}
	printf("users ");
	dump_string(conf->users_table);
	if (conf->mailboxes_table[0] != '\0') {
		printf("\nmailboxes ");
		dump_string(conf->mailboxes_table);
	}
	printf("\nmaildir ");
	dump_string(conf->maildir);
	if (conf->maildir_user[0] != '\0') {
		printf(" user ");
		dump_string(conf->maildir_user);
	}
	printf("\nqueue ");
	dump_string(conf->queue_dir);
	printf("\nuser ");
	dump_string(conf->user);
	printf("\nqueue-user ");
	dump_string(conf->queue_user);
	printf("\nchroot ");
	dump_string(conf->chroot_dir);
	printf("\nretry first ");
	dump_duration(conf->retry_first);
	printf(" max ");
	dump_duration(conf->retry_max);
	printf("\nexpire ");
	dump_duration(conf->expire);
	printf("\nmax-message-size ");
	dump_size(conf->max_message_size);
	printf("max-sessions %u\n", (unsigned int)conf->max_sessions);
	printf("keys ");
	dump_string(conf->keys_dir);
	printf("\nkey-rollover ");
	dump_duration(conf->key_rollover);
	printf("\ncontrol-socket ");
	dump_string(conf->control_path);
	putchar('\n');
	conf_dump_relay(conf);
	conf_dump_block(conf);
}

/* "settings", "block" and "limit" (immpd.conf(5)). */
static void
conf_dump_block(struct immpd_conf *conf)
{
	char	 path[CONF_PATH_MAX];

	conf_settings_path(conf, path, sizeof(path));
	printf("settings ");
	dump_string(path);
	putchar('\n');
	if (conf->block_networks[0] != '\0')
		printf("block networks %s\n", conf->block_networks);
	if (conf->block_domains[0] != '\0')
		printf("block domains %s\n", conf->block_domains);
	if (conf->block_addresses[0] != '\0')
		printf("block addresses %s\n", conf->block_addresses);
	printf("limit connections %u per %us\n", conf->limit_conn,
	    conf->limit_conn_per);
	printf("limit messages %u per %us\n", conf->limit_msgs,
	    conf->limit_msgs_per);
	printf("limit domain-messages %u per %us\n", conf->limit_dom_msgs,
	    conf->limit_dom_msgs_per);
	printf("limit loopback %s\n", conf->limit_loopback ? "yes" : "no");
}

/* The relay statements (immpd.conf(5) RELAY). */
static void
conf_dump_relay(struct immpd_conf *conf)
{
	struct conf_route	*r;

	TAILQ_FOREACH(r, &conf->routes, entry) {
		printf("route ");
		dump_string(r->domain);
		printf(" to ");
		dump_string(r->host);
		printf(" port %u%s\n", (unsigned int)r->port,
		    r->tls_verify ? " tls verify" : "");
	}
	if (conf->domain_secret[0] != '\0') {
		printf("domain-secret ");
		dump_string(conf->domain_secret);
		putchar('\n');
	}
	if (conf->tls_ca[0] != '\0') {
		printf("tls ca ");
		dump_string(conf->tls_ca);
		putchar('\n');
	}
	if (conf->pins_path[0] != '\0') {
		printf("tls pins ");
		dump_string(conf->pins_path);
		putchar('\n');
	}
	printf("tls pin-policy %s\n", conf->pin_policy == CONF_PIN_WARN ?
	    "warn" : "refuse");
	printf("relay max-connections %u max-messages %u\n",
	    (unsigned int)conf->relay_max_conn,
	    (unsigned int)conf->relay_max_msgs);
}
