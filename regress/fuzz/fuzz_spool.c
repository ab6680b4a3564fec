/*
 * fuzz_spool: spool_read_index (common/spool.h) on a memfd holding the
 * input.
 *
 * Properties:
 * - no result but 0, or -1 with errno EBADMSG;
 * - on success every part lies inside the file, in order, with a valid
 *   type and name; with room for one part less the call fails;
 * - the format is canonical: writing the parts again with the spool
 *   writer into a second memfd gives exactly the input;
 * - no descriptor is leaked.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "fuzz.h"

static struct spool_part	parts[SPOOL_MAX_PARTS + 1];

static void
rewrite(const uint8_t *data, size_t size, int n)
{
	struct spool_writer	 w;
	uint8_t			*back;
	int			 fd, i;
	ssize_t			 got;

	if ((fd = fuzz_memfd("spool-back", "", 0)) == -1)
		return;
	FUZZ_ASSERT(spool_w_init(&w, fd) == 0);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(spool_w_begin(&w, parts[i].type, parts[i].name,
		    parts[i].content) == 0);
		FUZZ_ASSERT(spool_w_data(&w, data + parts[i].offset,
		    parts[i].length) == 0);
		FUZZ_ASSERT(spool_w_end(&w) == 0);
	}
	FUZZ_ASSERT(spool_w_finish(&w) == 0);
	FUZZ_ASSERT(w.off == (off_t)size);
	back = malloc(size + 1);
	FUZZ_ASSERT(back != NULL);
	got = pread(fd, back, size + 1, 0);
	FUZZ_ASSERT(got == (ssize_t)size);
	FUZZ_ASSERT(memcmp(back, data, size) == 0);
	free(back);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	off_t	prev;
	int	fd, n, n2, i, fds, r;

	fds = fuzz_fd_count();
	if ((fd = fuzz_memfd("spool", data, size)) == -1)
		return 0;
	errno = 0;
	r = spool_read_index(fd, parts, SPOOL_MAX_PARTS, &n);
	if (r == -1) {
		FUZZ_ASSERT(errno == EBADMSG);
		FUZZ_ASSERT(n == 0);
		close(fd);
		FUZZ_ASSERT(fuzz_fd_count() == fds);
		return 0;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(n >= 0 && n <= SPOOL_MAX_PARTS);
	FUZZ_ASSERT(size >= strlen(SPOOL_MAGIC) + 2);
	FUZZ_ASSERT(memcmp(data, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) == 0);
	prev = strlen(SPOOL_MAGIC);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(parts[i].offset > prev);
		FUZZ_ASSERT((uint64_t)parts[i].offset <= size);
		FUZZ_ASSERT(parts[i].length < size &&
		    parts[i].length + parts[i].offset < size);
		FUZZ_ASSERT(data[parts[i].offset + parts[i].length] == '\n');
		FUZZ_ASSERT(spool_type_valid(parts[i].type));
		FUZZ_ASSERT(spool_name_valid(parts[i].name));
		FUZZ_ASSERT(parts[i].content == 0 || parts[i].content == 1);
		prev = parts[i].offset + parts[i].length;
	}
	FUZZ_ASSERT(size - prev == (i == 0 ? 2 : 3));
	FUZZ_ASSERT(data[size - 2] == 'E' && data[size - 1] == '\n');
	if (n > 0) {
		errno = 0;
		FUZZ_ASSERT(spool_read_index(fd, parts, n - 1, &n2) == -1);
		FUZZ_ASSERT(errno == EBADMSG && n2 == 0);
		FUZZ_ASSERT(spool_read_index(fd, parts, n, &n2) == 0 &&
		    n2 == n);
	}
	close(fd);
	rewrite(data, size, n);
	FUZZ_ASSERT(fuzz_fd_count() == fds);
	return 0;
}
