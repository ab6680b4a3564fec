/*
 * MIME composer (RFC 5322, RFC 2045-2049): turns a spool file (spool.h)
 * into the message stored in the Maildir.
 *
 * - A spool with exactly one part of type message/rfc822 is stored as
 *   is, after the trace headers.
 * - Otherwise: a part of type text/rfc822-headers (the metadata part)
 *   supplies Subject, In-Reply-To, References, Reply-To and Cc; +CONTENT
 *   parts form the body (one: as is; several: multipart/alternative);
 *   the other parts are attachments (Content-Disposition: attachment;
 *   filename*= per RFC 2231 when not plain ASCII).  With attachments the
 *   whole is multipart/mixed.
 * - text/... parts that are valid UTF-8, with LF line ends, no NUL and
 *   lines <= 998 octets are written 8bit; everything else base64
 *   (sodium_bin2base64, 76 columns).  Decoding a part gives back the
 *   exact octets the client sent.
 * - Headers written: Return-Path, Received, IMMP-UUID, Message-ID
 *   (<uuid@domain>), Date (accept time), From (sender), To, Subject,
 *   MIME-Version, Content-Type, and the importance header for
 *   +IMPORTANT/-IMPORTANT.  Line ends are LF (Maildir convention).
 */
#ifndef IMMP_MIME_H
#define IMMP_MIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * The record of a verified envelope (immpd envelope_in.c): a spool part
 * of this type, just before the trace part, holding one line
 * "origin=<domain>; signature=valid; key=<fp>; hops=<n>;
 * timestamp=<t>" LF of printable ASCII (at most MIME_RECORD_MAX octets).
 * The composer writes it as the header "IMMP-Envelope: <line>", never
 * as a part, and "IMMP-Envelope: none" on every other message, before
 * any header of the sender's (only the first header of that name is
 * the server's).  Draft 5.1; immp(7) ENVELOPES.
 */
#define MIME_RECORD_TYPE	"application/x-immp-envelope-record"
#define MIME_RECORD_MAX		512

struct mime_envelope {
	const char	*uuid;
	const char	*sender;	/* authenticated account */
	const char	*rcpts;		/* To: value, comma separated */
	const char	*host;		/* our host/domain for Received */
	time_t		 accepted;
	uint32_t	 flags;		/* MSGF_* from ipc.h */
};

/*
 * mime_compose: reads the spool file on spoolfd (not owned; positioned
 * freely with pread) and writes the message to out.  Returns 0, or -1
 * with errno (EBADMSG malformed spool or metadata part, EIO write).
 */
int	 mime_compose(int spoolfd, const struct mime_envelope *env, FILE *out);

/*
 * mime_header_safe: 1 if s may be a header value (no CR, LF, NUL, valid
 * UTF-8, at most 998 octets), else 0.  Other C0 controls than HTAB,
 * and DEL, are refused as well.
 */
int	 mime_header_safe(const char *s);

/*
 * mime_meta_check: validates the metadata part (text/rfc822-headers,
 * immp(7) DATA) in buf[0..len) exactly as mime_compose reads it: at
 * most MIME_META_MAX octets; lines "Name: value" each ended by LF or
 * CRLF; Name one of Subject, In-Reply-To, References, Reply-To, Cc
 * (any case), each at most once; no folding, no empty lines; values
 * pass mime_header_safe and a line is at most 998 octets.  Returns 0,
 * or -1 with errno EBADMSG and *errstr (if non-NULL) set to a short
 * static reason for the 434 reply.
 */
#define MIME_META_MAX	8192
int	 mime_meta_check(const void *buf, size_t len, const char **errstr);

#endif
