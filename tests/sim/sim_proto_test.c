/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Malformed input never crashes or wedges vmmctl-sim: each case sends
 * something bad, then checks that a witness connection opened before (with
 * a VM it owns) and a fresh connection are both still served.  Protocol 2
 * (vmmctl_sim_proto.h): one request per message, each with its own reply
 * channel, so replies wait in their channels and pipelining is free.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim_test.h"

/* A well-formed header of a VMMCTL_VM_CREATE request of len bytes. */
static void
create_hdr(struct vmmctl_sim_hdr *h, uint32_t len)
{

	memset(h, 0, sizeof(*h));
	h->magic = VMMCTL_SIM_MAGIC;
	h->version = VMMCTL_SIM_VERSION;
	h->type = VMMCTL_SIM_T_IOCTL;
	h->arg = VMMCTL_VM_CREATE;
	h->len = len;
}

/* The sim still serves old and new clients, and kept the witness's VM. */
static void
check_alive(const struct testsim *ts, int witness)
{
	int fd;

	ATF_CHECK_EQ(simclient_create(witness, "witness", SCOPED), EEXIST);
	fd = conn(ts);
	ATF_CHECK_EQ(simclient_create(fd, "after", SCOPED), 0);
	ATF_CHECK_EQ(simclient_destroy(fd, "after"), 0);
	(void)close(fd);
	ATF_CHECK(entry_exists(ts->root, "witness"));
}

static int
witness_up(const struct testsim *ts)
{
	int fd;

	fd = conn(ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "witness", SCOPED), 0);
	return (fd);
}

/* A fatal header: an error reply, then the sim hangs up. */
static void
check_fatal(const struct testsim *ts, int opened, uint32_t magic,
    uint16_t version, uint16_t type, uint32_t arg, uint32_t len, int want)
{
	unsigned char payload[VMMCTL_SIM_MAX_PAYLOAD];
	int fd;

	if (opened)
		fd = conn(ts);
	else
		ATF_REQUIRE_EQ(simclient_connect(ts->root, &fd), 0);
	memset(payload, 0, sizeof(payload));
	/* Only the header: the sim must not wait for (or read) a payload. */
	ATF_REQUIRE_EQ(simclient_send(fd, magic, version, type, arg, NULL,
	    len), 0);
	ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), want);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	(void)close(fd);
}

ATF_TC_WITHOUT_HEAD(bad_headers);
ATF_TC_BODY(bad_headers, tc)
{
	const uint32_t M = VMMCTL_SIM_MAGIC;
	const uint16_t V = VMMCTL_SIM_VERSION;
	struct testsim ts;
	int w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	/* Before and after OPEN. */
	check_fatal(&ts, 0, 0x12345678u, V, VMMCTL_SIM_T_OPEN, 3, 0, EPROTO);
	check_fatal(&ts, 1, 0x12345678u, V, VMMCTL_SIM_T_IOCTL,
	    VMMCTL_VM_CREATE, 296, EPROTO);
	check_fatal(&ts, 0, M, 1, VMMCTL_SIM_T_OPEN, 3, 0, EPROTONOSUPPORT);
	check_fatal(&ts, 0, M, 3, VMMCTL_SIM_T_OPEN, 3, 0, EPROTONOSUPPORT);
	check_fatal(&ts, 1, M, 0, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE, 296,
	    EPROTONOSUPPORT);
	check_fatal(&ts, 1, M, 0xffff, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE,
	    296, EPROTONOSUPPORT);
	/* Types: a REPLY from a client, unknown ones. */
	check_fatal(&ts, 1, M, V, VMMCTL_SIM_T_REPLY, 0, 0, EPROTO);
	check_fatal(&ts, 1, M, V, 0, 0, 0, EPROTO);
	check_fatal(&ts, 0, M, V, 99, 0, 0, EPROTO);
	/* A length other than the message's; oversized ones. */
	check_fatal(&ts, 1, M, V, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE, 296,
	    EPROTO);
	check_fatal(&ts, 1, M, V, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE,
	    VMMCTL_SIM_MAX_PAYLOAD + 1, EPROTO);
	check_fatal(&ts, 1, M, V, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE,
	    0xffffffffu, EPROTO);
	check_fatal(&ts, 0, M, V, VMMCTL_SIM_T_OPEN, 3, 0x7fffffffu, EPROTO);
	/* OPEN first, and only first. */
	check_fatal(&ts, 0, M, V, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE, 0,
	    EPROTO);
	check_fatal(&ts, 1, M, V, VMMCTL_SIM_T_OPEN, 3, 0, EPROTO);
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/* A file dropped for a protocol error is released like any other. */
ATF_TC_WITHOUT_HEAD(fatal_releases);
ATF_TC_BODY(fatal_releases, tc)
{
	struct testsim ts;
	int fd, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "doomed", SCOPED), 0);
	ATF_REQUIRE_EQ(simclient_send(fd, 0, 0, 0, 0, NULL, 0), 0);
	ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPROTO);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "doomed"));
	(void)close(fd);
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/* Every prefix of a header, as a message: refused, the file dropped. */
ATF_TC_WITHOUT_HEAD(short_messages);
ATF_TC_BODY(short_messages, tc)
{
	struct vmmctl_sim_hdr h;
	struct testsim ts;
	size_t n;
	int fd, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	create_hdr(&h, 296);
	for (n = 1; n < sizeof(h); n++) {
		/* Before and after OPEN. */
		fd = conn(&ts);
		ATF_REQUIRE_EQ(simclient_create(fd, "mine", SCOPED), 0);
		ATF_REQUIRE_EQ(simclient_send_raw(fd, &h, n), 0);
		ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPROTO);
		ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
		(void)close(fd);
		sync_sim(w);
		ATF_CHECK(!entry_exists(ts.root, "mine"));
		ATF_REQUIRE_EQ(simclient_connect(ts.root, &fd), 0);
		ATF_REQUIRE_EQ(simclient_send_raw(fd, &h, n), 0);
		ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPROTO);
		(void)close(fd);
	}
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/* A header announcing more payload than its message has. */
ATF_TC_WITHOUT_HEAD(short_payload);
ATF_TC_BODY(short_payload, tc)
{
	unsigned char msg[sizeof(struct vmmctl_sim_hdr) + 100];
	struct vmmctl_sim_hdr h;
	struct testsim ts;
	int fd, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	create_hdr(&h, 296);
	memset(msg, 0, sizeof(msg));
	memcpy(msg, &h, sizeof(h));
	strcpy((char *)msg + sizeof(h), "half");
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_create(fd, "mine", SCOPED), 0);
	ATF_REQUIRE_EQ(simclient_send_raw(fd, msg, sizeof(msg)), 0);
	ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPROTO);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	(void)close(fd);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "half"));
	ATF_CHECK(!entry_exists(ts.root, "mine"));
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/*
 * A request must bring exactly one reply channel: without one nothing can
 * be answered, with two it is refused; either way the file is dropped.
 */
ATF_TC_WITHOUT_HEAD(reply_channels);
ATF_TC_BODY(reply_channels, tc)
{
	struct vmmctl_vm_create vc;
	unsigned char msg[sizeof(struct vmmctl_sim_hdr) + sizeof(vc)];
	struct vmmctl_sim_hdr h;
	struct testsim ts;
	int fd, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	create_hdr(&h, sizeof(vc));
	memset(&vc, 0, sizeof(vc));
	strcpy(vc.name, "nochan");
	vc.flags = SCOPED;
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &vc, sizeof(vc));
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_send_msg(fd, msg, sizeof(msg), 0), 0);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	(void)close(fd);
	fd = conn(&ts);
	ATF_REQUIRE_EQ(simclient_send_msg(fd, msg, sizeof(msg), 2), 0);
	ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL), EPROTO);
	ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
	(void)close(fd);
	sync_sim(w);
	ATF_CHECK(!entry_exists(ts.root, "nochan"));
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/*
 * A client that sends requests and never reads a reply blocks nobody:
 * every reply waits in its own channel, and is right when it is read.
 */
ATF_TC_WITHOUT_HEAD(unread_replies);
ATF_TC_BODY(unread_replies, tc)
{
	struct vmmctl_vm_create vc;
	struct testsim ts;
	char name[32];
	int s, w, i;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	s = conn(&ts);
	memset(&vc, 0, sizeof(vc));
	vc.flags = SCOPED;
	for (i = 0; i < 300; i++) {
		(void)snprintf(vc.name, sizeof(vc.name), "slow%d", i % 150);
		ATF_REQUIRE_EQ(simclient_send(s, VMMCTL_SIM_MAGIC,
		    VMMCTL_SIM_VERSION, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE,
		    &vc, sizeof(vc)), 0);
	}
	for (i = 0; i < 200; i++) {
		(void)snprintf(name, sizeof(name), "busy%d", i);
		ATF_REQUIRE_EQ(simclient_create(w, name, SCOPED), 0);
		ATF_REQUIRE_EQ(simclient_destroy(w, name), 0);
	}
	check_alive(&ts, w);
	/* The first 150 made their VMs, the second 150 found them. */
	for (i = 0; i < 300; i++)
		ATF_CHECK_EQ(simclient_reply(s, &vc, sizeof(vc), NULL),
		    i < 150 ? 0 : EEXIST);
	ATF_CHECK_EQ(count_entries(ts.root), 151);
	(void)close(s);
	(void)close(w);
	sim_down(&ts);
}

ATF_TC_WITHOUT_HEAD(random_bytes);
ATF_TC_BODY(random_bytes, tc)
{
	unsigned char junk[8192];
	struct testsim ts;
	size_t j;
	int fd, i, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	srandom(4242);
	for (i = 0; i < 50; i++) {
		for (j = 0; j < sizeof(junk); j++)
			junk[j] = (unsigned char)random();
		/* Half of them after a valid OPEN. */
		if (i % 2)
			fd = conn(&ts);
		else
			ATF_REQUIRE_EQ(simclient_connect(ts.root, &fd), 0);
		/* Any answer, or none: the sim may hang up at once. */
		if (simclient_send_raw(fd, junk,
		    (size_t)(random() % (long)sizeof(junk)) + 1) == 0)
			(void)simclient_reply(fd, NULL, 0, NULL);
		(void)close(fd);
	}
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/*
 * 1,000 requests sent back to back before any reply is read: all served,
 * all answered, and every VM kept (#17: never punished for pipelining).
 */
ATF_TC_WITHOUT_HEAD(pipelined);
ATF_TC_BODY(pipelined, tc)
{
	static const char *const args[] = { "--uid-limit", "0", NULL };
	struct vmmctl_vm_create vc;
	struct rlimit rl;
	struct testsim ts;
	char want[16];
	int fd, i;

	/* 1,000 reply channels held at once. */
	ATF_REQUIRE_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 1100)
		atf_tc_skip("RLIMIT_NOFILE's hard limit is below 1100");
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 4096 : rl.rlim_max;
	ATF_REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	sim_up(&ts, args);
	fd = conn(&ts);
	memset(&vc, 0, sizeof(vc));
	vc.flags = SCOPED;
	for (i = 0; i < 1000; i++) {
		(void)snprintf(vc.name, sizeof(vc.name), "p%d", i);
		ATF_REQUIRE_EQ(simclient_send(fd, VMMCTL_SIM_MAGIC,
		    VMMCTL_SIM_VERSION, VMMCTL_SIM_T_IOCTL, VMMCTL_VM_CREATE,
		    &vc, sizeof(vc)), 0);
	}
	/* In order, each with its own request's payload. */
	for (i = 0; i < 1000; i++) {
		(void)snprintf(want, sizeof(want), "p%d", i);
		ATF_REQUIRE_EQ(simclient_reply(fd, &vc, sizeof(vc), NULL), 0);
		ATF_CHECK_STREQ(vc.name, want);
	}
	ATF_CHECK_EQ(count_entries(ts.root), 1000);
	(void)close(fd);
	sim_down(&ts);
}

/* A client of protocol 1 (a stream socket) cannot even connect. */
ATF_TC_WITHOUT_HEAD(old_client);
ATF_TC_BODY(old_client, tc)
{
	struct sockaddr_un sun;
	struct testsim ts;
	int fd, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ATF_REQUIRE(testsim_path(&ts, "vmmctl", sun.sun_path,
	    sizeof(sun.sun_path)) == 0);
	ATF_REQUIRE((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	ATF_CHECK_EQ(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), -1);
	ATF_CHECK_EQ(errno, EPROTOTYPE);
	(void)close(fd);
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/*
 * The sim out of descriptors: pending connections are accepted and
 * dropped (no busy loop, no death), and it serves again once clients go.
 */
ATF_TC_WITHOUT_HEAD(out_of_descriptors);
ATF_TC_BODY(out_of_descriptors, tc)
{
	struct rlimit old, low;
	struct testsim ts;
	int fds[64], i, n, w;

	ATF_REQUIRE_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 24;
	ATF_REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	i = testsim_start(&ts, NULL);
	ATF_REQUIRE_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	ATF_REQUIRE_MSG(i == 0, "testsim_start: %s", strerror(i));
	w = witness_up(&ts);
	/* More clients than the sim has descriptors. */
	for (n = 0; n < 64; n++) {
		if (simclient_open(ts.root, &fds[n]) != 0)
			fds[n] = -1;
	}
	for (i = 0, n = 0; i < 64; i++)
		n += fds[i] >= 0;
	ATF_CHECK_MSG(n < 64, "all 64 opens succeeded with 24 descriptors");
	for (i = 0; i < 64; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
	check_alive(&ts, w);
	(void)close(w);
	sim_down(&ts);
}

/* Open descriptors of pid (Linux /proc), or -1. */
static int
count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n;

	(void)snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	n = 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return (n);
}

/*
 * No descriptor leaks: after hundreds of connections, well-formed or not,
 * have come and gone, the sim holds what it held before.
 */
ATF_TC_WITHOUT_HEAD(no_fd_leak);
ATF_TC_BODY(no_fd_leak, tc)
{
	struct testsim ts;
	int before, fd, i, w;

	sim_up(&ts, NULL);
	w = witness_up(&ts);
	sync_sim(w);
	if ((before = count_fds(ts.pid)) < 0) {
		sim_down(&ts);
		atf_tc_skip("no /proc/PID/fd: cannot count the sim's "
		    "descriptors here");
	}
	for (i = 0; i < 300; i++) {
		switch (i % 4) {
		case 0:		/* good, with a VM */
			fd = conn(&ts);
			ATF_REQUIRE_EQ(simclient_create(fd, "leak", SCOPED),
			    0);
			break;
		case 1:		/* never opened */
			ATF_REQUIRE_EQ(simclient_connect(ts.root, &fd), 0);
			break;
		case 2:		/* fatal header */
			fd = conn(&ts);
			ATF_REQUIRE_EQ(simclient_send(fd, 1, 1, 1, 1, NULL,
			    0), 0);
			ATF_CHECK_EQ(simclient_reply(fd, NULL, 0, NULL),
			    EPROTO);
			ATF_CHECK_EQ(simclient_wait_eof(fd), 1);
			break;
		default:	/* refused open */
			ATF_REQUIRE_EQ(simclient_open_mode(ts.root, 0, &fd),
			    EPERM);
			fd = -1;
			break;
		}
		if (fd >= 0)
			(void)close(fd);
		sync_sim(w);
	}
	/*
	 * The sim closes a reply's channel just after the reply is read, and
	 * a connection hung up before it was accepted a round later: wait
	 * (bounded) for the count to settle.
	 */
	for (i = 0; count_fds(ts.pid) > before && i < 10000; i++)
		(void)usleep(1000);
	/* before may have caught a channel in its last microseconds. */
	ATF_CHECK_MSG(count_fds(ts.pid) <= before, "the sim holds %d "
	    "descriptors, %d before", count_fds(ts.pid), before);
	ATF_CHECK_EQ(count_entries(ts.root), 1);
	(void)close(w);
	sim_down(&ts);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, no_fd_leak);

	ATF_TP_ADD_TC(tp, bad_headers);
	ATF_TP_ADD_TC(tp, fatal_releases);
	ATF_TP_ADD_TC(tp, short_messages);
	ATF_TP_ADD_TC(tp, short_payload);
	ATF_TP_ADD_TC(tp, reply_channels);
	ATF_TP_ADD_TC(tp, unread_replies);
	ATF_TP_ADD_TC(tp, random_bytes);
	ATF_TP_ADD_TC(tp, pipelined);
	ATF_TP_ADD_TC(tp, old_client);
	ATF_TP_ADD_TC(tp, out_of_descriptors);
	return (atf_no_error());
}
