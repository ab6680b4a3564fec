/*
 * Small helpers shared by several programs (util.h): UUIDs, base64 via
 * libsodium, strict number parsing for the configuration, directory
 * fsync and mkdir -p.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "util.h"

void
uuid_generate_v4(char out[37])
{
	unsigned char	 b[16];

	/* Idempotent; makes sure the RNG is usable (RFC 9562 §5.4). */
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10xx */
	(void)snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	sodium_memzero(b, sizeof(b));
}

int
uuid_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;	/* also stops at an early NUL */
	}
	return s[36] == '\0';
}

int
b64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	size_t	 need;

	/* Keeps the encoded length (4/3 of len, plus NUL) within int. */
	if ((in == NULL && len > 0) || out == NULL ||
	    len > (size_t)INT_MAX / 4 * 3 - 3)
		return -1;
	need = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);
	if (outsz < need)
		return -1;
	(void)sodium_bin2base64(out, outsz, in, len,
	    sodium_base64_VARIANT_ORIGINAL);
	return (int)(need - 1);
}

/*
 * b64_alphabet: 1 if s holds only characters of the ORIGINAL base64
 * alphabet and '='.  libsodium 1.0.18 reads the input as (signed) char
 * and decodes every octet 0x80-0xff as if it were '/', so the alphabet
 * is checked here before sodium sees the string.
 */
static int
b64_alphabet(const char *s)
{
	unsigned char	 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return 0;
	}
	return 1;
}

int
b64_decode(const char *s, void *out, size_t outsz)
{
	size_t	 binlen;

	if (s == NULL || out == NULL || !b64_alphabet(s))
		return -1;
	/*
	 * No characters ignored and b64_end NULL: any character outside
	 * the alphabet, missing or misplaced padding, non-zero unused bits
	 * or output longer than outsz make the call fail.
	 */
	if (sodium_base642bin(out, outsz, s, strlen(s), NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (binlen > INT_MAX)
		return -1;
	return (int)binlen;
}

/*
 * parse_digits: s must start with one or more decimal digits; the value
 * (at most max) goes to *val and *end points after the digits.  No
 * sign, no white space.  0, or -1 if no digits or the value exceeds max.
 */
static int
parse_digits(const char *s, uint64_t max, uint64_t *val, const char **end)
{
	uint64_t	 v = 0;
	unsigned int	 d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned int)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*val = v;
	*end = s;
	return 0;
}

int
parse_duration(const char *s, uint32_t *secs)
{
	const char	*end;
	uint64_t	 v, mult;

	if (s == NULL || parse_digits(s, UINT32_MAX, &v, &end) == -1)
		return -1;
	switch (*end) {
	case '\0':
		mult = 1;
		break;
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 60 * 60;
		break;
	case 'd':
		mult = 24 * 60 * 60;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > UINT32_MAX / mult)
		return -1;
	*secs = (uint32_t)(v * mult);
	return 0;
}

int
parse_size(const char *s, uint64_t *bytes)
{
	const char	*end;
	uint64_t	 v, mult;

	if (s == NULL || parse_digits(s, UINT64_MAX, &v, &end) == -1)
		return -1;
	switch (*end) {
	case '\0':
		mult = 1;
		break;
	case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*bytes = v * mult;
	return 0;
}

int
fsync_dir(const char *path)
{
	int	 fd, saved_errno;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1) {
		saved_errno = errno;
		(void)close(fd);
		errno = saved_errno;
		return -1;
	}
	return close(fd);
}

/* Creates one level; an existing directory (or link to one) is fine. */
static int
mkdir_one(const char *path, mode_t mode)
{
	struct stat	 st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
mkdirs(const char *path, unsigned int mode)
{
	char	 buf[PATH_MAX];
	size_t	 i, len;

	if (path == NULL || path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((len = strlcpy(buf, path, sizeof(buf))) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Every prefix that ends before a '/' (skipping runs of '/'). */
	for (i = 1; i < len; i++) {
		if (buf[i] != '/' || buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir_one(buf, (mode_t)mode) == -1)
			return -1;
		buf[i] = '/';
	}
	if (buf[len - 1] == '/')
		return 0;
	return mkdir_one(buf, (mode_t)mode);
}

int
memfd_sealed(const char *name, const void *data, size_t len)
{
	int	 fd, saved;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return (-1);
	if (write_full(fd, data, len) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int
pread_full(int fd, off_t off, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = pread(fd, p, len, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EBADMSG;	/* the file ends early */
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}
