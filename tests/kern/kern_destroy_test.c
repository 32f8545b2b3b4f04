/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core's destroy path: validation, visibility, the life cycle's
 * guard against destroying a VM twice, and uid/privilege rules.
 */

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

static int
destroy_req(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const struct vmmctl_vm_destroy *req)
{

	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_DESTROY, (void *)
	    (uintptr_t)req, sizeof(*req)));
}

ATF_TC_WITHOUT_HEAD(destroy_reserved_nonzero);
ATF_TC_BODY(destroy_reserved_nonzero, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct vmmctl_vm_destroy req;
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "r", SCOPED), 0);
	for (i = 0; i < sizeof(req.reserved) / sizeof(req.reserved[0]); i++) {
		memset(&req, 0, sizeof(req));
		strcpy(req.name, "r");
		req.reserved[i] = 7;
		ATF_CHECK_EQ_MSG(destroy_req(f, &c, &req), EINVAL,
		    "reserved[%zu]", i);
	}
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK(fake_published(&fo, "r"));
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "r");
	ATF_CHECK_EQ(destroy_req(f, &c, &req), 0);
	ATF_CHECK(!fake_published(&fo, "r"));
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_bad_name);
ATF_TC_BODY(destroy_bad_name, tc)
{
	static const char *const names[] = { "", "/", ".", "..", "a/b", "/a" };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct vmmctl_vm_destroy req;
	char full[VM_MAX_NAMELEN + 1];
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ATF_CHECK_EQ_MSG(t_destroy(f, &c, names[i]), EINVAL,
		    "\"%s\"", names[i]);
	/* Unterminated: refused even though its 229-byte prefix exists. */
	memset(full, 'x', VM_MAX_NAMELEN);
	full[VM_MAX_NAMELEN] = '\0';
	ATF_REQUIRE_EQ(t_create(f, &c, full, SCOPED), 0);
	memset(&req, 0, sizeof(req));
	memset(req.name, 'x', sizeof(req.name));
	ATF_CHECK_EQ(destroy_req(f, &c, &req), EINVAL);
	ATF_CHECK(fake_published(&fo, full));
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK_EQ(t_destroy(f, &c, full), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_missing);
ATF_TC_BODY(destroy_missing, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	ATF_CHECK_EQ(t_destroy(f, &c, "nope"), EINVAL);
	ATF_REQUIRE_EQ(t_create(f, &c, "there", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &c, "ther"), EINVAL);
	ATF_CHECK_EQ(t_destroy(f, &c, "there2"), EINVAL);
	ATF_CHECK_EQ(t_destroy(f, &c, "there"), 0);
	/* Gone now: a second destroy finds nothing. */
	ATF_CHECK_EQ(t_destroy(f, &c, "there"), EINVAL);
	ATF_CHECK_EQ(fo.nunpublish, 1);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_invisible_sibling);
ATF_TC_BODY(destroy_invisible_sibling, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *ja, *jb;
	struct vmmctl_kfile *f;
	struct vmmctl_cred ca, cb, rootb;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	ja = t_jail(k, NULL, "a");
	jb = t_jail(k, NULL, "b");
	ca = t_cred(UID_ALICE, ja);
	cb = t_cred(UID_ALICE, jb);	/* same uid, sibling jail */
	rootb = t_cred(UID_ROOT, jb);	/* privilege does not help */
	f = t_open(k, &ca);
	ATF_REQUIRE_EQ(t_create(f, &ca, "va", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &cb, "va"), EINVAL);
	ATF_CHECK_EQ(t_destroy(f, &rootb, "va"), EINVAL);
	ATF_CHECK(fake_published(&fo, "va"));
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK_EQ(t_destroy(f, &ca, "va"), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
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

ATF_TC_WITHOUT_HEAD(destroy_being_destroyed);
ATF_TC_BODY(destroy_being_destroyed, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct reenter r;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "dying", SCOPED), 0);
	memset(&r, 0, sizeof(r));
	r.f = f;
	fo.hook_arg = &r;
	fo.unpublish_hook = hook_reenter;
	ATF_CHECK_EQ(t_destroy(f, &c, "dying"), 0);
	fo.unpublish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK_EQ(r.create_error, EEXIST);	/* the name is still taken */
	ATF_CHECK_EQ(fo.nunpublish, 1);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(release_being_destroyed);
ATF_TC_BODY(release_being_destroyed, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f, *other;
	struct vmmctl_cred c;
	struct reenter r;

	/* The same re-entry, from a release's unpublish. */
	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	other = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "rd", SCOPED), 0);
	memset(&r, 0, sizeof(r));
	r.f = other;
	fo.hook_arg = &r;
	fo.unpublish_hook = hook_reenter;
	vmmctl_kern_release(f);
	fo.unpublish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK_EQ(r.create_error, EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	vmmctl_kern_release(other);
	t_teardown(&fo, k);
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

ATF_TC_WITHOUT_HEAD(destroy_being_created);
ATF_TC_BODY(destroy_being_created, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct reenter r;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	memset(&r, 0, sizeof(r));
	r.f = f;
	fo.hook_arg = &r;
	fo.publish_hook = hook_destroy_creating;
	ATF_CHECK_EQ(t_create(f, &c, "young", SCOPED), 0);
	fo.publish_hook = NULL;
	ATF_CHECK_EQ(r.calls, 1);
	ATF_CHECK_EQ(r.destroy_error, EINVAL);
	ATF_CHECK(fake_published(&fo, "young"));
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK_EQ(t_destroy(f, &c, "young"), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_other_uid);
ATF_TC_BODY(destroy_other_uid, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *fa, *fb;
	struct vmmctl_cred ca, cb, root;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	ca = t_cred(UID_ALICE, NULL);
	cb = t_cred(UID_BOB, NULL);
	root = t_cred(UID_ROOT, NULL);
	fa = t_open(k, &ca);
	fb = t_open(k, &cb);
	ATF_REQUIRE_EQ(t_create(fa, &ca, "hers", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(fa, &ca, "hers2", SCOPED), 0);
	/* Bob, through his file or hers, may not. */
	ATF_CHECK_EQ(t_destroy(fb, &cb, "hers"), EPERM);
	ATF_CHECK_EQ(t_destroy(fa, &cb, "hers"), EPERM);
	ATF_CHECK(fake_published(&fo, "hers"));
	ATF_CHECK_EQ(fo.nunpublish, 0);
	/* Alice may, through any file; root may. */
	ATF_CHECK_EQ(t_destroy(fb, &ca, "hers"), 0);
	ATF_CHECK_EQ(t_destroy(fb, &root, "hers2"), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	/* A privileged Bob may too. */
	ATF_REQUIRE_EQ(t_create(fa, &ca, "hers3", SCOPED), 0);
	fake_priv(&fo, UID_BOB);
	ATF_CHECK_EQ(t_destroy(fb, &cb, "hers3"), 0);
	vmmctl_kern_release(fa);
	vmmctl_kern_release(fb);
	ATF_CHECK_EQ(fo.nunpublish, 3);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_other_file_then_release);
ATF_TC_BODY(destroy_other_file_then_release, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *fa, *fb;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	fa = t_open(k, &c);
	fb = t_open(k, &c);
	/* a1 in the middle of a's list, a3 at its head, a0 at its tail. */
	ATF_REQUIRE_EQ(t_create(fa, &c, "a0", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(fa, &c, "a1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(fa, &c, "a2", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(fa, &c, "a3", SCOPED), 0);
	fake_log_clear(&fo);
	ATF_CHECK_EQ(t_destroy(fb, &c, "a1"), 0);
	ATF_CHECK_EQ(t_destroy(fb, &c, "a3"), 0);
	ATF_CHECK_EQ(t_destroy(fb, &c, "a0"), 0);
	ATF_CHECK_STREQ(fo.log, "-a1 -a3 -a0 ");
	/* The name can be reused, now owned by b. */
	ATF_CHECK_EQ(t_create(fb, &c, "a1", SCOPED), 0);
	fake_log_clear(&fo);
	vmmctl_kern_release(fa);
	ATF_CHECK_STREQ(fo.log, "-a2 ");
	ATF_CHECK(fake_published(&fo, "a1"));
	fake_log_clear(&fo);
	vmmctl_kern_release(fb);
	ATF_CHECK_STREQ(fo.log, "-a1 ");
	ATF_CHECK_EQ(fo.nunpublish, 5);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(destroy_persistent);
ATF_TC_BODY(destroy_persistent, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f1, *f2;
	struct vmmctl_cred root;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	root = t_cred(UID_ROOT, NULL);
	f1 = t_open(k, &root);
	ATF_REQUIRE_EQ(t_create(f1, &root, "keep", PERSISTENT), 0);
	vmmctl_kern_release(f1);
	ATF_CHECK(fake_published(&fo, "keep"));
	/* A later file destroys it. */
	f2 = t_open(k, &root);
	ATF_CHECK_EQ(t_destroy(f2, &root, "keep"), 0);
	ATF_CHECK(!fake_published(&fo, "keep"));
	vmmctl_kern_release(f2);
	ATF_CHECK_EQ(fo.nunpublish, 1);
	t_teardown(&fo, k);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, destroy_reserved_nonzero);
	ATF_TP_ADD_TC(tp, destroy_bad_name);
	ATF_TP_ADD_TC(tp, destroy_missing);
	ATF_TP_ADD_TC(tp, destroy_invisible_sibling);
	ATF_TP_ADD_TC(tp, destroy_being_destroyed);
	ATF_TP_ADD_TC(tp, release_being_destroyed);
	ATF_TP_ADD_TC(tp, destroy_being_created);
	ATF_TP_ADD_TC(tp, destroy_other_uid);
	ATF_TP_ADD_TC(tp, destroy_other_file_then_release);
	ATF_TP_ADD_TC(tp, destroy_persistent);
	return (atf_no_error());
}
