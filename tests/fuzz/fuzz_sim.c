/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer target: vmmctl-sim's frame decoder and request dispatch.
 *
 * The target links the simulator library (libvmmctl_sim.a) and drives its
 * socket transport exactly as the serving thread does, one round at a time
 * (sim_sock_round), over connections it adopts itself (sim_sock_adopt):
 * each input drives up to four connections, each a SOCK_SEQPACKET
 * socketpair whose sim end is adopted with a fuzzer-chosen endpoint and
 * uid; each chunk of the input is one message, sent with zero, one or two
 * reply channels.  A real kernel
 * core is behind it, publishing into a private temporary root with two
 * jails, so publish/unpublish touch real files.
 *
 * Invariants after every input: every connection closed, the core's VM
 * count equal to the entries in <root>/vmm, and after the simulator is
 * freed no entry left in any view.  LeakSanitizer checks the memory.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_sim_var.h"

#define	FZ_NCONN	4

#define	CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static char fz_root[PATH_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_cleanup(void)
{

	if (fz_root[0] != '\0')
		(void)rmdir(fz_root);
}

/* Once: a private root (the simulator makes and removes its contents). */
static void
fz_setup(void)
{
	const char *tmp;

	/* Kyua points TMPDIR into the case's own work directory. */
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	CHECK(snprintf(fz_root, sizeof(fz_root), "%s/fzs.XXXXXX", tmp) <
	    (int)sizeof(fz_root));
	if (mkdtemp(fz_root) == NULL)
		abort();
	atexit(fz_cleanup);
}

/* Entries in one view's vmm/ directory. */
static size_t
fz_entries(const char *view)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n;
	DIR *d;

	CHECK(snprintf(path, sizeof(path), "%s%s/vmm", fz_root, view) > 0);
	if ((d = opendir(path)) == NULL)
		return (0);
	n = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return (n);
}

/* One message with nchan reply channels, whose replies nobody reads. */
static void
fz_send(int fd, const uint8_t *data, size_t n, int nchan)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(2 * sizeof(int))];
	} cbuf;
	int pair[2][2], i;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;

	for (i = 0; i < nchan; i++)
		CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair[i]) == 0);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nchan > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.b;
		msg.msg_controllen = CMSG_SPACE(nchan * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nchan * sizeof(int));
		for (i = 0; i < nchan; i++)
			memcpy(CMSG_DATA(cm) + i * sizeof(int), &pair[i][1],
			    sizeof(int));
	}
	CHECK(sendmsg(fd, &msg, MSG_DONTWAIT) == (ssize_t)n);
	for (i = 0; i < nchan; i++) {
		(void)close(pair[i][0]);
		(void)close(pair[i][1]);
	}
}

/* The index of c in sim->conns, or -1 when the sim closed it. */
static int
fz_slot(const struct vmmctl_sim *sim, const struct sim_conn *c)
{
	size_t i;

	for (i = 0; i < sim->nconns; i++)
		if (sim->conns[i] == c)
			return ((int)i);
	return (-1);
}

/* 1 while some connection has an unread or an unserved message. */
static int
fz_pending(const struct vmmctl_sim *sim)
{
	size_t i;
	int n;

	for (i = 0; i < sim->nconns; i++)
		if (sim->conns[i]->have > 0 || (ioctl(sim->conns[i]->fd,
		    FIONREAD, &n) == 0 && n > 0))
			return (1);
	return (0);
}

/* The serving thread's rounds, until every input is taken. */
static void
fz_pump(struct vmmctl_sim *sim)
{
	int rounds;

	for (rounds = 0; rounds < 10000; rounds++) {
		CHECK(sim_sock_round(sim, 0) == 0);
		if (!fz_pending(sim))
			return;
	}
	abort();	/* a connection that never drains: a livelock */
}

/* The core's lock is free between rounds. */
static void
fz_check_unlocked(struct vmmctl_sim *sim)
{

	CHECK(pthread_mutex_trylock(&sim->klock) == 0);
	CHECK(pthread_mutex_unlock(&sim->klock) == 0);
}

static struct vmmctl_sim *
fz_sim(void)
{
	struct vmmctl_sim *sim;

	CHECK(vmmctl_sim_new(fz_root, &sim) == 0);
	CHECK(vmmctl_sim_jail(sim, "a") == 0);
	CHECK(vmmctl_sim_jail(sim, "a/b") == 0);
	if (vmmctl_sim_listen(sim) != 0) {
		fprintf(stderr, "fuzz_sim: %s\n", vmmctl_sim_error(sim));
		abort();
	}
	return (sim);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t uids[] = { 0, 1001, 1002 };
	struct sim_conn *conns[FZ_NCONN];
	struct vmmctl_cred cred;
	struct vmmctl_sim *sim;
	int peer[FZ_NCONN];
	struct sim_conn *c;
	size_t n, pos;
	int fds[2], j;
	uint8_t op;

	if (fz_root[0] == '\0')
		fz_setup();
	/* A fresh simulator for every input. */
	sim = fz_sim();
	for (j = 0; j < FZ_NCONN; j++) {
		conns[j] = NULL;
		peer[j] = -1;
	}

	/*
	 * The input: a sequence of [op][len][len bytes], each one message.
	 * op's low bits pick the connection (made on first use; op bits 2-3
	 * its endpoint, bits 4-5 its uid); bits 6-7 the message's reply
	 * channels (0: one, 1: none, 2: two) or 3: the client hangs up; len
	 * 0xff means "the rest of the input".
	 */
	pos = 0;
	while (pos + 2 <= size) {
		op = data[pos++];
		n = data[pos++];
		j = op % FZ_NCONN;
		if (n == 0xff || n > size - pos)
			n = size - pos;
		c = conns[j];
		if (c != NULL && fz_slot(sim, c) < 0) {
			/* The sim closed it: the client sees EOF. */
			(void)close(peer[j]);
			c = conns[j] = NULL;
			peer[j] = -1;
		}
		if (c == NULL) {
			CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
			memset(&cred, 0, sizeof(cred));
			cred.jail = sim->eps[((op >> 2) & 3) % sim->neps].jail;
			cred.uid = uids[((op >> 4) & 3) % 3];
			cred.ruid = cred.uid;
			cred.gid = cred.uid;
			CHECK(sim_sock_adopt(sim, fds[0], &cred, 1) == 0);
			c = conns[j] = sim->conns[sim->nconns - 1];
			peer[j] = fds[1];
		}
		if ((op & 0xc0) == 0xc0) {
			/* The client goes away, maybe mid-frame. */
			(void)shutdown(peer[j], SHUT_RDWR);
			(void)close(peer[j]);
			peer[j] = -1;
			conns[j] = NULL;
			CHECK(sim_sock_round(sim, 0) == 0);
			CHECK(fz_slot(sim, c) < 0);
			pos += n;
			continue;
		}
		fz_send(peer[j], data + pos, n, (op >> 6) == 0 ? 1 :
		    (op >> 6) == 1 ? 0 : 2);
		pos += n;
		fz_pump(sim);
		fz_check_unlocked(sim);
		CHECK(vmmctl_kern_vm_count(sim->kern) == fz_entries(""));
	}

	/* Every client goes; the simulator sees every hang-up at once. */
	for (j = 0; j < FZ_NCONN; j++)
		if (peer[j] >= 0)
			(void)close(peer[j]);
	CHECK(sim_sock_round(sim, 0) == 0);
	CHECK(sim->nconns == 0);
	CHECK(vmmctl_kern_vm_count(sim->kern) == fz_entries(""));
	vmmctl_sim_free(sim);
	CHECK(fz_entries("") == 0);
	CHECK(fz_entries("/jails/a") == 0);
	CHECK(fz_entries("/jails/a/b") == 0);
	return (0);
}
