/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Private structures of the kernel core, shared by its .c files only.
 * Nothing outside sys/kern may include this: hosts see the opaque types of
 * vmmctl_kern.h.
 *
 * Locking: every field below is guarded by the core's lock (os.lock), except
 * the immutable ones marked (c), which are set before the object is visible
 * to anyone else and never change afterwards.
 */

#ifndef _VMMCTL_KERN_VAR_H_
#define	_VMMCTL_KERN_VAR_H_

#include "vmmctl_kern.h"

/* Life cycle of a VM; the name is taken in every state. */
enum vmmctl_kvm_state {
	VMMCTL_KVM_CREATING = 1,	/* reserved, being published */
	VMMCTL_KVM_LIVE,		/* published, destroyable */
	VMMCTL_KVM_DYING		/* being unpublished */
};

struct vmmctl_kvm {
	struct vmmctl_kvm	*vm_hnext;	/* name hash chain */
	struct vmmctl_kvm	*vm_onext;	/* owner's list */
	struct vmmctl_kvm	**vm_oprevp;	/* &previous->vm_onext or head */
	struct vmmctl_kfile	*vm_owner;	/* NULL: persistent */
	struct vmmctl_kjail	*vm_jail;	/* (c) creator's jail */
	uint32_t		vm_hash;	/* (c) of vm_name */
	uint32_t		vm_uid;		/* (c) */
	uint32_t		vm_gid;		/* (c) */
	enum vmmctl_kvm_state	vm_state;
	char			vm_name[VM_MAX_NAMELEN + 1];	/* (c) */
};

struct vmmctl_kfile {
	struct vmmctl_kern	*f_kern;	/* (c) */
	struct vmmctl_kvm	*f_owned;	/* DESTROY_ON_CLOSE VMs */
	struct vmmctl_kfile	*f_next;	/* every open file, for fini */
	struct vmmctl_kfile	**f_prevp;
};

struct vmmctl_kjail {
	struct vmmctl_kjail	*j_parent;	/* (c) NULL: child of the host */
	struct vmmctl_kjail	*j_next;	/* every jail, for fini */
	size_t			j_leaf;		/* (c) offset of the last component */
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
	uint32_t		k_uid_limit;	/* 0: none */
	struct vmmctl_kuid	*k_uids[VMMCTL_UID_BUCKETS];
	struct vmmctl_kfile	*k_files;
	struct vmmctl_kjail	*k_jails;
};

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
void	vmmctl_kjail_free_all(struct vmmctl_kern *k);

#endif /* !_VMMCTL_KERN_VAR_H_ */
