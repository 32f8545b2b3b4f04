/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * open("/dev/vmmctl"), shared/FREEBSD.md's open list: devfs's permission
 * check is the host's (the core says which owner and mode the control node
 * has), then vmmctl_open()'s jail and FWRITE checks.
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

/* Open 1: the control node is root:vmm 0660 in gen 3 (the host enforces). */
ATF_TC_WITHOUT_HEAD(open_ctl_node_gen3);
ATF_TC_BODY(open_ctl_node_gen3, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_node_attr a;

	k = t_setup(&fo);
	ATF_CHECK_EQ(vmmctl_kern_generation(k), 3);
	vmmctl_kern_set_vmm_gid(k, 77);
	vmmctl_kern_ctl_node(k, &a);
	ATF_CHECK_EQ(a.uid, 0);
	ATF_CHECK_EQ(a.gid, 77);
	ATF_CHECK_EQ(a.mode, 0660);
	t_teardown(&fo, k);
}

/* Open 1, gens 1-2: root:wheel 0600. */
ATF_TC_WITHOUT_HEAD(open_ctl_node_gen1_2);
ATF_TC_BODY(open_ctl_node_gen1_2, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_node_attr a;
	int gen;

	for (gen = 1; gen <= 2; gen++) {
		k = t_setup(&fo);
		ATF_REQUIRE_EQ(vmmctl_kern_set_generation(k, gen), 0);
		vmmctl_kern_set_vmm_gid(k, 77);
		vmmctl_kern_ctl_node(k, &a);
		ATF_CHECK_EQ_MSG(a.uid, 0, "gen %d", gen);
		ATF_CHECK_EQ_MSG(a.gid, 0, "gen %d", gen);
		ATF_CHECK_EQ_MSG(a.mode, 0600, "gen %d", gen);
		t_teardown(&fo, k);
	}
}

/* Open 2: jailed without allow.vmm -> EPERM, in every generation. */
ATF_TC_WITHOUT_HEAD(open_jail_without_allow_vmm);
ATF_TC_BODY(open_jail_without_allow_vmm, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *j, *child;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c, cc;
	int gen;

	for (gen = 1; gen <= 3; gen++) {
		k = t_setup(&fo);
		ATF_REQUIRE_EQ(vmmctl_kern_set_generation(k, gen), 0);
		fake_priv(&fo, UID_ROOT);
		j = t_jail(k, NULL, "novmm");
		child = t_jail(k, j, "child");
		ATF_CHECK(vmmctl_kern_jail_allows_vmm(k, j));
		ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, j, 0), 0);
		ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, j));
		/* Not even root, not even with FREAD|FWRITE. */
		c = t_cred(UID_ROOT, j);
		f = NULL;
		ATF_CHECK_EQ_MSG(vmmctl_kern_open(k, &c,
		    VMMCTL_KF_READ | VMMCTL_KF_WRITE, &f), EPERM, "gen %d",
		    gen);
		ATF_CHECK(f == NULL);
		/* A child has no permission its parent lacks. */
		cc = t_cred(UID_ALICE, child);
		ATF_CHECK(!vmmctl_kern_jail_allows_vmm(k, child));
		ATF_CHECK_EQ(vmmctl_kern_open(k, &cc, VMMCTL_KF_WRITE, &f),
		    EPERM);
		ATF_CHECK_EQ(fo.live_allocs, BASE_ALLOCS + 2);	/* jails */
		/* Given back, both may open. */
		ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(k, j, 1), 0);
		f = t_open(k, &c);
		vmmctl_kern_release(f);
		f = t_open(k, &cc);
		vmmctl_kern_release(f);
		t_teardown(&fo, k);
	}
}

/* Open 3: opened without FWRITE -> EPERM. */
ATF_TC_WITHOUT_HEAD(open_requires_write);
ATF_TC_BODY(open_requires_write, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	c = t_cred(UID_ROOT, NULL);
	f = NULL;
	ATF_CHECK_EQ(vmmctl_kern_open(k, &c, VMMCTL_KF_READ, &f), EPERM);
	ATF_CHECK(f == NULL);
	ATF_CHECK_EQ(vmmctl_kern_open(k, &c, 0, &f), EPERM);
	ATF_CHECK_EQ(fo.live_allocs, BASE_ALLOCS);
	ATF_REQUIRE_EQ(vmmctl_kern_open(k, &c, VMMCTL_KF_WRITE, &f), 0);
	ATF_CHECK_EQ(t_create(f, &c, "w", SCOPED), 0);
	vmmctl_kern_release(f);
	ATF_REQUIRE_EQ(vmmctl_kern_open(k, &c,
	    VMMCTL_KF_READ | VMMCTL_KF_WRITE, &f), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/* Open, model only: an allocation failure is ENOMEM and leaves nothing. */
ATF_TC_WITHOUT_HEAD(open_alloc_failure);
ATF_TC_BODY(open_alloc_failure, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = NULL;
	fo.fail_alloc_at = fo.nallocs + 1;
	ATF_CHECK_EQ(vmmctl_kern_open(k, &c, VMMCTL_KF_WRITE, &f), ENOMEM);
	ATF_CHECK(f == NULL);
	ATF_CHECK_EQ(fo.live_allocs, BASE_ALLOCS);
	fo.fail_alloc_at = 0;
	t_teardown(&fo, k);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, open_ctl_node_gen3);
	ATF_TP_ADD_TC(tp, open_ctl_node_gen1_2);
	ATF_TP_ADD_TC(tp, open_jail_without_allow_vmm);
	ATF_TP_ADD_TC(tp, open_requires_write);
	ATF_TP_ADD_TC(tp, open_alloc_failure);
	return (atf_no_error());
}
