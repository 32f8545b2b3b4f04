/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Jails (shared/FREEBSD.md, "Jails"): creating the tree, its names,
 * allow.vmm, and which callers see a VM.  A VM is visible to its creator's
 * jail and that jail's ancestors (the host sees all); siblings, children,
 * and children of siblings do not.  Visibility is observed the way a caller
 * observes it: destroy (check 2) succeeds or is EINVAL.
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

/* Model only: a jail's full name is its path from the host. */
ATF_TC_WITHOUT_HEAD(jail_names);
ATF_TC_BODY(jail_names, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *a, *ab, *abc, *b;

	k = t_setup(&fo);
	a = t_jail(k, NULL, "a");
	ab = t_jail(k, a, "b");
	abc = t_jail(k, ab, "c");
	b = t_jail(k, NULL, "b");	/* the same leaf elsewhere is fine */
	ATF_CHECK_STREQ(vmmctl_kjail_name(a), "a");
	ATF_CHECK_STREQ(vmmctl_kjail_name(ab), "a/b");
	ATF_CHECK_STREQ(vmmctl_kjail_name(abc), "a/b/c");
	ATF_CHECK_STREQ(vmmctl_kjail_name(b), "b");
	ATF_CHECK_STREQ(vmmctl_kjail_name(NULL), "");
	ATF_CHECK(vmmctl_kjail_parent(a) == NULL);
	ATF_CHECK(vmmctl_kjail_parent(ab) == a);
	ATF_CHECK(vmmctl_kjail_parent(abc) == ab);
	ATF_CHECK(vmmctl_kjail_parent(b) == NULL);
	ATF_CHECK(vmmctl_kjail_parent(NULL) == NULL);
	ATF_CHECK(ab != b);
	t_teardown(&fo, k);
}

/* Model only: jail names follow the VM name rule. */
ATF_TC_WITHOUT_HEAD(jail_create_errors);
ATF_TC_BODY(jail_create_errors, tc)
{
	static const char *const bad[] = { "", "/", ".", "..", "a/b", "a/",
	    "/a", "a b", "a\"b" };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *a, *j;
	char longname[VM_MAX_NAMELEN + 2];
	size_t i, allocs;

	k = t_setup(&fo);
	a = t_jail(k, NULL, "a");
	allocs = fo.live_allocs;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = NULL;
		ATF_CHECK_EQ_MSG(vmmctl_kern_jail_create(k, NULL, bad[i], &j),
		    EINVAL, "\"%s\"", bad[i]);
		ATF_CHECK_EQ_MSG(vmmctl_kern_jail_create(k, a, bad[i], &j),
		    EINVAL, "a/\"%s\"", bad[i]);
		ATF_CHECK(j == NULL);
	}
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, NULL, NULL, &j), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, NULL, "x", NULL), EINVAL);
	/* A component obeys the VM name length: 229 fine, 230 not. */
	memset(longname, 'l', sizeof(longname));
	longname[VM_MAX_NAMELEN + 1] = '\0';
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, a, longname, &j), EINVAL);
	ATF_CHECK_EQ(fo.live_allocs, allocs);
	longname[VM_MAX_NAMELEN] = '\0';
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, a, longname, &j), 0);
	ATF_CHECK_EQ(strlen(vmmctl_kjail_name(j)), 2 + VM_MAX_NAMELEN);
	/* Duplicates under one parent. */
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, NULL, "a", &j), EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, a, longname, &j), EEXIST);
	/* Allocation failure. */
	allocs = fo.live_allocs;
	fo.fail_alloc_at = fo.nallocs + 1;
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, a, "m", &j), ENOMEM);
	fo.fail_alloc_at = 0;
	ATF_CHECK_EQ(fo.live_allocs, allocs);
	ATF_CHECK_EQ(vmmctl_kern_jail_create(k, a, "m", &j), 0);
	t_teardown(&fo, k);
}

/*
 * The tree:      host
 *               /    \
 *              a      s
 *            /   \      \
 *           b     x      t
 *           |     |
 *           c     y
 * The VM is made in a/b.
 */
struct tree {
	struct vmmctl_kjail	*a, *b, *c, *x, *y, *s, *t;
};

static void
make_tree(struct vmmctl_kern *k, struct tree *t)
{

	t->a = t_jail(k, NULL, "a");
	t->b = t_jail(k, t->a, "b");
	t->c = t_jail(k, t->b, "c");
	t->x = t_jail(k, t->a, "x");
	t->y = t_jail(k, t->x, "y");
	t->s = t_jail(k, NULL, "s");
	t->t = t_jail(k, t->s, "t");
}

/*
 * Whether a caller in viewer sees a VM made in a/b: its destroy gets past
 * check 2 (EINVAL), to succeed (same jail) or fail check 3 (EPERM).
 */
static int
probe(struct fake_os *fo, struct vmmctl_kern *k, struct vmmctl_kfile *f,
    struct tree *t, struct vmmctl_kjail *viewer)
{
	struct vmmctl_cred maker, c;
	int error;

	maker = t_cred(UID_ALICE, t->b);
	c = t_cred(UID_ALICE, viewer);
	ATF_REQUIRE_EQ(t_create(f, &maker, "seen", SCOPED), 0);
	error = t_destroy(f, &c, "seen");
	if (error == 0) {
		ATF_CHECK(viewer == t->b);
		ATF_CHECK(!fake_published(fo, "seen"));
		return (1);
	}
	ATF_CHECK(error == EINVAL || error == EPERM);
	ATF_CHECK(fake_published(fo, "seen"));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_REQUIRE_EQ(t_destroy(f, &maker, "seen"), 0);
	return (error == EPERM);
}

/* Destroy 2 (cr_cansee): the creator's jail and its ancestors see a VM. */
ATF_TC_WITHOUT_HEAD(jail_visible_creator_and_ancestors);
ATF_TC_BODY(jail_visible_creator_and_ancestors, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred host;
	struct tree t;

	k = t_setup(&fo);
	make_tree(k, &t);
	host = t_cred(UID_ALICE, NULL);
	f = t_open(k, &host);
	ATF_CHECK_MSG(probe(&fo, k, f, &t, t.b), "creator jail a/b");
	ATF_CHECK_MSG(probe(&fo, k, f, &t, t.a), "parent a");
	ATF_CHECK_MSG(probe(&fo, k, f, &t, NULL), "host");
	ATF_CHECK(vmmctl_kjail_sees(t.b, t.b));
	ATF_CHECK(vmmctl_kjail_sees(t.a, t.b));
	ATF_CHECK(vmmctl_kjail_sees(NULL, t.b));
	ATF_CHECK(vmmctl_kjail_sees(NULL, NULL));
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/* Destroy 2 (cr_cansee): no other jail sees it. */
ATF_TC_WITHOUT_HEAD(jail_invisible_elsewhere);
ATF_TC_BODY(jail_invisible_elsewhere, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred host;
	struct tree t;

	k = t_setup(&fo);
	make_tree(k, &t);
	host = t_cred(UID_ALICE, NULL);
	f = t_open(k, &host);
	ATF_CHECK_MSG(!probe(&fo, k, f, &t, t.c), "child a/b/c");
	ATF_CHECK_MSG(!probe(&fo, k, f, &t, t.x), "sibling a/x");
	ATF_CHECK_MSG(!probe(&fo, k, f, &t, t.y), "sibling's child a/x/y");
	ATF_CHECK_MSG(!probe(&fo, k, f, &t, t.s), "parent's sibling s");
	ATF_CHECK_MSG(!probe(&fo, k, f, &t, t.t), "s/t");
	ATF_CHECK(!vmmctl_kjail_sees(t.c, t.b));
	ATF_CHECK(!vmmctl_kjail_sees(t.x, t.b));
	ATF_CHECK(!vmmctl_kjail_sees(t.b, NULL));	/* host's own VMs */
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/* Destroy 2: a host VM is invisible in every jail (vmm_cred_jail_host). */
ATF_TC_WITHOUT_HEAD(jail_host_vm_invisible_to_jails);
ATF_TC_BODY(jail_host_vm_invisible_to_jails, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_kjail *a;
	struct vmmctl_cred host, ca, roota;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	a = t_jail(k, NULL, "a");
	host = t_cred(UID_ALICE, NULL);
	ca = t_cred(UID_ALICE, a);
	roota = t_cred(UID_ROOT, a);
	f = t_open(k, &host);
	ATF_REQUIRE_EQ(t_create(f, &host, "hostvm", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &ca, "hostvm"), EINVAL);
	ATF_CHECK_EQ(t_destroy(f, &roota, "hostvm"), EINVAL);
	ATF_CHECK(fake_published(&fo, "hostvm"));
	/* The VM remembers its jail, for the host's per-jail views. */
	ATF_REQUIRE_EQ(t_create(f, &ca, "jailvm", SCOPED), 0);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(fo.nunpublish, 2);
	t_teardown(&fo, k);
}

static void
hook_check_vm(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct vmmctl_kjail *want = fo->hook_arg;

	ATF_CHECK(vmmctl_kvm_jail(vm) == want);
	ATF_CHECK_EQ(vmmctl_kvm_uid(vm), UID_BOB);
	ATF_CHECK_EQ(vmmctl_kvm_gid(vm), 77);
	ATF_CHECK_STREQ(vmmctl_kvm_name(vm), "acc");
}

/* Model only: what the host's publish/unpublish learn of a VM. */
ATF_TC_WITHOUT_HEAD(vm_accessors);
ATF_TC_BODY(vm_accessors, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_kjail *j;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	j = t_jail(k, NULL, "acc");
	c = t_cred(UID_BOB, j);
	c.gid = 77;
	f = t_open(k, &c);
	fo.hook_arg = j;
	fo.publish_hook = hook_check_vm;
	fo.unpublish_hook = hook_check_vm;
	ATF_REQUIRE_EQ(t_create(f, &c, "acc", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &c, "acc"), 0);
	ATF_CHECK_EQ(fo.npublish, 1);
	ATF_CHECK_EQ(fo.nunpublish, 1);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/*
 * Open 2 and create 6: allow.vmm is on by default, and a jail never has
 * it when an ancestor lacks it.
 */
ATF_TC_WITHOUT_HEAD(jail_allow_vmm);
ATF_TC_BODY(jail_allow_vmm, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *a, *ab, *s;

	k = t_setup(&fo);
	a = t_jail(k, NULL, "a");
	ab = t_jail(k, a, "b");
	s = t_jail(k, NULL, "s");
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, NULL));
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, a));
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, ab));
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, a, 0), 0);
	ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, a));
	ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, ab));
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, s));
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, ab, 1), 0);
	ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, ab));
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, a, 1), 0);
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, ab));
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, ab, 0), 0);
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, a));
	ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, ab));
	/* The host is no jail: it cannot lose allow.vmm. */
	ATF_CHECK_EQ(vmmctl_kern_jail_set_vmm(k, NULL, 0), EINVAL);
	ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, NULL));
	t_teardown(&fo, k);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, jail_names);
	ATF_TP_ADD_TC(tp, jail_create_errors);
	ATF_TP_ADD_TC(tp, jail_visible_creator_and_ancestors);
	ATF_TP_ADD_TC(tp, jail_invisible_elsewhere);
	ATF_TP_ADD_TC(tp, jail_host_vm_invisible_to_jails);
	ATF_TP_ADD_TC(tp, vm_accessors);
	ATF_TP_ADD_TC(tp, jail_allow_vmm);
	return (atf_no_error());
}
