/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * SCM_RIGHTS in one place for the C tests.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>

#include "fdpass.h"

/* A control buffer aligned for struct cmsghdr, room for one int. */
union fdpass_cmsg {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(int))];
};

static void
fdpass_msg(struct msghdr *msg, struct iovec *iov, char *byte,
    union fdpass_cmsg *cm)
{

	memset(msg, 0, sizeof(*msg));
	memset(cm, 0, sizeof(*cm));
	iov->iov_base = byte;
	iov->iov_len = 1;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = cm->buf;
	msg->msg_controllen = sizeof(cm->buf);
}

int
fdpass_send(int sock, int fd)
{
	union fdpass_cmsg cm;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	char byte = 'F';

	fdpass_msg(&msg, &iov, &byte, &cm);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		return (errno != 0 ? errno : EIO);
	return (0);
}

int
fdpass_recv(int sock)
{
	union fdpass_cmsg cm;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	char byte;
	int fd;

	fdpass_msg(&msg, &iov, &byte, &cm);
	if (recvmsg(sock, &msg, 0) != 1)
		return (-1);
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return (fd);
}
