/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The vmmctl-sim transport: a unix socket at <root>/vmmctl, one connection
 * per open file description, speaking sys/sim/vmmctl_sim_proto.h (version
 * 2): every request is one message carrying its own reply channel and its
 * sender's credentials, so that the threads and processes sharing one
 * descriptor (dup, fork, SCM_RIGHTS) may all issue requests at once, each
 * answered as itself, as the kernel answers ioctls.
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
#include <pthread.h>
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

/* Room for this process's credentials in a request (Linux sends them). */
#if defined(__linux__)
#define	SIM_CRED_SPACE	CMSG_SPACE(sizeof(struct ucred))
#else
#define	SIM_CRED_SPACE	0
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

/*
 * A fresh reply channel: a SOCK_SEQPACKET pair, close-on-exec.  The sim
 * gets pair[1]; this request reads its one reply from pair[0].
 */
/*
 * The connection's lasting error: set once (error != 0), then returned to
 * every later request.
 */
static int
sim_broken(struct vmmctl *h, int error)
{
	int was;

	if (pthread_mutex_lock(&h->lock) != 0)
		return (error);
	was = h->broken;
	if (was == 0)
		h->broken = error;
	(void)pthread_mutex_unlock(&h->lock);
	return (was != 0 ? was : error);
}

static int
sim_channel(int pair[2])
{
	int error;

#ifdef SOCK_CLOEXEC
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1)
		return (errno);
#else
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) == -1)
		return (errno);
	(void)fcntl(pair[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(pair[1], F_SETFD, FD_CLOEXEC);
#endif
	if ((error = sim_nosigpipe(pair[0])) != 0) {
		(void)close(pair[0]);
		(void)close(pair[1]);
		return (error);
	}
	return (0);
}

/*
 * Sends one request as one message, with (Linux) this process's pid and
 * effective credentials, which the kernel checks, and the reply channel
 * chan attached (unless -1: a registered one).
 */
static int
sim_send(int fd, const void *frame, size_t len, int chan, pid_t pid)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int)) + SIM_CRED_SPACE];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)frame;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = (chan >= 0 ? CMSG_SPACE(sizeof(int)) : 0) +
	    SIM_CRED_SPACE;
	if (msg.msg_controllen == 0)
		msg.msg_control = NULL;
	cm = CMSG_FIRSTHDR(&msg);
	if (chan >= 0) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &chan, sizeof(int));
		cm = CMSG_NXTHDR(&msg, cm);
	}
#if defined(__linux__)
	{
		struct ucred uc;

		uc.pid = pid;
		uc.uid = geteuid();
		uc.gid = getegid();
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(cm), &uc, sizeof(uc));
	}
#else
	(void)pid;	/* the kernel attaches the credentials itself */
#endif
	do
		n = sendmsg(fd, &msg, SIM_SEND_FLAGS);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno);
	return ((size_t)n == len ? 0 : EPROTO);
}

/*
 * The one reply of a request, from its channel, into frame: its header in
 * *hdrp, its payload (at most max bytes) after it.  End of file: the sim
 * dropped the request (it went away, or the file was released).
 */
static int
sim_recv(int chan, char *frame, uint32_t max, struct vmmctl_sim_hdr *hdrp)
{
	ssize_t n;

	do
		n = recv(chan, frame, sizeof(*hdrp) + max + 1, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno);
	if (n == 0)
		return (ECONNRESET);
	if ((size_t)n < sizeof(*hdrp))
		return (EPROTO);
	memcpy(hdrp, frame, sizeof(*hdrp));
	if (hdrp->magic != VMMCTL_SIM_MAGIC ||
	    hdrp->version != VMMCTL_SIM_VERSION ||
	    hdrp->type != VMMCTL_SIM_T_REPLY || hdrp->len > max ||
	    hdrp->error < 0 || (size_t)n != sizeof(*hdrp) + hdrp->len)
		return (EPROTO);
	return (0);
}

/* A request's message: header (reply channel chanid) and payload. */
static size_t
sim_frame(char *frame, uint16_t type, uint32_t arg, const void *payload,
    uint32_t len, uint32_t chanid)
{
	struct vmmctl_sim_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = VMMCTL_SIM_MAGIC;
	hdr.version = VMMCTL_SIM_VERSION;
	hdr.type = type;
	hdr.arg = arg;
	hdr.len = len;
	hdr.chan = chanid;
	memcpy(frame, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(frame + sizeof(hdr), payload, len);
	return (sizeof(hdr) + len);
}

/* The reply in frame, its header in hdr, to the caller's buffers. */
static void
sim_answer(const char *frame, const struct vmmctl_sim_hdr *hdr, void *rbuf,
    uint32_t *rlenp, int *errp)
{

	if (hdr->len > 0 && rbuf != NULL)
		memcpy(rbuf, frame + sizeof(*hdr), hdr->len);
	*rlenp = hdr->len;
	*errp = hdr->error;
}

/*
 * One request and its reply, on a channel of its own (used once: for the
 * OPEN and the settling request, which need no registered channel).  The
 * reply payload (at most max bytes) lands in rbuf and its length in
 * *rlenp; the sim's errno in *errp.  A return value other than 0 is the
 * transport's error.
 */
static int
sim_exchange(int fd, uint16_t type, uint32_t arg, const void *payload,
    uint32_t len, void *rbuf, uint32_t max, uint32_t *rlenp, int *errp)
{
	char frame[sizeof(struct vmmctl_sim_hdr) + VMMCTL_SIM_MAX_PAYLOAD + 1];
	struct vmmctl_sim_hdr hdr;
	int chan[2], error;
	size_t n;

	n = sim_frame(frame, type, arg, payload, len, 0);
	if ((error = sim_channel(chan)) != 0)
		return (error);
	error = sim_send(fd, frame, n, chan[1], getpid());
	(void)close(chan[1]);
	if (error == 0)
		error = sim_recv(chan[0], frame, max, &hdr);
	(void)close(chan[0]);
	if (error == 0)
		sim_answer(frame, &hdr, rbuf, rlenp, errp);
	return (error);
}

/*
 * The handle's reply channel for this process: made and registered with
 * the next request (*attachp: the end to attach) the first time, and
 * again in a child after fork(2) (the parent's stays the parent's).
 * Called with the handle's lock held.
 */
static int
sim_own_channel(struct vmmctl *h, int *attachp)
{
	static pthread_mutex_t idlock = PTHREAD_MUTEX_INITIALIZER;
	static uint32_t lastid;
	int pair[2], error;

	*attachp = -1;
	if (h->chan >= 0 && h->chan_pid == getpid())
		return (0);
	if ((error = sim_channel(pair)) != 0)
		return (error);
	if (h->chan >= 0)
		(void)close(h->chan);	/* the parent's, inherited */
	h->chan = pair[0];
	*attachp = pair[1];
	h->chan_pid = getpid();
	(void)pthread_mutex_lock(&idlock);
	if (++lastid == 0)
		lastid = 1;
	h->chan_id = lastid;
	(void)pthread_mutex_unlock(&idlock);
	return (0);
}

/*
 * One ioctl request on the handle's registered channel, under the
 * handle's lock (one request at a time per handle and process; other
 * processes sharing the connection have channels of their own).
 */
static int
sim_exchange_handle(struct vmmctl *h, uint32_t arg, const void *payload,
    uint32_t len, void *rbuf, uint32_t max, uint32_t *rlenp, int *errp)
{
	char frame[sizeof(struct vmmctl_sim_hdr) + VMMCTL_SIM_MAX_PAYLOAD + 1];
	struct vmmctl_sim_hdr hdr;
	int attach, error;
	size_t n;

	if ((error = pthread_mutex_lock(&h->lock)) != 0)
		return (error);
	if ((error = h->broken) != 0 ||
	    (error = sim_own_channel(h, &attach)) != 0)
		goto out;
	n = sim_frame(frame, VMMCTL_SIM_T_IOCTL, arg, payload, len,
	    h->chan_id);
	/* sim_own_channel() made chan_pid this process's. */
	error = sim_send(h->fd, frame, n, attach, h->chan_pid);
	if (attach >= 0)
		(void)close(attach);
	if (error == 0)
		error = sim_recv(h->chan, frame, max, &hdr);
	if (error == 0)
		sim_answer(frame, &hdr, rbuf, rlenp, errp);
	/* The connection is gone; a failure of our own (EMFILE) is not. */
	if (error == EPIPE || error == ECONNRESET || error == ENOTCONN ||
	    error == EPROTO)
		h->broken = error;
out:
	(void)pthread_mutex_unlock(&h->lock);
	return (error);
}

static int
sim_socket(int inherit, int *fdp)
{
	int fd, error;

#ifdef SOCK_CLOEXEC
	/* Atomic close-on-exec: no window for a concurrent fork+exec. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | (inherit ? 0 : SOCK_CLOEXEC), 0);
	if (fd == -1)
		return (errno);
#else
	/* Systems without SOCK_CLOEXEC (macOS) have a short window here. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
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
	/*
	 * A simulator of protocol 1 listens on a stream socket: another
	 * protocol version, which vmmctl.h documents as EPROTO.
	 */
	if (rc == -1 && errno == EPROTOTYPE) {
		error = EPROTO;
		goto fail;
	}
	if (rc == -1)
		goto fail_errno;
	if ((error = sim_peer_check(fd, owner)) != 0)
		goto fail;

	error = sim_exchange(fd, VMMCTL_SIM_T_OPEN,
	    VMMCTL_SIM_FREAD | VMMCTL_SIM_FWRITE, NULL, 0, NULL, 0, &rlen,
	    &serr);
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
 * Is fd a SOCK_SEQPACKET socket connected to a vmmctl-sim?  Its peer must
 * be bound to "<root>/vmmctl"; *rootp gets a copy of <root>.  Nothing is sent: the
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
	    type != SOCK_SEQPACKET)
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
 * One ioctl request.  Returns the transport's error (0, or the connection
 * is gone for good: this and every later request fail so); the sim's
 * answer goes to *serrp.  The payload (len bytes) is copied back only on
 * success and only for IOC_OUT commands, as the kernel's copyout does.
 */
static int
sim_request(struct vmmctl *h, uint32_t cmd, void *arg, uint32_t len,
    int *serrp)
{
	char rbuf[VMMCTL_SIM_MAX_PAYLOAD];
	uint32_t rlen;
	int error;

	error = sim_exchange_handle(h, cmd, arg, len, rbuf, sizeof(rbuf),
	    &rlen, serrp);
	if (error == 0 && *serrp == 0 && (cmd & VMMCTL_SIM_IOC_OUT) != 0 &&
	    len > 0) {
		if (rlen != len)
			error = EPROTO;
		else
			memcpy(arg, rbuf, len);
	}
	if (error == EPROTO)
		(void)sim_broken(h, error);
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

/*
 * Returns once the sim serving root has handled every hang-up that
 * happened before this call: it handles them all before it answers any
 * request, so the answer to an OPEN on a fresh connection (whatever it
 * is) is enough.  A sim that is gone has nothing left to release.
 */
void
vmmctl_sim_settle(const char *root)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	int fd, n;


	n = snprintf(path, sizeof(path), "%s%svmmctl", root,
	    root[0] != '\0' && root[strlen(root) - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	if (vmmctl_sim_connect(root, path, 0, &fd) == 0)
		(void)close(fd);
}
