/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The global VM namespace and the per-uid VM counters.
 *
 * Names live in one chained hash table (FNV-1a) whose bucket count doubles
 * when the table holds more names than buckets, so lookups stay O(1) on
 * average however many VMs exist.  Growing is opportunistic: when the bigger
 * bucket array cannot be allocated the table keeps working, only with longer
 * chains, so no create ever fails because of it.
 *
 * All functions here but vmmctl_kt_hash and vmmctl_kt_init (which runs
 * before the instance exists) need the core's lock, and assert it.
 */

#include <errno.h>
#include <string.h>

#include "vmmctl_kern_var.h"

#define	FNV1A_OFFSET	2166136261u
#define	FNV1A_PRIME	16777619u

uint32_t
vmmctl_kt_hash(const char *name)
{
	const unsigned char *p;
	uint32_t h;

	h = FNV1A_OFFSET;
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		h ^= *p;
		h *= FNV1A_PRIME;
	}
	return (h);
}

static struct vmmctl_kvm **
kt_alloc_buckets(struct vmmctl_kern *k, size_t n)
{

	return (k->k_os.zalloc(k->k_os.arg, n * sizeof(struct vmmctl_kvm *)));
}

int
vmmctl_kt_init(struct vmmctl_kern *k)
{

	k->k_buckets = kt_alloc_buckets(k, VMMCTL_NAME_BUCKETS_MIN);
	if (k->k_buckets == NULL)
		return (ENOMEM);
	k->k_nbuckets = VMMCTL_NAME_BUCKETS_MIN;
	return (0);
}

/* Frees the tables only; the VMs are gone by now. */
void
vmmctl_kt_fini(struct vmmctl_kern *k)
{
	struct vmmctl_kuid *u;
	size_t i;

	KERN_ASSERT_LOCKED(k);
	for (i = 0; i < VMMCTL_UID_BUCKETS; i++) {
		while ((u = k->k_uids[i]) != NULL) {
			k->k_uids[i] = u->u_next;
			k->k_os.free(k->k_os.arg, u);
		}
	}
	k->k_os.free(k->k_os.arg, k->k_buckets);
	k->k_buckets = NULL;
	k->k_nbuckets = 0;
}

struct vmmctl_kvm *
vmmctl_kt_lookup(const struct vmmctl_kern *k, const char *name)
{
	struct vmmctl_kvm *vm;
	uint32_t h;

	KERN_ASSERT_LOCKED(k);
	h = vmmctl_kt_hash(name);
	for (vm = k->k_buckets[h & (k->k_nbuckets - 1)]; vm != NULL;
	    vm = vm->vm_hnext) {
		if (vm->vm_hash == h && strcmp(vm->vm_name, name) == 0)
			return (vm);
	}
	return (NULL);
}

static void
kt_grow(struct vmmctl_kern *k)
{
	struct vmmctl_kvm **nb, *vm;
	size_t i, n;

	n = k->k_nbuckets * 2;
	if (n < k->k_nbuckets || n > SIZE_MAX / sizeof(*nb))
		return;
	nb = kt_alloc_buckets(k, n);
	if (nb == NULL)
		return;		/* Keep the old table; see above. */
	for (i = 0; i < k->k_nbuckets; i++) {
		while ((vm = k->k_buckets[i]) != NULL) {
			k->k_buckets[i] = vm->vm_hnext;
			vm->vm_hnext = nb[vm->vm_hash & (n - 1)];
			nb[vm->vm_hash & (n - 1)] = vm;
		}
	}
	k->k_os.free(k->k_os.arg, k->k_buckets);
	k->k_buckets = nb;
	k->k_nbuckets = n;
}

/* vm's name must not be in the table yet. */
void
vmmctl_kt_insert(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{
	struct vmmctl_kvm **head;

	KERN_ASSERT_LOCKED(k);
	if (k->k_nvms >= k->k_nbuckets)
		kt_grow(k);
	head = &k->k_buckets[vm->vm_hash & (k->k_nbuckets - 1)];
	vm->vm_hnext = *head;
	*head = vm;
	k->k_nvms++;
}

void
vmmctl_kt_remove(struct vmmctl_kern *k, struct vmmctl_kvm *vm)
{
	struct vmmctl_kvm **pp;

	KERN_ASSERT_LOCKED(k);
	for (pp = &k->k_buckets[vm->vm_hash & (k->k_nbuckets - 1)];
	    *pp != NULL; pp = &(*pp)->vm_hnext) {
		if (*pp == vm) {
			*pp = vm->vm_hnext;
			vm->vm_hnext = NULL;
			k->k_nvms--;
			return;
		}
	}
}

/*
 * The first LIVE VM at or after bucket *bucketp, for walking the whole table
 * while VMs are removed behind the cursor (fini).  *bucketp is left on the
 * VM's bucket, so the walk costs O(VMs + buckets) overall.
 */
struct vmmctl_kvm *
vmmctl_kt_next_live(const struct vmmctl_kern *k, size_t *bucketp)
{
	struct vmmctl_kvm *vm;
	size_t i;

	KERN_ASSERT_LOCKED(k);
	for (i = *bucketp; i < k->k_nbuckets; i++) {
		for (vm = k->k_buckets[i]; vm != NULL; vm = vm->vm_hnext) {
			if (vm->vm_state == VMMCTL_KVM_LIVE) {
				*bucketp = i;
				return (vm);
			}
		}
	}
	*bucketp = i;
	return (NULL);
}

/* Multiplicative hash: consecutive uids spread over the 64 buckets. */
static size_t
kt_uid_bucket(uint32_t uid)
{

	return ((uint32_t)(uid * 2654435761u) >> 26);
}

static struct vmmctl_kuid **
kt_uid_slot(struct vmmctl_kern *k, uint32_t uid)
{
	struct vmmctl_kuid **pp;

	pp = &k->k_uids[kt_uid_bucket(uid)];
	while (*pp != NULL && (*pp)->u_uid != uid)
		pp = &(*pp)->u_next;
	return (pp);
}

uint32_t
vmmctl_kt_uid_count(const struct vmmctl_kern *k, uint32_t uid)
{
	const struct vmmctl_kuid *u;

	KERN_ASSERT_LOCKED(k);
	for (u = k->k_uids[kt_uid_bucket(uid)]; u != NULL;
	    u = u->u_next) {
		if (u->u_uid == uid)
			return (u->u_count);
	}
	return (0);
}

/* One more VM for uid: 0 or ENOMEM. */
int
vmmctl_kt_uid_ref(struct vmmctl_kern *k, uint32_t uid)
{
	struct vmmctl_kuid **pp, *u;

	KERN_ASSERT_LOCKED(k);
	pp = kt_uid_slot(k, uid);
	if ((u = *pp) == NULL) {
		u = k->k_os.zalloc(k->k_os.arg, sizeof(*u));
		if (u == NULL)
			return (ENOMEM);
		u->u_uid = uid;
		*pp = u;
	}
	u->u_count++;
	return (0);
}

void
vmmctl_kt_uid_unref(struct vmmctl_kern *k, uint32_t uid)
{
	struct vmmctl_kuid **pp, *u;

	KERN_ASSERT_LOCKED(k);
	pp = kt_uid_slot(k, uid);
	if ((u = *pp) == NULL)
		return;
	if (--u->u_count == 0) {
		*pp = u->u_next;
		k->k_os.free(k->k_os.arg, u);
	}
}
