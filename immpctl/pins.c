/* immpctl(8) show pins, pin accept, pin clear (pins.h). */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "imid.h"
#include "immpctl.h"
#include "pins.h"
#include "table_write.h"
#include "../immp-lookup/table_db.h"
#include "../immp-queue/pins.h"

static int
pin_get(const char *path, const char *key, char *hex)
{
	struct table_db	*t;
	int		 r;

	if ((t = table_db_open(path)) == NULL)
		err(1, "%s", path);
	r = table_db_get(t, key, hex, PIN_HEX);
	table_db_close(t);
	if (r == TABLE_DB_ERROR)
		errx(1, "%s: cannot read %s", path, key);
	return (r >= 0 ? 0 : -1);
}

void
pins_domain(const char *in, char *out, size_t size)
{
	size_t	i;

	if (!imid_domain_valid(in) || strlen(in) >= size)
		errx(1, "%s: not a domain", in);
	for (i = 0; in[i] != '\0'; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] + 32 : in[i];
	out[i] = '\0';
}

static int
pins_show(const char *path)
{
	char	**keys, hex[PIN_HEX], pend[PIN_HEX], ekey[300], msg[512];
	size_t	  n, i;

	if (table_keys(path, &keys, &n, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	for (i = 0; i < n; i++) {
		if (strncmp(keys[i], PIN_PENDING, strlen(PIN_PENDING)) == 0)
			continue;
		if (pin_get(path, keys[i], hex) == -1)
			continue;
		printf("%s %s", keys[i], hex);
		(void)snprintf(ekey, sizeof(ekey), "%s%s", PIN_PENDING,
		    keys[i]);
		if (pin_get(path, ekey, pend) == 0)
			printf(" mismatch-seen %s", pend);
		putchar('\n');
	}
	table_keys_free(keys, n);
	return (0);
}

int
cmd_pins(int argc, char *argv[])
{
	struct immpd_conf	 conf;
	char			 path[CONF_PATH_MAX], dom[256], ekey[300];
	char			 hex[PIN_HEX], msg[512];
	uint8_t			 bin[PIN_LEN];
	int			 r;

	immpctl_conf(&conf);
	conf_pins_path(&conf, path, sizeof(path));
	conf_clear(&conf);
	if (strcmp(argv[0], "show") == 0) {
		if (argc != 2)
			usage();
		return (pins_show(path));
	}
	if (argc < 3)
		usage();
	pins_domain(argv[2], dom, sizeof(dom));
	(void)snprintf(ekey, sizeof(ekey), "%s%s", PIN_PENDING, dom);
	if (strcmp(argv[1], "accept") == 0 && (argc == 3 || argc == 4)) {
		if (argc == 4) {
			if (pins_unhex(argv[3], bin) == -1)
				errx(1, "%s: not a SHA-256 in lower-case hex",
				    argv[3]);
			(void)strlcpy(hex, argv[3], sizeof(hex));
		} else if (pin_get(path, ekey, hex) == -1)
			errx(1, "%s: no mismatching pin seen; give the pin",
			    dom);
		if (table_update(path, TABLE_SET, dom, hex, PIN_HEX - 1,
		    (gid_t)-1, msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		r = table_update(path, TABLE_DEL, ekey, NULL, 0, (gid_t)-1,
		    msg, sizeof(msg));
		if (r == -1)
			errx(1, "%s", msg);
		printf("%s pinned to %s\n", dom, hex);
		return (0);
	}
	if (strcmp(argv[1], "clear") == 0 && argc == 3) {
		r = table_update(path, TABLE_DEL, dom, NULL, 0, (gid_t)-1,
		    msg, sizeof(msg));
		if (r == -1)
			errx(1, "%s", msg);
		if (table_update(path, TABLE_DEL, ekey, NULL, 0, (gid_t)-1,
		    msg, sizeof(msg)) == -1)
			errx(1, "%s", msg);
		if (r == TABLE_NOKEY) {
			fprintf(stderr, "immpctl: %s: no pin\n", dom);
			return (1);
		}
		printf("%s: pin cleared; the next contact pins again\n", dom);
		return (0);
	}
	usage();
}
