/*
 * Shared helpers of the libFuzzer targets in regress/fuzz (see README).
 * Each target defines LLVMFuzzerTestOneInput; a failed property calls
 * FUZZ_ASSERT, which prints the condition and aborts so that libFuzzer
 * saves the input as a crash.
 */
#ifndef IMMP_FUZZ_H
#define IMMP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * fuzz_utf8_oracle: 1 if buf[0..len) is well-formed UTF-8 (RFC 3629),
 * decoded code point by code point; written independently of the
 * table-driven validators in common/ so that the two can be compared.
 */
int	fuzz_utf8_oracle(const void *buf, size_t len);

/*
 * fuzz_memfd: a memfd holding buf[0..len), offset 0; -1 on failure
 * (the caller then skips the input).
 */
int	fuzz_memfd(const char *name, const void *buf, size_t len);

/*
 * fuzz_fd_count: how many of the descriptors 0..1023 are open, to
 * check that a parser leaks none.
 */
int	fuzz_fd_count(void);

#endif
