/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libvmmctl without a simulator: argument checking, names, messages,
 * version, and transport detection (what <root>/vmmctl is, fake servers
 * that misbehave, vmmctl_from_fd on descriptors that are not control
 * descriptors).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "vmmctl.h"
#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"
#include "capi_util.h"

/* ---- vmmctl_version ------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(version_matches_macros);
ATF_TC_BODY(version_matches_macros, tc)
{
	uint32_t v = vmmctl_version();

	ATF_CHECK_EQ(v >> 16, VMMCTL_VERSION_MAJOR);
	ATF_CHECK_EQ((v >> 8) & 0xff, VMMCTL_VERSION_MINOR);
	ATF_CHECK_EQ(v & 0xff, VMMCTL_VERSION_PATCH);
	ATF_CHECK_EQ(v, 0x010000u);
}

/* ---- vmmctl_check_name ---------------------------------------------- */

ATF_TC_WITHOUT_HEAD(check_name_rules);
ATF_TC_BODY(check_name_rules, tc)
{
	char name[VMMCTL_NAME_MAX + 2];

	REQUIRE_ERR(vmmctl_check_name(NULL), EINVAL);
	REQUIRE_ERR(vmmctl_check_name(""), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("."), EINVAL);
	REQUIRE_ERR(vmmctl_check_name(".."), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a/b"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("/"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("ab/"), EINVAL);
	REQUIRE_OK(vmmctl_check_name("a"));
	REQUIRE_OK(vmmctl_check_name("..."));
	REQUIRE_OK(vmmctl_check_name(".hidden"));
	REQUIRE_OK(vmmctl_check_name("guest-0_1.x"));
	/* What devfs refuses (the kernel's create check 9): spaces and '"'. */
	REQUIRE_ERR(vmmctl_check_name("with space"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name(" "), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a\tb"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a\nb"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a\vb"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a\fb"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("a\rb"), EINVAL);
	REQUIRE_ERR(vmmctl_check_name("say\"hi\""), EINVAL);
	/* Other bytes are the kernel's to take, UTF-8 included. */
	REQUIRE_OK(vmmctl_check_name("caf\xc3\xa9"));
	REQUIRE_OK(vmmctl_check_name("it's"));

	memset(name, 'x', sizeof(name));
	name[VMMCTL_NAME_MAX] = '\0';		/* exactly 229 bytes */
	REQUIRE_OK(vmmctl_check_name(name));
	name[VMMCTL_NAME_MAX] = 'x';
	name[VMMCTL_NAME_MAX + 1] = '\0';	/* 230 bytes */
	REQUIRE_ERR(vmmctl_check_name(name), ENAMETOOLONG);
	/* Too long wins over a '/' further on: the length is checked first. */
	name[VMMCTL_NAME_MAX] = '/';
	REQUIRE_ERR(vmmctl_check_name(name), ENAMETOOLONG);
}

/* ---- vmmctl_strerror ------------------------------------------------ */

ATF_TC_WITHOUT_HEAD(strerror_specific);
ATF_TC_BODY(strerror_specific, tc)
{

	ATF_CHECK(strstr(vmmctl_strerror(EPERM), "descriptor-scoped") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EPERM), "destroy") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EEXIST), "already in use") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENOENT), "No such VM") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENAMETOOLONG), "too long") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EINVAL), "VM name") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENOMEM), "limit") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENOMEM), "memory") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ERANGE), "small") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENODEV), "vmmctl") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ECONNREFUSED), "vmmctl-sim") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EPROTO), "protocol") != NULL);
	/* A missing device: vmm(4) not loaded, or a pre-/dev/vmmctl system. */
	ATF_CHECK(strstr(vmmctl_strerror(ENOENT), "vmm(4) is not loaded")
	    != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ENOENT), "predates /dev/vmmctl")
	    != NULL);
	/* A generation-1 kernel: what cannot be done, and what to do. */
	ATF_CHECK(strstr(vmmctl_strerror(EOPNOTSUPP), "FreeBSD 15.0") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EOPNOTSUPP), "persistent") != NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EOPNOTSUPP), "upgrade") != NULL);
}

ATF_TC_WITHOUT_HEAD(strerror_never_null);
ATF_TC_BODY(strerror_never_null, tc)
{
	static const int odd[] = { -1, -1000, INT_MIN, INT_MAX, 4096, 65536 };
	const char *m;
	size_t i;
	int e;

	for (e = 0; e < 512; e++) {
		m = vmmctl_strerror(e);
		ATF_REQUIRE_MSG(m != NULL && m[0] != '\0', "errno %d", e);
		/* Static: the same string every time. */
		ATF_REQUIRE(vmmctl_strerror(e) == m);
	}
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		m = vmmctl_strerror(odd[i]);
		ATF_REQUIRE_MSG(m != NULL && m[0] != '\0', "error %d", odd[i]);
	}
	/* Distinct messages for distinct documented errors. */
	ATF_CHECK(strcmp(vmmctl_strerror(EPERM), vmmctl_strerror(EACCES)) != 0);
	ATF_CHECK(strcmp(vmmctl_strerror(ENOENT), vmmctl_strerror(EINVAL)) != 0);
}

/* ---- NULL and bad arguments ----------------------------------------- */

ATF_TC_WITHOUT_HEAD(null_arguments);
ATF_TC_BODY(null_arguments, tc)
{
	char buf[8];
	size_t len;
	int fd;

	REQUIRE_ERR(vmmctl_open("/nonexistent", 0, NULL), EINVAL);
	REQUIRE_ERR(vmmctl_from_fd(0, NULL), EINVAL);
	ATF_CHECK_EQ(vmmctl_fd(NULL), -1);
	REQUIRE_OK(vmmctl_close(NULL));
	REQUIRE_ERR(vmmctl_create(NULL, "a", 0), EINVAL);
	REQUIRE_ERR(vmmctl_destroy(NULL, "a"), EINVAL);
	REQUIRE_ERR(vmmctl_list(NULL, buf, sizeof(buf), &len), EINVAL);
	REQUIRE_ERR(vmmctl_vm_open(NULL, "a", &fd), EINVAL);
	REQUIRE_ERR(vmmctl_ioctl(NULL, VMMCTL_VM_CREATE, buf), EINVAL);
	REQUIRE_ERR(vmmctl_check_name(NULL), EINVAL);
}

ATF_TC_WITHOUT_HEAD(open_bad_flags);
ATF_TC_BODY(open_bad_flags, tc)
{
	vmmctl_t *h = (vmmctl_t *)&h;	/* must stay untouched */

	REQUIRE_ERR(vmmctl_open("/nonexistent", 0x2, &h), EINVAL);
	REQUIRE_ERR(vmmctl_open("/nonexistent", 0x80000000u, &h), EINVAL);
	REQUIRE_ERR(vmmctl_open("/nonexistent", ~0u, &h), EINVAL);
	ATF_CHECK(h == (vmmctl_t *)&h);
}

/* ---- transport detection -------------------------------------------- */

ATF_TC_WITHOUT_HEAD(open_missing);
ATF_TC_BODY(open_missing, tc)
{
	char dir[64];
	vmmctl_t *h = NULL;

	tmpdir_make(dir, sizeof(dir));
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ENOENT);
	REQUIRE_ERR(vmmctl_open("/nonexistent/dir", 0, &h), ENOENT);
	REQUIRE_ERR(vmmctl_open("", 0, &h), ENOENT);
	ATF_CHECK(h == NULL);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_regular_file);
ATF_TC_BODY(open_regular_file, tc)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;
	int fd;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	ATF_REQUIRE((fd = open(path, O_CREAT | O_WRONLY, 0666)) != -1);
	(void)close(fd);
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ENODEV);
	ATF_CHECK(h == NULL);
	(void)unlink(path);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_directory);
ATF_TC_BODY(open_directory, tc)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	ATF_REQUIRE(mkdir(path, 0755) == 0);
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ENODEV);
	ATF_CHECK(h == NULL);
	(void)rmdir(path);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_fifo);
ATF_TC_BODY(open_fifo, tc)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	ATF_REQUIRE(mkfifo(path, 0666) == 0);
	/* Must not block opening the FIFO: it is refused by its type. */
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ENODEV);
	ATF_CHECK(h == NULL);
	(void)unlink(path);
	(void)rmdir(dir);
}

/*
 * A character device that is not vmmctl: /dev/null answers the probe with
 * ENOTTY.  A symlink reaches it without mknod(2) (stat follows it).
 */
ATF_TC_WITHOUT_HEAD(open_wrong_chardev);
ATF_TC_BODY(open_wrong_chardev, tc)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;
	int nfd, before;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	ATF_REQUIRE(symlink("/dev/null", path) == 0);
	/* No descriptor leaks from the failed open. */
	ATF_REQUIRE((before = dup(0)) != -1);
	(void)close(before);
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ENODEV);
	ATF_CHECK(h == NULL);
	ATF_REQUIRE((nfd = dup(0)) != -1);
	ATF_CHECK_EQ(nfd, before);
	(void)close(nfd);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* The kernel transport's default: /dev/vmmctl, absent on this host. */
ATF_TC_WITHOUT_HEAD(open_default_root);
ATF_TC_BODY(open_default_root, tc)
{
	struct stat st;
	vmmctl_t *h = NULL;
	int want;

	want = stat("/dev/vmmctl", &st) == -1 ? ENOENT : -1;
	if (want == -1)
		atf_tc_skip("/dev/vmmctl exists on this host");
	ATF_REQUIRE(unsetenv("VMMCTL_ROOT") == 0);
	REQUIRE_ERR(vmmctl_open(NULL, 0, &h), ENOENT);
	ATF_REQUIRE(setenv("VMMCTL_ROOT", "", 1) == 0);
	REQUIRE_ERR(vmmctl_open(NULL, 0, &h), ENOENT);
	REQUIRE_ERR(vmmctl_open("/dev", 0, &h), ENOENT);
	ATF_CHECK(h == NULL);
}

ATF_TC_WITHOUT_HEAD(open_env_root);
ATF_TC_BODY(open_env_root, tc)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;

	tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	ATF_REQUIRE(mkdir(path, 0755) == 0);
	/* $VMMCTL_ROOT is used: the directory there gives ENODEV. */
	ATF_REQUIRE(setenv("VMMCTL_ROOT", dir, 1) == 0);
	REQUIRE_ERR(vmmctl_open(NULL, 0, &h), ENODEV);
	/* An explicit root wins over it. */
	REQUIRE_ERR(vmmctl_open("/nonexistent", 0, &h), ENOENT);
	ATF_CHECK(h == NULL);
	(void)rmdir(path);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_name_too_long);
ATF_TC_BODY(open_name_too_long, tc)
{
	char *root;
	vmmctl_t *h = NULL;

	ATF_REQUIRE((root = malloc(PATH_MAX + 2)) != NULL);
	memset(root, 'r', PATH_MAX + 1);
	root[0] = '/';
	root[PATH_MAX + 1] = '\0';
	REQUIRE_ERR(vmmctl_open(root, 0, &h), ENAMETOOLONG);
	ATF_CHECK(h == NULL);
	free(root);
}

/*
 * A socket path that fits PATH_MAX but not sockaddr_un: a long directory
 * with a symlink to a short socket.
 */
ATF_TC_WITHOUT_HEAD(open_socket_path_too_long);
ATF_TC_BODY(open_socket_path_too_long, tc)
{
	char dir[64], longdir[256], link[300], sock[128];
	struct sockaddr_un sun;
	vmmctl_t *h = NULL;
	int lfd;

	tmpdir_make(dir, sizeof(dir));
	snprintf(longdir, sizeof(longdir), "%s/%0150d", dir, 0);
	ATF_REQUIRE(mkdir(longdir, 0755) == 0);
	snprintf(sock, sizeof(sock), "%s/s", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(lfd, 1) == 0);
	snprintf(link, sizeof(link), "%s/vmmctl", longdir);
	ATF_REQUIRE(symlink(sock, link) == 0);
	REQUIRE_ERR(vmmctl_open(longdir, 0, &h), ENAMETOOLONG);
	ATF_CHECK(h == NULL);
	(void)close(lfd);
	(void)unlink(link);
	(void)unlink(sock);
	(void)rmdir(longdir);
	(void)rmdir(dir);
}

/* A socket file nobody listens on: no simulator running. */
ATF_TC_WITHOUT_HEAD(open_refused);
ATF_TC_BODY(open_refused, tc)
{
	char dir[64];
	struct sockaddr_un sun;
	vmmctl_t *h = NULL;
	int lfd;

	tmpdir_make(dir, sizeof(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	(void)close(lfd);	/* the socket file stays, unserved */
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), ECONNREFUSED);
	ATF_CHECK(h == NULL);
	ATF_CHECK(strstr(vmmctl_strerror(ECONNREFUSED), "vmmctl-sim") != NULL);
	(void)unlink(sun.sun_path);
	(void)rmdir(dir);
}

static void
open_against_fake(const void *reply, size_t len, int want)
{
	char dir[64], path[128];
	vmmctl_t *h = NULL;
	pid_t pid;

	tmpdir_make(dir, sizeof(dir));
	pid = fake_server(dir, reply, len);
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), want);
	ATF_CHECK(h == NULL);
	fake_server_wait(pid);
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_garbage_reply);
ATF_TC_BODY(open_garbage_reply, tc)
{
	char junk[sizeof(struct vmmctl_sim_hdr)];

	memset(junk, 0xa5, sizeof(junk));
	open_against_fake(junk, sizeof(junk), EPROTO);
}

ATF_TC_WITHOUT_HEAD(open_wrong_version);
ATF_TC_BODY(open_wrong_version, tc)
{
	struct vmmctl_sim_hdr r;

	memset(&r, 0, sizeof(r));
	r.magic = VMMCTL_SIM_MAGIC;
	r.version = VMMCTL_SIM_VERSION + 1;
	r.type = VMMCTL_SIM_T_REPLY;
	open_against_fake(&r, sizeof(r), EPROTO);
}

/*
 * A sim that refuses our protocol version says EPROTONOSUPPORT: vmmctl.h
 * documents that as EPROTO.  Other refusals are passed on.
 */
ATF_TC_WITHOUT_HEAD(open_refused_by_sim);
ATF_TC_BODY(open_refused_by_sim, tc)
{
	struct vmmctl_sim_hdr r;

	memset(&r, 0, sizeof(r));
	r.magic = VMMCTL_SIM_MAGIC;
	r.version = VMMCTL_SIM_VERSION;
	r.type = VMMCTL_SIM_T_REPLY;
	r.error = EPROTONOSUPPORT;
	open_against_fake(&r, sizeof(r), EPROTO);
	r.error = EPERM;
	open_against_fake(&r, sizeof(r), EPERM);
}

/* A reply announcing an oversized payload is a protocol error. */
ATF_TC_WITHOUT_HEAD(open_oversized_reply);
ATF_TC_BODY(open_oversized_reply, tc)
{
	struct vmmctl_sim_hdr r;

	memset(&r, 0, sizeof(r));
	r.magic = VMMCTL_SIM_MAGIC;
	r.version = VMMCTL_SIM_VERSION;
	r.type = VMMCTL_SIM_T_REPLY;
	r.len = 1u << 30;
	open_against_fake(&r, sizeof(r), EPROTO);
}

/* The server hangs up without a reply: the simulator went away. */
ATF_TC_WITHOUT_HEAD(open_hangup);
ATF_TC_BODY(open_hangup, tc)
{

	open_against_fake(NULL, 0, ECONNRESET);
}

/* A simulator of protocol 1 (a stream socket): another version, EPROTO. */
ATF_TC_WITHOUT_HEAD(open_old_protocol);
ATF_TC_BODY(open_old_protocol, tc)
{
	char dir[64];
	struct sockaddr_un sun;
	vmmctl_t *h = NULL;
	int lfd;

	tmpdir_make(dir, sizeof(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(lfd, 1) == 0);
	REQUIRE_ERR(vmmctl_open(dir, 0, &h), EPROTO);
	ATF_CHECK(h == NULL);
	ATF_CHECK(strstr(vmmctl_strerror(EPROTO), "protocol version") != NULL);
	(void)close(lfd);
	(void)unlink(sun.sun_path);
	(void)rmdir(dir);
}

ATF_TC_WITHOUT_HEAD(open_sends_open_frame);
ATF_TC_BODY(open_sends_open_frame, tc)
{
	char dir[64];
	struct sockaddr_un sun;
	struct vmmctl_sim_hdr hdr, r;
	vmmctl_t *h = NULL;
	int lfd, cfd, chan;
	pid_t pid;

	tmpdir_make(dir, sizeof(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(lfd, 1) == 0);
	/* The client runs in a child; this process plays the sim. */
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		(void)close(lfd);
		_exit(vmmctl_open(dir, 0, &h) == 0 ? 0 : 1);
	}
	ATF_REQUIRE((cfd = accept(lfd, NULL, NULL)) != -1);
	ATF_REQUIRE_EQ(fake_recv(cfd, &hdr, &chan), 0);
	ATF_CHECK_EQ(hdr.magic, VMMCTL_SIM_MAGIC);
	ATF_CHECK_EQ(hdr.version, VMMCTL_SIM_VERSION);
	ATF_CHECK_EQ(hdr.type, VMMCTL_SIM_T_OPEN);
	ATF_CHECK_EQ(hdr.arg, VMMCTL_SIM_FREAD | VMMCTL_SIM_FWRITE);
	ATF_CHECK_EQ(hdr.len, 0);
	ATF_CHECK_EQ(hdr.error, 0);
	memset(&r, 0, sizeof(r));
	r.magic = VMMCTL_SIM_MAGIC;
	r.version = VMMCTL_SIM_VERSION;
	r.type = VMMCTL_SIM_T_REPLY;
	ATF_REQUIRE(send(chan, &r, sizeof(r), 0) == (ssize_t)sizeof(r));
	(void)close(chan);
	fake_server_wait(pid);
	(void)close(cfd);
	(void)close(lfd);
	(void)unlink(sun.sun_path);
	(void)rmdir(dir);
}

/*
 * A server that accepts the OPEN and then goes away: requests report the
 * hang-up, and keep reporting it; list and vm_open too (vmm/ is absent
 * here: an empty list only while a simulator is there to serve it).
 */
ATF_TC_WITHOUT_HEAD(server_gone_after_open);
ATF_TC_BODY(server_gone_after_open, tc)
{
	char dir[64], path[128], buf[16];
	struct vmmctl_sim_hdr r;
	vmmctl_t *h = NULL;
	size_t len;
	pid_t pid;
	int e, fd;

	memset(&r, 0, sizeof(r));
	r.magic = VMMCTL_SIM_MAGIC;
	r.version = VMMCTL_SIM_VERSION;
	r.type = VMMCTL_SIM_T_REPLY;
	tmpdir_make(dir, sizeof(dir));
	pid = fake_server(dir, &r, sizeof(r));
	REQUIRE_OK(vmmctl_open(dir, 0, &h));
	len = 1;
	e = vmmctl_list(h, buf, sizeof(buf), &len);
	ATF_CHECK_MSG(e == ECONNRESET || e == EPIPE, "list: %d", e);
	ATF_CHECK_EQ(len, 1);
	ATF_CHECK_EQ(vmmctl_vm_open(h, "vm", &fd), e);
	ATF_CHECK_EQ(vmmctl_create(h, "vm", 0), e);
	ATF_CHECK_EQ(vmmctl_list(h, buf, sizeof(buf), &len), e);
	REQUIRE_OK(vmmctl_close(h));
	fake_server_wait(pid);
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* A reply whose payload does not match the command's size. */
ATF_TC_WITHOUT_HEAD(reply_wrong_size);
ATF_TC_BODY(reply_wrong_size, tc)
{
	char dir[64], path[128];
	struct {
		struct vmmctl_sim_hdr	open;
		struct vmmctl_sim_hdr	ioctl;
		char			payload[4];
	} r;
	vmmctl_t *h = NULL;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	r.open.magic = r.ioctl.magic = VMMCTL_SIM_MAGIC;
	r.open.version = r.ioctl.version = VMMCTL_SIM_VERSION;
	r.open.type = r.ioctl.type = VMMCTL_SIM_T_REPLY;
	r.ioctl.len = sizeof(r.payload);
	tmpdir_make(dir, sizeof(dir));
	pid = fake_server(dir, &r, sizeof(r));
	REQUIRE_OK(vmmctl_open(dir, 0, &h));
	REQUIRE_ERR(vmmctl_create(h, "vm", 0), EPROTO);
	/* The stream cannot be trusted any more. */
	REQUIRE_ERR(vmmctl_create(h, "vm", 0), EPROTO);
	REQUIRE_OK(vmmctl_close(h));
	fake_server_wait(pid);
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* The IOC_OUT payload of a reply is copied back into the caller's argument. */
ATF_TC_WITHOUT_HEAD(reply_payload_copied);
ATF_TC_BODY(reply_payload_copied, tc)
{
	char dir[64], path[128];
	struct {
		struct vmmctl_sim_hdr	open;
		struct vmmctl_sim_hdr	ioctl;
		struct vmmctl_vm_create	payload;
	} r;
	struct vmmctl_vm_create vc;
	vmmctl_t *h = NULL;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	r.open.magic = r.ioctl.magic = VMMCTL_SIM_MAGIC;
	r.open.version = r.ioctl.version = VMMCTL_SIM_VERSION;
	r.open.type = r.ioctl.type = VMMCTL_SIM_T_REPLY;
	r.ioctl.len = sizeof(r.payload);
	strcpy(r.payload.name, "from-the-sim");
	r.payload.flags = 0x1;
	tmpdir_make(dir, sizeof(dir));
	pid = fake_server(dir, &r, sizeof(r));
	REQUIRE_OK(vmmctl_open(dir, 0, &h));
	memset(&vc, 0, sizeof(vc));
	strcpy(vc.name, "asked");
	REQUIRE_OK(vmmctl_ioctl(h, VMMCTL_VM_CREATE, &vc));
	ATF_CHECK_STREQ(vc.name, "from-the-sim");
	ATF_CHECK_EQ(vc.flags, 0x1);
	REQUIRE_OK(vmmctl_close(h));
	fake_server_wait(pid);
	snprintf(path, sizeof(path), "%s/vmmctl", dir);
	(void)unlink(path);
	(void)rmdir(dir);
}

/* ---- vmmctl_from_fd on things that are not control descriptors ------- */

ATF_TC_WITHOUT_HEAD(from_fd_bad);
ATF_TC_BODY(from_fd_bad, tc)
{
	vmmctl_t *h = NULL;
	int fd, sv[2], pfd[2];

	REQUIRE_ERR(vmmctl_from_fd(-1, &h), EBADF);
	REQUIRE_ERR(vmmctl_from_fd(-42, &h), EBADF);
	ATF_REQUIRE((fd = dup(0)) != -1);
	(void)close(fd);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), EBADF);

	ATF_REQUIRE((fd = open("/dev/null", O_RDWR)) != -1);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), ENODEV);
	ATF_CHECK(fd_is_open(fd));	/* left open on failure */
	(void)close(fd);

	ATF_REQUIRE((fd = open("/", O_RDONLY)) != -1);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), ENODEV);
	ATF_CHECK(fd_is_open(fd));
	(void)close(fd);

	ATF_REQUIRE(pipe(pfd) == 0);
	REQUIRE_ERR(vmmctl_from_fd(pfd[0], &h), ENODEV);
	ATF_CHECK(fd_is_open(pfd[0]));
	(void)close(pfd[0]);
	(void)close(pfd[1]);

	/* An unnamed unix socket: not connected to a vmmctl-sim. */
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_ERR(vmmctl_from_fd(sv[0], &h), ENODEV);
	ATF_CHECK(fd_is_open(sv[0]));
	(void)close(sv[0]);
	(void)close(sv[1]);

	/* A datagram socket. */
	ATF_REQUIRE((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) != -1);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), ENODEV);
	(void)close(fd);
	ATF_CHECK(h == NULL);
}

ATF_TC_WITHOUT_HEAD(from_fd_regular_file);
ATF_TC_BODY(from_fd_regular_file, tc)
{
	vmmctl_t *h = NULL;
	int fd;

	ATF_REQUIRE((fd = open("regular", O_CREAT | O_RDWR, 0600)) != -1);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), ENODEV);
	ATF_CHECK(fd_is_open(fd));
	ATF_CHECK(h == NULL);
	(void)close(fd);
}

/* A socket connected to a server whose path is not ".../vmmctl". */
ATF_TC_WITHOUT_HEAD(from_fd_other_server);
ATF_TC_BODY(from_fd_other_server, tc)
{
	char dir[64];
	struct sockaddr_un sun;
	vmmctl_t *h = NULL;
	int lfd, fd;

	tmpdir_make(dir, sizeof(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/other", dir);
	ATF_REQUIRE((lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ATF_REQUIRE(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(lfd, 1) == 0);
	ATF_REQUIRE((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) != -1);
	ATF_REQUIRE(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	REQUIRE_ERR(vmmctl_from_fd(fd, &h), ENODEV);
	ATF_CHECK(fd_is_open(fd));
	ATF_CHECK(h == NULL);
	(void)close(fd);
	(void)close(lfd);
	(void)unlink(sun.sun_path);
	(void)rmdir(dir);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, version_matches_macros);
	ATF_TP_ADD_TC(tp, check_name_rules);
	ATF_TP_ADD_TC(tp, strerror_specific);
	ATF_TP_ADD_TC(tp, strerror_never_null);
	ATF_TP_ADD_TC(tp, null_arguments);
	ATF_TP_ADD_TC(tp, open_bad_flags);
	ATF_TP_ADD_TC(tp, open_missing);
	ATF_TP_ADD_TC(tp, open_regular_file);
	ATF_TP_ADD_TC(tp, open_directory);
	ATF_TP_ADD_TC(tp, open_fifo);
	ATF_TP_ADD_TC(tp, open_wrong_chardev);
	ATF_TP_ADD_TC(tp, open_default_root);
	ATF_TP_ADD_TC(tp, open_env_root);
	ATF_TP_ADD_TC(tp, open_name_too_long);
	ATF_TP_ADD_TC(tp, open_socket_path_too_long);
	ATF_TP_ADD_TC(tp, open_refused);
	ATF_TP_ADD_TC(tp, open_garbage_reply);
	ATF_TP_ADD_TC(tp, open_wrong_version);
	ATF_TP_ADD_TC(tp, open_refused_by_sim);
	ATF_TP_ADD_TC(tp, open_oversized_reply);
	ATF_TP_ADD_TC(tp, open_hangup);
	ATF_TP_ADD_TC(tp, open_sends_open_frame);
	ATF_TP_ADD_TC(tp, open_old_protocol);
	ATF_TP_ADD_TC(tp, server_gone_after_open);
	ATF_TP_ADD_TC(tp, reply_wrong_size);
	ATF_TP_ADD_TC(tp, reply_payload_copied);
	ATF_TP_ADD_TC(tp, from_fd_bad);
	ATF_TP_ADD_TC(tp, from_fd_regular_file);
	ATF_TP_ADD_TC(tp, from_fd_other_server);
	return (atf_no_error());
}
