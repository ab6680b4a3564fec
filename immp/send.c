/*
 * immp(1) message submission: DELIVER TO, pipelined DATA blocks, DONE
 * (immp(7) DELIVER, DATA, PIPELINING).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "immp.h"

#define PART_PENDING	0
#define PART_SAVING	1	/* got 271 */
#define PART_SAVED	2	/* got 272 */
#define PART_FAILED	3

static const struct {
	const char	*ext;
	const char	*type;
} mime_types[] = {
	{ "txt", "text/plain" },
	{ "text", "text/plain" },
	{ "md", "text/markdown" },
	{ "csv", "text/csv" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ics", "text/calendar" },
	{ "css", "text/css" },
	{ "xml", "application/xml" },
	{ "json", "application/json" },
	{ "pdf", "application/pdf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "xz", "application/x-xz" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "svg", "image/svg+xml" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ NULL, NULL }
};

const char *
send_guess_type(const char *name)
{
	const char	*dot;
	int		 i;

	if ((dot = strrchr(name, '.')) == NULL || dot == name)
		return "application/octet-stream";
	for (i = 0; mime_types[i].ext != NULL; i++)
		if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return "application/octet-stream";
}

int
send_quote_word(const char *w, char *out, size_t outsz)
{
	const unsigned char	*p;
	size_t			 o = 0;
	int			 plain = 1;

	if (*w == '\0' || *w == '+' || *w == '-')
		plain = 0;
	for (p = (const unsigned char *)w; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p <= 0x20 || *p >= 0x7f || *p == ';' || *p == '"' ||
		    *p == '\\')
			plain = 0;
	}
	if (plain)
		return strlcpy(out, w, outsz) < outsz ? 0 : -1;
	if (outsz < 3)
		return -1;
	out[o++] = '"';
	for (p = (const unsigned char *)w; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = *p;
	}
	if (o + 2 > outsz - 1)
		return -1;
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

/* Which part a pipeline id "p<N>" names; -1 if none. */
static int
send_part_index(const char *id, int nparts)
{
	char	*end;
	long	 n;

	if (id[0] != 'p' || id[1] < '1' || id[1] > '9')
		return -1;
	n = strtol(id + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > nparts)
		return -1;
	return (int)n - 1;
}

/* Reads the replies of the pipelined DATA blocks; 0 or an exit status. */
static int
send_collect(struct conn *c, const struct part *parts, int nparts,
    int *state)
{
	struct reply	r;
	int		i, rv, open = nparts, status = 0;

	while (open > 0) {
		if ((rv = conn_reply(c, &r)) != 0)
			return rv;
		if (r.id[0] == '\0') {
			if (r.code < 400)
				continue;
			fprintf(stderr, "immp: DATA: server replied: %s\n",
			    r.line);
			return conn_status(r.code);
		}
		if ((i = send_part_index(r.id, nparts)) == -1) {
			fprintf(stderr, "immp: reply for an unknown pipeline "
			    "id: %s\n", r.line);
			return EXIT_PERM;
		}
		if (state[i] == PART_SAVED || state[i] == PART_FAILED)
			continue;	/* later lines of a reply */
		if (r.code == 271)
			state[i] = PART_SAVING;
		else if (r.code == 272 && !r.more) {
			state[i] = PART_SAVED;
			open--;
		} else if (r.code >= 400) {
			fprintf(stderr, "immp: part %s: server replied: %s\n",
			    parts[i].name, r.line);
			if (status != EXIT_TEMP)
				status = conn_status(r.code);
			state[i] = PART_FAILED;
			open--;
		}
	}
	return status;
}

int
send_message(struct conn *c, char *const *rcpt, int nrcpt,
    const struct part *parts, int nparts, char *uuid, size_t uuidsz)
{
	struct reply	 r;
	char		 line[CMD_MAXLINE + 3], qname[600], *p;
	int		 i, n, rv, wrv = 0, state[IMMP_MAXPARTS];
	size_t		 len;

	/* DELIVER TO <imid>...: the recipients are words of their own. */
	len = strlcpy(line, "DELIVER TO", sizeof(line));
	for (i = 0; i < nrcpt; i++) {
		if (send_quote_word(rcpt[i], qname, sizeof(qname)) == -1 ||
		    strcmp(qname, rcpt[i]) != 0) {
			fprintf(stderr, "immp: bad recipient: %s\n", rcpt[i]);
			return EXIT_PERM;
		}
		if (strlcat(line, " ", sizeof(line)) >= sizeof(line) ||
		    (len = strlcat(line, rcpt[i], sizeof(line))) >=
		    CMD_MAXLINE) {
			fprintf(stderr, "immp: too many recipients\n");
			return EXIT_PERM;
		}
	}
	if ((rv = conn_cmd(c, NULL, "%s", line)) != 0)
		return rv;
	if ((rv = conn_expect(c, &r, 270, "DELIVER")) != 0)
		return rv;

	/* All DATA blocks back to back, then the replies. */
	for (i = 0; i < nparts && wrv == 0; i++) {
		state[i] = PART_PENDING;
		if (send_quote_word(parts[i].name, qname, sizeof(qname))
		    == -1) {
			fprintf(stderr, "immp: bad part name: %s\n",
			    parts[i].name);
			return EXIT_PERM;
		}
		n = snprintf(line, sizeof(line), "AS p%d DATA NAME %s TYPE %s "
		    "LENGTH %zu%s", i + 1, qname, parts[i].type, parts[i].len,
		    parts[i].content ? " +CONTENT" : "");
		if (n < 0 || n > CMD_MAXLINE) {
			fprintf(stderr, "immp: part name too long: %s\n",
			    parts[i].name);
			return EXIT_PERM;
		}
		if ((wrv = conn_cmd(c, NULL, "%s", line)) != 0)
			break;
		if (c->verbose)
			fprintf(stderr, "-- (%zu octets)\n", parts[i].len);
		wrv = conn_write(c, parts[i].data, parts[i].len);
	}
	for (; i < nparts; i++)
		state[i] = PART_PENDING;
	rv = send_collect(c, parts, nparts, state);
	if (rv != 0)
		return rv;
	if (wrv != 0)
		return wrv;

	if ((rv = conn_cmd(c, NULL, "DONE")) != 0)
		return rv;
	if ((rv = conn_expect(c, &r, 273, "DONE")) != 0)
		return rv;
	p = r.text;
	len = strcspn(p, " ");
	if (len == 0 || len >= uuidsz) {
		fprintf(stderr, "immp: DONE: no message id in: %s\n", r.line);
		return EXIT_PERM;
	}
	memcpy(uuid, p, len);
	uuid[len] = '\0';
	return 0;
}
