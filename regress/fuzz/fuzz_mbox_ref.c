/*
 * fuzz_mbox_ref: the MBOX ref, path, UUID, number and PART parsers of
 * the network process (immpd/mbox_parse.c, immp(7) MBOX, draft 3.2).
 * The first octet selects the parser (low 3 bits: 0-2 ref, 3 path,
 * 4 uuid, 5 number, 6-7 PART) and, for a ref, the MBOX_REF_* bits
 * (bits 3-6); the rest, up to a NUL, is the word.
 *
 * Properties:
 * - mbox_path_parse, mbox_uuid_valid, mbox_num_parse and
 *   mbox_part_valid accept a word iff an independent reading of the
 *   grammar does; an accepted path comes out the same but for the case
 *   of a first segment INBOX, Drafts, Sent or Junk, and parses again as
 *   itself (canonical);
 * - an accepted ref has a canonical folder path that parses again as
 *   itself, a UUID exactly when one was required or allowed and given,
 *   no mailbox id when refused, and a shared mailbox only as
 *   local@domain; a refused one answers 400, 444 or 445 with a text.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mbox_parse.h"
#include "fuzz.h"

#define OWN	"alice@demo.test"

static char	 word[8192];
static char	 out[IPC_FOLDER_MAX], again[IPC_FOLDER_MAX];

static int
segch(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-');
}

/* The path grammar of mbox_parse.h, read independently. */
static int
path_oracle(const char *p, size_t len, int root)
{
	size_t	 i, seg = 0, nseg = 0;

	if (len == 0 || len > PATH_MAXLEN || p[0] != '/')
		return (0);
	if (len == 1)
		return (root);
	for (i = 1; i < len; i++) {
		if (p[i] == '/') {
			if (seg == 0)
				return (0);
			nseg++;
			seg = 0;
		} else if (!segch((unsigned char)p[i]) || ++seg > SEG_MAXLEN)
			return (0);
	}
	return (seg > 0 && nseg + 1 <= PATH_MAXSEGS);
}

static int
uuid_oracle(const char *s, size_t len)
{
	static const char	 shape[] =
	    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t			 i;

	if (len != sizeof(shape) - 1)
		return (0);
	for (i = 0; i < len; i++)
		if (shape[i] == '-' ? s[i] != '-' :
		    strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return (0);
	return (1);
}

static int
part_oracle(const char *w)
{
	const char	*p = w, *e;
	char		*end;
	unsigned long	 v;

	if (*w == '\0' || strlen(w) >= IPC_MBOX_PART_MAX)
		return (0);
	for (;;) {
		for (e = p; *e >= '0' && *e <= '9'; e++)
			;
		if (e == p || e - p > 4 || *p == '0')
			return (0);
		v = strtoul(p, &end, 10);
		if (end != e || v < 1 || v > 9999)
			return (0);
		if (*e == '\0')
			return (1);
		if (*e != '.')
			return (0);
		p = e + 1;
	}
}

static void
check_path(const char *w, size_t len, int root)
{
	size_t	 i, seglen;
	int	 ok;

	ok = mbox_path_parse(w, len, out, sizeof(out), root) == 0;
	FUZZ_ASSERT(ok == path_oracle(w, len, root));
	if (!ok)
		return;
	FUZZ_ASSERT(strlen(out) == len);
	/* the same path but for the case of a default first segment */
	seglen = strcspn(out + 1, "/");
	for (i = 0; i < len; i++)
		FUZZ_ASSERT(out[i] == w[i] || (i >= 1 && i <= seglen &&
		    (out[i] ^ 0x20) == w[i]));
	if (memcmp(out, w, len) != 0)
		FUZZ_ASSERT(strncasecmp(out + 1, "INBOX", seglen) == 0 ||
		    strncasecmp(out + 1, "Drafts", seglen) == 0 ||
		    strncasecmp(out + 1, "Sent", seglen) == 0 ||
		    strncasecmp(out + 1, "Junk", seglen) == 0);
	FUZZ_ASSERT(mbox_path_parse(out, len, again, sizeof(again),
	    root) == 0);
	FUZZ_ASSERT(strcmp(out, again) == 0);
}

static void
check_ref(const char *w, int how)
{
	struct mbox_ref	 r;
	struct mbox_perr e;
	const char	*hash = strchr(w, '#');
	size_t		 flen;

	memset(&e, 0, sizeof(e));
	if (mbox_ref_parse(OWN, w, how, &r, &e) == -1) {
		FUZZ_ASSERT(e.code == 400 || e.code == 444 || e.code == 445);
		FUZZ_ASSERT(e.text != NULL && *e.text != '\0');
		return;
	}
	flen = strlen(r.folder);
	FUZZ_ASSERT(flen > 0 && flen < sizeof(r.folder));
	FUZZ_ASSERT(mbox_path_parse(r.folder, flen, again, sizeof(again),
	    1) == 0);
	FUZZ_ASSERT(strcmp(r.folder, again) == 0);
	if (flen == 1)
		FUZZ_ASSERT(how & MBOX_REF_ROOT);
	if (hash != NULL) {
		FUZZ_ASSERT(!(how & MBOX_REF_NOUUID));
		FUZZ_ASSERT(strcmp(r.uuid, hash + 1) == 0);
		FUZZ_ASSERT(uuid_oracle(r.uuid, strlen(r.uuid)));
	} else {
		FUZZ_ASSERT(!(how & MBOX_REF_UUID));
		FUZZ_ASSERT(r.uuid[0] == '\0');
	}
	if (w[0] == '/') {
		/* the folder is the path as given, up to "#" */
		FUZZ_ASSERT(r.mailbox[0] == '\0');
		FUZZ_ASSERT(strncasecmp(w, r.folder, flen) == 0);
		FUZZ_ASSERT(w[flen] == '\0' || w + flen == hash);
	} else {
		FUZZ_ASSERT(!(how & MBOX_REF_NOID));
		FUZZ_ASSERT(r.mailbox[0] == '\0' ||
		    strchr(r.mailbox, '@') != NULL);
	}
}

static void
check_num(const char *w)
{
	uint64_t	 v = 7, min = 1, max = 10000;
	char		*end;
	unsigned long long ov;
	size_t		 len = strlen(w);
	int		 ok, want;

	ok = mbox_num_parse(w, min, max, &v) == 0;
	want = len > 0 && len <= 20 && strspn(w, "0123456789") == len &&
	    (len == 1 || w[0] != '0');
	if (want) {
		errno = 0;
		ov = strtoull(w, &end, 10);
		want = *end == '\0' && errno == 0 && ov >= min && ov <= max;
	}
	FUZZ_ASSERT(ok == want);
	FUZZ_ASSERT(ok ? v >= min && v <= max : v == 7);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 len;
	int	 mode;

	if (size < 1)
		return (0);
	mode = data[0];
	len = size - 1 < sizeof(word) - 1 ? size - 1 : sizeof(word) - 1;
	memcpy(word, data + 1, len);
	word[len] = '\0';
	len = strlen(word);
	switch (mode & 7) {
	case 0:
	case 1:
	case 2:
		check_ref(word, (mode >> 3) & 0x0f);
		break;
	case 3:
		check_path(word, len, (mode >> 3) & 1);
		break;
	case 4:
		FUZZ_ASSERT(mbox_uuid_valid(word, len) ==
		    uuid_oracle(word, len));
		break;
	case 5:
		check_num(word);
		break;
	default:
		FUZZ_ASSERT(mbox_part_valid(word) == part_oracle(word));
		break;
	}
	return (0);
}
