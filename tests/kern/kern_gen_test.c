/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Generations 1 and 2 of /dev/vmmctl (shared/FREEBSD.md's table): what
 * differs from generation 3, each difference shown by a request that the
 * generations answer differently, and the generation switch itself.
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

/* The default is the newest; others are chosen before any file opens. */
ATF_TC_WITHOUT_HEAD(gen_select);
ATF_TC_BODY(gen_select, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), VMMCTL_KERN_GEN_MAX);
	ATF_CHECK_EQ(VMMCTL_KERN_GEN_MAX, 3);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 0), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 4), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, -1), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(NULL, 1), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), 3);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 1), 0);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), 1);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 2), 0);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), 2);
	/* Fixed while a file is open... */
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 3), EBUSY);
	ATF_REQUIRE_EQ(t_create(f, &c, "p", PERSISTENT), 0);
	vmmctl_kern_release(f);
	/* ...or a VM exists. */
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 3), EBUSY);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), 2);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_destroy(f, &c, "p"), 0);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(vmmctl_kern_set_generation(k, 3), 0);
	t_teardown(&fo, k);
}

/*
 * Gen 1, create 2: flags is reserved[0], so DESTROY_ON_CLOSE (or any
 * flag) is EINVAL before any side effect.
 */
ATF_TC_WITHOUT_HEAD(gen1_flags_are_reserved);
ATF_TC_BODY(gen1_flags_are_reserved, tc)
{
	struct fx x;

	fx_setup(&x, GEN1);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", SCOPED), EINVAL);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "s", SCOPED), EINVAL);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "s", 0x2), EINVAL);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "s", 0x80000000u), EINVAL);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	/* Even for a taken name: create 2 comes before create 4. */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "s", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", SCOPED), EINVAL);
	fx_teardown(&x);
}

/* Gen 1: every VM is persistent, and needs no privilege. */
ATF_TC_WITHOUT_HEAD(gen1_every_vm_persistent);
ATF_TC_BODY(gen1_every_vm_persistent, tc)
{
	struct fx x;

	fx_setup(&x, GEN1);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "b", PERSISTENT), 0);
	vmmctl_kern_release(x.falice);
	vmmctl_kern_release(x.fbob);
	x.falice = x.fbob = NULL;
	ATF_CHECK(fake_published(&x.fo, "a"));
	ATF_CHECK(fake_published(&x.fo, "b"));
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 2);
	fx_teardown(&x);	/* fini destroys them */
}

/* Gen 1, create 7: there is no per-uid limit. */
ATF_TC_WITHOUT_HEAD(gen1_no_uid_limit);
ATF_TC_BODY(gen1_no_uid_limit, tc)
{
	struct fx x;

	fx_setup(&x, GEN1);
	vmmctl_kern_set_uid_limit(x.k, 1);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a1", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a2", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a3", PERSISTENT), 0);
	fx_teardown(&x);
}

/* Gen 2: destroy-on-close exists, the per-uid limit too (create 7). */
ATF_TC_WITHOUT_HEAD(gen2_scoped_and_limit);
ATF_TC_BODY(gen2_scoped_and_limit, tc)
{
	struct fx x;

	fx_setup(&x, GEN2);
	vmmctl_kern_set_uid_limit(x.k, 2);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "p", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "t", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "t b", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", PERSISTENT), EEXIST);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "t", 0x2), EINVAL);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK(!fake_published(&x.fo, "s"));
	ATF_CHECK(fake_published(&x.fo, "p"));
	fx_teardown(&x);
}

/* Gens 1-2, create 5: no PRIV_VMM_CREATE check for persistent VMs. */
ATF_TC_WITHOUT_HEAD(gen1_2_persistent_unprivileged);
ATF_TC_BODY(gen1_2_persistent_unprivileged, tc)
{
	struct fx x;
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		fx_setup(&x, gen);
		ATF_CHECK_EQ_MSG(t_create(x.falice, &x.alice, "p", PERSISTENT),
		    0, "gen %d", gen);
		/* Then check 9 answers for a bad name, not check 5. */
		ATF_CHECK_EQ_MSG(t_create(x.falice, &x.alice, "a b",
		    PERSISTENT), EINVAL, "gen %d", gen);
		fx_teardown(&x);
	}
}

/* Gens 1-2, create 6: no jail check at create (only at open). */
ATF_TC_WITHOUT_HEAD(gen1_2_no_jail_check_at_create);
ATF_TC_BODY(gen1_2_no_jail_check_at_create, tc)
{
	struct fx x;
	struct vmmctl_kjail *j;
	struct vmmctl_kfile *f;
	struct vmmctl_cred cj;
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		fx_setup(&x, gen);
		j = t_jail(x.k, NULL, "j");
		cj = t_cred(UID_ALICE, j);
		f = t_open(x.k, &cj);
		ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(x.k, j, 0), 0);
		ATF_CHECK_EQ_MSG(t_create(f, &cj, "jv", PERSISTENT), 0,
		    "gen %d", gen);
		ATF_CHECK_EQ(vmmctl_kern_open(x.k, &cj, VMMCTL_KF_WRITE,
		    &(struct vmmctl_kfile *){ NULL }), EPERM);
		vmmctl_kern_release(f);
		fx_teardown(&x);
	}
}

/* Gens 1-2, destroy 3: anyone may destroy any VM it sees. */
ATF_TC_WITHOUT_HEAD(gen1_2_destroy_any_visible);
ATF_TC_BODY(gen1_2_destroy_any_visible, tc)
{
	struct fx x;
	struct vmmctl_kjail *ja, *jb;
	struct vmmctl_kfile *f;
	struct vmmctl_cred ca, cb;
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		fx_setup(&x, gen);
		ja = t_jail(x.k, NULL, "a");
		jb = t_jail(x.k, NULL, "b");
		ca = t_cred(UID_ALICE, ja);
		cb = t_cred(UID_ALICE, jb);
		f = t_open(x.k, &ca);
		ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hers",
		    PERSISTENT), 0);
		ATF_CHECK_EQ_MSG(t_destroy(x.fbob, &x.bob, "hers"), 0,
		    "gen %d", gen);
		/* Same uid, another jail that sees it: fine too. */
		ATF_REQUIRE_EQ(t_create(f, &ca, "inja", PERSISTENT), 0);
		ATF_CHECK_EQ(t_destroy(x.fbob, &x.bob, "inja"), 0);
		/* Visibility (destroy 2) still holds. */
		ATF_REQUIRE_EQ(t_create(f, &ca, "inja", PERSISTENT), 0);
		ATF_CHECK_EQ(t_destroy(f, &cb, "inja"), EINVAL);
		ATF_CHECK_EQ(t_destroy(f, &x.alice, "inja"), 0);
		vmmctl_kern_release(f);
		fx_teardown(&x);
	}
}

/* Gens 1-2, create 10: nodes are root:wheel 0600, whoever creates. */
ATF_TC_WITHOUT_HEAD(gen1_2_node_root_wheel);
ATF_TC_BODY(gen1_2_node_root_wheel, tc)
{
	struct fx x;
	struct vmmctl_node_attr a;
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		fx_setup(&x, gen);
		vmmctl_kern_set_vmm_gid(x.k, 52);
		ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "n", PERSISTENT),
		    0);
		ATF_REQUIRE_EQ(fake_node(&x.fo, "n", &a), 0);
		ATF_CHECK_EQ_MSG(a.uid, 0, "gen %d", gen);
		ATF_CHECK_EQ_MSG(a.gid, 0, "gen %d", gen);
		ATF_CHECK_EQ_MSG(a.mode, 0600, "gen %d", gen);
		fx_teardown(&x);
	}
}

/* Gens 1-2, create 1 and 9: truncation and the devfs rule are the same. */
ATF_TC_WITHOUT_HEAD(gen1_2_names);
ATF_TC_BODY(gen1_2_names, tc)
{
	struct fx x;
	struct vmmctl_vm_create req;
	char cut[VM_MAX_NAMELEN + 1];
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		fx_setup(&x, gen);
		memset(&req, 0, sizeof(req));
		memset(req.name, 'g', sizeof(req.name));
		ATF_CHECK_EQ(vmmctl_kern_ioctl(x.froot, &x.root,
		    VMMCTL_VM_CREATE, &req, sizeof(req)), 0);
		memset(cut, 'g', VM_MAX_NAMELEN);
		cut[VM_MAX_NAMELEN] = '\0';
		ATF_CHECK(fake_published(&x.fo, cut));
		ATF_CHECK_EQ(t_create(x.froot, &x.root, "a\tb", PERSISTENT),
		    EINVAL);
		ATF_CHECK_EQ(t_create(x.froot, &x.root, "\"", PERSISTENT),
		    EINVAL);
		ATF_CHECK_EQ(t_create(x.froot, &x.root, "..", PERSISTENT),
		    EINVAL);
		fx_teardown(&x);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, gen_select);
	ATF_TP_ADD_TC(tp, gen1_flags_are_reserved);
	ATF_TP_ADD_TC(tp, gen1_every_vm_persistent);
	ATF_TP_ADD_TC(tp, gen1_no_uid_limit);
	ATF_TP_ADD_TC(tp, gen2_scoped_and_limit);
	ATF_TP_ADD_TC(tp, gen1_2_persistent_unprivileged);
	ATF_TP_ADD_TC(tp, gen1_2_no_jail_check_at_create);
	ATF_TP_ADD_TC(tp, gen1_2_destroy_any_visible);
	ATF_TP_ADD_TC(tp, gen1_2_node_root_wheel);
	ATF_TP_ADD_TC(tp, gen1_2_names);
	return (atf_no_error());
}
