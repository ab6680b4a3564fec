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
 * Envelopes on the wire between two immpd hosts (draft 5.1, 5.3, 8.3;
 * immp(7) ENVELOPES, RELAY, DELIVER).
 *
 * Sending (envelope_out.c, for outbound.c): a message for a domain whose
 * keys are pinned goes as "DELIVER TO <domain>", then a first DATA part
 * of type ENVELOPE_TYPE holding the outer envelope that immp-lookup
 * signed and sealed (IMSG_ENV_MAKE), then the parts of the message.
 *
 * Receiving (envelope_in.c, for message.c): in the Remote state
 * "DELIVER TO <one of our domains>" opens a message whose recipients
 * are in the envelope part.  The part is kept in memory like the trace;
 * the other parts are hashed as they stream (env_digest).  At DONE the
 * queue gives the origin's pinned keys (IMSG_ENV_PIN_GET), immp-lookup
 * checks the envelope and opens the inner one (IMSG_ENV_CHECK), and the
 * recipients it names are checked as those of DELIVER TO are; the
 * verified envelope is recorded as a part of type ENVELOPE_RECORD_TYPE,
 * which the composer turns into the "IMMP-Envelope:" header.  Any
 * failure: 437 with the reason, nothing delivered, and the log line
 * "event=envelope-refused reason=<word>".
 */
#ifndef IMMP_ENVELOPE_WIRE_H
#define IMMP_ENVELOPE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "mime.h"

#define ENVELOPE_TYPE		"application/x-immp-envelope"
#define ENVELOPE_RECORD_TYPE	MIME_RECORD_TYPE	/* mime.h */

/* The envelope state of a message received with DELIVER TO <domain>. */
struct envin {
	char		 domain[ENV_DOMAIN_MAX];	/* ours, lower case */
	char		*text;		/* the envelope part, ENV_MAX + 1 */
	size_t		 len;
	int		 have;		/* the part was received */
	int		 over;		/* it was too long */
	int		 cur;		/* the current part is the envelope */
	struct env_digest dg;		/* of the content parts */
	uint8_t		 digest[ENV_DIGEST];
	int		 bad;		/* a part did not fit the digest */
	int		 verified;	/* checked, recipients from it */
	uint8_t		 fp[ENV_FP];	/* the origin key that signed */
	int64_t		 timestamp;
	uint32_t	 nvia;
};

struct spool_part;
struct session;
struct imsg;
struct ipc_env_make;
struct ipc_env_checked;
struct ipc_keypin_result;
struct ipc_key_result;

/*
 * envout_digest: the content digest (immp(7) ENVELOPES, content-sha256)
 * of the message in the spool file fd (not owned) whose parts are
 * parts[0..nparts) (spool_read_index), the trace part left out, into
 * digest.  Returns 0, or -1 if the file cannot be read or a part does
 * not fit a DATA line (errno set).
 */
int	 envout_digest(int fd, const struct spool_part *parts, int nparts,
	    uint8_t digest[ENV_DIGEST]);

/*
 * envout_add_rcpt: appends the recipient text rcpt (as on a DELIVER
 * line) to *req; returns 0, or -1 if it does not fit (more than
 * IPC_ENV_RCPTS recipients or too long): the message then goes without
 * an envelope.
 */
int	 envout_add_rcpt(struct ipc_env_make *req, const char *rcpt);

/*
 * envout_read: the envelope text of an IMSG_ENV_MADE descriptor fd (not
 * closed here), at most ENV_MAX octets, NUL-terminated, in a buffer the
 * caller frees; *len its length.  NULL if it cannot be read or is too
 * long (errno set).
 */
char	*envout_read(int fd, size_t *len);

/*
 * envin_deliver: "DELIVER TO <domain>" in the Remote state (domain is
 * the third word).  Refuses (422) a domain that is not ours, else opens
 * a message without recipients as DELIVER does (a spool file).
 */
void	 envin_deliver(struct session *s, const char *domain);

/*
 * envin_data: a DATA part of type ENVELOPE_TYPE is starting.  Returns
 * 0 if it may (an envelope message, nothing sent before it; the part is
 * then kept in memory), else -1 after a 434 reply.
 */
int	 envin_data(struct session *s);

/*
 * envin_store: decoded octets of the current part; those of the
 * envelope part are kept (too many: the part is refused at its end),
 * those of the content parts hashed.  Returns 1 if the octets were the
 * envelope's (nothing else to do with them), else 0.
 */
int	 envin_store(struct session *s, const void *buf, size_t len);

/*
 * envin_envelope_end: the envelope part ended (already taken out of the
 * spool file): kept, 272; or 434 if it was too long or empty.
 */
void	 envin_envelope_end(struct session *s);

/*
 * envin_part_done: a content part ended well and is being saved: its
 * line of the digest (immp(7) ENVELOPES, content-sha256); the trace
 * part is left out.
 */
void	 envin_part_done(struct session *s);

/*
 * envin_done: DONE of an envelope message: starts the checks (queue,
 * then lookup, then the recipients); msg_commit follows when all pass.
 */
void	 envin_done(struct session *s);

/*
 * envin_require: DONE of a DELIVER TO <imid>... message in the Remote
 * state (not a push).  An origin whose keys the queue has pinned sends
 * envelopes to a domain of ours that publishes keys (immp(7) ENVELOPES):
 * asks the queue for the pin (WAIT_ENV), then immp-lookup for the keys of
 * the recipients' domain (WAIT_KEY, envin_keys); with both the message
 * is refused with 437 "envelope-required", else msg_commit follows.
 */
void	 envin_require(struct session *s);

/*
 * envin_pin: IMSG_ENV_PIN for the session waiting for it (WAIT_ENV), of
 * an envelope message (envin_done) or of another (envin_require).
 */
void	 envin_pin(struct session *s, const struct ipc_keypin_result *kr);

/*
 * envin_keys: IMSG_LKA_KEY_RESULT of envin_require's question (kr, for
 * the session in WAIT_KEY with a message being checked): keys published
 * (IPC_OK) refuse it, none (IPC_FAIL) commit it, else 720.
 */
void	 envin_keys(struct session *s, const struct ipc_key_result *kr);

/* envin_checked: IMSG_ENV_CHECKED for the session (WAIT_ENV). */
void	 envin_checked(struct session *s, const struct ipc_env_checked *ec);

/*
 * envin_refuse: refuses the envelope message with 437 and reason (a
 * fixed word), logs "event=envelope-refused reason=<reason>", drops it.
 */
void	 envin_refuse(struct session *s, const char *reason);

/*
 * envin_record: writes the ENVELOPE_RECORD_TYPE part of the verified
 * envelope into the spool file.  0, or -1 (errno set).
 */
int	 envin_record(struct session *s);

/* envin_free: frees the envelope state of a message (NULL is fine). */
void	 envin_free(struct envin *e);

#endif
