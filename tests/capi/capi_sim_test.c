/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libvmmctl against vmmctl-sim: every function and the errors it
 * documents, descriptor scoping, close-on-exec, descriptor passing,
 * jails, limits, refusals for unprivileged callers and concurrent use of
 * one handle.  Each case starts its own simulator under its own root.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "vmmctl.h"
#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"
#include "capi_util.h"

/* ---- create, destroy ------------------------------------------------ */

ATF_TC_WITHOUT_HEAD(create_destroy);
ATF_TC_BODY(create_destroy, tc)
{
	struct testsim ts;
	vmmctl_t *h;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	ATF_CHECK(!listed(h, "guest0"));
	REQUIRE_OK(vmmctl_create(h, "guest0", 0));
	ATF_CHECK(listed(h, "guest0"));
	REQUIRE_ERR(vmmctl_create(h, "guest0", 0), EEXIST);
	REQUIRE_ERR(vmmctl_create(h, "guest0", VMMCTL_CREATE_PERSISTENT),
	    EEXIST);
	REQUIRE_OK(vmmctl_destroy(h, "guest0"));
	ATF_CHECK(!listed(h, "guest0"));
	/* The kernel's EINVAL for a missing VM reads ENOENT here. */
	REQUIRE_ERR(vmmctl_destroy(h, "guest0"), ENOENT);
	REQUIRE_ERR(vmmctl_destroy(h, "never-was"), ENOENT);
	/* The name is free again. */
	REQUIRE_OK(vmmctl_create(h, "guest0", 0));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

ATF_TC_WITHOUT_HEAD(create_flags);
ATF_TC_BODY(create_flags, tc)
{
	struct testsim ts;
	vmmctl_t *h;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	REQUIRE_ERR(vmmctl_create(h, "f", 0x2), EINVAL);
	REQUIRE_ERR(vmmctl_create(h, "f", 0x80000000u), EINVAL);
	REQUIRE_ERR(vmmctl_create(h, "f", ~0u), EINVAL);
	REQUIRE_ERR(vmmctl_create(h, "f", VMMCTL_CREATE_PERSISTENT | 0x4),
	    EINVAL);
	ATF_CHECK(!listed(h, "f"));
	REQUIRE_OK(vmmctl_create(h, "f", VMMCTL_CREATE_PERSISTENT));
	ATF_CHECK(listed(h, "f"));
	REQUIRE_OK(vmmctl_destroy(h, "f"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

ATF_TC_WITHOUT_HEAD(bad_names);
ATF_TC_BODY(bad_names, tc)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "/", "x/" };
	char longname[VMMCTL_NAME_MAX + 2];
	struct testsim ts;
	vmmctl_t *h;
	size_t i;
	int fd = -1;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REQUIRE_ERR(vmmctl_create(h, bad[i], 0), EINVAL);
		REQUIRE_ERR(vmmctl_destroy(h, bad[i]), EINVAL);
		REQUIRE_ERR(vmmctl_vm_open(h, bad[i], &fd), EINVAL);
	}
	REQUIRE_ERR(vmmctl_create(h, NULL, 0), EINVAL);
	REQUIRE_ERR(vmmctl_destroy(h, NULL), EINVAL);
	REQUIRE_ERR(vmmctl_vm_open(h, NULL, &fd), EINVAL);

	memset(longname, 'n', sizeof(longname));
	longname[VMMCTL_NAME_MAX + 1] = '\0';
	REQUIRE_ERR(vmmctl_create(h, longname, 0), ENAMETOOLONG);
	REQUIRE_ERR(vmmctl_destroy(h, longname), ENAMETOOLONG);
	REQUIRE_ERR(vmmctl_vm_open(h, longname, &fd), ENAMETOOLONG);
	ATF_CHECK_EQ(fd, -1);
	/* The longest name is fine, end to end. */
	longname[VMMCTL_NAME_MAX] = '\0';
	REQUIRE_OK(vmmctl_create(h, longname, 0));
	ATF_CHECK(listed(h, longname));
	REQUIRE_OK(vmmctl_destroy(h, longname));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* One global namespace: another descriptor cannot take the name. */
ATF_TC_WITHOUT_HEAD(names_global);
ATF_TC_BODY(names_global, tc)
{
	struct testsim ts;
	vmmctl_t *a, *b;

	sim_start(&ts, NULL);
	a = open_ok(ts.root, 0);
	b = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(a, "shared", 0));
	REQUIRE_ERR(vmmctl_create(b, "shared", 0), EEXIST);
	ATF_CHECK(listed(b, "shared"));
	/* Destroy works whichever descriptor owns the VM. */
	REQUIRE_OK(vmmctl_destroy(b, "shared"));
	ATF_CHECK(!listed(a, "shared"));
	REQUIRE_OK(vmmctl_close(a));
	REQUIRE_OK(vmmctl_close(b));
	sim_stop(&ts);
}

/* ---- scoping -------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(scoping);
ATF_TC_BODY(scoping, tc)
{
	struct testsim ts;
	vmmctl_t *a, *b;

	sim_start(&ts, NULL);
	a = open_ok(ts.root, 0);
	b = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(a, "scoped", 0));
	REQUIRE_OK(vmmctl_create(a, "persistent", VMMCTL_CREATE_PERSISTENT));
	REQUIRE_OK(vmmctl_create(b, "other", 0));
	ATF_CHECK(listed(b, "scoped"));
	REQUIRE_OK(vmmctl_close(a));
	/* The scoped VM went with its descriptor; the others stay. */
	ATF_CHECK(!listed(b, "scoped"));
	ATF_CHECK(listed(b, "persistent"));
	ATF_CHECK(listed(b, "other"));
	REQUIRE_ERR(vmmctl_destroy(b, "scoped"), ENOENT);
	REQUIRE_OK(vmmctl_create(b, "scoped", 0));	/* the name is free */
	REQUIRE_OK(vmmctl_destroy(b, "persistent"));
	REQUIRE_OK(vmmctl_close(b));
	a = open_ok(ts.root, 0);
	ATF_CHECK(!listed(a, "other"));
	ATF_CHECK(!listed(a, "scoped"));
	REQUIRE_OK(vmmctl_close(a));
	sim_stop(&ts);
}

/*
 * vmmctl_close returns only once the release it caused is complete, as
 * the kernel's last close(2): the node is gone when it returns, from this
 * process's own view, with no request in between (1,000 rounds).
 */
ATF_TC(close_is_complete);
ATF_TC_HEAD(close_is_complete, tc)
{

	atf_tc_set_md_var(tc, "descr", "1,000 rounds of open, scoped create, "
	    "close, then access(<root>/vmm/NAME): never a node left");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(close_is_complete, tc)
{
	char path[PATH_MAX];
	struct testsim ts;
	vmmctl_t *h;
	int i, left;

	sim_start(&ts, NULL);
	ATF_REQUIRE(snprintf(path, sizeof(path), "%s/vmm/vm", ts.root) <
	    (int)sizeof(path));
	for (i = left = 0; i < 1000; i++) {
		h = open_ok(ts.root, 0);
		REQUIRE_OK(vmmctl_create(h, "vm", 0));
		REQUIRE_OK(vmmctl_close(h));
		if (access(path, F_OK) == 0)
			left++;
	}
	ATF_CHECK_EQ_MSG(left, 0, "%d of 1000 closes returned before their "
	    "release", left);
	sim_stop(&ts);
}

/* dup(2) shares the open file, hence the ownership. */
ATF_TC_WITHOUT_HEAD(dup_shares_ownership);
ATF_TC_BODY(dup_shares_ownership, tc)
{
	struct testsim ts;
	vmmctl_t *a, *b;
	int fd;

	sim_start(&ts, NULL);
	a = open_ok(ts.root, 0);
	b = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(a, "kept", 0));
	ATF_REQUIRE((fd = dup(vmmctl_fd(a))) != -1);
	REQUIRE_OK(vmmctl_close(a));
	ATF_CHECK(listed(b, "kept"));
	ATF_REQUIRE(close(fd) == 0);
	ATF_CHECK(!listed(b, "kept"));
	REQUIRE_OK(vmmctl_close(b));
	sim_stop(&ts);
}

/* ---- list ----------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(list_erange);
ATF_TC_BODY(list_erange, tc)
{
	struct testsim ts;
	vmmctl_t *h;
	char buf[16];
	size_t len;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	/* Empty: nothing written, *len 0, with or without a buffer. */
	len = 99;
	REQUIRE_OK(vmmctl_list(h, NULL, 0, &len));
	ATF_CHECK_EQ(len, 0);
	len = 99;
	memset(buf, 'z', sizeof(buf));
	REQUIRE_OK(vmmctl_list(h, buf, sizeof(buf), &len));
	ATF_CHECK_EQ(len, 0);
	ATF_CHECK_EQ(buf[0], 'z');

	REQUIRE_OK(vmmctl_create(h, "abc", 0));
	REQUIRE_ERR(vmmctl_list(h, NULL, 0, &len), ERANGE);
	ATF_CHECK_EQ(len, 4);
	len = 0;
	REQUIRE_ERR(vmmctl_list(h, buf, 3, &len), ERANGE);
	ATF_CHECK_EQ(len, 4);
	len = 0;
	REQUIRE_OK(vmmctl_list(h, buf, 4, &len));	/* exactly enough */
	ATF_CHECK_EQ(len, 4);
	ATF_CHECK(memcmp(buf, "abc", 4) == 0);

	REQUIRE_OK(vmmctl_create(h, "de", 0));
	REQUIRE_ERR(vmmctl_list(h, buf, 4, &len), ERANGE);
	ATF_CHECK_EQ(len, 7);
	REQUIRE_OK(vmmctl_list(h, buf, 7, &len));
	ATF_CHECK_EQ(len, 7);
	ATF_CHECK(memcmp(buf, "abc\0de", 7) == 0 ||
	    memcmp(buf, "de\0abc", 7) == 0);

	/* Bad arguments. */
	REQUIRE_ERR(vmmctl_list(h, NULL, 5, &len), EINVAL);
	REQUIRE_ERR(vmmctl_list(h, buf, sizeof(buf), NULL), EINVAL);
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

#define	MANY	300

ATF_TC(list_many);
ATF_TC_HEAD(list_many, tc)
{
	atf_tc_set_md_var(tc, "descr", "ERANGE growth over 300 VMs with names "
	    "of many lengths; the exact size is reported");
}
ATF_TC_BODY(list_many, tc)
{
	struct testsim ts;
	vmmctl_t *h;
	char name[VMMCTL_NAME_MAX + 1], *buf, *p;
	unsigned char seen[MANY];
	size_t len, need, n;
	int i, k;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	need = 0;
	for (i = 0; i < MANY; i++) {
		/* "vm<i>-" padded with 'x' to 1..200 extra bytes. */
		n = (size_t)snprintf(name, sizeof(name), "vm%d-", i);
		memset(name + n, 'x', (size_t)(i % 200));
		name[n + (size_t)(i % 200)] = '\0';
		REQUIRE_OK(vmmctl_create(h, name, 0));
		need += strlen(name) + 1;
	}
	len = 0;
	REQUIRE_ERR(vmmctl_list(h, NULL, 0, &len), ERANGE);
	ATF_CHECK_EQ(len, need);
	ATF_REQUIRE((buf = malloc(need)) != NULL);
	REQUIRE_ERR(vmmctl_list(h, buf, need - 1, &len), ERANGE);
	ATF_CHECK_EQ(len, need);
	free(buf);

	n = list_all(h, &buf, &len);
	ATF_CHECK_EQ(n, MANY);
	ATF_CHECK_EQ(len, need);
	memset(seen, 0, sizeof(seen));
	for (p = buf; p < buf + len; p += strlen(p) + 1) {
		ATF_REQUIRE_MSG(sscanf(p, "vm%d-", &k) == 1 && k >= 0 &&
		    k < MANY, "unexpected name %s", p);
		ATF_CHECK_EQ(strlen(p), strlen("vm-") +
		    (size_t)snprintf(NULL, 0, "%d", k) + (size_t)(k % 200));
		ATF_CHECK_MSG(!seen[k], "%s listed twice", p);
		seen[k] = 1;
	}
	free(buf);
	REQUIRE_OK(vmmctl_close(h));
	h = open_ok(ts.root, 0);
	ATF_CHECK_EQ(list_all(h, &buf, &len), 0);
	free(buf);
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- vm_open -------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(vm_open);
ATF_TC_BODY(vm_open, tc)
{
	struct testsim ts;
	struct stat st;
	vmmctl_t *h;
	int fd = -1;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	REQUIRE_ERR(vmmctl_vm_open(h, "absent", &fd), ENOENT);
	ATF_CHECK_EQ(fd, -1);
	REQUIRE_OK(vmmctl_create(h, "node", 0));
	REQUIRE_OK(vmmctl_vm_open(h, "node", &fd));
	ATF_REQUIRE(fd >= 0);
	ATF_CHECK(fd_cloexec(fd));
	ATF_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	ATF_REQUIRE(fstat(fd, &st) == 0);
	ATF_CHECK_EQ(st.st_uid, geteuid());
	ATF_CHECK(close(fd) == 0);
	REQUIRE_ERR(vmmctl_vm_open(h, "node", NULL), EINVAL);
	REQUIRE_OK(vmmctl_destroy(h, "node"));
	REQUIRE_ERR(vmmctl_vm_open(h, "node", &fd), ENOENT);
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- raw ioctl ------------------------------------------------------ */

static void
vc_init(struct vmmctl_vm_create *vc, const char *name, uint32_t flags)
{

	memset(vc, 0, sizeof(*vc));
	strcpy(vc->name, name);
	vc->flags = flags;
}

ATF_TC_WITHOUT_HEAD(ioctl_raw);
ATF_TC_BODY(ioctl_raw, tc)
{
	struct testsim ts;
	struct vmmctl_vm_create vc;
	struct vmmctl_vm_destroy vd;
	vmmctl_t *h;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	vc_init(&vc, "raw", VMMCTL_CREATE_DESTROY_ON_CLOSE);
	REQUIRE_OK(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc));
	/* IOC_OUT: the argument comes back, unchanged by the kernel. */
	ATF_CHECK_STREQ(vc.name, "raw");
	ATF_CHECK_EQ(vc.flags, VMMCTL_CREATE_DESTROY_ON_CLOSE);
	ATF_CHECK(listed(h, "raw"));
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc), EEXIST);

	/* Kernel errors come back unmapped: EINVAL stays EINVAL. */
	memset(&vd, 0, sizeof(vd));
	strcpy(vd.name, "missing");
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_DESTROY, &vd), EINVAL);
	vc_init(&vc, "r1", 0x2);
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc), EINVAL);
	vc_init(&vc, "r1", VMMCTL_CREATE_DESTROY_ON_CLOSE);
	vc.reserved[14] = 1;
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc), EINVAL);
	/* Not copied back on error. */
	vc_init(&vc, "r1", 0x2);
	vc.name[VM_MAX_NAMELEN] = 'u';
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc), EINVAL);
	ATF_CHECK_EQ(vc.name[VM_MAX_NAMELEN], 'u');
	/*
	 * The raw path is the kernel's: an unterminated name is cut at 229
	 * bytes (create check 1), and comes back cut.
	 */
	vc_init(&vc, "", VMMCTL_CREATE_DESTROY_ON_CLOSE);
	memset(vc.name, 'u', sizeof(vc.name));
	REQUIRE_OK(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc));
	ATF_CHECK_EQ(vc.name[VM_MAX_NAMELEN], '\0');
	ATF_CHECK(listed(h, vc.name));

	memset(&vd, 0, sizeof(vd));
	strcpy(vd.name, "raw");
	REQUIRE_OK(vmmctl_ioctl(h, VMMCTL_VM_DESTROY, &vd));
	ATF_CHECK(!listed(h, "raw"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

ATF_TC_WITHOUT_HEAD(ioctl_unknown);
ATF_TC_BODY(ioctl_unknown, tc)
{
	struct testsim ts;
	struct vmmctl_vm_create vc;
	char big[8000];
	vmmctl_t *h;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "alive", 0));
	vc_init(&vc, "x", VMMCTL_CREATE_DESTROY_ON_CLOSE);
	REQUIRE_ERR(vmmctl_ioctl(h, _IOWR('V', 42, struct vmmctl_vm_create),
	    &vc), ENOTTY);
	REQUIRE_ERR(vmmctl_ioctl(h, _IOWR('W', 0, struct vmmctl_vm_create),
	    &vc), ENOTTY);
	REQUIRE_ERR(vmmctl_ioctl(h, _IO('V', 7), NULL), ENOTTY);
	/* arg NULL with a non-zero size. */
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, NULL), EINVAL);
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_DESTROY, NULL), EINVAL);
	/* Larger than any frame the sim accepts: refused locally. */
	memset(big, 0, sizeof(big));
	REQUIRE_ERR(vmmctl_ioctl(h, _IOWR('V', 0, char[8000]), big), ENOTTY);
#if defined(__LP64__) || defined(_LP64)
	REQUIRE_ERR(vmmctl_ioctl(h,
	    ((unsigned long)1 << 32) | VMMCTL_VM_CREATE, &vc), ENOTTY);
#endif
	/* None of it cost the connection, or the VM it owns. */
	ATF_CHECK(listed(h, "alive"));
	REQUIRE_OK(vmmctl_create(h, "after", 0));
	REQUIRE_OK(vmmctl_destroy(h, "alive"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- close-on-exec -------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(cloexec_default);
ATF_TC_BODY(cloexec_default, tc)
{
	struct testsim ts;
	vmmctl_t *h;
	int fd;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	fd = vmmctl_fd(h);
	ATF_REQUIRE(fd >= 0);
	ATF_CHECK(fd_cloexec(fd));
	ATF_CHECK(!fd_survives_exec(fd));
	/* The check itself works: a plain dup survives. */
	{
		int d = dup(fd);

		ATF_REQUIRE(d != -1);
		ATF_CHECK(fd_survives_exec(d));
		(void)close(d);
	}
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

ATF_TC_WITHOUT_HEAD(cloexec_inherit);
ATF_TC_BODY(cloexec_inherit, tc)
{
	struct testsim ts;
	vmmctl_t *h;
	int fd;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, VMMCTL_OPEN_INHERIT);
	fd = vmmctl_fd(h);
	ATF_CHECK(!fd_cloexec(fd));
	ATF_CHECK(fd_survives_exec(fd));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- vmmctl_from_fd ------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(from_fd_scm_rights);
ATF_TC_BODY(from_fd_scm_rights, tc)
{
	struct testsim ts;
	vmmctl_t *h, *h2, *w;
	int sv[2], fd2;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	w = open_ok(ts.root, 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	send_fd(sv[0], vmmctl_fd(h));
	fd2 = recv_fd(sv[1]);
	ATF_REQUIRE(fd2 >= 0);
	ATF_REQUIRE(!fd_cloexec(fd2));
	REQUIRE_OK(vmmctl_from_fd(fd2, &h2));
	ATF_CHECK_EQ(vmmctl_fd(h2), fd2);
	ATF_CHECK(!fd_cloexec(fd2));	/* left as it was */

	REQUIRE_OK(vmmctl_create(h2, "passed", 0));
	ATF_CHECK(listed(h2, "passed"));
	ATF_CHECK(listed(h, "passed"));
	/* The same open file: the other reference keeps the VM. */
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK(listed(w, "passed"));
	REQUIRE_OK(vmmctl_close(h2));
	ATF_CHECK(!listed(w, "passed"));

	/* A close-on-exec descriptor stays close-on-exec. */
	h = open_ok(ts.root, 0);
	ATF_REQUIRE((fd2 = fcntl(vmmctl_fd(h), F_DUPFD_CLOEXEC, 0)) != -1);
	REQUIRE_OK(vmmctl_from_fd(fd2, &h2));
	ATF_CHECK(fd_cloexec(fd2));
	REQUIRE_OK(vmmctl_create(h2, "dup", 0));
	REQUIRE_OK(vmmctl_close(h2));
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK(!listed(w, "dup"));
	REQUIRE_OK(vmmctl_close(w));
	(void)close(sv[0]);
	(void)close(sv[1]);
	sim_stop(&ts);
}

/*
 * A child receives the descriptor, adopts it, creates a scoped VM and
 * exits without closing: the parent's reference keeps the VM alive.
 */
ATF_TC_WITHOUT_HEAD(from_fd_child);
ATF_TC_BODY(from_fd_child, tc)
{
	struct testsim ts;
	vmmctl_t *h, *w;
	int sv[2], status;
	pid_t pid;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	w = open_ok(ts.root, 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		vmmctl_t *c;
		size_t len;
		char buf[64];
		int fd;

		/* The parent's handles are not ours to use. */
		fd = recv_fd(sv[1]);
		if (vmmctl_from_fd(fd, &c) != 0)
			_exit(1);
		if (vmmctl_create(c, "kid", 0) != 0)
			_exit(2);
		if (vmmctl_list(c, buf, sizeof(buf), &len) != 0 || len < 4)
			_exit(3);
		_exit(0);
	}
	send_fd(sv[0], vmmctl_fd(h));
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d", status);
	ATF_CHECK(listed(w, "kid"));
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK(!listed(w, "kid"));
	REQUIRE_OK(vmmctl_close(w));
	(void)close(sv[0]);
	(void)close(sv[1]);
	sim_stop(&ts);
}

/* The root comes from the peer's address: a jail's descriptor lists its view. */
ATF_TC_WITHOUT_HEAD(from_fd_jail_root);
ATF_TC_BODY(from_fd_jail_root, tc)
{
	static const char *const args[] = { "--jail", "j1", NULL };
	char jroot[128];
	struct testsim ts;
	vmmctl_t *host, *j, *adopted;
	int fd;

	sim_start(&ts, args);
	snprintf(jroot, sizeof(jroot), "%s/jails/j1", ts.root);
	host = open_ok(ts.root, 0);
	j = open_ok(jroot, 0);
	REQUIRE_OK(vmmctl_create(host, "hostvm", 0));
	REQUIRE_OK(vmmctl_create(j, "jailvm", 0));
	ATF_REQUIRE((fd = dup(vmmctl_fd(j))) != -1);
	REQUIRE_OK(vmmctl_from_fd(fd, &adopted));
	ATF_CHECK(listed(adopted, "jailvm"));
	ATF_CHECK(!listed(adopted, "hostvm"));
	REQUIRE_OK(vmmctl_close(adopted));
	ATF_REQUIRE((fd = dup(vmmctl_fd(host))) != -1);
	REQUIRE_OK(vmmctl_from_fd(fd, &adopted));
	ATF_CHECK(listed(adopted, "jailvm"));
	ATF_CHECK(listed(adopted, "hostvm"));
	REQUIRE_OK(vmmctl_close(adopted));
	REQUIRE_OK(vmmctl_close(j));
	REQUIRE_OK(vmmctl_close(host));
	sim_stop(&ts);
}

/* ---- root selection ------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(env_root);
ATF_TC_BODY(env_root, tc)
{
	struct testsim ts;
	vmmctl_t *h, *e;

	sim_start(&ts, NULL);
	ATF_REQUIRE(setenv("VMMCTL_ROOT", ts.root, 1) == 0);
	e = open_ok(NULL, 0);
	REQUIRE_OK(vmmctl_create(e, "viaenv", 0));
	h = open_ok(ts.root, 0);
	ATF_CHECK(listed(h, "viaenv"));
	ATF_CHECK(listed(e, "viaenv"));
	REQUIRE_OK(vmmctl_close(h));
	/* A trailing slash names the same root. */
	{
		char r[128];

		snprintf(r, sizeof(r), "%s/", ts.root);
		h = open_ok(r, 0);
		ATF_CHECK(listed(h, "viaenv"));
		REQUIRE_OK(vmmctl_close(h));
	}
	REQUIRE_OK(vmmctl_close(e));
	ATF_REQUIRE(unsetenv("VMMCTL_ROOT") == 0);
	sim_stop(&ts);
}

/* A relative root keeps naming the same directory after a chdir(2). */
ATF_TC_WITHOUT_HEAD(relative_root);
ATF_TC_BODY(relative_root, tc)
{
	struct testsim ts;
	char cwd[1024];
	vmmctl_t *h;
	int fd;

	sim_start(&ts, NULL);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE(chdir("/tmp") == 0);
	ATF_REQUIRE(strncmp(ts.root, "/tmp/", 5) == 0);
	h = open_ok(ts.root + 5, 0);
	REQUIRE_OK(vmmctl_create(h, "rel", 0));
	ATF_REQUIRE(chdir("/") == 0);
	ATF_CHECK(listed(h, "rel"));
	REQUIRE_OK(vmmctl_vm_open(h, "rel", &fd));
	(void)close(fd);
	REQUIRE_OK(vmmctl_close(h));
	ATF_REQUIRE(chdir(cwd) == 0);
	sim_stop(&ts);
}

/* ---- jails ---------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(jails);
ATF_TC_BODY(jails, tc)
{
	static const char *const args[] = { "--jail", "j1", "--jail", "j2",
	    "--jail", "j1/sub", NULL };
	char r1[128], r2[128], rs[128];
	struct testsim ts;
	vmmctl_t *host, *j1, *j2, *sub;

	sim_start(&ts, args);
	snprintf(r1, sizeof(r1), "%s/jails/j1", ts.root);
	snprintf(r2, sizeof(r2), "%s/jails/j2", ts.root);
	snprintf(rs, sizeof(rs), "%s/jails/j1/sub", ts.root);
	host = open_ok(ts.root, 0);
	j1 = open_ok(r1, 0);
	j2 = open_ok(r2, 0);
	sub = open_ok(rs, 0);
	REQUIRE_OK(vmmctl_create(sub, "deep", 0));
	ATF_CHECK(listed(sub, "deep"));
	ATF_CHECK(listed(j1, "deep"));		/* ancestors see it */
	ATF_CHECK(listed(host, "deep"));
	ATF_CHECK(!listed(j2, "deep"));		/* siblings do not */
	REQUIRE_ERR(vmmctl_destroy(j2, "deep"), ENOENT);
	REQUIRE_ERR(vmmctl_create(j2, "deep", 0), EEXIST);	/* global */
	REQUIRE_OK(vmmctl_create(host, "top", 0));
	ATF_CHECK(!listed(j1, "top"));
	REQUIRE_ERR(vmmctl_destroy(j1, "top"), ENOENT);
	REQUIRE_OK(vmmctl_destroy(j1, "deep"));	/* an ancestor may */
	ATF_CHECK(!listed(host, "deep"));
	REQUIRE_OK(vmmctl_close(sub));
	REQUIRE_OK(vmmctl_close(j2));
	REQUIRE_OK(vmmctl_close(j1));
	REQUIRE_OK(vmmctl_close(host));
	sim_stop(&ts);
}

/* ---- limits --------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(uid_limit);
ATF_TC_BODY(uid_limit, tc)
{
	static const char *const args[] = { "--uid-limit", "2", NULL };
	struct testsim ts;
	vmmctl_t *h;

	sim_start(&ts, args);
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "l1", 0));
	REQUIRE_OK(vmmctl_create(h, "l2", 0));
	REQUIRE_ERR(vmmctl_create(h, "l3", 0), ENOMEM);
	ATF_CHECK(strstr(vmmctl_strerror(ENOMEM), "limit") != NULL);
	REQUIRE_OK(vmmctl_destroy(h, "l1"));
	REQUIRE_OK(vmmctl_create(h, "l3", 0));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- the simulator going away --------------------------------------- */

/*
 * Every request on a handle whose sim died fails with the connection's
 * error: list and vm_open too, not an empty list or stale nodes.
 */
/* The error of a request after the sim went away, in either mode. */
static int
gone_error(int error)
{

	/*
	 * Device mode: the kernel aborted the FUSE connection (ENOTCONN;
	 * ECONNABORTED for a request caught in flight).
	 */
	return (error == EPIPE || error == ECONNRESET || error == EIO ||
	    (capi_fuse && (error == ENOTCONN || error == ECONNABORTED)));
}

static void
check_gone(vmmctl_t *h, const char *name, int open_first)
{
	char buf[256];
	size_t len;
	int error, fd, i;

	for (i = 0; i < 2; i++) {
		if ((i == 0) == (open_first != 0)) {
			fd = -1;
			error = vmmctl_vm_open(h, name, &fd);
			ATF_CHECK_MSG(gone_error(error), "vm_open(%s) after "
			    "the sim died: "
			    "%d (%s)", name, error, vmmctl_strerror(error));
			ATF_CHECK_EQ(fd, -1);
			continue;
		}
		len = 12345;
		error = vmmctl_list(h, buf, sizeof(buf), &len);
		ATF_CHECK_MSG(gone_error(error), "list after the sim died: "
		    "%d (%s), %zu bytes",
		    error, vmmctl_strerror(error), len);
		ATF_CHECK_EQ(len, 12345);
	}
}

ATF_TC_WITHOUT_HEAD(sim_gone);
ATF_TC_BODY(sim_gone, tc)
{
	struct testsim ts;
	char root[sizeof(ts.root)];
	vmmctl_t *h;
	int error, i;

	sim_start(&ts, NULL);
	memcpy(root, ts.root, sizeof(root));
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "orphan", 0));
	/* The sim removes <root>/vmm, the test the root: nothing to list. */
	sim_stop(&ts);
	/* Default SIGPIPE disposition: a SIGPIPE would kill this test. */
	ATF_REQUIRE(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	for (i = 0; i < 3; i++) {
		error = vmmctl_create(h, "late", 0);
		ATF_CHECK_MSG(gone_error(error), "create after the sim died: "
		    "%d (%s)", error, vmmctl_strerror(error));
		error = vmmctl_destroy(h, "orphan");
		ATF_CHECK_MSG(gone_error(error), "destroy after the sim died: "
		    "%d (%s)", error, vmmctl_strerror(error));
		check_gone(h, "orphan", i % 2);
	}
	/* close(2) of a file whose FUSE server is gone may say EIO. */
	error = vmmctl_close(h);
	ATF_CHECK_MSG(error == 0 || (ts.fuse && error == EIO),
	    "close after the sim died: %d", error);
	/* And no simulator at all now. */
	error = vmmctl_open(root, 0, &h);
	ATF_CHECK_MSG(error == ENOENT || error == ECONNREFUSED,
	    "open without a sim: %d", error);
}

/*
 * kill -9: the sim leaves its socket and nodes behind.  The handle sees
 * them no more: list and vm_open fail, whoever's request comes first
 * (each round uses a fresh handle, opened before the kill).
 */
ATF_TC_WITHOUT_HEAD(sim_killed);
ATF_TC_BODY(sim_killed, tc)
{
	char path[128];
	struct testsim ts;
	vmmctl_t *h, *h2;
	int fd, i;

	ATF_REQUIRE(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	for (i = 0; i < 20; i++) {
		sim_start(&ts, NULL);
		h = open_ok(ts.root, 0);
		h2 = open_ok(ts.root, 0);
		REQUIRE_OK(vmmctl_create(h, "stale", VMMCTL_CREATE_PERSISTENT));
		REQUIRE_OK(vmmctl_vm_open(h2, "stale", &fd));
		(void)close(fd);
		sim_kill(&ts);
		ATF_REQUIRE(testsim_path(&ts, "vmm/stale", path,
		    sizeof(path)) == 0);
		/* Device mode: the nodes went with the mount. */
		ATF_REQUIRE_MSG(ts.fuse || access(path, F_OK) == 0,
		    "%s: the node of the dead sim is gone", path);
		check_gone(h, "stale", 0);
		check_gone(h2, "stale", 1);
		REQUIRE_OK(vmmctl_close(h));
		REQUIRE_OK(vmmctl_close(h2));
		sim_stop(&ts);
	}
}

/* ---- unprivileged callers (root only: setuid to 65534) -------------- */

struct unpriv {
	const char	*what;
};

static int
unpriv_body(void *arg)
{
	struct unpriv *u = arg;
	vmmctl_t *h;
	int fd;

	/* We are inside the sim's root: "." is it. */
	if (strcmp(u->what, "eacces") == 0) {
		int e = vmmctl_open(".", 0, &h);

		return (e == EACCES || e == EPERM ? 0 : 10 + (e & 0x3f));
	}
	if (vmmctl_open(".", 0, &h) != 0)
		return (2);
	if (vmmctl_create(h, "np-persist", VMMCTL_CREATE_PERSISTENT) != EPERM)
		return (3);
	if (vmmctl_create(h, "np-scoped", 0) != 0)
		return (4);
	if (vmmctl_destroy(h, "rootvm") != EPERM)
		return (5);
	if (vmmctl_vm_open(h, "rootvm", &fd) != EACCES)
		return (6);
	if (vmmctl_vm_open(h, "np-scoped", &fd) != 0)
		return (7);
	(void)close(fd);
	if (vmmctl_destroy(h, "np-scoped") != 0)
		return (8);
	if (vmmctl_create(h, "np-left", 0) != 0)
		return (9);
	/* Exit without closing: np-left goes with the process. */
	return (0);
}

ATF_TC_WITHOUT_HEAD(unprivileged);
ATF_TC_BODY(unprivileged, tc)
{
	char path[128];
	struct testsim ts;
	struct unpriv u;
	vmmctl_t *h;
	int st;

	if (!is_root())
		atf_tc_skip("needs root to setuid(65534) and test refusals");
	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "rootvm", VMMCTL_CREATE_PERSISTENT));
	/* Let uid 65534 reach the socket and the entries. */
	ATF_REQUIRE(chmod(ts.root, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vmm", ts.root);
	ATF_REQUIRE(chmod(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/vmmctl", ts.root);
	ATF_REQUIRE(chmod(path, 0666) == 0);
	u.what = "refusals";
	st = run_unprivileged(ts.root, unpriv_body, &u);
	ATF_CHECK_MSG(st == 0, "unprivileged child failed at step %d", st);
	ATF_CHECK(!listed(h, "np-left"));
	ATF_CHECK(!listed(h, "np-persist"));
	ATF_CHECK(listed(h, "rootvm"));

	/* No write access to the control socket. */
	ATF_REQUIRE(chmod(path, 0600) == 0);
	u.what = "eacces";
	st = run_unprivileged(ts.root, unpriv_body, &u);
	ATF_CHECK_MSG(st == 0, "open without write access: status %d", st);
	REQUIRE_OK(vmmctl_destroy(h, "rootvm"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* ---- who serves the socket (root only: other uids listen) ----------- */

#define	IMPOSTOR_UID	65534
#define	IMPOSTOR_ROUNDS	3

/*
 * Uid 65534 listens on <dir>/vmmctl and answers every request with
 * success, as a sim would; exits with the number of connections that sent
 * it anything (0: the library refused before its first byte).
 */
static void
impostor_serve(const char *dir, int ready)
{
	struct vmmctl_sim_hdr hdr;
	struct sockaddr_un sun;
	int cfd, chan, got, i, lfd;

	/* Not for ever should the test die before its last connection. */
	(void)alarm(60);
	if (setgroups(0, NULL) == -1 || setgid(IMPOSTOR_UID) == -1 ||
	    setuid(IMPOSTOR_UID) == -1)
		_exit(100);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	if ((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, IMPOSTOR_ROUNDS) == -1)
		_exit(101);
	if (write(ready, "r", 1) != 1)
		_exit(102);
	(void)close(ready);
	for (got = 0, i = 0; i < IMPOSTOR_ROUNDS; i++) {
		if ((cfd = accept(lfd, NULL, NULL)) == -1)
			_exit(103);
		while (fake_recv(cfd, &hdr, &chan) == 0) {
			got += hdr.magic == VMMCTL_SIM_MAGIC;
			hdr.type = VMMCTL_SIM_T_REPLY;
			hdr.error = 0;
			hdr.len = 0;
			(void)send(chan, &hdr, sizeof(hdr), 0);
			(void)close(chan);
		}
		(void)close(cfd);
	}
	(void)unlink(sun.sun_path);
	_exit(got);
}

/*
 * A shared, sticky, world-writable directory (a /tmp): uid 65534 binds
 * <dir>/vmmctl first.  Root's library refuses it, ECANCELED, and sends
 * it nothing; a sim of root's own is trusted as before.
 */
ATF_TC_WITHOUT_HEAD(peer_impostor);
ATF_TC_BODY(peer_impostor, tc)
{
	char dir[64], c;
	struct testsim ts;
	vmmctl_t *h;
	pid_t pid;
	int e, i, p[2], status;

	if (capi_fuse)
		atf_tc_skip("the socket transport's check: capi_sim_test");
	if (!is_root())
		atf_tc_skip("needs root: the listener is another uid");
	tmpdir_make(dir, sizeof(dir));
	ATF_REQUIRE(chmod(dir, 01777) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(p[0]);
		impostor_serve(dir, p[1]);
	}
	(void)close(p[1]);
	ATF_REQUIRE_MSG(read(p[0], &c, 1) == 1, "the impostor did not start");
	(void)close(p[0]);
	for (i = 0; i < IMPOSTOR_ROUNDS; i++) {
		h = NULL;
		e = vmmctl_open(dir, 0, &h);
		ATF_CHECK_MSG(e == ECANCELED, "open: %d (%s)", e,
		    vmmctl_strerror(e));
		if (e == 0)
			(void)vmmctl_close(h);	/* the impostor goes on */
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) < 100,
	    "impostor status %#x", status);
	ATF_CHECK_MSG(WEXITSTATUS(status) == 0,
	    "the library sent requests to the impostor on %d connections",
	    WEXITSTATUS(status));
	ATF_CHECK(strstr(vmmctl_strerror(ECANCELED),
	    "neither root nor the owner of its directory") != NULL);

	/* Root's own sim, in a directory root owns: trusted. */
	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "rootsim", 0));
	ATF_CHECK(listed(h, "rootsim"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/*
 * A sim run by an ordinary user under a root that user owns: trusted by
 * root's library.  The same sim in a directory that someone else owns
 * (chown'd under it) is refused; trusted again once the owner is back.
 */
ATF_TC_WITHOUT_HEAD(peer_user_sim);
ATF_TC_BODY(peer_user_sim, tc)
{
	struct testsim ts;
	vmmctl_t *h;

	if (capi_fuse)
		atf_tc_skip("the socket transport's check: capi_sim_test");
	if (!is_root())
		atf_tc_skip("needs root to run a sim as uid 65534");
	sim_start_as(&ts, IMPOSTOR_UID);
	h = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(h, "usersim", 0));
	ATF_CHECK(listed(h, "usersim"));
	REQUIRE_OK(vmmctl_close(h));

	ATF_REQUIRE(chown(ts.root, IMPOSTOR_UID - 1, IMPOSTOR_UID - 1) == 0);
	h = NULL;
	REQUIRE_ERR(vmmctl_open(ts.root, 0, &h), ECANCELED);
	ATF_CHECK(h == NULL);
	ATF_REQUIRE(chown(ts.root, 0, 0) == 0);
	REQUIRE_ERR(vmmctl_open(ts.root, 0, &h), ECANCELED);

	ATF_REQUIRE(chown(ts.root, IMPOSTOR_UID, IMPOSTOR_UID) == 0);
	h = open_ok(ts.root, 0);
	ATF_CHECK(!listed(h, "usersim"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/*
 * The VMMCTL_FD pattern: an inheritable descriptor crosses exec(2), the new
 * program adopts it and creates a scoped VM; that VM belongs to the shared
 * open file and lives until the last holder closes it.
 */
ATF_TC_WITHOUT_HEAD(exec_inherit_adopt);
ATF_TC_BODY(exec_inherit_adopt, tc)
{
	struct testsim ts;
	vmmctl_t *h, *w;

	sim_start(&ts, NULL);
	w = open_ok(ts.root, 0);
	h = open_ok(ts.root, VMMCTL_OPEN_INHERIT);
	ATF_CHECK_EQ(exec_adopt_create(vmmctl_fd(h), "execvm"), 0);
	ATF_CHECK(listed(w, "execvm"));
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK(!listed(w, "execvm"));
	/* Without INHERIT the new program has nothing to adopt. */
	h = open_ok(ts.root, 0);
	ATF_CHECK_EQ(exec_adopt_create(vmmctl_fd(h), "never"), 1);
	ATF_CHECK(!listed(w, "never"));
	REQUIRE_OK(vmmctl_close(h));
	REQUIRE_OK(vmmctl_close(w));
	sim_stop(&ts);
}

/* ---- interrupted system calls --------------------------------------- */

static volatile sig_atomic_t eintr_hits;
static volatile int eintr_done;

static void
eintr_handler(int sig)
{

	(void)sig;
	eintr_hits++;
}

static void *
eintr_pest(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	struct timespec us = { 0, 50000 };

	while (!__atomic_load_n(&eintr_done, __ATOMIC_SEQ_CST)) {
		(void)pthread_kill(target, SIGUSR1);
		(void)nanosleep(&us, NULL);
	}
	return (NULL);
}

ATF_TC(eintr);
ATF_TC_HEAD(eintr, tc)
{
	atf_tc_set_md_var(tc, "descr", "Requests interrupted by signals "
	    "(handler without SA_RESTART) are resumed: every result is right");
}
ATF_TC_BODY(eintr, tc)
{
	struct sigaction sa;
	struct testsim ts;
	pthread_t self, pest;
	vmmctl_t *h;
	char name[32];
	int i;

	sim_start(&ts, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = eintr_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: calls fail with EINTR */
	ATF_REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	self = pthread_self();
	ATF_REQUIRE(pthread_create(&pest, NULL, eintr_pest, &self) == 0);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "intr%d", i);
		h = open_ok(ts.root, 0);
		REQUIRE_OK(vmmctl_create(h, name, 0));
		ATF_REQUIRE(listed(h, name));
		REQUIRE_ERR(vmmctl_create(h, name, 0), EEXIST);
		REQUIRE_OK(vmmctl_destroy(h, name));
		REQUIRE_ERR(vmmctl_destroy(h, name), ENOENT);
		REQUIRE_OK(vmmctl_close(h));
	}
	__atomic_store_n(&eintr_done, 1, __ATOMIC_SEQ_CST);
	ATF_REQUIRE(pthread_join(pest, NULL) == 0);
	printf("%d signals delivered\n", (int)eintr_hits);
	sim_stop(&ts);
}

/* ---- threads -------------------------------------------------------- */

#define	NTHREADS	8
#define	ROUNDS		40

struct worker {
	vmmctl_t	*h;
	int		id;
	int		failures;
	char		why[128];
};

static void
worker_fail(struct worker *w, const char *what, int error)
{

	if (w->failures++ == 0)
		snprintf(w->why, sizeof(w->why), "%s: %d (%s)", what, error,
		    vmmctl_strerror(error));
}

static int
in_list(const char *buf, size_t len, const char *name)
{
	const char *p;

	for (p = buf; p < buf + len; p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			return (1);
	return (0);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32], *buf;
	size_t size = 4096, len;
	int error, r;

	if ((buf = malloc(size)) == NULL) {
		worker_fail(w, "malloc", ENOMEM);
		return (NULL);
	}
	for (r = 0; r < ROUNDS; r++) {
		snprintf(name, sizeof(name), "t%d-r%d", w->id, r);
		if ((error = vmmctl_create(w->h, name, 0)) != 0)
			worker_fail(w, "create", error);
		if ((error = vmmctl_create(w->h, name, 0)) != EEXIST)
			worker_fail(w, "create again (want EEXIST)", error);
		while ((error = vmmctl_list(w->h, buf, size, &len)) == ERANGE) {
			free(buf);
			size = len * 2;
			if ((buf = malloc(size)) == NULL) {
				worker_fail(w, "malloc", ENOMEM);
				return (NULL);
			}
		}
		if (error != 0)
			worker_fail(w, "list", error);
		else if (!in_list(buf, len, name))
			worker_fail(w, "list misses own VM", 0);
		if ((error = vmmctl_destroy(w->h, name)) != 0)
			worker_fail(w, "destroy", error);
		if ((error = vmmctl_destroy(w->h, name)) != ENOENT)
			worker_fail(w, "destroy again (want ENOENT)", error);
		/* Keep one per round alive to make the list grow. */
		snprintf(name, sizeof(name), "keep-t%d-r%d", w->id, r);
		if ((error = vmmctl_create(w->h, name, 0)) != 0)
			worker_fail(w, "create keep", error);
	}
	free(buf);
	return (NULL);
}

ATF_TC(threads);
ATF_TC_HEAD(threads, tc)
{
	atf_tc_set_md_var(tc, "descr", "8 threads create, list and destroy "
	    "distinct VMs through one handle; every result is right");
}
ATF_TC_BODY(threads, tc)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct testsim ts;
	vmmctl_t *h;
	char *buf;
	size_t len;
	int i;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].h = h;
		w[i].id = i;
		ATF_REQUIRE(pthread_create(&t[i], NULL, worker_main, &w[i]) ==
		    0);
	}
	for (i = 0; i < NTHREADS; i++)
		ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
	for (i = 0; i < NTHREADS; i++)
		ATF_CHECK_MSG(w[i].failures == 0, "thread %d: %d failures, "
		    "first: %s", i, w[i].failures, w[i].why);
	ATF_CHECK_EQ(list_all(h, &buf, &len), NTHREADS * ROUNDS);
	free(buf);
	REQUIRE_OK(vmmctl_close(h));
	h = open_ok(ts.root, 0);
	ATF_CHECK_EQ(list_all(h, &buf, &len), 0);
	free(buf);
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

#define	CLOSE_ROUNDS	1000

/*
 * Close: once the last close() returns, every VM of the file and its node
 * are gone (vmmctl_close waits for the sim's release, as the kernel's
 * close does it inline).  The same name every round: a late release would
 * also make the next create EEXIST.
 */
ATF_TC(close_complete);
ATF_TC_HEAD(close_complete, tc)
{

	atf_tc_set_md_var(tc, "descr", "1,000 rounds of open, scoped create, "
	    "close, access(<root>/vmm/NAME): no node is left");
}
ATF_TC_BODY(close_complete, tc)
{
	char path[128];
	struct testsim ts;
	vmmctl_t *h;
	int bad, i, left;

	sim_start(&ts, NULL);
	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "%s/vmm/round",
	    ts.root) < sizeof(path));
	bad = left = 0;
	for (i = 0; i < CLOSE_ROUNDS; i++) {
		h = open_ok(ts.root, 0);
		bad += vmmctl_create(h, "round", 0) != 0;
		REQUIRE_OK(vmmctl_close(h));
		left += access(path, F_OK) == 0;
	}
	ATF_CHECK_EQ_MSG(left, 0, "%d of %d nodes outlived their close", left,
	    CLOSE_ROUNDS);
	ATF_CHECK_EQ_MSG(bad, 0, "%d creates failed", bad);
	sim_stop(&ts);
}

/*
 * Create 2 on a generation-1 kernel (FreeBSD 15.0): flags is reserved[0],
 * so the kernel answers a scoped create EINVAL; the library tells that
 * apart from a bad request and says EOPNOTSUPP.  Persistent VMs work and
 * survive the close; the raw path is not mapped; a real EINVAL stays one.
 */
ATF_TC_WITHOUT_HEAD(generation1_scoped_unsupported);
ATF_TC_BODY(generation1_scoped_unsupported, tc)
{
	static const char *const extra[] = { "--generation", "1", NULL };
	struct vmmctl_vm_create vc;
	struct testsim ts;
	vmmctl_t *h;

	sim_start(&ts, extra);
	h = open_ok(ts.root, 0);
	REQUIRE_ERR(vmmctl_create(h, "g1-scoped", 0), EOPNOTSUPP);
	ATF_CHECK(!listed(h, "g1-scoped"));
	REQUIRE_ERR(vmmctl_create(h, "g1 bad", 0), EINVAL);
	REQUIRE_ERR(vmmctl_create(h, "g1/bad", 0), EINVAL);
	vc_init(&vc, "g1-raw", VMMCTL_CREATE_DESTROY_ON_CLOSE);
	REQUIRE_ERR(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc), EINVAL);
	REQUIRE_OK(vmmctl_create(h, "g1-persist", VMMCTL_CREATE_PERSISTENT));
	REQUIRE_ERR(vmmctl_create(h, "g1-persist", 0), EOPNOTSUPP);
	REQUIRE_OK(vmmctl_close(h));
	h = open_ok(ts.root, 0);
	ATF_CHECK(listed(h, "g1-persist"));
	REQUIRE_OK(vmmctl_destroy(h, "g1-persist"));
	REQUIRE_OK(vmmctl_close(h));
	sim_stop(&ts);
}

/* The same scoped create on generations 2 and 3 is no EOPNOTSUPP. */
ATF_TC_WITHOUT_HEAD(generation2_3_scoped);
ATF_TC_BODY(generation2_3_scoped, tc)
{
	static const char *const g2[] = { "--generation", "2", NULL };
	static const char *const g3[] = { "--generation", "3", NULL };
	const char *const *gens[2] = { g2, g3 };
	struct testsim ts;
	vmmctl_t *h;
	int i;

	for (i = 0; i < 2; i++) {
		sim_start(&ts, gens[i]);
		h = open_ok(ts.root, 0);
		REQUIRE_OK(vmmctl_create(h, "scoped", 0));
		ATF_CHECK(listed(h, "scoped"));
		REQUIRE_ERR(vmmctl_create(h, "scoped", 0), EEXIST);
		REQUIRE_OK(vmmctl_close(h));
		sim_stop(&ts);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, create_destroy);
	ATF_TP_ADD_TC(tp, create_flags);
	ATF_TP_ADD_TC(tp, bad_names);
	ATF_TP_ADD_TC(tp, names_global);
	ATF_TP_ADD_TC(tp, scoping);
	ATF_TP_ADD_TC(tp, close_is_complete);
	ATF_TP_ADD_TC(tp, dup_shares_ownership);
	ATF_TP_ADD_TC(tp, list_erange);
	ATF_TP_ADD_TC(tp, list_many);
	ATF_TP_ADD_TC(tp, vm_open);
	ATF_TP_ADD_TC(tp, ioctl_raw);
	ATF_TP_ADD_TC(tp, ioctl_unknown);
	ATF_TP_ADD_TC(tp, cloexec_default);
	ATF_TP_ADD_TC(tp, cloexec_inherit);
	ATF_TP_ADD_TC(tp, from_fd_scm_rights);
	ATF_TP_ADD_TC(tp, from_fd_child);
	ATF_TP_ADD_TC(tp, from_fd_jail_root);
	ATF_TP_ADD_TC(tp, env_root);
	ATF_TP_ADD_TC(tp, relative_root);
	ATF_TP_ADD_TC(tp, jails);
	ATF_TP_ADD_TC(tp, uid_limit);
	ATF_TP_ADD_TC(tp, sim_gone);
	ATF_TP_ADD_TC(tp, sim_killed);
	ATF_TP_ADD_TC(tp, unprivileged);
	ATF_TP_ADD_TC(tp, peer_impostor);
	ATF_TP_ADD_TC(tp, peer_user_sim);
	ATF_TP_ADD_TC(tp, exec_inherit_adopt);
	ATF_TP_ADD_TC(tp, eintr);
	ATF_TP_ADD_TC(tp, threads);
	ATF_TP_ADD_TC(tp, close_complete);
	ATF_TP_ADD_TC(tp, generation1_scoped_unsupported);
	ATF_TP_ADD_TC(tp, generation2_3_scoped);
	return (atf_no_error());
}
