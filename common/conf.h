/*
 * immpd.conf(5): the configuration shared by all processes.  Every
 * process parses the file itself at start-up (the parent passes -f).
 */
#ifndef IMMP_CONF_H
#define IMMP_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define CONF_PATH_MAX	1024
#define CONF_NAME_MAX	64
#define CONF_DEFAULT_PORT	1025

struct conf_domain {
	TAILQ_ENTRY(conf_domain) entry;
	char		name[256];	/* lower case */
};

struct conf_listen {
	TAILQ_ENTRY(conf_listen) entry;
	char		addr[64];	/* numeric address, e.g. 127.0.0.1, ::1 */
	uint16_t	port;		/* default CONF_DEFAULT_PORT */
	int		implicit_tls;	/* "tls": handshake before greeting */
	char		cert[CONF_PATH_MAX];
	char		key[CONF_PATH_MAX];
};

struct conf_table {
	TAILQ_ENTRY(conf_table) entry;
	char		name[CONF_NAME_MAX];
	char		path[CONF_PATH_MAX];	/* Berkeley DB hash file */
};

/* route "<domain>" to <host> [port n] [tls verify] (relay, static) */
struct conf_route {
	TAILQ_ENTRY(conf_route) entry;
	char		domain[256];	/* lower case */
	char		host[256];	/* name or numeric address */
	uint16_t	port;		/* default CONF_DEFAULT_PORT */
	int		tls_verify;	/* PKIX check against "tls ca" */
};

#define CONF_PIN_REFUSE	0	/* tls pin-policy refuse (default) */
#define CONF_PIN_WARN	1	/* tls pin-policy warn */

struct immpd_conf {
	char		path[CONF_PATH_MAX];	/* file this came from */
	TAILQ_HEAD(, conf_domain) domains;
	TAILQ_HEAD(, conf_listen) listeners;
	TAILQ_HEAD(, conf_table) tables;
	char		users_table[CONF_NAME_MAX];	/* default "users" */
	char		mailboxes_table[CONF_NAME_MAX];	/* "" = none */
	char		maildir[CONF_PATH_MAX];	/* template, %{user} ... */
	char		maildir_user[CONF_NAME_MAX];	/* "" = owner per account */
	char		queue_dir[CONF_PATH_MAX];	/* default /var/spool/immpd */
	char		user[CONF_NAME_MAX];	/* default "_immpd" */
	char		queue_user[CONF_NAME_MAX];	/* default "_immpq" */
	char		chroot_dir[CONF_PATH_MAX];	/* default /var/empty */
	uint32_t	retry_first;	/* seconds, default 300 */
	uint32_t	retry_max;	/* seconds, default 14400 */
	uint32_t	expire;		/* seconds, default 345600 (4 days) */
	uint64_t	max_message_size;	/* octets, default 35 MiB */
	uint32_t	max_sessions;	/* default 1024 */
	char		keys_dir[CONF_PATH_MAX];	/* /etc/immpd/keys */
	uint32_t	key_rollover;	/* seconds, default 604800 (7d) */
	char		control_path[CONF_PATH_MAX];	/* immpctl(8) socket */
	/* Relay (immp(7) RELAY). */
	TAILQ_HEAD(, conf_route) routes;
	char		domain_secret[CONF_PATH_MAX];	/* "" = per start */
	char		tls_ca[CONF_PATH_MAX];	/* "" = none */
	char		pins_path[CONF_PATH_MAX];	/* "" = <queue>/pins.db */
	int		pin_policy;	/* CONF_PIN_* */
	uint32_t	relay_max_conn;	/* per destination, default 8 */
	uint32_t	relay_max_msgs;	/* per session, default 100 */
	/* SET GLOBAL and blocking (immp(7) SET, BLOCKING; limit.c). */
	char		settings_path[CONF_PATH_MAX];	/* "": in queue */
	char		block_networks[CONF_NAME_MAX];	/* table, "" = none */
	char		block_domains[CONF_NAME_MAX];	/* table, "" = none */
	char		block_addresses[CONF_NAME_MAX];	/* table, "" = none */
	uint32_t	limit_conn;	/* per address, 0 = off; default 600 */
	uint32_t	limit_conn_per;	/* seconds, default 60 */
	uint32_t	limit_msgs;	/* per address, default 600 */
	uint32_t	limit_msgs_per;	/* seconds, default 60 */
	uint32_t	limit_dom_msgs;	/* per remote domain, default 3000 */
	uint32_t	limit_dom_msgs_per;	/* seconds, default 60 */
	int		limit_loopback;	/* limit 127/8, ::1 too; default 0 */
};

/*
 * conf_parse: reads path (immpd.conf(5), grammar in parse.y) into *conf,
 * which is initialised here with conf_init: any previous contents are
 * overwritten, not freed.  Errors are reported as "path:line: message"
 * (or "path: message" for a missing domain or listener) through
 * log_warnx; every error in the file is reported, not just the first.
 * Returns 0, or -1 if the file cannot be read or has any error; on -1
 * the lists are already freed (conf_clear is still harmless).  Not
 * thread-safe; may be called again after conf_clear.
 */
int	 conf_parse(const char *path, struct immpd_conf *conf);
/*
 * conf_parse_fd: as conf_parse, from the regular file open on fd (not
 * owned, read with pread from offset 0, at most CONF_FILE_MAX octets);
 * path only names it in messages and in conf->path.  For reloads in
 * processes that cannot open files (ipc_ctl.h).
 */
#define CONF_FILE_MAX	(1024 * 1024)
int	 conf_parse_fd(int fd, const char *path, struct immpd_conf *conf);
/*
 * conf_reload: takes the settings of nc that may change while running
 * (retry, expire, max-message-size, max-sessions, key-rollover) into
 * run, and keeps run's value of every other setting.  The keywords
 * whose new value differs and is not taken are written, separated by
 * spaces, into restart (size octets, "" if none; may be NULL).
 * Returns how many such keywords there are.  nc is not changed; the
 * caller still conf_clears it.
 */
int	 conf_reload(struct immpd_conf *run, const struct immpd_conf *nc,
	    char *restart, size_t size);
/*
 * conf_init: empties *conf and sets every default (see the fields
 * above); path is left empty.
 */
void	 conf_init(struct immpd_conf *conf);
/* conf_clear: frees the lists in *conf and leaves them empty. */
void	 conf_clear(struct immpd_conf *conf);
/* conf_table: the table named name (exact match), or NULL. */
struct conf_table	*conf_table(struct immpd_conf *, const char *name);
/* conf_route: the static route for domain (any ASCII case), or NULL. */
struct conf_route	*conf_route(struct immpd_conf *, const char *domain);
/*
 * conf_pins_path: the pin store file into buf (size CONF_PATH_MAX):
 * "tls pins" if given, else <queue>/pins.db.
 */
void	 conf_pins_path(struct immpd_conf *, char *buf, size_t size);
/*
 * conf_settings_path: the SET GLOBAL store into buf (size
 * CONF_PATH_MAX): "settings" if given, else <queue>/settings.db.
 */
void	 conf_settings_path(struct immpd_conf *, char *buf, size_t size);
/* conf_is_local: 1 if domain (any ASCII case) is one of ours, else 0. */
int	 conf_is_local(struct immpd_conf *, const char *domain);
/*
 * conf_dump: writes the effective configuration to stdout (immpd -nv)
 * in the syntax of immpd.conf(5), defaults included.
 */
void	 conf_dump(struct immpd_conf *);

/*
 * conf_maildir_check: 0 if tmpl is a usable maildir template: an
 * absolute path shorter than CONF_PATH_MAX whose only "%" sequences are
 * %{user}, %{domain} and %{account}, with at least one %{user} or
 * %{account}.  Else -1 with *errstr set to a short static reason.
 */
int	 conf_maildir_check(const char *tmpl, const char **errstr);

/*
 * conf_maildir_path: expands the maildir template for account
 * "user@domain" into out (size outsz): %{user} (local part), %{domain},
 * %{account}.  The local part and domain come from validated IMIDs;
 * they are checked again here: the local part must be 1..64 of ALPHA
 * DIGIT "." "_" "-" without leading or doubled "." (so never "/", "."
 * or ".."), the domain must pass imid_domain_valid.  Returns 0, or -1
 * with errno EINVAL (bad account or template) or ENAMETOOLONG (the
 * result does not fit in outsz); out is "" on error.
 */
int	 conf_maildir_path(const char *tmpl, const char *account, char *out,
	    size_t outsz);

#endif
