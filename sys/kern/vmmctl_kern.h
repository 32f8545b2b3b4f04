/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core of /dev/vmmctl: VM registry, per-open-file ownership,
 * validation, privilege and jail rules.
 *
 * It does no I/O and makes no OS calls.  Everything it needs from its host
 * comes through struct vmmctl_os: a lock, memory, privilege checks and
 * publishing/removing a VM's device node.  The same code is unit-tested
 * in-process (tests/kern) and hosted out of process by vmmctl-sim (sys/sim);
 * on FreeBSD the hooks map onto sx(9), malloc(9), priv_check_cred(9) and
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

/* The caller of an entry point, as struct ucred. */
struct vmmctl_cred {
	uint32_t		uid;
	uint32_t		gid;
	struct vmmctl_kjail	*jail;	/* NULL: not jailed */
};

/*
 * The host's side.  lock/unlock guard the whole core (an sx lock in the
 * kernel).  publish and unpublish are called WITHOUT the lock held, while the
 * VM is reserved but not yet live (publish) or already dying (unpublish), as
 * make_dev/destroy_dev may sleep; they may call back into the core.
 */
struct vmmctl_os {
	void	*arg;
	void	(*lock)(void *arg);
	void	(*unlock)(void *arg);
	void	*(*zalloc)(void *arg, size_t size);	/* zeroed, NULL on failure */
	void	(*free)(void *arg, void *p);
	/* 0 if cred holds priv, else EPERM. */
	int	(*priv_check)(void *arg, const struct vmmctl_cred *cred,
		    int priv);
	/* Make the VM's device node; 0 or an errno that fails the create. */
	int	(*publish)(void *arg, const struct vmmctl_kvm *vm);
	/* Remove the VM's device node. */
	void	(*unpublish)(void *arg, const struct vmmctl_kvm *vm);
};

/* Device instance. */
int	vmmctl_kern_init(const struct vmmctl_os *os, struct vmmctl_kern **kp);
void	vmmctl_kern_fini(struct vmmctl_kern *k);	/* destroys every VM */
void	vmmctl_kern_set_uid_limit(struct vmmctl_kern *k, uint32_t limit);
uint32_t vmmctl_kern_vm_count(const struct vmmctl_kern *k);

/*
 * Jails.  name is one path component; the jail's full name is
 * "parent/name".  Returns 0, EINVAL (bad name), EEXIST or ENOMEM.
 */
int	vmmctl_kern_jail_create(struct vmmctl_kern *k,
	    struct vmmctl_kjail *parent, const char *name,
	    struct vmmctl_kjail **jp);
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
 * Open file descriptions.  open fails with EPERM without VMMCTL_KF_WRITE.
 * release is called once, when the last reference to the file goes: every
 * VM the file owns is destroyed, in O(number owned).
 */
int	vmmctl_kern_open(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
	    int fflags, struct vmmctl_kfile **fp);
void	vmmctl_kern_release(struct vmmctl_kfile *f);

/*
 * The ioctl entry point.  data holds len bytes, copied in by the caller and
 * copied back out when the command has IOC_OUT.  Unknown cmd: ENOTTY;
 * len != the size encoded in cmd: EINVAL; otherwise the errno of DESIGN.md's
 * semantics table.
 */
int	vmmctl_kern_ioctl(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    unsigned long cmd, void *data, size_t len);

/*
 * The name rule, in one place (libvmmctl uses it too): 0, or EINVAL when
 * name has no NUL within bufsize bytes, is empty, is "." or "..", or
 * contains '/'.
 */
int	vmmctl_kern_check_name(const char *name, size_t bufsize);

/* Read-only views of a VM, for the host's publish/unpublish. */
const char *vmmctl_kvm_name(const struct vmmctl_kvm *vm);
uint32_t vmmctl_kvm_uid(const struct vmmctl_kvm *vm);
uint32_t vmmctl_kvm_gid(const struct vmmctl_kvm *vm);
struct vmmctl_kjail *vmmctl_kvm_jail(const struct vmmctl_kvm *vm);

#endif /* !_VMMCTL_KERN_H_ */
