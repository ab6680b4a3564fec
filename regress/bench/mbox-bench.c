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
 * immp-mbox-bench: the store side of MBOX timed in-process
 * (regress/bench/mbox-bench.sh).
 *
 *   immp-mbox-bench fill MAILDIR N    writes N messages into MAILDIR/cur
 *                                     (IMMP file names, every third one
 *                                     seen), prints one UUID
 *   immp-mbox-bench time MAILDIR UUID builds the index (first CHECK),
 *                                     waits until the folder has
 *                                     settled, then times CHECK, INDEX
 *                                     of the whole INBOX, CHECK after a
 *                                     file appeared in new/, and FETCH
 *                                     of UUID (-READ), each the median
 *                                     of several runs
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc.h"
#include "ipc_mbox.h"
#include "log.h"
#include "util.h"
#include "mbox_index.h"
#include "mbox_ops.h"

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
dcmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
noevent(const struct ipc_mbox_event *ev, void *arg)
{
}

static int
fill(const char *root, long n)
{
	char	path[2048], uuid[37], first[37] = "";
	FILE	*f;
	long	i;
	time_t	t = time(NULL) - n;

	if (mkdirs(root, 0700) == -1)
		return 1;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", root,
		    i == 0 ? "cur" : i == 1 ? "new" : "tmp");
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return 1;
	}
	for (i = 0; i < n; i++) {
		uuid_generate_v4(uuid);
		if (i == n / 2)
			strlcpy(first, uuid, sizeof(first));
		snprintf(path, sizeof(path), "%s/cur/%lld.%s.bench:2,%s", root,
		    (long long)(t + i), uuid, i % 3 == 0 ? "S" : "");
		if ((f = fopen(path, "w")) == NULL)
			return 1;
		fprintf(f, "Return-Path: <sender%ld@example.org>\n"
		    "IMMP-UUID: %s\n"
		    "Message-ID: <%s@example.org>\n"
		    "Date: Wed, 25 Nov 2026 14:00:00 +0000\n"
		    "From: Sender %ld <sender%ld@example.org>\n"
		    "To: bench@demo.test\n"
		    "Subject: =?UTF-8?Q?Benchmark_message_=C3=BC_number_%ld?=\n"
		    "MIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=utf-8\n\n"
		    "Message body %ld.\nA second line of text.\n",
		    i % 97, uuid, uuid, i % 97, i % 97, i, i);
		if (fclose(f) == EOF)
			return 1;
	}
	printf("%s\n", first);
	return 0;
}

/* Runs q k times; returns the median in ms; *out the last answer. */
static double
timed(const char *root, struct ipc_mbox_req *q, int k,
    struct ipc_mbox_res *res, uint64_t *octets)
{
	double	v[64], t0;
	int	i, fd;

	for (i = 0; i < k; i++) {
		t0 = now();
		mbox_request(q, root, res, &fd, noevent, NULL);
		v[i] = (now() - t0) * 1000;
		*octets = res->length;
		if (fd != -1)
			close(fd);
	}
	qsort(v, k, sizeof(v[0]), dcmp);
	return v[k / 2];
}

static void
req(struct ipc_mbox_req *q, int op, const char *uuid)
{
	memset(q, 0, sizeof(*q));
	q->op = op;
	strlcpy(q->account, "bench@demo.test", sizeof(q->account));
	strlcpy(q->mailbox, "bench@demo.test", sizeof(q->mailbox));
	strlcpy(q->folder, "/INBOX", sizeof(q->folder));
	if (uuid != NULL) {
		strlcpy(q->uuid, uuid, sizeof(q->uuid));
		q->flags = MBOXF_NOREAD;
	}
}

static int
run(const char *root, const char *uuid)
{
	struct ipc_mbox_req	q;
	struct ipc_mbox_res	res;
	uint64_t		octets;
	double			t;

	req(&q, MBOX_OP_CHECK, NULL);
	t = timed(root, &q, 1, &res, &octets);
	printf("  index build (first CHECK)   %9.1f ms   %d %s\n", t, res.code,
	    res.text);
	sleep(MBOX_SETTLE + 1);
	t = timed(root, &q, 51, &res, &octets);
	printf("  MBOX CHECK                  %9.3f ms   (median of 51)\n", t);
	req(&q, MBOX_OP_INDEX, NULL);
	t = timed(root, &q, 5, &res, &octets);
	printf("  MBOX INDEX /INBOX           %9.1f ms   (median of 5; %s; "
	    "%llu octets)\n", t, res.text, (unsigned long long)octets);
	q.flags = MBOXF_JSON;
	t = timed(root, &q, 3, &res, &octets);
	printf("  MBOX INDEX /INBOX +JSON     %9.1f ms   (median of 3; "
	    "%llu octets)\n", t, (unsigned long long)octets);
	/* One message more in new/: the next CHECK rescans. */
	{
		char	 path[2048], id[37];
		FILE	*f;

		uuid_generate_v4(id);
		snprintf(path, sizeof(path), "%s/new/%lld.%s.bench", root,
		    (long long)time(NULL), id);
		if ((f = fopen(path, "w")) == NULL)
			return 1;
		fprintf(f, "From: x@example.org\nSubject: late\n\nbody\n");
		fclose(f);
		req(&q, MBOX_OP_CHECK, NULL);
		t = timed(root, &q, 1, &res, &octets);
		printf("  MBOX CHECK after a delivery %9.1f ms   (new/ "
		    "rescanned)\n", t);
		t = timed(root, &q, 1, &res, &octets);
		printf("  MBOX CHECK within 2 s       %9.1f ms   (new/ "
		    "rescanned again)\n", t);
		sleep(MBOX_SETTLE + 1);
	}
	/* Another program flags a message: cur/ changed, full rescan. */
	{
		char		 from[2048], to[2100];
		struct dirent	*de;
		DIR		*d;

		snprintf(from, sizeof(from), "%s/cur", root);
		if ((d = opendir(from)) == NULL)
			return 1;
		while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
			;
		if (de == NULL)
			return 1;
		snprintf(from, sizeof(from), "%s/cur/%s", root, de->d_name);
		snprintf(to, sizeof(to), "%s%s", from,
		    strchr(de->d_name, ':') ? "F" : ":2,F");
		closedir(d);
		if (rename(from, to) == -1)
			return 1;
		req(&q, MBOX_OP_CHECK, NULL);
		t = timed(root, &q, 1, &res, &octets);
		printf("  MBOX CHECK after a flag     %9.1f ms   (cur/ changed "
		    "by another program: full rescan)\n", t);
		sleep(MBOX_SETTLE + 1);
	}
	req(&q, MBOX_OP_FETCH, uuid);
	t = timed(root, &q, 21, &res, &octets);
	printf("  MBOX FETCH -READ            %9.3f ms   (median of 21; %d, "
	    "%llu octets)\n", t, res.code, (unsigned long long)octets);
	q.flags |= MBOXF_JSON;
	t = timed(root, &q, 21, &res, &octets);
	printf("  MBOX FETCH -READ +JSON      %9.3f ms   (median of 21; %d)\n",
	    t, res.code);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (sodium_init() < 0)
		return 1;
	log_init(1, 0);
	if (argc == 4 && strcmp(argv[1], "fill") == 0)
		return fill(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "time") == 0) {
		mbox_gmime_init();
		return run(argv[2], argv[3]);
	}
	fprintf(stderr, "usage: immp-mbox-bench fill MAILDIR N | "
	    "time MAILDIR UUID\n");
	return 1;
}
