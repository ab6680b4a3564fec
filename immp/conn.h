/*
 * immp(1) connection: TCP connect, greeting, UPGRADE TLS (immp(7)
 * GREETING, UPGRADE), line I/O and reply reading.
 */
#ifndef IMMP_CONN_H
#define IMMP_CONN_H

#include <stddef.h>

#include "cmd.h"
#include "reply.h"

/* Exit statuses of immp(1). */
#define EXIT_PERM	1	/* usage, 4xx, verification failure */
#define EXIT_TEMP	2	/* 7xx, network trouble: try again later */

#define CONN_TIMEOUT	120	/* seconds per read or write */

struct tls;
struct tls_config;

struct conn {
	int		 fd;
	struct tls	*tls;
	struct tls_config *cfg;
	int		 verbose;
	char		 peer[300];	/* "host:port" for messages */
	char		 buf[REPLY_MAXLINE * 2];
	size_t		 off;		/* first unread octet in buf */
	size_t		 len;		/* octets in buf */
};

struct reply {
	char		 id[CMD_MAXID + 1];	/* "" if none */
	int		 code;
	int		 more;		/* 1 for a "-" continuation line */
	char		 text[REPLY_MAXLINE];
	char		 line[REPLY_MAXLINE];	/* the whole line, no CRLF */
};

/*
 * conn_connect: resolves host and port (numeric or service name) and
 * connects to the first address that answers; c is initialised here.
 * verbose != 0 shows the dialogue on stderr.  Returns 0, or EXIT_TEMP
 * after printing the reason.
 */
int	 conn_connect(struct conn *c, const char *host, const char *port,
	    int verbose);

/*
 * conn_greeting: reads the greeting up to its final 101 line.  Returns
 * 0, EXIT_TEMP (network, 7xx such as 721) or EXIT_PERM (not an IMMP
 * server), after printing the reason.
 */
int	 conn_greeting(struct conn *c);

/*
 * conn_upgrade: sends UPGRADE TLS, expects 204 and runs the TLS
 * handshake (TLS 1.2 or 1.3) checking the certificate for servername
 * against cafile (NULL: the system store) unless insecure is set.
 * Data the server sent after 204 and before the handshake is refused
 * (command injection).  Returns 0, EXIT_PERM (refused, bad certificate)
 * or EXIT_TEMP.
 */
int	 conn_upgrade(struct conn *c, const char *servername,
	    const char *cafile, int insecure);

/*
 * conn_cert_hash: after conn_upgrade, the SHA-256 of the server
 * certificate's DER (RFC 5929 tls-server-end-point) into out[32].
 * Returns 0 or -1.
 */
int	 conn_cert_hash(struct conn *c, unsigned char out[32]);

/*
 * conn_write: writes buf[0..len) completely.  Returns 0 or EXIT_TEMP
 * (printed).
 */
int	 conn_write(struct conn *c, const void *buf, size_t len);

/*
 * conn_cmd: sends one command line (CRLF added).  shown, if not NULL,
 * is what -v prints instead of the line (to hide secrets).  Returns 0
 * or EXIT_TEMP.
 */
int	 conn_cmd(struct conn *c, const char *shown, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * conn_reply: reads one reply line into *r.  Returns 0, or EXIT_TEMP
 * for a closed connection or timeout, or EXIT_PERM for a line that is
 * not a reply (both printed).
 */
int	 conn_reply(struct conn *c, struct reply *r);

/*
 * conn_expect: reads reply lines until the last line of a reply with
 * the empty pipeline id (1xx information lines are skipped unless want
 * is 1xx); returns 0 if its code is want, else prints
 * "what: server replied: <line>" and returns EXIT_TEMP for 7xx or
 * EXIT_PERM otherwise.  The final line is left in *r.
 */
int	 conn_expect(struct conn *c, struct reply *r, int want,
	    const char *what);

/* conn_status: EXIT_TEMP for a 7xx code, else EXIT_PERM. */
int	 conn_status(int code);

/* conn_close: closes the TLS session and the socket; frees everything. */
void	 conn_close(struct conn *c);

#endif
