/*
 * Network prefixes for the "block networks" table (cidr.h).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "cidr.h"

static const uint8_t	v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
addr_octets(int family)
{
	return (family == AF_INET ? 4 : 16);
}

int
cidr_parse(const char *s, struct cidr *out, const char **err)
{
	char		 text[CIDR_TEXT_MAX];
	const char	*slash, *p;
	size_t		 alen;
	int		 len = -1, full, i;
	struct cidr	 m;

	memset(out, 0, sizeof(*out));
	if ((slash = strchr(s, '/')) != NULL)
		alen = slash - s;
	else
		alen = strlen(s);
	if (alen == 0 || alen >= sizeof(text)) {
		*err = "bad address";
		return (-1);
	}
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (slash != NULL) {
		p = slash + 1;
		if (*p == '\0' || strlen(p) > 3 || (p[0] == '0' &&
		    p[1] != '\0')) {
			*err = "bad prefix length";
			return (-1);
		}
		for (len = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9') {
				*err = "bad prefix length";
				return (-1);
			}
			len = len * 10 + (*p - '0');
		}
	}
	if (strchr(text, ':') == NULL) {
		if (inet_pton(AF_INET, text, out->addr) != 1) {
			*err = "bad address";
			return (-1);
		}
		out->family = AF_INET;
	} else {
		if (inet_pton(AF_INET6, text, out->addr) != 1) {
			*err = "bad address";
			return (-1);
		}
		out->family = AF_INET6;
		if (memcmp(out->addr, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->family = AF_INET;
			if (len != -1) {
				if (len < 96) {
					*err = "bad prefix length";
					return (-1);
				}
				len -= 96;
			}
		}
	}
	full = addr_octets(out->family) * 8;
	if (len == -1)
		len = full;
	if (len > full) {
		*err = "bad prefix length";
		return (-1);
	}
	out->len = len;
	(void)cidr_mask(out, len, &m);
	for (i = 0; i < 16; i++)
		if (m.addr[i] != out->addr[i]) {
			*err = "host bits set";
			return (-1);
		}
	return (0);
}

int
cidr_mask(const struct cidr *c, int len, struct cidr *out)
{
	int	 n = addr_octets(c->family), i, bits;

	if (len < 0 || len > n * 8)
		return (-1);
	*out = *c;
	out->len = len;
	for (i = 0; i < 16; i++) {
		bits = len - i * 8;
		if (i >= n || bits <= 0)
			out->addr[i] = 0;
		else if (bits < 8)
			out->addr[i] &= (uint8_t)(0xff << (8 - bits));
	}
	return (0);
}

int
cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char	 a[INET6_ADDRSTRLEN];
	int	 n;

	if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
		return (-1);
	n = snprintf(buf, size, "%s/%d", a, c->len);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (0);
}

int
cidr_contains(const struct cidr *net, const struct cidr *a)
{
	struct cidr	 m;

	if (net->family != a->family || a->len < net->len)
		return (0);
	if (cidr_mask(a, net->len, &m) == -1)
		return (0);
	return (memcmp(m.addr, net->addr, 16) == 0);
}
