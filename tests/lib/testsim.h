/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Test helper: run a private vmmctl-sim under a fresh, short temporary root.
 *
 * The simulator is $VMMCTL_BUILD/bin/vmmctl-sim (VMMCTL_BUILD is exported by
 * make; Kyua passes it through).  Every test starts its own simulator so
 * tests never share state.
 */

#ifndef _TESTSIM_H_
#define	_TESTSIM_H_

#include <sys/types.h>

struct testsim {
	char	root[64];	/* "/tmp/vmc.XXXXXX": short for sun_path */
	pid_t	pid;		/* the simulator, a child of the caller */
	int	fuse;		/* device mode: vmmctl-sim --fuse */
};

/*
 * Makes the root (mkdtemp, mode 0755), runs
 * "vmmctl-sim --root <root> [extra_args...]" in the foreground as a child
 * and waits (at most ~10 s) until <root>/vmmctl accepts a connection.
 * extra_args: NULL-terminated extra options, or NULL.  Returns 0 or an
 * errno (ENOENT: no simulator binary; ETIMEDOUT: it never became ready;
 * ECHILD: it exited during start-up).  On failure nothing is left behind.
 */
int	testsim_start(struct testsim *ts, const char *const *extra_args);

/*
 * The same, in device mode when fuse is non-zero ("vmmctl-sim --fuse":
 * <root> is a FUSE mount, <root>/vmmctl a file answering ioctl(2), the
 * library's character-device transport).  Ready once <root>/vmmctl is a
 * regular file of the mount.  EOPNOTSUPP when the sim says device mode is
 * unavailable here (exit 69); testsim_fuse_unusable() tells why first.
 */
int	testsim_start_mode(struct testsim *ts, const char *const *extra_args,
	    int fuse);

/*
 * 0 when device mode can run here (/dev/fuse opens read-write, and root or
 * fusermount3), else an errno and the reason in why.
 */
int	testsim_fuse_unusable(char *why, size_t size);

/* "socket" or "ioctl (device mode, FUSE)": the transport of ts, for logs. */
const char *testsim_transport(const struct testsim *ts);

/*
 * SIGTERM, waitpid, then removes the root tree.  Returns 0 if the
 * simulator exited with status 0 (and, in device mode, left nothing
 * mounted), else EIO (or an errno of waitpid).  A mount a killed sim left
 * is detached either way.
 */
int	testsim_stop(struct testsim *ts);

/* The path of the simulator binary (static storage). */
const char *testsim_binary(void);

/* "<root>/<rel>" into buf; 0 or ENAMETOOLONG. */
int	testsim_path(const struct testsim *ts, const char *rel, char *buf,
	    size_t size);

/* Removes a directory tree (best effort): for test cleanup. */
void	testsim_rmtree(const char *path);

#endif /* !_TESTSIM_H_ */
