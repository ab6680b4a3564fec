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
	SANDBOX_LOOKUP,		/* open tables read-only, no exec */
	SANDBOX_DELIVER,	/* root: fork, setuid in workers, files */
};

/*
 * sandbox_drop: if user is non-NULL, looks it up, chroots into root
 * (when non-NULL) and changes to its uid/gid (all three ids, with
 * supplementary groups reset); then applies the role's seccomp filter
 * and PR_SET_NO_NEW_PRIVS.  Fatal on any failure (fail closed).
 */
void	 sandbox_drop(enum sandbox_role, const char *user, const char *root);

/* sandbox_user: changes to uid/gid of pw name; -1 on failure. */
int	 sandbox_user(const char *user);

#endif
