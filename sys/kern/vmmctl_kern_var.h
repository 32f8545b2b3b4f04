/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Private structures of the kernel core, shared by its .c files only.
 * Nothing outside sys/kern may include this: hosts see the opaque types of
 * vmmctl_kern.h.
 *
 * Locking: every field below is guarded by the core's lock (os.lock), except
 * the immutable ones marked (c), which are set before the object is visible
 * to anyone else and never change afterwards, and k_gen, which only changes
 * while no file is open.  Functions named *_locked (and the vmmctl_kt_*
 * ones) need the lock and assert it with KERN_ASSERT_LOCKED.
 */

#ifndef _VMMCTL_KERN_VAR_H_
#define	_VMMCTL_KERN_VAR_H_

#include "vmmctl_kern.h"

/* Life cycle of a VM; the name is taken in every state. */
enum vmmctl_kvm_state {
	VMMCTL_KVM_CREATING = 1,	/* reserved, being published */
	VMMCTL_KVM_LIVE,		/* published, destroyable */
	VMMCTL_KVM_DYING		/* being unpublished (sc->cdev == NULL) */
};

struct vmmctl_kvm {
	struct vmmctl_kvm	*vm_hnext;	/* name hash chain */
	struct vmmctl_kvm	*vm_onext;	/* owner's list */
	struct vmmctl_kvm	**vm_oprevp;	/* &previous->vm_onext or head */
	struct vmmctl_kfile	*vm_owner;	/* NULL: persistent */
	struct vmmctl_kjail	*vm_jail;	/* (c) creator's jail */
	uint32_t		vm_hash;	/* (c) of vm_name */
	uint32_t		vm_uid;		/* (c) creator's euid */
	uint32_t		vm_ruid;	/* (c) creator's ruid: the limit */
	uint32_t		vm_gid;		/* (c) */
	struct vmmctl_node_attr	vm_node;	/* (c) its node's owner, mode */
	enum vmmctl_kvm_state	vm_state;
	char			vm_name[VM_MAX_NAMELEN + 1];	/* (c) */
};

struct vmmctl_kfile {
	struct vmmctl_kern	*f_kern;	/* (c) */
	/* DESTROY_ON_CLOSE VMs, LIVE or DYING: freeing one unlinks it. */
	struct vmmctl_kvm	*f_owned;
	struct vmmctl_kfile	*f_next;	/* every open file, for fini */
	struct vmmctl_kfile	**f_prevp;
};

struct vmmctl_kjail {
	struct vmmctl_kjail	*j_parent;	/* (c) NULL: child of the host */
	struct vmmctl_kjail	*j_next;	/* every jail, for fini */
	size_t			j_leaf;		/* (c) offset of the last component */
	int			j_novmm;	/* allow.vmm is off */
	char			j_name[];	/* (c) full path "a/b" */
};

/* One uid that owns VMs; freed when its count drops to zero. */
struct vmmctl_kuid {
	struct vmmctl_kuid	*u_next;
	uint32_t		u_uid;
	uint32_t		u_count;
};

#define	VMMCTL_UID_BUCKETS	64	/* uids are few; kt_uid_bucket() */
#define	VMMCTL_NAME_BUCKETS_MIN	16

struct vmmctl_kern {
	struct vmmctl_os	k_os;		/* (c) the host's hooks */
	struct vmmctl_kvm	**k_buckets;	/* name table */
	size_t			k_nbuckets;	/* a power of two */
	uint32_t		k_nvms;		/* names taken, any state */
	int			k_gen;		/* VMMCTL_KERN_GEN_* */
	uint32_t		k_uid_limit;	/* 0: none */
	uint32_t		k_vmm_gid;	/* GID_VMM */
	struct vmmctl_kuid	*k_uids[VMMCTL_UID_BUCKETS];
	struct vmmctl_kfile	*k_files;
	struct vmmctl_kjail	*k_jails;
};

#define	KERN_ASSERT_LOCKED(k)	((k)->k_os.assert_locked((k)->k_os.arg))

/* vmmctl_table.c: the name table and the per-uid counters. */
uint32_t vmmctl_kt_hash(const char *name);
int	vmmctl_kt_init(struct vmmctl_kern *k);
void	vmmctl_kt_fini(struct vmmctl_kern *k);
struct vmmctl_kvm *vmmctl_kt_lookup(const struct vmmctl_kern *k,
	    const char *name);
void	vmmctl_kt_insert(struct vmmctl_kern *k, struct vmmctl_kvm *vm);
void	vmmctl_kt_remove(struct vmmctl_kern *k, struct vmmctl_kvm *vm);
struct vmmctl_kvm *vmmctl_kt_next_live(const struct vmmctl_kern *k,
	    size_t *bucketp);
uint32_t vmmctl_kt_uid_count(const struct vmmctl_kern *k, uint32_t uid);
int	vmmctl_kt_uid_ref(struct vmmctl_kern *k, uint32_t uid);
void	vmmctl_kt_uid_unref(struct vmmctl_kern *k, uint32_t uid);

/* vmmctl_jail.c */
int	vmmctl_kjail_allows_vmm_locked(const struct vmmctl_kern *k,
	    const struct vmmctl_kjail *j);
void	vmmctl_kjail_free_all_locked(struct vmmctl_kern *k);

#endif /* !_VMMCTL_KERN_VAR_H_ */
