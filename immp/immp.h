/*
 * immp(1): the user's command-line client.  Shared declarations of
 * immp.c (options), auth.c (AUTH SECRET) and send.c (DELIVER/DATA).
 */
#ifndef IMMP_IMMP_H
#define IMMP_IMMP_H

#include <stddef.h>

#include "conn.h"

#define IMMP_MAXRCPT	100	/* immp(7) DELIVER */
#define IMMP_MAXPARTS	256	/* immp(7) DATA */
#define IMMP_MAXFILE	(1024UL * 1024 * 1024)	/* refuse larger inputs */

/* One DATA block (immp(7) DATA). */
struct part {
	char		*name;		/* sent as NAME, owned */
	const char	*type;		/* MIME type, static or argv */
	int		 content;	/* +CONTENT: part of the body */
	char		*data;		/* octets, owned */
	size_t		 len;
};

/*
 * auth_secret: runs AUTH SECRET for account (immp(7) AUTH SECRET,
 * DESIGN §5) on an upgraded connection: derives SaltedPassword from
 * password[0..pwlen) with the server's salt and Argon2id parameters,
 * binds to the server certificate, sends the ClientProof and checks the
 * ServerSignature of the 210 reply in constant time.  The password is
 * not changed; every derived key is wiped.  Returns 0, EXIT_PERM
 * (refused, bad signature) or EXIT_TEMP (throttled, network).
 */
int	 auth_secret(struct conn *c, const char *account, const char *device,
	    const char *password, size_t pwlen);

/*
 * send_message: DELIVER TO rcpt[0..nrcpt), the parts as pipelined DATA
 * blocks ("AS p<N>"), then DONE.  On 273 the message UUID is written to
 * uuid (size uuidsz).  Returns 0, EXIT_PERM or EXIT_TEMP, after printing
 * the server's reply for a refusal.
 */
int	 send_message(struct conn *c, char *const *rcpt, int nrcpt,
	    const struct part *parts, int nparts, char *uuid, size_t uuidsz);

/*
 * send_quote_word: writes w into out (size outsz) as an immp(7) command
 * word: as is when it is printable ASCII without SP, ';', '"' and '\\'
 * and does not start with '+' or '-' (a switch), else quoted.  Returns 0,
 * or -1 if w holds a control character or does not fit.
 */
int	 send_quote_word(const char *w, char *out, size_t outsz);

/* send_guess_type: the MIME type for a file name, by its extension. */
const char	*send_guess_type(const char *name);

/*
 * immp_name_in: 1 if name is one of names[], an array ended by NULL
 * (the subcommand names of mbox.c and push.c), else 0.  Compares whole
 * strings, case-sensitively.
 */
int	 immp_name_in(const char *name, const char *const *names);

/* mbox.c -- mailbox commands (immp(7) MBOX, NOTIFICATIONS). */

#define MBOX_ARGS_MAX	20

/* A mailbox command line, parsed before connecting. */
struct mbox_args {
	const char	*cmd;		/* "check", "index", ... */
	const char	*args[MBOX_ARGS_MAX];	/* operands (argv) */
	int		 nargs;
	int		 recursive;	/* check -r */
	int		 json, pretty;	/* index/fetch --json, --pretty */
	int		 keep_unread;	/* fetch --keep-unread: -READ */
	const char	*output;	/* fetch -o file */
	const char	*part;		/* fetch --part id */
	const char	*sel;		/* index selector, "all" */
	const char	*since, *limit, *from;	/* index, digits only */
};

/* mbox_is_cmd: 1 if name is a mailbox command of immp(1). */
int	 mbox_is_cmd(const char *name);

/*
 * mbox_parse: parses argv[0..argc) (argv[0] the command) into *a; the
 * strings stay in argv.  Returns 0, or -1 for a usage error (a reason
 * may have been printed).
 */
int	 mbox_parse(int argc, char **argv, struct mbox_args *a);

/*
 * mbox_run: runs the command on a logged-in connection (LOCAL state):
 * prints the answer's data to stdout (fetch: the message octets, to
 * stdout or -o file; watch: the notification lines until SIGINT).
 * Returns 0, EXIT_PERM (4xx, usage) or EXIT_TEMP (7xx, network), after
 * printing the server's reply for a refusal.
 */
int	 mbox_run(struct conn *c, struct mbox_args *a);

/* push.c -- subscriptions and pushes (immp(7) PUSH, PUBLISH, SUBSCRIBE) */

#define PUSH_ARGS_MAX	4

struct push_args {
	const char	*cmd;		/* "subscribe", "push", ... */
	const char	*args[PUSH_ARGS_MAX];	/* operands (argv) */
	int		 nargs;
	const char	*rcpt[IMMP_MAXRCPT];	/* push -t */
	int		 nrcpt;
	const char	*from;		/* push -f node */
	const char	*title;		/* publish --create title */
	int		 delete_node;	/* publish --delete */
	int		 important;	/* -i: +IMPORTANT */
};

/* push_is_cmd: 1 if name is one of the subcommands of push.c. */
int	 push_is_cmd(const char *name);

/*
 * push_parse: the subcommand argv[0] with its options and operands
 * (pointers into argv) into *a.  0, or -1 for a usage error: among
 * others a push -t without "@" (a domain, draft 3.4.1) that is not the
 * only -t, and publish --delete with --create, -i or a file.  The
 * operands' grammar (nodes, links, UUIDs, IMIDs, domains) is checked by
 * push_run.
 */
int	 push_parse(int argc, char **argv, struct push_args *a);

/*
 * push_run: runs a on the logged-in connection c; prints the answer
 * lines.  Returns 0 or an exit status (EXIT_PERM, EXIT_TEMP).
 */
int	 push_run(struct conn *c, struct push_args *a);

/*
 * push_notify: for a live push line r (160, 161) in watch: a desktop
 * notification through notify-send if it is installed (fixed argv, no
 * shell); nothing otherwise.
 */
void	 push_notify(const struct reply *r);

#endif
