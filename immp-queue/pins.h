/*
 * TLS pins of peer domains (draft 3.5, DESIGN §5, immpd(8) PINS): the
 * SHA-256 of the SubjectPublicKeyInfo a peer domain's server presented,
 * remembered on first contact and compared afterwards.  The store is a
 * Berkeley DB hash table (immpd-tables(5) layout: key the lower-case
 * domain, value 64 lower-case hex digits), changed only through
 * table_update (copy, fsync, rename under a lock), so that immpctl(8)
 * "pin accept" and "pin clear" can edit the same file.  The queue
 * process keeps it (the only process besides deliver that may write
 * files); the network process asks over its queue channel.
 */
#ifndef IMMP_LOOKUP_PINS_H
#define IMMP_LOOKUP_PINS_H

#include <stdint.h>

#define PIN_LEN		32
#define PIN_HEX		(2 * PIN_LEN + 1)
/* Key prefix of the last pin seen that did not match (pin accept). */
#define PIN_PENDING	"!"

/*
 * pins_check: compares spki[PIN_LEN] with the pin of domain (lower
 * case, valid) in the store at path, reading the file afresh.  Returns
 * IPC_PIN_MATCH, IPC_PIN_MISMATCH (spki is then stored under the key
 * PIN_PENDING domain for immpctl(8) "pin accept"), IPC_PIN_NEW (no pin
 * yet: spki is stored now) or IPC_PIN_ERROR (store unreadable or not
 * writable; logged).  Constant-time comparison.
 */
int	 pins_check(const char *path, const char *domain, const uint8_t *spki);

/*
 * pins_hex: spki[PIN_LEN] as lower-case hex into out[PIN_HEX].
 * pins_unhex: the reverse; 0, or -1 unless in is exactly 64 hex digits.
 */
void	 pins_hex(const uint8_t *spki, char *out);
int	 pins_unhex(const char *in, uint8_t *spki);

#endif
