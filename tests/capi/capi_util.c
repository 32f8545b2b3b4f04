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

void
sim_start(struct testsim *ts, const char *const *extra)
{
	int error, i;

	cleanup_register();
	error = testsim_start(ts, extra);
	ATF_REQUIRE_MSG(error == 0, "testsim_start: %s", strerror(error));
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

vmmctl_t *
open_ok(const char *root, uint32_t flags)
{
	vmmctl_t *h = NULL;

	REQUIRE_OK(vmmctl_open(root, flags, &h));
	ATF_REQUIRE(h != NULL);
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

size_t
count_listed(vmmctl_t *h)
{
	char *buf, *p;
	size_t len, n;

	(void)list_all(h, &buf, &len);
	for (p = buf, n = 0; p < buf + len; p += strlen(p) + 1)
		n++;
	free(buf);
	return (n);
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
