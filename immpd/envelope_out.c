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
 * The sending side of envelopes on the wire (envelope_wire.h): the
 * content digest of a spooled message and the request to immp-lookup.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "ipc.h"
#include "ipc_env.h"
#include "spool.h"
#include "trace.h"
#include "util.h"
#include "envelope_wire.h"

#define EO_CHUNK	(64 * 1024)

int
envout_digest(int fd, const struct spool_part *parts, int nparts,
    uint8_t digest[ENV_DIGEST])
{
	struct env_digest	 d;
	char			 type[SPOOL_TYPE_MAX];
	uint8_t			*buf;
	uint64_t		 left;
	off_t			 off;
	size_t			 n, i;
	int			 k;

	if ((buf = malloc(EO_CHUNK)) == NULL)
		return (-1);
	env_digest_init(&d);
	for (k = 0; k < nparts; k++) {
		for (i = 0; parts[k].type[i] != '\0' && i < sizeof(type) - 1;
		    i++)
			type[i] = tolower((unsigned char)parts[k].type[i]);
		type[i] = '\0';
		if (strcmp(type, TRACE_TYPE) == 0)
			continue;
		left = parts[k].length;
		off = parts[k].offset;
		while (left > 0) {
			n = left < EO_CHUNK ? (size_t)left : EO_CHUNK;
			if (pread_full(fd, off, buf, n) == -1)
				goto fail;
			env_digest_data(&d, buf, n);
			left -= n;
			off += n;
		}
		if (env_digest_part(&d, parts[k].name, type,
		    parts[k].content) == -1) {
			errno = EINVAL;
			goto fail;
		}
	}
	env_digest_final(&d, digest);
	free(buf);
	return (0);
 fail:
	env_digest_final(&d, digest);
	free(buf);
	return (-1);
}

int
envout_add_rcpt(struct ipc_env_make *req, const char *rcpt)
{
	if (req->nrcpt >= IPC_ENV_RCPTS ||
	    strlcpy(req->rcpt[req->nrcpt], rcpt, sizeof(req->rcpt[0])) >=
	    sizeof(req->rcpt[0]))
		return (-1);
	req->nrcpt++;
	return (0);
}

char *
envout_read(int fd, size_t *len)
{
	struct stat	 st;
	char		*buf;

	if (fstat(fd, &st) == -1)
		return (NULL);
	if (st.st_size <= 0 || st.st_size > ENV_MAX) {
		errno = EFBIG;
		return (NULL);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return (NULL);
	if (pread_full(fd, 0, buf, (size_t)st.st_size) == -1) {
		free(buf);
		return (NULL);
	}
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return (buf);
}
