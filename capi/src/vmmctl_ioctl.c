/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The character device transport: FreeBSD's /dev/vmmctl, served with
 * ioctl(2).
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_dev.h"
#include "vmmctl_impl.h"

/*
 * Open the device read-write (the kernel refuses a control descriptor
 * without write access).  O_CLOEXEC sets close-on-exec atomically: no window
 * in which a concurrent fork+exec could inherit it.
 */
int
vmmctl_dev_open(const char *path, int inherit, int *fdp)
{
	int fd, oflags;

	oflags = O_RDWR | O_NOCTTY;
	if (!inherit)
		oflags |= O_CLOEXEC;
	do
		fd = open(path, oflags);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return (errno);
	*fdp = fd;
	return (0);
}

/*
 * Is fd really /dev/vmmctl?  Ask it to destroy the VM named "": vmmctl
 * refuses that name with EINVAL before looking anything up, so the probe
 * has no side effect, while any other device answers ENOTTY (or something
 * else), which makes it "not a control device".
 */
int
vmmctl_dev_probe(int fd)
{
	struct vmmctl_vm_destroy vd;
	int rc;

	memset(&vd, 0, sizeof(vd));
	do
		rc = ioctl(fd, VMMCTL_VM_DESTROY, &vd);
	while (rc == -1 && errno == EINTR);
	if (rc == -1 && errno == EINVAL)
		return (0);
	return (ENODEV);
}

/* No lock: the kernel serialises requests on one file itself. */
int
vmmctl_dev_ioctl(struct vmmctl *h, unsigned long cmd, void *arg)
{
	int rc;

	do
		rc = ioctl(h->fd, cmd, arg);
	while (rc == -1 && errno == EINTR);
	return (rc == -1 ? errno : 0);
}
