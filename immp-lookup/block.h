/*
 * Blocking in immp-lookup (draft 3.10, immp(7) BLOCKING,
 * immpd-tables(5)): the server-wide "block networks", "block domains"
 * and "block addresses" tables and the per-account block lists of
 * SET GLOBAL BLOCK (settings.h).
 */
#ifndef IMMP_LOOKUP_BLOCK_H
#define IMMP_LOOKUP_BLOCK_H

struct immpd_conf;
struct imsgev;
struct imsg;
struct table_db;

/*
 * block_init: opens handles for the block tables named in conf (their
 * files are opened lazily and reopened when they change, table_db.h)
 * and remembers the network channel.  Fatal if a named table has no
 * "table" line (the parser already refuses that).
 */
void	 block_init(struct immpd_conf *conf, struct imsgev *network);

/*
 * block_network: 1 if the numeric address addr is covered by a key of
 * the networks table t (each prefix length from the full one down to 0
 * is looked up in canonical cidr_format form), 0 if not (or addr is not
 * an address), -1 if the table cannot be read.  The matching key goes
 * into hit (CIDR_TEXT_MAX octets) when 1.
 */
int	 block_network(struct table_db *t, const char *addr, char *hit);

/*
 * block_domain: 1 if domain (lower case) or one of its parent domains
 * is a key of table t ("example.com" blocks "a.example.com"), 0 if not,
 * -1 if the table cannot be read.
 */
int	 block_domain(struct table_db *t, const char *domain);

/*
 * block_dispatch: handles IMSG_BLOCK_PEER and IMSG_BLOCK_MSG
 * (ipc_set.h) and answers.  Returns 1 if the imsg was one of those.
 */
int	 block_dispatch(struct imsg *);

/* block_shutdown: closes the tables. */
void	 block_shutdown(void);

#endif
