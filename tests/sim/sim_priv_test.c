/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Privilege rules through vmmctl-sim, as another uid: the test runs as
 * root, forks, and the child drops to uid/gid 65534 (nobody) before it
 * connects; the sim takes the caller's uid from the socket's peer
 * credentials.  Without root there is no second uid to be: the cases are
 * skipped (require.user).
 */

#include <sys/types.h>
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

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, unpriv_persistent);
	ATF_TP_ADD_TC(tp, unpriv_destroy_other);
	ATF_TP_ADD_TC(tp, unpriv_limit_per_uid);
	ATF_TP_ADD_TC(tp, unpriv_open_readonly);
	return (atf_no_error());
}
