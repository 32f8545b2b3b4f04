/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libvmmctl: descriptor-scoped bhyve VMs through /dev/vmmctl.
 *
 * A VM created through a control descriptor is destroyed by the kernel when
 * the last reference to that descriptor goes away (close, exit, crash),
 * unless it was created with VMMCTL_CREATE_PERSISTENT.  dup(2), fork(2) and
 * SCM_RIGHTS share that ownership, as they share any open file.
 *
 * The same calls work against FreeBSD's /dev/vmmctl (a character device,
 * served with ioctl(2)) and against vmmctl-sim(1) (a unix socket at
 * <root>/vmmctl, served with its wire protocol).
 *
 * Conventions, for every function below:
 *  - the return value is 0 on success or a positive errno(2) value; errno
 *    itself is left unspecified and is never the error channel;
 *  - pointer arguments are non-NULL unless documented as nullable; a NULL
 *    where one is not allowed returns EINVAL;
 *  - a handle may be used from several threads at once.
 *
 * This header is the single source the Rust, Python and Go bindings are
 * generated from: fixed-width types, no bit-fields, unions, varargs or
 * function-like macros.
 */

#ifndef VMMCTL_H
#define	VMMCTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this header; vmmctl_version() gives the library's. */
#define	VMMCTL_VERSION_MAJOR	1
#define	VMMCTL_VERSION_MINOR	0
#define	VMMCTL_VERSION_PATCH	0

/* Longest VM name in bytes, excluding the terminating NUL. */
#define	VMMCTL_NAME_MAX		229

/* vmmctl_open() flags. */
#define	VMMCTL_OPEN_INHERIT	0x1u	/* don't set close-on-exec */

/* vmmctl_create() flags. */
#define	VMMCTL_CREATE_PERSISTENT 0x1u	/* outlive the descriptor (privileged) */

/* One control descriptor; opaque. */
typedef struct vmmctl vmmctl_t;

/*
 * The library's version at run time: (major << 16) | (minor << 8) | patch.
 * Compare with the VMMCTL_VERSION_* macros to detect a mismatch.
 */
uint32_t	vmmctl_version(void);

/*
 * Open the control device <root>/vmmctl and return a new handle in *out.
 * root (nullable): the directory that holds vmmctl; NULL means
 * $VMMCTL_ROOT if set and non-empty, else "/dev".  A character device gets
 * ioctl(2), a unix socket gets the vmmctl-sim protocol.  A socket is
 * trusted only when the process listening on it runs as root or as the
 * owner of root (the directory, after the links of its path), checked
 * before anything is sent.  The descriptor is close-on-exec unless flags
 * has VMMCTL_OPEN_INHERIT.
 * out: set only on success; the handle owns the descriptor.
 * Errors: EINVAL (unknown flag bits, out NULL), ENAMETOOLONG (path too long),
 * ENOENT (no <root>/vmmctl: on FreeBSD, vmm(4) is not loaded or the system
 * predates /dev/vmmctl), ENODEV (<root>/vmmctl is neither a character
 * device nor a socket, or is a character device that is not vmmctl),
 * EACCES/EPERM (no write access), ECONNREFUSED (no simulator listening),
 * ECANCELED (the socket is served by neither root nor the owner of
 * root: refused), EPROTO (the simulator speaks another protocol), ENOMEM,
 * EMFILE, ENFILE.
 */
int		vmmctl_open(const char *root, uint32_t flags, vmmctl_t **out);

/*
 * Adopt an open control descriptor, e.g. one inherited across exec(2)
 * (see VMMCTL_FD in vmmctl(1)) or received over SCM_RIGHTS.  On success the
 * handle owns fd and closes it; on failure fd is left open and untouched.
 * The transport is chosen by fstat(2): a socket must be connected to a
 * vmmctl-sim, whose listener is not checked (the descriptor's sender is
 * trusted as the one who connected it).
 * Errors: EBADF (fd negative or not open), ENODEV (not a control
 * descriptor), EINVAL (out NULL), ENOMEM.
 */
int		vmmctl_from_fd(int fd, vmmctl_t **out);

/*
 * The handle's descriptor, still owned by the handle (for poll(2), or to
 * dup(2) and pass on).  h NULL returns -1.
 */
int		vmmctl_fd(const vmmctl_t *h);

/*
 * Close the descriptor and free the handle.  The VMs it owns are destroyed
 * when the last reference to the descriptor goes (this may be that one).
 * h (nullable): NULL is a no-op returning 0.  Always frees h.
 * Errors: EIO (close(2) reported an error; the descriptor is closed anyway).
 */
int		vmmctl_close(vmmctl_t *h);

/*
 * Create the VM name.  Without flags the VM is descriptor-scoped (the kernel's
 * VMMCTL_CREATE_DESTROY_ON_CLOSE); VMMCTL_CREATE_PERSISTENT makes it outlive
 * the descriptor.  The name is checked first, as vmmctl_check_name().
 * Errors: EINVAL (bad name, unknown flag bits, h or name NULL), ENAMETOOLONG,
 * EEXIST (the name is taken, by anyone, anywhere), EPERM (persistent VM
 * requested without privilege, or a jail without allow.vmm), ENOMEM
 * (per-user VM limit reached, or out of memory), EOPNOTSUPP (a
 * descriptor-scoped VM on a kernel without destroy-on-close: FreeBSD
 * 15.0's first /dev/vmmctl; create it persistent there), EIO/EPIPE/
 * ECONNRESET (the simulator went away).
 */
int		vmmctl_create(vmmctl_t *h, const char *name, uint32_t flags);

/*
 * Destroy the VM name, whichever descriptor owns it.
 * Errors: EINVAL (bad name, h or name NULL), ENAMETOOLONG, ENOENT (no such
 * VM visible to the caller, or already being destroyed: the kernel's EINVAL
 * for a well-formed name), EPERM (the VM belongs to another user and the
 * caller lacks privilege), EIO/EPIPE/ECONNRESET (the simulator went away).
 */
int		vmmctl_destroy(vmmctl_t *h, const char *name);

/*
 * List the VMs visible to the handle (the entries of <root>/vmm/) into buf:
 * each name NUL-terminated, back to back, in no particular order.  *len is
 * set to the bytes written, or on ERANGE to the bytes needed; call again with
 * a buffer that large (the set may have grown meanwhile: loop on ERANGE).
 * buf (nullable only when size is 0): an empty list writes nothing and sets
 * *len to 0.  A missing <root>/vmm is an empty list (FreeBSD's devfs has
 * /dev/vmm only while some VM exists).
 * Errors: ERANGE (buf too small), EINVAL (h or len NULL, buf NULL with
 * size > 0), EACCES, ENOTDIR, ENOMEM, EMFILE, EIO/EPIPE/ECONNRESET (the
 * simulator went away: its leftover nodes are not listed).
 */
int		vmmctl_list(vmmctl_t *h, char *buf, size_t size, size_t *len);

/*
 * Open the VM's device node <root>/vmm/<name> read-write, close-on-exec,
 * and return its descriptor in *fd, owned by the caller.
 * Errors: EINVAL (bad name, NULL argument), ENAMETOOLONG, ENOENT (no such VM
 * visible), EACCES (the node belongs to another user), EMFILE, ENFILE,
 * EIO/EPIPE/ECONNRESET (the simulator went away).
 */
int		vmmctl_vm_open(vmmctl_t *h, const char *name, int *fd);

/*
 * Check a VM name without asking the kernel: 1 to VMMCTL_NAME_MAX bytes, not
 * "." or "..", no '/', no '"' and no white space.  FreeBSD would silently
 * cut a longer name, refuse '"' and white space (devfs), and make a
 * sub-directory of /dev/vmm for a '/': the library refuses them all up front.
 * Errors: EINVAL (NULL, empty, ".", "..", contains '/', '"', or one of
 * ' ', '\t', '\n', '\v', '\f', '\r'), ENAMETOOLONG (longer than
 * VMMCTL_NAME_MAX bytes).
 */
int		vmmctl_check_name(const char *name);

/*
 * Pass a raw kernel ioctl through either transport, for callers that use
 * the kernel ABI itself (<vmmctl_dev.h>): cmd is a command word such as
 * VMMCTL_VM_CREATE, arg points to its IOCPARM_LEN(cmd)-byte argument, which
 * is copied back for commands with IOC_OUT.  No name mapping is done: the
 * kernel's errno is returned as is.
 * arg (nullable only when the command's size is 0).
 * Errors: whatever the kernel returns (EINVAL, EEXIST, EPERM, ENOMEM,
 * ENOTTY, ...), EINVAL (h NULL, arg NULL with a non-zero size),
 * EIO/EPIPE/ECONNRESET (the simulator went away).
 */
int		vmmctl_ioctl(vmmctl_t *h, unsigned long cmd, void *arg);

/*
 * A message for an error returned by this library, in its context: e.g.
 * EPERM reads "unprivileged users can only create descriptor-scoped VMs".
 * Never NULL; the string is static and must not be freed.
 */
const char	*vmmctl_strerror(int error);

#ifdef __cplusplus
}
#endif

#endif /* !VMMCTL_H */
