/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl_strerror(3): messages in this API's context.  Every string is a
 * literal, so the function is thread-safe and its result never freed.
 */

#include <errno.h>
#include <stddef.h>

#include "vmmctl_impl.h"

struct vmmctl_msg {
	int		error;
	const char	*msg;
};

/*
 * The errors the API documents, worded for what they mean here.  The
 * others get their usual meaning, spelled out below for the common ones,
 * as strerror(3) is neither thread-safe everywhere nor static.
 */
static const struct vmmctl_msg vmmctl_msgs[] = {
	{ 0,		"Success" },
	{ EPERM,	"Operation not permitted: unprivileged users can only "
			"create descriptor-scoped VMs and destroy their own" },
	{ ENOENT,	"No such VM; or no control device at that root "
			"(on FreeBSD: vmm(4) is not loaded, or the system "
			"predates /dev/vmmctl)" },
	{ EEXIST,	"VM name already in use" },
	{ ENAMETOOLONG,	"VM name (or path) too long" },
	{ EINVAL,	"Invalid VM name or argument" },
	{ ENOMEM,	"Per-user VM limit reached, or out of memory" },
	{ ERANGE,	"Buffer too small for the VM list" },
	{ ENODEV,	"Not a vmmctl control device" },
	{ ECONNREFUSED,	"No vmmctl-sim listening on the control socket" },
	{ ECANCELED,	"Refused: the control socket is served by neither "
			"root nor the owner of its directory" },
		{ EPROTO,	"vmmctl-sim protocol error, or a simulator of another "
	    "protocol version" },
	{ EPROTONOSUPPORT, "vmmctl-sim speaks another protocol version" },
	{ EACCES,	"Permission denied: no write access to the control "
			"device" },
	{ ENOTTY,	"Unknown ioctl command for /dev/vmmctl" },
	{ EBADF,	"Bad file descriptor" },
	{ EIO,		"Input/output error" },
	{ EPIPE,	"Broken pipe: vmmctl-sim went away" },
	{ ECONNRESET,	"Connection reset: vmmctl-sim went away" },
	{ EMFILE,	"Too many open files" },
	{ ENFILE,	"Too many open files in system" },
	{ EINTR,	"Interrupted system call" },
	{ EAGAIN,	"Resource temporarily unavailable" },
	{ EBUSY,	"Device busy" },
	{ ENOTDIR,	"Not a directory" },
	{ EISDIR,	"Is a directory" },
	{ ELOOP,	"Too many levels of symbolic links" },
	{ ENOSPC,	"No space left on device" },
	{ EROFS,	"Read-only file system" },
	{ EFAULT,	"Bad address" },
	{ ENXIO,	"Device not configured" },
	{ ENOTSOCK,	"Not a socket" },
	{ ENOTCONN,	"Socket is not connected" },
	{ ETIMEDOUT,	"Operation timed out" },
	{ ENOSYS,	"Function not implemented" },
	{ EOPNOTSUPP,	"Not supported by this kernel: its /dev/vmmctl "
			"(FreeBSD 15.0's) cannot tie a VM to a descriptor; "
			"create it persistent, or upgrade" },
};

VMMCTL_EXPORT const char *
vmmctl_strerror(int error)
{
	size_t i;

	for (i = 0; i < sizeof(vmmctl_msgs) / sizeof(vmmctl_msgs[0]); i++)
		if (vmmctl_msgs[i].error == error)
			return (vmmctl_msgs[i].msg);
	return ("Unknown error");
}
