/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * shared/FREEBSD.md's lists, row by row, out of process: vmmctl-sim's
 * endpoints, jails and generations as a client meets them.  Each case
 * names the check it exercises; the rows other suites of this directory
 * already cover say where (sim_semantics_test: FWRITE, reserved words,
 * flags, names and truncation; sim_life_test: close, dup, fork,
 * SCM_RIGHTS; sim_priv_test: the privilege rules).  The cases that need a
 * second uid run as root (require.user) and fork a child that becomes
 * uid/gid 65534; as root, testsim makes 65534 the vmm group.
 *
 * Also FreeBSD's own tests/sys/vmm/vmm_cred_jail.sh, ported against the
 * simulator's jails under their original names.
 *
 * Create 6 (a jail that lost allow.vmm after its open) cannot be reached
 * out of process: the simulator's jails are fixed when it starts, and a
 * jail without allow.vmm is refused at open (open 2).  tests/kern covers
 * it in process.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdlib.h>

#include "sim_test.h"

static void
stat_endpoint(const char *dir, struct stat *st)
{
	char path[1024];

	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "%s/vmmctl", dir) <
	    sizeof(path));
	ATF_REQUIRE(lstat(path, st) == 0);
}

/* Open 1: the endpoint is the sim's user's and the vmm group's, 0660 (connect: -EACCES). */
ATF_TC(open_devfs_mode_gen3);
ATF_TC_HEAD(open_devfs_mode_gen3, tc)
{

	root_head(tc, "open 1: root:vmm 0660; a vmm-group member may open, "
	    "another user may not (EACCES)");
}
ATF_TC_BODY(open_devfs_mode_gen3, tc)
{
	struct testsim ts;
	struct stat st;
	pid_t pid;

	sim_up(&ts, NULL);
	stat_endpoint(ts.root, &st);
	ATF_CHECK_EQ(st.st_mode & 07777, 0660);
	ATF_CHECK_EQ(st.st_uid, 0);
	ATF_CHECK_EQ(st.st_gid, NOBODY);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int fd;

		drop_privileges();	/* gid 65534: the vmm group */
		CHILD_CHECK(simclient_open(ts.root, &fd) == 0);
		(void)close(fd);
		_exit(0);
	}
	wait_child(pid);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		gid_t other = 4242;
		int fd;

		CHILD_CHECK(setgroups(1, &other) == 0);
		CHILD_CHECK(setgid(other) == 0);
		CHILD_CHECK(setuid(NOBODY) == 0);
		CHILD_CHECK(simclient_open(ts.root, &fd) == -EACCES);
		_exit(0);
	}
	wait_child(pid);
	sim_down(&ts);
}

/* Open 1, generations 1-2: root:wheel 0600, the group does not help. */
ATF_TC(open_devfs_mode_gen1_2);
ATF_TC_HEAD(open_devfs_mode_gen1_2, tc)
{

	root_head(tc, "open 1, gens 1-2: 0600, owner only");
}
ATF_TC_BODY(open_devfs_mode_gen1_2, tc)
{
	static const char *const g1[] = { "--generation", "1", NULL };
	static const char *const g2[] = { "--generation", "2", NULL };
	const char *const *gens[2] = { g1, g2 };
	struct testsim ts;
	struct stat st;
	pid_t pid;
	int i;

	for (i = 0; i < 2; i++) {
		sim_up(&ts, gens[i]);
		stat_endpoint(ts.root, &st);
		ATF_CHECK_EQ_MSG(st.st_mode & 07777, 0600, "gen %d", i + 1);
		ATF_REQUIRE((pid = fork()) >= 0);
		if (pid == 0) {
			int fd;

			drop_privileges();
			CHILD_CHECK(simclient_open(ts.root, &fd) == -EACCES);
			_exit(0);
		}
		wait_child(pid);
		sim_down(&ts);
	}
}

/* Open 2: jailed without allow.vmm -> EPERM (its jails too). */
ATF_TC_WITHOUT_HEAD(open_jail_without_allow_vmm);
ATF_TC_BODY(open_jail_without_allow_vmm, tc)
{
	static const char *const extra[] = { "--jail", "nj:novmm",
	    "--jail", "nj/c", "--jail", "ok", NULL };
	char dir[256];
	struct testsim ts;
	int fd;

	sim_up(&ts, extra);
	ATF_CHECK_EQ(simclient_open(jail_dir(&ts, "nj", dir, sizeof(dir)),
	    &fd), EPERM);
	ATF_CHECK_EQ(simclient_open(jail_dir(&ts, "nj/c", dir, sizeof(dir)),
	    &fd), EPERM);
	fd = conn_at(jail_dir(&ts, "ok", dir, sizeof(dir)));
	ATF_CHECK_EQ(simclient_create(fd, "in-ok", SCOPED), 0);
	(void)close(fd);
	sim_down(&ts);
}

/* Create 4 before 5: an unprivileged persistent create of a taken name. */
ATF_TC(create_order_exists_before_priv);
ATF_TC_HEAD(create_order_exists_before_priv, tc)
{

	root_head(tc, "create 4 before 5: EEXIST, not EPERM");
}
ATF_TC_BODY(create_order_exists_before_priv, tc)
{
	struct testsim ts;
	pid_t pid;
	int fd;

	sim_up(&ts, NULL);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "taken", PERSISTENT), 0);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int cfd;

		drop_privileges();
		CHILD_CHECK(simclient_open(ts.root, &cfd) == 0);
		CHILD_CHECK(simclient_create(cfd, "taken", PERSISTENT) ==
		    EEXIST);
		CHILD_CHECK(simclient_create(cfd, "free", PERSISTENT) ==
		    EPERM);
		_exit(0);
	}
	wait_child(pid);
	ATF_CHECK(!entry_exists(ts.root, "free"));
	ATF_CHECK_EQ(simclient_destroy(fd, "taken"), 0);
	(void)close(fd);
	sim_down(&ts);
}

/* Create 7: the per-uid limit counts the real uid, root included. */
ATF_TC(create_limit_real_uid);
ATF_TC_HEAD(create_limit_real_uid, tc)
{

	root_head(tc, "create 7: hw.vmm.maxvmms per real uid; root counted");
}
ATF_TC_BODY(create_limit_real_uid, tc)
{
	static const char *const extra[] = { "--uid-limit", "1", NULL };
	struct testsim ts;
	pid_t pid;
	int fd;

	sim_up(&ts, extra);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "r1", PERSISTENT), 0);
	ATF_CHECK_EQ(simclient_create(fd, "r2", PERSISTENT), ENOMEM);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int cfd;

		/* A setuid-root program run by nobody: euid 0, ruid 65534. */
		CHILD_CHECK(setreuid(NOBODY, 0) == 0);
		CHILD_CHECK(getuid() == NOBODY && geteuid() == 0);
		CHILD_CHECK(simclient_open(ts.root, &cfd) == 0);
		CHILD_CHECK(simclient_create(cfd, "n1", PERSISTENT) == 0);
		CHILD_CHECK(simclient_create(cfd, "n2", PERSISTENT) == ENOMEM);
		_exit(0);
	}
	wait_child(pid);
	ATF_CHECK(entry_exists(ts.root, "n1"));
	ATF_CHECK(!entry_exists(ts.root, "n2"));
	(void)close(fd);
	sim_down(&ts);
}

/*
 * Create 9: a name taken by a VM the caller cannot see is EEXIST, but
 * only after create 7 (the limit).
 */
ATF_TC_WITHOUT_HEAD(create_invisible_taken_after_limit);
ATF_TC_BODY(create_invisible_taken_after_limit, tc)
{
	static const char *const extra[] = { "--jail", "a", "--jail", "b",
	    "--uid-limit", "2", NULL };
	char da[256], db[256];
	struct testsim ts;
	int fa, fb;

	sim_up(&ts, extra);
	fa = conn_at(jail_dir(&ts, "a", da, sizeof(da)));
	fb = conn_at(jail_dir(&ts, "b", db, sizeof(db)));
	ATF_REQUIRE_EQ(simclient_create(fa, "x", SCOPED), 0);
	ATF_REQUIRE_EQ(simclient_create(fb, "y", SCOPED), 0);
	/* Fails create 7 and 9: ENOMEM. */
	ATF_CHECK_EQ(simclient_create(fb, "x", SCOPED), ENOMEM);
	ATF_REQUIRE_EQ(simclient_destroy(fb, "y"), 0);
	/* Within the limit: create 9's EEXIST; b still sees no "x". */
	ATF_CHECK_EQ(simclient_create(fb, "x", SCOPED), EEXIST);
	ATF_CHECK(!entry_exists(db, "x"));
	ATF_CHECK(entry_exists(ts.root, "x"));
	(void)close(fa);
	(void)close(fb);
	sim_down(&ts);
}

/* Create 10: the node is creator:vmm 0600 (gen 3), root:wheel (gens 1-2). */
ATF_TC(create_node_owner);
ATF_TC_HEAD(create_node_owner, tc)
{

	root_head(tc, "create 10: node owner, group and mode per generation");
}
ATF_TC_BODY(create_node_owner, tc)
{
	static const char *const g2[] = { "--generation", "2", NULL };
	char path[256];
	struct testsim ts;
	struct stat st;
	pid_t pid;
	int fd;

	sim_up(&ts, NULL);
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int cfd;

		drop_privileges();
		CHILD_CHECK(simclient_open(ts.root, &cfd) == 0);
		CHILD_CHECK(simclient_create(cfd, "mine", SCOPED) == 0);
		CHILD_CHECK(testsim_path(&ts, "vmm/mine", path,
		    sizeof(path)) == 0);
		CHILD_CHECK(lstat(path, &st) == 0);
		CHILD_CHECK(st.st_uid == NOBODY && st.st_gid == NOBODY);
		CHILD_CHECK((st.st_mode & 07777) == 0600);
		_exit(0);
	}
	wait_child(pid);
	sim_down(&ts);

	sim_up(&ts, g2);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "gen2", SCOPED), 0);
	ATF_REQUIRE_EQ(testsim_path(&ts, "vmm/gen2", path, sizeof(path)), 0);
	ATF_REQUIRE(lstat(path, &st) == 0);
	ATF_CHECK_EQ(st.st_uid, 0);
	ATF_CHECK_EQ(st.st_gid, 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0600);
	(void)close(fd);
	sim_down(&ts);
}

/* Destroy 2: missing, invisible, being made or destroyed -> EINVAL. */
ATF_TC_WITHOUT_HEAD(destroy_missing_invisible);
ATF_TC_BODY(destroy_missing_invisible, tc)
{
	static const char *const extra[] = { "--jail", "a", "--jail", "b",
	    NULL };
	char da[256], db[256];
	struct testsim ts;
	int fa, fb;

	sim_up(&ts, extra);
	fa = conn_at(jail_dir(&ts, "a", da, sizeof(da)));
	fb = conn_at(jail_dir(&ts, "b", db, sizeof(db)));
	ATF_CHECK_EQ(simclient_destroy(fa, "nothing"), EINVAL);
	ATF_REQUIRE_EQ(simclient_create(fa, "va", SCOPED), 0);
	/* Root in b: privileged, yet b cannot see a's VM. */
	ATF_CHECK_EQ(simclient_destroy(fb, "va"), EINVAL);
	ATF_CHECK(entry_exists(da, "va"));
	ATF_CHECK_EQ(simclient_destroy(fa, "va"), 0);
	ATF_CHECK_EQ(simclient_destroy(fa, "va"), EINVAL);
	(void)close(fa);
	(void)close(fb);
	sim_down(&ts);
}

/* Destroy 3: the same uid from another jail (one that sees it) -> EPERM. */
ATF_TC(destroy_same_uid_other_jail);
ATF_TC_HEAD(destroy_same_uid_other_jail, tc)
{

	root_head(tc, "destroy 3: only the creator's uid AND jail, or "
	    "PRIV_VMM_DESTROY");
}
ATF_TC_BODY(destroy_same_uid_other_jail, tc)
{
	static const char *const extra[] = { "--jail", "a", NULL };
	char da[256];
	struct testsim ts;
	pid_t pid;

	sim_up(&ts, extra);
	(void)jail_dir(&ts, "a", da, sizeof(da));
	ATF_REQUIRE((pid = fork()) >= 0);
	if (pid == 0) {
		int fh, fj;

		drop_privileges();
		CHILD_CHECK(simclient_open(da, &fj) == 0);
		CHILD_CHECK(simclient_open(ts.root, &fh) == 0);
		CHILD_CHECK(simclient_create(fj, "jv", SCOPED) == 0);
		/* The host sees it (destroy 2 passes); destroy 3 fails. */
		CHILD_CHECK(simclient_destroy(fh, "jv") == EPERM);
		CHILD_CHECK(simclient_destroy(fj, "jv") == 0);
		_exit(0);
	}
	wait_child(pid);
	sim_down(&ts);
}

/* Gens 1-2, destroy 3: no such check; gen 3 refuses (EPERM). */
ATF_TC(destroy_other_uid_by_generation);
ATF_TC_HEAD(destroy_other_uid_by_generation, tc)
{

	root_head(tc, "destroy 3 exists in generation 3 only");
}
ATF_TC_BODY(destroy_other_uid_by_generation, tc)
{
	static const char *const g2[] = { "--generation", "2", NULL };
	static const char *const g3[] = { "--generation", "3", NULL };
	char path[256];
	struct testsim ts;
	pid_t pid;
	int fd, gen;

	for (gen = 2; gen <= 3; gen++) {
		sim_up(&ts, gen == 2 ? g2 : g3);
		/* An administrator opens the device to nobody (gen 2: 0600). */
		ATF_REQUIRE_EQ(testsim_path(&ts, "vmmctl", path, sizeof(path)),
		    0);
		ATF_REQUIRE(chmod(path, 0666) == 0);
		fd = conn(&ts);
		ATF_REQUIRE_EQ(simclient_create(fd, "roots", PERSISTENT), 0);
		ATF_REQUIRE((pid = fork()) >= 0);
		if (pid == 0) {
			int cfd;

			drop_privileges();
			CHILD_CHECK(simclient_open(ts.root, &cfd) == 0);
			CHILD_CHECK(simclient_destroy(cfd, "roots") ==
			    (gen == 2 ? 0 : EPERM));
			/* Gen 2 has no PRIV_VMM_CREATE check either. */
			CHILD_CHECK(simclient_create(cfd, "np", PERSISTENT) ==
			    (gen == 2 ? 0 : EPERM));
			_exit(0);
		}
		wait_child(pid);
		ATF_CHECK_EQ(entry_exists(ts.root, "roots"), gen == 3);
		(void)close(fd);
		sim_down(&ts);
	}
}

/* Gen 1, create 2: DESTROY_ON_CLOSE is reserved[0] -> EINVAL. */
ATF_TC_WITHOUT_HEAD(gen1_flags_reserved);
ATF_TC_BODY(gen1_flags_reserved, tc)
{
	static const char *const extra[] = { "--generation", "1", NULL };
	struct testsim ts;
	int fd;

	sim_up(&ts, extra);
	fd = conn(&ts);
	ATF_CHECK_EQ(simclient_create(fd, "s", SCOPED), EINVAL);
	ATF_CHECK_EQ(count_entries(ts.root), 0);
	ATF_CHECK_EQ(simclient_create(fd, "p", PERSISTENT), 0);
	(void)close(fd);
	/* Every VM is persistent: it outlives the connection. */
	fd = conn(&ts);
	sync_sim(fd);
	ATF_CHECK(entry_exists(ts.root, "p"));
	ATF_CHECK_EQ(simclient_destroy(fd, "p"), 0);
	(void)close(fd);
	sim_down(&ts);
}

/*
 * FreeBSD's tests/sys/vmm/vmm_cred_jail.sh, vmm_cred_jail_host: a VM the
 * host's root created cannot be destroyed from inside a jail.
 */
ATF_TC_WITHOUT_HEAD(vmm_cred_jail_host);
ATF_TC_BODY(vmm_cred_jail_host, tc)
{
	static const char *const extra[] = { "--jail", "myjail", NULL };
	char dj[256];
	struct testsim ts;
	int fh, fj;

	sim_up(&ts, extra);
	fh = conn(&ts);
	fj = conn_at(jail_dir(&ts, "myjail", dj, sizeof(dj)));
	ATF_REQUIRE_EQ(simclient_create(fh, "testvm", PERSISTENT), 0);
	/* jexec myjail bhyvectl --vm=testvm --destroy must fail. */
	ATF_CHECK(simclient_destroy(fj, "testvm") != 0);
	ATF_CHECK(entry_exists(ts.root, "testvm"));
	ATF_CHECK_EQ(simclient_destroy(fh, "testvm"), 0);
	(void)close(fh);
	(void)close(fj);
	sim_down(&ts);
}

/*
 * vmm_cred_jail.sh, vmm_cred_jail_other: a VM created in one jail cannot
 * be destroyed from a sibling jail.
 */
ATF_TC_WITHOUT_HEAD(vmm_cred_jail_other);
ATF_TC_BODY(vmm_cred_jail_other, tc)
{
	static const char *const extra[] = { "--jail", "myjail1",
	    "--jail", "myjail2", NULL };
	char d1[256], d2[256];
	struct testsim ts;
	int f1, f2;

	sim_up(&ts, extra);
	f1 = conn_at(jail_dir(&ts, "myjail1", d1, sizeof(d1)));
	f2 = conn_at(jail_dir(&ts, "myjail2", d2, sizeof(d2)));
	/* jexec myjail1 bhyvectl --vm=testvm --create succeeds. */
	ATF_REQUIRE_EQ(simclient_create(f1, "testvm", PERSISTENT), 0);
	/* jexec myjail2 bhyvectl --vm=testvm --destroy must fail. */
	ATF_CHECK(simclient_destroy(f2, "testvm") != 0);
	ATF_CHECK(entry_exists(d1, "testvm"));
	ATF_CHECK_EQ(simclient_destroy(f1, "testvm"), 0);
	(void)close(f1);
	(void)close(f2);
	sim_down(&ts);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, open_devfs_mode_gen3);
	ATF_TP_ADD_TC(tp, open_devfs_mode_gen1_2);
	ATF_TP_ADD_TC(tp, open_jail_without_allow_vmm);
	ATF_TP_ADD_TC(tp, create_order_exists_before_priv);
	ATF_TP_ADD_TC(tp, create_limit_real_uid);
	ATF_TP_ADD_TC(tp, create_invisible_taken_after_limit);
	ATF_TP_ADD_TC(tp, create_node_owner);
	ATF_TP_ADD_TC(tp, destroy_missing_invisible);
	ATF_TP_ADD_TC(tp, destroy_same_uid_other_jail);
	ATF_TP_ADD_TC(tp, destroy_other_uid_by_generation);
	ATF_TP_ADD_TC(tp, gen1_flags_reserved);
	ATF_TP_ADD_TC(tp, vmm_cred_jail_host);
	ATF_TP_ADD_TC(tp, vmm_cred_jail_other);
	return (atf_no_error());
}
