/* immpctl(8) secret generate (pins.h): the AUTH COOKIE domain secret. */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "conf.h"
#include "immpctl.h"
#include "pins.h"
#include "util.h"

#define SECRET_LEN	32

int
cmd_secret(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	struct passwd		*pw;
	uint8_t			 key[SECRET_LEN];
	char			 path[CONF_PATH_MAX], tmp[CONF_PATH_MAX + 8];
	char			 dir[CONF_PATH_MAX];
	int			 force = 0, fd, dfd, i = 2;

	if (argc < 2 || strcmp(argv[1], "generate") != 0)
		usage();
	if (argc > i && strcmp(argv[i], "-F") == 0) {
		force = 1;
		i++;
	}
	immpctl_conf(&conf);
	if (argc == i + 1)
		(void)strlcpy(path, argv[i], sizeof(path));
	else if (argc == i && conf.domain_secret[0] != '\0')
		(void)strlcpy(path, conf.domain_secret, sizeof(path));
	else
		usage();
	if (!force && access(path, F_OK) == 0)
		errx(1, "%s exists (use -F to replace it: every host of the "
		    "domain needs the new file)", path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		errx(1, "%s: path too long", path);
	randombytes_buf(key, sizeof(key));
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		err(1, "%s", tmp);
	if (write_full(fd, key, sizeof(key)) == -1 || fsync(fd) == -1) {
		(void)unlink(tmp);
		err(1, "%s", tmp);
	}
	sodium_memzero(key, sizeof(key));
	if (geteuid() == 0 && (pw = getpwnam(conf.user)) != NULL &&
	    fchown(fd, pw->pw_uid, pw->pw_gid) == -1) {
		(void)unlink(tmp);
		err(1, "%s: chown", tmp);
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		err(1, "rename %s", path);
	}
	(void)strlcpy(dir, path, sizeof(dir));
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	conf_clear(&conf);
	printf("%s: new domain secret (%d octets)\n", path, SECRET_LEN);
	return (0);
}
