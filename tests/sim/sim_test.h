/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Shared helpers of the vmmctl-sim ATF-C tests: each case starts its own
 * simulator (testsim) and talks to it with simclient.
 */

#ifndef _SIM_TEST_H_
#define	_SIM_TEST_H_

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "simclient.h"
#include "testsim.h"

#define	SCOPED		VMMCTL_CREATE_DESTROY_ON_CLOSE
#define	PERSISTENT	0u

static inline void
sim_up(struct testsim *ts, const char *const *extra)
{
	int error;

	error = testsim_start(ts, extra);
	ATF_REQUIRE_MSG(error == 0, "testsim_start: %s", strerror(error));
}

static inline void
sim_down(struct testsim *ts)
{

	ATF_CHECK_EQ_MSG(testsim_stop(ts), 0, "vmmctl-sim did not exit 0");
}

/* A read-write connection to the endpoint of dir (a root or jail dir). */
static inline int
conn_at(const char *dir)
{
	int error, fd;

	fd = -1;
	error = simclient_open(dir, &fd);
	ATF_REQUIRE_MSG(error == 0, "open %s: %d", dir, error);
	return (fd);
}

static inline int
conn(const struct testsim *ts)
{

	return (conn_at(ts->root));
}

/* "<root>/jails/<j>" into buf. */
static inline const char *
jail_dir(const struct testsim *ts, const char *j, char *buf, size_t size)
{

	ATF_REQUIRE((size_t)snprintf(buf, size, "%s/jails/%s", ts->root, j) <
	    size);
	return (buf);
}

/* Does <dir>/vmm/<name> exist? */
static inline int
entry_exists(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;

	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "%s/vmm/%s", dir,
	    name) < sizeof(path));
	return (lstat(path, &st) == 0);
}

/*
 * The sim handles every pending hang-up before serving a request: one
 * harmless request (destroying "" is EINVAL before any lookup) makes the
 * views as current as the kernel's after a close.
 */
static inline void
sync_sim(int fd)
{

	ATF_REQUIRE_EQ(simclient_destroy(fd, ""), EINVAL);
}

/* Number of entries in <dir>/vmm. */
static inline int
count_entries(const char *dir)
{
	char path[1024];
	struct dirent *de;
	DIR *d;
	int n;

	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "%s/vmm", dir) <
	    sizeof(path));
	ATF_REQUIRE_MSG((d = opendir(path)) != NULL, "%s: %s", path,
	    strerror(errno));
	n = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return (n);
}

/*
 * Another uid: the test runs as root, forks, and the child drops to
 * uid/gid 65534 (nobody; as root, testsim makes 65534 the vmm group).  A
 * failed CHILD_CHECK exits with its source line % 250 + 1.
 */
#define	NOBODY		65534
#define	CHILD_CHECK(e)	do { if (!(e)) _exit(__LINE__ % 250 + 1); } while (0)

static inline void
drop_privileges(void)
{
	gid_t g = NOBODY;

	CHILD_CHECK(setgroups(1, &g) == 0);
	CHILD_CHECK(setgid(NOBODY) == 0);
	CHILD_CHECK(setuid(NOBODY) == 0);
	CHILD_CHECK(getuid() == NOBODY && geteuid() == NOBODY);
}

static inline void
wait_child(pid_t pid)
{
	int status;

	ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "unprivileged child failed (status %#x; exit code = source "
	    "line %% 250 + 1)", status);
}

static inline void
root_head(atf_tc_t *tc, const char *descr)
{

	atf_tc_set_md_var(tc, "descr", descr);
	atf_tc_set_md_var(tc, "require.user", "root");
}

#endif /* !_SIM_TEST_H_ */
