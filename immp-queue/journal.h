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
 * The commit journal (DESIGN §4 step 3, immpd(8) QUEUE): the commit
 * point of a received message.  A group commit appends one record per
 * message (its envelope and, up to JRNL_BODY_MAX octets, its spool
 * file) to the current segment and flushes the segment once with
 * fdatasync(2); only then do the clients hear 273.  The files in
 * queue/ are written without synchronisation: after a crash they are
 * checked against the journal and rebuilt from it.
 *
 * journal/<seq>, seq 16 lower-case hex digits, increasing, is a
 * segment: the line "IMMP-JOURNAL 1\n", then records, each
 *
 *   len	4 octets, big-endian: octets of type and payload,
 *		JRNL_PAYLOAD_MIN..JRNL_REC_MAX
 *   sum	32 octets: BLAKE2b-256 (crypto_generichash) of len, type
 *		and payload
 *   type	1 octet
 *   payload
 *
 * type 'C', a committed message:
 *   uuid	36 octets, lower-case 8-4-4-4-12
 *   envlen	4 octets, big-endian, 1..ENV_FILE_MAX
 *   env	envlen octets: the envelope file (store.h), whose uuid is
 *		the record's and which has a digest
 *   body	1 octet 0: the spool file is not in the record (it was
 *		larger than JRNL_BODY_MAX and fsynced in queue/ before
 *		the record was written); 1: the spool file follows
 *   spool	with body 1: exactly the envelope's size octets, whose
 *		BLAKE2b-256 is the envelope's digest; nothing else
 * type 'D', a message that is finished (its files are gone):
 *   uuid	36 octets
 *
 * Nothing else is accepted: unknown types, trailing octets and short
 * fields are invalid records.  'D' records are written without a flush
 * of their own; losing one only means a message is offered to deliver
 * again, which is idempotent (maildir.h).
 *
 * Recovery (jrnl_recover): segments are read in order; a record that
 * is cut off or fails its checksum at the end of the newest segment is
 * a write that never completed (its batch was never answered) and is
 * ignored; a bad record followed by good ones, anything bad in an older
 * segment, a duplicate 'C' for a uuid, or a record that passes the
 * checksum but not the format, is copied to corrupt/ and logged, and
 * recovery goes on.
 */
#ifndef IMMP_QUEUE_JOURNAL_H
#define IMMP_QUEUE_JOURNAL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "store.h"

#define JRNL_MAGIC		"IMMP-JOURNAL 1\n"
#define JRNL_MAGIC_LEN		(sizeof(JRNL_MAGIC) - 1)
#define JRNL_HDR		36	/* len + sum */
#define JRNL_UUID_LEN		(IPC_UUID_MAX - 1)
#define JRNL_PAYLOAD_MIN	(1 + JRNL_UUID_LEN)
#define JRNL_BODY_MAX		(256 * 1024)
#define JRNL_REC_MAX		(1 + JRNL_UUID_LEN + 4 + ENV_FILE_MAX + 1 + \
				    JRNL_BODY_MAX)
#define JRNL_SEG_MAX		(4 * 1024 * 1024)
#define JRNL_NAME_LEN		16

/* A decoded record; pointers into the buffer it was decoded from. */
struct jrnl_rec {
	int		 type;		/* 'C' or 'D' */
	char		 uuid[IPC_UUID_MAX];
	const char	*env;		/* 'C': envelope text */
	size_t		 envlen;
	struct envelope	 envp;		/* 'C': env parsed (free: env_free) */
	int		 hasbody;
	const uint8_t	*body;		/* hasbody: envp.size octets */
};

/* A growing output buffer. */
struct jbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

/*
 * jbuf_free: frees b->p and empties b.
 * jrnl_put_commit: appends a 'C' record to b for env (which must have a
 * digest) whose envelope text is envtext[0..envlen); body is the spool
 * file (env->size octets) or NULL to leave it out.  jrnl_put_done:
 * appends a 'D' record for uuid.  Both return 0, or -1 with errno
 * (EINVAL: a field out of range, ENOMEM).
 */
void	 jbuf_free(struct jbuf *b);
int	 jrnl_put_commit(struct jbuf *b, const struct envelope *env,
	    const char *envtext, size_t envlen, const void *body);
int	 jrnl_put_done(struct jbuf *b, const char *uuid);

/* Results of jrnl_decode. */
#define JR_OK		0	/* a valid record */
#define JR_SHORT	1	/* cut off: more octets needed than avail */
#define JR_BAD		2	/* length out of range or checksum wrong */
#define JR_INVALID	3	/* checksum right, contents not the format */

/*
 * jrnl_decode: decodes the record at buf[0..avail).  Returns JR_OK
 * (with *rec filled in; the caller calls env_free(&rec->envp) for 'C')
 * or JR_INVALID (*errstr says why), both with *used the record's size;
 * or JR_SHORT or JR_BAD (*errstr set, *used undefined).
 */
int	 jrnl_decode(const uint8_t *buf, size_t avail, struct jrnl_rec *rec,
	    size_t *used, const char **errstr);

/* What jrnl_scan found, in file order. */
struct jrnl_scan_cb {
	/* A valid record at offset off; rec valid during the call only. */
	void	(*record)(const struct jrnl_rec *rec, size_t off, void *arg);
	/* off..off+len cannot be used (why: a short reason). */
	void	(*corrupt)(size_t off, size_t len, const char *why,
		    void *arg);
	/* off..off+len, from the first unusable octet to the end. */
	void	(*tail)(size_t off, size_t len, void *arg);
};

/*
 * jrnl_scan: walks the segment image buf[0..len) (magic included; a
 * wrong magic is reported as one corrupt span of the whole image).  A
 * JR_INVALID record is reported as corrupt and skipped; at a JR_SHORT
 * or JR_BAD position the scan looks for the next offset where a record
 * passes its checksum: if there is one, the octets up to it are
 * corrupt, otherwise they are the tail.
 */
void	 jrnl_scan(const uint8_t *buf, size_t len,
	    const struct jrnl_scan_cb *cb, void *arg);

/*
 * jrnl_seg_name: "<16 hex digits>" of seq into buf (size >= 17).
 * jrnl_seg_parse: the seq of a segment file name; 0 or -1.
 */
void	 jrnl_seg_name(uint64_t seq, char *buf, size_t size);
int	 jrnl_seg_parse(const char *name, uint64_t *seq);

/*
 * jrnl_seg_create: creates journal/<seq> (O_EXCL), writes the magic,
 * fsyncs it and the journal directory.  Returns the descriptor (write
 * only, append) or -1 with errno.
 */
int	 jrnl_seg_create(struct store *st, uint64_t seq);

/*
 * jrnl_recover: start-up, before the queue/ scan of store_recover.
 * Reads every segment; for each message with a 'C' record and no 'D',
 * makes queue/<uuid>.env and queue/<uuid>.msg whole (rewriting either
 * from the record when missing, unreadable or different; a spool file
 * left out of the record must already be right) and durable; then
 * removes the segments.  Everything unusable goes to corrupt/ (logged).
 * Sets *nextseq to a segment number above every one seen.  Returns the
 * number of messages restored or checked, or -1 if the journal
 * directory cannot be read or a file cannot be made durable (the
 * segments are then kept).
 */
int	 jrnl_recover(struct store *st, uint64_t *nextseq);

#endif
