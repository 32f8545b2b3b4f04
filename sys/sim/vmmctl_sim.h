/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl-sim as a library: the kernel core (sys/kern) hosted under a root
 * directory that looks like /dev, in any process.
 *
 *	<root>/vmmctl		the control endpoint
 *	<root>/vmm/<name>	one node per visible VM
 *	<root>/jails/J/		jail J's own /dev (vmmctl, vmm/)
 *
 * A simulator is made with vmmctl_sim_new(), configured with the setters,
 * and made ready with vmmctl_sim_listen(): when that returns 0 the root is
 * prepared and every endpoint accepts connections.  It is then served either
 * in a thread of its own (vmmctl_sim_start()) or in the caller's thread
 * (vmmctl_sim_run(), until vmmctl_sim_stop()).  vmmctl_sim_free() stops
 * it, releases every open file (destroying every VM), removes what it made
 * under the root and frees it.
 *
 * The library keeps no global state, installs no signal handlers and never
 * exits: several simulators may run in one process, each under its own
 * root.  Functions return 0 or a positive errno value; vmmctl_sim_error()
 * then describes the failure in a sentence.  One simulator is driven from
 * one thread at a time, except vmmctl_sim_stop(), which any thread or a
 * signal handler may call.
 *
 * Its descriptors are close-on-exec.  In a process that forks while a
 * simulator thread runs, the child has no simulator: only the parent
 * serves.
 */

#ifndef _VMMCTL_SIM_H_
#define	_VMMCTL_SIM_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmmctl_sim;

/*
 * A simulator for root (absolute or relative to the working directory; made
 * at vmmctl_sim_listen() time if missing), not yet listening.  EINVAL for
 * an empty root, ENAMETOOLONG, ENOMEM.
 */
int	vmmctl_sim_new(const char *root, struct vmmctl_sim **simp);

/*
 * Configuration, before vmmctl_sim_listen() (EBUSY after it).
 * jail: "NAME" or "a/b" (nested; a is made too), a jail with allow.vmm;
 * "NAME:novmm" makes (or marks) the last one a jail without allow.vmm, and
 * its descendants have none either.  EINVAL for an empty component, the
 * names "vmm" and "vmmctl", or any other suffix after ':'.
 * uid_limit: hw.vmm.maxvmms, at most limit VMs per real uid, root
 * included (generation 2 on); 0 means no limit.  The default is FreeBSD's,
 * 4 x the CPUs online: tests that make many VMs set 0.
 * group: the vmm group (a name or a number): the group of the control
 * endpoints (0660 in generation 3; 0600 before) and, in generation 3, of
 * the VM nodes.  Default: the host's own effective group.  ENOENT for an
 * unknown name.
 */
int	vmmctl_sim_jail(struct vmmctl_sim *sim, const char *spec);
int	vmmctl_sim_set_uid_limit(struct vmmctl_sim *sim, uint32_t limit);
int	vmmctl_sim_set_group(struct vmmctl_sim *sim, const char *group);

/*
 * Device mode (flags != 0): instead of a unix socket, the root is mounted
 * as a FUSE file system in which <root>/vmmctl (and each jail's) is a file
 * that answers the vmmctl ioctls, <root>/vmm/<name> are the nodes, and the
 * kernel tracks open file descriptions and each caller's credentials, so
 * libvmmctl takes its character-device path.  The root must be an empty
 * directory (or absent); it is unmounted at vmmctl_sim_free().  Needs
 * /dev/fuse and root or fusermount3, checked now: otherwise an errno, and
 * vmmctl_sim_error() says what is missing (ENOTSUP: this build has no FUSE
 * support).
 *
 * VMMCTL_SIM_FUSE_AUTO_UNMOUNT, for a process that serves until it exits
 * (the daemon): fusermount3, when installed, also unmounts the root if the
 * process dies; libfuse then keeps a socket to it open until the process
 * exits.  Without it, a dead mount is detached by the next simulator
 * started on the root.
 */
#define	VMMCTL_SIM_FUSE			0x1
#define	VMMCTL_SIM_FUSE_AUTO_UNMOUNT	0x2
int	vmmctl_sim_set_fuse(struct vmmctl_sim *sim, int flags);

/*
 * The generation of /dev/vmmctl to model (FREEBSD.md): 1 (FreeBSD 15.0's:
 * no destroy-on-close, every VM persistent), 2 (destroy-on-close, per-uid
 * limit), 3 (privilege checks, the vmm group); 0 means the newest, the
 * default.  EINVAL for one that does not exist.
 */
int	vmmctl_sim_set_generation(struct vmmctl_sim *sim, int generation);

/*
 * Prepares the root and listens on every endpoint: the simulator is ready
 * for connections when this returns 0 (requests are served once it runs).
 * On failure nothing it made is left behind.
 */
int	vmmctl_sim_listen(struct vmmctl_sim *sim);

/* Serves in a new thread (listening first if needed). */
int	vmmctl_sim_start(struct vmmctl_sim *sim);

/* Serves in the calling thread until vmmctl_sim_stop(): 0 or an errno. */
int	vmmctl_sim_run(struct vmmctl_sim *sim);

/* Asks the serving thread to return.  Async-signal-safe; idempotent. */
void	vmmctl_sim_stop(struct vmmctl_sim *sim);

/*
 * Stops the simulator (joining its thread), releases every open file,
 * removes its endpoints, nodes and the directories it made, and frees it.
 * NULL is a no-op.
 */
void	vmmctl_sim_free(struct vmmctl_sim *sim);

/* The absolute root. */
const char *vmmctl_sim_root(const struct vmmctl_sim *sim);

/* The last failure, in a sentence ("" if none). */
const char *vmmctl_sim_error(const struct vmmctl_sim *sim);

#ifdef __cplusplus
}
#endif

#endif /* !_VMMCTL_SIM_H_ */
