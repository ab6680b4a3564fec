/* Small helpers shared by several programs. */
#ifndef IMMP_UTIL_H
#define IMMP_UTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* uuid_generate_v4: random (libsodium) RFC 9562 v4 UUID, lower case,
 * 36 characters + NUL into out[37]. */
void	 uuid_generate_v4(char out[37]);
/* uuid_valid: 1 if s is exactly a lower-case 8-4-4-4-12 hex UUID. */
int	 uuid_valid(const char *s);

/*
 * b64_encode: sodium base64 (ORIGINAL variant, padded) of in[0..len)
 * into out (size outsz incl. NUL).  Returns length or -1 (out too
 * small).
 * b64_decode: strict decode of NUL-terminated s into out (size outsz):
 * only A-Z a-z 0-9 + / and correct '=' padding, no white space, unused
 * bits zero.  Returns decoded length or -1 (invalid, too long).
 * Anyone calling sodium_base642bin directly must check the alphabet
 * first: libsodium 1.0.18 decodes octets 0x80-0xff as '/'.
 */
int	 b64_encode(const void *in, size_t len, char *out, size_t outsz);
int	 b64_decode(const char *s, void *out, size_t outsz);

/*
 * parse_duration: "<n>[smhd]" (no suffix = seconds) into *secs; 0 or -1.
 * parse_size: "<n>[KMG]" (powers of 1024, upper case only) into *bytes;
 * 0 or -1.  Both: decimal digits only, no sign, no white space, -1 on
 * overflow; *out is untouched on -1.
 */
int	 parse_duration(const char *s, uint32_t *secs);
int	 parse_size(const char *s, uint64_t *bytes);

/*
 * write_full: writes all of buf[0..len) to fd, retrying on EINTR and
 * short writes.  Returns 0, or -1 with errno set.
 */
int	 write_full(int fd, const void *buf, size_t len);

/*
 * memfd_sealed: a memory file (memfd_create(2), name for /proc only,
 * close-on-exec) holding data[0..len) at offset 0, sealed against any
 * change (F_SEAL_WRITE, SHRINK, GROW, SEAL), so the process it is passed
 * to may trust its contents and size.  Returns the descriptor (owned by
 * the caller), or -1 with errno set.  Linux only.
 */
int	 memfd_sealed(const char *name, const void *data, size_t len);

/*
 * pread_full: reads exactly len octets at offset off of fd into buf,
 * retrying on EINTR and short reads.  Returns 0, or -1 with errno set;
 * EBADMSG if the file ends before len octets.
 */
int	 pread_full(int fd, off_t off, void *buf, size_t len);

/* fsync_dir: opens path as a directory and fsyncs it; 0 or -1. */
int	 fsync_dir(const char *path);

/* mkdirs: mkdir -p with mode for each created level; 0 or -1. */
int	 mkdirs(const char *path, unsigned int mode);

#endif
