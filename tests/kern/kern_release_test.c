/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Close: the cdevpriv destructor (vmmctl_dtor), run when the last
 * reference to the open file description goes, destroys every VM created
 * through it with DESTROY_ON_CLOSE and nothing else (the host decides when
 * the last reference goes; a release racing a destroy is in
 * kern_thread_test.c).  Also tearing the instance down, and the name table
 * at scale.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

#define	MANY	20000

/* Close: exactly the file's DESTROY_ON_CLOSE VMs go, each once. */
ATF_TC_WITHOUT_HEAD(release_destroys_owned_only);
ATF_TC_BODY(release_destroys_owned_only, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.fbob, &x.bob, "b1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a2", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.root, "p1", PERSISTENT), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.root, "a3", SCOPED), 0);
	/* Alice's VM through Bob's file belongs to Bob's file. */
	ATF_REQUIRE_EQ(t_create(x.fbob, &x.alice, "b2", SCOPED), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 6);
	fake_log_clear(&x.fo);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	/* Exactly a's scoped VMs, each once (newest first). */
	ATF_CHECK_STREQ(x.fo.log, "-a3 -a2 -a1 ");
	ATF_CHECK_EQ(x.fo.nunpublish, 3);
	ATF_CHECK(fake_published(&x.fo, "p1"));
	ATF_CHECK(fake_published(&x.fo, "b1"));
	ATF_CHECK(fake_published(&x.fo, "b2"));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 3);
	fake_log_clear(&x.fo);
	vmmctl_kern_release(x.fbob);
	x.fbob = NULL;
	ATF_CHECK_STREQ(x.fo.log, "-b2 -b1 ");
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 1);
	ATF_CHECK(fake_published(&x.fo, "p1"));
	/* The persistent VM goes with the instance. */
	vmmctl_kern_release(x.froot);
	fake_log_clear(&x.fo);
	vmmctl_kern_fini(x.k);
	ATF_CHECK_STREQ(x.fo.log, "-p1 ");
	fake_check_clean(&x.fo);
}

/* Close: a file that made nothing releases nothing. */
ATF_TC_WITHOUT_HEAD(release_empty);
ATF_TC_BODY(release_empty, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f[3];
	struct vmmctl_cred c;
	int i;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	for (i = 0; i < 3; i++)
		f[i] = t_open(k, &c);
	/* Middle, head and tail of the instance's file list. */
	vmmctl_kern_release(f[1]);
	vmmctl_kern_release(f[2]);
	vmmctl_kern_release(f[0]);
	ATF_CHECK_EQ(fo.npublish, 0);
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK_EQ(fo.live_allocs, BASE_ALLOCS);
	vmmctl_kern_release(NULL);
	t_teardown(&fo, k);
}

/* Model only: the instance's end destroys every VM, files still open. */
ATF_TC_WITHOUT_HEAD(fini_with_live_vms);
ATF_TC_BODY(fini_with_live_vms, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *j;
	struct vmmctl_kfile *fa, *fb;
	struct vmmctl_cred ca, cj, root;
	char name[32];
	int i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	j = t_jail(k, NULL, "j");
	ca = t_cred(UID_ALICE, NULL);
	cj = t_cred(UID_BOB, j);
	root = t_cred(UID_ROOT, NULL);
	fa = t_open(k, &ca);
	fb = t_open(k, &cj);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		switch (i % 3) {
		case 0:
			ATF_REQUIRE_EQ(t_create(fa, &ca, name, SCOPED), 0);
			break;
		case 1:
			ATF_REQUIRE_EQ(t_create(fb, &cj, name, SCOPED), 0);
			break;
		default:
			ATF_REQUIRE_EQ(t_create(fb, &root, name, PERSISTENT),
			    0);
			break;
		}
	}
	/* b is released as a host would; a is still open at fini. */
	vmmctl_kern_release(fb);
	ATF_CHECK_EQ(fo.nunpublish, 13);
	vmmctl_kern_fini(k);
	ATF_CHECK_EQ(fo.npublish, 40);
	ATF_CHECK_EQ(fo.nunpublish, 40);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ATF_CHECK_MSG(!fake_published(&fo, name), "%s left", name);
	}
	fake_check_clean(&fo);
}

/* unpublish hook: fini's unpublish calls back into the core. */
static void
hook_count(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	int *calls = fo->hook_arg;

	(void)vm;
	ATF_CHECK(vmmctl_kern_vm_count(fo->kern) > 0);
	(*calls)++;
}

/* Model only: fini's unpublish may call back into the core. */
ATF_TC_WITHOUT_HEAD(fini_reentrant_unpublish);
ATF_TC_BODY(fini_reentrant_unpublish, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_cred root;
	struct vmmctl_kfile *f;
	int calls;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	root = t_cred(UID_ROOT, NULL);
	f = t_open(k, &root);
	ATF_REQUIRE_EQ(t_create(f, &root, "x", PERSISTENT), 0);
	ATF_REQUIRE_EQ(t_create(f, &root, "y", PERSISTENT), 0);
	vmmctl_kern_release(f);
	calls = 0;
	fo.hook_arg = &calls;
	fo.unpublish_hook = hook_count;
	vmmctl_kern_fini(k);
	ATF_CHECK_EQ(calls, 2);
	fake_check_clean(&fo);
}

static void
vm_name(char *buf, size_t size, int i)
{

	snprintf(buf, size, "vm-%05d", i);
}

/* Model only: the name table at scale; one release destroys 20,000. */
ATF_TC(hash_growth);
ATF_TC_HEAD(hash_growth, tc)
{

	atf_tc_set_md_var(tc, "descr", "20,000 VMs: all findable, all "
	    "destroyed by one release, counts right");
}
ATF_TC_BODY(hash_growth, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f, *g;
	struct vmmctl_cred c;
	char name[32];
	int i;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	g = t_open(k, &c);
	for (i = 0; i < MANY; i++) {
		vm_name(name, sizeof(name), i);
		ATF_REQUIRE_EQ_MSG(t_create(f, &c, name, SCOPED), 0, "%s",
		    name);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), MANY);
	ATF_CHECK_EQ(fo.npublished, MANY);
	/* Every name is found, after all the growing. */
	for (i = 0; i < MANY; i++) {
		vm_name(name, sizeof(name), i);
		ATF_REQUIRE_EQ_MSG(t_create(g, &c, name, SCOPED), EEXIST,
		    "%s", name);
	}
	/* And a name that was never made is not. */
	ATF_CHECK_EQ(t_destroy(g, &c, "vm-20000"), EINVAL);
	/* Every 7th, through another file. */
	for (i = 0; i < MANY; i += 7) {
		vm_name(name, sizeof(name), i);
		ATF_REQUIRE_EQ_MSG(t_destroy(g, &c, name), 0, "%s", name);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), MANY - (MANY + 6) / 7);
	vmmctl_kern_release(g);
	ATF_CHECK_EQ(fo.nunpublish, (MANY + 6) / 7);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, MANY);
	ATF_CHECK_EQ(fo.nunpublish, MANY);
	ATF_CHECK_EQ(fo.npublished, 0);
	/* Only the instance and its (grown) table are left. */
	ATF_CHECK_EQ(fo.live_allocs, BASE_ALLOCS);
	/* A VM costs well under 1 KiB (name inline), buckets included. */
	ATF_CHECK(fo.live_bytes >= MANY * sizeof(void *));
	ATF_CHECK_MSG(fo.live_bytes < (size_t)MANY * 64, "table of %zu "
	    "bytes", fo.live_bytes);
	t_teardown(&fo, k);
}

/* Model only: a VM's memory cost. */
ATF_TC_WITHOUT_HEAD(vm_size);
ATF_TC_BODY(vm_size, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t before;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "first", SCOPED), 0);
	before = fo.live_bytes;
	ATF_REQUIRE_EQ(t_create(f, &c, "second", SCOPED), 0);
	printf("one VM: %zu bytes\n", fo.live_bytes - before);
	ATF_CHECK(fo.live_bytes - before >= VM_MAX_NAMELEN + 1);
	ATF_CHECK(fo.live_bytes - before < 512);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/* Model only: growing the table is best effort. */
ATF_TC_WITHOUT_HEAD(growth_alloc_failure);
ATF_TC_BODY(growth_alloc_failure, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	char name[32];
	unsigned long before;
	int i;

	/*
	 * Growing the table is best effort: when the bigger bucket array
	 * cannot be had, creates still work, on longer chains.  The table
	 * starts with 16 buckets and grows when a VM would exceed one per
	 * bucket, after the VM itself was allocated: fail that second
	 * allocation, each time the table would double.
	 */
	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "uid-counter", SCOPED), 0);
	for (i = 0; i < 99; i++) {
		vm_name(name, sizeof(name), i);
		before = fo.nallocs;
		if (i == 15 || i == 31 || i == 63)
			fo.fail_alloc_at = before + 2;
		ATF_REQUIRE_EQ_MSG(t_create(f, &c, name, SCOPED), 0, "%s",
		    name);
		if (fo.fail_alloc_at != 0)
			ATF_CHECK_EQ_MSG(fo.nallocs, before + 2, "%s", name);
		fo.fail_alloc_at = 0;
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 100);
	for (i = 0; i < 99; i++) {
		vm_name(name, sizeof(name), i);
		ATF_CHECK_EQ_MSG(t_create(f, &c, name, SCOPED), EEXIST, "%s",
		    name);
	}
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(fo.nunpublish, 100);
	t_teardown(&fo, k);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, release_destroys_owned_only);
	ATF_TP_ADD_TC(tp, release_empty);
	ATF_TP_ADD_TC(tp, fini_with_live_vms);
	ATF_TP_ADD_TC(tp, fini_reentrant_unpublish);
	ATF_TP_ADD_TC(tp, hash_growth);
	ATF_TP_ADD_TC(tp, vm_size);
	ATF_TP_ADD_TC(tp, growth_alloc_failure);
	return (atf_no_error());
}
