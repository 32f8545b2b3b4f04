/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Test helper for "vmmctl run": adopts the inherited control descriptor
 * named by $VMMCTL_FD with vmmctl_from_fd(3), creates the scoped VMs named
 * on the command line through it, and prints the VMs it can see, one per
 * line, in the order vmmctl_list(3) returns them.
 * Exit 0, or 1 with a message naming the step that failed.
 */

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmctl.h"

int
main(int argc, char **argv)
{
	vmmctl_t *h;
	const char *s;
	char buf[4096];
	size_t len, off;
	int error, i;

	if ((s = getenv("VMMCTL_FD")) == NULL)
		errx(1, "VMMCTL_FD is not set");
	if ((error = vmmctl_from_fd(atoi(s), &h)) != 0)
		errx(1, "vmmctl_from_fd(%s): %s", s, vmmctl_strerror(error));
	for (i = 1; i < argc; i++)
		if ((error = vmmctl_create(h, argv[i], 0)) != 0)
			errx(1, "create %s: %s", argv[i],
			    vmmctl_strerror(error));
	if ((error = vmmctl_list(h, buf, sizeof(buf), &len)) != 0)
		errx(1, "list: %s", vmmctl_strerror(error));
	for (off = 0; off < len; off += strlen(buf + off) + 1)
		printf("%s\n", buf + off);
	/* Our reference goes; vmmctl still holds one. */
	if ((error = vmmctl_close(h)) != 0)
		errx(1, "close: %s", vmmctl_strerror(error));
	return (0);
}
