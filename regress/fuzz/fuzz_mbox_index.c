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
 * Fuzz target for what the mailbox index reads from disk
 * (immp-deliver/mbox_rec.c): "u" records and meta of a damaged index,
 * and file and folder names found in a Maildir.  First octet selects:
 * 0 record, 1 meta, else names.  A decoded record or meta encodes back
 * to the same octets; a parsed name rebuilds to a name that parses to
 * the same; folder names map back and forth.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ipc.h"
#include "util.h"
#include "../../immp-deliver/mbox_index.h"
#include "fuzz.h"

static void
names(const uint8_t *data, size_t size)
{
	char		 s[600], base[MBOX_NAME_MAX], base2[MBOX_NAME_MAX];
	char		 xinfo[MBOX_XINFO_MAX], xinfo2[MBOX_XINFO_MAX];
	char		 name[MBOX_NAME_MAX + 40], path[IPC_FOLDER_MAX];
	char		 dir[IPC_FOLDER_MAX], uuid[IPC_UUID_MAX];
	uint32_t	 flags, flags2;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (mbox_name_parse(s, base, &flags, xinfo) == 0) {
		FUZZ_ASSERT(strlen(base) > 0 && strlen(base) < MBOX_NAME_MAX);
		FUZZ_ASSERT(strchr(base, '/') == NULL && base[0] != '.');
		FUZZ_ASSERT((flags & ~0x1fU) == 0);
		FUZZ_ASSERT(mbox_name_make(base, flags, xinfo, name,
		    sizeof(name)) == 0);
		FUZZ_ASSERT(mbox_name_parse(name, base2, &flags2,
		    xinfo2) == 0);
		FUZZ_ASSERT(strcmp(base, base2) == 0 && flags == flags2);
		FUZZ_ASSERT(strlen(xinfo) == strlen(xinfo2));
		mbox_name_uuid(base, uuid);
		FUZZ_ASSERT(uuid_valid(uuid));
	}
	if (mbox_dir_path(s, path, sizeof(path)) == 0) {
		FUZZ_ASSERT(mbox_path_valid(path));
		FUZZ_ASSERT(mbox_path_dir(path, dir, sizeof(dir)) == 0);
		FUZZ_ASSERT(strcmp(dir, s) == 0);
	}
	if (mbox_path_valid(s)) {
		FUZZ_ASSERT(s[0] == '/' && strstr(s, "..") == NULL &&
		    strchr(s, '.') == NULL);
		FUZZ_ASSERT(mbox_path_dir(s, dir, sizeof(dir)) == 0);
		FUZZ_ASSERT(strchr(dir, '/') == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 buf[4096];
	struct mbox_rec		 r, r2;
	struct mbox_meta	 m;
	uint8_t			 mb[MBOX_META_LEN];
	size_t			 len;

	if (sodium_init() == -1 || size < 1)
		return 0;
	switch (data[0]) {
	case 0:
		if (mbox_rec_decode(data + 1, size - 1, &r) == -1)
			return 0;
		FUZZ_ASSERT(r.uid != 0 && uuid_valid(r.uuid));
		len = mbox_rec_encode(&r, buf, sizeof(buf));
		FUZZ_ASSERT(len == size - 1);
		FUZZ_ASSERT(memcmp(buf, data + 1, len) == 0);
		FUZZ_ASSERT(mbox_rec_decode(buf, len, &r2) == 0);
		FUZZ_ASSERT(memcmp(&r, &r2, sizeof(r)) == 0);
		break;
	case 1:
		if (mbox_meta_decode(data + 1, size - 1, &m) == -1)
			return 0;
		mbox_meta_encode(&m, mb);
		FUZZ_ASSERT(memcmp(mb, data + 1, MBOX_META_LEN) == 0);
		break;
	default:
		names(data + 1, size - 1);
		break;
	}
	return 0;
}
