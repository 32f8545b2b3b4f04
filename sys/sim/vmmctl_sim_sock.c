/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator's socket transport: every endpoint <root>[/jails/J]/vmmctl
 * is a listening unix socket; every accepted connection is one open file
 * description of the control device, speaking vmmctl_sim_proto.h.
 *
 * One thread serves a simulator: one poll(2) loop over the wake pipe
 * (vmmctl_sim_stop()), the listeners and the connections.  Sockets are
 * non-blocking and every connection has its own input buffer of one frame,
 * so a client that stalls mid-frame never blocks anyone else.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_sim_var.h"

/* A client gone mid-reply is an error return, never SIGPIPE. */
#ifdef MSG_NOSIGNAL
#define	SIM_SEND_FLAGS	MSG_NOSIGNAL
#else
#define	SIM_SEND_FLAGS	0
#endif

static int
sun_fill(struct sockaddr_un *sun, const char *dir)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/vmmctl", dir);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
		return (ENAMETOOLONG);
	return (0);
}

/* "<dir>/vmmctl", if it fits a socket address. */
int
sim_sock_path(char *buf, size_t size, const char *dir)
{
	struct sockaddr_un sun;
	int error;

	if ((error = sun_fill(&sun, dir)) != 0)
		return (error);
	if (strlen(sun.sun_path) >= size)
		return (ENAMETOOLONG);
	strcpy(buf, sun.sun_path);
	return (0);
}

/* 1 when something accepts connections at <dir>/vmmctl. */
int
sim_sock_alive(const char *dir)
{
	struct sockaddr_un sun;
	int fd, ok;

	if (sun_fill(&sun, dir) != 0)
		return (0);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return (0);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	(void)close(fd);
	return (ok);
}

static int
nosigpipe(int fd)
{
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on)) != 0)
		return (errno);
#else
	(void)fd;
#endif
	return (0);
}

int
sim_sock_listen(struct vmmctl_sim *sim, struct sim_ep *ep)
{
	struct sockaddr_un sun;
	int error;

	if ((error = sun_fill(&sun, ep->dir)) != 0)
		return (error);
	if (sim->pfd == NULL && (sim->pfd = calloc(1 + sim->neps,
	    sizeof(*sim->pfd))) == NULL)
		return (ENOMEM);
	if (sim->spare_fd < 0)
		sim->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	(void)unlink(sun.sun_path);
	if ((ep->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return (errno);
	if ((error = sim_set_cloexec_nonblock(ep->fd)) != 0)
		goto fail;
	if (bind(ep->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		error = errno;
		goto fail;
	}
	ep->bound = 1;
	/* Owner and mode as /dev/vmmctl's for the generation. */
	if ((error = sim_ctl_perm(sim, sun.sun_path)) != 0)
		goto fail;
	if (listen(ep->fd, 128) != 0) {
		error = errno;
		goto fail;
	}
	return (0);
fail:
	(void)close(ep->fd);
	ep->fd = -1;
	return (error);
}

/* ------------------------------------------------------------------ */
/* Connections. */

static void
conn_close(struct vmmctl_sim *sim, size_t i)
{
	struct sim_conn *c = sim->conns[i];

	/* The last reference to the open file is gone. */
	if (c->file != NULL)
		vmmctl_kern_release(c->file);
	(void)close(c->fd);
	free(c);
	sim->conns[i] = sim->conns[--sim->nconns];
}

static int
peer_cred(int fd, struct vmmctl_cred *cred)
{
#if defined(SO_PEERCRED) && defined(__linux__)
	struct ucred uc;
	socklen_t len;

	len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return (errno);
	cred->uid = (uint32_t)uc.uid;
	cred->ruid = sim_pid_ruid((long)uc.pid, cred->uid);
	cred->gid = (uint32_t)uc.gid;
#else
	uid_t uid;
	gid_t gid;

	/* FreeBSD, macOS, the other BSDs: LOCAL_PEERCRED underneath. */
	if (getpeereid(fd, &uid, &gid) != 0)
		return (errno);
	cred->uid = (uint32_t)uid;
	cred->ruid = cred->uid;	/* getpeereid() knows no more */
	cred->gid = (uint32_t)gid;
#endif
	return (0);
}

static int
conn_grow(struct vmmctl_sim *sim)
{
	struct sim_conn **cv;
	struct pollfd *pv;
	size_t cap;

	if (sim->nconns < sim->conncap)
		return (0);
	cap = sim->conncap == 0 ? 16 : sim->conncap * 2;
	if ((cv = realloc(sim->conns, cap * sizeof(*cv))) == NULL)
		return (ENOMEM);
	sim->conns = cv;
	if ((pv = realloc(sim->pfd, (1 + sim->neps + cap) * sizeof(*pv))) ==
	    NULL)
		return (ENOMEM);
	sim->pfd = pv;
	sim->conncap = cap;
	return (0);
}

/*
 * Out of descriptors: the pending connection would keep the listener
 * readable forever (a busy loop).  Give up the spare descriptor, accept
 * and drop the client, and take the spare back.
 */
static void
accept_shed(struct vmmctl_sim *sim, int lfd)
{
	int fd;

	if (sim->spare_fd >= 0) {
		(void)close(sim->spare_fd);
		sim->spare_fd = -1;
	}
	if ((fd = accept(lfd, NULL, NULL)) >= 0)
		(void)close(fd);
	sim->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
ep_accept(struct vmmctl_sim *sim, struct sim_ep *ep)
{
	struct vmmctl_cred cred;
	int fd, n;

	/* A bounded batch: the connections must get their turn too. */
	for (n = 0; n < 64; n++) {
		fd = accept(ep->fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_shed(sim, ep->fd);
			return;	/* EAGAIN, ECONNABORTED, EINTR, ... */
		}
		cred.jail = ep->jail;
		if (peer_cred(fd, &cred) != 0 ||
		    sim_sock_adopt(sim, fd, &cred) != 0)
			(void)close(fd);
	}
}

/*
 * A connected socket becomes one open file description of the caller
 * cred (not yet opened: its first frame must be OPEN).
 */
int
sim_sock_adopt(struct vmmctl_sim *sim, int fd, const struct vmmctl_cred *cred)
{
	struct sim_conn *c;
	int error;

	if ((error = sim_set_cloexec_nonblock(fd)) != 0 ||
	    (error = nosigpipe(fd)) != 0 || (error = conn_grow(sim)) != 0)
		return (error);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (ENOMEM);
	c->fd = fd;
	c->cred = *cred;
	sim->conns[sim->nconns++] = c;
	return (0);
}

/* How many bytes the frame in c->buf still needs (0: complete). */
static size_t
frame_need(const struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;

	if (c->have < sizeof(h))
		return (sizeof(h) - c->have);
	memcpy(&h, c->buf, sizeof(h));
	/* h.len was bounded by frame_check before any payload was read. */
	return (sizeof(h) + h.len - c->have);
}

/*
 * The header's own validity: 0, or the errno of a fatal protocol error
 * (the reply is sent and the connection closed).
 */
static int
frame_check(const struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;

	memcpy(&h, c->buf, sizeof(h));
	if (h.magic != VMMCTL_SIM_MAGIC)
		return (EPROTO);
	if (h.version != VMMCTL_SIM_VERSION)
		return (EPROTONOSUPPORT);
	if (h.type != VMMCTL_SIM_T_OPEN && h.type != VMMCTL_SIM_T_IOCTL)
		return (EPROTO);
	if (h.len > VMMCTL_SIM_MAX_PAYLOAD)
		return (EPROTO);
	/* OPEN first, and only first. */
	if ((h.type == VMMCTL_SIM_T_OPEN) != (c->file == NULL))
		return (EPROTO);
	return (0);
}

/*
 * A reply, written without blocking.  A client that cannot take 4 KiB is
 * not reading its replies: 0 or -1 (drop it).
 */
static int
conn_reply(struct sim_conn *c, int error, const void *payload, uint32_t len)
{
	unsigned char out[SIM_FRAME_MAX];
	struct vmmctl_sim_hdr h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.magic = VMMCTL_SIM_MAGIC;
	h.version = VMMCTL_SIM_VERSION;
	h.type = VMMCTL_SIM_T_REPLY;
	h.error = error;
	h.len = len;
	memcpy(out, &h, sizeof(h));
	if (len > 0)
		memcpy(out + sizeof(h), payload, len);
	do
		n = send(c->fd, out, sizeof(h) + len, SIM_SEND_FLAGS);
	while (n < 0 && errno == EINTR);
	return (n == (ssize_t)(sizeof(h) + len) ? 0 : -1);
}

/* Serves the complete frame in c->buf: 0, or -1 to close the connection. */
static int
conn_serve(struct vmmctl_sim *sim, struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;
	unsigned char *data;
	int error, fflags;

	memcpy(&h, c->buf, sizeof(h));
	data = c->buf + sizeof(h);
	c->have = 0;
	if (h.type == VMMCTL_SIM_T_OPEN) {
		fflags = 0;
		if (h.arg & VMMCTL_SIM_FREAD)
			fflags |= VMMCTL_KF_READ;
		if (h.arg & VMMCTL_SIM_FWRITE)
			fflags |= VMMCTL_KF_WRITE;
		error = vmmctl_kern_open(sim->kern, &c->cred, fflags, &c->file);
		if (error != 0)
			c->file = NULL;
		if (conn_reply(c, error, NULL, 0) != 0 || error != 0)
			return (-1);
		return (0);
	}
	if (h.len != VMMCTL_SIM_CMD_LEN(h.arg))
		return (conn_reply(c, EINVAL, NULL, 0));
	error = vmmctl_kern_ioctl(c->file, &c->cred, h.arg, data, h.len);
	if ((h.arg & VMMCTL_SIM_IOC_OUT) != 0)
		return (conn_reply(c, error, data, h.len));
	return (conn_reply(c, error, NULL, 0));
}

/*
 * Reads what the socket has of the current frame, never past it, checking
 * the header before a payload byte is read.  Marks a hang-up on EOF or a
 * fatal error.
 */
static void
conn_read(struct sim_conn *c)
{
	size_t need;
	ssize_t n;
	int error;

	while ((need = frame_need(c)) > 0) {
		n = recv(c->fd, c->buf + c->have, need, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->hangup = 1;
			return;
		}
		c->have += (size_t)n;
		if (c->have == sizeof(struct vmmctl_sim_hdr) &&
		    (error = frame_check(c)) != 0) {
			(void)conn_reply(c, error, NULL, 0);
			c->hangup = 1;
			return;
		}
	}
}

/*
 * Every hang-up pending now.  A zero-timeout poll taken after this round's
 * input was read: a close() that happened before any request we are about
 * to serve is seen here.  POLLHUP means the peer's end is gone (both
 * directions shut).  A hung-up client's unserved frames are dropped:
 * nobody can read their replies, and the release undoes a scoped create
 * anyway.  Without POLLHUP, a peek telling EOF catches systems that only
 * report POLLIN.
 */
static void
sweep_hangups(struct vmmctl_sim *sim)
{
	struct pollfd *p;
	unsigned char b;
	size_t i, n;
	ssize_t r;

	n = sim->nconns;
	r = 0;
	p = sim->pfd + 1 + sim->neps;
	for (i = 0; i < n; i++) {
		p[i].fd = sim->conns[i]->fd;
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	/* EINTR must not skip the sweep: it is what orders closes. */
	while (n > 0 && (r = poll(p, (nfds_t)n, 0)) < 0 && errno == EINTR)
		;
	if (n > 0 && r > 0) {
		for (i = 0; i < n; i++) {
			if ((p[i].revents &
			    (POLLHUP | POLLERR | POLLNVAL)) != 0)
				sim->conns[i]->hangup = 1;
			else if ((p[i].revents & POLLIN) != 0) {
				r = recv(sim->conns[i]->fd, &b, 1,
				    MSG_PEEK | MSG_DONTWAIT);
				if (r == 0 || (r < 0 && errno != EAGAIN &&
				    errno != EWOULDBLOCK && errno != EINTR))
					sim->conns[i]->hangup = 1;
			}
		}
	}
	/* Backwards: conn_close moves the last connection into slot i. */
	for (i = sim->nconns; i-- > 0; )
		if (sim->conns[i]->hangup)
			conn_close(sim, i);
}

/* ------------------------------------------------------------------ */
/* The loop. */

/* 1 when vmmctl_sim_stop() was called. */
static int
wake_check(struct vmmctl_sim *sim)
{
	unsigned char b;

	return (read(sim->wake[0], &b, 1) == 1);
}

/*
 * One round of the loop: waits up to timeout ms (-1: for ever) for input,
 * then serves it.  0; ESHUTDOWN once vmmctl_sim_stop() was called; or the
 * errno of a failed poll.
 */
int
sim_sock_round(struct vmmctl_sim *sim, int timeout)
{
	struct pollfd *p;
	size_t i, nfd, n;

	p = sim->pfd;
	p[0].fd = sim->wake[0];
	p[0].events = POLLIN;
	for (i = 0; i < sim->neps; i++) {
		p[1 + i].fd = sim->eps[i].fd;
		p[1 + i].events = POLLIN;
	}
	n = sim->nconns;
	for (i = 0; i < n; i++) {
		p[1 + sim->neps + i].fd = sim->conns[i]->fd;
		p[1 + sim->neps + i].events = POLLIN;
	}
	nfd = 1 + sim->neps + n;
	for (i = 0; i < nfd; i++)
		p[i].revents = 0;
	if (poll(p, (nfds_t)nfd, timeout) < 0)
		return (errno == EINTR ? 0 : errno);
	if (p[0].revents != 0 && wake_check(sim))
		return (ESHUTDOWN);
	/* 1. Input of this round, before anything is served. */
	for (i = 0; i < n; i++)
		if ((p[1 + sim->neps + i].revents &
		    (POLLIN | POLLHUP | POLLERR)) != 0)
			conn_read(sim->conns[i]);
	/* 2. Every hang-up pending now (see sweep_hangups). */
	sweep_hangups(sim);
	/* 3. The complete frames.  One per connection and round. */
	for (i = sim->nconns; i-- > 0; ) {
		struct sim_conn *c = sim->conns[i];

		if (c->have < sizeof(struct vmmctl_sim_hdr) ||
		    frame_need(c) != 0)
			continue;
		if (conn_serve(sim, c) != 0)
			conn_close(sim, i);
	}
	/* 4. New connections, after the listeners' slots are read. */
	for (i = 0; i < sim->neps; i++)
		if ((sim->pfd[1 + i].revents & POLLIN) != 0)
			ep_accept(sim, &sim->eps[i]);	/* may move pfd */
	return (0);
}

int
sim_sock_serve(struct vmmctl_sim *sim)
{
	int error;

	while ((error = sim_sock_round(sim, -1)) == 0)
		;
	return (error == ESHUTDOWN ? 0 : error);
}

/*
 * Every connection closed (the last reference to each open file goes),
 * every listener closed and its socket removed.
 */
void
sim_sock_close(struct vmmctl_sim *sim)
{
	char path[PATH_MAX];
	struct sim_ep *ep;
	size_t i;

	while (sim->nconns > 0)
		conn_close(sim, sim->nconns - 1);
	for (i = 0; i < sim->neps; i++) {
		ep = &sim->eps[i];
		if (ep->fd >= 0)
			(void)close(ep->fd);
		ep->fd = -1;
		if (ep->bound &&
		    sim_sock_path(path, sizeof(path), ep->dir) == 0)
			(void)unlink(path);
		ep->bound = 0;
	}
	free(sim->conns);
	free(sim->pfd);
	sim->conns = NULL;
	sim->pfd = NULL;
	sim->nconns = sim->conncap = 0;
	if (sim->spare_fd >= 0)
		(void)close(sim->spare_fd);
	sim->spare_fd = -1;
}
