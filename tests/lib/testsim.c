/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Test helper: a private vmmctl-sim per test (see testsim.h).
 */

#include <sys/types.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testsim.h"

/* Start-up is bounded: 1000 polls of 10 ms. */
#define	TESTSIM_POLLS		1000
#define	TESTSIM_POLL_NS		10000000L
#define	TESTSIM_FUSE_MAGIC	0x65735546	/* FUSE_SUPER_MAGIC */
#define	TESTSIM_EX_UNAVAILABLE	69		/* vmmctl-sim --fuse: no FUSE */

const char *
testsim_binary(void)
{
	static char path[PATH_MAX];
	const char *build;

	build = getenv("VMMCTL_BUILD");
	if (build == NULL || *build == '\0')
		build = "build";
	(void)snprintf(path, sizeof(path), "%s/bin/vmmctl-sim", build);
	return (path);
}

int
testsim_path(const struct testsim *ts, const char *rel, char *buf,
    size_t size)
{
	int n;

	n = snprintf(buf, size, "%s/%s", ts->root, rel);
	if (n < 0 || (size_t)n >= size)
		return (ENAMETOOLONG);
	return (0);
}

void
testsim_rmtree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		(void)unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path,
			    de->d_name) >= (int)sizeof(sub))
				continue;
			testsim_rmtree(sub);
		}
		(void)closedir(d);
	}
	(void)rmdir(path);
}

/* 1 when a FUSE file system is mounted at path. */
static int
testsim_mounted(const char *path)
{
	struct statfs sfs;

	errno = 0;	/* ENOTCONN after a 0: a dead mount */
	return (statfs(path, &sfs) == 0 &&
	    sfs.f_type == TESTSIM_FUSE_MAGIC);
}

/* 1 when prog is an executable in $PATH (or the usual places). */
static int
testsim_in_path(const char *prog)
{
	char buf[PATH_MAX], path[4096];
	const char *env;
	char *dir, *save;

	env = getenv("PATH");
	(void)snprintf(path, sizeof(path), "%s",
	    env != NULL && *env != '\0' ? env : "/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save))
		if (snprintf(buf, sizeof(buf), "%s/%s", dir, prog) <
		    (int)sizeof(buf) && access(buf, X_OK) == 0)
			return (1);
	return (0);
}

int
testsim_fuse_unusable(char *why, size_t size)
{
	int error, fd;

	if ((fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0) {
		error = errno;
		(void)snprintf(why, size, "device mode needs /dev/fuse: %s",
		    strerror(error));
		return (error);
	}
	(void)close(fd);
	if (geteuid() != 0 && !testsim_in_path("fusermount3")) {
		(void)snprintf(why, size, "device mode needs root or "
		    "fusermount3 (package fuse3)");
		return (EPERM);
	}
	return (0);
}

const char *
testsim_transport(const struct testsim *ts)
{

	return (ts->fuse ? "ioctl (vmmctl-sim --fuse: device mode, FUSE)" :
	    "socket (vmmctl-sim's unix socket)");
}

/* Detaches what a killed device-mode sim left mounted at root. */
static void
testsim_unmount(const char *root)
{
	pid_t pid;
	int status;

	if (!testsim_mounted(root) && errno != ENOTCONN)
		return;
	if (umount2(root, MNT_DETACH) == 0)
		return;
	if ((pid = fork()) == 0) {
		(void)execlp("fusermount3", "fusermount3", "-u", "-q", "-z",
		    "--", root, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
}

/* 1 when device mode serves <root>/vmmctl. */
static int
testsim_fuse_ready(const struct testsim *ts)
{
	char path[128];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/vmmctl", ts->root) >=
	    (int)sizeof(path))
		return (0);
	return (testsim_mounted(ts->root) && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode));
}

/* 1 when <root>/vmmctl accepts a connection. */
static int
testsim_ready(const struct testsim *ts)
{
	struct sockaddr_un sun;
	int fd, ok;

	if (ts->fuse)
		return (testsim_fuse_ready(ts));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl",
	    ts->root) >= (int)sizeof(sun.sun_path))
		return (0);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0)
		return (0);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	(void)close(fd);
	return (ok);
}

static void
testsim_exec(const struct testsim *ts, const char *const *extra)
{
	const char *argv[64];
	size_t n;
	int fd;

	n = 0;
	argv[n++] = "vmmctl-sim";
	argv[n++] = "--root";
	argv[n++] = ts->root;
	if (ts->fuse)
		argv[n++] = "--fuse";
	/*
	 * Tests make many VMs as one uid: no per-uid limit unless a test asks
	 * for one (extra comes later and wins).  Running as root, the tests
	 * that drop to uid/gid 65534 must reach the 0660 endpoint: that is
	 * the vmm group.
	 */
	argv[n++] = "--uid-limit";
	argv[n++] = "0";
	if (geteuid() == 0) {
		argv[n++] = "--group";
		argv[n++] = "65534";
	}
	for (; extra != NULL && *extra != NULL && n < 63; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	/* The sim must not hold the test's pipes open (ATF waits on them). */
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			(void)close(fd);
	}
	(void)execv(testsim_binary(), (char *const *)(uintptr_t)argv);
	fprintf(stderr, "testsim: exec %s: %s\n", testsim_binary(),
	    strerror(errno));
	_exit(127);
}

int
testsim_start(struct testsim *ts, const char *const *extra_args)
{

	return (testsim_start_mode(ts, extra_args, 0));
}

int
testsim_start_mode(struct testsim *ts, const char *const *extra_args,
    int fuse)
{
	struct timespec ts10 = { 0, TESTSIM_POLL_NS };
	int error, i, status;
	pid_t pid;

	ts->pid = -1;
	ts->fuse = fuse;
	if (access(testsim_binary(), X_OK) != 0)
		return (ENOENT);
	(void)strcpy(ts->root, "/tmp/vmc.XXXXXX");
	if (mkdtemp(ts->root) == NULL)
		return (errno);
	/* Unprivileged test children must reach the socket. */
	if (chmod(ts->root, 0755) != 0) {
		error = errno;
		(void)rmdir(ts->root);
		return (error);
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) < 0) {
		error = errno;
		(void)rmdir(ts->root);
		return (error);
	}
	if (pid == 0)
		testsim_exec(ts, extra_args);
	ts->pid = pid;
	for (i = 0; i < TESTSIM_POLLS; i++) {
		if (testsim_ready(ts))
			return (0);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ts->pid = -1;
			testsim_unmount(ts->root);
			testsim_rmtree(ts->root);
			return (WIFEXITED(status) && WEXITSTATUS(status) ==
			    TESTSIM_EX_UNAVAILABLE ? EOPNOTSUPP : ECHILD);
		}
		(void)nanosleep(&ts10, NULL);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	ts->pid = -1;
	testsim_unmount(ts->root);
	testsim_rmtree(ts->root);
	return (ETIMEDOUT);
}

int
testsim_stop(struct testsim *ts)
{
	int error, status, termed;
	pid_t r;

	error = 0;
	termed = ts->pid > 0;
	if (termed) {
		(void)kill(ts->pid, SIGTERM);
		while ((r = waitpid(ts->pid, &status, 0)) < 0 &&
		    errno == EINTR)
			;
		if (r < 0)
			error = errno;
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			error = EIO;
		ts->pid = -1;
	}
	if (ts->root[0] != '\0' && ts->fuse) {
		/* A clean exit unmounts; only a killed sim leaves a mount. */
		if ((testsim_mounted(ts->root) || errno == ENOTCONN) &&
		    termed && error == 0)
			error = EIO;
		testsim_unmount(ts->root);
	}
	if (ts->root[0] != '\0')
		testsim_rmtree(ts->root);
	ts->root[0] = '\0';
	return (error);
}
