/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capi_fdcheck FD: exits 0 if descriptor FD is open in this (freshly
 * exec'd) image, 1 if not, 2 on a usage error.  The close-on-exec tests
 * exec it.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc != 2)
		return (2);
	fd = strtol(argv[1], &end, 10);
	if (*end != '\0' || fd < 0 || fd > 65535)
		return (2);
	if (fcntl((int)fd, F_GETFD) == -1 && errno == EBADF)
		return (1);
	return (0);
}
