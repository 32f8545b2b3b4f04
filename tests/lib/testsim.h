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
 * SIGTERM, waitpid, then removes the root tree.  Returns 0 if the
 * simulator exited with status 0, else EIO (or an errno of waitpid).
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
