/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libvmmctl internals, shared by the API (vmmctl.c) and the transports
 * (vmmctl_ioctl.c, vmmctl_sim.c).  Not installed.
 */

#ifndef _VMMCTL_IMPL_H_
#define	_VMMCTL_IMPL_H_

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmmctl.h"

/*
 * The library is built with -fvisibility=hidden; only the functions of
 * vmmctl.h carry this, and capi/vmmctl.map pins them to VMMCTL_1.0.  The
 * public header stays free of attributes so that every binding generator
 * can read it.
 */
#define	VMMCTL_EXPORT	__attribute__((visibility("default")))

enum vmmctl_transport {
	VMMCTL_TR_IOCTL,	/* a character device: ioctl(2) */
	VMMCTL_TR_SIM		/* a unix socket to vmmctl-sim */
};

struct vmmctl {
	int			fd;
	enum vmmctl_transport	transport;
	/*
	 * Sim requests of this process, one at a time on its reply channel,
	 * and the connection's lasting error: set once the connection is
	 * gone (the sim died, or broke the protocol), so every later request
	 * fails the same way.  Unused by the ioctl transport.
	 */
	pthread_mutex_t		lock;
	int			broken;
	/*
	 * The sim reply channel of this process (our end; -1 until the first
	 * request), registered as (chan_pid, chan_id) with the sim.
	 */
	int			chan;
	pid_t			chan_pid;
	uint32_t		chan_id;
	char			*root;	/* the directory holding vmmctl, vmm/ */
	/*
	 * The file is vmmctl-sim's device mode (FUSE): close(2) queues the
	 * release, vmmctl_close() waits until the sim has served it.
	 */
	int			fuse;
};

/* The kernel's name rule (sys/kern/vmmctl_name.c, linked in). */
int	vmmctl_kern_check_name(const char *name, size_t bufsize);

/* vmmctl_ioctl.c */
struct stat;
int	vmmctl_dev_node(const char *path, int fd, const struct stat *st);
char	*vmmctl_dev_root(int fd);
int	vmmctl_dev_open(const char *path, int inherit, int *fdp);
int	vmmctl_dev_probe(int fd);
int	vmmctl_dev_sync(int fd);
int	vmmctl_dev_ioctl(struct vmmctl *h, unsigned long cmd, void *arg);

/* vmmctl_sim.c */
int	vmmctl_sim_connect(const char *root, const char *path, int inherit,
	    int *fdp);
void	vmmctl_sim_settle(const char *root);
int	vmmctl_sim_probe(int fd, char **rootp);
int	vmmctl_sim_ioctl(struct vmmctl *h, unsigned long cmd, void *arg);
int	vmmctl_sim_sync(struct vmmctl *h);

#endif /* !_VMMCTL_IMPL_H_ */
