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

/* Queue listing lines (qshow.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qshow.h"
#include "store.h"

static const char *
state_name(enum rcpt_state s)
{
	switch (s) {
	case RCPT_PENDING:
		return "pending";
	case RCPT_DONE:
		return "done";
	case RCPT_FAILED:
		return "failed";
	}
	return "unknown";
}

int
qshow_rcpt(const struct envelope *env, int i, int held, char *buf,
    size_t size)
{
	const struct env_rcpt	*r = &env->rcpt[i];
	const char		*at = strchr(r->account, '@');
	char			 imid[IPC_ACCOUNT_MAX + IPC_FOLDER_MAX];
	int			 n;

	if (r->folder[0] == '\0' || at == NULL)
		(void)snprintf(imid, sizeof(imid), "%s", r->account);
	else
		(void)snprintf(imid, sizeof(imid), "%.*s+%s%s",
		    (int)(at - r->account), r->account, r->folder, at);
	n = snprintf(buf, size, "uuid=%s rcpt=%s state=%s tries=%u "
	    "next=%lld sender=%s accepted=%lld size=%llu flags=%u "
	    "bounce=%d held=%d", env->uuid, imid, state_name(r->state),
	    r->tries, (long long)r->next, env->sender,
	    (long long)env->accepted, (unsigned long long)env->size,
	    env->flags, env->bounce ? 1 : 0, held ? 1 : 0);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int
qshow_envelope(const struct envelope *env, int held,
    void (*cb)(const char *, void *), void *arg)
{
	char	*text, *p, *nl;
	size_t	 len;

	if (env_format(env, &text, &len) == -1)
		return -1;
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', text + len - p)) == NULL)
			break;
		*nl = '\0';
		cb(p, arg);
	}
	free(text);
	cb(held ? "held=1" : "held=0", arg);
	return 0;
}
