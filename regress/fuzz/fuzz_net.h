/*
 * What the stand-ins of fuzz_netstub.c recorded (see there): the last
 * reply, the last imsg, the wait and the input mode a command asked for.
 */
#ifndef IMMP_FUZZ_NET_H
#define IMMP_FUZZ_NET_H

#include <sys/types.h>
#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "conf.h"
#include "imsg.h"
#include "ipc.h"
#include "spool.h"
#include "session.h"

struct fuzz_net {
	int		 nreply;	/* replies so far */
	int		 code;		/* code of the last one */
	char		 text[1024];	/* its text */
	int		 ncompose;	/* imsgs composed */
	uint32_t	 type;		/* type of the last one */
	size_t		 len;		/* its length */
	uint8_t		 payload[8192];	/* its payload, if it fits */
	enum session_wait wait;		/* last session_wait */
	uint64_t	 waitid;
	uint64_t	 reqid;		/* last id handed out */
	enum session_input input;	/* set by session_literal/b64lines */
	uint64_t	 litlen;	/* session_literal's n */
	int		 last_cmd;	/* what session_last_cmd answers */
	int		 skipped;	/* session_skip_rest calls */
	int		 closed;	/* session_close calls */
	int		 gzip;		/* what set_compression answers */
};

extern struct fuzz_net	fuzz_net;

/* fuzz_net_reset: clears fuzz_net and the fake env; last_cmd = 1. */
void	fuzz_net_reset(void);

#endif
