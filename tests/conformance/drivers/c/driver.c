/*
 * Conformance driver (C): speaks the line protocol of
 * tests/conformance/PROTOCOL.md on stdin/stdout, one answer line per
 * command, so that a controller can script processes of every language
 * against one simulator.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmmctl.h>

#define	HELD_MAX	64

static vmmctl_t *ctl;			/* the active control handle */
static int held[HELD_MAX];		/* extra references (dup) */
static int nheld;

static const struct {
	int		 error;
	const char	*name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" },
	{ EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" },
	{ EPIPE, "EPIPE" }, { ERANGE, "ERANGE" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { EPROTO, "EPROTO" },
	{ ECONNRESET, "ECONNRESET" }, { ECONNREFUSED, "ECONNREFUSED" },
};

static void
answer_err(int error)
{
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (errno_names[i].error == error) {
			printf("err %s\n", errno_names[i].name);
			return;
		}
	}
	printf("err E%d\n", error);
}

static void
answer(int error)
{
	if (error == 0)
		printf("ok\n");
	else
		answer_err(error);
}

static int
need_ctl(void)
{
	if (ctl == NULL) {
		answer_err(EBADF);
		return (0);
	}
	return (1);
}

static int
unix_dgram(const char *path, struct sockaddr_un *sun)
{
	int s;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(sun->sun_path, path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return (s);
}

static int
send_fd(const char *path, int fd)
{
	struct sockaddr_un sun;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cbuf;
	char byte = 'F';
	int s, error;

	if ((s = unix_dgram(path, &sun)) == -1)
		return (errno);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_name = &sun;
	msg.msg_namelen = sizeof(sun);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	error = sendmsg(s, &msg, 0) == -1 ? errno : 0;
	close(s);
	return (error);
}

/* Binds path, says "ready", and adopts the descriptor that arrives. */
static int
recv_fd(const char *path)
{
	struct sockaddr_un sun;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cm;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cbuf;
	char byte;
	int s, fd, error;

	if ((s = unix_dgram(path, &sun)) == -1)
		return (errno);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		error = errno;
		close(s);
		return (error);
	}
	printf("ready\n");
	fflush(stdout);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	fd = -1;
	if (recvmsg(s, &msg, MSG_CMSG_CLOEXEC) == -1) {
		error = errno;
		goto out;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd == -1) {
		error = EBADMSG;
		goto out;
	}
	if ((error = vmmctl_from_fd(fd, &ctl)) != 0)
		close(fd);
out:
	close(s);
	unlink(path);
	return (error);
}

static void
do_list(void)
{
	char *buf, *p;
	size_t size, len;
	int error;

	size = 256;
	for (;;) {
		if ((buf = malloc(size)) == NULL) {
			answer_err(ENOMEM);
			return;
		}
		error = vmmctl_list(ctl, buf, size, &len);
		if (error != ERANGE)
			break;
		free(buf);
		size = len + 256;
	}
	if (error != 0) {
		free(buf);
		answer_err(error);
		return;
	}
	printf("ok");
	for (p = buf; p < buf + len; p += strlen(p) + 1)
		printf(" %s", p);
	printf("\n");
	free(buf);
}

/*
 * The child keeps every descriptor of the parent (the control handle and
 * the held duplicates) until it is killed; it never reads stdin, so that the
 * parent stays the only process that speaks on the shared connection.
 */
static void
fork_hold(void)
{
	pid_t pid;
	int null;

	fflush(stdout);
	signal(SIGCHLD, SIG_IGN);	/* no zombies: a killed child vanishes */
	if ((pid = fork()) == -1) {
		answer_err(errno);
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
		for (;;)
			pause();
	}
	printf("ok %ld\n", (long)pid);
}

int
main(void)
{
	char *line, *cmd, *arg, *arg2;
	size_t cap;
	ssize_t n;
	uint32_t flags;
	int fd, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	line = NULL;
	cap = 0;
	while ((n = getline(&line, &cap, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		cmd = strtok(line, " ");
		arg = strtok(NULL, " ");
		arg2 = strtok(NULL, " ");
		if (cmd == NULL) {
			answer_err(EINVAL);
		} else if (strcmp(cmd, "open") == 0 && arg != NULL) {
			if (ctl != NULL)
				answer_err(EBUSY);
			else
				answer(vmmctl_open(arg, 0, &ctl));
		} else if (strcmp(cmd, "adopt") == 0 && arg != NULL) {
			if (ctl != NULL)
				answer_err(EBUSY);
			else
				answer(vmmctl_from_fd(atoi(arg), &ctl));
		} else if (strcmp(cmd, "create") == 0 && arg != NULL) {
			flags = arg2 != NULL && strcmp(arg2, "persistent") == 0 ?
			    VMMCTL_CREATE_PERSISTENT : 0;
			if (need_ctl())
				answer(vmmctl_create(ctl, arg, flags));
		} else if (strcmp(cmd, "destroy") == 0 && arg != NULL) {
			if (need_ctl())
				answer(vmmctl_destroy(ctl, arg));
		} else if (strcmp(cmd, "list") == 0) {
			if (need_ctl())
				do_list();
		} else if (strcmp(cmd, "close") == 0) {
			if (need_ctl()) {
				i = vmmctl_close(ctl);
				ctl = NULL;
				answer(i);
			}
		} else if (strcmp(cmd, "dup") == 0) {
			if (!need_ctl())
				continue;
			if (nheld == HELD_MAX)
				answer_err(EMFILE);
			else if ((fd = fcntl(vmmctl_fd(ctl), F_DUPFD_CLOEXEC,
			    0)) == -1)
				answer_err(errno);
			else {
				held[nheld++] = fd;
				answer(0);
			}
		} else if (strcmp(cmd, "release") == 0) {
			for (i = 0; i < nheld; i++)
				close(held[i]);
			nheld = 0;
			answer(0);
		} else if (strcmp(cmd, "send-fd") == 0 && arg != NULL) {
			if (need_ctl())
				answer(send_fd(arg, vmmctl_fd(ctl)));
		} else if (strcmp(cmd, "recv-fd") == 0 && arg != NULL) {
			if (ctl != NULL)
				answer_err(EBUSY);
			else
				answer(recv_fd(arg));
		} else if (strcmp(cmd, "fork-hold") == 0) {
			fork_hold();
		} else if (strcmp(cmd, "hold") == 0 || strcmp(cmd, "ping") == 0) {
			answer(0);
		} else if (strcmp(cmd, "exit") == 0) {
			_exit(0);
		} else if (strcmp(cmd, "crash") == 0) {
			raise(SIGKILL);
		} else {
			answer_err(EINVAL);
		}
	}
	return (0);
}
