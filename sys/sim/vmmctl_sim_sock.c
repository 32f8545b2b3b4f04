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
#include <sys/resource.h>
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
/* The reply channels that arrive are ours only: never inherited. */
#ifdef MSG_CMSG_CLOEXEC
#define	SIM_RECV_FLAGS	MSG_CMSG_CLOEXEC
#else
#define	SIM_RECV_FLAGS	0
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

static int	want_creds(int fd);

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

/*
 * Binds fd to <ep's view>/vmmctl by its path: the address clients see (and
 * vmmctl_from_fd() reads back from the peer's name) must be that path.  The
 * view is the simulator's own directory, which nobody else may write, and
 * bind(2) never follows or replaces an existing name; the mode is then set
 * through the view's descriptor, so a path swapped on the way can only
 * make the start fail.
 */
static int
bind_at(int fd, const struct sim_ep *ep)
{
	struct sockaddr_un sun;
	int error;

	if ((error = sun_fill(&sun, ep->dir)) != 0)
		return (error);
	return (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ?
	    errno : 0);
}

/*
 * Open files per uid: a quarter of what the process may open, less a
 * reserve for the nodes, so that no user's connections can exhaust the
 * descriptors every other user's requests need.
 */
static size_t
conn_cap(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return (1024);
	n = rl.rlim_cur > 128 ? (rl.rlim_cur - 64) / 4 : 16;
	return (n < 16 ? 16 : (size_t)n);
}

/*
 * Every message received on fd (and on the connections accepted from it:
 * the option is inherited) carries its sender's credentials.
 */
static int
want_creds(int fd)
{
	int on = 1;

#if defined(__linux__)
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0)
		return (errno);
#elif defined(__FreeBSD__)
	if (setsockopt(fd, 0, LOCAL_CREDS_PERSISTENT, &on, sizeof(on)) != 0)
		return (errno);
#else
	(void)fd;
	(void)on;
#endif
	return (0);
}

int
sim_sock_listen(struct vmmctl_sim *sim, struct sim_ep *ep)
{
	int error;

	if (sim->pfd == NULL && (sim->pfd = calloc(1 + sim->neps,
	    sizeof(*sim->pfd))) == NULL)
		return (ENOMEM);
	if (sim->spare_fd < 0)
		sim->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sim->conn_cap == 0)
		sim->conn_cap = conn_cap();
	if ((ep->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0)
		return (errno);
	if ((error = sim_set_cloexec_nonblock(ep->fd)) != 0 ||
	    (error = want_creds(ep->fd)) != 0 ||
	    (error = bind_at(ep->fd, ep)) != 0)
		goto fail;
	ep->bound = 1;
	/* Owner and mode as /dev/vmmctl's for the generation. */
	if ((error = sim_ctl_perm(sim, ep->dirfd, "vmmctl")) != 0)
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
	if (c->reply_once && c->reply_fd >= 0)
		(void)close(c->reply_fd);
	while (c->nchans > 0)
		sim_chan_forget(c, c->nchans - 1);
	free(c->chans);
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
	/* The connection's user, for the per-uid cap; requests bring theirs. */
	cred->uid = cred->ruid = (uint32_t)uc.uid;
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

/* Connections already open by uid. */
static size_t
conns_of(const struct vmmctl_sim *sim, uint32_t uid)
{
	size_t i, n;

	for (i = n = 0; i < sim->nconns; i++)
		if (sim->conns[i]->cred.uid == uid)
			n++;
	return (n);
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
		memset(&cred, 0, sizeof(cred));
		cred.jail = ep->jail;
		if (peer_cred(fd, &cred) != 0 ||
		    sim_sock_adopt(sim, fd, &cred, 0) != 0)
			(void)close(fd);
	}
}

/*
 * A connected socket becomes one open file description (not yet opened:
 * its first message must be OPEN).  Each message's sender is the caller
 * of its request, unless fixed: then cred is every request's caller.  A
 * user past the per-uid cap gets EMFILE for its OPEN.
 */
int
sim_sock_adopt(struct vmmctl_sim *sim, int fd, const struct vmmctl_cred *cred,
    int fixed)
{
	struct sim_conn *c;
	int error;

	if ((error = sim_set_cloexec_nonblock(fd)) != 0 ||
	    (error = nosigpipe(fd)) != 0 || (error = conn_grow(sim)) != 0)
		return (error);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (ENOMEM);
	if (!fixed && (error = want_creds(fd)) != 0) {
		free(c);
		return (error);
	}
	c->fd = fd;
	c->reply_fd = c->out_fd = -1;
	c->cred = *cred;
	c->fixed_cred = fixed;
	c->over_cap = sim->conn_cap != 0 &&
	    conns_of(sim, cred->uid) >= sim->conn_cap;
	sim->conns[sim->nconns++] = c;
	return (0);
}

/*
 * The reply channel of the message just taken: the one attached (for this
 * request only, or registered), or the sender's registered one.
 */
static void
conn_chan(struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;
	struct sim_chan *ch;
	int error;

	if (c->have < sizeof(h)) {
		c->reply_once = 1;
		c->bad = EPROTO;
		return;
	}
	memcpy(&h, c->buf, sizeof(h));
	if (c->reply_fd >= 0 && h.chan == 0) {
		c->reply_once = 1;
	} else if (c->reply_fd >= 0) {
		if ((error = sim_chan_register(c, c->pid, h.chan,
		    c->reply_fd)) != 0) {
			c->reply_once = 1;
			c->refuse = error;
		}
	} else if (h.chan != 0 &&
	    (ch = sim_chan_find(c, c->pid, h.chan)) != NULL) {
		c->reply_fd = ch->fd;
	} else
		c->bad = EPROTO;	/* nobody to answer */
}

/*
 * The message in c->buf against the protocol: 0, or the errno of a fatal
 * protocol error (answered, then the connection is closed).
 */
static int
frame_check(const struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;

	if (c->bad != 0)
		return (c->bad);
	memcpy(&h, c->buf, sizeof(h));
	if (h.magic != VMMCTL_SIM_MAGIC)
		return (EPROTO);
	if (h.version != VMMCTL_SIM_VERSION)
		return (EPROTONOSUPPORT);
	if (h.type != VMMCTL_SIM_T_OPEN && h.type != VMMCTL_SIM_T_IOCTL)
		return (EPROTO);
	if (h.len > VMMCTL_SIM_MAX_PAYLOAD || c->have != sizeof(h) + h.len)
		return (EPROTO);
	/* OPEN first, and only first. */
	if ((h.type == VMMCTL_SIM_T_OPEN) != (c->file == NULL))
		return (EPROTO);
	if (!c->have_cred)
		return (EPROTO);
	return (0);
}

/*
 * The reply, on the request's channel, never blocking.  A one-shot channel
 * was made for this one reply.  A registered one that cannot take it yet
 * holds it (the connection stalls until it drains); one whose client end
 * is gone is forgotten.
 */
static void
conn_reply(struct sim_conn *c, int error, const void *payload, uint32_t len)
{
	struct vmmctl_sim_hdr h;
	ssize_t n;

	if (c->reply_fd < 0)
		return;
	memset(&h, 0, sizeof(h));
	h.magic = VMMCTL_SIM_MAGIC;
	h.version = VMMCTL_SIM_VERSION;
	h.type = VMMCTL_SIM_T_REPLY;
	h.error = error;
	h.len = len;
	memcpy(c->out, &h, sizeof(h));
	if (len > 0)
		memcpy(c->out + sizeof(h), payload, len);
	do
		n = send(c->reply_fd, c->out, sizeof(h) + len,
		    MSG_DONTWAIT | SIM_SEND_FLAGS);
	while (n < 0 && errno == EINTR);
	if (n < 0 && !c->reply_once) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
			c->outlen = sizeof(h) + len;
			c->out_fd = c->reply_fd;
		} else
			sim_chan_lost(c, c->reply_fd);
	}
}

/* Sends the held reply once its channel takes it. */
static void
conn_flush(struct sim_conn *c)
{
	ssize_t n;

	do
		n = send(c->out_fd, c->out, c->outlen,
		    MSG_DONTWAIT | SIM_SEND_FLAGS);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOBUFS))
		return;
	if (n < 0)
		sim_chan_lost(c, c->out_fd);
	c->outlen = 0;
	c->out_fd = -1;
}

/* The message of c is taken (served or refused). */
static void
conn_done(struct sim_conn *c)
{

	if (c->reply_once && c->reply_fd >= 0)
		(void)close(c->reply_fd);
	c->reply_fd = -1;
	c->reply_once = 0;
	c->have = 0;
	c->bad = 0;
	c->refuse = 0;
	c->have_cred = 0;
}

/* Serves the message in c->buf: 0, or -1 to close the connection. */
static int
conn_serve(struct vmmctl_sim *sim, struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;
	unsigned char *data;
	int error, fflags, rc;

	memcpy(&h, c->buf, sizeof(h));
	data = c->buf + sizeof(h);
	rc = 0;
	if ((error = frame_check(c)) != 0) {
		conn_reply(c, error, NULL, 0);
		rc = -1;
	} else if (c->refuse != 0)
		conn_reply(c, c->refuse, NULL, 0);
	else if (h.type == VMMCTL_SIM_T_OPEN) {
		fflags = 0;
		if (h.arg & VMMCTL_SIM_FREAD)
			fflags |= VMMCTL_KF_READ;
		if (h.arg & VMMCTL_SIM_FWRITE)
			fflags |= VMMCTL_KF_WRITE;
		if (c->over_cap)
			error = EMFILE;	/* this user's open files */
		else
			error = vmmctl_kern_open(sim->kern, &c->rcred, fflags,
			    &c->file);
		if (error != 0)
			c->file = NULL;
		conn_reply(c, error, NULL, 0);
		rc = error != 0 ? -1 : 0;
	} else if (h.len != VMMCTL_SIM_CMD_LEN(h.arg))
		conn_reply(c, EINVAL, NULL, 0);
	else {
		/*
		 * Answered as the thread that asked, at the time it asked;
		 * a create counts against its real uid.
		 */
		if (h.arg == VMMCTL_VM_CREATE && !c->fixed_cred)
			c->rcred.ruid = sim_pid_ruid(c->pid, c->rcred.uid);
		error = vmmctl_kern_ioctl(c->file, &c->rcred, h.arg, data,
		    h.len);
		if ((h.arg & VMMCTL_SIM_IOC_OUT) != 0)
			conn_reply(c, error, data, h.len);
		else
			conn_reply(c, error, NULL, 0);
	}
	conn_done(c);
	return (rc);
}

/* The sender's credentials of one message, as the kernel gives them. */
static void
msg_cred(struct sim_conn *c, struct cmsghdr *cm)
{
#if defined(__linux__)
	struct ucred uc;

	if (cm->cmsg_type != SCM_CREDENTIALS ||
	    cm->cmsg_len < CMSG_LEN(sizeof(uc)))
		return;
	memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	/* One uid per message: the effective one (the library sends it). */
	c->rcred.uid = c->rcred.ruid = (uint32_t)uc.uid;
	c->rcred.gid = (uint32_t)uc.gid;
	c->pid = (uint32_t)uc.pid;
	c->have_cred = 1;
#elif defined(__FreeBSD__)
	struct sockcred2 sc;

	if (cm->cmsg_type != SCM_CREDS2 ||
	    cm->cmsg_len < CMSG_LEN(sizeof(sc)))
		return;
	memcpy(&sc, CMSG_DATA(cm), sizeof(sc));
	c->rcred.uid = (uint32_t)sc.sc_euid;
	c->rcred.ruid = (uint32_t)sc.sc_uid;
	c->rcred.gid = (uint32_t)sc.sc_egid;
	c->pid = (uint32_t)sc.sc_pid;
	c->have_cred = 1;
#else
	(void)c;
	(void)cm;
#endif
}

/* The descriptors of one message: the first is the reply channel. */
static void
msg_fds(struct sim_conn *c, struct cmsghdr *cm)
{
	size_t i, n;
	int fd;

	n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	for (i = 0; i < n; i++) {
		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
		if (c->reply_fd < 0 && i == 0)
			c->reply_fd = fd;
		else {
			(void)close(fd);
			c->bad = EPROTO;	/* one channel per request */
		}
	}
}

/*
 * Takes one message of c, whole, with its reply channel and its sender's
 * credentials.  Marks a hang-up on EOF or a fatal error.
 */
static void
conn_recv(struct sim_conn *c)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(4 * sizeof(int)) + 256];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	if (c->have > 0 || c->outlen > 0)
		return;		/* one message per round; none while stalled */
	iov.iov_base = c->buf;
	iov.iov_len = sizeof(c->buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.b;
	msg.msg_controllen = sizeof(cbuf.b);
	do
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | SIM_RECV_FLAGS);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0) {
		c->hangup = 1;
		return;
	}
	c->rcred = c->cred;	/* the jail; the rest from the message */
	c->pid = 0;
	if (c->fixed_cred)
		c->have_cred = 1;
	/* Even an empty message may bring descriptors: ours to close. */
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS)
			msg_fds(c, cm);
		else if (!c->fixed_cred)
			msg_cred(c, cm);
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		c->bad = EPROTO;
	if (n == 0) {
		/* The end of the stream, or an empty message: either ends it. */
		c->reply_once = 1;
		conn_done(c);
		c->hangup = 1;
		return;
	}
	c->have = (size_t)n;
	conn_chan(c);
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
		struct sim_conn *c = sim->conns[i];

		/* A stalled connection waits for its channel, not input. */
		p[1 + sim->neps + i].fd = c->outlen > 0 ? c->out_fd : c->fd;
		p[1 + sim->neps + i].events = c->outlen > 0 ? POLLOUT : POLLIN;
	}
	nfd = 1 + sim->neps + n;
	for (i = 0; i < nfd; i++)
		p[i].revents = 0;
	if (poll(p, (nfds_t)nfd, timeout) < 0)
		return (errno == EINTR ? 0 : errno);
	if (p[0].revents != 0 && wake_check(sim))
		return (ESHUTDOWN);
	/* 1. Input of this round, before anything is served. */
	for (i = 0; i < n; i++) {
		if ((p[1 + sim->neps + i].revents &
		    (POLLIN | POLLOUT | POLLHUP | POLLERR)) == 0)
			continue;
		if (sim->conns[i]->outlen > 0)
			conn_flush(sim->conns[i]);
		else
			conn_recv(sim->conns[i]);
	}
	/* 2. Every hang-up pending now (see sweep_hangups). */
	sweep_hangups(sim);
	/* 3. The messages taken.  One per connection and round. */
	for (i = sim->nconns; i-- > 0; )
		if (sim->conns[i]->have > 0 &&
		    conn_serve(sim, sim->conns[i]) != 0)
			conn_close(sim, i);
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
	struct sim_ep *ep;
	size_t i;

	while (sim->nconns > 0)
		conn_close(sim, sim->nconns - 1);
	for (i = 0; i < sim->neps; i++) {
		ep = &sim->eps[i];
		if (ep->fd >= 0)
			(void)close(ep->fd);
		ep->fd = -1;
		if (ep->bound && ep->dirfd >= 0)
			(void)unlinkat(ep->dirfd, "vmmctl", 0);
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
