/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The vmmctl-sim transport: a unix socket at <root>/vmmctl, one connection
 * per open file description, speaking sys/sim/vmmctl_sim_proto.h.
 *
 * Known limitation: requests are serialised per handle with a mutex, which
 * covers every thread of one process.  Two PROCESSES that share one
 * connection (fork, or the descriptor passed over SCM_RIGHTS) must not issue
 * requests at the same instant: both write to and read from the same
 * stream, so a reply could be read by the wrong process.  Ownership sharing
 * itself is exact (it is the sim's open file), only concurrent requests are
 * affected; the character device has no such limit.  Likewise a child
 * forked while another thread was mid-request must not use the inherited
 * handle (its copy of the lock may be held); it may adopt a dup(2) of the
 * descriptor with vmmctl_from_fd() instead.
 */

#ifdef __linux__
#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1	/* struct ucred, for SO_PEERCRED */
#endif
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"
#include "vmmctl_impl.h"

/*
 * A dead sim must give EPIPE, not SIGPIPE: MSG_NOSIGNAL where it exists
 * (Linux, FreeBSD), else SO_NOSIGPIPE on the socket (macOS).
 */
#ifdef MSG_NOSIGNAL
#define	SIM_SEND_FLAGS	MSG_NOSIGNAL
#else
#define	SIM_SEND_FLAGS	0
#endif

static int
sim_nosigpipe(int fd)
{
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on)) == -1)
		return (errno);
#else
	(void)fd;
#endif
	return (0);
}

static int
sim_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, SIM_SEND_FLAGS);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* End of stream before a whole frame: the sim went away. */
static int
sim_read(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (errno);
		}
		if (n == 0)
			return (ECONNRESET);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * The reply into frame: its header in *hdrp, its payload (at most max bytes)
 * after the header.  The sim writes a reply with one send, so one recv
 * usually takes it whole; asking for no more than the largest reply this
 * request can get never reads into the next one.
 */
static int
sim_read_reply(int fd, char *frame, uint32_t max, struct vmmctl_sim_hdr *hdrp)
{
	size_t have, want;
	ssize_t n;
	int error;

	want = sizeof(*hdrp) + max;
	do
		n = recv(fd, frame, want, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno);
	if (n == 0)
		return (ECONNRESET);
	have = (size_t)n;
	if (have < sizeof(*hdrp) && (error = sim_read(fd, frame + have,
	    sizeof(*hdrp) - have)) != 0)
		return (error);
	memcpy(hdrp, frame, sizeof(*hdrp));
	if (hdrp->magic != VMMCTL_SIM_MAGIC ||
	    hdrp->version != VMMCTL_SIM_VERSION ||
	    hdrp->type != VMMCTL_SIM_T_REPLY || hdrp->len > max ||
	    hdrp->error < 0)
		return (EPROTO);
	have = have < sizeof(*hdrp) ? sizeof(*hdrp) : have;
	if (have > sizeof(*hdrp) + hdrp->len)
		return (EPROTO);	/* more than one reply: not ours */
	return (sim_read(fd, frame + have, sizeof(*hdrp) + hdrp->len - have));
}

/*
 * One request and its reply.  The reply payload (at most max bytes) lands in
 * rbuf and its length in *rlenp; the sim's errno in *errp.  A return value
 * other than 0 means the stream is unusable.
 */
static int
sim_exchange(int fd, uint16_t type, uint32_t arg, const void *payload,
    uint32_t len, void *rbuf, uint32_t max, uint32_t *rlenp, int *errp)
{
	struct vmmctl_sim_hdr hdr;
	char frame[sizeof(hdr) + VMMCTL_SIM_MAX_PAYLOAD];
	int error;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = VMMCTL_SIM_MAGIC;
	hdr.version = VMMCTL_SIM_VERSION;
	hdr.type = type;
	hdr.arg = arg;
	hdr.len = len;
	/* One send per frame: fewer wakeups of the sim. */
	memcpy(frame, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(frame + sizeof(hdr), payload, len);
	if ((error = sim_write(fd, frame, sizeof(hdr) + len)) != 0)
		return (error);

	if ((error = sim_read_reply(fd, frame, max, &hdr)) != 0)
		return (error);
	if (hdr.len > 0)
		memcpy(rbuf, frame + sizeof(hdr), hdr.len);
	*rlenp = hdr.len;
	*errp = hdr.error;
	return (0);
}

static int
sim_socket(int inherit, int *fdp)
{
	int fd, error;

#ifdef SOCK_CLOEXEC
	/* Atomic close-on-exec: no window for a concurrent fork+exec. */
	fd = socket(AF_UNIX, SOCK_STREAM | (inherit ? 0 : SOCK_CLOEXEC), 0);
	if (fd == -1)
		return (errno);
#else
	/* Systems without SOCK_CLOEXEC (macOS) have a short window here. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1)
		return (errno);
	if (!inherit && fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		error = errno;
		(void)close(fd);
		return (error);
	}
#endif
	if ((error = sim_nosigpipe(fd)) != 0) {
		(void)close(fd);
		return (error);
	}
	*fdp = fd;
	return (0);
}

/*
 * The directory that holds the socket, opened once: its owner is the user
 * trusted to serve the socket, and the connection goes through the same
 * descriptor where the system allows it.  Search access is enough; the
 * links of the path the caller gave are followed, as by any open(2).
 */
#if defined(O_PATH)
#define	SIM_DIR_FLAGS	(O_PATH | O_DIRECTORY | O_CLOEXEC)
#elif defined(O_SEARCH)
#define	SIM_DIR_FLAGS	(O_SEARCH | O_DIRECTORY | O_CLOEXEC)
#else
#define	SIM_DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

static int
sim_dir_open(const char *root, int *dfdp, uid_t *ownerp)
{
	struct stat st;
	int dfd, error;

	do
		dfd = open(root, SIM_DIR_FLAGS);
	while (dfd == -1 && errno == EINTR);
	if (dfd == -1)
		return (errno);
	if (fstat(dfd, &st) == -1) {
		error = errno;
		(void)close(dfd);
		return (error);
	}
	*dfdp = dfd;
	*ownerp = st.st_uid;
	return (0);
}

/*
 * connect(2) to "vmmctl" in the directory dfd: FreeBSD's connectat(2), or
 * on Linux the path through the descriptor in /proc/self/fd, so that no
 * rename of a path component between the directory's fstat(2) and the
 * connect can swap in another directory.  Elsewhere, and on Linux without
 * /proc, the path itself (whose length the caller checked).
 */
static int
sim_connect_dir(int fd, int dfd, const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
#if defined(__FreeBSD__)
	(void)path;
	(void)strcpy(sun.sun_path, "vmmctl");
	return (connectat(dfd, fd, (struct sockaddr *)&sun, sizeof(sun)));
#else
#if defined(__linux__)
	if (access("/proc/self/fd", X_OK) == 0) {
		(void)snprintf(sun.sun_path, sizeof(sun.sun_path),
		    "/proc/self/fd/%d/vmmctl", dfd);
		return (connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
	}
#else
	(void)dfd;
#endif
	(void)strcpy(sun.sun_path, path);
	return (connect(fd, (struct sockaddr *)&sun, sizeof(sun)));
#endif
}

/* The effective uid of the process that listens on the socket fd. */
static int
sim_peer_uid(int fd, uid_t *uidp)
{
#if defined(SO_PEERCRED) && defined(__linux__)
	struct ucred uc;
	socklen_t len;

	len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return (errno);
	*uidp = uc.uid;
#else
	gid_t gid;

	/* FreeBSD, macOS, the other BSDs: LOCAL_PEERCRED underneath. */
	if (getpeereid(fd, uidp, &gid) == -1)
		return (errno);
#endif
	return (0);
}

/*
 * Whoever may bind a name in a directory may listen there: in a shared
 * (sticky, world-writable) one that is anyone.  A simulator runs as root
 * or as the owner of its root directory; any other listener is refused
 * before a byte is sent to it, with ECANCELED (vmmctl.h).
 */
static int
sim_peer_check(int fd, uid_t owner)
{
	uid_t uid;
	int error;

	uid = (uid_t)-1;	/* no one */
	if ((error = sim_peer_uid(fd, &uid)) != 0)
		return (error);
	if (uid != 0 && uid != owner)
		return (ECANCELED);
	return (0);
}

/*
 * Connect to the sim at path, "<root>/vmmctl", check who serves it and
 * open the file read-write.  connect(2) without write permission on the
 * socket fails with EACCES, the sim answers EPERM to an open without write
 * access: both are returned as is.
 */
int
vmmctl_sim_connect(const char *root, const char *path, int inherit,
    int *fdp)
{
	struct sockaddr_un sun;
	uint32_t rlen;
	uid_t owner;
	int dfd = -1, fd = -1, error, serr, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return (ENAMETOOLONG);
	owner = 0;	/* root only, should it stay unset */
	if ((error = sim_dir_open(root, &dfd, &owner)) != 0)
		return (error);
	if ((error = sim_socket(inherit, &fd)) != 0)
		goto fail;
	rc = sim_connect_dir(fd, dfd, path);
	/*
	 * An interrupted connect goes on asynchronously and may not be
	 * restarted: wait for it by polling its result.
	 */
	if (rc == -1 && errno == EINTR) {
		socklen_t sl = sizeof(error);
		struct pollfd pfd;

		pfd.fd = fd;
		pfd.events = POLLOUT;
		while (poll(&pfd, 1, -1) == -1)
			if (errno != EINTR)
				goto fail_errno;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &sl) == -1)
			goto fail_errno;
		rc = 0;
		if (error != 0)
			goto fail;
	}
	if (rc == -1)
		goto fail_errno;
	if ((error = sim_peer_check(fd, owner)) != 0)
		goto fail;

	error = sim_exchange(fd, VMMCTL_SIM_T_OPEN,
	    VMMCTL_SIM_FREAD | VMMCTL_SIM_FWRITE, NULL, 0, NULL, 0, &rlen,
	    &serr);
	/* A sim of another protocol version: vmmctl.h documents EPROTO. */
	if (error == 0)
		error = serr == EPROTONOSUPPORT ? EPROTO : serr;
	if (error != 0)
		goto fail;
	(void)close(dfd);
	*fdp = fd;
	return (0);
fail_errno:
	error = errno;
fail:
	if (fd != -1)
		(void)close(fd);
	(void)close(dfd);
	return (error);
}

/*
 * Is fd a stream socket connected to a vmmctl-sim?  Its peer must be bound
 * to "<root>/vmmctl"; *rootp gets a copy of <root>.  Nothing is sent: the
 * descriptor may be shared with another process that is mid-request.
 */
int
vmmctl_sim_probe(int fd, char **rootp)
{
	struct sockaddr_un sun;
	socklen_t sl;
	size_t len;
	char *root;
	int type;

	sl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
	    type != SOCK_STREAM)
		return (ENODEV);
	memset(&sun, 0, sizeof(sun));
	sl = sizeof(sun);
	if (getpeername(fd, (struct sockaddr *)&sun, &sl) == -1 ||
	    sun.sun_family != AF_UNIX)
		return (ENODEV);
	if (sl <= offsetof(struct sockaddr_un, sun_path))
		return (ENODEV);	/* unnamed peer, e.g. socketpair(2) */
	sl -= offsetof(struct sockaddr_un, sun_path);
	if (sl > sizeof(sun.sun_path))
		sl = sizeof(sun.sun_path);
	len = strnlen(sun.sun_path, sl);
	/* "/vmmctl" or "<root>/vmmctl"; an abstract address starts with NUL */
	if (len < 7 || strncmp(sun.sun_path + len - 7, "/vmmctl", 7) != 0)
		return (ENODEV);
	len -= 7;
	if ((root = malloc(len + 2)) == NULL)
		return (ENOMEM);
	if (len == 0)
		strcpy(root, "/");
	else {
		memcpy(root, sun.sun_path, len);
		root[len] = '\0';
	}
	if (sim_nosigpipe(fd) != 0) {
		free(root);
		return (ENODEV);
	}
	*rootp = root;
	return (0);
}

/*
 * One ioctl request on the handle's stream, under its lock.  Returns the
 * transport's error (0, or the stream is broken for good: this and every
 * later request fail so); the sim's answer goes to *serrp.  The payload
 * (len bytes) is copied back only on success and only for IOC_OUT
 * commands, as the kernel's copyout does.
 */
static int
sim_request(struct vmmctl *h, uint32_t cmd, void *arg, uint32_t len,
    int *serrp)
{
	char rbuf[VMMCTL_SIM_MAX_PAYLOAD];
	uint32_t rlen;
	int error;

	if ((error = pthread_mutex_lock(&h->lock)) != 0)
		return (error);
	if ((error = h->broken) != 0)
		goto out;
	error = sim_exchange(h->fd, VMMCTL_SIM_T_IOCTL, cmd, arg, len, rbuf,
	    sizeof(rbuf), &rlen, serrp);
	if (error == 0 && *serrp == 0 && (cmd & VMMCTL_SIM_IOC_OUT) != 0 &&
	    len > 0) {
		if (rlen != len)
			error = EPROTO;
		else
			memcpy(arg, rbuf, len);
	}
	h->broken = error;
out:
	(void)pthread_mutex_unlock(&h->lock);
	return (error);
}

/* Forward one ioctl; the payload is the command's IOCPARM_LEN bytes. */
int
vmmctl_sim_ioctl(struct vmmctl *h, unsigned long cmd, void *arg)
{
	uint32_t len;
	int error, serr;

	if (cmd > UINT32_MAX)
		return (ENOTTY);
	len = VMMCTL_SIM_CMD_LEN((uint32_t)cmd);
	/*
	 * The sim answers an oversized frame with EPROTO and hangs up, which
	 * would release the file and every VM it owns.  No command it knows
	 * is that large, so this is the ENOTTY it would give.
	 */
	if (len > VMMCTL_SIM_MAX_PAYLOAD)
		return (ENOTTY);
	if ((error = sim_request(h, (uint32_t)cmd, arg, len, &serr)) != 0)
		return (error);
	return (serr);
}

/*
 * One request the sim refuses before any lookup (destroying "": EINVAL),
 * for its side effects: the sim handles every pending hang-up before it
 * serves a request, and a dead sim shows.  0 when the sim answered, else
 * the transport's error.
 */
int
vmmctl_sim_sync(struct vmmctl *h)
{
	struct vmmctl_vm_destroy vd;
	int serr;

	memset(&vd, 0, sizeof(vd));
	return (sim_request(h, (uint32_t)VMMCTL_VM_DESTROY, &vd, sizeof(vd),
	    &serr));
}
