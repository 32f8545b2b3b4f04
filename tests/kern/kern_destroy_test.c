/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * VMMCTL_VM_DESTROY in generation 3, one case per row of shared/FREEBSD.md's
 * destroy list (in its order), cases that fail two checks at once, and the
 * model's life-cycle guard against destroying a VM twice.  Generations 1
 * and 2 are in kern_gen_test.c.
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

static int
destroy_req(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    struct vmmctl_vm_destroy *req)
{

	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_DESTROY, req,
	    sizeof(*req)));
}

/* Destroy 1: the name is forced to end at byte 229. */
ATF_TC_WITHOUT_HEAD(destroy_name_unterminated);
ATF_TC_BODY(destroy_name_unterminated, tc)
{
	struct fx x;
	struct vmmctl_vm_destroy req;
	char full[VM_MAX_NAMELEN + 1];

	fx_setup(&x, GEN3);
	memset(full, 'x', VM_MAX_NAMELEN);
	full[VM_MAX_NAMELEN] = '\0';
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, full, SCOPED), 0);
	memset(&req, 0, sizeof(req));
	memset(req.name, 'x', sizeof(req.name));	/* no NUL */
	ATF_CHECK_EQ(destroy_req(x.falice, &x.alice, &req), 0);
	ATF_CHECK_EQ(req.name[VM_MAX_NAMELEN], '\0');
	ATF_CHECK(!fake_published(&x.fo, full));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

/* Destroy 1: any reserved word non-zero -> EINVAL. */
ATF_TC_WITHOUT_HEAD(destroy_reserved_nonzero);
ATF_TC_BODY(destroy_reserved_nonzero, tc)
{
	struct fx x;
	struct vmmctl_vm_destroy req;
	size_t i;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.froot, &x.root, "r", SCOPED), 0);
	for (i = 0; i < sizeof(req.reserved) / sizeof(req.reserved[0]); i++) {
		memset(&req, 0, sizeof(req));
		strcpy(req.name, "r");
		req.reserved[i] = 7;
		ATF_CHECK_EQ_MSG(destroy_req(x.froot, &x.root, &req), EINVAL,
		    "reserved[%zu]", i);
	}
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	ATF_CHECK(fake_published(&x.fo, "r"));
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "r");
	ATF_CHECK_EQ(destroy_req(x.froot, &x.root, &req), 0);
	ATF_CHECK(!fake_published(&x.fo, "r"));
	fx_teardown(&x);
}

/* Destroy 1 before 3: reserved set on another uid's VM -> EINVAL. */
ATF_TC_WITHOUT_HEAD(destroy_order_reserved_before_owner);
ATF_TC_BODY(destroy_order_reserved_before_owner, tc)
{
	struct fx x;
	struct vmmctl_vm_destroy req;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hers", SCOPED), 0);
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "hers");
	req.reserved[15] = 1;
	ATF_CHECK_EQ(destroy_req(x.fbob, &x.bob, &req), EINVAL);
	ATF_CHECK_EQ(t_destroy(x.fbob, &x.bob, "hers"), EPERM);
	fx_teardown(&x);
}

/* Destroy 2: no such VM -> EINVAL (never ENOENT). */
ATF_TC_WITHOUT_HEAD(destroy_missing);
ATF_TC_BODY(destroy_missing, tc)
{
	static const char *const names[] = { "nope", "", "/", ".", "..",
	    "a/b", "a b", "\"" };
	struct fx x;
	size_t i;

	fx_setup(&x, GEN3);
	/* Names no VM can have are simply not found. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ATF_CHECK_EQ_MSG(t_destroy(x.froot, &x.root, names[i]), EINVAL,
		    "\"%s\"", names[i]);
	ATF_REQUIRE_EQ(t_create(x.froot, &x.root, "there", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(x.froot, &x.root, "ther"), EINVAL);
	ATF_CHECK_EQ(t_destroy(x.froot, &x.root, "there2"), EINVAL);
	ATF_CHECK_EQ(t_destroy(x.froot, &x.root, "there"), 0);
	/* Gone now: a second destroy finds nothing. */
	ATF_CHECK_EQ(t_destroy(x.froot, &x.root, "there"), EINVAL);
	ATF_CHECK_EQ(x.fo.nunpublish, 1);
	fx_teardown(&x);
}

/* Destroy 2 (before 3): invisible -> EINVAL, privilege or not. */
ATF_TC_WITHOUT_HEAD(destroy_invisible_sibling);
ATF_TC_BODY(destroy_invisible_sibling, tc)
{
	struct fx x;
	struct vmmctl_kjail *ja, *jb;
	struct vmmctl_kfile *f;
	struct vmmctl_cred ca, cb, rootb;

	fx_setup(&x, GEN3);
	ja = t_jail(x.k, NULL, "a");
	jb = t_jail(x.k, NULL, "b");
	ca = t_cred(UID_ALICE, ja);
	cb = t_cred(UID_ALICE, jb);	/* same uid, sibling jail */
	rootb = t_cred(UID_ROOT, jb);	/* privileged: fails 2 and not 3 */
	f = t_open(x.k, &ca);
	ATF_REQUIRE_EQ(t_create(f, &ca, "va", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &cb, "va"), EINVAL);
	ATF_CHECK_EQ(t_destroy(f, &rootb, "va"), EINVAL);
	ATF_CHECK(fake_published(&x.fo, "va"));
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	ATF_CHECK_EQ(t_destroy(f, &ca, "va"), 0);
	vmmctl_kern_release(f);
	fx_teardown(&x);
}

struct reenter {
	struct vmmctl_kfile	*f;
	int			destroy_error;
	int			create_error;
	int			calls;
};

/* unpublish hook: destroy and create the dying VM's name again. */
static void
hook_reenter(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct reenter *r = fo->hook_arg;
	struct vmmctl_cred c;

	c = t_cred(vmmctl_kvm_uid(vm), NULL);
	r->calls++;
	r->destroy_error = t_destroy(r->f, &c, vmmctl_kvm_name(vm));
	r->create_error = t_create(r->f, &c, vmmctl_kvm_name(vm), SCOPED);
}

/* Destroy 2: already being destroyed -> EINVAL (and create 4: EEXIST). */
ATF_TC_WITHOUT_HEAD(destroy_being_destroyed);
ATF_TC_BODY(destroy_being_destroyed, tc)
{
	struct fx x;
	struct reenter r;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "dying", SCOPED), 0);
	memset(&r, 0, sizeof(r));
	r.f = x.falice;
	x.fo.hook_arg = &r;
	x.fo.unpublish_hook = hook_reenter;
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, "dying"), 0);
	x.fo.unpublish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK_EQ(r.create_error, EEXIST);	/* the name is still taken */
	ATF_CHECK_EQ(x.fo.nunpublish, 1);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

/* Destroy 2, from a release's unpublish: the same. */
ATF_TC_WITHOUT_HEAD(release_being_destroyed);
ATF_TC_BODY(release_being_destroyed, tc)
{
	struct fx x;
	struct reenter r;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "rd", SCOPED), 0);
	memset(&r, 0, sizeof(r));
	r.f = x.fbob;
	x.fo.hook_arg = &r;
	x.fo.unpublish_hook = hook_reenter;
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	x.fo.unpublish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK_EQ(r.create_error, EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

/* publish hook: a VM being created cannot be destroyed yet. */
static void
hook_destroy_creating(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct reenter *r = fo->hook_arg;
	struct vmmctl_cred c;

	c = t_cred(UID_ROOT, NULL);
	r->calls++;
	r->destroy_error = t_destroy(r->f, &c, vmmctl_kvm_name(vm));
}

/* Destroy 2 (model: the lock is dropped to publish): being made -> EINVAL. */
ATF_TC_WITHOUT_HEAD(destroy_being_created);
ATF_TC_BODY(destroy_being_created, tc)
{
	struct fx x;
	struct reenter r;

	fx_setup(&x, GEN3);
	memset(&r, 0, sizeof(r));
	r.f = x.froot;
	x.fo.hook_arg = &r;
	x.fo.publish_hook = hook_destroy_creating;
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "young", SCOPED), 0);
	x.fo.publish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK(fake_published(&x.fo, "young"));
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, "young"), 0);
	fx_teardown(&x);
}

/* Destroy 3: another uid without PRIV_VMM_DESTROY -> EPERM. */
ATF_TC_WITHOUT_HEAD(destroy_other_uid);
ATF_TC_BODY(destroy_other_uid, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hers", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hers2", SCOPED), 0);
	/* Bob, through his file or hers, may not. */
	ATF_CHECK_EQ(t_destroy(x.fbob, &x.bob, "hers"), EPERM);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.bob, "hers"), EPERM);
	ATF_CHECK(fake_published(&x.fo, "hers"));
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	/* Alice may, through any file; root may. */
	ATF_CHECK_EQ(t_destroy(x.fbob, &x.alice, "hers"), 0);
	ATF_CHECK_EQ(t_destroy(x.fbob, &x.root, "hers2"), 0);
	/* A privileged Bob may too. */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hers3", SCOPED), 0);
	fake_priv(&x.fo, UID_BOB);
	ATF_CHECK_EQ(t_destroy(x.fbob, &x.bob, "hers3"), 0);
	ATF_CHECK_EQ(x.fo.nunpublish, 3);
	fx_teardown(&x);
}

/* Destroy 3: the same uid from another jail (one that sees it) -> EPERM. */
ATF_TC_WITHOUT_HEAD(destroy_same_uid_other_jail);
ATF_TC_BODY(destroy_same_uid_other_jail, tc)
{
	struct fx x;
	struct vmmctl_kjail *ja, *jab;
	struct vmmctl_kfile *f;
	struct vmmctl_cred cab, ca, rootab;

	fx_setup(&x, GEN3);
	ja = t_jail(x.k, NULL, "a");
	jab = t_jail(x.k, ja, "b");
	cab = t_cred(UID_ALICE, jab);
	ca = t_cred(UID_ALICE, ja);
	rootab = t_cred(UID_ROOT, jab);
	f = t_open(x.k, &cab);
	ATF_REQUIRE_EQ(t_create(f, &cab, "inner", SCOPED), 0);
	/* The host and a/ see a/b's VM (check 2 passes), but 3 fails. */
	ATF_CHECK_EQ(t_destroy(f, &x.alice, "inner"), EPERM);
	ATF_CHECK_EQ(t_destroy(f, &ca, "inner"), EPERM);
	ATF_CHECK(fake_published(&x.fo, "inner"));
	/* The other way round: alice's host VM, alice in a jail: invisible. */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "outer", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &cab, "outer"), EINVAL);
	/* PRIV_VMM_DESTROY (the host says who holds it) overrides check 3. */
	ATF_CHECK_EQ(t_destroy(f, &rootab, "inner"), 0);
	ATF_REQUIRE_EQ(t_create(f, &cab, "inner", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &x.root, "inner"), 0);
	/* And the creator, from its own jail. */
	ATF_REQUIRE_EQ(t_create(f, &cab, "inner", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(x.falice, &cab, "inner"), 0);
	vmmctl_kern_release(f);
	fx_teardown(&x);
}

/* Close (ownership): a VM destroyed through another file leaves its list. */
ATF_TC_WITHOUT_HEAD(destroy_other_file_then_release);
ATF_TC_BODY(destroy_other_file_then_release, tc)
{
	struct fx x;
	struct vmmctl_kfile *fb;

	fx_setup(&x, GEN3);
	fb = t_open(x.k, &x.alice);
	/* a1 in the middle of a's list, a3 at its head, a0 at its tail. */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a0", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a2", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a3", SCOPED), 0);
	fake_log_clear(&x.fo);
	ATF_CHECK_EQ(t_destroy(fb, &x.alice, "a1"), 0);
	ATF_CHECK_EQ(t_destroy(fb, &x.alice, "a3"), 0);
	ATF_CHECK_EQ(t_destroy(fb, &x.alice, "a0"), 0);
	ATF_CHECK_STREQ(x.fo.log, "-a1 -a3 -a0 ");
	/* The name can be reused, now owned by fb. */
	ATF_CHECK_EQ(t_create(fb, &x.alice, "a1", SCOPED), 0);
	fake_log_clear(&x.fo);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK_STREQ(x.fo.log, "-a2 ");
	ATF_CHECK(fake_published(&x.fo, "a1"));
	fake_log_clear(&x.fo);
	vmmctl_kern_release(fb);
	ATF_CHECK_STREQ(x.fo.log, "-a1 ");
	ATF_CHECK_EQ(x.fo.nunpublish, 5);
	fx_teardown(&x);
}

/* A persistent VM outlives its file and is destroyed by a later one. */
ATF_TC_WITHOUT_HEAD(destroy_persistent);
ATF_TC_BODY(destroy_persistent, tc)
{
	struct fx x;
	struct vmmctl_kfile *f2;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.froot, &x.root, "keep", PERSISTENT), 0);
	vmmctl_kern_release(x.froot);
	x.froot = NULL;
	ATF_CHECK(fake_published(&x.fo, "keep"));
	f2 = t_open(x.k, &x.root);
	ATF_CHECK_EQ(t_destroy(f2, &x.root, "keep"), 0);
	ATF_CHECK(!fake_published(&x.fo, "keep"));
	vmmctl_kern_release(f2);
	ATF_CHECK_EQ(x.fo.nunpublish, 1);
	fx_teardown(&x);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, destroy_name_unterminated);
	ATF_TP_ADD_TC(tp, destroy_reserved_nonzero);
	ATF_TP_ADD_TC(tp, destroy_order_reserved_before_owner);
	ATF_TP_ADD_TC(tp, destroy_missing);
	ATF_TP_ADD_TC(tp, destroy_invisible_sibling);
	ATF_TP_ADD_TC(tp, destroy_being_destroyed);
	ATF_TP_ADD_TC(tp, release_being_destroyed);
	ATF_TP_ADD_TC(tp, destroy_being_created);
	ATF_TP_ADD_TC(tp, destroy_other_uid);
	ATF_TP_ADD_TC(tp, destroy_same_uid_other_jail);
	ATF_TP_ADD_TC(tp, destroy_other_file_then_release);
	ATF_TP_ADD_TC(tp, destroy_persistent);
	return (atf_no_error());
}
