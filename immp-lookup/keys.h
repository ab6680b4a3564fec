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
 * The published keys of the local domains in immp-lookup (draft 6.1,
 * DESIGN §5 "Domain keys and envelopes", immp(7) KEY REQUEST).
 *
 * Only the public key files "<keys>/<domain>.pub" are read, never the
 * secret ones.  They are loaded at start-up, before the sandbox, and
 * read again when a file changes (device, inode, size or modification
 * time), so that "immpctl key rollover" takes effect without a restart.
 * A file that cannot be used is logged once per change; the keys
 * loaded before stay published until a good file replaces it.
 */
#ifndef IMMP_LOOKUP_KEYS_H
#define IMMP_LOOKUP_KEYS_H

struct immpd_conf;
struct ipc_key_request;
struct ipc_key_result;

/*
 * keys_init: loads the public keys of every domain of conf (not owned;
 * it must outlive the keys module).  A missing file means the domain
 * has no keys yet (logged at debug level); a bad one is logged.  Exits
 * (fatal) only when out of memory.
 */
void	 keys_init(struct immpd_conf *conf);

/*
 * keys_request: answers IMSG_LKA_KEY_REQUEST (req->domain must already
 * be checked as NUL-terminated).  Fills *out completely: IPC_OK with
 * the generations valid now (keyset_view), IPC_FAIL if the domain is
 * not local or has no valid keys, IPC_TEMPFAIL if its key file was
 * never readable and is not missing.  Draft 6.1.
 */
void	 keys_request(const struct ipc_key_request *req,
	    struct ipc_key_result *out);

/* keys_shutdown: frees every loaded key set. */
void	 keys_shutdown(void);

#endif
