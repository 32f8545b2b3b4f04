/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the libvmmctl tests.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "vmmctl_sim_proto.h"
#include "capi_util.h"
#include "fdpass.h"

/*
 * A failed ATF_REQUIRE exits at once: what a test started (simulators,
 * temporary directories outside Kyua's work directory) is cleaned up at
 * exit, by the process that started it only (forked children exit too).
 */
#define	CLEANUP_MAX	16

/* Copies; pid 0: a free slot, -1: a killed sim's root left to remove. */
static struct testsim	cleanup_sims[CLEANUP_MAX];
static char		cleanup_dirs[CLEANUP_MAX][64];
static pid_t		cleanup_pid;

static void
cleanup_at_exit(void)
{
	int i;

	if (getpid() != cleanup_pid)
		return;
	for (i = 0; i < CLEANUP_MAX; i++) {
		if (cleanup_sims[i].pid != 0)
			(void)testsim_stop(&cleanup_sims[i]);
		if (cleanup_dirs[i][0] != '\0')
			testsim_rmtree(cleanup_dirs[i]);
	}
}

static void
cleanup_register(void)
{

	if (cleanup_pid == 0) {
		cleanup_pid = getpid();
		ATF_REQUIRE(atexit(cleanup_at_exit) == 0);
	}
}

/*
 * The programs built with CAPI_FUSE=1 (capi_*_fuse_test) run every case
 * against the sim's device mode: the library's character-device
 * (ioctl) transport.  Each case says which transport it ran.
 */
#ifndef CAPI_FUSE
#define	CAPI_FUSE	0
#endif
const int	capi_fuse = CAPI_FUSE;

void
sim_start(struct testsim *ts, const char *const *extra)
{
	char why[256];
	int error, i;

	cleanup_register();
	if (CAPI_FUSE && testsim_fuse_unusable(why, sizeof(why)) != 0)
		atf_tc_skip("%s", why);
	error = testsim_start_mode(ts, extra, CAPI_FUSE);
	if (error == EOPNOTSUPP)
		atf_tc_skip("vmmctl-sim --fuse: device mode unavailable here "
		    "(its message is above)");
	ATF_REQUIRE_MSG(error == 0, "testsim_start: %s", strerror(error));
	printf("transport: %s\n", testsim_transport(ts));
	for (i = 0; i < CLEANUP_MAX; i++)
		if (cleanup_sims[i].pid <= 0) {
			cleanup_sims[i] = *ts;
			break;
		}
}

void
sim_stop(struct testsim *ts)
{
	int i;

	for (i = 0; i < CLEANUP_MAX; i++)
		if (cleanup_sims[i].pid != 0 &&
		    strcmp(cleanup_sims[i].root, ts->root) == 0)
			cleanup_sims[i].pid = 0;
	ATF_CHECK_EQ(testsim_stop(ts), 0);
}

/* A copy of the file src at dst, mode 0755. */
static void
copy_exec(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	ATF_REQUIRE_MSG((in = open(src, O_RDONLY)) != -1, "%s", src);
	ATF_REQUIRE((out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0755)) != -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ATF_REQUIRE(write(out, buf, (size_t)n) == n);
	ATF_REQUIRE(n == 0);
	ATF_REQUIRE(fchmod(out, 0755) == 0);
	ATF_REQUIRE(close(out) == 0);
	(void)close(in);
}

/* 1 when <root>/vmmctl accepts a connection. */
static int
sim_listens(const char *root)
{
	struct sockaddr_un sun;
	int fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", root);
	ATF_REQUIRE((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	(void)close(fd);
	return (ok);
}

void
sim_start_as(struct testsim *ts, uid_t uid)
{
	struct timespec ms10 = { 0, 10000000L };
	char bindir[64], bin[96];
	pid_t pid;
	int fd, i, status;

	/* uid may not reach the build tree: it runs a copy of its own. */
	tmpdir_make(bindir, sizeof(bindir));
	ATF_REQUIRE(chmod(bindir, 0755) == 0);
	(void)snprintf(bin, sizeof(bin), "%s/vmmctl-sim", bindir);
	copy_exec(testsim_binary(), bin);
	(void)strcpy(ts->root, "/tmp/vmc.XXXXXX");
	ATF_REQUIRE(mkdtemp(ts->root) != NULL);
	ATF_REQUIRE(chown(ts->root, uid, (gid_t)uid) == 0);
	ATF_REQUIRE(chmod(ts->root, 0755) == 0);
	(void)fflush(stdout);
	(void)fflush(stderr);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			(void)dup2(fd, STDIN_FILENO);
		if (setgroups(0, NULL) == -1 || setgid((gid_t)uid) == -1 ||
		    setuid(uid) == -1)
			_exit(126);
		(void)execl(bin, "vmmctl-sim", "--root", ts->root, (char *)NULL);
		_exit(127);
	}
	ts->pid = pid;
	for (i = 0; i < CLEANUP_MAX; i++)
		if (cleanup_sims[i].pid == 0) {
			cleanup_sims[i] = *ts;
			break;
		}
	for (i = 0; i < 1000 && !sim_listens(ts->root); i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ts->pid = -1;
			atf_tc_fail("vmmctl-sim as uid %u exited during start-up "
			    "(status %#x)", (unsigned)uid, status);
		}
		(void)nanosleep(&ms10, NULL);
	}
	ATF_REQUIRE_MSG(i < 1000, "vmmctl-sim as uid %u not ready after 10 s",
	    (unsigned)uid);
}

void
sim_kill(struct testsim *ts)
{
	int i, status;

	for (i = 0; i < CLEANUP_MAX; i++)
		if (cleanup_sims[i].pid == ts->pid)
			cleanup_sims[i].pid = -1;
	ATF_REQUIRE(kill(ts->pid, SIGKILL) == 0);
	ATF_REQUIRE(waitpid(ts->pid, &status, 0) == ts->pid);
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "sim status %#x", status);
	ts->pid = -1;
}

/*
 * Every handle is checked to be the transport the program runs: a socket,
 * or (device mode) a regular file of a FUSE mount answering ioctl(2).
 */
vmmctl_t *
open_ok(const char *root, uint32_t flags)
{
	struct stat st;
	vmmctl_t *h = NULL;

	REQUIRE_OK(vmmctl_open(root, flags, &h));
	ATF_REQUIRE(h != NULL);
	ATF_REQUIRE(fstat(vmmctl_fd(h), &st) == 0);
	ATF_REQUIRE_MSG(CAPI_FUSE ? S_ISREG(st.st_mode) : S_ISSOCK(st.st_mode),
	    "the handle's descriptor is not the %s transport's (mode %o)",
	    CAPI_FUSE ? "ioctl" : "socket", (unsigned)st.st_mode);
	return (h);
}

size_t
list_all(vmmctl_t *h, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t size = 0, len = 0, n, i;
	int error;

	for (;;) {
		len = (size_t)-1;
		error = vmmctl_list(h, buf, size, &len);
		if (error != ERANGE)
			break;
		ATF_REQUIRE(len > size);
		size = len;
		ATF_REQUIRE((buf = realloc(buf, size)) != NULL);
	}
	REQUIRE_OK(error);
	ATF_REQUIRE(len <= size);
	n = 0;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	ATF_REQUIRE(len == 0 || buf[len - 1] == '\0');
	*bufp = buf;
	*lenp = len;
	return (n);
}

int
listed(vmmctl_t *h, const char *name)
{
	char *buf, *p;
	size_t len;
	int found = 0;

	(void)list_all(h, &buf, &len);
	for (p = buf; p < buf + len; p += strlen(p) + 1)
		if (strcmp(p, name) == 0)
			found = 1;
	free(buf);
	return (found);
}

int
fd_is_open(int fd)
{

	return (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

int
fd_cloexec(int fd)
{
	int fl;

	ATF_REQUIRE((fl = fcntl(fd, F_GETFD)) != -1);
	return ((fl & FD_CLOEXEC) != 0);
}

static int
run_fdcheck(int fd, const char *name)
{
	char helper[PATH_MAX], arg[16];
	const char *build;
	pid_t pid;
	int status;

	build = getenv("VMMCTL_BUILD");
	ATF_REQUIRE_MSG(build != NULL, "VMMCTL_BUILD not set");
	snprintf(helper, sizeof(helper), "%s/tests/capi/capi_fdcheck", build);
	snprintf(arg, sizeof(arg), "%d", fd);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		execl(helper, helper, arg, name, (char *)NULL);
		_exit(127);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) != 2 &&
	    WEXITSTATUS(status) != 127, "%s exited with status %d", helper,
	    status);
	return (WEXITSTATUS(status));
}

int
fd_survives_exec(int fd)
{
	int st;

	st = run_fdcheck(fd, NULL);
	ATF_REQUIRE_MSG(st <= 1, "capi_fdcheck: status %d", st);
	return (st == 0);
}

int
exec_adopt_create(int fd, const char *name)
{

	return (run_fdcheck(fd, name));
}

void
tmpdir_make(char *buf, size_t size)
{

	int i;

	/* Short: unix socket paths are limited to about 100 bytes. */
	snprintf(buf, size, "/tmp/capi.XXXXXX");
	ATF_REQUIRE(mkdtemp(buf) != NULL);
	cleanup_register();
	for (i = 0; i < CLEANUP_MAX; i++)
		if (cleanup_dirs[i][0] == '\0') {
			snprintf(cleanup_dirs[i], sizeof(cleanup_dirs[i]), "%s",
			    buf);
			break;
		}
}

void
send_fd(int sock, int fd)
{

	ATF_REQUIRE_EQ(fdpass_send(sock, fd), 0);
}

int
recv_fd(int sock)
{
	int fd;

	ATF_REQUIRE((fd = fdpass_recv(sock)) >= 0);
	return (fd);
}

int
fake_recv(int cfd, struct vmmctl_sim_hdr *hdr, int *chanp)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int)) + 256];
	} cbuf;
	unsigned char buf[sizeof(*hdr) + VMMCTL_SIM_MAX_PAYLOAD];
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	*chanp = -1;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	if ((n = recvmsg(cfd, &msg, 0)) < (ssize_t)sizeof(*hdr))
		return (-1);
	memcpy(hdr, buf, sizeof(*hdr));
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS)
			memcpy(chanp, CMSG_DATA(cm), sizeof(int));
	return (*chanp >= 0 ? 0 : -1);
}

/*
 * Plays a simulator for one connection: the script holds the replies, one
 * after the other (each a header and its hdr.len payload bytes); each
 * request gets the next one on its own channel.  Then it hangs up.
 */
static void
fake_serve(int lfd, const void *script, size_t len)
{
	const unsigned char *p = script;
	struct vmmctl_sim_hdr hdr, r;
	size_t off, rlen;
	int cfd, chan;

	if ((cfd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	for (off = 0; script != NULL && off < len; off += rlen) {
		if (fake_recv(cfd, &hdr, &chan) != 0)
			_exit(3);
		memcpy(&r, p + off, sizeof(r));
		rlen = sizeof(r) + r.len;
		if (off + rlen > len)
			rlen = len - off;
		if (send(chan, p + off, rlen, 0) != (ssize_t)rlen)
			_exit(4);
		(void)close(chan);
	}
	if (script == NULL && fake_recv(cfd, &hdr, &chan) != 0)
		_exit(3);
	_exit(0);
}

pid_t
fake_server(const char *dir, const void *reply, size_t len)
{
	struct sockaddr_un sun;
	pid_t pid;
	int lfd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(lfd, 4) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		fake_serve(lfd, reply, len);
	(void)close(lfd);
	return (pid);
}

void
fake_server_wait(pid_t pid)
{
	int status;

	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "fake server status %d", status);
}

int
is_root(void)
{

	return (geteuid() == 0);
}

int
run_unprivileged(const char *dir, int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (dir != NULL && chdir(dir) == -1)
			_exit(125);
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(126);
		_exit(fn(arg));
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status), "child status %d", status);
	ATF_REQUIRE_MSG(WEXITSTATUS(status) != 125, "chdir(%s) failed", dir);
	ATF_REQUIRE_MSG(WEXITSTATUS(status) != 126, "setuid(65534) failed");
	return (WEXITSTATUS(status));
}

/*
 * libatf-c does not free its test case list; with SANITIZE=1 LeakSanitizer
 * would fail every program for it.  The library's own allocations are not
 * suppressed.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{

	return ("leak:libatf-c.so\n");
}

/* ATF treats any output on stderr of the test case list as breakage. */
const char *
__lsan_default_options(void)
{

	return ("print_suppressions=0");
}
