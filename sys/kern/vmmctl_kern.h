/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core of /dev/vmmctl: VM registry, per-open-file ownership,
 * validation, privilege and jail rules, as FreeBSD's sys/dev/vmm/vmm_dev.c
 * applies them in each generation of the interface (shared/FREEBSD.md).
 *
 * It does no I/O and makes no OS calls.  Everything it needs from its host
 * comes through struct vmmctl_os: a lock with sleep/wakeup on it, memory,
 * privilege checks and publishing/removing a VM's device node.  The same
 * code is unit-tested in-process (tests/kern) and hosted out of process by
 * vmmctl-sim (sys/sim); on FreeBSD the hooks map onto sx(9) (sx_sleep,
 * wakeup, sx_assert), malloc(9), priv_check_cred(9) and
 * make_dev_s(9)/destroy_dev(9), and vmmctl_kern_release() onto the
 * devfs_set_cdevpriv(9) destructor.
 */

#ifndef _VMMCTL_KERN_H_
#define	_VMMCTL_KERN_H_

#include <stddef.h>
#include <stdint.h>

#include "vmmctl_dev.h"

struct vmmctl_kern;	/* one device instance: registry, jails, limits */
struct vmmctl_kfile;	/* one open file description of the device */
struct vmmctl_kjail;	/* a jail; NULL means the host (prison0) */
struct vmmctl_kvm;	/* one VM */

/* Privileges asked of the host, as priv(9) names them. */
#define	VMMCTL_PRIV_VMM_CREATE	1
#define	VMMCTL_PRIV_VMM_DESTROY	2

/* Open flags, as the kernel's FREAD/FWRITE. */
#define	VMMCTL_KF_READ		0x1
#define	VMMCTL_KF_WRITE		0x2

/*
 * Generations of /dev/vmmctl (shared/FREEBSD.md): 1, the first one
 * (flags is reserved[0]: every VM persistent, no limit, no privilege
 * checks); 2, destroy-on-close and the per-uid limit; 3, the privilege
 * rules and the vmm group.  An instance starts as the newest.
 */
#define	VMMCTL_KERN_GEN_MIN	1
#define	VMMCTL_KERN_GEN_MAX	3

/* The caller of an entry point, as struct ucred. */
struct vmmctl_cred {
	uint32_t		uid;	/* effective: creator, destroy rule */
	uint32_t		ruid;	/* real: what the per-uid limit counts */
	uint32_t		gid;
	struct vmmctl_kjail	*jail;	/* NULL: not jailed */
};

/* Owner and mode of a device node, as make_dev_s(9)'s arguments. */
struct vmmctl_node_attr {
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	mode;		/* permission bits only */
};

/*
 * The host's side.  lock/unlock guard the whole core (an sx lock in the
 * kernel).  publish and unpublish are called WITHOUT the lock held, while the
 * VM is reserved but not yet live (publish) or already dying (unpublish), as
 * make_dev/destroy_dev may sleep; they may call back into the core.  Every
 * other hook is called with the lock held and must not call back.
 */
struct vmmctl_os {
	void	*arg;
	void	(*lock)(void *arg);
	void	(*unlock)(void *arg);
	/*
	 * sx_assert(SA_XLOCKED)'s role: every function of the core that
	 * needs the lock (the *_locked ones) calls it; a host that finds the
	 * lock not held by the calling thread should fail loudly.
	 */
	void	(*assert_locked)(void *arg);
	/*
	 * sx_sleep/wakeup's role.  sleep drops the lock, waits until a
	 * wakeup on chan (spurious wake-ups are allowed: the core checks
	 * again), and retakes the lock before it returns.  wakeup wakes
	 * every sleeper on chan.  A host that never runs two entry points at
	 * once never has a sleeper (a release only sleeps while another
	 * thread destroys one of its VMs); its sleep may fail loudly.
	 */
	void	(*sleep)(void *arg, const void *chan);
	void	(*wakeup)(void *arg, const void *chan);
	void	*(*zalloc)(void *arg, size_t size);	/* zeroed, NULL on failure */
	void	(*free)(void *arg, void *p);
	/* 0 if cred holds priv, else EPERM. */
	int	(*priv_check)(void *arg, const struct vmmctl_cred *cred,
		    int priv);
	/*
	 * Make the VM's device node, owned as vmmctl_kvm_node() says; 0 or
	 * an errno that fails the create.
	 */
	int	(*publish)(void *arg, const struct vmmctl_kvm *vm);
	/* Remove the VM's device node. */
	void	(*unpublish)(void *arg, const struct vmmctl_kvm *vm);
};

/* Device instance. */
int	vmmctl_kern_init(const struct vmmctl_os *os, struct vmmctl_kern **kp);
void	vmmctl_kern_fini(struct vmmctl_kern *k);	/* destroys every VM */
/*
 * Which generation to model: EINVAL outside VMMCTL_KERN_GEN_MIN..MAX,
 * EBUSY once a file is open or a VM exists (the kernel a program talks to
 * does not change under it).
 */
int	vmmctl_kern_set_generation(struct vmmctl_kern *k, int gen);
int	vmmctl_kern_generation(const struct vmmctl_kern *k);
/*
 * hw.vmm.maxvmms: VMs per real uid, root included, from generation 2 on;
 * 0 means no limit.  FreeBSD's default is 4 x the CPUs, which only the host
 * can count: an instance starts with 0.
 */
void	vmmctl_kern_set_uid_limit(struct vmmctl_kern *k, uint32_t limit);
/* The vmm group's gid (GID_VMM), for the nodes of generation 3; 0 first. */
void	vmmctl_kern_set_vmm_gid(struct vmmctl_kern *k, uint32_t gid);
uint32_t vmmctl_kern_vm_count(const struct vmmctl_kern *k);
/*
 * The control device's owner and mode, which the host enforces at open
 * (devfs's EACCES): root:vmm 0660 in generation 3, root:wheel 0600 before.
 */
void	vmmctl_kern_ctl_node(const struct vmmctl_kern *k,
	    struct vmmctl_node_attr *attr);

/*
 * Jails.  name is one path component; the jail's full name is
 * "parent/name".  Returns 0, EINVAL (bad name), EEXIST or ENOMEM.  A new
 * jail has allow.vmm; vmmctl_kern_jail_set_vmm() changes it (0 or EINVAL).
 * As in FreeBSD, a jail has no permission its parent lacks: a jail is
 * allowed vmm only if it and every ancestor are.
 */
int	vmmctl_kern_jail_create(struct vmmctl_kern *k,
	    struct vmmctl_kjail *parent, const char *name,
	    struct vmmctl_kjail **jp);
int	vmmctl_kern_jail_set_vmm(struct vmmctl_kern *k, struct vmmctl_kjail *j,
	    int allow);
int	vmmctl_kern_jail_allows_vmm(const struct vmmctl_kern *k,
	    const struct vmmctl_kjail *j);
const char *vmmctl_kjail_name(const struct vmmctl_kjail *j);
struct vmmctl_kjail *vmmctl_kjail_parent(const struct vmmctl_kjail *j);
/*
 * 1 if a caller in jail viewer (NULL: the host) sees what belongs to
 * jail j, i.e. viewer is j or one of its ancestors; else 0.  The rule the
 * core applies to VMs (vmmctl_kvm_jail), for hosts that show per-jail views.
 */
int	vmmctl_kjail_sees(const struct vmmctl_kjail *viewer,
	    const struct vmmctl_kjail *j);

/*
 * Open file descriptions.  open fails with EPERM in a jail without
 * allow.vmm, then with EPERM without VMMCTL_KF_WRITE (devfs's permission
 * check comes before, in the host).  release is called once, when the last
 * reference to the file goes: every VM the file owns is destroyed, in
 * O(number owned), and when another thread is destroying one of them,
 * release sleeps until it is gone; once release returns, none of the
 * file's VMs and none of their nodes exist.
 */
int	vmmctl_kern_open(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
	    int fflags, struct vmmctl_kfile **fp);
void	vmmctl_kern_release(struct vmmctl_kfile *f);

/*
 * The ioctl entry point.  data holds len bytes, copied in by the caller and
 * copied back out when the command has IOC_OUT and succeeded (both have:
 * the name comes back cut at 229 bytes, as FreeBSD returns it).  Unknown
 * cmd: ENOTTY; len != the size encoded in cmd: EINVAL; otherwise the errno
 * FreeBSD's vmmctl_ioctl() returns, check by check in its order
 * (shared/FREEBSD.md), for the instance's generation.
 */
int	vmmctl_kern_ioctl(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    unsigned long cmd, void *data, size_t len);

/*
 * The name rule, in one place: 0, or EINVAL when name has no NUL within
 * bufsize bytes, is empty, is "." or "..", or contains '/', a '"' or a
 * white-space character of the C locale.  The kernel applies it, as devfs's
 * MAKEDEV_CHECKNAME does, to a name it has already cut at 229 bytes (so it
 * never sees an unterminated one); it refuses '/' where FreeBSD would make a
 * sub-directory of /dev/vmm (a listed divergence).  libvmmctl applies it
 * after refusing over-long names with ENAMETOOLONG, so the library never
 * sends a name the kernel would refuse or mangle.
 */
int	vmmctl_kern_check_name(const char *name, size_t bufsize);

/* Read-only views of a VM, for the host's publish/unpublish. */
const char *vmmctl_kvm_name(const struct vmmctl_kvm *vm);
uint32_t vmmctl_kvm_uid(const struct vmmctl_kvm *vm);	/* creator's euid */
uint32_t vmmctl_kvm_gid(const struct vmmctl_kvm *vm);
struct vmmctl_kjail *vmmctl_kvm_jail(const struct vmmctl_kvm *vm);
/*
 * Its node's owner and mode: creator:vmm 0600 in generation 3, root:wheel
 * 0600 before (vmmdev_create()'s make_dev_s arguments).
 */
void	vmmctl_kvm_node(const struct vmmctl_kvm *vm,
	    struct vmmctl_node_attr *attr);

#endif /* !_VMMCTL_KERN_H_ */
