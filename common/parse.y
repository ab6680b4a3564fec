/*
 * immpd.conf(5) grammar and lexer.
 *
 *   conf      = *( [ statement ] [ comment ] NL )
 *   statement = "domain" string
 *             / "listen" "on" string *( "port" string / "tls" /
 *               "tls-cert" string / "tls-key" string )
 *             / "table" string ( "db:" string / string )
 *             / "users" string
 *             / "mailboxes" string
 *             / "maildir" string [ "user" string ]
 *             / "queue" string
 *             / "user" string
 *             / "queue-user" string
 *             / "chroot" string
 *             / "retry" 1*( "first" string / "max" string )
 *             / "expire" string
 *             / "max-message-size" string
 *             / "max-sessions" string
 *             / "keys" string
 *             / "key-rollover" string
 *             / "control-socket" string
 *             / "route" string "to" string *( "port" string /
 *               "tls" "verify" )
 *             / "domain-secret" string
 *             / "tls" ( "ca" string / "pins" string /
 *               "pin-policy" ( "warn" / "refuse" ) )
 *             / "relay" 1*( "max-connections" string /
 *               "max-messages" string )
 *             / "queue" "ttl" string      (the same as "expire")
 *             / "settings" string
 *             / "block" ( "networks" / "domains" / "addresses" ) string
 *             / "limit" ( "connections" / "messages" /
 *               "domain-messages" ) string "per" string
 *             / "limit" "loopback" ( "yes" / "no" )
 *   string    = DQUOTE *( char / "\" DQUOTE / "\\" ) DQUOTE / bare
 *   bare      = 1*( ALPHA / DIGIT / "-" / "_" / "." / "/" / ":" / "%" /
 *               "{" / "}" / "@" / "+" / "," / "=" / "~" )
 *   comment   = "#" *( any octet but NL )
 * Keywords are bare words, matched exactly (lower case); a quoted string
 * is never a keyword.  The keyword "users" may also stand for the string
 * "users" (so "table users ..." and "users users" work).  The table
 * source "db:" may be written as its own word followed by a string
 * (db:"/path") or as one word (db:/path).  A quoted string is at most
 * CONF_PATH_MAX - 1 octets of UTF-8 without control characters (HTAB
 * allowed) and cannot span lines.
 */

%{
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "imid.h"
#include "log.h"
#include "util.h"

#define CONF_MAX_SESSIONS	1000000

static struct {
	FILE			*fp;
	const char		*path;
	struct immpd_conf	*conf;
	int			 lineno;
	int			 pending_nl;	/* count the NL at next token */
	int			 at_bol;	/* last token was NL */
	int			 lex_failed;	/* lexer reported this error */
	int			 errors;
	struct conf_listen	*listen;	/* listen being parsed */
	int			 listen_seen;	/* its options, LSEEN_* */
	int			 retry_seen;	/* retry options, RSEEN_* */
	int			 users_line;	/* line of "users", or 0 */
	int			 mailboxes_line; /* line of "mailboxes", or 0 */
	int			 retry_line;	/* line of "retry", or 0 */
	int			 seen;		/* singletons, SEEN_* */
	struct conf_route	*route;		/* route being parsed */
	int			 route_seen;	/* its options, LSEEN_* */
	int			 relay_seen;	/* relay options, RSEEN_* */
} ps;

/* Relay singletons: high bits, apart from the others. */
#define SEEN_DSECRET	0x01000000
#define SEEN_TLSCA	0x02000000
#define SEEN_PINS	0x04000000
#define SEEN_PINPOL	0x08000000
#define SEEN_RELAY	0x10000000
#define RSEEN_CONN	0x10
#define RSEEN_MSGS	0x20
#define CONF_RELAY_MAX	10000

#define SEEN_USERS	0x0001
#define SEEN_MAILBOXES	0x00100000
#define SEEN_MAILDIR	0x0002
#define SEEN_QUEUE	0x0004
#define SEEN_USER	0x0008
#define SEEN_QUEUEUSER	0x0010
#define SEEN_CHROOT	0x0020
#define SEEN_RETRY	0x0040
#define SEEN_EXPIRE	0x0080
#define SEEN_MAXSIZE	0x0100
#define SEEN_MAXSESS	0x0200
#define SEEN_KEYS	0x0400
#define SEEN_KEYROLL	0x0800
#define SEEN_CONTROL	0x1000
#define SEEN_SETTINGS	0x20000000

#define LSEEN_PORT	0x01
#define LSEEN_TLS	0x02
#define LSEEN_CERT	0x04
#define LSEEN_KEY	0x08

#define RSEEN_FIRST	0x01
#define RSEEN_MAX	0x02

static int	 yylex(void);
static void	 yyerror(const char *);
static void	 conf_err(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	 singleton(int, const char *);
static int	 copy_path(char *, const char *, const char *);
static int	 copy_name(char *, const char *, const char *);
static int	 parse_uint(const char *, uint64_t, uint64_t, uint64_t *);
static void	 add_domain(const char *);
static void	 add_table(const char *, const char *);
static void	 block_table(const char *, const char *);
static void	 limit_rule(const char *, const char *, const char *,
		    const char *);
static int	 listen_begin(const char *);
static void	 listen_end(void);
static void	 set_duration(uint32_t *, const char *, const char *);
static int	 route_begin(const char *, const char *);
static void	 relay_limit(uint32_t *, const char *, const char *, int);
%}

%union {
	char	*string;
}

%token	DOMAIN LISTEN ON PORT TLS TLSCERT TLSKEY TABLE DB USERS MAILDIR
%token	USER QUEUE QUEUEUSER CHROOT RETRY FIRST MAX EXPIRE MAXMSGSIZE
%token	MAXSESSIONS KEYS KEYROLLOVER CONTROLSOCKET ERROR
%token	ROUTE TO VERIFY DOMAINSECRET CA PINS PINPOLICY RELAY MAXCONN MAXMSGS
%token	TTL MAILBOXES
%token	SETTINGS BLOCK LIMIT
%token	<string>	STRING
%type	<string>	string
%destructor { free($$); } <string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar main '\n'
		| grammar error '\n'	{ yyerrok; }
		;

string		: STRING		{ $$ = $1; }
		| USERS			{
			if (($$ = strdup("users")) == NULL) {
				conf_err("out of memory");
				YYABORT;
			}
		}
		;

main		: DOMAIN string		{
			add_domain($2);
			free($2);
		}
		| LISTEN ON string	{
			int	rv;

			/*
			 * $3 stays on the stack until the rule is reduced:
			 * clear it so the %destructor does not free it
			 * again after a syntax error in listenopts.
			 */
			rv = listen_begin($3);
			free($3);
			$3 = NULL;
			if (rv == -1)
				YYABORT;
		} listenopts		{
			listen_end();
		}
		| TABLE string DB string	{
			add_table($2, $4);
			free($2);
			free($4);
		}
		| TABLE string STRING	{
			if (strncmp($3, "db:", 3) != 0)
				conf_err("table %s: unknown table type", $2);
			else
				add_table($2, $3 + 3);
			free($2);
			free($3);
		}
		| USERS string		{
			if (singleton(SEEN_USERS, "users") == 0 &&
			    copy_name(ps.conf->users_table, $2,
			    "table name") == 0)
				ps.users_line = ps.lineno;
			free($2);
		}
		| MAILBOXES string	{
			if (singleton(SEEN_MAILBOXES, "mailboxes") == 0 &&
			    copy_name(ps.conf->mailboxes_table, $2,
			    "table name") == 0)
				ps.mailboxes_line = ps.lineno;
			free($2);
		}
		| MAILDIR string	{
			const char	*errstr;

			if (singleton(SEEN_MAILDIR, "maildir") == 0) {
				if (conf_maildir_check($2, &errstr) == -1)
					conf_err("%s", errstr);
				else
					(void)strlcpy(ps.conf->maildir, $2,
					    sizeof(ps.conf->maildir));
			}
			free($2);
			$2 = NULL;	/* see "listen" above */
		} maildiropts
		| QUEUE string		{
			if (singleton(SEEN_QUEUE, "queue") == 0)
				(void)copy_path(ps.conf->queue_dir, $2,
				    "queue");
			free($2);
		}
		| USER string		{
			if (singleton(SEEN_USER, "user") == 0)
				(void)copy_name(ps.conf->user, $2, "user");
			free($2);
		}
		| QUEUEUSER string	{
			if (singleton(SEEN_QUEUEUSER, "queue-user") == 0)
				(void)copy_name(ps.conf->queue_user, $2,
				    "queue-user");
			free($2);
		}
		| CHROOT string		{
			if (singleton(SEEN_CHROOT, "chroot") == 0)
				(void)copy_path(ps.conf->chroot_dir, $2,
				    "chroot");
			free($2);
		}
		| RETRY			{
			(void)singleton(SEEN_RETRY, "retry");
			ps.retry_seen = 0;
			ps.retry_line = ps.lineno;
		} retryopts
		| EXPIRE string		{
			if (singleton(SEEN_EXPIRE, "expire") == 0)
				set_duration(&ps.conf->expire, $2, "expire");
			free($2);
		}
		| relaymain
		| blockmain
		| MAXMSGSIZE string	{
			uint64_t	sz;

			if (singleton(SEEN_MAXSIZE, "max-message-size") == 0) {
				if (parse_size($2, &sz) == -1 || sz == 0)
					conf_err("invalid max-message-size "
					    "\"%s\"", $2);
				else
					ps.conf->max_message_size = sz;
			}
			free($2);
		}
		| MAXSESSIONS string	{
			uint64_t	n;

			if (singleton(SEEN_MAXSESS, "max-sessions") == 0) {
				if (parse_uint($2, 1, CONF_MAX_SESSIONS,
				    &n) == -1)
					conf_err("invalid max-sessions \"%s\""
					    " (1..%d)", $2, CONF_MAX_SESSIONS);
				else
					ps.conf->max_sessions = (uint32_t)n;
			}
			free($2);
		}
		| KEYS string		{
			if (singleton(SEEN_KEYS, "keys") == 0)
				(void)copy_path(ps.conf->keys_dir, $2, "keys");
			free($2);
		}
		| KEYROLLOVER string	{
			if (singleton(SEEN_KEYROLL, "key-rollover") == 0)
				set_duration(&ps.conf->key_rollover, $2,
				    "key-rollover");
			free($2);
		}
		| CONTROLSOCKET string	{
			if (singleton(SEEN_CONTROL, "control-socket") == 0)
				(void)copy_path(ps.conf->control_path, $2,
				    "control-socket");
			free($2);
		}
		;

/* SET GLOBAL store, blocking and rate limits (immpd.conf(5)). */
blockmain	: SETTINGS string	{
			if (singleton(SEEN_SETTINGS, "settings") == 0)
				(void)copy_path(ps.conf->settings_path, $2,
				    "settings");
			free($2);
		}
		| BLOCK string string	{
			block_table($2, $3);
			free($2);
			free($3);
		}
		| LIMIT string string	{
			if (strcmp($2, "loopback") != 0)
				conf_err("limit: expected \"loopback yes|no\" "
				    "or \"%s <n> per <duration>\"", $2);
			else if (strcmp($3, "yes") == 0)
				ps.conf->limit_loopback = 1;
			else if (strcmp($3, "no") == 0)
				ps.conf->limit_loopback = 0;
			else
				conf_err("limit loopback: yes or no");
			free($2);
			free($3);
		}
		| LIMIT string string string string	{
			limit_rule($2, $3, $4, $5);
			free($2);
			free($3);
			free($4);
			free($5);
		}
		;

/* Relay statements (immpd.conf(5) RELAY). */
relaymain	: ROUTE string TO string	{
			int	rv;

			rv = route_begin($2, $4);
			free($2);
			free($4);
			$2 = $4 = NULL;	/* see "listen" above */
			if (rv == -1)
				YYABORT;
		} routeopts
		| DOMAINSECRET string	{
			if (singleton(SEEN_DSECRET, "domain-secret") == 0)
				(void)copy_path(ps.conf->domain_secret, $2,
				    "domain-secret");
			free($2);
		}
		| TLS CA string		{
			if (singleton(SEEN_TLSCA, "tls ca") == 0)
				(void)copy_path(ps.conf->tls_ca, $3, "tls ca");
			free($3);
		}
		| TLS PINS string	{
			if (singleton(SEEN_PINS, "tls pins") == 0)
				(void)copy_path(ps.conf->pins_path, $3,
				    "tls pins");
			free($3);
		}
		| TLS PINPOLICY string	{
			if (singleton(SEEN_PINPOL, "tls pin-policy") == 0) {
				if (strcmp($3, "warn") == 0)
					ps.conf->pin_policy = CONF_PIN_WARN;
				else if (strcmp($3, "refuse") == 0)
					ps.conf->pin_policy = CONF_PIN_REFUSE;
				else
					conf_err("tls pin-policy must be warn "
					    "or refuse");
			}
			free($3);
		}
		| RELAY			{
			(void)singleton(SEEN_RELAY, "relay");
			ps.relay_seen = 0;
		} relayopts
		| QUEUE TTL string	{
			if (singleton(SEEN_EXPIRE, "expire") == 0)
				set_duration(&ps.conf->expire, $3, "queue ttl");
			free($3);
		}
		;

routeopts	: /* empty */
		| routeopts routeopt
		;

routeopt	: PORT string		{
			uint64_t	n;

			if (ps.route_seen & LSEEN_PORT)
				conf_err("port given twice");
			else if (parse_uint($2, 1, 65535, &n) == -1)
				conf_err("invalid port \"%s\" (1..65535)", $2);
			else
				ps.route->port = (uint16_t)n;
			ps.route_seen |= LSEEN_PORT;
			free($2);
		}
		| TLS VERIFY		{
			if (ps.route_seen & LSEEN_TLS)
				conf_err("tls verify given twice");
			ps.route->tls_verify = 1;
			ps.route_seen |= LSEEN_TLS;
		}
		;

relayopts	: relayopt
		| relayopts relayopt
		;

relayopt	: MAXCONN string	{
			relay_limit(&ps.conf->relay_max_conn, $2,
			    "max-connections", RSEEN_CONN);
			free($2);
		}
		| MAXMSGS string	{
			relay_limit(&ps.conf->relay_max_msgs, $2,
			    "max-messages", RSEEN_MSGS);
			free($2);
		}
		;

listenopts	: /* empty */
		| listenopts listenopt
		;

listenopt	: PORT string		{
			uint64_t	n;

			if (ps.listen_seen & LSEEN_PORT)
				conf_err("port given twice");
			else if (parse_uint($2, 1, 65535, &n) == -1)
				conf_err("invalid port \"%s\" (1..65535)", $2);
			else
				ps.listen->port = (uint16_t)n;
			ps.listen_seen |= LSEEN_PORT;
			free($2);
		}
		| TLS			{
			if (ps.listen_seen & LSEEN_TLS)
				conf_err("tls given twice");
			ps.listen->implicit_tls = 1;
			ps.listen_seen |= LSEEN_TLS;
		}
		| TLSCERT string	{
			if (ps.listen_seen & LSEEN_CERT)
				conf_err("tls-cert given twice");
			else
				(void)copy_path(ps.listen->cert, $2,
				    "tls-cert");
			ps.listen_seen |= LSEEN_CERT;
			free($2);
		}
		| TLSKEY string		{
			if (ps.listen_seen & LSEEN_KEY)
				conf_err("tls-key given twice");
			else
				(void)copy_path(ps.listen->key, $2, "tls-key");
			ps.listen_seen |= LSEEN_KEY;
			free($2);
		}
		;

maildiropts	: /* empty */
		| USER string		{
			(void)copy_name(ps.conf->maildir_user, $2,
			    "maildir user");
			free($2);
		}
		;

retryopts	: retryopt
		| retryopts retryopt
		;

retryopt	: FIRST string		{
			if (ps.retry_seen & RSEEN_FIRST)
				conf_err("retry first given twice");
			else
				set_duration(&ps.conf->retry_first, $2,
				    "retry first");
			ps.retry_seen |= RSEEN_FIRST;
			free($2);
		}
		| MAX string		{
			if (ps.retry_seen & RSEEN_MAX)
				conf_err("retry max given twice");
			else
				set_duration(&ps.conf->retry_max, $2,
				    "retry max");
			ps.retry_seen |= RSEEN_MAX;
			free($2);
		}
		;

%%

static const struct keyword {
	const char	*name;
	int		 token;
} keywords[] = {
	/* Sorted for bsearch(3). */
	{ "block",		BLOCK },
	{ "ca",			CA },
	{ "chroot",		CHROOT },
	{ "control-socket",	CONTROLSOCKET },
	{ "db:",		DB },
	{ "domain",		DOMAIN },
	{ "domain-secret",	DOMAINSECRET },
	{ "expire",		EXPIRE },
	{ "first",		FIRST },
	{ "key-rollover",	KEYROLLOVER },
	{ "keys",		KEYS },
	{ "limit",		LIMIT },
	{ "listen",		LISTEN },
	{ "mailboxes",		MAILBOXES },
	{ "maildir",		MAILDIR },
	{ "max",		MAX },
	{ "max-connections",	MAXCONN },
	{ "max-message-size",	MAXMSGSIZE },
	{ "max-messages",	MAXMSGS },
	{ "max-sessions",	MAXSESSIONS },
	{ "on",			ON },
	{ "pin-policy",		PINPOLICY },
	{ "pins",		PINS },
	{ "port",		PORT },
	{ "queue",		QUEUE },
	{ "queue-user",		QUEUEUSER },
	{ "relay",		RELAY },
	{ "retry",		RETRY },
	{ "route",		ROUTE },
	{ "settings",		SETTINGS },
	{ "table",		TABLE },
	{ "tls",		TLS },
	{ "tls-cert",		TLSCERT },
	{ "tls-key",		TLSKEY },
	{ "to",			TO },
	{ "ttl",		TTL },
	{ "user",		USER },
	{ "users",		USERS },
	{ "verify",		VERIFY },
};

static void
conf_err(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", ps.path, ps.lineno, msg);
	ps.errors++;
}

static void
yyerror(const char *msg)
{
	/* The lexer has already said what was wrong with its token. */
	if (ps.lex_failed) {
		ps.lex_failed = 0;
		return;
	}
	conf_err("%s", msg);
}

static int
kwcmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->name));
}

static int
is_bare(int c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("-_./:%{}@+,=~", c) != NULL));
}

/* Skips to the end of the line (the NL is read again) after an error. */
static int
lex_fail(const char *msg)
{
	int	c;

	conf_err("%s", msg);
	ps.lex_failed = 1;
	while ((c = getc(ps.fp)) != EOF && c != '\n')
		;
	if (c == '\n')
		(void)ungetc(c, ps.fp);
	return (ERROR);
}

static int
yylex(void)
{
	char			 buf[CONF_PATH_MAX];
	const struct keyword	*kw;
	size_t			 len = 0;
	int			 c;

	if (ps.pending_nl) {
		ps.lineno++;
		ps.pending_nl = 0;
	}

	while ((c = getc(ps.fp)) == ' ' || c == '\t')
		;
	if (c == '#')
		while ((c = getc(ps.fp)) != EOF && c != '\n')
			;
	if (c == EOF) {
		if (ferror(ps.fp))
			conf_err("read error");
		/* A last line without NL still ends its statement. */
		if (!ps.at_bol) {
			ps.at_bol = 1;
			return ('\n');
		}
		return (0);
	}
	if (c == '\n') {
		ps.pending_nl = 1;
		ps.at_bol = 1;
		ps.lex_failed = 0;
		return ('\n');
	}
	ps.at_bol = 0;

	if (c == '"') {
		for (;;) {
			c = getc(ps.fp);
			if (c == EOF || c == '\n') {
				if (c == '\n')
					(void)ungetc(c, ps.fp);
				return (lex_fail("unterminated quoted string"));
			}
			if (c == '"')
				break;
			if (c == '\\') {
				c = getc(ps.fp);
				if (c != '"' && c != '\\') {
					if (c == '\n')
						(void)ungetc(c, ps.fp);
					return (lex_fail("invalid escape in "
					    "quoted string"));
				}
			} else if ((c < 0x20 && c != '\t') || c == 0x7f)
				return (lex_fail("control character in "
				    "quoted string"));
			if (len == sizeof(buf) - 1)
				return (lex_fail("string too long"));
			buf[len++] = c;
		}
		buf[len] = '\0';
		if (!utf8_valid(buf, len))
			return (lex_fail("invalid UTF-8 in quoted string"));
		if ((yylval.string = strdup(buf)) == NULL)
			return (lex_fail("out of memory"));
		return (STRING);
	}

	if (!is_bare(c))
		return (lex_fail("unexpected character"));
	do {
		if (len == sizeof(buf) - 1)
			return (lex_fail("string too long"));
		buf[len++] = c;
	} while ((c = getc(ps.fp)) != EOF && is_bare(c));
	if (c != EOF)
		(void)ungetc(c, ps.fp);
	buf[len] = '\0';

	kw = bsearch(buf, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kwcmp);
	if (kw != NULL)
		return (kw->token);
	if ((yylval.string = strdup(buf)) == NULL)
		return (lex_fail("out of memory"));
	return (STRING);
}

/* 0 the first time a singleton statement is seen, else -1 (reported). */
static int
singleton(int bit, const char *name)
{
	if (ps.seen & bit) {
		conf_err("%s given twice", name);
		return (-1);
	}
	ps.seen |= bit;
	return (0);
}

/* Copies an absolute path into dst[CONF_PATH_MAX]; 0 or -1 (reported). */
static int
copy_path(char *dst, const char *s, const char *what)
{
	if (s[0] != '/') {
		conf_err("%s must be an absolute path", what);
		return (-1);
	}
	if (strlcpy(dst, s, CONF_PATH_MAX) >= CONF_PATH_MAX) {
		conf_err("%s path too long", what);
		return (-1);
	}
	return (0);
}

/*
 * Copies a user or table name into dst[CONF_NAME_MAX]: 1..63 of ALPHA
 * DIGIT "." "_" "-", not starting with "-" or ".".  0 or -1 (reported).
 */
static int
copy_name(char *dst, const char *s, const char *what)
{
	size_t	i;
	int	c;

	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (i == CONF_NAME_MAX - 1) {
			conf_err("%s \"%s\" too long", what, s);
			return (-1);
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (i > 0 && (c == '.' || c == '-')))) {
			conf_err("invalid %s \"%s\"", what, s);
			return (-1);
		}
	}
	if (i == 0) {
		conf_err("empty %s", what);
		return (-1);
	}
	memcpy(dst, s, i + 1);
	return (0);
}

/* Decimal digits only, min..max; 0 or -1. */
static int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (s[0] == '\0')
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		if (v > (max - (s[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	if (v < min)
		return (-1);
	*out = v;
	return (0);
}

static void
set_duration(uint32_t *dst, const char *s, const char *what)
{
	uint32_t	secs;

	if (parse_duration(s, &secs) == -1 || secs == 0)
		conf_err("invalid %s duration \"%s\"", what, s);
	else
		*dst = secs;
}

/* "block networks|domains|addresses <table>" (immpd-tables(5)). */
static void
block_table(const char *kind, const char *table)
{
	char	*dst;

	if (strcmp(kind, "networks") == 0)
		dst = ps.conf->block_networks;
	else if (strcmp(kind, "domains") == 0)
		dst = ps.conf->block_domains;
	else if (strcmp(kind, "addresses") == 0)
		dst = ps.conf->block_addresses;
	else {
		conf_err("block: unknown kind \"%s\" (networks, domains, "
		    "addresses)", kind);
		return;
	}
	if (dst[0] != '\0') {
		conf_err("block %s given twice", kind);
		return;
	}
	(void)copy_name(dst, table, "table name");
}

/* "limit connections|messages|domain-messages <n> per <duration>". */
static void
limit_rule(const char *kind, const char *n, const char *per,
    const char *dur)
{
	uint32_t	*max, *window, secs;
	uint64_t	 v;

	if (strcmp(kind, "connections") == 0) {
		max = &ps.conf->limit_conn;
		window = &ps.conf->limit_conn_per;
	} else if (strcmp(kind, "messages") == 0) {
		max = &ps.conf->limit_msgs;
		window = &ps.conf->limit_msgs_per;
	} else if (strcmp(kind, "domain-messages") == 0) {
		max = &ps.conf->limit_dom_msgs;
		window = &ps.conf->limit_dom_msgs_per;
	} else {
		conf_err("limit: unknown kind \"%s\" (connections, "
		    "messages, domain-messages)", kind);
		return;
	}
	if (strcmp(per, "per") != 0) {
		conf_err("limit %s: expected \"per\"", kind);
		return;
	}
	if (parse_uint(n, 0, 1000000, &v) == -1) {
		conf_err("limit %s: invalid count \"%s\" (0..1000000)", kind,
		    n);
		return;
	}
	if (parse_duration(dur, &secs) == -1 || secs == 0 || secs > 86400) {
		conf_err("limit %s: invalid duration \"%s\"", kind, dur);
		return;
	}
	*max = (uint32_t)v;
	*window = secs;
}

static void
add_domain(const char *s)
{
	struct conf_domain	*d;
	size_t			 i;

	if (!imid_domain_valid(s)) {
		conf_err("invalid domain \"%s\"", s);
		return;
	}
	if (conf_is_local(ps.conf, s)) {
		conf_err("domain %s given twice", s);
		return;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		conf_err("out of memory");
		return;
	}
	/* imid_domain_valid: at most 253 octets. */
	for (i = 0; s[i] != '\0'; i++)
		d->name[i] = (s[i] >= 'A' && s[i] <= 'Z') ?
		    s[i] - 'A' + 'a' : s[i];
	d->name[i] = '\0';
	TAILQ_INSERT_TAIL(&ps.conf->domains, d, entry);
}

/*
 * Starts a route: put on the list at once (conf_clear frees it); the
 * options fill it in.  -1 only if out of memory (reported).  The host
 * is a domain name or a numeric IPv4/IPv6 address.
 */
static int
route_begin(const char *domain, const char *host)
{
	struct conf_route	*r;
	struct in6_addr		 a6;
	struct in_addr		 a4;
	size_t			 i;

	ps.route_seen = 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		conf_err("out of memory");
		return (-1);
	}
	r->port = CONF_DEFAULT_PORT;
	ps.route = r;
	if (!imid_domain_valid(domain)) {
		conf_err("route: invalid domain \"%s\"", domain);
		TAILQ_INSERT_TAIL(&ps.conf->routes, r, entry);
		return (0);
	}
	if (conf_route(ps.conf, domain) != NULL)
		conf_err("route for %s given twice", domain);
	else if (conf_is_local(ps.conf, domain))
		conf_err("route for local domain %s", domain);
	for (i = 0; domain[i] != '\0'; i++)
		r->domain[i] = (domain[i] >= 'A' && domain[i] <= 'Z') ?
		    domain[i] - 'A' + 'a' : domain[i];
	r->domain[i] = '\0';
	TAILQ_INSERT_TAIL(&ps.conf->routes, r, entry);
	if (inet_pton(AF_INET, host, &a4) != 1 &&
	    inet_pton(AF_INET6, host, &a6) != 1 && !imid_domain_valid(host)) {
		conf_err("route: invalid host \"%s\"", host);
		return (0);
	}
	(void)strlcpy(r->host, host, sizeof(r->host));
	return (0);
}

static void
relay_limit(uint32_t *dst, const char *s, const char *what, int bit)
{
	uint64_t	n;

	if (ps.relay_seen & bit)
		conf_err("relay %s given twice", what);
	else if (parse_uint(s, 1, CONF_RELAY_MAX, &n) == -1)
		conf_err("invalid relay %s \"%s\" (1..%d)", what, s,
		    CONF_RELAY_MAX);
	else
		*dst = (uint32_t)n;
	ps.relay_seen |= bit;
}

static void
add_table(const char *name, const char *path)
{
	struct conf_table	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		conf_err("out of memory");
		return;
	}
	if (copy_name(t->name, name, "table name") == -1 ||
	    copy_path(t->path, path, "table") == -1) {
		free(t);
		return;
	}
	if (conf_table(ps.conf, t->name) != NULL) {
		conf_err("table %s given twice", t->name);
		free(t);
		return;
	}
	TAILQ_INSERT_TAIL(&ps.conf->tables, t, entry);
}

/*
 * Starts a listener.  It is put on the list at once so that conf_clear
 * frees it whatever follows; the options fill it in.  -1 only if out of
 * memory (reported).
 */
static int
listen_begin(const char *addr)
{
	struct conf_listen	*l;
	struct in6_addr		 a6;
	struct in_addr		 a4;

	ps.listen_seen = 0;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		conf_err("out of memory");
		return (-1);
	}
	l->port = CONF_DEFAULT_PORT;
	TAILQ_INSERT_TAIL(&ps.conf->listeners, l, entry);
	ps.listen = l;

	/* Stored in the canonical form of inet_ntop(3). */
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		if (inet_ntop(AF_INET, &a4, l->addr, sizeof(l->addr)) == NULL)
			conf_err("invalid listen address \"%s\"", addr);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (inet_ntop(AF_INET6, &a6, l->addr, sizeof(l->addr)) == NULL)
			conf_err("invalid listen address \"%s\"", addr);
	} else
		conf_err("listen address \"%s\" is not a numeric IPv4 or "
		    "IPv6 address", addr);
	return (0);
}

static void
listen_end(void)
{
	struct conf_listen	*l = ps.listen, *o;

	ps.listen = NULL;
	if (!(ps.listen_seen & LSEEN_CERT))
		conf_err("listen on %s: tls-cert missing", l->addr);
	if (!(ps.listen_seen & LSEEN_KEY))
		conf_err("listen on %s: tls-key missing", l->addr);
	if (l->addr[0] == '\0')
		return;
	TAILQ_FOREACH(o, &ps.conf->listeners, entry) {
		if (o == l)
			break;
		if (o->port == l->port && strcmp(o->addr, l->addr) == 0) {
			conf_err("listen on %s port %u given twice", l->addr,
			    (unsigned int)l->port);
			break;
		}
	}
}

static int	 conf_parse_fp(const char *, struct immpd_conf *);

int
conf_parse(const char *path, struct immpd_conf *conf)
{
	struct stat	st;

	conf_init(conf);
	memset(&ps, 0, sizeof(ps));
	if (strlcpy(conf->path, path, sizeof(conf->path)) >=
	    sizeof(conf->path)) {
		log_warnx("%s: path too long", path);
		return (-1);
	}
	if ((ps.fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return (-1);
	}
	if (fstat(fileno(ps.fp), &st) == -1) {
		log_warn("%s", path);
		(void)fclose(ps.fp);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file", path);
		(void)fclose(ps.fp);
		return (-1);
	}
	return (conf_parse_fp(path, conf));
}

/*
 * The octets of a regular file that is already open (a reload: the
 * parent passes a sealed memory file to the chrooted children).  Read
 * with pread, so the offset shared with other holders does not matter.
 */
int
conf_parse_fd(int fd, const char *path, struct immpd_conf *conf)
{
	struct stat	 st;
	char		*buf;
	size_t		 len;
	ssize_t		 n;
	int		 rv;

	conf_init(conf);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_FILE_MAX) {
		log_warnx("%s: not a regular file of at most %d octets",
		    path, CONF_FILE_MAX);
		return (-1);
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len + 1)) == NULL) {
		log_warn("%s", path);
		return (-1);
	}
	if ((n = pread(fd, buf, len, 0)) == -1 || (size_t)n != len) {
		log_warnx("%s: cannot read the file", path);
		free(buf);
		return (-1);
	}
	if (len == 0)
		buf[len++] = '\n';	/* fmemopen needs one octet */
	memset(&ps, 0, sizeof(ps));
	if ((ps.fp = fmemopen(buf, len, "r")) == NULL) {
		log_warn("%s", path);
		free(buf);
		return (-1);
	}
	if (strlcpy(conf->path, path, sizeof(conf->path)) >=
	    sizeof(conf->path)) {
		log_warnx("%s: path too long", path);
		(void)fclose(ps.fp);
		free(buf);
		return (-1);
	}
	rv = conf_parse_fp(path, conf);
	free(buf);
	return (rv);
}

/* Parses ps.fp (closed here) into conf, which conf_init prepared. */
static int
conf_parse_fp(const char *path, struct immpd_conf *conf)
{
	int	rv;

	ps.path = path;
	ps.conf = conf;
	ps.lineno = 1;
	ps.at_bol = 1;
	rv = yyparse();
	(void)fclose(ps.fp);
	ps.fp = NULL;
	if (rv != 0 && ps.errors == 0)
		conf_err("cannot parse");

	/* Checks on the file as a whole. */
	if (ps.users_line != 0 && conf_table(conf, conf->users_table) == NULL) {
		ps.lineno = ps.users_line;
		conf_err("users: no table named %s", conf->users_table);
	}
	if (ps.mailboxes_line != 0 &&
	    conf_table(conf, conf->mailboxes_table) == NULL) {
		ps.lineno = ps.mailboxes_line;
		conf_err("mailboxes: no table named %s",
		    conf->mailboxes_table);
	}
	if ((conf->block_networks[0] != '\0' &&
	    conf_table(conf, conf->block_networks) == NULL) ||
	    (conf->block_domains[0] != '\0' &&
	    conf_table(conf, conf->block_domains) == NULL) ||
	    (conf->block_addresses[0] != '\0' &&
	    conf_table(conf, conf->block_addresses) == NULL)) {
		log_warnx("%s: block: no table of that name", path);
		ps.errors++;
	}
	if (conf->retry_first > conf->retry_max) {
		ps.lineno = ps.retry_line;
		conf_err("retry first is longer than retry max");
	}
	if (TAILQ_EMPTY(&conf->domains)) {
		log_warnx("%s: no domain configured", path);
		ps.errors++;
	}
	if (TAILQ_EMPTY(&conf->listeners)) {
		log_warnx("%s: no listen statement", path);
		ps.errors++;
	}

	ps.conf = NULL;
	if (ps.errors > 0) {
		conf_clear(conf);
		return (-1);
	}
	return (0);
}
