/*
 * Privilege drop and sandbox (DESIGN §3): chroot, setresgid/setresuid,
 * and a libseccomp filter per process role on Linux.  In unprivileged
 * development mode (immpd -u) no chroot or user change happens but the
 * seccomp filter is still applied (it needs no privilege).
 */
#ifndef IMMP_SANDBOX_H
#define IMMP_SANDBOX_H

enum sandbox_role {
	SANDBOX_NETWORK,	/* no open, no exec, no fork */
	SANDBOX_QUEUE,		/* files under its chroot, no exec */
	SANDBOX_LOOKUP,		/* open files read-only, no exec */
	SANDBOX_DELIVER,	/* root: fork, setuid in workers, files */
};

/*
 * sandbox_drop: if user is non-NULL, looks it up (before any chroot);
 * if root is non-NULL, chroots into it and changes to "/"; if user is
 * non-NULL, changes to its uid/gid (all three ids, with supplementary
 * groups reset to its group); then sets PR_SET_NO_NEW_PRIVS and applies
 * the role's seccomp filter (policy in sandbox.c: refused calls fail
 * with EPERM); then, if IMMPD_SANDBOX_PROBE=1 is set, sandbox_probe().
 * Development mode passes NULL, NULL: only the filter.
 * Fatal on any failure (fail closed).  Call it once, after every file
 * the process needs is open; the filter cannot be lifted.
 */
void	 sandbox_drop(enum sandbox_role, const char *user, const char *root);

/*
 * sandbox_probe: test hook, called by sandbox_drop when the environment
 * holds IMMPD_SANDBOX_PROBE=1.  Tries to open /etc/passwd for reading,
 * then for writing (O_WRONLY|O_APPEND, nothing written), then to execve
 * /bin/true, and logs one line per attempt: "sandbox probe: <role>:
 * <what>: refused (<strerror>)" at info level, or "...: ALLOWED" as a
 * warning.  role is a name for the log only.  The sandbox makes refused
 * calls fail with an errno, so the probe returns; should exec ever
 * succeed, the process becomes true(1) and exits 0.  DESIGN §3.
 */
void	 sandbox_probe(const char *role);

/*
 * sandbox_user: changes to uid/gid of pw name (all three ids,
 * supplementary groups reset).  Without root it succeeds only if the
 * process already runs as that user.  0, or -1 with errno.
 */
int	 sandbox_user(const char *user);

#endif
