/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The VM (and jail component) name rule, in one place.
 *
 * This file is also compiled position-independent into libvmmctl, so that
 * the library refuses exactly what the kernel refuses before sending a
 * request.  It must therefore depend on nothing but the C library's string
 * functions: no other part of the core, no host hooks, not even the core's
 * headers (which pull in <sys/ioctl.h>).  The prototype below is repeated
 * from vmmctl_kern.h; tests/kern/header_test.sh compiles this file with that
 * header forced in, so the two cannot drift apart.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

int	vmmctl_kern_check_name(const char *name, size_t bufsize);

/*
 * name lives in a buffer of bufsize bytes (230 in the ioctl structures).
 * The NUL must be inside it: an unterminated name is refused, never
 * truncated, so that no two different requests name the same VM.  A name is
 * one path component of /dev/vmm, hence no '/', and neither "." nor "..".
 */
int
vmmctl_kern_check_name(const char *name, size_t bufsize)
{
	size_t len;

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
	return (0);
}
