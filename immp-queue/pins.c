/* TLS pin store (pins.h, draft 3.5). */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc_relay.h"
#include "log.h"
#include "pins.h"
#include "trace.h"
#include "../immp-lookup/table_db.h"
#include "../immpctl/table_write.h"

void
pins_hex(const uint8_t *spki, char *out)
{
	(void)sodium_bin2hex(out, PIN_HEX, spki, PIN_LEN);
}

int
pins_unhex(const char *in, uint8_t *spki)
{
	size_t	 len, i;

	if (strlen(in) != PIN_HEX - 1)
		return (-1);
	for (i = 0; i < PIN_HEX - 1; i++)
		if (!((in[i] >= '0' && in[i] <= '9') ||
		    (in[i] >= 'a' && in[i] <= 'f')))
			return (-1);
	if (sodium_hex2bin(spki, PIN_LEN, in, PIN_HEX - 1, NULL, &len,
	    NULL) != 0 || len != PIN_LEN)
		return (-1);
	return (0);
}

int
pins_check(const char *path, const char *domain, const uint8_t *spki)
{
	struct table_db	*t;
	char		 value[PIN_HEX + 8], hex[PIN_HEX], err[512];
	char		 key[TRACE_DOMAIN_MAX + 2];
	uint8_t		 stored[PIN_LEN];
	int		 r;

	if ((t = table_db_open(path)) == NULL) {
		log_warn("pins %s", path);
		return (IPC_PIN_ERROR);
	}
	r = table_db_get(t, domain, value, sizeof(value));
	table_db_close(t);
	if (r >= 0) {
		if (pins_unhex(value, stored) == -1) {
			log_warnx("pins %s: bad pin for %s", path, domain);
			return (IPC_PIN_MISMATCH);
		}
		if (sodium_memcmp(stored, spki, PIN_LEN) == 0)
			return (IPC_PIN_MATCH);
		/* Remember what was seen, for immpctl pin accept. */
		pins_hex(spki, hex);
		(void)snprintf(key, sizeof(key), "%s%s", PIN_PENDING, domain);
		if (table_update(path, TABLE_SET, key, hex, PIN_HEX - 1,
		    (gid_t)-1, err, sizeof(err)) != TABLE_OK)
			log_warnx("%s", err);
		log_warnx("pin mismatch domain=%s pinned=%s seen=%s", domain,
		    value, hex);
		return (IPC_PIN_MISMATCH);
	}
	if (r != TABLE_DB_NOTFOUND) {
		log_warnx("pins %s: cannot read the pin of %s", path, domain);
		return (IPC_PIN_ERROR);
	}
	pins_hex(spki, hex);
	r = table_update(path, TABLE_ADD, domain, hex, PIN_HEX - 1,
	    (gid_t)-1, err, sizeof(err));
	if (r == TABLE_EXISTS)
		/* Stored meanwhile (another lookup or immpctl): compare. */
		return (pins_check(path, domain, spki));
	if (r != TABLE_OK) {
		log_warnx("%s", err);
		return (IPC_PIN_ERROR);
	}
	log_info("pin stored domain=%s spki=%s", domain, hex);
	return (IPC_PIN_NEW);
}
