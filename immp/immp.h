/*
 * immp(1): the user's command-line client.  Shared declarations of
 * immp.c (options), auth.c (AUTH SECRET) and send.c (DELIVER/DATA).
 */
#ifndef IMMP_IMMP_H
#define IMMP_IMMP_H

#include <stddef.h>

#include "conn.h"

#define IMMP_MAXRCPT	100	/* immp(7) DELIVER */
#define IMMP_MAXPARTS	256	/* immp(7) DATA */
#define IMMP_MAXFILE	(1024UL * 1024 * 1024)	/* refuse larger inputs */

/* One DATA block (immp(7) DATA). */
struct part {
	char		*name;		/* sent as NAME, owned */
	const char	*type;		/* MIME type, static or argv */
	int		 content;	/* +CONTENT: part of the body */
	char		*data;		/* octets, owned */
	size_t		 len;
};

/*
 * auth_secret: runs AUTH SECRET for account (immp(7) AUTH SECRET,
 * DESIGN §5) on an upgraded connection: derives SaltedPassword from
 * password[0..pwlen) with the server's salt and Argon2id parameters,
 * binds to the server certificate, sends the ClientProof and checks the
 * ServerSignature of the 210 reply in constant time.  The password is
 * not changed; every derived key is wiped.  Returns 0, EXIT_PERM
 * (refused, bad signature) or EXIT_TEMP (throttled, network).
 */
int	 auth_secret(struct conn *c, const char *account, const char *device,
	    const char *password, size_t pwlen);

/*
 * send_message: DELIVER TO rcpt[0..nrcpt), the parts as pipelined DATA
 * blocks ("AS p<N>"), then DONE.  On 273 the message UUID is written to
 * uuid (size uuidsz).  Returns 0, EXIT_PERM or EXIT_TEMP, after printing
 * the server's reply for a refusal.
 */
int	 send_message(struct conn *c, char *const *rcpt, int nrcpt,
	    const struct part *parts, int nparts, char *uuid, size_t uuidsz);

/*
 * send_quote_word: writes w into out (size outsz) as an immp(7) command
 * word: as is when it is printable ASCII without SP, ';', '"' and '\\'
 * and does not start with '+' or '-' (a switch), else quoted.  Returns 0,
 * or -1 if w holds a control character or does not fit.
 */
int	 send_quote_word(const char *w, char *out, size_t outsz);

/* send_guess_type: the MIME type for a file name, by its extension. */
const char	*send_guess_type(const char *name);

#endif
