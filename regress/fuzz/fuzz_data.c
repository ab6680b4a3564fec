/*
 * fuzz_data: DATA framing as the network process reads it
 * (immpd/message.c, immp(7) DATA, DESIGN §5 Literals): the DATA words
 * (data_parse), then the part's octets -- a LENGTH literal, raw or
 * base64, or +BASE64 lines up to two empty lines -- fed in chunks to
 * msg_input / msg_line and closed with msg_part_end, into a real spool
 * writer on a memfd.  The session stand-ins are in fuzz_netstub.c; the
 * line reader of session.c is imitated here (input mode from
 * session_literal / session_b64lines).
 *
 * Input: octet 0 selects the chunk size (bits 3-6), COMPRESSION=GZIP
 * (bit 7: the part is inflated, zlit.c) and the session state; then
 * one command line up to LF; the rest is what follows the line.
 *
 * Properties: DATA outside an open message or with bad words gets one
 * 4xx, and the data that follows it (if its words say some does) gets
 * no reply at all; an accepted DATA says 271 and picks exactly one
 * mode; a part answered 272 is in the spool file (which reads back with
 * spool_read_index) with exactly the octets sent, or for base64 exactly
 * what an independent decoder makes of the text; text with a non-base64
 * character or bad padding is never answered 272; canonical base64 in a
 * part that fits is never refused; nothing leaks a descriptor.
 */

#include <string.h>
#include <unistd.h>

#include "util.h"
#include "fuzz.h"
#include "fuzz_net.h"

#define MAX_SIZE	(64 * 1024)

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Independent decoder: text (CR, LF already removed) of 4-character
 * groups, "=" only as the last one or two characters.  Returns the
 * decoded length or -1; *canon is 1 if the unused bits are zero.
 */
static long
oracle(const char *t, size_t n, uint8_t *out, int *canon)
{
	size_t	 i, o = 0;
	int	 v[4], pad, k;

	*canon = 1;
	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (t[i + k] == '=') {
				if (i + 4 != n || k < 2)
					return -1;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad || (v[k] = b64val(t[i + k])) == -1)
				return -1;
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)(v[2] << 6 | v[3]);
		if ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3)))
			*canon = 0;
	}
	return (long)o;
}

/* The octets of the only part of the finished spool file, or -1. */
static long
spool_part(int fd, uint8_t *buf, size_t size)
{
	struct spool_part	parts[2];
	int			n;

	if (spool_read_index(fd, parts, 2, &n) == -1 || n != 1 ||
	    parts[0].length > size)
		return -1;
	if (pread(fd, buf, parts[0].length, parts[0].offset) !=
	    (ssize_t)parts[0].length)
		return -1;
	return (long)parts[0].length;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session	 s;
	static struct cmd	 cmds[CMD_MAXCMDS];
	static char		 line[CMD_MAXLINE + 2];
	static uint8_t		 sent[MAX_SIZE * 2], want[MAX_SIZE * 2];
	static uint8_t		 got[MAX_SIZE * 2];
	static char		 text[MAX_SIZE * 4];
	struct message		*m;
	const uint8_t		*rest, *nl, *p, *end;
	const char		*err;
	size_t			 len, nrest, chunk, ntext = 0, nsent = 0, n, k;
	long			 wantlen = -1, gotlen;
	int			 fds, base64 = 0, canon = 0, empties, complete;
	int			 refused;

	if (size < 2 || size > sizeof(sent))
		return 0;
	chunk = 1 + ((data[0] >> 3) & 0xf) * 37;
	if ((nl = memchr(data + 1, '\n', size - 1)) == NULL ||
	    (len = nl - (data + 1)) > CMD_MAXLINE)
		return 0;
	memcpy(line, data + 1, len);
	line[len] = '\0';
	rest = nl + 1;
	nrest = size - (rest - data);
	if (cmd_parse_line(line, len, cmds, CMD_MAXCMDS, &n, &err) == -1 ||
	    n == 0)
		return 0;

	fds = fuzz_fd_count();
	fuzz_net_reset();
	fuzz_net.last_cmd = n == 1;
	fuzz_net.gzip = (data[0] & 0x80) != 0;
	memset(&s, 0, sizeof(s));
	s.state = (data[0] & 1) ? STATE_LOCAL : STATE_REMOTE;
	if (data[0] & 2)
		s.state = STATE_UNENCRYPTED;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return 0;
	m->state = (data[0] & 4) ? MSG_OPEN : MSG_RCPT;
	m->max_size = MAX_SIZE;
	(void)strlcpy(m->uuid, "00000000-0000-4000-8000-000000000000",
	    sizeof(m->uuid));
	if ((m->fd = fuzz_memfd("spool", "", 0)) == -1) {
		free(m);
		return 0;
	}
	FUZZ_ASSERT(spool_w_init(&m->sw, m->fd) == 0);
	s.msg = m;

	msg_data(&s, &cmds[0]);
	if (s.msg == NULL)
		goto out;		/* dropped: 720 */
	FUZZ_ASSERT(fuzz_net.nreply == 1);
	if ((refused = fuzz_net.code != 271)) {
		/* a 4xx (or 7xx); its data, if any follows, is swallowed */
		FUZZ_ASSERT(fuzz_net.code >= 400);
		FUZZ_ASSERT(!s.part.active || s.part.discard);
		if (fuzz_net.input == IN_COMMAND)
			goto out;
	} else {
		FUZZ_ASSERT(fuzz_net.input != IN_COMMAND);
		FUZZ_ASSERT(s.state != STATE_UNENCRYPTED &&
		    m->state == MSG_OPEN);
		FUZZ_ASSERT(s.part.active && !s.part.discard);
	}
	base64 = s.part.base64;

	complete = 0;
	if (fuzz_net.input == IN_LITERAL) {
		if (fuzz_net.litlen <= nrest) {
			nrest = fuzz_net.litlen;
			complete = 1;
		}
		for (p = rest; p < rest + nrest; p += n) {
			n = chunk < (size_t)(rest + nrest - p) ? chunk :
			    (size_t)(rest + nrest - p);
			msg_input(&s, (const char *)p, n);
			if (s.closing)
				goto out;
		}
		if (base64) {
			for (p = rest; p < rest + nrest; p++)
				if (*p != '\r' && *p != '\n')
					text[ntext++] = (char)*p;
		} else {
			memcpy(sent, rest, nrest);
			nsent = nrest;
		}
	} else {
		/* +BASE64 lines: up to two consecutive empty lines */
		empties = 0;
		for (p = rest, end = rest + nrest; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', end - p)) == NULL)
				break;
			n = nl - p;
			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (n == 0) {
				if (++empties == 2) {
					complete = 1;
					break;
				}
				continue;
			}
			empties = 0;
			msg_line(&s, (const char *)p, n);
			if (s.closing)
				goto out;
			/* like a literal: CR anywhere is not base64 text */
			for (k = 0; k < n; k++)
				if (p[k] != '\r')
					text[ntext++] = (char)p[k];
		}
	}
	if (!complete)
		goto out;		/* the client went away mid-part */

	fuzz_net.nreply = 0;
	msg_part_end(&s);
	if (refused) {
		FUZZ_ASSERT(fuzz_net.nreply == 0);
		goto out;
	}
	if (s.closing || s.msg == NULL)
		goto out;		/* dropped: 720 or 432 */
	FUZZ_ASSERT(fuzz_net.nreply == 1);
	if (base64) {
		wantlen = oracle(text, ntext, want, &canon);
		if (wantlen == -1)
			FUZZ_ASSERT(fuzz_net.code != 272);
		else if (canon && wantlen <= MAX_SIZE && !fuzz_net.gzip)
			FUZZ_ASSERT(fuzz_net.code == 272 ||
			    fuzz_net.code == 434);
	} else {
		memcpy(want, sent, nsent);
		wantlen = (long)nsent;
	}
	if (fuzz_net.gzip)
		goto out;	/* the stored octets are the inflated data */
	if (fuzz_net.code == 272 && m->nparts == 1 && !s.part.trace) {
		FUZZ_ASSERT(spool_w_finish(&m->sw) == 0);
		gotlen = spool_part(m->fd, got, sizeof(got));
		FUZZ_ASSERT(gotlen == wantlen);
		FUZZ_ASSERT(memcmp(got, want, gotlen) == 0);
	}

 out:
	msg_free(&s);
	FUZZ_ASSERT(fuzz_fd_count() == fds);
	return 0;
}
