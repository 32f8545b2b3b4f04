/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Life cycle of open file descriptions through vmmctl-sim: dup, fork and
 * SCM_RIGHTS share ownership until the last holder closes; a killed client
 * leaves only its persistent VMs; a close in one process is seen by the
 * next request of any process; concurrent creates of one name.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "fdpass.h"
#include "sim_test.h"

static void
read_byte(int fd)
{
	char b;

	ATF_REQUIRE_EQ(read(fd, &b, 1), 1);
}

ATF_TC_WITHOUT_HEAD(close_last_reference);
ATF_TC_BODY(close_last_reference, tc)
{
	struct testsim ts;
	int a, w;

	sim_up(&ts, NULL);
	a = conn(&ts);
	w = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "s", SCOPED), 0);
	ATF_CHECK_EQ(simclient_create(a, "p", PERSISTENT), 0);
	(void)close(a);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "s"));
	ATF_CHECK(entry_exists(ts.root, "p"));
	ATF_CHECK_EQ(count_entries(ts.root), 1);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(dup_shares);
ATF_TC_BODY(dup_shares, tc)
{
	struct testsim ts;
	int a, a2, w;

	sim_up(&ts, NULL);
	a = conn(&ts);
	w = conn(&ts);
	ATF_REQUIRE((a2 = dup(a)) >= 0);
	ATF_CHECK_EQ(simclient_create(a, "d", SCOPED), 0);
	(void)close(a);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "d"));
	/* The duplicate is the same file: it may use and destroy. */
	ATF_CHECK_EQ(simclient_create(a2, "d2", SCOPED), 0);
	(void)close(a2);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "d"));
	ATF_CHECK(!entry_exists(ts.root, "d2"));
	(void)close(w);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(fork_shares);
ATF_TC_BODY(fork_shares, tc)
{
	struct testsim ts;
	int a, go[2], ready[2], w;
	pid_t pid;

	sim_up(&ts, NULL);
	a = conn(&ts);
	w = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "f", SCOPED), 0);
	ATF_REQUIRE(pipe(go) == 0 && pipe(ready) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		char b;

		(void)close(w);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		CHILD_CHECK(read(go[0], &b, 1) == 1);
		/* Still the owner's file: it may create and close. */
		CHILD_CHECK(simclient_create(a, "f2", SCOPED) == 0);
		_exit(0);	/* the last reference goes with the child */
	}
	read_byte(ready[0]);
	(void)close(a);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "f"));
	ATF_REQUIRE_EQ(write(go[1], "g", 1), 1);
	wait_child(pid);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "f"));
	ATF_CHECK(!entry_exists(ts.root, "f2"));
	(void)close(w);
	sim_down(&ts);
}

/*
 * One side of fork_concurrent: 1,000 rounds of create (its payload must
 * come back as sent), destroy of a VM that never existed (EINVAL: a
 * success here would be another's reply), destroy; every 100th VM kept.
 */
static int
hammer(int fd, const char *who)
{
	struct vmmctl_vm_create vc;
	char name[64];
	int i;

	for (i = 0; i < 1000; i++) {
		memset(&vc, 0, sizeof(vc));
		(void)snprintf(vc.name, sizeof(vc.name), "%s-%d", who, i);
		strcpy(name, vc.name);
		vc.flags = SCOPED;
		if (simclient_ioctl(fd, VMMCTL_VM_CREATE, &vc,
		    sizeof(vc)) != 0 || strcmp(vc.name, name) != 0)
			return (1);
		(void)snprintf(name, sizeof(name), "%s-missing-%d", who, i);
		if (simclient_destroy(fd, name) != EINVAL)
			return (2);
		if (i % 100 != 0 && simclient_destroy(fd, vc.name) != 0)
			return (3);
	}
	return (0);
}

/*
 * Parent and child share one descriptor after fork and issue requests
 * through it at the same time: every reply reaches the process that asked
 * and is right; nothing leaks; nothing hangs (the case has a timeout).
 */
ATF_TC(fork_concurrent);
ATF_TC_HEAD(fork_concurrent, tc)
{

	atf_tc_set_md_var(tc, "descr", "parent and child issue 1,000 "
	    "creates and destroys each through one shared descriptor at once");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(fork_concurrent, tc)
{
	static const char *const args[] = { "--uid-limit", "0", NULL };
	struct testsim ts;
	int a, go[2], w;
	pid_t pid;
	char b;

	sim_up(&ts, args);
	a = conn(&ts);
	ATF_REQUIRE(pipe(go) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		CHILD_CHECK(read(go[0], &b, 1) == 1);
		_exit(hammer(a, "child") == 0 ? 0 : 100);
	}
	ATF_REQUIRE_EQ(write(go[1], "g", 1), 1);
	ATF_CHECK_EQ(hammer(a, "parent"), 0);
	wait_child(pid);
	/* The kept ones of both, on the shared file; nothing else. */
	w = conn(&ts);
	sync_sim(w);
	ATF_CHECK_EQ(count_entries(ts.root), 20);
	ATF_CHECK(entry_exists(ts.root, "child-900"));
	ATF_CHECK(entry_exists(ts.root, "parent-900"));
	(void)close(a);
	sync_sim(w);
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	(void)close(w);
	sim_down(&ts);
}

/*
 * A child receives the descriptor over a unix socket; the parent closes
 * its own: the VMs live on in the child until it exits.
 */
ATF_TC_WITHOUT_HEAD(scm_rights_shares);
ATF_TC_BODY(scm_rights_shares, tc)
{
	struct testsim ts;
	int a, go[2], sp[2], w;
	pid_t pid;

	sim_up(&ts, NULL);
	w = conn(&ts);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_REQUIRE(pipe(go) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		char b;
		int fd;

		(void)close(w);
		(void)close(sp[0]);
		CHILD_CHECK((fd = fdpass_recv(sp[1])) >= 0);
		CHILD_CHECK(write(sp[1], "r", 1) == 1);
		CHILD_CHECK(read(go[0], &b, 1) == 1);
		CHILD_CHECK(simclient_create(fd, "m2", SCOPED) == 0);
		(void)close(fd);
		_exit(0);
	}
	(void)close(sp[1]);
	a = conn(&ts);
	ATF_CHECK_EQ(simclient_create(a, "m", SCOPED), 0);
	ATF_REQUIRE_EQ(fdpass_send(sp[0], a), 0);
	read_byte(sp[0]);
	(void)close(a);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "m"));
	ATF_REQUIRE_EQ(write(go[1], "g", 1), 1);
	wait_child(pid);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "m"));
	ATF_CHECK(!entry_exists(ts.root, "m2"));
	(void)close(w);
	sim_down(&ts);
}

/* A descriptor in flight (sent, not yet received) is a reference too. */
ATF_TC_WITHOUT_HEAD(scm_rights_in_flight);
ATF_TC_BODY(scm_rights_in_flight, tc)
{
	struct testsim ts;
	int a, a2, sp[2], w;

	sim_up(&ts, NULL);
	w = conn(&ts);
	a = conn(&ts);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_CHECK_EQ(simclient_create(a, "i", SCOPED), 0);
	ATF_REQUIRE_EQ(fdpass_send(sp[0], a), 0);
	(void)close(a);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "i"));
	ATF_REQUIRE((a2 = fdpass_recv(sp[1])) >= 0);
	sync_sim(w);
	ATF_CHECK(entry_exists(ts.root, "i"));
	(void)close(a2);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "i"));
	(void)close(sp[0]);
	(void)close(sp[1]);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC(sigkill_client);
ATF_TC_HEAD(sigkill_client, tc)
{

	atf_tc_set_md_var(tc, "descr", "SIGKILL of a client holding 100 "
	    "scoped VMs and 1 persistent VM leaves exactly the persistent one");
}
ATF_TC_BODY(sigkill_client, tc)
{
	struct testsim ts;
	int ready[2], w;
	pid_t pid;

	sim_up(&ts, NULL);
	ATF_REQUIRE(pipe(ready) == 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		char name[32];
		int fd, i;

		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		for (i = 0; i < 100; i++) {
			(void)snprintf(name, sizeof(name), "k%d", i);
			CHILD_CHECK(simclient_create(fd, name, SCOPED) == 0);
		}
		CHILD_CHECK(simclient_create(fd, "kp", PERSISTENT) == 0);
		CHILD_CHECK(write(ready[1], "r", 1) == 1);
		for (;;)
			(void)pause();
	}
	(void)close(ready[1]);
	read_byte(ready[0]);
	w = conn(&ts);
	ATF_CHECK_EQ(count_entries(ts.root), 101);
	ATF_REQUIRE_EQ(kill(pid, SIGKILL), 0);
	ATF_REQUIRE_EQ(waitpid(pid, NULL, 0), pid);
	sync_sim(w);
	ATF_CHECK_EQ(count_entries(ts.root), 1);
	ATF_CHECK(entry_exists(ts.root, "kp"));
	ATF_CHECK_EQ(simclient_destroy(w, "k0"), EINVAL);
	ATF_CHECK_EQ(simclient_destroy(w, "kp"), 0);
	(void)close(w);
	sim_down(&ts);
}

/*
 * close() in one process, then create of the same name in another, 1,000
 * times: each close must be seen by the other process's next request.
 */
ATF_TC(close_then_create);
ATF_TC_HEAD(close_then_create, tc)
{

	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(close_then_create, tc)
{
	struct testsim ts;
	int fd, i;
	pid_t pid;

	sim_up(&ts, NULL);
	for (i = 0; i < 1000; i++) {
		ATF_REQUIRE((pid = fork()) >= 0);
		if (pid == 0) {
			int cfd;

			CHILD_CHECK(simclient_open(ts.root, &cfd) == 0);
			CHILD_CHECK(simclient_create(cfd, "same", SCOPED) == 0);
			(void)close(cfd);
			_exit(0);
		}
		wait_child(pid);
		fd = conn(&ts);
		ATF_REQUIRE_EQ_MSG(simclient_create(fd, "same", SCOPED), 0,
		    "round %d", i);
		(void)close(fd);
	}
	fd = conn(&ts);
	sync_sim(fd);
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	(void)close(fd);
	sim_down(&ts);
}

/*
 * Two processes race to create one name, 1,000 rounds: exactly one wins,
 * the other gets EEXIST; the parent destroys the winner's VM between
 * rounds.
 */
static void
racer(const char *root, int go, int res)
{
	int32_t r;
	char b;
	int fd;

	CHILD_CHECK(simclient_open(root, &fd) == 0);
	while (read(go, &b, 1) == 1) {
		r = simclient_create(fd, "race", PERSISTENT);
		CHILD_CHECK(write(res, &r, sizeof(r)) == sizeof(r));
	}
	_exit(0);
}

ATF_TC(race_create);
ATF_TC_HEAD(race_create, tc)
{

	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(race_create, tc)
{
	int go[2][2], res[2][2], i, j, ok, exist, w;
	struct testsim ts;
	pid_t pid[2];
	int32_t r;

	sim_up(&ts, NULL);
	for (j = 0; j < 2; j++) {
		ATF_REQUIRE(pipe(go[j]) == 0 && pipe(res[j]) == 0);
		ATF_REQUIRE((pid[j] = fork()) >= 0);
		if (pid[j] == 0) {
			/* Only the parent may hold the write ends: EOF ends. */
			for (i = 0; i < j; i++)
				(void)close(go[i][1]);
			(void)close(go[j][1]);
			racer(ts.root, go[j][0], res[j][1]);
		}
		(void)close(go[j][0]);
		(void)close(res[j][1]);
	}
	w = conn(&ts);
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < 2; j++)
			ATF_REQUIRE_EQ(write(go[j][1], "g", 1), 1);
		ok = exist = 0;
		for (j = 0; j < 2; j++) {
			ATF_REQUIRE_EQ(read(res[j][0], &r, sizeof(r)),
			    (ssize_t)sizeof(r));
			if (r == 0)
				ok++;
			else if (r == EEXIST)
				exist++;
		}
		ATF_REQUIRE_MSG(ok == 1 && exist == 1,
		    "round %d: %d won, %d got EEXIST", i, ok, exist);
		ATF_REQUIRE_EQ(simclient_destroy(w, "race"), 0);
	}
	for (j = 0; j < 2; j++) {
		(void)close(go[j][1]);
		wait_child(pid[j]);
	}
	(void)close(w);
	sim_down(&ts);
}

/*
 * SIGTERM with VMs alive in several views and clients still connected:
 * exit 0, every entry, view, socket and the pid file gone.
 */
ATF_TC_WITHOUT_HEAD(sigterm_with_vms);
ATF_TC_BODY(sigterm_with_vms, tc)
{
	static const char *const extra[] = { "--jail", "a/b", NULL };
	char dab[128], path[160];
	struct testsim ts;
	struct stat st;
	int h, j, status;

	sim_up(&ts, extra);
	jail_dir(&ts, "a/b", dab, sizeof(dab));
	h = conn(&ts);
	j = conn_at(dab);
	ATF_REQUIRE_EQ(simclient_create(h, "hs", SCOPED), 0);
	ATF_REQUIRE_EQ(simclient_create(h, "hp", PERSISTENT), 0);
	ATF_REQUIRE_EQ(simclient_create(j, "js", SCOPED), 0);
	ATF_REQUIRE_EQ(simclient_create(j, "jp", PERSISTENT), 0);
	ATF_REQUIRE_EQ(count_entries(ts.root), 4);
	ATF_REQUIRE_EQ(kill(ts.pid, SIGTERM), 0);
	ATF_REQUIRE_EQ(waitpid(ts.pid, &status, 0), ts.pid);
	ts.pid = -1;
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The clients see the end of the stream. */
	ATF_CHECK_EQ(simclient_wait_eof(h), 1);
	ATF_CHECK_EQ(simclient_wait_eof(j), 1);
	ATF_REQUIRE(testsim_path(&ts, "vmmctl", path, sizeof(path)) == 0);
	ATF_CHECK(lstat(path, &st) != 0);
	ATF_REQUIRE(testsim_path(&ts, "vmm", path, sizeof(path)) == 0);
	ATF_CHECK(lstat(path, &st) != 0);
	ATF_REQUIRE(testsim_path(&ts, "jails", path, sizeof(path)) == 0);
	ATF_CHECK(lstat(path, &st) != 0);
	ATF_CHECK(lstat(ts.root, &st) == 0 && S_ISDIR(st.st_mode));
	(void)close(h);
	(void)close(j);
	ATF_CHECK_EQ(testsim_stop(&ts), 0);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, sigterm_with_vms);

	ATF_TP_ADD_TC(tp, close_last_reference);
	ATF_TP_ADD_TC(tp, dup_shares);
	ATF_TP_ADD_TC(tp, fork_shares);
	ATF_TP_ADD_TC(tp, fork_concurrent);
	ATF_TP_ADD_TC(tp, scm_rights_shares);
	ATF_TP_ADD_TC(tp, scm_rights_in_flight);
	ATF_TP_ADD_TC(tp, sigkill_client);
	ATF_TP_ADD_TC(tp, close_then_create);
	ATF_TP_ADD_TC(tp, race_create);
	return (atf_no_error());
}
