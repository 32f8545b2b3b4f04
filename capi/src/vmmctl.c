/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libvmmctl: the public API of vmmctl.h over two transports, FreeBSD's
 * /dev/vmmctl (vmmctl_ioctl.c; also vmmctl-sim's device mode, a FUSE file
 * that answers the same ioctls) and vmmctl-sim's socket (vmmctl_sim.c).
 * Every function returns 0 or a positive errno value; errno is scratch.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl.h"
#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"
#include "vmmctl_impl.h"

#ifndef PATH_MAX
#define	PATH_MAX	1024
#endif

/* The two headers spell the same limits and flags. */
__extension__ _Static_assert(VMMCTL_NAME_MAX == VM_MAX_NAMELEN,
    "VMMCTL_NAME_MAX");

#define	VMMCTL_DEFAULT_ROOT	"/dev"

/* NULL means $VMMCTL_ROOT when set and non-empty, else /dev. */
static const char *
vmmctl_default_root(const char *root)
{
	const char *env;

	if (root != NULL)
		return (root);
	env = getenv("VMMCTL_ROOT");
	if (env != NULL && env[0] != '\0')
		return (env);
	return (VMMCTL_DEFAULT_ROOT);
}

/* "<root>/<leaf>[/<name>]" into buf, or ENAMETOOLONG. */
static int
vmmctl_path(char *buf, size_t size, const char *root, const char *leaf,
    const char *name)
{
	size_t n, rlen;

	if ((rlen = strlen(root)) >= size)
		return (ENAMETOOLONG);	/* also keeps the %.*s width an int */
	/* "/" + "vmmctl" must not give "//vmmctl": harmless, but ugly. */
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen == 1 && root[0] == '/')
		rlen = 0;
	if (name == NULL)
		n = (size_t)snprintf(buf, size, "%.*s/%s", (int)rlen, root,
		    leaf);
	else
		n = (size_t)snprintf(buf, size, "%.*s/%s/%s", (int)rlen, root,
		    leaf, name);
	if (n >= size)
		return (ENAMETOOLONG);
	return (0);
}

/*
 * vmmctl_list() and vmmctl_vm_open() use the root long after the open: a
 * relative one is made absolute now, so that a later chdir(2) does not
 * change which VMs the handle sees.  NULL (keep root as given) when it is
 * absolute already or cannot be resolved.
 */
static char *
vmmctl_abs_root(const char *root)
{

	if (root[0] == '/')
		return (NULL);
	return (realpath(root, NULL));
}

/* ownroot (nullable, adopted): the root to keep instead of a copy of root. */
static int
vmmctl_alloc(int fd, enum vmmctl_transport tr, const char *root,
    char *ownroot, vmmctl_t **out)
{
	struct vmmctl *h;
	int error;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		free(ownroot);
		return (ENOMEM);
	}
	if (ownroot == NULL && (ownroot = strdup(root)) == NULL) {
		free(h);
		return (ENOMEM);
	}
	if ((error = pthread_mutex_init(&h->lock, NULL)) != 0) {
		free(ownroot);
		free(h);
		return (error);
	}
	h->fd = fd;
	h->chan = -1;
	h->transport = tr;
	h->root = ownroot;
	*out = h;
	return (0);
}

VMMCTL_EXPORT uint32_t
vmmctl_version(void)
{

	return (((uint32_t)VMMCTL_VERSION_MAJOR << 16) |
	    ((uint32_t)VMMCTL_VERSION_MINOR << 8) |
	    (uint32_t)VMMCTL_VERSION_PATCH);
}

VMMCTL_EXPORT int
vmmctl_open(const char *root, uint32_t flags, vmmctl_t **out)
{
	char path[PATH_MAX];
	struct stat st, fst;
	enum vmmctl_transport tr;
	int error, fd, inherit;

	if (out == NULL || (flags & ~VMMCTL_OPEN_INHERIT) != 0)
		return (EINVAL);
	root = vmmctl_default_root(root);
	if (root[0] == '\0')
		return (ENOENT);	/* as open("") */
	if ((error = vmmctl_path(path, sizeof(path), root, "vmmctl",
	    NULL)) != 0)
		return (error);
	if (stat(path, &st) == -1)
		return (errno);
	inherit = (flags & VMMCTL_OPEN_INHERIT) != 0;

	if (vmmctl_dev_node(path, -1, &st)) {
		tr = VMMCTL_TR_IOCTL;
		if ((error = vmmctl_dev_open(path, inherit, &fd)) != 0)
			return (error);
		/* The node may have been replaced since stat(2). */
		if (fstat(fd, &fst) == -1 || !vmmctl_dev_node(NULL, fd, &fst))
			error = ENODEV;
		else
			error = vmmctl_dev_probe(fd);
	} else if (S_ISSOCK(st.st_mode)) {
		tr = VMMCTL_TR_SIM;
		if ((error = vmmctl_sim_connect(root, path, inherit,
		    &fd)) != 0)
			return (error);
	} else
		return (ENODEV);

	if (error == 0)
		error = vmmctl_alloc(fd, tr, root, vmmctl_abs_root(root), out);
	if (error != 0)
		(void)close(fd);
	else
		(*out)->fuse = tr == VMMCTL_TR_IOCTL && S_ISREG(fst.st_mode);
	return (error);
}

/* Leaves fd's close-on-exec flag as the caller set it. */
VMMCTL_EXPORT int
vmmctl_from_fd(int fd, vmmctl_t **out)
{
	struct stat st;
	char *root;
	int error;

	if (out == NULL)
		return (EINVAL);
	if (fd < 0)
		return (EBADF);
	if (fstat(fd, &st) == -1)
		return (errno == EBADF ? EBADF : ENODEV);
	if (vmmctl_dev_node(NULL, fd, &st)) {
		if ((error = vmmctl_dev_probe(fd)) != 0)
			return (error);
		/* Device mode: the root is where the file is. */
		root = S_ISREG(st.st_mode) ? vmmctl_dev_root(fd) : NULL;
		if ((error = vmmctl_alloc(fd, VMMCTL_TR_IOCTL,
		    vmmctl_default_root(NULL), root, out)) == 0)
			(*out)->fuse = S_ISREG(st.st_mode);
		return (error);
	}
	if (S_ISSOCK(st.st_mode)) {
		if ((error = vmmctl_sim_probe(fd, &root)) != 0)
			return (error);
		return (vmmctl_alloc(fd, VMMCTL_TR_SIM, NULL, root, out));
	}
	return (ENODEV);
}

VMMCTL_EXPORT int
vmmctl_fd(const vmmctl_t *h)
{

	return (h == NULL ? -1 : h->fd);
}

/*
 * vmmctl-sim's device mode: FUSE sends the release of the last close(2)
 * asynchronously, queued before close() returns; the sim serves requests
 * in the order they were queued.  A stat of <root>/vmmctl is a request
 * (nothing is cached) that comes back only once the release was served.
 */
static void
vmmctl_fuse_sync(const vmmctl_t *h)
{
	char path[PATH_MAX];
	struct stat st;

	if (vmmctl_path(path, sizeof(path), h->root, "vmmctl", NULL) != 0)
		return;
	while (stat(path, &st) == -1 && errno == EINTR)
		;
}

/*
 * close(2) is not retried on EINTR: the descriptor is gone either way on
 * Linux and FreeBSD, and a retry could close a descriptor another thread
 * has just been given.  Once it returns, every VM the handle's last
 * reference owned is gone, as with the kernel (over the simulator too).
 */
VMMCTL_EXPORT int
vmmctl_close(vmmctl_t *h)
{
	int rc;

	if (h == NULL)
		return (0);
	rc = close(h->fd);
	if (h->chan >= 0)
		(void)close(h->chan);
	/*
	 * Over the sim, the release a last close causes happens in the sim:
	 * wait until it is complete, as the kernel's last close(2) does.
	 */
	if (h->transport == VMMCTL_TR_SIM && h->root != NULL)
		vmmctl_sim_settle(h->root);
	if (h->fuse)
		vmmctl_fuse_sync(h);
	(void)pthread_mutex_destroy(&h->lock);
	free(h->root);
	free(h);
	return (rc == -1 ? EIO : 0);
}

VMMCTL_EXPORT int
vmmctl_check_name(const char *name)
{

	if (name == NULL)
		return (EINVAL);
	if (strnlen(name, VMMCTL_NAME_MAX + 1) > VMMCTL_NAME_MAX)
		return (ENAMETOOLONG);
	return (vmmctl_kern_check_name(name, VMMCTL_NAME_MAX + 1));
}

VMMCTL_EXPORT int
vmmctl_ioctl(vmmctl_t *h, unsigned long cmd, void *arg)
{

	if (h == NULL)
		return (EINVAL);
	/* FreeBSD's kernel would truncate it to 32 bits: refuse instead. */
	if (cmd > UINT32_MAX)
		return (ENOTTY);
	if (arg == NULL && VMMCTL_SIM_CMD_LEN(cmd) != 0)
		return (EINVAL);
	if (h->transport == VMMCTL_TR_SIM)
		return (vmmctl_sim_ioctl(h, cmd, arg));
	return (vmmctl_dev_ioctl(h, cmd, arg));
}

VMMCTL_EXPORT int
vmmctl_create(vmmctl_t *h, const char *name, uint32_t flags)
{
	struct vmmctl_vm_create vc;
	int error;

	if (h == NULL || name == NULL ||
	    (flags & ~VMMCTL_CREATE_PERSISTENT) != 0)
		return (EINVAL);
	if ((error = vmmctl_check_name(name)) != 0)
		return (error);
	memset(&vc, 0, sizeof(vc));	/* reserved[] must be zero */
	strcpy(vc.name, name);
	vc.flags = (flags & VMMCTL_CREATE_PERSISTENT) != 0 ? 0 :
	    VMMCTL_CREATE_DESTROY_ON_CLOSE;
	error = vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc);
	/*
	 * The first /dev/vmmctl (FreeBSD 15.0) has no flags field: the flag
	 * lands in reserved[0], and the create is EINVAL before anything
	 * happens.  On a later kernel nothing in this request can be EINVAL:
	 * the name passed the library's check (everything devfs and the
	 * kernel refuse, and no length to cut), every reserved word is zero
	 * and the flag is a known one.  So EINVAL to a scoped create means
	 * exactly "this kernel cannot tie a VM to a descriptor".
	 */
	if (error == EINVAL && vc.flags != 0)
		error = EOPNOTSUPP;
	return (error);
}

/*
 * The kernel answers EINVAL both for a malformed request and for a VM that
 * does not exist (or is not visible, or is already dying).  The name was
 * checked here and reserved[] zeroed, so EINVAL can only mean the latter.
 */
VMMCTL_EXPORT int
vmmctl_destroy(vmmctl_t *h, const char *name)
{
	struct vmmctl_vm_destroy vd;
	int error;

	if (h == NULL || name == NULL)
		return (EINVAL);
	if ((error = vmmctl_check_name(name)) != 0)
		return (error);
	memset(&vd, 0, sizeof(vd));
	strcpy(vd.name, name);
	error = vmmctl_ioctl(h, VMMCTL_VM_DESTROY, &vd);
	return (error == EINVAL ? ENOENT : error);
}

/*
 * The kernel destroys a file's VMs inside the last close(2), so its
 * /dev/vmm never shows them afterwards.  The sim learns of a close only when
 * it next polls, and it handles every pending hang-up before serving any
 * request: one harmless request (vmmctl_sim_sync()) therefore makes
 * <root>/vmm as current as the kernel's.  It also tells whether the sim is
 * still there: the nodes of a dead one are stale, and its error (EPIPE,
 * ECONNRESET, ...) is the caller's, as for any other request.  In device
 * mode <root>/vmm is current already (the sim serves requests in the
 * kernel's order), but a dead sim's mount is gone or dead: the same
 * request on the descriptor says so (ENOTCONN).
 */
static int
vmmctl_sync(vmmctl_t *h)
{

	if (h->fuse)
		return (vmmctl_dev_sync(h->fd));
	if (h->transport != VMMCTL_TR_SIM)
		return (0);
	return (vmmctl_sim_sync(h));
}

/*
 * The kernel has no list request: the visible VMs are the entries of
 * <root>/vmm, which is per-jail both in devfs and in the sim.  FreeBSD's
 * devfs has /dev/vmm only while some VM exists, so a missing directory is
 * an empty list, not an error.
 */
VMMCTL_EXPORT int
vmmctl_list(vmmctl_t *h, char *buf, size_t size, size_t *len)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t need, n;
	DIR *d;
	int error;

	if (h == NULL || len == NULL || (buf == NULL && size > 0))
		return (EINVAL);
	if ((error = vmmctl_path(path, sizeof(path), h->root, "vmm",
	    NULL)) != 0)
		return (error);
	if ((error = vmmctl_sync(h)) != 0)
		return (error);
	need = 0;
	if ((d = opendir(path)) == NULL) {
		if (errno != ENOENT)
			return (errno);
		*len = 0;
		return (0);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			error = errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(de->d_name) + 1;
		if (need + n <= size)
			memcpy(buf + need, de->d_name, n);
		need += n;
	}
	(void)closedir(d);
	if (error != 0)
		return (error);
	*len = need;
	return (need > size ? ERANGE : 0);
}

VMMCTL_EXPORT int
vmmctl_vm_open(vmmctl_t *h, const char *name, int *fdp)
{
	char path[PATH_MAX];
	int error, fd;

	if (h == NULL || name == NULL || fdp == NULL)
		return (EINVAL);
	if ((error = vmmctl_check_name(name)) != 0)
		return (error);
	if ((error = vmmctl_path(path, sizeof(path), h->root, "vmm",
	    name)) != 0)
		return (error);
	if ((error = vmmctl_sync(h)) != 0)
		return (error);
	do
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return (errno);
	*fdp = fd;
	return (0);
}
