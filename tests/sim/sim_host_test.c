/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator as a library (sys/sim/vmmctl_sim.h), in this process:
 * several simulators at once, start/stop/start without leaks (descriptors
 * here; memory under "make SANITIZE=1 test"), failed starts that return
 * the errno and leave nothing behind, and the API's state rules.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "simclient.h"
#include "testsim.h"
#include "vmmctl_dev.h"
#include "vmmctl_sim.h"

#define	SCOPED		VMMCTL_CREATE_DESTROY_ON_CLOSE

/* A fresh directory under $TMPDIR (Kyua's work directory), short. */
static void
tmpdir(char *buf, size_t size)
{
	const char *tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	ATF_REQUIRE(snprintf(buf, size, "%s/h.XXXXXX", tmp) < (int)size);
	ATF_REQUIRE(mkdtemp(buf) != NULL);
}

/* Open descriptors of this process. */
static int
fd_count(void)
{
	int fd, n;

	n = 0;
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return (n);
}

/*
 * The count once it settles at want (a simulator thread closes a reply
 * channel just after its client has read the reply), or after 2 s.
 */
static int
fd_count_settled(int want)
{
	struct timespec ms = { 0, 1000000 };
	int i, n;

	for (i = 0; (n = fd_count()) != want && i < 2000; i++)
		(void)nanosleep(&ms, NULL);
	return (n);
}

static int
exists(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	ATF_REQUIRE(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
	    (int)sizeof(path));
	return (access(path, F_OK) == 0);
}

/* A started simulator under root, with jail j1. */
static struct vmmctl_sim *
started(const char *root)
{
	struct vmmctl_sim *sim;
	int error;

	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
	ATF_REQUIRE_EQ(vmmctl_sim_jail(sim, "j1"), 0);
	error = vmmctl_sim_start(sim);
	ATF_REQUIRE_MSG(error == 0, "start %s: %s", root,
	    vmmctl_sim_error(sim));
	return (sim);
}

ATF_TC_WITHOUT_HEAD(two_at_once);
ATF_TC_BODY(two_at_once, tc)
{
	char a[PATH_MAX], b[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
	struct vmmctl_sim *sa, *sb;
	int fa, fb, fj;

	tmpdir(a, sizeof(a));
	tmpdir(b, sizeof(b));
	ATF_REQUIRE(snprintf(ra, sizeof(ra), "%s/r", a) < (int)sizeof(ra));
	ATF_REQUIRE(snprintf(rb, sizeof(rb), "%s/r", b) < (int)sizeof(rb));
	sa = started(ra);
	sb = started(rb);
	ATF_REQUIRE_STREQ(vmmctl_sim_root(sa), ra);
	/* Both serve at once, each its own registry. */
	ATF_REQUIRE_EQ(simclient_open(ra, &fa), 0);
	ATF_REQUIRE_EQ(simclient_open(rb, &fb), 0);
	ATF_CHECK_EQ(simclient_create(fa, "vm0", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(fb, "vm0", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(fa, "vm0", SCOPED), EEXIST);
	ATF_CHECK(exists(ra, "vmm/vm0"));
	ATF_CHECK(exists(rb, "vmm/vm0"));
	/* A jail's endpoint of one, seen by that one only. */
	ATF_REQUIRE(snprintf(a, sizeof(a), "%s/jails/j1", ra) <
	    (int)sizeof(a));
	ATF_REQUIRE_EQ(simclient_open(a, &fj), 0);
	ATF_CHECK_EQ(simclient_create(fj, "jvm", SCOPED), 0);
	ATF_CHECK(exists(ra, "vmm/jvm"));
	ATF_CHECK(!exists(rb, "vmm/jvm"));
	/* Closing one client releases its VMs in its simulator only. */
	ATF_REQUIRE_EQ(close(fa), 0);
	ATF_CHECK_EQ(simclient_create(fb, "vm1", SCOPED), 0);
	ATF_CHECK(exists(rb, "vmm/vm0"));
	vmmctl_sim_free(sa);
	/* The other still serves; the first root is gone entirely. */
	ATF_CHECK(access(ra, F_OK) != 0);
	ATF_CHECK_EQ(simclient_create(fb, "vm2", SCOPED), 0);
	ATF_CHECK(exists(rb, "vmm/vm2"));
	(void)close(fj);
	(void)close(fb);
	vmmctl_sim_free(sb);
	ATF_CHECK(access(rb, F_OK) != 0);
}

ATF_TC_WITHOUT_HEAD(restart_leaks_nothing);
ATF_TC_BODY(restart_leaks_nothing, tc)
{
	char d[PATH_MAX], root[PATH_MAX];
	struct vmmctl_sim *sim;
	int before, fd, i;

	tmpdir(d, sizeof(d));
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
	    (int)sizeof(root));
	before = fd_count();
	for (i = 0; i < 50; i++) {
		sim = started(root);
		ATF_REQUIRE_EQ(simclient_open(root, &fd), 0);
		/* A client still connected at stop: its VM dies too. */
		ATF_REQUIRE_EQ(simclient_create(fd, "vm", SCOPED), 0);
		ATF_REQUIRE_EQ(simclient_create(fd, "p", 0), 0);
		vmmctl_sim_free(sim);
		ATF_REQUIRE_EQ(simclient_wait_eof(fd), 1);
		(void)close(fd);
		ATF_REQUIRE_MSG(access(root, F_OK) != 0, "round %d: %s left",
		    i, root);
	}
	ATF_CHECK_EQ_MSG(fd_count_settled(before), before, "descriptors "
	    "leaked: %d -> %d", before, fd_count());
}

/* vmmctl_sim_run in a thread of the caller's, stopped from another. */
static void *
runner(void *arg)
{
	static int error;

	error = vmmctl_sim_run(arg);
	return (&error);
}

ATF_TC_WITHOUT_HEAD(run_and_stop);
ATF_TC_BODY(run_and_stop, tc)
{
	char d[PATH_MAX], root[PATH_MAX];
	struct vmmctl_sim *sim;
	pthread_t t;
	void *ret;
	int fd;

	tmpdir(d, sizeof(d));
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
	    (int)sizeof(root));
	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
	ATF_REQUIRE_EQ(vmmctl_sim_listen(sim), 0);
	/* Ready: the endpoint accepts before anyone serves. */
	ATF_REQUIRE_EQ(simclient_connect(root, &fd), 0);
	ATF_REQUIRE_EQ(vmmctl_sim_set_uid_limit(sim, 1), EBUSY);
	ATF_REQUIRE_EQ(vmmctl_sim_jail(sim, "late"), EBUSY);
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, runner, sim), 0);
	(void)close(fd);
	ATF_REQUIRE_EQ(simclient_open(root, &fd), 0);
	ATF_CHECK_EQ(simclient_create(fd, "vm", SCOPED), 0);
	vmmctl_sim_stop(sim);
	vmmctl_sim_stop(sim);
	ATF_REQUIRE_EQ(pthread_join(t, &ret), 0);
	ATF_CHECK_EQ(*(int *)ret, 0);
	/* Stopped, not yet freed: the VM and its node are still there. */
	ATF_CHECK(exists(root, "vmm/vm"));
	vmmctl_sim_free(sim);
	ATF_CHECK(!exists(root, "vmm/vm"));
	(void)close(fd);
	vmmctl_sim_free(NULL);
}

/* A failed listen: the errno, a message, nothing left, nothing leaked. */
static void
check_failed(struct vmmctl_sim *sim, int want, int fds_before)
{
	int error;

	error = vmmctl_sim_listen(sim);
	ATF_CHECK_EQ_MSG(error, want, "listen: %d (%s), want %d", error,
	    vmmctl_sim_error(sim), want);
	ATF_CHECK(vmmctl_sim_error(sim)[0] != '\0');
	/* A failed simulator cannot be started again; only freed. */
	ATF_CHECK(vmmctl_sim_start(sim) != 0);
	vmmctl_sim_free(sim);
	ATF_CHECK_EQ(fd_count_settled(fds_before), fds_before);
}

ATF_TC_WITHOUT_HEAD(fail_root_too_long);
ATF_TC_BODY(fail_root_too_long, tc)
{
	char d[PATH_MAX], root[PATH_MAX];
	struct vmmctl_sim *sim;
	int before;

	tmpdir(d, sizeof(d));
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/%0120d", d, 0) <
	    (int)sizeof(root));
	before = fd_count();
	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
	check_failed(sim, ENAMETOOLONG, before);
	ATF_CHECK(access(root, F_OK) != 0);
	/* A jail's endpoint counts too; the root is not made either. */
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
	    (int)sizeof(root));
	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
	ATF_REQUIRE_EQ(vmmctl_sim_jail(sim, "j0123456789012345678901234567"
	    "890123456789012345678901234567890123456789012345678901234567"
	    "8901234567890123456789"), 0);
	check_failed(sim, ENAMETOOLONG, before);
	ATF_CHECK(access(root, F_OK) != 0);
	ATF_REQUIRE_EQ(vmmctl_sim_new("", &sim), EINVAL);
	ATF_REQUIRE(sim == NULL);
	/* Jail names: no empty component, none named vmm or vmmctl. */
	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, "a//b"), EINVAL);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, "/a"), EINVAL);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, "a/"), EINVAL);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, ""), EINVAL);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, "a/vmm"), EINVAL);
	ATF_CHECK_EQ(vmmctl_sim_jail(sim, "a/b"), 0);
	vmmctl_sim_free(sim);
}

ATF_TC_WITHOUT_HEAD(fail_root_not_writable);
ATF_TC_BODY(fail_root_not_writable, tc)
{
	char d[PATH_MAX], root[PATH_MAX];
	struct vmmctl_sim *sim;
	int before, status;
	pid_t pid;

	if (geteuid() != 0) {
		tmpdir(d, sizeof(d));
		ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
		    (int)sizeof(root));
		ATF_REQUIRE_EQ(mkdir(root, 0555), 0);
		ATF_REQUIRE_EQ(chmod(root, 0555), 0);
		before = fd_count();
		ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
		check_failed(sim, EACCES, before);
	} else {
		/*
		 * Root writes anywhere: the child becomes uid 65534, whose
		 * own 0555 root it cannot write (under /tmp: the case's
		 * work directory is not searchable by it).
		 */
		ATF_REQUIRE(snprintf(d, sizeof(d), "/tmp/h.XXXXXX") > 0);
		ATF_REQUIRE(mkdtemp(d) != NULL);
		ATF_REQUIRE(chmod(d, 0755) == 0);
		ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
		    (int)sizeof(root));
		ATF_REQUIRE_EQ(mkdir(root, 0555), 0);
		ATF_REQUIRE_EQ(chown(root, 65534, 65534), 0);
		ATF_REQUIRE((pid = fork()) >= 0);
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(100);
			if (vmmctl_sim_new(root, &sim) != 0)
				_exit(101);
			status = vmmctl_sim_listen(sim);
			vmmctl_sim_free(sim);
			_exit(status == EACCES ? 0 : 102);
		}
		ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
		ATF_REQUIRE(WIFEXITED(status));
		ATF_CHECK_EQ_MSG(WEXITSTATUS(status), 0, "child: %d",
		    WEXITSTATUS(status));
	}
	/* Nothing made, the root untouched. */
	ATF_CHECK_EQ(rmdir(root), 0);
	if (geteuid() == 0)
		ATF_CHECK_EQ(rmdir(d), 0);
}

ATF_TC_WITHOUT_HEAD(fail_root_served);
ATF_TC_BODY(fail_root_served, tc)
{
	char d[PATH_MAX], root[PATH_MAX];
	struct vmmctl_sim *first, *second;
	int before, fd;

	tmpdir(d, sizeof(d));
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
	    (int)sizeof(root));
	first = started(root);
	ATF_REQUIRE_EQ(simclient_open(root, &fd), 0);
	ATF_REQUIRE_EQ(simclient_create(fd, "vm", SCOPED), 0);
	before = fd_count();
	ATF_REQUIRE_EQ(vmmctl_sim_new(root, &second), 0);
	check_failed(second, EADDRINUSE, before);
	/* The first one's socket, node and client are untouched. */
	ATF_CHECK(exists(root, "vmmctl"));
	ATF_CHECK(exists(root, "vmm/vm"));
	ATF_CHECK_EQ(simclient_create(fd, "vm2", SCOPED), 0);
	(void)close(fd);
	vmmctl_sim_free(first);
}

/* A raw VMMCTL_VM_CREATE on a device-mode descriptor: 0 or errno. */
static int
dev_create(int fd, const char *name, uint32_t flags)
{
	struct vmmctl_vm_create vc;

	memset(&vc, 0, sizeof(vc));
	(void)snprintf(vc.name, sizeof(vc.name), "%s", name);
	vc.flags = flags;
	return (ioctl(fd, VMMCTL_VM_CREATE, &vc) == 0 ? 0 : errno);
}

ATF_TC(fuse_in_process);
ATF_TC_HEAD(fuse_in_process, tc)
{
	atf_tc_set_md_var(tc, "descr", "vmmctl_sim_set_fuse: a device-mode "
	    "simulator in a thread of this process serves ioctl(2) on "
	    "<root>/vmmctl and the jails', shows nodes per view, and "
	    "vmmctl_sim_free unmounts it, leaking no descriptor, twice");
}
ATF_TC_BODY(fuse_in_process, tc)
{
	char d[PATH_MAX], root[PATH_MAX], path[PATH_MAX + 16], why[256];
	struct vmmctl_sim *sim;
	struct statfs sfs;
	struct stat st;
	int before, error, fd, jfd, round;

	if (testsim_fuse_unusable(why, sizeof(why)) != 0)
		atf_tc_skip("%s", why);
	tmpdir(d, sizeof(d));
	ATF_REQUIRE(snprintf(root, sizeof(root), "%s/r", d) <
	    (int)sizeof(root));
	before = fd_count();
	for (round = 0; round < 2; round++) {
		ATF_REQUIRE_EQ(vmmctl_sim_new(root, &sim), 0);
		ATF_REQUIRE_EQ(vmmctl_sim_jail(sim, "j1"), 0);
		ATF_CHECK_EQ(vmmctl_sim_set_fuse(sim, 0x4), EINVAL);
		ATF_REQUIRE_EQ(vmmctl_sim_set_fuse(sim, VMMCTL_SIM_FUSE), 0);
		error = vmmctl_sim_start(sim);
		ATF_REQUIRE_MSG(error == 0, "start: %s", vmmctl_sim_error(sim));
		ATF_CHECK_EQ(vmmctl_sim_set_fuse(sim, 0), EBUSY);
		ATF_REQUIRE(statfs(root, &sfs) == 0);
		ATF_CHECK_EQ((unsigned long)sfs.f_type, 0x65735546UL);
		snprintf(path, sizeof(path), "%s/vmmctl", root);
		ATF_REQUIRE((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0);
		ATF_REQUIRE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
		snprintf(path, sizeof(path), "%s/jails/j1/vmmctl", root);
		ATF_REQUIRE((jfd = open(path, O_RDWR | O_CLOEXEC)) >= 0);
		ATF_CHECK_EQ(dev_create(fd, "hostvm", SCOPED), 0);
		ATF_CHECK_EQ(dev_create(jfd, "jailvm", SCOPED), 0);
		ATF_CHECK_EQ(dev_create(jfd, "hostvm", SCOPED), EEXIST);
		/* Bad flags, as the kernel answers them. */
		ATF_CHECK_EQ(dev_create(fd, "x", 0x2), EINVAL);
		ATF_CHECK(exists(root, "vmm/hostvm"));
		ATF_CHECK(exists(root, "vmm/jailvm"));
		ATF_CHECK(exists(root, "jails/j1/vmm/jailvm"));
		ATF_CHECK(!exists(root, "jails/j1/vmm/hostvm"));
		snprintf(path, sizeof(path), "%s/vmm/hostvm", root);
		ATF_REQUIRE(stat(path, &st) == 0);
		ATF_CHECK_EQ(st.st_mode, S_IFREG | 0600);
		ATF_CHECK_EQ(st.st_uid, geteuid());
		/* Gone once close(2) returned: FUSE's release came first. */
		ATF_REQUIRE(close(jfd) == 0);
		ATF_CHECK(!exists(root, "vmm/jailvm"));
		ATF_CHECK(exists(root, "vmm/hostvm"));
		/* free() releases what is still open, then unmounts. */
		vmmctl_sim_free(sim);
		ATF_CHECK_EQ(dev_create(fd, "late", SCOPED), ENOTCONN);
		ATF_REQUIRE(close(fd) == 0 || errno == ENOTCONN);
		/* The sim made the root: unmounted and removed. */
		ATF_CHECK(statfs(root, &sfs) != 0 && errno == ENOENT);
		ATF_CHECK_EQ(fd_count(), before);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, two_at_once);
	ATF_TP_ADD_TC(tp, restart_leaks_nothing);
	ATF_TP_ADD_TC(tp, run_and_stop);
	ATF_TP_ADD_TC(tp, fail_root_too_long);
	ATF_TP_ADD_TC(tp, fail_root_not_writable);
	ATF_TP_ADD_TC(tp, fail_root_served);
	ATF_TP_ADD_TC(tp, fuse_in_process);
	return (atf_no_error());
}
