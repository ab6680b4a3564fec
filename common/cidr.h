/*
 * Network prefixes (CIDR, RFC 4632; IPv6 text as RFC 5952) for the
 * "block networks" table (draft 3.10, immpd-tables(5)).
 *
 *   prefix = ipv4 [ "/" 0..32 ] / ipv6 [ "/" 0..128 ]
 * ipv4 is dotted quad (inet_pton: exactly four decimal parts), ipv6 any
 * form inet_pton(AF_INET6) takes; the length is decimal without leading
 * zeros.  Host bits must be zero ("192.0.2.1/24" is refused, not
 * repaired).  An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is taken
 * as the IPv4 address.
 */
#ifndef IMMP_CIDR_H
#define IMMP_CIDR_H

#include <stddef.h>
#include <stdint.h>

#define CIDR_TEXT_MAX	64	/* "ffff:...:ffff/128" incl. NUL fits */

struct cidr {
	int	 family;	/* AF_INET or AF_INET6 */
	uint8_t	 addr[16];	/* 4 octets for AF_INET */
	int	 len;		/* prefix length in bits */
};

/*
 * cidr_parse: parses the NUL-terminated s into *out (a bare address is
 * a full-length prefix).  0, or -1 with *err a short static reason.
 */
int	 cidr_parse(const char *s, struct cidr *out, const char **err);

/*
 * cidr_format: the canonical text of c ("192.0.2.0/24", "2001:db8::/32",
 * always with the length) into buf (size octets, CIDR_TEXT_MAX is
 * enough).  0, or -1 if it does not fit.
 */
int	 cidr_format(const struct cidr *c, char *buf, size_t size);

/*
 * cidr_mask: *out becomes the prefix of length len (0..full length)
 * containing c's address.  0, or -1 if len is out of range.
 */
int	 cidr_mask(const struct cidr *c, int len, struct cidr *out);

/*
 * cidr_contains: 1 if the address (or prefix) a lies inside net (same
 * family, a->len >= net->len, the first net->len bits equal), else 0.
 */
int	 cidr_contains(const struct cidr *net, const struct cidr *a);

#endif
