/*
 * The spool file: the parts of one message as the network process
 * received them (DATA blocks, base64 already decoded), written into the
 * descriptor the queue handed over, and read back by the delivery side.
 *
 * Format (strict, length-prefixed; DESIGN §3):
 *   "IMMP-SPOOL 1\n"
 *   per part:  "P " <20-digit decimal length> " " <'0'|'1' content>
 *              " " <type> " " <name length, decimal> " " <name> "\n"
 *              <length octets> "\n"
 *   end:       "E\n"   (written at DONE; a file without it is incomplete)
 * type matches the MIME type grammar (RFC 2045 token "/" token, at most
 * 127 octets); name is UTF-8 without CR, LF, NUL, at most 255 octets,
 * possibly empty.  The length field is fixed-width so that a part of
 * unknown length (+BASE64 without LENGTH) can be patched in at its end.
 */
#ifndef IMMP_SPOOL_H
#define IMMP_SPOOL_H

#include <stdint.h>
#include <sys/types.h>

#define SPOOL_MAGIC		"IMMP-SPOOL 1\n"
#define SPOOL_TYPE_MAX		128	/* incl. NUL */
#define SPOOL_NAME_MAX		256	/* incl. NUL */
#define SPOOL_MAX_PARTS		256

struct spool_part {
	char		type[SPOOL_TYPE_MAX];
	char		name[SPOOL_NAME_MAX];
	int		content;	/* +CONTENT */
	uint64_t	length;		/* octets of decoded data */
	off_t		offset;		/* file offset of the first data octet */
};

/* Writer (network process).  All return 0, or -1 with errno set. */
struct spool_writer {
	int		fd;
	off_t		off;		/* current end of file */
	off_t		len_off;	/* offset of the open part's length field */
	uint64_t	part_len;	/* octets written to the open part */
	int		in_part;
	int		nparts;
};
/* spool_w_init: writes the magic at offset 0 of fd (not owned). */
int	 spool_w_init(struct spool_writer *, int fd);
/* spool_w_begin: opens a part; type/name checked as above (EINVAL). */
int	 spool_w_begin(struct spool_writer *, const char *type,
	    const char *name, int content);
/* spool_w_data: appends len octets to the open part. */
int	 spool_w_data(struct spool_writer *, const void *buf, size_t len);
/* spool_w_end: closes the open part, patching its length. */
int	 spool_w_end(struct spool_writer *);
/* spool_w_finish: writes the end marker (no part may be open). */
int	 spool_w_finish(struct spool_writer *);

/*
 * spool_read_index: parses the spool file on fd (not owned) and fills
 * parts[0..*nparts) (at most maxparts).  Rejects anything that does not
 * match the format exactly, including a missing end marker or trailing
 * octets.  Returns 0, or -1 (errno EBADMSG for a malformed file).
 */
int	 spool_read_index(int fd, struct spool_part *parts, int maxparts,
	    int *nparts);

/*
 * spool_type_valid: 1 if the NUL-terminated s is a MIME type as the
 * format requires (RFC 2045 token "/" token, 1..127 octets), else 0.
 * spool_name_valid: 1 if s is a part name (valid UTF-8, no CR, LF or
 * other C0 control or DEL, at most 255 octets, may be empty), else 0.
 * spool_utf8_valid: 1 if buf[0..len) is well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), else 0.
 */
int	 spool_type_valid(const char *s);
int	 spool_name_valid(const char *s);
int	 spool_utf8_valid(const void *buf, size_t len);

#endif
