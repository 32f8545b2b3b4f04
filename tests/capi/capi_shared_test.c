/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Descriptor semantics across processes (issue #18), through libvmmctl:
 * a descriptor shared with a process of another uid is used with that
 * process's credentials; two processes use one descriptor at once; a
 * release is complete once the last close(2) (or exit) returned.
 *
 * Built twice: capi_shared_test (the socket transport) and
 * capi_shared_fuse_test (device mode: the character-device transport over
 * vmmctl-sim --fuse).  Each case says which transport it ran.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "vmmctl.h"
#include "vmmctl_dev.h"
#include "capi_util.h"
#include "fdpass.h"

#define	ROUNDS		1000
#define	SCOPED_MANY	100
/* A child that hangs is killed: the case fails, it never blocks Kyua. */
#define	CHILD_ALARM	120

/* <root>/vmm/<name>'s owner, or -1 (errno set) when it is absent. */
static long
node_uid(const struct testsim *ts, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/vmm/%s", ts->root, name);
	if (stat(path, &st) != 0)
		return (-1);
	return ((long)st.st_uid);
}

/* ---- a descriptor shared with uid 65534 ------------------------------ */

struct shared {
	int	sock;		/* the descriptor arrives here */
};

static int
shared_child(void *arg)
{
	struct shared *s = arg;
	vmmctl_t *h;
	int fd;

	if ((fd = fdpass_recv(s->sock)) < 0)
		return (2);
	if (vmmctl_from_fd(fd, &h) != 0)
		return (3);
	/* Root's descriptor, this process's credentials. */
	if (vmmctl_create(h, "persist-65534", VMMCTL_CREATE_PERSISTENT) !=
	    EPERM)
		return (4);
	if (vmmctl_destroy(h, "rootvm") != EPERM)
		return (5);
	if (vmmctl_create(h, "scoped-65534", 0) != 0)
		return (6);
	/* Exit without closing: the shared description keeps the VM. */
	return (0);
}

ATF_TC(shared_unprivileged);
ATF_TC_HEAD(shared_unprivileged, tc)
{
	atf_tc_set_md_var(tc, "descr", "Root passes its descriptor to a "
	    "uid-65534 process: its persistent create and its destroy of "
	    "root's VM are EPERM; its scoped create makes a VM owned by uid "
	    "65534 and tied to the shared descriptor");
}
ATF_TC_BODY(shared_unprivileged, tc)
{
	struct testsim ts;
	struct shared s;
	vmmctl_t *h, *w;
	int sv[2], st;

	if (!is_root())
		atf_tc_skip("needs root to setuid(65534)");
	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	w = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(w, "rootvm", VMMCTL_CREATE_PERSISTENT));
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	send_fd(sv[0], vmmctl_fd(h));
	s.sock = sv[1];
	st = run_unprivileged(NULL, shared_child, &s);
	ATF_CHECK_MSG(st == 0, "uid 65534 failed at step %d", st);
	ATF_CHECK(listed(w, "rootvm"));
	ATF_CHECK(!listed(w, "persist-65534"));
	/* The child is gone; the VM lives with root's descriptor. */
	ATF_CHECK(listed(w, "scoped-65534"));
	ATF_CHECK_EQ(node_uid(&ts, "scoped-65534"), 65534);
	ATF_CHECK_EQ(node_uid(&ts, "rootvm"), 0);
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK(!listed(w, "scoped-65534"));
	ATF_CHECK(listed(w, "rootvm"));
	REQUIRE_OK(vmmctl_close(w));
	(void)close(sv[0]);
	(void)close(sv[1]);
	sim_stop(&ts);
}

/* ---- the per-uid limit counts the real uid -------------------------- */

/*
 * A set-user-ID-root program run by uid 65534 (real 65534, effective 0):
 * its VMs count against 65534's limit, not root's, while it keeps root's
 * privilege and its nodes are root's.
 */
static int
setuid_child(void *arg)
{
	const char *root = arg;
	vmmctl_t *h;

	if (setresuid(65534, 0, 0) != 0)
		return (2);
	if (vmmctl_open(root, 0, &h) != 0)
		return (3);
	if (vmmctl_create(h, "suid0", VMMCTL_CREATE_PERSISTENT) != 0)
		return (4);
	if (vmmctl_create(h, "suid1", 0) != ENOMEM)
		return (5);
	(void)vmmctl_close(h);
	return (0);
}

ATF_TC(real_uid_limit);
ATF_TC_HEAD(real_uid_limit, tc)
{
	atf_tc_set_md_var(tc, "descr", "The per-uid limit counts the caller's "
	    "real uid (FreeBSD's cr_ruidinfo): a set-user-ID-root caller run "
	    "by uid 65534 is limited as 65534, with root's privilege");
}
ATF_TC_BODY(real_uid_limit, tc)
{
	static const char *const args[] = { "--uid-limit", "1", NULL };
	struct testsim ts;
	pid_t pid;
	vmmctl_t *w;
	int status;

	if (!is_root())
		atf_tc_skip("needs root to setresuid(65534, 0, 0)");
	sim_start(&ts, args);
	w = open_ok(ts.root, 0);
	REQUIRE_OK(vmmctl_create(w, "rootvm", 0));	/* root's one VM */
	REQUIRE_ERR(vmmctl_create(w, "rootvm2", 0), ENOMEM);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		_exit(setuid_child(ts.root));
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "set-user-ID child failed at step %d", WEXITSTATUS(status));
	ATF_CHECK(listed(w, "suid0"));
	ATF_CHECK_EQ(node_uid(&ts, "suid0"), 0);
	REQUIRE_OK(vmmctl_destroy(w, "suid0"));
	REQUIRE_OK(vmmctl_close(w));
	sim_stop(&ts);
}

/* ---- parent and child on one descriptor at once --------------------- */

/*
 * ROUNDS rounds through h: create <tag>-<i> (0), create it again (EEXIST),
 * destroy a name nobody made (ENOENT), and destroy every odd one (0).  A
 * reply meant for the other process shows as a wrong errno.  Returns the
 * number of wrong replies; the first is described in why.
 */
static int
hammer(vmmctl_t *h, const char *tag, char *why, size_t size)
{
	char name[64], none[64];
	int bad, error, i;

	bad = 0;
	for (i = 0; i < ROUNDS; i++) {
		snprintf(name, sizeof(name), "%s-%d", tag, i);
		snprintf(none, sizeof(none), "%s-none-%d", tag, i);
		if ((error = vmmctl_create(h, name, 0)) != 0 && bad++ == 0)
			snprintf(why, size, "create %s: %d", name, error);
		if ((error = vmmctl_create(h, name, 0)) != EEXIST &&
		    bad++ == 0)
			snprintf(why, size, "create %s again: %d", name,
			    error);
		if ((error = vmmctl_destroy(h, none)) != ENOENT && bad++ == 0)
			snprintf(why, size, "destroy %s: %d", none, error);
		if (i % 2 == 1 && (error = vmmctl_destroy(h, name)) != 0 &&
		    bad++ == 0)
			snprintf(why, size, "destroy %s: %d", name, error);
	}
	return (bad);
}

ATF_TC(fork_concurrent);
ATF_TC_HEAD(fork_concurrent, tc)
{
	atf_tc_set_md_var(tc, "descr", "Parent and child after fork each "
	    "issue 1,000 creates and destroys through the same descriptor at "
	    "the same time: every reply is right, nothing hangs or leaks, "
	    "and the listing has exactly the VMs kept");
}
ATF_TC_BODY(fork_concurrent, tc)
{
	char why[256], name[64], *buf, *p;
	struct testsim ts;
	vmmctl_t *h, *w;
	size_t len, n;
	int go[2], bad, status, i;
	pid_t pid;

	sim_start(&ts, NULL);
	h = open_ok(ts.root, 0);
	w = open_ok(ts.root, 0);
	ATF_REQUIRE(pipe(go) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		char b;

		(void)alarm(CHILD_ALARM);
		if (read(go[0], &b, 1) != 1)
			_exit(100);
		why[0] = '\0';
		bad = hammer(h, "child", why, sizeof(why));
		if (bad != 0)
			fprintf(stderr, "child: %d wrong replies, first: %s\n",
			    bad, why);
		/* Exit without closing: the parent's reference remains. */
		_exit(bad != 0 ? 1 : 0);
	}
	(void)alarm(CHILD_ALARM);
	ATF_REQUIRE(write(go[1], "g", 1) == 1);
	why[0] = '\0';
	bad = hammer(h, "parent", why, sizeof(why));
	ATF_CHECK_MSG(bad == 0, "parent: %d wrong replies, first: %s", bad,
	    why);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	(void)alarm(0);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %d (1: wrong replies, see stderr; SIGALRM: hung)",
	    status);
	/* The even ones of both sides, and nothing else. */
	n = list_all(w, &buf, &len);
	ATF_CHECK_EQ(n, ROUNDS);
	for (i = 0; i < 2 * ROUNDS; i += 2) {
		snprintf(name, sizeof(name), "%s-%d",
		    i < ROUNDS ? "parent" : "child", i % ROUNDS);
		for (p = buf; p < buf + len && strcmp(p, name) != 0;
		    p += strlen(p) + 1)
			;
		ATF_CHECK_MSG(p < buf + len, "%s missing", name);
	}
	free(buf);
	REQUIRE_OK(vmmctl_close(h));
	ATF_CHECK_EQ(list_all(w, &buf, &len), 0);
	free(buf);
	REQUIRE_OK(vmmctl_close(w));
	sim_stop(&ts);
}

/* ---- SIGKILL ---------------------------------------------------------- */

ATF_TC(sigkill_holder);
ATF_TC_HEAD(sigkill_holder, tc)
{
	atf_tc_set_md_var(tc, "descr", "SIGKILL of a process holding 100 "
	    "scoped VMs and 1 persistent leaves exactly the persistent one");
}
ATF_TC_BODY(sigkill_holder, tc)
{
	char name[32], *buf;
	struct testsim ts;
	vmmctl_t *w;
	size_t len;
	int ready[2], status;
	pid_t pid;

	sim_start(&ts, NULL);
	w = open_ok(ts.root, 0);
	ATF_REQUIRE(pipe(ready) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		vmmctl_t *h;
		int i;

		if (vmmctl_open(ts.root, 0, &h) != 0)
			_exit(1);
		for (i = 0; i < SCOPED_MANY; i++) {
			snprintf(name, sizeof(name), "doomed%d", i);
			if (vmmctl_create(h, name, 0) != 0)
				_exit(2);
		}
		if (vmmctl_create(h, "survivor", VMMCTL_CREATE_PERSISTENT) != 0)
			_exit(3);
		(void)write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	{
		char b;

		ATF_REQUIRE_MSG(read(ready[0], &b, 1) == 1, "child failed");
	}
	ATF_CHECK_EQ(list_all(w, &buf, &len), SCOPED_MANY + 1);
	free(buf);
	ATF_REQUIRE(kill(pid, SIGKILL) == 0);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ATF_CHECK_EQ(list_all(w, &buf, &len), 1);
	ATF_CHECK_STREQ(buf, "survivor");
	free(buf);
	if (ts.fuse)	/* the node too, straight from the mount */
		ATF_CHECK_EQ(node_uid(&ts, "doomed0"), -1);
	REQUIRE_OK(vmmctl_destroy(w, "survivor"));
	REQUIRE_OK(vmmctl_close(w));
	sim_stop(&ts);
}

/* ---- a release is complete once the last close() returned ------------ */

/*
 * The closer: each round opens, creates "same" scoped and closes, then
 * lets the other process look.  With bare (device mode), odd rounds use
 * the bare kernel interface (open, ioctl, close(2)), as any FreeBSD
 * program would; the others use libvmmctl.
 */
static int
closer(const char *root, int bare, int tell, int hear)
{
	struct vmmctl_vm_create vc;
	char path[256], b;
	vmmctl_t *h;
	int fd, i;

	snprintf(path, sizeof(path), "%s/vmmctl", root);
	for (i = 0; i < ROUNDS; i++) {
		if (!bare || i % 2 == 0) {
			if (vmmctl_open(root, 0, &h) != 0)
				return (1);
			if (vmmctl_create(h, "same", 0) != 0)
				return (2);
			if (vmmctl_close(h) != 0)
				return (3);
		} else {
			memset(&vc, 0, sizeof(vc));
			strcpy(vc.name, "same");
			vc.flags = VMMCTL_CREATE_DESTROY_ON_CLOSE;
			if ((fd = open(path, O_RDWR)) < 0)
				return (4);
			if (ioctl(fd, VMMCTL_VM_CREATE, &vc) != 0)
				return (5);
			if (close(fd) != 0)
				return (6);
		}
		if (write(tell, "c", 1) != 1 || read(hear, &b, 1) != 1)
			return (7);
	}
	return (0);
}

ATF_TC(close_then_create);
ATF_TC_HEAD(close_then_create, tc)
{
	atf_tc_set_md_var(tc, "descr", "1,000 rounds: once a process's last "
	    "close() of its descriptor returned, another process never sees "
	    "the released VM (listing, vm_open, and in device mode <root>/vmm "
	    "itself) and its create of the same name succeeds");
}
ATF_TC_BODY(close_then_create, tc)
{
	struct testsim ts;
	vmmctl_t *w;
	int c2p[2], p2c[2], fd, i, status, stale, failed;
	char b;
	pid_t pid;

	sim_start(&ts, NULL);
	w = open_ok(ts.root, 0);
	ATF_REQUIRE(pipe(c2p) == 0 && pipe(p2c) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)alarm(CHILD_ALARM);
		_exit(closer(ts.root, ts.fuse, c2p[1], p2c[0]));
	}
	(void)close(c2p[1]);
	(void)close(p2c[0]);
	stale = failed = 0;
	for (i = 0; i < ROUNDS; i++) {
		if (read(c2p[0], &b, 1) != 1)
			break;
		/* The closer's close() has returned. */
		if (ts.fuse && node_uid(&ts, "same") != -1)
			stale++;
		if (listed(w, "same") ||
		    vmmctl_vm_open(w, "same", &fd) != ENOENT)
			stale++;
		if (vmmctl_create(w, "same", 0) != 0 ||
		    vmmctl_destroy(w, "same") != 0)
			failed++;
		ATF_REQUIRE(write(p2c[1], "p", 1) == 1);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "closer status %d", status);
	ATF_CHECK_EQ(i, ROUNDS);
	ATF_CHECK_MSG(stale == 0, "a released VM was still visible %d times",
	    stale);
	ATF_CHECK_MSG(failed == 0, "create after close failed %d times",
	    failed);
	REQUIRE_OK(vmmctl_close(w));
	sim_stop(&ts);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, shared_unprivileged);
	ATF_TP_ADD_TC(tp, real_uid_limit);
	ATF_TP_ADD_TC(tp, fork_concurrent);
	ATF_TP_ADD_TC(tp, sigkill_holder);
	ATF_TP_ADD_TC(tp, close_then_create);
	return (atf_no_error());
}
