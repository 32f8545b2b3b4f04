/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Jails, as far as the control device cares: a tree of names under the host
 * (prison0, represented by NULL).  A VM belongs to its creator's jail and is
 * visible there and in every ancestor, as prison_check(9) would allow; names
 * stay one global namespace regardless.
 *
 * allow.vmm: a jail without it may neither open the control device nor
 * (generation 3) create VMs.  FreeBSD never lets a jail hold a permission
 * its parent lacks, so the effective value is the jail's own flag and every
 * ancestor's.
 *
 * Jails are few and live as long as the device instance, so they sit on one
 * list and duplicate names are found by a scan.
 */

#include <errno.h>
#include <string.h>

#include "vmmctl_kern_var.h"

static struct vmmctl_kjail *
kjail_find_child(const struct vmmctl_kern *k, const struct vmmctl_kjail *parent,
    const char *name)
{
	struct vmmctl_kjail *j;

	for (j = k->k_jails; j != NULL; j = j->j_next) {
		if (j->j_parent == parent &&
		    strcmp(j->j_name + j->j_leaf, name) == 0)
			return (j);
	}
	return (NULL);
}

int
vmmctl_kern_jail_create(struct vmmctl_kern *k, struct vmmctl_kjail *parent,
    const char *name, struct vmmctl_kjail **jp)
{
	struct vmmctl_kjail *j;
	size_t len, plen;
	int error;

	if (jp == NULL || vmmctl_kern_check_name(name, VM_MAX_NAMELEN + 1) != 0)
		return (EINVAL);
	len = strlen(name);
	plen = parent != NULL ? strlen(parent->j_name) + 1 : 0;

	k->k_os.lock(k->k_os.arg);
	if (kjail_find_child(k, parent, name) != NULL) {
		error = EEXIST;
		goto out;
	}
	j = k->k_os.zalloc(k->k_os.arg, sizeof(*j) + plen + len + 1);
	if (j == NULL) {
		error = ENOMEM;
		goto out;
	}
	j->j_parent = parent;
	if (parent != NULL) {
		memcpy(j->j_name, parent->j_name, plen - 1);
		j->j_name[plen - 1] = '/';
	}
	memcpy(j->j_name + plen, name, len + 1);
	j->j_leaf = plen;
	j->j_next = k->k_jails;
	k->k_jails = j;
	*jp = j;
	error = 0;
out:
	k->k_os.unlock(k->k_os.arg);
	return (error);
}

int
vmmctl_kern_jail_set_vmm(struct vmmctl_kern *k, struct vmmctl_kjail *j,
    int allow)
{

	if (k == NULL || j == NULL)
		return (EINVAL);
	k->k_os.lock(k->k_os.arg);
	j->j_novmm = !allow;
	k->k_os.unlock(k->k_os.arg);
	return (0);
}

/* prison_allow(cred, PR_ALLOW_VMM) for a caller in j; the host: always. */
int
vmmctl_kjail_allows_vmm_locked(const struct vmmctl_kern *k,
    const struct vmmctl_kjail *j)
{

	KERN_ASSERT_LOCKED(k);
	for (; j != NULL; j = j->j_parent) {
		if (j->j_novmm)
			return (0);
	}
	return (1);
}

int
vmmctl_kern_jail_allows_vmm(const struct vmmctl_kern *k,
    const struct vmmctl_kjail *j)
{
	int allowed;

	k->k_os.lock(k->k_os.arg);
	allowed = vmmctl_kjail_allows_vmm_locked(k, j);
	k->k_os.unlock(k->k_os.arg);
	return (allowed);
}

/* The host has no name: "". */
const char *
vmmctl_kjail_name(const struct vmmctl_kjail *j)
{

	return (j != NULL ? j->j_name : "");
}

struct vmmctl_kjail *
vmmctl_kjail_parent(const struct vmmctl_kjail *j)
{

	return (j != NULL ? j->j_parent : NULL);
}

/* Whether a caller in viewer sees what belongs to j: viewer is j or above. */
int
vmmctl_kjail_sees(const struct vmmctl_kjail *viewer,
    const struct vmmctl_kjail *j)
{

	if (viewer == NULL)
		return (1);
	for (; j != NULL; j = j->j_parent) {
		if (j == viewer)
			return (1);
	}
	return (0);
}

void
vmmctl_kjail_free_all_locked(struct vmmctl_kern *k)
{
	struct vmmctl_kjail *j;

	KERN_ASSERT_LOCKED(k);
	while ((j = k->k_jails) != NULL) {
		k->k_jails = j->j_next;
		k->k_os.free(k->k_os.arg, j);
	}
}
