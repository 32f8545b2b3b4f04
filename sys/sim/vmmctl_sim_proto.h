/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The wire protocol between libvmmctl and vmmctl-sim.
 *
 * A connection to <root>/vmmctl (SOCK_STREAM, AF_UNIX) is one open file
 * description of the control device.  Every frame is a struct
 * vmmctl_sim_hdr followed by exactly hdr.len payload bytes.  Fields are in
 * host byte order: the socket never leaves the host.
 *
 *   client                               sim
 *   OPEN  {arg = VMMCTL_SIM_FREAD|FWRITE} ->
 *                                         <- REPLY {error}         (1)
 *   IOCTL {arg = cmd, len, payload}      ->
 *                                         <- REPLY {error, len', payload'} (2)
 *   ... close(): the last reference going releases the file ...
 *
 * (1) The first frame must be OPEN, and only the first.  A non-zero error
 *     (EPERM without write access) is followed by the sim closing.
 * (2) len must equal VMMCTL_SIM_CMD_LEN(arg), or the reply is EINVAL with
 *     len' = 0 (the connection stays usable).  Otherwise the reply carries
 *     the payload back (len' = len) when arg has VMMCTL_SIM_IOC_OUT, also
 *     with an error (clients copy it out only on success, as the kernel
 *     does), else len' = 0.  error is 0 or a positive errno of this host.
 *     Unknown commands get ENOTTY.
 *
 * A frame with a bad magic, an unsupported version, an unknown type or
 * len > VMMCTL_SIM_MAX_PAYLOAD gets a REPLY with EPROTO (EPROTONOSUPPORT for
 * a version) if the sim can still write, and the connection is closed: the
 * sim never reads a payload before checking its length.
 *
 * The caller's uid and gid come from the socket's peer credentials (taken
 * at connect), never from the payload.
 *
 * Hang-ups: the sim handles every hang-up pending before it serves any
 * request, so a close() in one process is seen by the next request of any
 * process.  Frames a client sent but whose replies it did not wait for are
 * dropped when it hangs up.  Requests on one connection are served in
 * order; clients may pipeline them.
 */

#ifndef _VMMCTL_SIM_PROTO_H_
#define	_VMMCTL_SIM_PROTO_H_

#include <stdint.h>

#define	VMMCTL_SIM_MAGIC	0x534d4d56u	/* "VMMS" little-endian */
#define	VMMCTL_SIM_VERSION	1
#define	VMMCTL_SIM_MAX_PAYLOAD	4096		/* ours are 296 */

/* hdr.type */
#define	VMMCTL_SIM_T_OPEN	1
#define	VMMCTL_SIM_T_IOCTL	2
#define	VMMCTL_SIM_T_REPLY	3

/* hdr.arg of OPEN: the file's access mode. */
#define	VMMCTL_SIM_FREAD	0x1
#define	VMMCTL_SIM_FWRITE	0x2

/* FreeBSD's ioccom.h encoding of the command word. */
#define	VMMCTL_SIM_IOCPARM_MASK	0x1fffu
#define	VMMCTL_SIM_IOC_OUT	0x40000000u
#define	VMMCTL_SIM_IOC_IN	0x80000000u
#define	VMMCTL_SIM_CMD_LEN(cmd)	(((cmd) >> 16) & VMMCTL_SIM_IOCPARM_MASK)

struct vmmctl_sim_hdr {
	uint32_t	magic;		/* VMMCTL_SIM_MAGIC */
	uint16_t	version;	/* VMMCTL_SIM_VERSION */
	uint16_t	type;		/* VMMCTL_SIM_T_* */
	uint32_t	arg;		/* OPEN: access mode; IOCTL: command */
	int32_t		error;		/* REPLY: 0 or errno; else 0 */
	uint32_t	len;		/* payload bytes that follow */
};

#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(struct vmmctl_sim_hdr) == 20, "vmmctl_sim_hdr");
#else
__extension__ _Static_assert(sizeof(struct vmmctl_sim_hdr) == 20,
    "vmmctl_sim_hdr");
#endif

#endif /* !_VMMCTL_SIM_PROTO_H_ */
