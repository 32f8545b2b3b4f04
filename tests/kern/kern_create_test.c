/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel core's open and create paths, one case per row of DESIGN.md's
 * semantics table, plus roll-back on publish and allocation failures and the
 * ioctl entry point's own checks.  Every case ends by checking the fake host
 * holds no allocation and no device node.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

static int
create_req(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const struct vmmctl_vm_create *req)
{

	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_CREATE, (void *)
	    (uintptr_t)req, sizeof(*req)));
}

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
	ATF_CHECK_EQ(fo.live_allocs, 1 + 1);	/* instance + name table */
	ATF_REQUIRE_EQ(vmmctl_kern_open(k, &c, VMMCTL_KF_WRITE, &f), 0);
	ATF_CHECK_EQ(t_create(f, &c, "w", SCOPED), 0);
	vmmctl_kern_release(f);
	ATF_REQUIRE_EQ(vmmctl_kern_open(k, &c,
	    VMMCTL_KF_READ | VMMCTL_KF_WRITE, &f), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_reserved_nonzero);
ATF_TC_BODY(create_reserved_nonzero, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct vmmctl_vm_create req;
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	for (i = 0; i < sizeof(req.reserved) / sizeof(req.reserved[0]); i++) {
		memset(&req, 0, sizeof(req));
		strcpy(req.name, "r");
		req.flags = SCOPED;
		req.reserved[i] = (i % 2 == 0) ? 1 : -1;
		ATF_CHECK_EQ_MSG(create_req(f, &c, &req), EINVAL,
		    "reserved[%zu]", i);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, 0);
	/* The same request with reserved zeroed is fine. */
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "r");
	req.flags = SCOPED;
	ATF_CHECK_EQ(create_req(f, &c, &req), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_bad_flags);
ATF_TC_BODY(create_bad_flags, tc)
{
	static const uint32_t bad[] = { 0x2, 0x3, 0x80000000u, 0xffffffffu,
	    0x100 };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(t_create(f, &c, "fl", bad[i]), EINVAL,
		    "flags %#x", bad[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, 0);
	ATF_CHECK_EQ(t_create(f, &c, "fl", VMMCTL_FLAGS_MASK), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_name_unterminated);
ATF_TC_BODY(create_name_unterminated, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct vmmctl_vm_create req;
	char trunc[VM_MAX_NAMELEN + 1];

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	memset(&req, 0, sizeof(req));
	memset(req.name, 'u', sizeof(req.name));	/* 230 bytes, no NUL */
	req.flags = SCOPED;
	ATF_CHECK_EQ(create_req(f, &c, &req), EINVAL);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, 0);
	/* Not truncated either: the 229-byte prefix is still free. */
	memset(trunc, 'u', VM_MAX_NAMELEN);
	trunc[VM_MAX_NAMELEN] = '\0';
	ATF_CHECK(!fake_published(&fo, trunc));
	ATF_CHECK_EQ(t_create(f, &c, trunc, SCOPED), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_name_229);
ATF_TC_BODY(create_name_229, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	char name[VM_MAX_NAMELEN + 1];

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	memset(name, 'n', VM_MAX_NAMELEN);
	name[VM_MAX_NAMELEN] = '\0';
	name[0] = 'A';
	name[VM_MAX_NAMELEN - 1] = 'Z';
	ATF_REQUIRE_EQ(t_create(f, &c, name, SCOPED), 0);
	ATF_CHECK(fake_published(&fo, name));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_CHECK_EQ(t_create(f, &c, name, SCOPED), EEXIST);
	ATF_CHECK_EQ(t_destroy(f, &c, name), 0);
	ATF_CHECK(!fake_published(&fo, name));
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

static void
check_bad_names(const char *const *names, size_t n)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	for (i = 0; i < n; i++) {
		ATF_CHECK_EQ_MSG(t_create(f, &c, names[i], SCOPED), EINVAL,
		    "scoped \"%s\"", names[i]);
		ATF_CHECK_EQ_MSG(t_create(f, &c, names[i], PERSISTENT),
		    EINVAL, "persistent \"%s\"", names[i]);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_name_empty);
ATF_TC_BODY(create_name_empty, tc)
{
	static const char *const names[] = { "" };

	check_bad_names(names, 1);
}

ATF_TC_WITHOUT_HEAD(create_name_slash);
ATF_TC_BODY(create_name_slash, tc)
{
	static const char *const names[] = { "/", "a/b", "a/", "/a", "//",
	    "../x" };

	check_bad_names(names, sizeof(names) / sizeof(names[0]));
}

ATF_TC_WITHOUT_HEAD(create_name_dots);
ATF_TC_BODY(create_name_dots, tc)
{
	static const char *const names[] = { ".", ".." };
	static const char *const good[] = { "...", ".a", "a.", "..a", "a b",
	    "\xc3\xa9" };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t i;

	check_bad_names(names, 2);
	/* Only the two exact names are refused. */
	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ATF_CHECK_EQ_MSG(t_create(f, &c, good[i], SCOPED), 0,
		    "\"%s\"", good[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), sizeof(good) / sizeof(good[0]));
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_eexist_same_file);
ATF_TC_BODY(create_eexist_same_file, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	ATF_REQUIRE_EQ(t_create(f, &c, "dup", SCOPED), 0);
	ATF_CHECK_EQ(t_create(f, &c, "dup", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(f, &c, "dup", PERSISTENT), EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_CHECK_EQ(fo.npublish, 1);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_eexist_other_file);
ATF_TC_BODY(create_eexist_other_file, tc)
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
	ATF_REQUIRE_EQ(t_create(fa, &ca, "mine", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fb, &cb, "mine", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(fb, &root, "mine", PERSISTENT), EEXIST);
	ATF_REQUIRE_EQ(t_create(fb, &root, "pers", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "pers", SCOPED), EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 2);
	vmmctl_kern_release(fa);
	vmmctl_kern_release(fb);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_eexist_across_jails);
ATF_TC_BODY(create_eexist_across_jails, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kjail *ja, *jb, *jab;
	struct vmmctl_kfile *f;
	struct vmmctl_cred ca, cb, cab, host;

	k = t_setup(&fo);
	ja = t_jail(k, NULL, "a");
	jb = t_jail(k, NULL, "b");
	jab = t_jail(k, ja, "c");
	ca = t_cred(UID_ALICE, ja);
	cb = t_cred(UID_ALICE, jb);
	cab = t_cred(UID_ALICE, jab);
	host = t_cred(UID_ALICE, NULL);
	f = t_open(k, &host);
	/* Made in a, invisible to b and to a's child, but its name is taken. */
	ATF_REQUIRE_EQ(t_create(f, &ca, "global", SCOPED), 0);
	ATF_CHECK_EQ(t_create(f, &cb, "global", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(f, &cab, "global", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(f, &host, "global", SCOPED), EEXIST);
	/* And the other way round: made on the host, taken in the jails. */
	ATF_REQUIRE_EQ(t_create(f, &host, "hosted", SCOPED), 0);
	ATF_CHECK_EQ(t_create(f, &ca, "hosted", SCOPED), EEXIST);
	ATF_CHECK_EQ(t_create(f, &cab, "hosted", SCOPED), EEXIST);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 2);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

/* publish hook: the name is taken while the VM is being created. */
static void
hook_create_same(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	struct vmmctl_kfile *f = fo->hook_arg;
	struct vmmctl_cred c;

	c = t_cred(vmmctl_kvm_uid(vm), NULL);
	ATF_CHECK_EQ(t_create(f, &c, vmmctl_kvm_name(vm), SCOPED), EEXIST);
	ATF_CHECK_EQ(t_destroy(f, &c, vmmctl_kvm_name(vm)), EINVAL);
}

ATF_TC_WITHOUT_HEAD(create_eexist_while_creating);
ATF_TC_BODY(create_eexist_while_creating, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	fo.hook_arg = f;
	fo.publish_hook = hook_create_same;
	ATF_REQUIRE_EQ(t_create(f, &c, "busy", SCOPED), 0);
	fo.publish_hook = NULL;
	ATF_CHECK_EQ(fo.npublish, 1);
	ATF_CHECK(fake_published(&fo, "busy"));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(fo.nunpublish, 1);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_uid_limit);
ATF_TC_BODY(create_uid_limit, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *fa, *fb;
	struct vmmctl_cred ca, cb;

	k = t_setup(&fo);
	vmmctl_kern_set_uid_limit(k, 2);
	fake_priv(&fo, UID_ALICE);	/* so she may create persistent ones */
	ca = t_cred(UID_ALICE, NULL);
	cb = t_cred(UID_BOB, NULL);
	fa = t_open(k, &ca);
	fb = t_open(k, &cb);
	/* Scoped and persistent VMs count alike. */
	ATF_REQUIRE_EQ(t_create(fa, &ca, "a1", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(fa, &ca, "a2", PERSISTENT), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "a3", SCOPED), ENOMEM);
	ATF_CHECK_EQ(t_create(fb, &ca, "a3", PERSISTENT), ENOMEM);
	ATF_CHECK(!fake_published(&fo, "a3"));
	/* Another uid is unaffected. */
	ATF_CHECK_EQ(t_create(fb, &cb, "b1", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fb, &cb, "b2", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fb, &cb, "b3", SCOPED), ENOMEM);
	/* A destroy frees a slot, a release too. */
	ATF_REQUIRE_EQ(t_destroy(fa, &ca, "a2"), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "a3", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "a4", SCOPED), ENOMEM);
	vmmctl_kern_release(fb);
	fb = t_open(k, &cb);
	ATF_CHECK_EQ(t_create(fb, &cb, "b3", SCOPED), 0);
	/* The name check comes first: an existing name is EEXIST. */
	ATF_CHECK_EQ(t_create(fa, &ca, "a1", SCOPED), EEXIST);
	/* 0 lifts the limit. */
	vmmctl_kern_set_uid_limit(k, 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "a4", SCOPED), 0);
	ATF_CHECK_EQ(t_create(fa, &ca, "a5", SCOPED), 0);
	vmmctl_kern_release(fa);
	vmmctl_kern_release(fb);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_no_limit_by_default);
ATF_TC_BODY(create_no_limit_by_default, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	char name[32];
	int i;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		ATF_REQUIRE_EQ_MSG(t_create(f, &c, name, SCOPED), 0, "%s",
		    name);
	}
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 500);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_persistent_unprivileged);
ATF_TC_BODY(create_persistent_unprivileged, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred ca, root;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	ca = t_cred(UID_ALICE, NULL);
	root = t_cred(UID_ROOT, NULL);
	f = t_open(k, &ca);
	ATF_CHECK_EQ(t_create(f, &ca, "p", PERSISTENT), EPERM);
	ATF_CHECK_EQ(fo.npublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	/* Privilege is checked before the name: EPERM even if it exists. */
	ATF_REQUIRE_EQ(t_create(f, &ca, "s", SCOPED), 0);
	ATF_CHECK_EQ(t_create(f, &ca, "s", PERSISTENT), EPERM);
	/* A privileged caller may, through the same file. */
	ATF_CHECK_EQ(t_create(f, &root, "p", PERSISTENT), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 2);
	vmmctl_kern_release(f);
	ATF_CHECK(fake_published(&fo, "p"));
	ATF_CHECK(!fake_published(&fo, "s"));
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_scoped_owned_by_file);
ATF_TC_BODY(create_scoped_owned_by_file, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f1, *f2;
	struct vmmctl_cred c;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f1 = t_open(k, &c);
	f2 = t_open(k, &c);
	/* Owned by the file it was created through, not by the uid. */
	ATF_REQUIRE_EQ(t_create(f1, &c, "one", SCOPED), 0);
	ATF_REQUIRE_EQ(t_create(f2, &c, "two", SCOPED), 0);
	fake_log_clear(&fo);
	vmmctl_kern_release(f1);
	ATF_CHECK_STREQ(fo.log, "-one ");
	ATF_CHECK(fake_published(&fo, "two"));
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_CHECK_EQ(t_create(f2, &c, "one", SCOPED), 0);
	vmmctl_kern_release(f2);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_publish_failure);
ATF_TC_BODY(create_publish_failure, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t allocs;

	k = t_setup(&fo);
	vmmctl_kern_set_uid_limit(k, 1);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	allocs = fo.live_allocs;
	fo.publish_error = EIO;
	fo.publish_fail_name = "pf";
	ATF_CHECK_EQ(t_create(f, &c, "pf", SCOPED), EIO);
	ATF_CHECK_EQ(fo.npublish, 1);
	ATF_CHECK_EQ(fo.nunpublish, 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.live_allocs, allocs);
	ATF_CHECK_EQ(t_destroy(f, &c, "pf"), EINVAL);
	/* The uid's slot was given back (limit 1), and the name freed. */
	fo.publish_error = 0;
	ATF_CHECK_EQ(t_create(f, &c, "other", SCOPED), 0);
	ATF_CHECK_EQ(t_destroy(f, &c, "other"), 0);
	ATF_CHECK_EQ(t_create(f, &c, "pf", SCOPED), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	/* The failed VM was never put on the file: one unpublish only. */
	fake_log_clear(&fo);
	vmmctl_kern_release(f);
	ATF_CHECK_STREQ(fo.log, "-pf ");
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(create_alloc_failure);
ATF_TC_BODY(create_alloc_failure, tc)
{
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	size_t allocs;
	unsigned long n;
	int error, failures;

	k = t_setup(&fo);
	c = t_cred(UID_ALICE, NULL);
	f = t_open(k, &c);
	allocs = fo.live_allocs;
	/* Fail the 1st, 2nd, ... allocation of a create until it succeeds. */
	failures = 0;
	for (n = 1; n < 100; n++) {
		fo.fail_alloc_at = fo.nallocs + n;
		error = t_create(f, &c, "am", SCOPED);
		if (error == 0)
			break;
		failures++;
		ATF_CHECK_EQ_MSG(error, ENOMEM, "allocation %lu", n);
		ATF_CHECK_EQ_MSG(fo.live_allocs, allocs, "allocation %lu", n);
		ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
		ATF_CHECK_EQ(fo.npublish, 0);
	}
	fo.fail_alloc_at = 0;
	/* The VM and the uid's counter: two allocations that can fail. */
	ATF_CHECK_EQ(failures, 2);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_CHECK(fake_published(&fo, "am"));
	/* open fails cleanly too. */
	fo.fail_alloc_at = fo.nallocs + 1;
	ATF_CHECK_EQ(vmmctl_kern_open(k, &c, VMMCTL_KF_WRITE,
	    &(struct vmmctl_kfile *){ NULL }), ENOMEM);
	vmmctl_kern_release(f);
	ATF_CHECK_EQ(fo.live_allocs, allocs - 1);
	t_teardown(&fo, k);
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

ATF_TC_WITHOUT_HEAD(ioctl_unknown_cmd);
ATF_TC_BODY(ioctl_unknown_cmd, tc)
{
	static const unsigned long cmds[] = { 0, 1,
	    _IOWR('V', 2, struct vmmctl_vm_create),
	    _IOWR('W', 0, struct vmmctl_vm_create),
	    _IOR('V', 0, struct vmmctl_vm_create),
	    _IOW('V', 1, struct vmmctl_vm_destroy),
	    _IO('V', 0), 0xffffffffUL };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	struct vmmctl_vm_create req;
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	memset(&req, 0, sizeof(req));
	strcpy(req.name, "cmd");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(f, &c, cmds[i], &req,
		    sizeof(req)), ENOTTY, "cmd %#lx", cmds[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	/* A command word sign-extended through an int is still itself. */
	ATF_CHECK_EQ(vmmctl_kern_ioctl(f, &c,
	    (unsigned long)(long)(int)VMMCTL_VM_CREATE, &req, sizeof(req)), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TC_WITHOUT_HEAD(ioctl_wrong_len);
ATF_TC_BODY(ioctl_wrong_len, tc)
{
	static const size_t lens[] = { 0, 1, 295, 297, 592, 4096 };
	struct fake_os fo;
	struct vmmctl_kern *k;
	struct vmmctl_kfile *f;
	struct vmmctl_cred c;
	char buf[4096];
	size_t i;

	k = t_setup(&fo);
	fake_priv(&fo, UID_ROOT);
	c = t_cred(UID_ROOT, NULL);
	f = t_open(k, &c);
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "len");
	/* The name is free: a create that ignored len would succeed. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(f, &c, VMMCTL_VM_CREATE,
		    buf, lens[i]), EINVAL, "create, len %zu", lens[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	ATF_CHECK_EQ(fo.npublish, 0);
	ATF_REQUIRE_EQ(vmmctl_kern_ioctl(f, &c, VMMCTL_VM_CREATE, buf,
	    sizeof(struct vmmctl_vm_create)), 0);
	/* The VM exists: a destroy that ignored len would succeed. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		ATF_CHECK_EQ_MSG(vmmctl_kern_ioctl(f, &c, VMMCTL_VM_DESTROY,
		    buf, lens[i]), EINVAL, "destroy, len %zu", lens[i]);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 1);
	ATF_CHECK_EQ(fo.nunpublish, 0);
	/* The right length works, from an unaligned buffer too. */
	memmove(buf + 1, buf, sizeof(struct vmmctl_vm_destroy));
	ATF_CHECK_EQ(vmmctl_kern_ioctl(f, &c, VMMCTL_VM_DESTROY, buf + 1,
	    sizeof(struct vmmctl_vm_destroy)), 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(k), 0);
	vmmctl_kern_release(f);
	t_teardown(&fo, k);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, open_requires_write);
	ATF_TP_ADD_TC(tp, create_reserved_nonzero);
	ATF_TP_ADD_TC(tp, create_bad_flags);
	ATF_TP_ADD_TC(tp, create_name_unterminated);
	ATF_TP_ADD_TC(tp, create_name_229);
	ATF_TP_ADD_TC(tp, create_name_empty);
	ATF_TP_ADD_TC(tp, create_name_slash);
	ATF_TP_ADD_TC(tp, create_name_dots);
	ATF_TP_ADD_TC(tp, create_eexist_same_file);
	ATF_TP_ADD_TC(tp, create_eexist_other_file);
	ATF_TP_ADD_TC(tp, create_eexist_across_jails);
	ATF_TP_ADD_TC(tp, create_eexist_while_creating);
	ATF_TP_ADD_TC(tp, create_uid_limit);
	ATF_TP_ADD_TC(tp, create_no_limit_by_default);
	ATF_TP_ADD_TC(tp, create_persistent_unprivileged);
	ATF_TP_ADD_TC(tp, create_scoped_owned_by_file);
	ATF_TP_ADD_TC(tp, create_publish_failure);
	ATF_TP_ADD_TC(tp, create_alloc_failure);
	ATF_TP_ADD_TC(tp, init_alloc_failure);
	ATF_TP_ADD_TC(tp, ioctl_unknown_cmd);
	ATF_TP_ADD_TC(tp, ioctl_wrong_len);
	return (atf_no_error());
}
