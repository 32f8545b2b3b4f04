/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core of /dev/vmmctl: device instance, open files, the ioctl
 * entry point and the VM life cycle.
 *
 * Life cycle.  A create reserves the name (CREATING) under the lock, drops
 * the lock to publish the device node (make_dev may sleep), and retakes it
 * to mark the VM LIVE, or to roll the reservation back when publishing
 * failed.  A destroy marks the VM DYING under the lock, drops it to remove
 * the node, and retakes it to free the VM.  While CREATING or DYING the name
 * stays taken (create: EEXIST) and the VM cannot be destroyed (EINVAL), so
 * exactly one thread ever tears a VM down, and publish/unpublish may call
 * back into the core.
 *
 * Ownership.  A DESTROY_ON_CLOSE VM sits on its file's intrusive list, so a
 * release costs O(VMs owned) and a destroy through any file unlinks it in
 * O(1): it can never be destroyed twice.
 *
 * Host hooks other than publish and unpublish (zalloc, free, priv_check) are
 * called with the lock held and must not call back into the core.
 */

#include <errno.h>
#include <string.h>

#include "vmmctl_kern_var.h"

#define	nitems(x)	(sizeof(x) / sizeof((x)[0]))

static int
os_valid(const struct vmmctl_os *os)
{

	return (os->lock != NULL && os->unlock != NULL && os->zalloc != NULL &&
	    os->free != NULL && os->priv_check != NULL &&
	    os->publish != NULL && os->unpublish != NULL);
}

static void
kern_lock(const struct vmmctl_kern *k)
{

	k->k_os.lock(k->k_os.arg);
}

static void
kern_unlock(const struct vmmctl_kern *k)
{

	k->k_os.unlock(k->k_os.arg);
}

int
vmmctl_kern_init(const struct vmmctl_os *os, struct vmmctl_kern **kp)
{
	struct vmmctl_kern *k;
	int error;

	if (os == NULL || kp == NULL || !os_valid(os))
		return (EINVAL);
	k = os->zalloc(os->arg, sizeof(*k));
	if (k == NULL)
		return (ENOMEM);
	k->k_os = *os;
	error = vmmctl_kt_init(k);
	if (error != 0) {
		os->free(os->arg, k);
		return (error);
	}
	*kp = k;
	return (0);
}

static void
kvm_own(struct vmmctl_kfile *f, struct vmmctl_kvm *vm)
{

	vm->vm_owner = f;
	vm->vm_onext = f->f_owned;
	if (f->f_owned != NULL)
		f->f_owned->vm_oprevp = &vm->vm_onext;
	vm->vm_oprevp = &f->f_owned;
	f->f_owned = vm;
}

static void
kvm_disown(struct vmmctl_kvm *vm)
{

	if (vm->vm_owner == NULL)
		return;
	*vm->vm_oprevp = vm->vm_onext;
	if (vm->vm_onext != NULL)
		vm->vm_onext->vm_oprevp = vm->vm_oprevp;
	vm->vm_onext = NULL;
	vm->vm_oprevp = NULL;
	vm->vm_owner = NULL;
}

/* Undoes a reservation: the VM was never LIVE, or is done unpublishing. */
static void
kvm_free(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{

	vmmctl_kt_remove(k, vm);
	vmmctl_kt_uid_unref(k, vm->vm_uid);
	k->k_os.free(k->k_os.arg, vm);
}

/*
 * Destroys a LIVE VM.  Called and returns with the lock held, dropping it
 * around unpublish; the DYING state keeps everyone else off the VM
 * meanwhile.
 */
static void
kvm_destroy_locked(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{

	vm->vm_state = VMMCTL_KVM_DYING;
	kvm_disown(vm);
	kern_unlock(k);
	k->k_os.unpublish(k->k_os.arg, vm);
	kern_lock(k);
	kvm_free(k, vm);
}

/* Frees whatever a host bug left behind: VMs still CREATING or DYING. */
static void
kern_free_stragglers(struct vmmctl_kern *k)
{
	struct vmmctl_kvm *vm;
	size_t i;

	for (i = 0; i < k->k_nbuckets; i++) {
		while ((vm = k->k_buckets[i]) != NULL) {
			kvm_disown(vm);
			kvm_free(k, vm);
		}
	}
}

/*
 * Destroys every VM (unpublishing each), then frees everything.  The host
 * releases its open files first; a file still open here is freed with the
 * instance (after its VMs were destroyed like the others), and the host must
 * neither use nor release it afterwards.  fini must not be called from a
 * hook, nor while another thread is inside the core.
 */
void
vmmctl_kern_fini(struct vmmctl_kern *k)
{
	struct vmmctl_kvm *vm;
	struct vmmctl_kfile *f;
	size_t bucket;
	int found;

	if (k == NULL)
		return;
	kern_lock(k);
	/* Again from the top if a hook created VMs (or grew the table). */
	do {
		found = 0;
		bucket = 0;
		while ((vm = vmmctl_kt_next_live(k, &bucket)) != NULL) {
			kvm_destroy_locked(k, vm);
			found = 1;
		}
	} while (found);
	kern_free_stragglers(k);
	while ((f = k->k_files) != NULL) {
		k->k_files = f->f_next;
		k->k_os.free(k->k_os.arg, f);
	}
	vmmctl_kjail_free_all(k);
	vmmctl_kt_fini(k);
	kern_unlock(k);
	k->k_os.free(k->k_os.arg, k);
}

void
vmmctl_kern_set_uid_limit(struct vmmctl_kern *k, uint32_t limit)
{

	kern_lock(k);
	k->k_uid_limit = limit;
	kern_unlock(k);
}

/* Names taken, including VMs still being created or destroyed. */
uint32_t
vmmctl_kern_vm_count(const struct vmmctl_kern *k)
{
	uint32_t n;

	kern_lock(k);
	n = k->k_nvms;
	kern_unlock(k);
	return (n);
}

int
vmmctl_kern_open(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
    int fflags, struct vmmctl_kfile **fp)
{
	struct vmmctl_kfile *f;

	if (k == NULL || cred == NULL || fp == NULL)
		return (EINVAL);
	/* As vmmctl_open() in vmm_dev.c: control needs a writable open. */
	if ((fflags & VMMCTL_KF_WRITE) == 0)
		return (EPERM);
	kern_lock(k);
	f = k->k_os.zalloc(k->k_os.arg, sizeof(*f));
	if (f == NULL) {
		kern_unlock(k);
		return (ENOMEM);
	}
	f->f_kern = k;
	f->f_next = k->k_files;
	if (k->k_files != NULL)
		k->k_files->f_prevp = &f->f_next;
	f->f_prevp = &k->k_files;
	k->k_files = f;
	kern_unlock(k);
	*fp = f;
	return (0);
}

void
vmmctl_kern_release(struct vmmctl_kfile *f)
{
	struct vmmctl_kern *k;
	struct vmmctl_kvm *vm;

	if (f == NULL)
		return;
	k = f->f_kern;
	kern_lock(k);
	/* Persistent VMs are on no file's list: they stay. */
	while ((vm = f->f_owned) != NULL)
		kvm_destroy_locked(k, vm);
	*f->f_prevp = f->f_next;
	if (f->f_next != NULL)
		f->f_next->f_prevp = f->f_prevp;
	k->k_os.free(k->k_os.arg, f);
	kern_unlock(k);
}

static int
reserved_zero(const int *reserved, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (reserved[i] != 0)
			return (0);
	}
	return (1);
}

/* Takes the name and a uid slot; with the lock held. */
static int
kvm_reserve(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
    const char *name, struct vmmctl_kvm **vmp)
{
	struct vmmctl_kvm *vm;

	if (vmmctl_kt_lookup(k, name) != NULL)
		return (EEXIST);
	if (k->k_uid_limit != 0 &&
	    vmmctl_kt_uid_count(k, cred->uid) >= k->k_uid_limit)
		return (ENOMEM);
	vm = k->k_os.zalloc(k->k_os.arg, sizeof(*vm));
	if (vm == NULL)
		return (ENOMEM);
	if (vmmctl_kt_uid_ref(k, cred->uid) != 0) {
		k->k_os.free(k->k_os.arg, vm);
		return (ENOMEM);
	}
	/* The caller checked that name is terminated within the buffer. */
	memcpy(vm->vm_name, name, strlen(name) + 1);
	vm->vm_hash = vmmctl_kt_hash(vm->vm_name);
	vm->vm_uid = cred->uid;
	vm->vm_gid = cred->gid;
	vm->vm_jail = cred->jail;
	vm->vm_state = VMMCTL_KVM_CREATING;
	vmmctl_kt_insert(k, vm);
	*vmp = vm;
	return (0);
}

static int
kern_vm_create(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const struct vmmctl_vm_create *req)
{
	struct vmmctl_kern *k;
	struct vmmctl_kvm *vm;
	int error, scoped;

	k = f->f_kern;
	if (!reserved_zero(req->reserved, nitems(req->reserved)))
		return (EINVAL);
	if ((req->flags & ~VMMCTL_FLAGS_MASK) != 0)
		return (EINVAL);
	if (vmmctl_kern_check_name(req->name, sizeof(req->name)) != 0)
		return (EINVAL);
	/* Unprivileged users may only create VMs that die with the file. */
	scoped = (req->flags & VMMCTL_CREATE_DESTROY_ON_CLOSE) != 0;
	if (!scoped &&
	    k->k_os.priv_check(k->k_os.arg, cred, VMMCTL_PRIV_VMM_CREATE) != 0)
		return (EPERM);

	kern_lock(k);
	error = kvm_reserve(k, cred, req->name, &vm);
	kern_unlock(k);
	if (error != 0)
		return (error);

	error = k->k_os.publish(k->k_os.arg, vm);

	kern_lock(k);
	if (error != 0) {
		kvm_free(k, vm);
	} else {
		vm->vm_state = VMMCTL_KVM_LIVE;
		if (scoped)
			kvm_own(f, vm);
	}
	kern_unlock(k);
	return (error);
}

static int
kern_vm_destroy(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const struct vmmctl_vm_destroy *req)
{
	struct vmmctl_kern *k;
	struct vmmctl_kvm *vm;
	int error;

	k = f->f_kern;
	if (!reserved_zero(req->reserved, nitems(req->reserved)))
		return (EINVAL);
	if (vmmctl_kern_check_name(req->name, sizeof(req->name)) != 0)
		return (EINVAL);

	kern_lock(k);
	vm = vmmctl_kt_lookup(k, req->name);
	/* Invisible and half-made VMs look just like missing ones. */
	if (vm == NULL || vm->vm_state != VMMCTL_KVM_LIVE ||
	    !vmmctl_kjail_sees(cred->jail, vm->vm_jail)) {
		error = EINVAL;
	} else if (vm->vm_uid != cred->uid && k->k_os.priv_check(k->k_os.arg,
	    cred, VMMCTL_PRIV_VMM_DESTROY) != 0) {
		error = EPERM;
	} else {
		kvm_destroy_locked(k, vm);
		error = 0;
	}
	kern_unlock(k);
	return (error);
}

int
vmmctl_kern_ioctl(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    unsigned long cmd, void *data, size_t len)
{
	struct vmmctl_vm_create create;
	struct vmmctl_vm_destroy destroy;

	if (f == NULL || cred == NULL)
		return (EINVAL);
	/*
	 * Command words are 32 bits; a caller that passed one through an int
	 * sign-extended it.  sys_ioctl() masks those off before any driver
	 * sees them, so the same request works here as on FreeBSD.
	 */
	cmd &= 0xffffffffUL;
	/*
	 * The requests are copied out of data: the host's buffer need not be
	 * aligned for the structures, and nothing is written back.
	 */
	switch (cmd) {
	case VMMCTL_VM_CREATE:
		if (len != sizeof(create))
			return (EINVAL);
		if (data == NULL)
			return (EFAULT);
		memcpy(&create, data, sizeof(create));
		return (kern_vm_create(f, cred, &create));
	case VMMCTL_VM_DESTROY:
		if (len != sizeof(destroy))
			return (EINVAL);
		if (data == NULL)
			return (EFAULT);
		memcpy(&destroy, data, sizeof(destroy));
		return (kern_vm_destroy(f, cred, &destroy));
	default:
		return (ENOTTY);
	}
}

const char *
vmmctl_kvm_name(const struct vmmctl_kvm *vm)
{

	return (vm->vm_name);
}

uint32_t
vmmctl_kvm_uid(const struct vmmctl_kvm *vm)
{

	return (vm->vm_uid);
}

uint32_t
vmmctl_kvm_gid(const struct vmmctl_kvm *vm)
{

	return (vm->vm_gid);
}

struct vmmctl_kjail *
vmmctl_kvm_jail(const struct vmmctl_kvm *vm)
{

	return (vm->vm_jail);
}
