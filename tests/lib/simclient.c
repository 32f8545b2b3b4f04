/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A minimal vmmctl-sim protocol client for tests (see simclient.h).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "simclient.h"

/* A closed connection must be an error return, not SIGPIPE. */
static void
no_sigpipe(void)
{
	static int done;

	if (!done) {
		(void)signal(SIGPIPE, SIG_IGN);
		done = 1;
	}
}

int
simclient_connect(const char *dir, int *fdp)
{
	struct sockaddr_un sun;
	int error, fd, n;

	no_sigpipe();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/vmmctl", dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return (-ENAMETOOLONG);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0)
		return (-errno);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		error = errno;
		(void)close(fd);
		return (-error);
	}
	*fdp = fd;
	return (0);
}

/*
 * The reply channels of the requests sent and not yet answered, oldest
 * first, per connection: simclient_reply() reads the oldest one of its fd.
 */
#define	SC_PENDING	4096
#if defined(__linux__)
#define	SC_CRED_SPACE	CMSG_SPACE(sizeof(struct ucred))
#else
#define	SC_CRED_SPACE	0
#endif
static struct {
	int	fd;
	int	chan;
} sc_pending[SC_PENDING];
static size_t sc_npending;

static int
chan_push(int fd, int chan)
{

	if (sc_npending == SC_PENDING)
		return (-ENOBUFS);
	sc_pending[sc_npending].fd = fd;
	sc_pending[sc_npending].chan = chan;
	sc_npending++;
	return (0);
}

static int
chan_pop(int fd)
{
	size_t i;
	int chan;

	for (i = 0; i < sc_npending; i++) {
		if (sc_pending[i].fd != fd)
			continue;
		chan = sc_pending[i].chan;
		memmove(&sc_pending[i], &sc_pending[i + 1],
		    (sc_npending - i - 1) * sizeof(sc_pending[0]));
		sc_npending--;
		return (chan);
	}
	return (-1);
}

int
simclient_send_msg(int fd, const void *buf, size_t len, int nchan)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(2 * sizeof(int)) + SC_CRED_SPACE];
	} cbuf;
	int pair[2][2], i, error;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	no_sigpipe();
	if (nchan < 0 || nchan > 2)
		return (-EINVAL);
	for (i = 0; i < nchan; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair[i]) != 0)
			return (-errno);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	memset(&cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf.b;
	msg.msg_controllen = (nchan > 0 ? CMSG_SPACE(nchan * sizeof(int)) : 0) +
	    SC_CRED_SPACE;
	cm = CMSG_FIRSTHDR(&msg);
	if (nchan > 0) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nchan * sizeof(int));
		for (i = 0; i < nchan; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &pair[i][1],
			    sizeof(int));
		cm = CMSG_NXTHDR(&msg, cm);
	}
#if defined(__linux__)
	{
		/* As libvmmctl does: the effective ids, which the kernel checks. */
		struct ucred uc;

		uc.pid = getpid();
		uc.uid = geteuid();
		uc.gid = getegid();
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(cm), &uc, sizeof(uc));
	}
#endif
	if (msg.msg_controllen == 0)
		msg.msg_control = NULL;
	do
		n = sendmsg(fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	error = n < 0 ? -errno : 0;
	for (i = 0; i < nchan; i++) {
		(void)close(pair[i][1]);
		if (i > 0 || error != 0 || chan_push(fd, pair[i][0]) != 0)
			(void)close(pair[i][0]);
	}
	return (error);
}

int
simclient_send_raw(int fd, const void *buf, size_t len)
{

	return (simclient_send_msg(fd, buf, len, 1));
}

int
simclient_send(int fd, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t arg, const void *payload, uint32_t len)
{
	unsigned char frame[sizeof(struct vmmctl_sim_hdr) +
	    VMMCTL_SIM_MAX_PAYLOAD];
	struct vmmctl_sim_hdr h;
	size_t plen;

	memset(&h, 0, sizeof(h));
	h.magic = magic;
	h.version = version;
	h.type = type;
	h.arg = arg;
	h.len = len;
	memcpy(frame, &h, sizeof(h));
	/* A lying header (len > what we send) is the caller's business. */
	plen = payload != NULL ? len : 0;
	if (plen > VMMCTL_SIM_MAX_PAYLOAD)
		plen = VMMCTL_SIM_MAX_PAYLOAD;
	if (plen > 0)
		memcpy(frame + sizeof(h), payload, plen);
	return (simclient_send_raw(fd, frame, sizeof(h) + plen));
}

int
simclient_reply(int fd, void *buf, uint32_t max, uint32_t *lenp)
{
	unsigned char msg[sizeof(struct vmmctl_sim_hdr) +
	    VMMCTL_SIM_MAX_PAYLOAD + 1];
	struct vmmctl_sim_hdr h;
	ssize_t n;
	int chan;

	if ((chan = chan_pop(fd)) < 0)
		return (-ENOENT);	/* nothing was asked */
	do
		n = recv(chan, msg, sizeof(msg), 0);
	while (n < 0 && errno == EINTR);
	(void)close(chan);
	if (n < 0)
		return (errno == ECONNRESET ? -EPIPE : -errno);
	if (n == 0)
		return (-EPIPE);	/* the sim dropped the request */
	if ((size_t)n < sizeof(h))
		return (-EPROTO);
	memcpy(&h, msg, sizeof(h));
	if (h.magic != VMMCTL_SIM_MAGIC || h.version != VMMCTL_SIM_VERSION ||
	    h.type != VMMCTL_SIM_T_REPLY || h.error < 0 ||
	    h.len > VMMCTL_SIM_MAX_PAYLOAD ||
	    (size_t)n != sizeof(h) + h.len)
		return (-EPROTO);
	if (h.len > 0) {
		if (h.len > max || buf == NULL)
			return (-EPROTO);
		memcpy(buf, msg + sizeof(h), h.len);
	}
	if (lenp != NULL)
		*lenp = h.len;
	return (h.error);
}

int
simclient_open_mode(const char *dir, uint32_t mode, int *fdp)
{
	int error, fd;

	if ((error = simclient_connect(dir, &fd)) != 0)
		return (error);
	if ((error = simclient_send(fd, VMMCTL_SIM_MAGIC, VMMCTL_SIM_VERSION,
	    VMMCTL_SIM_T_OPEN, mode, NULL, 0)) == 0)
		error = simclient_reply(fd, NULL, 0, NULL);
	if (error != 0) {
		(void)close(fd);
		return (error);
	}
	*fdp = fd;
	return (0);
}

int
simclient_open(const char *dir, int *fdp)
{

	return (simclient_open_mode(dir, VMMCTL_SIM_FREAD | VMMCTL_SIM_FWRITE,
	    fdp));
}

int
simclient_ioctl(int fd, uint32_t cmd, void *data, uint32_t len)
{
	uint32_t rlen;
	int error;

	if ((error = simclient_send(fd, VMMCTL_SIM_MAGIC, VMMCTL_SIM_VERSION,
	    VMMCTL_SIM_T_IOCTL, cmd, data, len)) != 0)
		return (error);
	return (simclient_reply(fd, data, len, &rlen));
}

int
simclient_create(int fd, const char *name, uint32_t flags)
{
	struct vmmctl_vm_create vc;

	memset(&vc, 0, sizeof(vc));
	if (strlen(name) > VM_MAX_NAMELEN)
		return (-ENAMETOOLONG);
	strcpy(vc.name, name);
	vc.flags = flags;
	return (simclient_ioctl(fd, VMMCTL_VM_CREATE, &vc, sizeof(vc)));
}

int
simclient_destroy(int fd, const char *name)
{
	struct vmmctl_vm_destroy vd;

	memset(&vd, 0, sizeof(vd));
	if (strlen(name) > VM_MAX_NAMELEN)
		return (-ENAMETOOLONG);
	strcpy(vd.name, name);
	return (simclient_ioctl(fd, VMMCTL_VM_DESTROY, &vd, sizeof(vd)));
}

int
simclient_wait_eof(int fd)
{
	char buf[256];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return (1);
		if (n < 0)
			return (-errno);
		return (0);
	}
}
