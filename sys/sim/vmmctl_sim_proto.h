/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The wire protocol between libvmmctl and vmmctl-sim, version 2.
 *
 * A connection to <root>/vmmctl (AF_UNIX, SOCK_SEQPACKET) is one open file
 * description of the control device: dup, fork and SCM_RIGHTS share it, and
 * the simulator releases the file when the last reference goes (it sees the
 * hang-up).  Every message is one request: a struct vmmctl_sim_hdr followed
 * by exactly hdr.len payload bytes, in one sendmsg(2), so that requests of
 * several processes sharing the connection never interleave.  Fields are in
 * host byte order: the socket never leaves the host.
 *
 * Each request carries its sender's credentials as ancillary data,
 * checked by the kernel: SCM_CREDENTIALS on Linux (the simulator sets
 * SO_PASSCRED; the library sends its pid and effective uid and gid
 * explicitly), SCM_CREDS2 on FreeBSD (LOCAL_CREDS_PERSISTENT).  Each
 * request is answered with the credentials of the process that sent it, at
 * the time it sent it, whoever opened the connection.
 *
 * The reply goes to a reply channel (one end of a SOCK_SEQPACKET
 * socketpair the client made), so that it reaches the process that asked
 * and nobody else:
 *   - hdr.chan = 0 and one descriptor attached (SCM_RIGHTS): a channel for
 *     this request only; the simulator closes it after the reply;
 *   - hdr.chan = N != 0 and one descriptor attached: the channel is
 *     registered as (sender's pid, N) on this connection (replacing an
 *     earlier one of that key) and answers this and later requests;
 *   - hdr.chan = N != 0 and no descriptor: the reply goes to the channel
 *     registered as (sender's pid, N).  The pid is the kernel's, so no
 *     process can reach another's channel.
 * A client should keep at most one request outstanding per registered
 * channel; if its replies pile up unread, the simulator holds the next one
 * and stops reading that connection until the channel drains (it never
 * drops a reply, nor a client that is slow to read).  A channel whose
 * other end is closed is forgotten.
 *
 *   client                               sim
 *   OPEN  {arg = VMMCTL_SIM_FREAD|FWRITE} ->
 *                                         <- REPLY {error}         (1)
 *   IOCTL {arg = cmd, len, payload}      ->
 *                                         <- REPLY {error, len', payload'} (2)
 *   ... close(): the last reference going releases the file ...
 *
 * (1) The first request must be OPEN, and only the first.  A non-zero error
 *     (EPERM without write access; EMFILE when the caller's uid already
 *     holds as many connections as the simulator allows one user) is
 *     followed by the sim closing.
 * (2) len must equal VMMCTL_SIM_CMD_LEN(arg), or the reply is EINVAL with
 *     len' = 0 (the connection stays usable).  Otherwise the reply carries
 *     the payload back (len' = len) when arg has VMMCTL_SIM_IOC_OUT, also
 *     with an error (clients copy it out only on success, as the kernel
 *     does), else len' = 0.  error is 0 or a positive errno of this host.
 *     Unknown commands get ENOTTY.
 *
 * A message with a bad magic, an unsupported version (reply
 * EPROTONOSUPPORT), an unknown type, a length other than its header's,
 * more than one descriptor, no credentials, no channel (none attached and
 * none registered under its chan) or a truncated payload or control part
 * gets a REPLY with EPROTO (if it has a channel), and the connection is
 * closed.  A connection may register at most VMMCTL_SIM_MAX_CHANS
 * channels at once (EMFILE for one more, on the channel attached).  A client of protocol 1 (SOCK_STREAM) cannot
 * connect: connect(2) fails with EPROTOTYPE.
 *
 * Hang-ups: the sim handles every hang-up pending before it serves any
 * request, so a close() in one process is seen by the next request of any
 * process.  Requests still queued when the last reference goes are dropped
 * (their channels close: the sender reads end-of-file).  Requests on one
 * connection are served in order, one per round; clients may pipeline them
 * freely on one-shot channels: each reply waits in its own channel.
 */

#ifndef _VMMCTL_SIM_PROTO_H_
#define	_VMMCTL_SIM_PROTO_H_

#include <stdint.h>

#define	VMMCTL_SIM_MAGIC	0x534d4d56u	/* "VMMS" little-endian */
#define	VMMCTL_SIM_VERSION	2
#define	VMMCTL_SIM_MAX_PAYLOAD	4096		/* ours are 296 */
#define	VMMCTL_SIM_MAX_CHANS	256		/* registered, per connection */

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
	uint32_t	chan;		/* request: its reply channel (above) */
};

#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(struct vmmctl_sim_hdr) == 24, "vmmctl_sim_hdr");
#else
__extension__ _Static_assert(sizeof(struct vmmctl_sim_hdr) == 24,
    "vmmctl_sim_hdr");
#endif

#endif /* !_VMMCTL_SIM_PROTO_H_ */
