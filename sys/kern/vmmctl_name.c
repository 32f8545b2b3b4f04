/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The VM (and jail component) name rule, in one place.
 *
 * This file is also compiled position-independent into libvmmctl, so that
 * the library refuses exactly what the kernel refuses before sending a
 * request.  It must therefore depend on nothing but the C library's string
 * functions: no other part of the core, no host hooks, not even the core's
 * headers (which pull in <sys/ioctl.h>), and not <ctype.h>, whose answers
 * depend on the locale.  The prototype below is repeated from
 * vmmctl_kern.h; tests/kern/header_test.sh compiles this file with that
 * header forced in, so the two cannot drift apart.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

int	vmmctl_kern_check_name(const char *name, size_t bufsize);

/*
 * isspace() in the C locale, as the kernel's libkern has it: prep_devname()
 * refuses these and '"', which would break the devctl(4) protocol.  A byte
 * with the high bit set is no space (the kernel's char is signed).
 */
static int
devfs_bad_char(unsigned char c)
{

	return (c == ' ' || (c >= '\t' && c <= '\r') || c == '"');
}

/*
 * name lives in a buffer of bufsize bytes (230 in the ioctl structures).
 * The NUL must be inside it: the kernel cuts the name at 229 bytes before
 * it asks, and the library refuses longer names with ENAMETOOLONG, so that
 * it never sends one the kernel would truncate.  What remains is devfs's
 * MAKEDEV_CHECKNAME rule for "vmm/<name>": not empty, neither "." nor "..",
 * no white space and no '"'; and no '/' at all, where FreeBSD would make a
 * sub-directory of /dev/vmm (the model keeps a name one node).
 */
int
vmmctl_kern_check_name(const char *name, size_t bufsize)
{
	size_t i, len;

	if (name == NULL || bufsize == 0)
		return (EINVAL);
	/* memchr, not strlen: must not read past the buffer. */
	if (memchr(name, '\0', bufsize) == NULL)
		return (EINVAL);
	len = strlen(name);
	if (len == 0)
		return (EINVAL);
	if (memchr(name, '/', len) != NULL)
		return (EINVAL);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (EINVAL);
	for (i = 0; i < len; i++) {
		if (devfs_bad_char((unsigned char)name[i]))
			return (EINVAL);
	}
	return (0);
}
