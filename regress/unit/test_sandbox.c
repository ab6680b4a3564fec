/*
 * Unit tests for common/sandbox.c.  Every check runs in a forked child
 * (a filter cannot be lifted); the child's exit status names the first
 * check that failed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox.h"

/* In a child: exit with code unless cond holds. */
#define CHECK(cond, code)	do {		\
	if (!(cond))				\
		_exit(code);			\
} while (0)

static char *const true_argv[] = { "true", NULL };
static char *const no_env[] = { NULL };

static void
quiet(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		(void)dup2(fd, STDERR_FILENO);
		if (fd != STDERR_FILENO)
			(void)close(fd);
	}
}

/* Runs fn in a child; returns its exit status (-1 if it did not exit). */
static int
in_child(void (*fn)(void *), void *arg)
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == 0) {
		fn(arg);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Reads status (opened before the filter) and looks for line. */
static int
status_has(int fd, const char *line)
{
	char	 buf[8192];
	ssize_t	 n;

	if (lseek(fd, 0, SEEK_SET) == -1)
		return 0;
	if ((n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, line) != NULL;
}

static void *
thread_fn(void *arg)
{
	return arg;
}

static int
thread_works(void)
{
	pthread_t	 t;
	int		 token;
	void		*ret = NULL;

	if (pthread_create(&t, NULL, thread_fn, &token) != 0)
		return 0;
	if (pthread_join(t, &ret) != 0)
		return 0;
	return ret == &token;
}

static int
exec_refused(void)
{
	errno = 0;
	return execve("/bin/true", true_argv, no_env) == -1 &&
	    errno == EPERM;
}

static int
fork_refused(void)
{
	pid_t	 pid;

	errno = 0;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid > 0) {
		(void)waitpid(pid, NULL, 0);
		return 0;
	}
	return errno == EPERM;
}

/* Always refused, every role. */
static int
common_refused(void)
{
	errno = 0;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		return 0;
	errno = 0;
	if (chroot("/") != -1 || errno != EPERM)
		return 0;
	errno = 0;
	if (syscall(SYS_io_uring_setup, 1, NULL) != -1 || errno != EPERM)
		return 0;
	errno = 0;
	if (syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 0;
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 0;
	return 1;
}

static void
child_network(void *arg)
{
	int	 fd, sfd;
	uid_t	 uid = getuid();

	quiet();
	sfd = open("/proc/self/status", O_RDONLY);
	CHECK(sfd != -1, 10);
	CHECK(status_has(sfd, "Seccomp:\t0"), 11);

	sandbox_drop(SANDBOX_NETWORK, NULL, NULL);

	CHECK(status_has(sfd, "Seccomp:\t2"), 12);
	CHECK(status_has(sfd, "NoNewPrivs:\t1"), 13);
	errno = 0;
	fd = open("/etc/hostname", O_RDONLY);
	CHECK(fd == -1 && errno == EPERM, 14);
	errno = 0;
	fd = openat(AT_FDCWD, "/tmp/x", O_WRONLY | O_CREAT, 0600);
	CHECK(fd == -1 && errno == EPERM, 15);
	CHECK(exec_refused(), 16);
	CHECK(fork_refused(), 17);
	errno = 0;
	CHECK(mkdir("/tmp/test_sandbox_no", 0700) == -1 && errno == EPERM,
	    18);
	errno = 0;
	CHECK(unlink("/tmp/test_sandbox_no") == -1 && errno == EPERM, 19);
	errno = 0;
	CHECK(setresuid(uid, uid, uid) == -1 && errno == EPERM, 20);
	errno = 0;
	CHECK(kill(getppid(), 0) == -1 && errno == EPERM, 21);
	CHECK(kill(getpid(), 0) == 0, 22);
	CHECK(common_refused(), 23);
	/* Still allowed: sockets (syslog), threads, I/O on open fds. */
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(fd != -1, 24);
	(void)close(fd);
	CHECK(thread_works(), 25);
	(void)close(sfd);
}

static void
child_files_role(void *arg)
{
	enum sandbox_role	 role = *(enum sandbox_role *)arg;
	int			 fd, sfd;

	quiet();
	sfd = open("/proc/self/status", O_RDONLY);
	CHECK(sfd != -1, 10);
	sandbox_drop(role, NULL, NULL);
	CHECK(status_has(sfd, "Seccomp:\t2"), 12);
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd != -1, 14);
	(void)close(fd);
	CHECK(exec_refused(), 16);
	CHECK(fork_refused(), 17);
	errno = 0;
	CHECK(kill(getppid(), 0) == -1 && errno == EPERM, 21);
	CHECK(common_refused(), 23);
	CHECK(thread_works(), 25);
}

static void
child_deliver(void *arg)
{
	struct passwd	*pw;
	pid_t		 pid;
	int		 fd, sfd, status;

	quiet();
	sfd = open("/proc/self/status", O_RDONLY);
	CHECK(sfd != -1, 10);
	sandbox_drop(SANDBOX_DELIVER, NULL, NULL);
	CHECK(status_has(sfd, "Seccomp:\t2"), 12);
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd != -1, 14);
	(void)close(fd);
	CHECK(exec_refused(), 16);
	CHECK(common_refused(), 23);

	/* Workers: fork, and (as root) change to the mailbox owner. */
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
			if (sandbox_user("nobody") != 0)
				_exit(1);
			if (getuid() != pw->pw_uid || getgid() != pw->pw_gid)
				_exit(2);
		}
		_exit(exec_refused() ? 0 : 3);
	}
	CHECK(pid > 0, 30);
	CHECK(waitpid(pid, &status, 0) == pid, 31);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, 32);
	/* Signals to workers stay possible. */
	CHECK(kill(getppid(), 0) == 0, 33);
}

static void
test_network(void **state)
{
	assert_int_equal(in_child(child_network, NULL), 0);
}

static void
test_queue(void **state)
{
	enum sandbox_role	 role = SANDBOX_QUEUE;

	assert_int_equal(in_child(child_files_role, &role), 0);
}

static void
test_lookup(void **state)
{
	enum sandbox_role	 role = SANDBOX_LOOKUP;

	assert_int_equal(in_child(child_files_role, &role), 0);
}

static void
test_deliver(void **state)
{
	assert_int_equal(in_child(child_deliver, NULL), 0);
}

static void
child_unknown_user(void *arg)
{
	quiet();
	sandbox_drop(SANDBOX_QUEUE, "no-such-user-immp-test", NULL);
	_exit(9);	/* must not get here */
}

static void
child_bad_chroot(void *arg)
{
	quiet();
	sandbox_drop(SANDBOX_QUEUE, NULL, "/nonexistent/immp-test");
	_exit(9);
}

static void
test_fail_closed(void **state)
{
	/* fatal() exits 1. */
	assert_int_equal(in_child(child_unknown_user, NULL), 1);
	assert_int_equal(in_child(child_bad_chroot, NULL), 1);
}

static void
child_sandbox_user(void *arg)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	quiet();
	errno = 0;
	CHECK(sandbox_user("no-such-user-immp-test") == -1, 1);
	CHECK(errno == ENOENT, 2);
	CHECK(sandbox_user(NULL) == -1 && errno == EINVAL, 3);
	/* Without root: only the identity the process already has. */
	if (geteuid() != 0) {
		pw = getpwuid(getuid());
		CHECK(pw != NULL, 4);
		if (getgid() == pw->pw_gid)
			CHECK(sandbox_user(pw->pw_name) == 0, 5);
		CHECK(sandbox_user("root") == -1 && errno == EPERM, 6);
		return;
	}
	if ((pw = getpwnam("nobody")) == NULL)
		return;
	uid = pw->pw_uid;	/* pw is overwritten by the next lookup */
	gid = pw->pw_gid;
	CHECK(sandbox_user("nobody") == 0, 7);
	CHECK(getuid() == uid && geteuid() == uid, 8);
	CHECK(getgid() == gid && getegid() == gid, 9);
	CHECK(sandbox_user("root") == -1 && errno == EPERM, 10);
	CHECK(getuid() == uid && geteuid() == uid, 11);
}

static void
test_sandbox_user(void **state)
{
	assert_int_equal(in_child(child_sandbox_user, NULL), 0);
}

static void
child_privsep(void *arg)
{
	const char	*dir = arg;
	struct passwd	*pw;
	struct stat	 st;
	gid_t		 groups[8];
	char		 cwd[PATH_MAX];
	uid_t		 ruid, euid, suid;
	gid_t		 rgid, egid, sgid;
	int		 sfd;

	quiet();
	pw = getpwnam("nobody");
	CHECK(pw != NULL, 1);
	sfd = open("/proc/self/status", O_RDONLY);
	CHECK(sfd != -1, 2);
	sandbox_drop(SANDBOX_QUEUE, "nobody", dir);

	CHECK(getresuid(&ruid, &euid, &suid) == 0, 3);
	CHECK(ruid == pw->pw_uid && euid == pw->pw_uid &&
	    suid == pw->pw_uid, 4);
	CHECK(getresgid(&rgid, &egid, &sgid) == 0, 5);
	CHECK(rgid == pw->pw_gid && egid == pw->pw_gid &&
	    sgid == pw->pw_gid, 6);
	CHECK(getgroups(8, groups) == 1 && groups[0] == pw->pw_gid, 7);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0, 8);
	CHECK(stat("/marker", &st) == 0, 9);	/* inside the chroot */
	CHECK(stat("/etc/passwd", &st) == -1, 10);
	CHECK(status_has(sfd, "Seccomp:\t2"), 11);
}

static void
test_privsep(void **state)
{
	char	 dir[] = "/tmp/test_sandbox.XXXXXX";
	char	 marker[sizeof(dir) + 16];
	int	 fd, rc;

	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	(void)snprintf(marker, sizeof(marker), "%s/marker", dir);
	fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd != -1);
	close(fd);
	rc = in_child(child_privsep, dir);
	(void)unlink(marker);
	(void)rmdir(dir);
	assert_int_equal(rc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_deliver),
		cmocka_unit_test(test_fail_closed),
		cmocka_unit_test(test_sandbox_user),
		cmocka_unit_test(test_privsep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
