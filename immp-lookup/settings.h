/*
 * The account settings store of immp-lookup (SET GLOBAL, draft 8.9.1,
 * immp(7) SET; immpd.conf(5) "settings"): one Berkeley DB hash file,
 * key the canonical account (auth_account_key), value the text record
 *
 *   record = *( line LF )
 *   line   = "compression=" 1DIGIT / "notify=" 1DIGIT / "block=" entry
 * with each scalar at most once, at most IPC_SET_BLOCK_MAX block lines,
 * every entry canonical (set_block_entry) and not repeated.  A record
 * that breaks these rules is refused (logged; the account then gets
 * IPC_TEMPFAIL, never silently repaired defaults).  The file is opened
 * read-write before the sandbox (which forbids opening files for
 * writing) and flushed with DB->sync after every change.
 */
#ifndef IMMP_LOOKUP_SETTINGS_H
#define IMMP_LOOKUP_SETTINGS_H

#include <stddef.h>

#include "ipc_set.h"

struct immpd_conf;
struct imsgev;
struct imsg;

struct acct_settings {
	int	 compression;	/* SET_COMP_* */
	int	 notify;	/* SET_NOTIFY_* */
	size_t	 nblock;
	char	 block[IPC_SET_BLOCK_MAX][IPC_SET_VALUE_MAX];
};

/*
 * settings_init: opens (creating it and its directory, mode 0700, if
 * needed) the store named by conf (conf_settings_path) and remembers
 * the network channel for the answers.  A store that cannot be opened
 * is logged, not fatal: SET GLOBAL then answers 740 and sessions keep
 * the defaults.
 */
void	 settings_init(struct immpd_conf *conf, struct imsgev *network);

/*
 * settings_get: the settings of account (as authenticated) into *out;
 * an account without a record gets the defaults.  0, or -1 if the store
 * is unavailable or the record is refused (logged).
 */
int	 settings_get(const char *account, struct acct_settings *out);

/*
 * settings_dispatch: handles IMSG_SET_REQ (ipc_set.h) from the network
 * process: answers with IMSG_SET_ITEMs and IMSG_SET_RESULT.  Returns 1
 * if the imsg was one of those, else 0.  A malformed request is fatal.
 */
int	 settings_dispatch(struct imsg *);

/*
 * settings_decode: parses a stored record (len octets, not
 * NUL-terminated) into *out by the rules above.  0 or -1.  For the
 * unit tests.
 */
int	 settings_decode(const char *rec, size_t len,
	    struct acct_settings *out);

/* settings_shutdown: closes the store. */
void	 settings_shutdown(void);

#endif
