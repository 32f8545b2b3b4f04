/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A minimal client of vmmctl-sim's wire protocol (vmmctl_sim_proto.h,
 * version 2), for the simulator's own tests: it can send any message,
 * well-formed or not, and does not depend on libvmmctl.  Each request
 * carries the process's effective uid and gid, as libvmmctl's do.
 *
 * Functions returning int give 0 or the sim's errno (>= 0) on a completed
 * exchange, and a NEGATIVE errno when the stream failed (-EPIPE: the sim
 * closed the connection; -EPROTO: the reply was malformed).
 */

#ifndef _SIMCLIENT_H_
#define	_SIMCLIENT_H_

#include <stddef.h>
#include <stdint.h>

#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"

/* Connects to <dir>/vmmctl; nothing sent.  0 and *fdp, or -errno. */
int	simclient_connect(const char *dir, int *fdp);

/*
 * Connect + OPEN with mode (VMMCTL_SIM_FREAD|FWRITE).  0 and *fdp; the
 * sim's errno (fd closed); or -errno.
 */
int	simclient_open_mode(const char *dir, uint32_t mode, int *fdp);
int	simclient_open(const char *dir, int *fdp);	/* read-write */

/* Sends one frame with the given header fields and payload: 0 or -errno. */
int	simclient_send(int fd, uint32_t magic, uint16_t version, uint16_t type,
	    uint32_t arg, const void *payload, uint32_t len);
/*
 * Sends raw bytes as one request message: 0 or -errno.  Its reply channel
 * is kept for simclient_reply() (oldest first, per fd).
 * simclient_send_msg() sends it with nchan (0-2) channels instead: only a
 * request's first channel is kept; with none there is nothing to read.
 */
int	simclient_send_raw(int fd, const void *buf, size_t len);
int	simclient_send_msg(int fd, const void *buf, size_t len, int nchan);

/*
 * Reads the reply of the oldest request sent on fd and not yet answered,
 * from its own channel: the sim's errno, its payload into buf (at most max
 * bytes; *lenp gets the length if lenp is not NULL), or -errno (-EPIPE:
 * the sim dropped the request; -ENOENT: no request is pending).
 */
int	simclient_reply(int fd, void *buf, uint32_t max, uint32_t *lenp);

/* IOCTL exchange; the reply payload (if any) is copied back into data. */
int	simclient_ioctl(int fd, uint32_t cmd, void *data, uint32_t len);

/* VMMCTL_VM_CREATE / DESTROY of a NUL-terminated name (<= 229 bytes). */
int	simclient_create(int fd, const char *name, uint32_t flags);
int	simclient_destroy(int fd, const char *name);

/*
 * Blocks until the sim closes the connection (1), or data arrives (0), or
 * an error (-errno).  Data is discarded.
 */
int	simclient_wait_eof(int fd);

#endif /* !_SIMCLIENT_H_ */
