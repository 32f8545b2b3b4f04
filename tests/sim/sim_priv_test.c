/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Privilege rules through vmmctl-sim, as another uid: the test runs as
 * root, forks, and the child drops to uid/gid 65534 (nobody); the sim
 * takes each request's caller from the credentials the kernel attaches to
 * that request's message, whoever opened the connection.  Without root there is no second uid to be: the cases are
 * skipped (require.user).
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>

#include "sim_test.h"

ATF_TC(unpriv_persistent);
ATF_TC_HEAD(unpriv_persistent, tc)
{

	root_head(tc, "unprivileged callers may only create scoped VMs; "
	    "the node belongs to them, mode 0600");
}
ATF_TC_BODY(unpriv_persistent, tc)
{
	struct testsim ts;
	pid_t pid;
	int w;

	sim_up(&ts, NULL);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		char path[128];
		struct stat st;
		int fd;

		drop_privileges();
		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		CHILD_CHECK(simclient_create(fd, "np", PERSISTENT) == EPERM);
		CHILD_CHECK(simclient_create(fd, "ns", SCOPED) == 0);
		CHILD_CHECK(testsim_path(&ts, "vmm/ns", path,
		    sizeof(path)) == 0);
		CHILD_CHECK(lstat(path, &st) == 0);
		CHILD_CHECK(st.st_uid == NOBODY && st.st_gid == NOBODY);
		CHILD_CHECK((st.st_mode & 07777) == 0600);
		CHILD_CHECK(S_ISREG(st.st_mode));
		/* Its own VM it may destroy. */
		CHILD_CHECK(simclient_create(fd, "own", SCOPED) == 0);
		CHILD_CHECK(simclient_destroy(fd, "own") == 0);
		_exit(0);
	}
	wait_child(pid);
	w = conn(&ts);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "np"));
	ATF_CHECK(!entry_exists(ts.root, "ns"));
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	(void)close(w);
	sim_down(&ts);
}

/*
 * Root's descriptor used by uid 65534 (inherited across fork, as
 * "vmmctl run" hands it to a command): each request is answered as the
 * process making it, as the kernel answers ioctls, not as the opener.
 */
ATF_TC(shared_descriptor_creds);
ATF_TC_HEAD(shared_descriptor_creds, tc)
{

	root_head(tc, "a descriptor root opened, used by uid 65534: its "
	    "persistent create and its destroy of root's VM are EPERM, its "
	    "scoped VM is its own and tied to the shared descriptor");
}
ATF_TC_BODY(shared_descriptor_creds, tc)
{
	char path[128];
	struct testsim ts;
	struct stat st;
	pid_t pid;
	int fd, w;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "roots", PERSISTENT), 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		drop_privileges();
		CHILD_CHECK(simclient_create(fd, "np", PERSISTENT) == EPERM);
		CHILD_CHECK(simclient_destroy(fd, "roots") == EPERM);
		CHILD_CHECK(simclient_create(fd, "ns", SCOPED) == 0);
		_exit(0);
	}
	wait_child(pid);
	/* The same descriptor, root again: root may. */
	ATF_CHECK(entry_exists(ts.root, "roots"));
	ATF_CHECK(!entry_exists(ts.root, "np"));
	ATF_REQUIRE_EQ(testsim_path(&ts, "vmm/ns", path, sizeof(path)), 0);
	ATF_REQUIRE_EQ(lstat(path, &st), 0);
	ATF_CHECK_EQ(st.st_uid, NOBODY);
	ATF_CHECK_EQ(st.st_gid, NOBODY);
	/* Tied to the shared descriptor: alive until its last close. */
	w = conn(&ts);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "ns"));
	ATF_REQUIRE_EQ(close(fd), 0);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "ns"));
	ATF_CHECK(entry_exists(ts.root, "roots"));
	ATF_CHECK_EQ(simclient_destroy(w, "roots"), 0);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC(unpriv_destroy_other);
ATF_TC_HEAD(unpriv_destroy_other, tc)
{

	root_head(tc, "destroying another uid's VM needs privilege");
}
ATF_TC_BODY(unpriv_destroy_other, tc)
{
	struct testsim ts;
	int go[2], ready[2], w;
	pid_t pid;
	char b;

	sim_up(&ts, NULL);
	w = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(w, "rootvm", PERSISTENT), 0);
	ATF_REQUIRE_EQ(simclient_create(w, "rootsc", SCOPED), 0);
	ATF_REQUIRE(pipe(go) == 0 && pipe(ready) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int fd;

		(void)close(w);
		drop_privileges();
		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		CHILD_CHECK(simclient_destroy(fd, "rootvm") == EPERM);
		CHILD_CHECK(simclient_destroy(fd, "rootsc") == EPERM);
		CHILD_CHECK(simclient_create(fd, "kid", SCOPED) == 0);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		CHILD_CHECK(read(go[0], &b, 1) == 1);
		/* Root took it away. */
		CHILD_CHECK(simclient_destroy(fd, "kid") == EINVAL);
		_exit(0);
	}
	ATF_REQUIRE_EQ(read(ready[0], &b, 1), 1);
	ATF_CHECK(entry_exists(ts.root, "rootvm"));
	ATF_CHECK(entry_exists(ts.root, "rootsc"));
	/* The privileged may destroy anyone's VM. */
	ATF_CHECK_EQ(simclient_destroy(w, "kid"), 0);
	ATF_REQUIRE_EQ(write(go[1], "g", 1), 1);
	wait_child(pid);
	ATF_CHECK_EQ(simclient_destroy(w, "rootvm"), 0);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC(unpriv_limit_per_uid);
ATF_TC_HEAD(unpriv_limit_per_uid, tc)
{

	root_head(tc, "--uid-limit counts per uid");
}
ATF_TC_BODY(unpriv_limit_per_uid, tc)
{
	static const char *const extra[] = { "--uid-limit", "1", NULL };
	struct testsim ts;
	pid_t pid;
	int w;

	sim_up(&ts, extra);
	w = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(w, "r1", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(w, "r2", SCOPED), ENOMEM);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int fd;

		(void)close(w);
		drop_privileges();
		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		CHILD_CHECK(simclient_create(fd, "n1", SCOPED) == 0);
		CHILD_CHECK(simclient_create(fd, "n2", SCOPED) == ENOMEM);
		_exit(0);
	}
	wait_child(pid);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC(unpriv_open_readonly);
ATF_TC_HEAD(unpriv_open_readonly, tc)
{

	root_head(tc, "open without write is EPERM for anyone");
}
ATF_TC_BODY(unpriv_open_readonly, tc)
{
	struct testsim ts;
	pid_t pid;

	sim_up(&ts, NULL);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int fd;

		drop_privileges();
		CHILD_CHECK(simclient_open_mode(ts.root, VMMCTL_SIM_FREAD,
		    &fd) == EPERM);
		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		_exit(0);
	}
	wait_child(pid);
	sim_down(&ts);
}

/*
 * One user floods the simulator with connections: past its cap its opens
 * fail (EMFILE), and another user's open and create still work; no create
 * ever fails for want of a descriptor.
 */
ATF_TC(conn_flood);
ATF_TC_HEAD(conn_flood, tc)
{

	root_head(tc, "a connection flood by uid 65534 leaves root's creates "
	    "working");
}
ATF_TC_BODY(conn_flood, tc)
{
	int fds[4096], go[2], ready[2], e, fd, n;
	struct rlimit old, low;
	struct testsim ts;
	pid_t pid;
	char b;

	/* A sim that may open 512 descriptors: a cap of (512 - 64) / 4. */
	ATF_REQUIRE_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 512;
	ATF_REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	e = testsim_start(&ts, NULL);
	ATF_REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	ATF_REQUIRE_MSG(e == 0, "testsim_start: %s", strerror(e));
	ATF_REQUIRE(pipe(go) == 0 && pipe(ready) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		(void)close(ready[0]);
		drop_privileges();
		for (n = 0, e = 0; n < 4096; n++)
			if ((e = simclient_open(ts.root, &fds[n])) != 0)
				break;
		/* Refused by the cap, not by our own descriptor limit. */
		CHILD_CHECK(e == EMFILE && n == (512 - 64) / 4);
		CHILD_CHECK(simclient_create(fds[0], "flood", SCOPED) == 0);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		CHILD_CHECK(read(go[0], &b, 1) == 1);
		_exit(0);
	}
	(void)close(ready[1]);
	ATF_REQUIRE_MSG(read(ready[0], &b, 1) == 1, "the flooding child failed");
	/* While the flood holds: another user is served. */
	fd = conn(&ts);
	ATF_CHECK_EQ(simclient_create(fd, "mine", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(fd, "mine2", PERSISTENT), 0);
	ATF_CHECK(entry_exists(ts.root, "flood"));
	ATF_REQUIRE_EQ(write(go[1], "g", 1), 1);
	wait_child(pid);
	sync_sim(fd);
	ATF_CHECK(!entry_exists(ts.root, "flood"));
	ATF_CHECK_EQ(simclient_destroy(fd, "mine2"), 0);
	(void)close(fd);
	sim_down(&ts);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, unpriv_persistent);
	ATF_TP_ADD_TC(tp, shared_descriptor_creds);
	ATF_TP_ADD_TC(tp, unpriv_destroy_other);
	ATF_TP_ADD_TC(tp, unpriv_limit_per_uid);
	ATF_TP_ADD_TC(tp, unpriv_open_readonly);
	ATF_TP_ADD_TC(tp, conn_flood);
	return (atf_no_error());
}
