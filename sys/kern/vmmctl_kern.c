/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core of /dev/vmmctl: device instance, open files, the ioctl
 * entry point and the VM life cycle, as FreeBSD's sys/dev/vmm/vmm_dev.c
 * does them; shared/FREEBSD.md lists the checks, and every function that
 * makes one says which.
 *
 * Life cycle.  A create makes every check and reserves the name (CREATING)
 * under the lock, drops the lock to publish the device node (make_dev may
 * sleep), and retakes it to mark the VM LIVE, or to roll the reservation
 * back when publishing failed.  (FreeBSD holds its sx lock across
 * make_dev_s; a caller cannot tell the difference, since a name being
 * created answers EEXIST just as it would once made.)  A destroy marks the
 * VM DYING under the lock (FreeBSD: sc->cdev = NULL), drops it to remove
 * the node, and retakes it to free the VM and wake whoever waits for that.
 * While CREATING or DYING the name stays taken (create: EEXIST) and the VM
 * cannot be destroyed (EINVAL), so exactly one thread ever tears a VM down,
 * and publish/unpublish may call back into the core.
 *
 * Ownership.  A DESTROY_ON_CLOSE VM sits on its file's intrusive list until
 * it is freed, LIVE or DYING, so a release costs O(VMs owned), a destroy
 * through any file unlinks it in O(1), and a release that finds one DYING
 * (another thread is destroying it) sleeps until it is gone, as
 * vmmctl_dtor() does: when release returns, nothing of the file is left.
 */

#include <errno.h>
#include <string.h>

#include "vmmctl_kern_var.h"

#define	nitems(x)	(sizeof(x) / sizeof((x)[0]))

/* sys/sys/conf.h: UID_ROOT, GID_WHEEL. */
#define	KERN_UID_ROOT	0u
#define	KERN_GID_WHEEL	0u

static int
os_valid(const struct vmmctl_os *os)
{

	return (os->lock != NULL && os->unlock != NULL &&
	    os->assert_locked != NULL && os->sleep != NULL &&
	    os->wakeup != NULL && os->zalloc != NULL && os->free != NULL &&
	    os->priv_check != NULL && os->publish != NULL &&
	    os->unpublish != NULL);
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
	k->k_gen = VMMCTL_KERN_GEN_MAX;
	error = vmmctl_kt_init(k);
	if (error != 0) {
		os->free(os->arg, k);
		return (error);
	}
	*kp = k;
	return (0);
}

static void
kvm_own_locked(struct vmmctl_kfile *f, struct vmmctl_kvm *vm)
{

	KERN_ASSERT_LOCKED(f->f_kern);
	vm->vm_owner = f;
	vm->vm_onext = f->f_owned;
	if (f->f_owned != NULL)
		f->f_owned->vm_oprevp = &vm->vm_onext;
	vm->vm_oprevp = &f->f_owned;
	f->f_owned = vm;
}

static void
kvm_disown_locked(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{

	KERN_ASSERT_LOCKED(k);
	if (vm->vm_owner == NULL)
		return;
	*vm->vm_oprevp = vm->vm_onext;
	if (vm->vm_onext != NULL)
		vm->vm_onext->vm_oprevp = vm->vm_oprevp;
	vm->vm_onext = NULL;
	vm->vm_oprevp = NULL;
	vm->vm_owner = NULL;
}

/*
 * Frees a VM that was never LIVE or is done unpublishing, and wakes a
 * release waiting for it (vmmdev_destroy()'s wakeup(sc)).
 */
static void
kvm_free_locked(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{

	KERN_ASSERT_LOCKED(k);
	kvm_disown_locked(k, vm);
	vmmctl_kt_remove(k, vm);
	vmmctl_kt_uid_unref(k, vm->vm_ruid);
	k->k_os.free(k->k_os.arg, vm);
	k->k_os.wakeup(k->k_os.arg, vm);
}

/*
 * Destroys a LIVE VM.  Called and returns with the lock held, dropping it
 * around unpublish; the DYING state keeps everyone else off the VM
 * meanwhile, and it stays on its owner's list until it is freed.
 */
static void
kvm_destroy_locked(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{

	KERN_ASSERT_LOCKED(k);
	vm->vm_state = VMMCTL_KVM_DYING;
	kern_unlock(k);
	k->k_os.unpublish(k->k_os.arg, vm);
	kern_lock(k);
	kvm_free_locked(k, vm);
}

/* Frees whatever a host bug left behind: VMs still CREATING or DYING. */
static void
kern_free_stragglers_locked(struct vmmctl_kern *k)
{
	struct vmmctl_kvm *vm;
	size_t i;

	KERN_ASSERT_LOCKED(k);
	for (i = 0; i < k->k_nbuckets; i++) {
		while ((vm = k->k_buckets[i]) != NULL)
			kvm_free_locked(k, vm);
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
	kern_free_stragglers_locked(k);
	while ((f = k->k_files) != NULL) {
		k->k_files = f->f_next;
		k->k_os.free(k->k_os.arg, f);
	}
	vmmctl_kjail_free_all_locked(k);
	vmmctl_kt_fini(k);
	kern_unlock(k);
	k->k_os.free(k->k_os.arg, k);
}

int
vmmctl_kern_set_generation(struct vmmctl_kern *k, int gen)
{
	int error;

	if (k == NULL || gen < VMMCTL_KERN_GEN_MIN || gen > VMMCTL_KERN_GEN_MAX)
		return (EINVAL);
	kern_lock(k);
	if (k->k_files != NULL || k->k_nvms != 0) {
		error = EBUSY;
	} else {
		k->k_gen = gen;
		error = 0;
	}
	kern_unlock(k);
	return (error);
}

int
vmmctl_kern_generation(const struct vmmctl_kern *k)
{
	int gen;

	kern_lock(k);
	gen = k->k_gen;
	kern_unlock(k);
	return (gen);
}

void
vmmctl_kern_set_uid_limit(struct vmmctl_kern *k, uint32_t limit)
{

	kern_lock(k);
	k->k_uid_limit = limit;
	kern_unlock(k);
}

void
vmmctl_kern_set_vmm_gid(struct vmmctl_kern *k, uint32_t gid)
{

	kern_lock(k);
	k->k_vmm_gid = gid;
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

/* vmmdev_init(): make_dev_p(..., UID_ROOT, GID_VMM, 0660, "vmmctl"). */
void
vmmctl_kern_ctl_node(const struct vmmctl_kern *k,
    struct vmmctl_node_attr *attr)
{

	kern_lock(k);
	attr->uid = KERN_UID_ROOT;
	if (k->k_gen >= 3) {
		attr->gid = k->k_vmm_gid;
		attr->mode = 0660;
	} else {
		attr->gid = KERN_GID_WHEEL;
		attr->mode = 0600;
	}
	kern_unlock(k);
}

/* vmmctl_open(), in its order. */
int
vmmctl_kern_open(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
    int fflags, struct vmmctl_kfile **fp)
{
	struct vmmctl_kfile *f;
	int error;

	if (k == NULL || cred == NULL || fp == NULL)
		return (EINVAL);
	kern_lock(k);
	/* Open 2: vmm_jail_priv_check(): jailed without allow.vmm. */
	if (!vmmctl_kjail_allows_vmm_locked(k, cred->jail)) {
		error = EPERM;
		goto out;
	}
	/* Open 3: control needs a writable open. */
	if ((fflags & VMMCTL_KF_WRITE) == 0) {
		error = EPERM;
		goto out;
	}
	f = k->k_os.zalloc(k->k_os.arg, sizeof(*f));
	if (f == NULL) {
		error = ENOMEM;
		goto out;
	}
	f->f_kern = k;
	f->f_next = k->k_files;
	if (k->k_files != NULL)
		k->k_files->f_prevp = &f->f_next;
	f->f_prevp = &k->k_files;
	k->k_files = f;
	*fp = f;
	error = 0;
out:
	kern_unlock(k);
	return (error);
}

/*
 * vmmctl_dtor(): destroys every VM the file owns; one that another thread
 * is destroying is waited for, so that none outlives the release.
 */
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
	while ((vm = f->f_owned) != NULL) {
		if (vm->vm_state == VMMCTL_KVM_DYING)
			k->k_os.sleep(k->k_os.arg, vm);
		else
			kvm_destroy_locked(k, vm);
	}
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

/*
 * Create checks 4 to 9 (vmmdev_create()), then the name and a uid slot are
 * taken.  Each check exists from the generation its comment names.
 */
static int
kvm_reserve_locked(struct vmmctl_kern *k, const struct vmmctl_cred *cred,
    const char *name, int scoped, struct vmmctl_kvm **vmp)
{
	struct vmmctl_kvm *vm, *taken;

	KERN_ASSERT_LOCKED(k);
	/* Create 4: a VM of that name the caller sees, even a dying one. */
	taken = vmmctl_kt_lookup(k, name);
	if (taken != NULL && vmmctl_kjail_sees(cred->jail, taken->vm_jail))
		return (EEXIST);
	/* Create 5 (gen 3): persistent VMs need PRIV_VMM_CREATE. */
	if (k->k_gen >= 3 && !scoped && k->k_os.priv_check(k->k_os.arg, cred,
	    VMMCTL_PRIV_VMM_CREATE) != 0)
		return (EPERM);
	/* Create 6 (gen 3): vmm_jail_priv_check() again. */
	if (k->k_gen >= 3 && !vmmctl_kjail_allows_vmm_locked(k, cred->jail))
		return (EPERM);
	/* Create 7 (gen 2): chgvmmcnt(cr_ruidinfo, 1, hw.vmm.maxvmms). */
	if (k->k_gen >= 2 && k->k_uid_limit != 0 &&
	    vmmctl_kt_uid_count(k, cred->ruid) >= k->k_uid_limit)
		return (ENOMEM);
	/*
	 * Create 8, vm_create(), cannot fail here: vmm is always initialised
	 * and the name was cut to VM_MAX_NAMELEN.  Create 9, make_dev_s()'s
	 * MAKEDEV_CHECKNAME: the devfs name rule, then a name taken by a VM
	 * the caller cannot see (devfs names are global).
	 */
	if (vmmctl_kern_check_name(name, VM_MAX_NAMELEN + 1) != 0)
		return (EINVAL);
	if (taken != NULL)
		return (EEXIST);
	vm = k->k_os.zalloc(k->k_os.arg, sizeof(*vm));
	if (vm == NULL)
		return (ENOMEM);
	if (vmmctl_kt_uid_ref(k, cred->ruid) != 0) {
		k->k_os.free(k->k_os.arg, vm);
		return (ENOMEM);
	}
	memcpy(vm->vm_name, name, strlen(name) + 1);
	vm->vm_hash = vmmctl_kt_hash(vm->vm_name);
	vm->vm_uid = cred->uid;
	vm->vm_ruid = cred->ruid;
	vm->vm_gid = cred->gid;
	vm->vm_jail = cred->jail;
	/* Create 10: the node's make_dev_s arguments. */
	vm->vm_node.mode = 0600;
	if (k->k_gen >= 3) {
		vm->vm_node.uid = cred->uid;
		vm->vm_node.gid = k->k_vmm_gid;
	} else {
		vm->vm_node.uid = KERN_UID_ROOT;
		vm->vm_node.gid = KERN_GID_WHEEL;
	}
	vm->vm_state = VMMCTL_KVM_CREATING;
	vmmctl_kt_insert(k, vm);
	*vmp = vm;
	return (0);
}

/* VMMCTL_VM_CREATE; req is the caller's copy, and is cut (check 1). */
static int
kern_vm_create(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    struct vmmctl_vm_create *req)
{
	struct vmmctl_kern *k;
	struct vmmctl_kvm *vm;
	int error, scoped;

	k = f->f_kern;
	/* Create 1: an unterminated name is cut at 229 bytes, silently. */
	req->name[VM_MAX_NAMELEN] = '\0';
	/*
	 * Create 2: reserved words.  The generation is fixed while a file is
	 * open, so it may be read without the lock.
	 */
	if (!reserved_zero(req->reserved, nitems(req->reserved)))
		return (EINVAL);
	if (k->k_gen == 1) {
		/* Gen 1: flags is reserved[0], so any flag is EINVAL. */
		if (req->flags != 0)
			return (EINVAL);
		scoped = 0;
	} else {
		/* Create 3: unknown flags. */
		if ((req->flags & ~VMMCTL_FLAGS_MASK) != 0)
			return (EINVAL);
		scoped = (req->flags & VMMCTL_CREATE_DESTROY_ON_CLOSE) != 0;
	}

	kern_lock(k);
	error = kvm_reserve_locked(k, cred, req->name, scoped, &vm);
	kern_unlock(k);
	if (error != 0)
		return (error);

	error = k->k_os.publish(k->k_os.arg, vm);

	kern_lock(k);
	if (error != 0) {
		/* make_dev_s failed: "the VM is torn down again". */
		kvm_free_locked(k, vm);
	} else {
		vm->vm_state = VMMCTL_KVM_LIVE;
		if (scoped)
			kvm_own_locked(f, vm);
	}
	kern_unlock(k);
	return (error);
}

/* VMMCTL_VM_DESTROY: vmmdev_lookup_and_destroy(), in its order. */
static int
kern_vm_destroy(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    struct vmmctl_vm_destroy *req)
{
	struct vmmctl_kern *k;
	struct vmmctl_kvm *vm;
	int error;

	k = f->f_kern;
	/* Destroy 1: the name is cut at 229 bytes; reserved words. */
	req->name[VM_MAX_NAMELEN] = '\0';
	if (!reserved_zero(req->reserved, nitems(req->reserved)))
		return (EINVAL);

	kern_lock(k);
	vm = vmmctl_kt_lookup(k, req->name);
	if (vm == NULL || vm->vm_state != VMMCTL_KVM_LIVE ||
	    !vmmctl_kjail_sees(cred->jail, vm->vm_jail)) {
		/* Destroy 2: missing, invisible, being made or destroyed. */
		error = EINVAL;
	} else if (k->k_gen >= 3 && (vm->vm_uid != cred->uid ||
	    vm->vm_jail != cred->jail) && k->k_os.priv_check(k->k_os.arg,
	    cred, VMMCTL_PRIV_VMM_DESTROY) != 0) {
		/* Destroy 3 (gen 3): the creator, same uid and jail, or priv. */
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
	 * aligned for the structures.  The one thing FreeBSD changes in its
	 * copy, the NUL at name[229] (check 1), is made in data too, since
	 * both commands are _IOWR: sys_ioctl() copies that out on success.
	 */
	switch (cmd) {
	case VMMCTL_VM_CREATE:
		if (len != sizeof(create))
			return (EINVAL);
		if (data == NULL)
			return (EFAULT);
		((char *)data)[VM_MAX_NAMELEN] = '\0';
		memcpy(&create, data, sizeof(create));
		return (kern_vm_create(f, cred, &create));
	case VMMCTL_VM_DESTROY:
		if (len != sizeof(destroy))
			return (EINVAL);
		if (data == NULL)
			return (EFAULT);
		((char *)data)[VM_MAX_NAMELEN] = '\0';
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

void
vmmctl_kvm_node(const struct vmmctl_kvm *vm, struct vmmctl_node_attr *attr)
{

	*attr = vm->vm_node;
}
