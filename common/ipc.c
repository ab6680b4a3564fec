/*
 * Payload checks for imsg messages between immpd processes (ipc.h).
 * Peers are our own processes: a wrong size is a bug and fatal.
 */

#include <stddef.h>
#include <string.h>

#include "imsg.h"
#include "ipc.h"
#include "log.h"

int
ipc_check_str(const char *buf, size_t size)
{
	if (buf == NULL || size == 0)
		return 0;
	return memchr(buf, '\0', size) != NULL;
}

void *
ipc_payload(struct imsg *imsg, size_t size)
{
	if (imsg->datalen != size)
		fatalx("imsg type %u: payload of %zu octets, expected %zu",
		    imsg->hdr.type, imsg->datalen, size);
	return imsg->data;
}
