/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * VMMCTL_VM_CREATE in generation 3, one case per row of shared/FREEBSD.md's
 * create list (in its order), cases that fail two checks at once to pin
 * the order down, and the model's own roll-back on publish and allocation
 * failures and the ioctl entry point's checks.  Generations 1 and 2 are in
 * kern_gen_test.c.  Every case ends by checking the fake host holds no
 * allocation and no device node.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

static int
create_req(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    struct vmmctl_vm_create *req)
{

	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_CREATE, req,
	    sizeof(*req)));
}

/* Create 1: an unterminated name is cut at 229 bytes, without an error. */
ATF_TC_WITHOUT_HEAD(create_name_unterminated_truncated);
ATF_TC_BODY(create_name_unterminated_truncated, tc)
{
	struct fx x;
	struct vmmctl_vm_create req;
	char cut[VM_MAX_NAMELEN + 1];

	fx_setup(&x, GEN3);
	memset(&req, 0, sizeof(req));
	memset(req.name, 'u', sizeof(req.name));	/* 230 bytes, no NUL */
	req.name[0] = 'A';
	req.flags = SCOPED;
	ATF_CHECK_EQ(create_req(x.falice, &x.alice, &req), 0);
	/* The request comes back cut, as FreeBSD's copyout returns it. */
	ATF_CHECK_EQ(req.name[VM_MAX_NAMELEN], '\0');
	memcpy(cut, req.name, VM_MAX_NAMELEN);
	cut[VM_MAX_NAMELEN] = '\0';
	ATF_CHECK(fake_published(&x.fo, cut));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 1);
	/* The cut name is the VM's: it is taken, and destroys it. */
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, cut, SCOPED), EEXIST);
	/* Whatever the 230th byte was, it is the same name. */
	req.name[VM_MAX_NAMELEN] = 'z';
	ATF_CHECK_EQ(create_req(x.falice, &x.alice, &req), EEXIST);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, cut), 0);
	fx_teardown(&x);
}

/* Create 1: a name of exactly 229 bytes is whole. */
ATF_TC_WITHOUT_HEAD(create_name_229);
ATF_TC_BODY(create_name_229, tc)
{
	struct fx x;
	char name[VM_MAX_NAMELEN + 1];

	fx_setup(&x, GEN3);
	memset(name, 'n', VM_MAX_NAMELEN);
	name[VM_MAX_NAMELEN] = '\0';
	name[0] = 'A';
	name[VM_MAX_NAMELEN - 1] = 'Z';
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, name, SCOPED), 0);
	ATF_CHECK(fake_published(&x.fo, name));
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, name, SCOPED), EEXIST);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, name), 0);
	ATF_CHECK(!fake_published(&x.fo, name));
	fx_teardown(&x);
}

/* Create 2: any reserved word non-zero -> EINVAL, before any side effect. */
ATF_TC_WITHOUT_HEAD(create_reserved_nonzero);
ATF_TC_BODY(create_reserved_nonzero, tc)
{
	struct fx x;
	struct vmmctl_vm_create req;
	size_t i;

	fx_setup(&x, GEN3);
	for (i = 0; i < sizeof(req.reserved) / sizeof(req.reserved[0]); i++) {
		memset(&req, 0, sizeof(req));
		strcpy(req.name, "r");
		req.flags = SCOPED;
		req.reserved[i] = (i % 2 == 0) ? 1 : -1;
		ATF_CHECK_EQ_MSG(create_req(x.froot, &x.root, &req), EINVAL,
		    "reserved[%zu]", i);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "r");
	req.flags = SCOPED;
	ATF_CHECK_EQ(create_req(x.froot, &x.root, &req), 0);
	fx_teardown(&x);
}

/* Create 3: flags outside VMMCTL_FLAGS_MASK -> EINVAL. */
ATF_TC_WITHOUT_HEAD(create_bad_flags);
ATF_TC_BODY(create_bad_flags, tc)
{
	static const uint32_t bad[] = { 0x2, 0x3, 0x80000000u, 0xffffffffu,
	    0x100 };
	struct fx x;
	size_t i;

	fx_setup(&x, GEN3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(t_create(x.froot, &x.root, "fl", bad[i]),
		    EINVAL, "flags %#x", bad[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "fl", VMMCTL_FLAGS_MASK), 0);
	fx_teardown(&x);
}

/* Create 2-3 before 4: a malformed request for a taken name is EINVAL. */
ATF_TC_WITHOUT_HEAD(create_order_reserved_flags_before_exists);
ATF_TC_BODY(create_order_reserved_flags_before_exists, tc)
{
	struct fx x;
	struct vmmctl_vm_create req;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "taken", SCOPED), 0);
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "taken");
	req.reserved[3] = 1;
	ATF_CHECK_EQ(create_req(x.falice, &x.alice, &req), EINVAL);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "taken", 0x4), EINVAL);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "taken", SCOPED), EEXIST);
	fx_teardown(&x);
}

/* Create 4: a visible VM of that name -> EEXIST, through any file. */
ATF_TC_WITHOUT_HEAD(create_eexist_visible);
ATF_TC_BODY(create_eexist_visible, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "mine", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "mine", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "mine", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "mine", PERSISTENT), EEXIST);
	ATF_REQUIRE_EQ(t_create(x.froot, &x.root, "pers", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "pers", SCOPED), EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 2);
	ATF_CHECK_EQ(x.fo.npublish, 2);
	fx_teardown(&x);
}

/* Create 4, ordering: unprivileged persistent of a taken name -> EEXIST. */
ATF_TC_WITHOUT_HEAD(create_order_exists_before_priv);
ATF_TC_BODY(create_order_exists_before_priv, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "s", SCOPED), 0);
	/* Fails check 4 and check 5: 4 comes first. */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", PERSISTENT), EEXIST);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "s", PERSISTENT), EEXIST);
	/* A free name: check 5 answers. */
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "t", PERSISTENT), EPERM);
	fx_teardown(&x);
}

/* Create 4: a VM being destroyed is still there -> EEXIST. */
static void
hook_create_dying(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct fx *x = fo->hook_arg;

	ATF_CHECK_EQ(t_create(x->fbob, &x->bob, vmmctl_kvm_name(vm), SCOPED),
	    EEXIST);
	ATF_CHECK_EQ(t_create(x->froot, &x->root, vmmctl_kvm_name(vm),
	    PERSISTENT), EEXIST);
}

ATF_TC_WITHOUT_HEAD(create_eexist_dying);
ATF_TC_BODY(create_eexist_dying, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "dying", SCOPED), 0);
	x.fo.hook_arg = &x;
	x.fo.unpublish_hook = hook_create_dying;
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, "dying"), 0);
	x.fo.unpublish_hook = NULL;
	ATF_CHECK_EQ(x.fo.npublish, 1);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

/* Create 4 (model: the lock is dropped to publish): a VM being made. */
static void
hook_create_same(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct fx *x = fo->hook_arg;

	ATF_CHECK_EQ(t_create(x->fbob, &x->bob, vmmctl_kvm_name(vm), SCOPED),
	    EEXIST);
	ATF_CHECK_EQ(t_destroy(x->froot, &x->root, vmmctl_kvm_name(vm)),
	    EINVAL);
}

ATF_TC_WITHOUT_HEAD(create_eexist_while_creating);
ATF_TC_BODY(create_eexist_while_creating, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	x.fo.hook_arg = &x;
	x.fo.publish_hook = hook_create_same;
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "busy", SCOPED), 0);
	x.fo.publish_hook = NULL;
	ATF_CHECK_EQ(x.fo.npublish, 1);
	ATF_CHECK(fake_published(&x.fo, "busy"));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 1);
	fx_teardown(&x);
}

/* Create 5: no DESTROY_ON_CLOSE and no PRIV_VMM_CREATE -> EPERM. */
ATF_TC_WITHOUT_HEAD(create_persistent_unprivileged);
ATF_TC_BODY(create_persistent_unprivileged, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "p", PERSISTENT), EPERM);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	/* Scoped is fine; privilege counts, not the file. */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "s", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.root, "p", PERSISTENT), 0);
	/* A setuid program: effective root, real alice, is privileged. */
	x.alice.uid = UID_ROOT;
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "q", PERSISTENT), 0);
	x.alice.uid = UID_ALICE;
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK(fake_published(&x.fo, "p"));
	ATF_CHECK(fake_published(&x.fo, "q"));
	ATF_CHECK(!fake_published(&x.fo, "s"));
	fx_teardown(&x);
}

/* Create 6: a jail that lost allow.vmm after the open -> EPERM. */
ATF_TC_WITHOUT_HEAD(create_jail_without_allow_vmm);
ATF_TC_BODY(create_jail_without_allow_vmm, tc)
{
	struct fx x;
	struct vmmctl_kjail *j, *child;
	struct vmmctl_kfile *f, *fc;
	struct vmmctl_cred cj, cc, rootj;

	fx_setup(&x, GEN3);
	j = t_jail(x.k, NULL, "j");
	child = t_jail(x.k, j, "c");
	cj = t_cred(UID_ALICE, j);
	cc = t_cred(UID_ALICE, child);
	rootj = t_cred(UID_ROOT, j);
	f = t_open(x.k, &cj);
	fc = t_open(x.k, &cc);
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(x.k, j, 0), 0);
	ATF_CHECK_EQ(t_create(f, &cj, "j1", SCOPED), EPERM);
	ATF_CHECK_EQ(t_create(f, &rootj, "j1", PERSISTENT), EPERM);
	ATF_CHECK_EQ(t_create(fc, &cc, "c1", SCOPED), EPERM);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	/* The host is never jailed. */
	ATF_CHECK_EQ(t_create(f, &x.alice, "h1", SCOPED), 0);
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(x.k, j, 1), 0);
	ATF_CHECK_EQ(t_create(f, &cj, "j1", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fc, &cc, "c1", SCOPED), 0);
	vmmctl_kern_release(f);
	vmmctl_kern_release(fc);
	fx_teardown(&x);
}

/* Create 7: the per-uid limit -> ENOMEM; scoped and persistent alike. */
ATF_TC_WITHOUT_HEAD(create_uid_limit);
ATF_TC_BODY(create_uid_limit, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	vmmctl_kern_set_uid_limit(x.k, 2);
	fake_priv(&x.fo, UID_ALICE);	/* so she may create persistent ones */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a2", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a3", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(x.fbob, &x.alice, "a3", PERSISTENT), ENOMEM);
	ATF_CHECK(!fake_published(&x.fo, "a3"));
	/* Another uid is unaffected. */
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "b1", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "b2", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "b3", SCOPED), ENOMEM);
	/* A destroy frees a slot, a release too. */
	ATF_REQUIRE_EQ(t_destroy(x.falice, &x.alice, "a2"), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a3", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a4", SCOPED), ENOMEM);
	vmmctl_kern_release(x.fbob);
	x.fbob = t_open(x.k, &x.bob);
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "b3", SCOPED), 0);
	/* 0 lifts the limit. */
	vmmctl_kern_set_uid_limit(x.k, 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a4", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a5", SCOPED), 0);
	fx_teardown(&x);
}

/* Create 7: root is counted too. */
ATF_TC_WITHOUT_HEAD(create_uid_limit_root);
ATF_TC_BODY(create_uid_limit_root, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	vmmctl_kern_set_uid_limit(x.k, 1);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "r1", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "r2", PERSISTENT), ENOMEM);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "r2", SCOPED), ENOMEM);
	fx_teardown(&x);
}

/* Create 7: the real uid is counted (cr_ruidinfo), not the effective one. */
ATF_TC_WITHOUT_HEAD(create_uid_limit_real_uid);
ATF_TC_BODY(create_uid_limit_real_uid, tc)
{
	struct fx x;
	struct vmmctl_cred suid;
	struct vmmctl_node_attr a;

	fx_setup(&x, GEN3);
	vmmctl_kern_set_uid_limit(x.k, 2);
	/* Alice running a setuid-root program: euid 0, ruid alice. */
	suid = x.alice;
	suid.uid = UID_ROOT;
	ATF_CHECK_EQ(t_create(x.falice, &suid, "s1", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	/* Alice's two slots are gone, root's are not. */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a2", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(x.falice, &suid, "s2", PERSISTENT), ENOMEM);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "r1", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(x.froot, &x.root, "r2", PERSISTENT), 0);
	/* The node belongs to the effective uid, the creator. */
	ATF_REQUIRE_EQ(fake_node(&x.fo, "s1", &a), 0);
	ATF_CHECK_EQ(a.uid, UID_ROOT);
	/* Freeing s1 gives alice's slot back. */
	ATF_CHECK_EQ(t_destroy(x.froot, &x.root, "s1"), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a2", SCOPED), 0);
	fx_teardown(&x);
}

/* Create 5 and 6 before 7: at the limit, the privilege/jail answer wins. */
ATF_TC_WITHOUT_HEAD(create_order_priv_jail_before_limit);
ATF_TC_BODY(create_order_priv_jail_before_limit, tc)
{
	struct fx x;
	struct vmmctl_kjail *j;
	struct vmmctl_kfile *f;
	struct vmmctl_cred cj;

	fx_setup(&x, GEN3);
	j = t_jail(x.k, NULL, "j");
	cj = t_cred(UID_ALICE, j);
	f = t_open(x.k, &cj);
	vmmctl_kern_set_uid_limit(x.k, 1);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a2", SCOPED), ENOMEM);
	/* Fails checks 5 and 7. */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a2", PERSISTENT), EPERM);
	/* Fails checks 6 and 7. */
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(x.k, j, 0), 0);
	ATF_CHECK_EQ(t_create(f, &cj, "a2", SCOPED), EPERM);
	vmmctl_kern_release(f);
	fx_teardown(&x);
}

/* Create 7: no limit unless the host sets one (it sets 4 x CPUs). */
ATF_TC_WITHOUT_HEAD(create_no_limit_by_default);
ATF_TC_BODY(create_no_limit_by_default, tc)
{
	struct fx x;
	char name[32];
	int i;

	fx_setup(&x, GEN3);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		ATF_REQUIRE_EQ_MSG(t_create(x.falice, &x.alice, name, SCOPED),
		    0, "%s", name);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 500);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

static void
check_bad_names(const char *const *names, size_t n)
{
	struct fx x;
	size_t i;

	fx_setup(&x, GEN3);
	for (i = 0; i < n; i++) {
		ATF_CHECK_EQ_MSG(t_create(x.falice, &x.alice, names[i],
		    SCOPED), EINVAL, "scoped \"%s\"", names[i]);
		ATF_CHECK_EQ_MSG(t_create(x.froot, &x.root, names[i],
		    PERSISTENT), EINVAL, "persistent \"%s\"", names[i]);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	fx_teardown(&x);
}

/* Create 9: devfs refuses the empty name ("vmm/": a trailing '/'). */
ATF_TC_WITHOUT_HEAD(create_name_empty);
ATF_TC_BODY(create_name_empty, tc)
{
	static const char *const names[] = { "" };

	check_bad_names(names, 1);
}

/* Create 9: devfs refuses white space (C locale isspace) and '"'. */
ATF_TC_WITHOUT_HEAD(create_name_space_quote);
ATF_TC_BODY(create_name_space_quote, tc)
{
	static const char *const names[] = { "a b", " a", "a ", "a\tb",
	    "a\nb", "a\vb", "a\fb", "a\rb", "\"", "a\"b", "\"a\"", " " };

	check_bad_names(names, sizeof(names) / sizeof(names[0]));
}

/* Create 9: "." and ".." components; '/' refused (model: see below). */
ATF_TC_WITHOUT_HEAD(create_name_dots);
ATF_TC_BODY(create_name_dots, tc)
{
	static const char *const names[] = { ".", ".." };
	static const char *const good[] = { "...", ".a", "a.", "..a", "a-b",
	    "\xc3\xa9", "a\\b", "a:b", "a\x7f", "a\x1f" "b", "\xa0" };
	struct fx x;
	size_t i;

	check_bad_names(names, 2);
	/* Only those exact names; bytes that are not C spaces are fine. */
	fx_setup(&x, GEN3);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_EQ_MSG(t_create(x.falice, &x.alice, good[i],
		    SCOPED), 0, "\"%s\"", good[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k),
	    sizeof(good) / sizeof(good[0]));
	fx_teardown(&x);
}

/*
 * Create 9, a divergence: FreeBSD makes /dev/vmm/a/b for "a/b" (and
 * collapses leading and doubled '/'); the model keeps one node per VM and
 * refuses any '/' with EINVAL.
 */
ATF_TC_WITHOUT_HEAD(create_name_slash);
ATF_TC_BODY(create_name_slash, tc)
{
	static const char *const names[] = { "/", "a/b", "a/", "/a", "//",
	    "../x", "a//b" };

	check_bad_names(names, sizeof(names) / sizeof(names[0]));
}

/* Create 5 and 7 before 9: a bad name meets the earlier refusals first. */
ATF_TC_WITHOUT_HEAD(create_order_priv_limit_before_name);
ATF_TC_BODY(create_order_priv_limit_before_name, tc)
{
	struct fx x;

	fx_setup(&x, GEN3);
	/* Fails checks 5 and 9. */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a b", PERSISTENT), EPERM);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "", PERSISTENT), EPERM);
	/* Fails checks 7 and 9. */
	vmmctl_kern_set_uid_limit(x.k, 1);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "a1", SCOPED), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "a\"b", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "..", SCOPED), ENOMEM);
	/* Within the limit, check 9 answers. */
	ATF_CHECK_EQ(t_create(x.fbob, &x.bob, "a\"b", SCOPED), EINVAL);
	fx_teardown(&x);
}

/*
 * Create 9: a name taken by a VM the caller cannot see -> EEXIST (devfs
 * names are global), but only after checks 5, 6 and 7.
 */
ATF_TC_WITHOUT_HEAD(create_invisible_taken);
ATF_TC_BODY(create_invisible_taken, tc)
{
	struct fx x;
	struct vmmctl_kjail *ja, *jb, *jac;
	struct vmmctl_kfile *fa, *fb;
	struct vmmctl_cred ca, cb, cac;

	fx_setup(&x, GEN3);
	ja = t_jail(x.k, NULL, "a");
	jb = t_jail(x.k, NULL, "b");
	jac = t_jail(x.k, ja, "c");
	ca = t_cred(UID_ALICE, ja);
	cb = t_cred(UID_ALICE, jb);
	cac = t_cred(UID_ALICE, jac);
	fa = t_open(x.k, &ca);
	fb = t_open(x.k, &cb);
	ATF_REQUIRE_EQ(t_create(fa, &ca, "global", SCOPED), 0);
	/* Invisible to b and to a's child: check 9's EEXIST. */
	ATF_CHECK_EQ(t_create(fb, &cb, "global", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(fb, &cac, "global", SCOPED), EEXIST);
	/* The host sees it: check 4's EEXIST (even unprivileged persistent). */
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "global", PERSISTENT),
	    EEXIST);
	/* Fails checks 5 and 9: EPERM. */
	ATF_CHECK_EQ(t_create(fb, &cb, "global", PERSISTENT), EPERM);
	/* Fails checks 7 and 9: ENOMEM. */
	vmmctl_kern_set_uid_limit(x.k, 1);
	ATF_CHECK_EQ(t_create(fb, &cb, "global", SCOPED), ENOMEM);
	vmmctl_kern_set_uid_limit(x.k, 0);
	/* Fails checks 6 and 9: EPERM. */
	ATF_REQUIRE_EQ(vmmctl_kern_jail_set_vmm(x.k, jb, 0), 0);
	ATF_CHECK_EQ(t_create(fb, &cb, "global", SCOPED), EPERM);
	ATF_CHECK_EQ(x.fo.npublish, 1);
	/* And the other way round: made on the host, taken in the jails. */
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "hosted", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "hosted", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(fa, &ca, "hosted", PERSISTENT), EPERM);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 2);
	vmmctl_kern_release(fa);
	vmmctl_kern_release(fb);
	fx_teardown(&x);
}

/* Create 10: the node is the creator's (euid), group vmm, mode 0600. */
ATF_TC_WITHOUT_HEAD(create_node_owner);
ATF_TC_BODY(create_node_owner, tc)
{
	struct fx x;
	struct vmmctl_node_attr a;

	fx_setup(&x, GEN3);
	vmmctl_kern_set_vmm_gid(x.k, 52);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "an", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(x.froot, &x.root, "rn", PERSISTENT), 0);
	ATF_REQUIRE_EQ(fake_node(&x.fo, "an", &a), 0);
	ATF_CHECK_EQ(a.uid, UID_ALICE);
	ATF_CHECK_EQ(a.gid, 52);
	ATF_CHECK_EQ(a.mode, 0600);
	ATF_REQUIRE_EQ(fake_node(&x.fo, "rn", &a), 0);
	ATF_CHECK_EQ(a.uid, UID_ROOT);
	ATF_CHECK_EQ(a.gid, 52);
	ATF_CHECK_EQ(a.mode, 0600);
	fx_teardown(&x);
}

/* Close (ownership): a scoped VM belongs to its file, not to its uid. */
ATF_TC_WITHOUT_HEAD(create_scoped_owned_by_file);
ATF_TC_BODY(create_scoped_owned_by_file, tc)
{
	struct fx x;
	struct vmmctl_kfile *f2;

	fx_setup(&x, GEN3);
	f2 = t_open(x.k, &x.alice);
	ATF_REQUIRE_EQ(t_create(x.falice, &x.alice, "one", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(f2, &x.alice, "two", SCOPED), 0);
	fake_log_clear(&x.fo);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK_STREQ(x.fo.log, "-one ");
	ATF_CHECK(fake_published(&x.fo, "two"));
	ATF_CHECK_EQ(t_create(f2, &x.alice, "one", SCOPED), 0);
	vmmctl_kern_release(f2);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

/* Create 9's "on error the VM is torn down again": publish fails. */
ATF_TC_WITHOUT_HEAD(create_publish_failure);
ATF_TC_BODY(create_publish_failure, tc)
{
	struct fx x;
	size_t allocs;

	fx_setup(&x, GEN3);
	vmmctl_kern_set_uid_limit(x.k, 1);
	allocs = x.fo.live_allocs;
	x.fo.publish_error = EIO;
	x.fo.publish_fail_name = "pf";
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "pf", SCOPED), EIO);
	ATF_CHECK_EQ(x.fo.npublish, 1);
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	ATF_CHECK_EQ(x.fo.live_allocs, allocs);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, "pf"), EINVAL);
	/* The uid's slot was given back (limit 1), and the name freed. */
	x.fo.publish_error = 0;
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "other", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(x.falice, &x.alice, "other"), 0);
	ATF_CHECK_EQ(t_create(x.falice, &x.alice, "pf", SCOPED), 0);
	/* The failed VM was never put on the file: one unpublish only. */
	fake_log_clear(&x.fo);
	vmmctl_kern_release(x.falice);
	x.falice = NULL;
	ATF_CHECK_STREQ(x.fo.log, "-pf ");
	fx_teardown(&x);
}

/* Model only: an allocation failure is ENOMEM and leaves nothing. */
ATF_TC_WITHOUT_HEAD(create_alloc_failure);
ATF_TC_BODY(create_alloc_failure, tc)
{
	struct fx x;
	size_t allocs;
	unsigned long n;
	int error, failures;

	fx_setup(&x, GEN3);
	allocs = x.fo.live_allocs;
	/* Fail the 1st, 2nd, ... allocation of a create until it succeeds. */
	failures = 0;
	for (n = 1; n < 100; n++) {
		x.fo.fail_alloc_at = x.fo.nallocs + n;
		error = t_create(x.falice, &x.alice, "am", SCOPED);
		if (error == 0)
			break;
		failures++;
		ATF_CHECK_EQ_MSG(error, ENOMEM, "allocation %lu", n);
		ATF_CHECK_EQ_MSG(x.fo.live_allocs, allocs, "allocation %lu",
		    n);
		ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
		ATF_CHECK_EQ(x.fo.npublish, 0);
	}
	x.fo.fail_alloc_at = 0;
	/* The VM and the uid's counter: two allocations that can fail. */
	ATF_CHECK_EQ(failures, 2);
	ATF_CHECK(fake_published(&x.fo, "am"));
	fx_teardown(&x);
}

ATF_TC_WITHOUT_HEAD(init_alloc_failure);
ATF_TC_BODY(init_alloc_failure, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	unsigned long n;

	fake_init(&fo);
	for (n = 1; n <= 2; n++) {
		fo.fail_alloc_at = fo.nallocs + n;
		ATF_CHECK_EQ(vmmctl_kern_init(&fo.os, &k), ENOMEM);
		ATF_CHECK_EQ(fo.live_allocs, 0);
	}
	fo.fail_alloc_at = 0;
	ATF_REQUIRE_EQ(vmmctl_kern_init(&fo.os, &k), 0);
	t_teardown(&fo, k);
}

/* Every hook is required, sleep/wakeup and the lock assertion included. */
ATF_TC_WITHOUT_HEAD(init_requires_hooks);
ATF_TC_BODY(init_requires_hooks, tc)
{
	struct fake_os fo;
	struct vmmctl_os os;
	struct vmmctl_kern *k;
	int i;

	fake_init(&fo);
	for (i = 0; i < 3; i++) {
		os = fo.os;
		if (i == 0)
			os.assert_locked = NULL;
		else if (i == 1)
			os.sleep = NULL;
		else
			os.wakeup = NULL;
		ATF_CHECK_EQ_MSG(vmmctl_kern_init(&os, &k), EINVAL, "hook %d",
		    i);
	}
	ATF_CHECK_EQ(fo.live_allocs, 0);
	ATF_REQUIRE_EQ(vmmctl_kern_init(&fo.os, &k), 0);
	t_teardown(&fo, k);
}

/* Unknown command -> ENOTTY. */
ATF_TC_WITHOUT_HEAD(ioctl_unknown_cmd);
ATF_TC_BODY(ioctl_unknown_cmd, tc)
{
	static const unsigned long cmds[] = { 0, 1,
	    _IOWR('V', 2, struct vmmctl_vm_create),
	    _IOWR('W', 0, struct vmmctl_vm_create),
	    _IOR('V', 0, struct vmmctl_vm_create),
	    _IOW('V', 1, struct vmmctl_vm_destroy),
	    _IO('V', 0), 0xffffffffUL };
	struct fx x;
	struct vmmctl_vm_create req;
	size_t i;

	fx_setup(&x, GEN3);
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "cmd");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(x.froot, &x.root, cmds[i],
		    &req, sizeof(req)), ENOTTY, "cmd %#lx", cmds[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	/* A command word sign-extended through an int is still itself. */
	ATF_CHECK_EQ(vmmctl_kern_ioctl(x.froot, &x.root,
	    (unsigned long)(long)(int)VMMCTL_VM_CREATE, &req, sizeof(req)), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 1);
	fx_teardown(&x);
}

/* Model only: the length must be the one the command word encodes. */
ATF_TC_WITHOUT_HEAD(ioctl_wrong_len);
ATF_TC_BODY(ioctl_wrong_len, tc)
{
	static const size_t lens[] = { 0, 1, 295, 297, 592, 4096 };
	struct fx x;
	char buf[4096];
	size_t i;

	fx_setup(&x, GEN3);
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "len");
	/* The name is free: a create that ignored len would succeed. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(x.froot, &x.root,
		    VMMCTL_VM_CREATE, buf, lens[i]), EINVAL, "create, len %zu",
		    lens[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	ATF_CHECK_EQ(x.fo.npublish, 0);
	ATF_REQUIRE_EQ(vmmctl_kern_ioctl(x.froot, &x.root, VMMCTL_VM_CREATE,
	    buf, sizeof(struct vmmctl_vm_create)), 0);
	/* The VM exists: a destroy that ignored len would succeed. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(x.froot, &x.root,
		    VMMCTL_VM_DESTROY, buf, lens[i]), EINVAL,
		    "destroy, len %zu", lens[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 1);
	ATF_CHECK_EQ(x.fo.nunpublish, 0);
	/* The right length works, from an unaligned buffer too. */
	memmove(buf + 1, buf, sizeof(struct vmmctl_vm_destroy));
	ATF_CHECK_EQ(vmmctl_kern_ioctl(x.froot, &x.root, VMMCTL_VM_DESTROY,
	    buf + 1, sizeof(struct vmmctl_vm_destroy)), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(x.k), 0);
	fx_teardown(&x);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, create_name_unterminated_truncated);
	ATF_TP_ADD_TC(tp, create_name_229);
	ATF_TP_ADD_TC(tp, create_reserved_nonzero);
	ATF_TP_ADD_TC(tp, create_bad_flags);
	ATF_TP_ADD_TC(tp, create_order_reserved_flags_before_exists);
	ATF_TP_ADD_TC(tp, create_eexist_visible);
	ATF_TP_ADD_TC(tp, create_order_exists_before_priv);
	ATF_TP_ADD_TC(tp, create_eexist_dying);
	ATF_TP_ADD_TC(tp, create_eexist_while_creating);
	ATF_TP_ADD_TC(tp, create_persistent_unprivileged);
	ATF_TP_ADD_TC(tp, create_jail_without_allow_vmm);
	ATF_TP_ADD_TC(tp, create_uid_limit);
	ATF_TP_ADD_TC(tp, create_uid_limit_root);
	ATF_TP_ADD_TC(tp, create_uid_limit_real_uid);
	ATF_TP_ADD_TC(tp, create_order_priv_jail_before_limit);
	ATF_TP_ADD_TC(tp, create_no_limit_by_default);
	ATF_TP_ADD_TC(tp, create_name_empty);
	ATF_TP_ADD_TC(tp, create_name_space_quote);
	ATF_TP_ADD_TC(tp, create_name_dots);
	ATF_TP_ADD_TC(tp, create_name_slash);
	ATF_TP_ADD_TC(tp, create_order_priv_limit_before_name);
	ATF_TP_ADD_TC(tp, create_invisible_taken);
	ATF_TP_ADD_TC(tp, create_node_owner);
	ATF_TP_ADD_TC(tp, create_scoped_owned_by_file);
	ATF_TP_ADD_TC(tp, create_publish_failure);
	ATF_TP_ADD_TC(tp, create_alloc_failure);
	ATF_TP_ADD_TC(tp, init_alloc_failure);
	ATF_TP_ADD_TC(tp, init_requires_hooks);
	ATF_TP_ADD_TC(tp, ioctl_unknown_cmd);
	ATF_TP_ADD_TC(tp, ioctl_wrong_len);
	return (atf_no_error());
}
