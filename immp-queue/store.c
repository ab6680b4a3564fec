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

/* The on-disk queue and the envelope file format (store.h). */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc.h"
#include "ipc_push.h"
#include "journal.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "util.h"

#define ENV_VERSION	1
#define ENV_LINE_MAX	1024
#define ENV_FLAGS_MASK	(MSGF_IMPORTANT | MSGF_UNIMPORTANT | \
			    MSGF_MULTIPART | MSGF_SECURE | MSGF_PUSH)

static const char *const state_names[] = { "pending", "done", "failed" };

/* [A-Za-z0-9._-]{1,max}, no leading, trailing or doubled dot. */
static int
dot_atom_valid(const char *s, size_t len, size_t max)
{
	size_t	i;

	if (len == 0 || len > max || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')
			continue;
		if (s[i] == '.' && s[i + 1] != '.')
			continue;
		return 0;
	}
	return 1;
}

static int
domain_valid(const char *s)
{
	size_t	len = strlen(s), i, lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-' ||
			    s[i - lab] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
		lab++;
	}
	return 1;
}

int
store_account_valid(const char *s)
{
	const char	*at;

	if ((at = strchr(s, '@')) == NULL || strlen(s) >= IPC_ACCOUNT_MAX)
		return 0;
	return dot_atom_valid(s, at - s, 64) && domain_valid(at + 1);
}

int
store_rcpt_valid(const char *s)
{
	if (s[0] == '@')
		return strlen(s) < IPC_ACCOUNT_MAX && domain_valid(s + 1);
	return store_account_valid(s);
}

int
store_folder_valid(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > 64 || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

int
store_peer_valid(const char *s)
{
	size_t	i, len = strlen(s);

	if (len >= IPC_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr(".:_%-", s[i]) != NULL))
			return 0;
	return 1;
}

static int
env_valid(const struct envelope *env)
{
	int	i;

	if (!uuid_valid(env->uuid) || !store_account_valid(env->sender) ||
	    !store_peer_valid(env->peer) || env->accepted < 0 ||
	    (env->flags & ~ENV_FLAGS_MASK) != 0 || env->size > INT64_MAX ||
	    (env->bounce != 0 && env->bounce != 1) ||
	    env->nrcpt < 1 || env->nrcpt > ENV_MAX_RCPT)
		return 0;
	for (i = 0; i < env->nrcpt; i++) {
		if (!store_rcpt_valid(env->rcpt[i].account) ||
		    (env->rcpt[i].account[0] == '@' &&
		    !(env->flags & MSGF_PUSH)) ||
		    (env->rcpt[i].folder[0] != '\0' &&
		    !store_folder_valid(env->rcpt[i].folder)) ||
		    env->rcpt[i].state < RCPT_PENDING ||
		    env->rcpt[i].state > RCPT_FAILED ||
		    env->rcpt[i].next < 0)
			return 0;
	}
	return 1;
}

int
env_format(const struct envelope *env, char **out, size_t *outlen)
{
	const struct env_rcpt	*r;
	char			*buf;
	size_t			 len;
	FILE			*f;
	int			 i;

	if (!env_valid(env)) {
		errno = EINVAL;
		return -1;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	fprintf(f, "version=%d\nuuid=%s\naccepted=%" PRId64 "\n"
	    "sender=%s\npeer=%s\nflags=%" PRIu32 "\nsize=%" PRIu64 "\n"
	    "bounce=%d\nnrcpt=%d\n", ENV_VERSION, env->uuid, env->accepted,
	    env->sender, env->peer, env->flags, env->size, env->bounce,
	    env->nrcpt);
	if (env->has_digest) {
		fputs("digest=", f);
		for (i = 0; i < ENV_DIGEST_LEN; i++)
			fprintf(f, "%02x", env->digest[i]);
		fputc('\n', f);
	}
	for (i = 0; i < env->nrcpt; i++) {
		r = &env->rcpt[i];
		fprintf(f, "rcpt=%s %s %s %" PRIu32 " %" PRId64 "\n",
		    r->account, r->folder[0] == '\0' ? "." : r->folder,
		    state_names[r->state], r->tries, r->next);
	}
	if (fclose(f) == EOF) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decimal without sign or leading zero, at most max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if ((uint64_t)(*s - '0') > max ||
		    v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

static int
parse_rcpt(char *v, struct env_rcpt *r, const char **errstr)
{
	char		*f[5], *p = v;
	uint64_t	 n;
	int		 i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 5; i++) {
		f[i] = p;
		if (i < 4) {
			if ((p = strchr(p, ' ')) == NULL)
				goto bad;
			*p++ = '\0';
		}
	}
	if (strchr(f[4], ' ') != NULL)
		goto bad;
	if (!store_rcpt_valid(f[0]))
		goto bad;
	strlcpy(r->account, f[0], sizeof(r->account));
	if (strcmp(f[1], ".") != 0) {
		if (!store_folder_valid(f[1]))
			goto bad;
		strlcpy(r->folder, f[1], sizeof(r->folder));
	}
	for (i = 0; i < 3; i++)
		if (strcmp(f[2], state_names[i]) == 0)
			break;
	if (i == 3)
		goto bad;
	r->state = i;
	if (parse_u64(f[3], UINT32_MAX, &n) == -1)
		goto bad;
	r->tries = n;
	if (parse_u64(f[4], INT64_MAX, &n) == -1)
		goto bad;
	r->next = n;
	return 0;
bad:
	*errstr = "bad rcpt line";
	return -1;
}

enum env_key {
	K_VERSION, K_UUID, K_ACCEPTED, K_SENDER, K_PEER, K_FLAGS, K_SIZE,
	K_BOUNCE, K_NRCPT, K_DIGEST, K_NKEYS
};
#define K_NREQUIRED	K_DIGEST	/* the keys before it are required */

static const char *const key_names[K_NKEYS] = {
	"version", "uuid", "accepted", "sender", "peer", "flags", "size",
	"bounce", "nrcpt", "digest"
};

/* 64 lower-case hex digits into out[32]. */
static int
parse_digest(const char *v, uint8_t *out)
{
	int	i, hi, lo;

	if (strlen(v) != 2 * ENV_DIGEST_LEN)
		return -1;
	for (i = 0; i < 2 * ENV_DIGEST_LEN; i += 2) {
		hi = hexval(v[i]);
		lo = hexval(v[i + 1]);
		if (hi == -1 || lo == -1)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	return 0;
}

static int
parse_key(struct envelope *env, int k, const char *v, const char **errstr)
{
	uint64_t	n;

	switch (k) {
	case K_VERSION:
		if (strcmp(v, "1") != 0)
			goto bad;
		return 0;
	case K_UUID:
		if (!uuid_valid(v))
			goto bad;
		strlcpy(env->uuid, v, sizeof(env->uuid));
		return 0;
	case K_SENDER:
		if (!store_account_valid(v))
			goto bad;
		strlcpy(env->sender, v, sizeof(env->sender));
		return 0;
	case K_PEER:
		if (!store_peer_valid(v))
			goto bad;
		strlcpy(env->peer, v, sizeof(env->peer));
		return 0;
	case K_ACCEPTED:
		if (parse_u64(v, INT64_MAX, &n) == -1)
			goto bad;
		env->accepted = n;
		return 0;
	case K_FLAGS:
		if (parse_u64(v, ENV_FLAGS_MASK, &n) == -1 ||
		    (n & ~(uint64_t)ENV_FLAGS_MASK) != 0)
			goto bad;
		env->flags = n;
		return 0;
	case K_SIZE:
		if (parse_u64(v, INT64_MAX, &n) == -1)
			goto bad;
		env->size = n;
		return 0;
	case K_BOUNCE:
		if (parse_u64(v, 1, &n) == -1)
			goto bad;
		env->bounce = n;
		return 0;
	case K_NRCPT:
		if (parse_u64(v, ENV_MAX_RCPT, &n) == -1 || n == 0)
			goto bad;
		env->nrcpt = n;
		if ((env->rcpt = calloc(n, sizeof(*env->rcpt))) == NULL) {
			*errstr = "out of memory";
			return -1;
		}
		return 0;
	case K_DIGEST:
		if (parse_digest(v, env->digest) == -1)
			goto bad;
		env->has_digest = 1;
		return 0;
	}
bad:
	*errstr = "bad value";
	return -1;
}

int
env_parse(const char *buf, size_t len, struct envelope *env,
    const char **errstr)
{
	char		 line[ENV_LINE_MAX + 1], *eq;
	const char	*p = buf, *end = buf + len, *lf, *dummy;
	size_t		 llen, i;
	int		 seen[K_NKEYS], k, nr = 0;

	if (errstr == NULL)
		errstr = &dummy;
	memset(env, 0, sizeof(*env));
	memset(seen, 0, sizeof(seen));
	if (len > ENV_FILE_MAX) {
		*errstr = "file too large";
		goto bad;
	}
	if (len == 0 || buf[len - 1] != '\n') {
		*errstr = "missing final line end";
		goto bad;
	}
	while (p < end) {
		lf = memchr(p, '\n', end - p);
		llen = lf - p;
		if (llen == 0 || llen > ENV_LINE_MAX) {
			*errstr = "empty or overlong line";
			goto bad;
		}
		for (i = 0; i < llen; i++) {
			if ((unsigned char)p[i] < 0x20 ||
			    (unsigned char)p[i] > 0x7e) {
				*errstr = "control or non-ASCII character";
				goto bad;
			}
		}
		memcpy(line, p, llen);
		line[llen] = '\0';
		p = lf + 1;
		if ((eq = strchr(line, '=')) == NULL) {
			*errstr = "line without '='";
			goto bad;
		}
		*eq++ = '\0';
		if (strcmp(line, "rcpt") == 0) {
			if (!seen[K_NRCPT] || nr >= env->nrcpt) {
				*errstr = "unexpected rcpt line";
				goto bad;
			}
			if (parse_rcpt(eq, &env->rcpt[nr], errstr) == -1)
				goto bad;
			nr++;
			continue;
		}
		for (k = 0; k < K_NKEYS; k++)
			if (strcmp(line, key_names[k]) == 0)
				break;
		if (k == K_NKEYS) {
			*errstr = "unknown key";
			goto bad;
		}
		if (seen[k]) {
			*errstr = "duplicate key";
			goto bad;
		}
		seen[k] = 1;
		if (parse_key(env, k, eq, errstr) == -1)
			goto bad;
	}
	for (k = 0; k < K_NREQUIRED; k++) {
		if (!seen[k]) {
			*errstr = "missing key";
			goto bad;
		}
	}
	if (nr != env->nrcpt) {
		*errstr = "rcpt lines do not match nrcpt";
		goto bad;
	}
	return 0;
bad:
	env_free(env);
	errno = EBADMSG;
	return -1;
}

void
env_free(struct envelope *env)
{
	free(env->rcpt);
	env->rcpt = NULL;
	env->nrcpt = 0;
	env->has_digest = 0;
}

static int
open_dir(int at, const char *name)
{
	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
}

void
store_pool_name(uint64_t n, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%" PRIu64, n);
}

/* Decimal file name without leading zero; 0 or -1. */
static int
pool_parse(const char *name, uint64_t *n)
{
	return parse_u64(name, UINT64_MAX - 1, n);
}

static int
pool_add(struct store *st, uint64_t n)
{
	uint64_t	*p;

	if (st->pool_nfree >= POOL_MAX)
		return -1;
	if (st->pool_free == NULL) {
		if ((p = reallocarray(NULL, POOL_MAX, sizeof(*p))) == NULL)
			return -1;
		st->pool_free = p;
	}
	st->pool_free[st->pool_nfree++] = n;
	return 0;
}

/* Takes stock of pool/; strangers are removed. */
/*
 * A directory stream over a duplicate of dirfd, from its first entry;
 * NULL with errno set.  The caller closedir()s it; dirfd stays open.
 */
DIR *
store_opendir(int dirfd)
{
	DIR	*d;
	int	 fd;

	if ((fd = dup(dirfd)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

static int
pool_load(struct store *st)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	uint64_t	 n;

	if ((d = store_opendir(st->pool)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (pool_parse(de->d_name, &n) == 0 &&
		    fstatat(st->pool, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_size <= POOL_FILE_MAX && pool_add(st, n) == 0) {
			if (n >= st->pool_next)
				st->pool_next = n + 1;
			continue;
		}
		if (unlinkat(st->pool, de->d_name, 0) == -1)
			log_warn("pool/%s", de->d_name);
	}
	closedir(d);
	return 0;
}

/* Creates pool files up to POOL_PREFILL, so that traffic need not. */
static int
pool_fill(struct store *st)
{
	char		name[24];
	uint64_t	n;
	int		fd;

	while (st->pool_nfree < POOL_PREFILL) {
		n = st->pool_next++;
		store_pool_name(n, name, sizeof(name));
		fd = openat(st->pool, name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1 || close(fd) == -1 || pool_add(st, n) == -1)
			return -1;
	}
	return 0;
}

int
store_open(const char *path, struct store *st)
{
	memset(st, 0, sizeof(*st));
	st->root = st->incoming = st->queue = st->corrupt = -1;
	st->journal = st->pool = -1;
	if (mkdirs(path, 0700) == -1)
		return -1;
	if ((st->root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((st->incoming = open_dir(st->root, "incoming")) == -1 ||
	    (st->queue = open_dir(st->root, "queue")) == -1 ||
	    (st->journal = open_dir(st->root, "journal")) == -1 ||
	    (st->pool = open_dir(st->root, "pool")) == -1 ||
	    (st->corrupt = open_dir(st->root, "corrupt")) == -1)
		return -1;
	if (fsync(st->root) == -1)
		return -1;
	st->pool_next = 1;
	if (pool_load(st) == -1)
		return -1;
	return pool_fill(st);
}

int
store_pool_take(struct store *st, uint64_t *n)
{
	struct stat	sb;
	char		name[24];
	int		fd;

	while (st->pool_nfree > 0) {
		*n = st->pool_free[--st->pool_nfree];
		store_pool_name(*n, name, sizeof(name));
		fd = openat(st->pool, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
		if (fd == -1) {
			log_warn("pool/%s", name);
			continue;
		}
		/*
		 * Down to one octet, which the new contents overwrite: a
		 * truncation to zero would make ext4 (auto_da_alloc) write
		 * the file out when it is closed.
		 */
		if (fstat(fd, &sb) == -1 ||
		    (sb.st_size > 1 && ftruncate(fd, 1) == -1)) {
			log_warn("pool/%s: truncate", name);
			close(fd);
			(void)unlinkat(st->pool, name, 0);
			continue;
		}
		return fd;
	}
	*n = st->pool_next++;
	store_pool_name(*n, name, sizeof(name));
	return openat(st->pool, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
}

void
store_pool_put(struct store *st, int dirfd, const char *name)
{
	struct stat	sb;
	char		pname[24];
	uint64_t	n;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			log_warn("stat %s", name);
		return;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size <= POOL_FILE_MAX &&
	    st->pool_nfree < POOL_MAX) {
		n = st->pool_next++;
		store_pool_name(n, pname, sizeof(pname));
		if (renameat(dirfd, name, st->pool, pname) == 0) {
			if (pool_add(st, n) == 0)
				return;
			(void)unlinkat(st->pool, pname, 0);
			return;
		}
		if (errno == ENOENT)
			return;
		log_warn("rename %s into pool/", name);
	}
	if (unlinkat(dirfd, name, S_ISDIR(sb.st_mode) ? AT_REMOVEDIR : 0) ==
	    -1 && errno != ENOENT)
		log_warn("unlink %s", name);
}

int
store_pool_place(struct store *st, uint64_t n, int dirfd, const char *name,
    int replace)
{
	char	pname[24];
	int	r;

	store_pool_name(n, pname, sizeof(pname));
#ifdef RENAME_NOREPLACE
	if (!replace) {
		r = renameat2(st->pool, pname, dirfd, name, RENAME_NOREPLACE);
		if (r == 0 || errno != EINVAL)
			return r;
	}
#endif
	if (!replace && faccessat(dirfd, name, F_OK,
	    AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(st->pool, pname, dirfd, name);
}

void
store_pool_release(struct store *st, uint64_t n)
{
	char	pname[24];

	if (pool_add(st, n) == 0)
		return;
	store_pool_name(n, pname, sizeof(pname));
	if (unlinkat(st->pool, pname, 0) == -1 && errno != ENOENT)
		log_warn("pool/%s", pname);
}

int
store_create(struct store *st, char *uuid, uint64_t *n)
{
	int	fd;

	if ((fd = store_pool_take(st, n)) == -1)
		return -1;
	uuid_generate_v4(uuid);
	return fd;
}

static void
name_env(char *buf, size_t size, const char *uuid, const char *ext)
{
	(void)snprintf(buf, size, "%s%s", uuid, ext);
}

void
store_discard(struct store *st, const char *uuid)
{
	char	name[IPC_UUID_MAX + 8];

	if (!uuid_valid(uuid))
		return;
	name_env(name, sizeof(name), uuid, ".env");
	store_pool_put(st, st->queue, name);
	name_env(name, sizeof(name), uuid, ".msg");
	store_pool_put(st, st->queue, name);
}

int
store_put_file(struct store *st, int dirfd, const char *name,
    const void *buf, size_t len, int sync)
{
	uint64_t	n;
	int		fd, saved;

	if ((fd = store_pool_take(st, &n)) == -1)
		return -1;
	if (write_full(fd, buf, len) == -1 ||
	    (len == 0 && ftruncate(fd, 0) == -1) ||
	    (sync && fsync(fd) == -1)) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		saved = errno;
		goto fail;
	}
	if (store_pool_place(st, n, dirfd, name, 1) == 0)
		return 0;
	saved = errno;
fail:
	store_pool_release(st, n);
	errno = saved;
	return -1;
}

int
store_update(struct store *st, const struct envelope *env, int sync)
{
	char	name[IPC_UUID_MAX + 8], *buf;
	size_t	len;
	int	r;

	if (env_format(env, &buf, &len) == -1)
		return -1;
	name_env(name, sizeof(name), env->uuid, ".env");
	r = store_put_file(st, st->queue, name, buf, len, sync);
	free(buf);
	return r;
}

int
store_remove(struct store *st, const char *uuid)
{
	char	name[IPC_UUID_MAX + 8];

	if (!uuid_valid(uuid))
		return -1;
	name_env(name, sizeof(name), uuid, ".env");
	store_pool_put(st, st->queue, name);
	name_env(name, sizeof(name), uuid, ".msg");
	store_pool_put(st, st->queue, name);
	return 0;
}

int
store_open_msg(struct store *st, const char *uuid)
{
	char	name[IPC_UUID_MAX + 8];

	if (!uuid_valid(uuid)) {
		errno = EINVAL;
		return -1;
	}
	name_env(name, sizeof(name), uuid, ".msg");
	return openat(st->queue, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
store_digest(int fd, uint64_t size, uint8_t out[ENV_DIGEST_LEN])
{
	crypto_generichash_state	 h;
	unsigned char			 buf[65536];
	uint64_t			 off = 0;
	ssize_t				 n;

	if (crypto_generichash_init(&h, NULL, 0, ENV_DIGEST_LEN) != 0)
		return -1;
	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		if ((uint64_t)n > size - off) {
			errno = EBADMSG;
			return -1;
		}
		crypto_generichash_update(&h, buf, n);
		off += n;
	}
	if (off != size) {
		errno = EBADMSG;
		return -1;
	}
	return crypto_generichash_final(&h, out, ENV_DIGEST_LEN);
}

void
store_corrupt_copy(struct store *st, const char *name, const void *buf,
    size_t len)
{
	int	fd;

	(void)unlinkat(st->corrupt, name, 0);
	fd = openat(st->corrupt, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || write_full(fd, buf, len) == -1)
		log_warn("corrupt/%s", name);
	if (fd != -1)
		close(fd);
}

void
store_to_corrupt(struct store *st, int dirfd, const char *name)
{
	if (renameat(dirfd, name, st->corrupt, name) == -1) {
		if (errno == ENOENT)
			return;
		log_warn("move %s to corrupt/", name);
		return;
	}
	log_warnx("corrupt file=%s moved to corrupt/", name);
}

/* Moves queue/<name> into corrupt/ (a leftover there is replaced). */
static void
to_corrupt(struct store *st, const char *name)
{
	if (renameat(st->queue, name, st->corrupt, name) == -1) {
		if (errno == ENOENT)
			return;
		log_warn("move queue/%s to corrupt/", name);
		return;
	}
	log_warnx("corrupt file=queue/%s moved to corrupt/", name);
}

int
store_read_file(int dirfd, const char *name, size_t max, char **out,
    size_t *outlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		close(fd);
		errno = EBADMSG;
		return -1;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (len != (size_t)st.st_size) {
		free(buf);
		errno = EBADMSG;
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Checks queue/<uuid>.msg; 0 if it is a complete, well-formed spool. */
static int
check_msg(struct store *st, const char *uuid, const struct envelope *env)
{
	struct spool_part	*parts;
	struct stat		 sb;
	uint8_t			 digest[ENV_DIGEST_LEN];
	uint64_t		 size = env->size;
	int			 fd, n, r = -1;

	if ((fd = store_open_msg(st, uuid)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != size) {
		close(fd);
		return -1;
	}
	if (env->has_digest && (store_digest(fd, size, digest) == -1 ||
	    sodium_memcmp(digest, env->digest, sizeof(digest)) != 0)) {
		close(fd);
		return -1;
	}
	if ((parts = calloc(SPOOL_MAX_PARTS, sizeof(*parts))) != NULL) {
		r = spool_read_index(fd, parts, SPOOL_MAX_PARTS, &n);
		if (r == 0 && n == 0)
			r = -1;
		free(parts);
	}
	close(fd);
	return r;
}

static int
empty_incoming(struct store *st)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = store_opendir(st->incoming)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		store_pool_put(st, st->incoming, de->d_name);
		log_debug("recovery: removed incoming/%s", de->d_name);
	}
	closedir(d);
	return 0;
}

/* Returns 1 for "<uuid><ext>" with a valid uuid, copying the uuid. */
static int
split_name(const char *name, const char *ext, char *uuid)
{
	size_t	len = strlen(name), elen = strlen(ext);

	if (len != IPC_UUID_MAX - 1 + elen ||
	    strcmp(name + len - elen, ext) != 0)
		return 0;
	memcpy(uuid, name, IPC_UUID_MAX - 1);
	uuid[IPC_UUID_MAX - 1] = '\0';
	return uuid_valid(uuid);
}

static void
recover_env(struct store *st, const char *name, const char *uuid,
    void (*cb)(struct envelope *, void *), void *arg, int *count)
{
	struct envelope	 env;
	const char	*err = "unreadable";
	char		*buf, msgname[IPC_UUID_MAX + 8];
	size_t		 len;

	name_env(msgname, sizeof(msgname), uuid, ".msg");
	if (store_read_file(st->queue, name, ENV_FILE_MAX, &buf, &len) == -1) {
		log_warn("recovery: queue/%s", name);
		to_corrupt(st, name);
		to_corrupt(st, msgname);
		return;
	}
	if (env_parse(buf, len, &env, &err) == -1 ||
	    strcmp(env.uuid, uuid) != 0) {
		if (env.rcpt != NULL)
			err = "uuid does not match the file name";
		env_free(&env);
		free(buf);
		log_warnx("recovery: queue/%s: %s", name, err);
		to_corrupt(st, name);
		to_corrupt(st, msgname);
		return;
	}
	free(buf);
	if (check_msg(st, uuid, &env) == -1) {
		log_warnx("recovery: queue/%s missing, truncated or malformed",
		    msgname);
		env_free(&env);
		to_corrupt(st, name);
		to_corrupt(st, msgname);
		return;
	}
	cb(&env, arg);
	(*count)++;
}

int
store_recover(struct store *st, void (*cb)(struct envelope *, void *),
    void *arg, uint64_t *nextseq)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 uuid[IPC_UUID_MAX], name[IPC_UUID_MAX + 8];
	int		 count = 0;

	if (empty_incoming(st) == -1)
		return -1;
	if (jrnl_recover(st, nextseq) == -1)
		return -1;
	if ((d = store_opendir(st->queue)) == NULL)
		return -1;
	/* First pass: envelopes. */
	while ((de = readdir(d)) != NULL) {
		if (split_name(de->d_name, ".env", uuid))
			recover_env(st, de->d_name, uuid, cb, arg, &count);
	}
	/* Second pass: orphans and strangers. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    split_name(de->d_name, ".env", uuid))
			continue;
		if (split_name(de->d_name, ".msg", uuid)) {
			name_env(name, sizeof(name), uuid, ".env");
			if (fstatat(st->queue, name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			store_pool_put(st, st->queue, de->d_name);
			log_info("recovery: removed uncommitted queue/%s",
			    de->d_name);
			continue;
		}
		to_corrupt(st, de->d_name);
	}
	closedir(d);
	return count;
}
