/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Exec'd by the close-on-exec tests, as a fresh program image:
 *
 *   capi_fdcheck FD            exit 0 if descriptor FD is open, 1 if not
 *   capi_fdcheck FD NAME       adopt FD (vmmctl_from_fd), create the
 *                              descriptor-scoped VM NAME, close the handle
 *                              and exit: 0 on success, 3 + step on failure
 *
 * 2 is a usage error.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "vmmctl.h"

int
main(int argc, char **argv)
{
	vmmctl_t *h;
	char *end;
	long fd;

	if (argc != 2 && argc != 3)
		return (2);
	fd = strtol(argv[1], &end, 10);
	if (*end != '\0' || fd < 0 || fd > 65535)
		return (2);
	if (fcntl((int)fd, F_GETFD) == -1 && errno == EBADF)
		return (1);
	if (argc == 2)
		return (0);
	if (vmmctl_from_fd((int)fd, &h) != 0)
		return (3);
	if (vmmctl_create(h, argv[2], 0) != 0)
		return (4);
	/* The VM's owner is the open file, which the parent still holds. */
	if (vmmctl_close(h) != 0)
		return (5);
	return (0);
}
