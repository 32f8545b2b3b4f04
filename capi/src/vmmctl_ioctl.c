/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The character device transport: FreeBSD's /dev/vmmctl, served with
 * ioctl(2).  On Linux the same path serves vmmctl-sim's device mode, where
 * <root>/vmmctl is a regular file of a FUSE file system that answers the
 * same ioctls.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_dev.h"
#include "vmmctl_impl.h"

#ifdef __linux__
#define	VMMCTL_FUSE_MAGIC	0x65735546	/* FUSE_SUPER_MAGIC */

static int
vmmctl_fuse_fs(const struct statfs *sfs)
{

	return (sfs->f_type == VMMCTL_FUSE_MAGIC);
}
#endif

/*
 * May the file st describes (at path, or open as fd when path is NULL) be
 * a control device?  A character device, or a regular file of a FUSE file
 * system (the sim's device mode).  Any other regular file is refused before
 * it is opened for writing or sent an ioctl.
 */
int
vmmctl_dev_node(const char *path, int fd, const struct stat *st)
{
#ifdef __linux__
	struct statfs sfs;
#endif

	if (S_ISCHR(st->st_mode))
		return (1);
#ifdef __linux__
	if (S_ISREG(st->st_mode))
		return ((path != NULL ? statfs(path, &sfs) :
		    fstatfs(fd, &sfs)) == 0 && vmmctl_fuse_fs(&sfs));
#else
	(void)path;
	(void)fd;
#endif
	return (0);
}

/*
 * The root of a device-mode descriptor: the directory holding the file
 * fd has open, as /proc names it.  NULL when unknown (not Linux, no /proc):
 * the caller falls back to the default root.
 */
char *
vmmctl_dev_root(int fd)
{
#ifdef __linux__
	char link[64], path[PATH_MAX], *slash;
	ssize_t n;

	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof(path) - 1)) <= 0)
		return (NULL);
	path[n] = '\0';
	if (path[0] != '/' || (slash = strrchr(path, '/')) == NULL)
		return (NULL);
	if (slash == path)
		slash++;	/* "/vmmctl": the root is "/" */
	*slash = '\0';
	return (strdup(path));
#else
	(void)fd;
	return (NULL);
#endif
}

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
static int
vmmctl_dev_nop(int fd)
{
	struct vmmctl_vm_destroy vd;
	int rc;

	memset(&vd, 0, sizeof(vd));
	do
		rc = ioctl(fd, VMMCTL_VM_DESTROY, &vd);
	while (rc == -1 && errno == EINTR);
	return (rc == -1 ? errno : 0);
}

int
vmmctl_dev_probe(int fd)
{

	return (vmmctl_dev_nop(fd) == EINVAL ? 0 : ENODEV);
}

/* The same request on a control descriptor: 0, or why it failed. */
int
vmmctl_dev_sync(int fd)
{
	int error;

	error = vmmctl_dev_nop(fd);
	return (error == EINVAL ? 0 : error != 0 ? error : EIO);
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
