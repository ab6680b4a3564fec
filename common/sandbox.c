/*
 * Privilege drop and sandbox (sandbox.h, DESIGN §3).
 *
 * Order in sandbox_drop: resolve the user (needs /etc/passwd, so before
 * chroot), chroot + chdir("/"), reset supplementary groups and set all
 * three gids then all three uids, verify, set PR_SET_NO_NEW_PRIVS, load
 * the role's seccomp filter.  Any failure is fatal.
 *
 * Seccomp policy.  The filter ALLOWS by default and refuses a fixed list
 * of system calls per role with EPERM (so the caller sees an ordinary
 * error).  A default-deny list would have to track every call glibc,
 * libevent, libtls and libsodium happen to make and would kill the
 * daemon on a library update; the deny list instead removes what an
 * attacker who took over a process needs to get further.  Only the
 * native ABI is allowed: a call through another ABI (i386 on x86_64)
 * kills the process (libseccomp's default bad-arch action).
 *
 * Every role:
 *   - no program execution: execve, execveat, uselib;
 *   - no debugging or reading other processes: ptrace,
 *     process_vm_readv/writev, pidfd_getfd, kcmp;
 *   - no mounts, namespaces or chroot: mount, umount2, pivot_root,
 *     chroot, the new mount API, unshare, setns, and clone with any
 *     CLONE_NEW* flag; clone3 fails with ENOSYS (its flags cannot be
 *     inspected) so that glibc falls back to clone;
 *   - no kernel attack surface a mail server never needs: bpf,
 *     perf_event_open, userfaultfd, io_uring_* (io_uring work is not
 *     seen by seccomp), keyctl, add_key, request_key,
 *     open_by_handle_at, name_to_handle_at, mknod, mknodat;
 *   - no system administration: kexec_*, *_module, reboot, swapon,
 *     swapoff, acct, quotactl, iopl, ioperm, personality, syslog (the
 *     kernel log; syslog(3) uses a socket), vhangup, settimeofday,
 *     clock_settime, clock_adjtime, adjtimex, sethostname,
 *     setdomainname.
 * NETWORK, QUEUE, LOOKUP additionally:
 *   - no identity change: set*uid, set*gid, setgroups, capset;
 *   - no new processes: fork, vfork, and clone without CLONE_THREAD
 *     (glibc's fork(2) is a clone call); threads remain possible;
 *   - signals only to itself: kill, tgkill, rt_sigqueueinfo and
 *     rt_tgsigqueueinfo only with its own pid; tkill and
 *     pidfd_send_signal refused (network and lookup share a user).
 * NETWORK additionally (it holds only descriptors it was given):
 *   - no opening or creating files: open, openat, openat2, creat;
 *   - no changes to the file system: unlink*, rename*, mkdir*, rmdir,
 *     link*, symlink*, chmod family, chown family, truncate, utime
 *     family, extended attribute setters.
 * LOOKUP additionally (it only reads tables, reopened by absolute path
 * when they change, so it keeps read access but no chroot):
 *   - open and openat only read-only: any of O_WRONLY, O_RDWR, O_CREAT,
 *     O_TRUNC is refused; openat2 and creat refused (openat2's flags
 *     sit in a structure seccomp cannot read; glibc uses openat);
 *   - the same changes to the file system as NETWORK refused.
 * QUEUE keeps file access (its chroot is its spool).  DELIVER keeps fork
 * and the set*id calls (its workers change to the mailbox owner) and
 * file access, but may not execute programs.
 *
 * Test hook: with IMMPD_SANDBOX_PROBE=1 in the environment, every process
 * tries, right after its filter is loaded, to open /etc/passwd for
 * reading and for writing (O_WRONLY|O_APPEND: nothing is written even if
 * it opened) and to execute /bin/true, and logs one line per attempt
 * (see sandbox_probe).  Refused calls fail with an errno, they do not
 * kill, so the process carries on and serves normally afterwards.
 *
 * On Linux/x86_64 and arm64 the clone flags are the first argument;
 * that is what the clone rules inspect.
 */

#include <sys/types.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

static const char *const deny_all[] = {
	"execve", "execveat", "uselib",
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
	"kcmp",
	"mount", "umount2", "pivot_root", "chroot", "move_mount",
	"open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr", "unshare", "setns",
	"bpf", "perf_event_open", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"keyctl", "add_key", "request_key",
	"open_by_handle_at", "name_to_handle_at", "mknod", "mknodat",
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
	"iopl", "ioperm", "personality", "syslog", "vhangup",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname",
	NULL
};

static const char *const deny_setid[] = {
	"setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setfsuid", "setfsgid", "setgroups", "capset",
	NULL
};

static const char *const deny_procs[] = {
	"fork", "vfork", "tkill", "pidfd_send_signal",
	NULL
};

static const char *const deny_open[] = {
	"open", "openat", "openat2", "creat",
	NULL
};

static const char *const deny_fs_change[] = {
	"unlink", "unlinkat", "rename", "renameat", "renameat2",
	"mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink",
	"symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
	"lchown", "fchownat", "truncate", "utime", "utimes", "utimensat",
	"futimesat", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
	"lremovexattr", "fremovexattr",
	NULL
};

/* Signals may only go to the calling process (first argument). */
static const char *const self_signal[] = {
	"kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	NULL
};

static const uint64_t clone_ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME
};

static const char *
role_name(enum sandbox_role role)
{
	switch (role) {
	case SANDBOX_NETWORK:
		return "network";
	case SANDBOX_QUEUE:
		return "queue";
	case SANDBOX_LOOKUP:
		return "lookup";
	case SANDBOX_DELIVER:
		return "deliver";
	}
	return "unknown";
}

/*
 * resolve: the native number of a system call name, or -1 if it does
 * not exist on this architecture (then it cannot be called and needs
 * no rule).  A name libseccomp does not know is a bug in our lists.
 */
static int
resolve(const char *name)
{
	int	 nr;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		fatalx("sandbox: unknown system call %s", name);
	return nr < 0 ? -1 : nr;
}

static void
deny_list(scmp_filter_ctx ctx, const char *const *names)
{
	int	 nr, rc;

	for (; *names != NULL; names++) {
		if ((nr = resolve(*names)) == -1)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr,
		    0)) != 0)
			fatalx("sandbox: rule for %s: error %d", *names, rc);
	}
}

static void
rule_arg(scmp_filter_ctx ctx, uint32_t action, const char *name,
    struct scmp_arg_cmp cmp)
{
	int	 nr, rc;

	if ((nr = resolve(name)) == -1)
		return;
	if ((rc = seccomp_rule_add(ctx, action, nr, 1, cmp)) != 0)
		fatalx("sandbox: rule for %s: error %d", name, rc);
}

/*
 * deny_open_write: open (flags: second argument) and openat (third)
 * refused with EPERM if they ask for write access, creation or
 * truncation; openat2 and creat refused outright.
 */
static void
deny_open_write(scmp_filter_ctx ctx)
{
	static const char *const refused[] = { "openat2", "creat", NULL };
	static const uint64_t	 masks[][2] = {
		{ O_ACCMODE, O_WRONLY }, { O_ACCMODE, O_RDWR },
		{ O_CREAT, O_CREAT }, { O_TRUNC, O_TRUNC },
	};
	size_t			 i;

	deny_list(ctx, refused);
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		rule_arg(ctx, SCMP_ACT_ERRNO(EPERM), "open",
		    SCMP_A1(SCMP_CMP_MASKED_EQ, masks[i][0], masks[i][1]));
		rule_arg(ctx, SCMP_ACT_ERRNO(EPERM), "openat",
		    SCMP_A2(SCMP_CMP_MASKED_EQ, masks[i][0], masks[i][1]));
	}
}

static void
sandbox_seccomp(enum sandbox_role role)
{
	scmp_filter_ctx	 ctx;
	const char	*const *p;
	size_t		 i;
	uint64_t	 self;
	int		 nr, rc;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		fatalx("sandbox: seccomp_init failed");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0)
		fatalx("sandbox: seccomp_attr_set: error %d", rc);

	deny_list(ctx, deny_all);
	if ((nr = resolve("clone3")) != -1 &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) != 0)
		fatalx("sandbox: rule for clone3: error %d", rc);
	for (i = 0; i < sizeof(clone_ns_flags) / sizeof(clone_ns_flags[0]);
	    i++)
		rule_arg(ctx, SCMP_ACT_ERRNO(EPERM), "clone",
		    SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i],
		    clone_ns_flags[i]));

	if (role == SANDBOX_NETWORK)
		deny_list(ctx, deny_open);
	if (role == SANDBOX_LOOKUP)
		deny_open_write(ctx);
	if (role == SANDBOX_NETWORK || role == SANDBOX_LOOKUP)
		deny_list(ctx, deny_fs_change);

	switch (role) {
	case SANDBOX_NETWORK:
	case SANDBOX_QUEUE:
	case SANDBOX_LOOKUP:
		deny_list(ctx, deny_setid);
		deny_list(ctx, deny_procs);
		rule_arg(ctx, SCMP_ACT_ERRNO(EPERM), "clone",
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
		self = (uint64_t)getpid();
		for (p = self_signal; *p != NULL; p++)
			rule_arg(ctx, SCMP_ACT_ERRNO(EPERM), *p,
			    SCMP_A0(SCMP_CMP_NE, self));
		break;
	case SANDBOX_DELIVER:
		break;
	default:
		fatalx("sandbox: unknown role %d", (int)role);
	}

	if ((rc = seccomp_load(ctx)) != 0)
		fatalx("sandbox: seccomp_load: error %d", rc);
	seccomp_release(ctx);
	log_debug("sandbox: %s filter loaded", role_name(role));
}

/*
 * set_ids: supplementary groups reset to gid, then real, effective and
 * saved gid and uid; verified afterwards.  Without root this only
 * succeeds if the ids already are the requested ones.  0 or -1.
 */
static int
set_ids(uid_t uid, gid_t gid)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid;

	if (geteuid() != 0) {
		if (getresuid(&ruid, &euid, &suid) == -1 ||
		    getresgid(&rgid, &egid, &sgid) == -1)
			return -1;
		if (ruid != uid || euid != uid || suid != uid ||
		    rgid != gid || egid != gid || sgid != gid) {
			errno = EPERM;
			return -1;
		}
		return 0;
	}

	if (setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return -1;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		return -1;
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
sandbox_user(const char *user)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	if (user == NULL) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	endpwent();
	return set_ids(uid, gid);
}

void
sandbox_drop(enum sandbox_role role, const char *user, const char *root)
{
	struct passwd	*pw;
	const char	*probe;
	uid_t		 uid = 0;
	gid_t		 gid = 0;

	if (user != NULL) {
		if ((pw = getpwnam(user)) == NULL)
			fatalx("sandbox: unknown user %s", user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		endpwent();
	}
	if (root != NULL) {
		if (chroot(root) == -1)
			fatal("sandbox: chroot %s", root);
		if (chdir("/") == -1)
			fatal("sandbox: chdir /");
	}
	if (user != NULL && set_ids(uid, gid) == -1)
		fatal("sandbox: cannot change to user %s", user);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
	sandbox_seccomp(role);

	if ((probe = getenv("IMMPD_SANDBOX_PROBE")) != NULL &&
	    strcmp(probe, "1") == 0)
		sandbox_probe(role_name(role));
}

/* One probe line: "refused (errno text)" or "ALLOWED". */
static void
probe_log(const char *role, const char *what, int ok, int saved)
{
	if (ok)
		log_warnx("sandbox probe: %s: %s: ALLOWED", role, what);
	else
		log_info("sandbox probe: %s: %s: refused (%s)", role, what,
		    strerror(saved));
}

void
sandbox_probe(const char *role)
{
	char *const	 argv[] = { (char *)"true", NULL };
	char *const	 envp[] = { NULL };
	int		 fd;

	errno = 0;
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	probe_log(role, "open /etc/passwd", fd != -1, errno);
	if (fd != -1)
		close(fd);

	errno = 0;
	fd = open("/etc/passwd", O_WRONLY | O_APPEND | O_CLOEXEC);
	probe_log(role, "open /etc/passwd for writing", fd != -1, errno);
	if (fd != -1)
		close(fd);

	/* If this ever succeeds the process becomes true(1) and exits. */
	log_info("sandbox probe: %s: exec /bin/true: trying", role);
	errno = 0;
	execve("/bin/true", argv, envp);
	probe_log(role, "exec /bin/true", 0, errno);
}
