/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator's internals, shared by the host (vmmctl_sim_host.c: the
 * kernel core, its OS hooks, the nodes, the public API), the root
 * (vmmctl_sim_root.c: checks, lock, views' directories) and the transports
 * (vmmctl_sim_sock.c: endpoints, connections, requests, the serving loop,
 * with vmmctl_sim_chan.c, the reply channels; vmmctl_sim_fuse.c: the
 * device mode, a FUSE file system at the root).  Not installed; not an API.
 */

#ifndef _VMMCTL_SIM_VAR_H_
#define	_VMMCTL_SIM_VAR_H_

#include <sys/types.h>

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>

#include "vmmctl_kern.h"
#include "vmmctl_sim.h"
#include "vmmctl_sim_proto.h"

#define	SIM_FRAME_MAX	(sizeof(struct vmmctl_sim_hdr) + VMMCTL_SIM_MAX_PAYLOAD)

/* One endpoint: the host's /dev or a jail's, <root>[/jails/J]. */
struct sim_ep {
	struct vmmctl_kjail	*jail;		/* NULL: the host */
	char			dir[PATH_MAX];	/* for messages and clients */
	int			dirfd;		/* the view's directory */
	int			vmmfd;		/* its vmm/ */
	int			fd;		/* listening; -1 if not */
	int			bound;		/* <dir>/vmmctl is ours */
};

/* A reply channel registered on a connection (vmmctl_sim_proto.h). */
struct sim_chan {
	uint32_t		pid;		/* the kernel's, of its sender */
	uint32_t		id;		/* hdr.chan */
	int			fd;
};

/*
 * One connection: one open file description.  Each message on it is one
 * request with its sender's credentials and a reply channel, attached or
 * registered (vmmctl_sim_proto.h).  buf comes first, so the payload (at
 * offset 24) is aligned as the core's structures need.
 */
struct sim_conn {
	unsigned char		buf[SIM_FRAME_MAX];
	size_t			have;		/* bytes of the message taken */
	int			fd;
	int			hangup;		/* close at the next sweep */
	int			reply_fd;	/* the message's channel */
	int			reply_once;	/* ...for this request only */
	int			bad;		/* the message's protocol error */
	int			refuse;		/* its answer, unserved */
	int			have_cred;	/* the message carried them */
	int			fixed_cred;	/* adopted with fixed cred */
	int			over_cap;	/* its user has too many open */
	uint32_t		pid;		/* the message's sender */
	struct vmmctl_cred	cred;		/* at connect; the jail */
	struct vmmctl_cred	rcred;		/* of the message's sender */
	struct vmmctl_kfile	*file;		/* NULL until OPEN */
	struct sim_chan		*chans;		/* registered channels */
	size_t			nchans;
	/* A reply its registered channel could not take yet: stalled. */
	unsigned char		out[SIM_FRAME_MAX];
	size_t			outlen;
	int			out_fd;
};

enum sim_state {
	SIM_NEW,		/* configurable */
	SIM_LISTENING,		/* root prepared, endpoints listening */
	SIM_STOPPED		/* served, stopped, or failed: only free */
};

struct vmmctl_sim {
	char			root[PATH_MAX];	/* absolute, no trailing / */
	enum sim_state		state;
	int			rootfd;
	int			lockfd;		/* the marker, flock'ed */
	int			locked;		/* so the root is ours */
	int			jailsfd;	/* <root>/jails */
	int			parentfd;	/* the root's, if we made it */
	char			root_leaf[NAME_MAX + 1];
	int			root_made;	/* rmdir at free */
	int			vmm_made;	/* <root>/vmm: ours to remove */
	int			jails_made;	/* <root>/jails: likewise */
	uid_t			uid;		/* privileged like root */
	uid_t			euid;		/* for the nodes' owners */
	gid_t			egid;
	uint32_t		uid_limit;	/* default 4 x CPUs */
	uint32_t		vmm_gid;	/* --group; default egid */
	struct vmmctl_os	os;
	struct vmmctl_kern	*kern;
	pthread_mutex_t		klock;		/* the core's lock */
	pthread_cond_t		kwake;		/* its sleep/wakeup */
	pthread_t		klock_owner;	/* valid while klock_held */
	int			klock_held;
	struct sim_ep		*eps;		/* [0] is the host */
	size_t			neps;
	struct sim_conn		**conns;
	size_t			nconns;
	size_t			conncap;
	struct pollfd		*pfd;		/* wake, eps, conns */
	int			spare_fd;	/* for EMFILE on accept */
	size_t			conn_cap;	/* open files per uid */
	int			wake[2];	/* vmmctl_sim_stop() writes */
	int			fuse;		/* device mode: FUSE transport */
	int			fuse_auto_unmount; /* fusermount3 on death */
	struct sim_fuse		*fz;		/* its state (vmmctl_sim_fuse.c) */
	pthread_t		thread;
	int			threaded;	/* thread is to be joined */
	char			err[512];
};

/* vmmctl_sim_host.c */
int	sim_fail(struct vmmctl_sim *sim, int error, const char *fmt, ...)
	    __attribute__((__format__(__printf__, 3, 4)));
int	sim_set_cloexec_nonblock(int fd);
uint32_t sim_pid_ruid(long pid, uint32_t euid);
const char *sim_jail_leaf(const struct vmmctl_kjail *j);
void	sim_ctl_attr(const struct vmmctl_sim *sim,
	    struct vmmctl_node_attr *attr);
int	sim_ctl_perm(const struct vmmctl_sim *sim, int dfd, const char *name);

/* vmmctl_sim_root.c: the root, its lock, the views' directories. */
int	sim_root_open(struct vmmctl_sim *sim);
void	sim_root_close(struct vmmctl_sim *sim);

/* vmmctl_sim_chan.c: a connection's registered reply channels. */
struct sim_chan *sim_chan_find(struct sim_conn *c, uint32_t pid, uint32_t id);
int	sim_chan_register(struct sim_conn *c, uint32_t pid, uint32_t id,
	    int fd);
void	sim_chan_forget(struct sim_conn *c, size_t i);
void	sim_chan_lost(struct sim_conn *c, int fd);
void	sim_chan_purge(struct sim_conn *c);

/* vmmctl_sim_sock.c: the socket transport. */
int	sim_sock_path(char *buf, size_t size, const char *dir);
int	sim_sock_listen(struct vmmctl_sim *sim, struct sim_ep *ep);
int	sim_sock_adopt(struct vmmctl_sim *sim, int fd,
	    const struct vmmctl_cred *cred, int fixed);
int	sim_sock_round(struct vmmctl_sim *sim, int timeout);
int	sim_sock_serve(struct vmmctl_sim *sim);
void	sim_sock_close(struct vmmctl_sim *sim);

/*
 * vmmctl_sim_fuse.c: the device-mode transport.  Without libfuse3 (built
 * without VMMCTL_SIM_HAVE_FUSE) supported() is 0 and the rest says ENOTSUP.
 */
struct sim_fuse;
int	sim_fuse_supported(void);
int	sim_fuse_usable(char *why, size_t size);
int	sim_fuse_unstale(struct vmmctl_sim *sim);
int	sim_fuse_mount(struct vmmctl_sim *sim);
int	sim_fuse_serve(struct vmmctl_sim *sim);
void	sim_fuse_close(struct vmmctl_sim *sim);
void	sim_fuse_free(struct vmmctl_sim *sim);
int	sim_fuse_publish(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm);
void	sim_fuse_unpublish(struct vmmctl_sim *sim,
	    const struct vmmctl_kvm *vm);

#endif /* !_VMMCTL_SIM_VAR_H_ */
