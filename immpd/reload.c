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
 * Configuration reload in the parent process (control.h
 * conf_reload_all, immpd.conf(5) RELOAD, ipc_ctl.h).
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "imsg.h"
#include "ipc_ctl.h"
#include "log.h"
#include "util.h"
#include "control.h"

int
conf_snapshot(const char *path)
{
	struct stat	 st;
	char		 buf[8192];
	ssize_t		 n;
	off_t		 total = 0;
	int		 fd, mfd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return (-1);
	}
	if ((mfd = memfd_create("immpd.conf", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if ((total += n) > CONF_FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
		if (write_full(mfd, buf, (size_t)n) == -1)
			goto fail;
	}
	close(fd);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		saved = errno;
		close(mfd);
		errno = saved;
		return (-1);
	}
	return (mfd);
 fail:
	saved = errno;
	close(fd);
	close(mfd);
	errno = saved;
	return (-1);
}

int
conf_reload_all(const char *path, struct immpd_conf *conf,
    struct imsgev *const *to, size_t nto, char *msg, size_t size)
{
	struct immpd_conf	 nc;
	char			 restart[512];
	size_t			 i;
	int			 mfd, fd, n;

	if ((mfd = conf_snapshot(path)) == -1) {
		log_warn("reload: %s", path);
		(void)snprintf(msg, size, "%.400s: %s, running configuration "
		    "kept", path, strerror(errno));
		return (-1);
	}
	if (conf_parse_fd(mfd, path, &nc) == -1) {
		close(mfd);
		log_warnx("reload: %s has errors, running configuration "
		    "kept", path);
		(void)snprintf(msg, size, "%.400s has errors (see the log), "
		    "running configuration kept", path);
		return (-1);
	}
	n = conf_reload(conf, &nc, restart, sizeof(restart));
	conf_clear(&nc);
	for (i = 0; i < nto; i++) {
		if (to[i] == NULL)
			continue;
		if ((fd = fcntl(mfd, F_DUPFD_CLOEXEC, 0)) == -1)
			fatal("reload: dup");
		if (imsgev_compose(to[i], IMSG_CTL_RELOAD_CONF, 0, fd, NULL,
		    0) == -1)
			fatal("reload: imsg");
	}
	close(mfd);
	if (n > 0) {
		log_warnx("reload: changed settings need a restart and were "
		    "kept: %s", restart);
		(void)snprintf(msg, size, "reloaded, needs restart: %s",
		    restart);
	} else
		(void)snprintf(msg, size, "reloaded");
	log_info("reload: configuration reloaded from %s", path);
	return (0);
}
