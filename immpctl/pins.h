/*
 * immpctl(8) relay commands: the TLS pin store (immpd(8) PINS) and the
 * domain secret of AUTH COOKIE (immp(7)).  Both work on the files
 * directly, without the control socket.
 */
#ifndef IMMPCTL_PINS_H
#define IMMPCTL_PINS_H

#include <stddef.h>

/*
 * cmd_pins: "show pins", "pin accept <domain> [<sha256 hex>]" (the
 * given pin, or the last one seen that did not match), "pin clear
 * <domain>" (the next contact pins again).  argv[0] is "show" or "pin".
 * Returns the exit status.
 */
int	 cmd_pins(int argc, char *argv[]);

/*
 * pins_domain: the domain operand in (imid.h grammar) in lower case
 * into out (size octets, NUL-terminated), the key of the TLS and key
 * pin stores (immp-queue/pins.h, keypins.h).  A bad domain, or one
 * that does not fit, exits 1 with a message.
 */
void	 pins_domain(const char *in, char *out, size_t size);

/*
 * cmd_secret: "secret generate [-F] [file]": 32 random octets
 * (libsodium) written to file (default: the configured domain-secret)
 * through a temporary file, fsync and rename, mode 0600, owned by the
 * daemon's user when run as root.  -F replaces an existing file.
 * Returns the exit status.
 */
int	 cmd_secret(int argc, char *argv[]);

#endif
