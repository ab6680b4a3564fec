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

#include "ipc.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "util.h"

#define ENV_VERSION	1
#define ENV_LINE_MAX	1024
#define ENV_FLAGS_MASK	(MSGF_IMPORTANT | MSGF_UNIMPORTANT | \
			    MSGF_MULTIPART | MSGF_SECURE)

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
		if (!store_account_valid(env->rcpt[i].account) ||
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
	if (!store_account_valid(f[0]))
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
	K_BOUNCE, K_NRCPT, K_NKEYS
};

static const char *const key_names[K_NKEYS] = {
	"version", "uuid", "accepted", "sender", "peer", "flags", "size",
	"bounce", "nrcpt"
};

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
	for (k = 0; k < K_NKEYS; k++) {
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
}

static int
open_dir(int at, const char *name)
{
	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
}

int
store_open(const char *path, struct store *st)
{
	st->root = st->incoming = st->queue = st->corrupt = -1;
	if (mkdirs(path, 0700) == -1)
		return -1;
	if ((st->root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((st->incoming = open_dir(st->root, "incoming")) == -1 ||
	    (st->queue = open_dir(st->root, "queue")) == -1 ||
	    (st->corrupt = open_dir(st->root, "corrupt")) == -1)
		return -1;
	if (fsync(st->root) == -1)
		return -1;
	return 0;
}

int
store_create(struct store *st, char *uuid)
{
	int	fd, tries;

	for (tries = 0; tries < 4; tries++) {
		uuid_generate_v4(uuid);
		fd = openat(st->incoming, uuid, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static void
name_env(char *buf, size_t size, const char *uuid, const char *ext)
{
	(void)snprintf(buf, size, "%s%s", uuid, ext);
}

static void
unlink_quiet(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == -1 && errno != ENOENT)
		log_warn("unlink %s", name);
}

void
store_discard(struct store *st, const char *uuid, int commit)
{
	char	name[IPC_UUID_MAX + 8];

	if (!uuid_valid(uuid))
		return;
	unlink_quiet(st->incoming, uuid);
	name_env(name, sizeof(name), uuid, ".env");
	unlink_quiet(st->incoming, name);
	if (commit) {
		unlink_quiet(st->queue, name);
		name_env(name, sizeof(name), uuid, ".msg");
		unlink_quiet(st->queue, name);
	}
}

static int
write_full(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

int
store_write_env(struct store *st, const struct envelope *env)
{
	char	name[IPC_UUID_MAX + 8], *buf;
	size_t	len;
	int	fd, saved;

	if (env_format(env, &buf, &len) == -1)
		return -1;
	name_env(name, sizeof(name), env->uuid, ".env");
	if (unlinkat(st->incoming, name, 0) == -1 && errno != ENOENT) {
		free(buf);
		return -1;
	}
	fd = openat(st->incoming, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		free(buf);
		return -1;
	}
	if (write_full(fd, buf, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlinkat(st->incoming, name, 0);
		free(buf);
		errno = saved;
		return -1;
	}
	free(buf);
	if (close(fd) == -1) {
		saved = errno;
		unlinkat(st->incoming, name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int
store_update(struct store *st, const struct envelope *env)
{
	char	name[IPC_UUID_MAX + 8];
	int	saved;

	if (store_write_env(st, env) == -1)
		return -1;
	name_env(name, sizeof(name), env->uuid, ".env");
	if (renameat(st->incoming, name, st->queue, name) == -1) {
		saved = errno;
		unlinkat(st->incoming, name, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int
store_remove(struct store *st, const char *uuid)
{
	char	name[IPC_UUID_MAX + 8];

	if (!uuid_valid(uuid))
		return -1;
	name_env(name, sizeof(name), uuid, ".env");
	if (unlinkat(st->queue, name, 0) == -1 && errno != ENOENT) {
		log_warn("remove queue/%s", name);
		return -1;
	}
	name_env(name, sizeof(name), uuid, ".msg");
	if (unlinkat(st->queue, name, 0) == -1 && errno != ENOENT) {
		log_warn("remove queue/%s", name);
		return -1;
	}
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

/* Reads a whole small regular file. */
static int
read_small(int dirfd, const char *name, char **out, size_t *outlen)
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
	    st.st_size > ENV_FILE_MAX) {
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
check_msg(struct store *st, const char *uuid, uint64_t size)
{
	struct spool_part	*parts;
	struct stat		 sb;
	int			 fd, n, r = -1;

	if ((fd = store_open_msg(st, uuid)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size != size) {
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
	int		 fd;

	if ((fd = dup(st->incoming)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(st->incoming, de->d_name, 0) == -1)
			log_warn("recovery: unlink incoming/%s", de->d_name);
		else
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
	if (read_small(st->queue, name, &buf, &len) == -1) {
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
	if (check_msg(st, uuid, env.size) == -1) {
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
    void *arg)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 uuid[IPC_UUID_MAX], name[IPC_UUID_MAX + 8];
	int		 fd, count = 0;

	if (empty_incoming(st) == -1)
		return -1;
	if ((fd = dup(st->queue)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	/* First pass: envelopes. */
	rewinddir(d);
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
			if (unlinkat(st->queue, de->d_name, 0) == -1)
				log_warn("recovery: unlink queue/%s",
				    de->d_name);
			else
				log_info("recovery: removed uncommitted "
				    "queue/%s", de->d_name);
			continue;
		}
		to_corrupt(st, de->d_name);
	}
	closedir(d);
	return count;
}
