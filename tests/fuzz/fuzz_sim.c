/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer target: vmmctl-sim's frame decoder and request dispatch.
 *
 * The simulator is one file of static functions with a poll loop around
 * them; rather than add a seam to it, this file #includes it (its main
 * renamed by -Dmain=vmmctl_sim_main), so the code fuzzed is exactly the
 * code shipped.  Each input drives up to four connections, each a
 * socketpair whose sim end is a struct sim_conn as ep_accept makes it:
 * chunks of bytes are written into a client end at fuzzer-chosen split
 * points, then the sim's own conn_read / frame_need / conn_serve /
 * sweep_hangups / conn_close take them exactly as loop() does.  A real
 * kernel core is behind it, publishing into a private temporary root
 * with two jails, so publish/unpublish touch real files.
 *
 * Invariants after every input: every connection closed, the core's VM
 * count equal to the entries in <root>/vmm, and after vmmctl_kern_fini no
 * entry left in any view.  LeakSanitizer checks the memory.
 */

#include <stdint.h>

int	vmmctl_sim_main(int, char **);

#include "vmmctl_sim.c"

#define	FZ_NCONN	4

#define	CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* main()'s hooks, which are local to it. */
static const struct vmmctl_os fz_os = {
	.arg = &sim,
	.lock = os_lock,
	.unlock = os_unlock,
	.zalloc = os_zalloc,
	.free = os_free,
	.priv_check = os_priv_check,
	.publish = os_publish,
	.unpublish = os_unpublish,
};

static int fz_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_cleanup(void)
{

	if (sim.root[0] != '\0')
		rmtree(sim.root);
}

/* Once: a private root, its views made as root_prepare/ep_listen do. */
static void
fz_setup(void)
{
	char tmpl[PATH_MAX], path[PATH_MAX];
	const char *tmp;

	/* Kyua points TMPDIR into the case's own work directory. */
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	CHECK(snprintf(tmpl, sizeof(tmpl), "%s/fuzz_sim.XXXXXX", tmp) <
	    (int)sizeof(tmpl));
	if (mkdtemp(tmpl) == NULL)
		abort();
	if (root_set(tmpl) != 0)
		abort();
	CHECK(snprintf(path, sizeof(path), "%s/vmm", sim.root) > 0);
	CHECK(mkdirs(path) == 0);
	CHECK(snprintf(path, sizeof(path), "%s/jails/a/vmm", sim.root) > 0);
	CHECK(mkdirs(path) == 0);
	CHECK(snprintf(path, sizeof(path), "%s/jails/a/b/vmm", sim.root) > 0);
	CHECK(mkdirs(path) == 0);
	sim.uid = getuid();
	sim.spare_fd = -1;
	/* A peer gone mid-reply must be an error return, as in the daemon. */
	signal(SIGPIPE, SIG_IGN);
	atexit(fz_cleanup);
	fz_ready = 1;
}

/* Entries in one view's vmm/ directory. */
static size_t
fz_entries(const char *view)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n;
	DIR *d;

	CHECK(snprintf(path, sizeof(path), "%s%s/vmm", sim.root, view) > 0);
	if ((d = opendir(path)) == NULL)
		abort();
	n = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return (n);
}

/* What the client would read: dropped, so its socket never fills. */
static void
fz_drain(int fd)
{
	unsigned char b[8192];

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
}

/* The index of c in sim.conns, or -1 when the sim closed it. */
static int
fz_slot(const struct sim_conn *c)
{
	size_t i;

	for (i = 0; i < sim.nconns; i++)
		if (sim.conns[i] == c)
			return ((int)i);
	return (-1);
}

/* As loop() steps 1 and 3 do for one connection, until it needs input. */
static void
fz_pump(struct sim_conn *c)
{
	int i;

	for (;;) {
		conn_read(c);
		if (c->hangup) {
			sweep_hangups();
			return;
		}
		if (c->have < sizeof(struct vmmctl_sim_hdr) ||
		    frame_need(c) != 0)
			return;
		sweep_hangups();
		if ((i = fz_slot(c)) < 0)
			return;
		if (conn_serve(c) != 0) {
			conn_close((size_t)i);
			return;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t uids[] = { 0, 1001, 1002 };
	struct sim_conn *conns[FZ_NCONN];
	int peer[FZ_NCONN];
	struct sim_conn *c;
	size_t n, pos;
	int fds[2], j;
	uint8_t op;

	if (!fz_ready)
		fz_setup();
	/* A fresh core, endpoints and connection table for every input. */
	sim.neps = 0;
	CHECK(vmmctl_kern_init(&fz_os, &sim.kern) == 0);
	CHECK(ep_add(NULL) != NULL);
	CHECK(jail_add("a") == 0);
	CHECK(jail_add("a/b") == 0);
	sim.conncap = sim.nconns = 0;
	CHECK(conn_grow() == 0);
	for (j = 0; j < FZ_NCONN; j++) {
		conns[j] = NULL;
		peer[j] = -1;
	}

	/*
	 * The input: a sequence of [op][len][len bytes].  op's low bits pick
	 * the connection (made on first use; op bits 2-3 its endpoint, bits
	 * 4-5 its uid); op 0xff hangs the client up; len 0xff means "the
	 * rest of the input".
	 */
	pos = 0;
	while (pos + 2 <= size) {
		op = data[pos++];
		n = data[pos++];
		j = op % FZ_NCONN;
		if (n == 0xff || n > size - pos)
			n = size - pos;
		c = conns[j];
		if (c != NULL && fz_slot(c) < 0) {
			/* The sim closed it: the client sees EOF. */
			(void)close(peer[j]);
			c = conns[j] = NULL;
			peer[j] = -1;
		}
		if (c == NULL) {
			CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
			CHECK(set_nonblock(fds[0]) == 0);
			CHECK(conn_grow() == 0);
			CHECK((c = calloc(1, sizeof(*c))) != NULL);
			c->fd = fds[0];
			c->cred.jail = sim.eps[((op >> 2) & 3) % sim.neps].jail;
			c->cred.uid = uids[((op >> 4) & 3) % 3];
			c->cred.gid = c->cred.uid;
			sim.conns[sim.nconns++] = c;
			conns[j] = c;
			peer[j] = fds[1];
		}
		if ((op & 0xc0) == 0xc0) {
			/* The client goes away, maybe mid-frame. */
			(void)shutdown(peer[j], SHUT_RDWR);
			(void)close(peer[j]);
			peer[j] = -1;
			conns[j] = NULL;
			sweep_hangups();
			CHECK(fz_slot(c) < 0);
			pos += n;
			continue;
		}
		if (n > 0)
			CHECK(send(peer[j], data + pos, n, MSG_DONTWAIT) ==
			    (ssize_t)n);
		pos += n;
		fz_pump(c);
		fz_drain(peer[j]);
		CHECK(!sim.locked);
		CHECK(vmmctl_kern_vm_count(sim.kern) == fz_entries(""));
	}

	/* Everything the sim still holds goes, as shutdown_all does it. */
	for (j = 0; j < FZ_NCONN; j++)
		if (peer[j] >= 0)
			(void)close(peer[j]);
	sweep_hangups();
	CHECK(sim.nconns == 0);
	CHECK(vmmctl_kern_vm_count(sim.kern) == fz_entries(""));
	vmmctl_kern_fini(sim.kern);
	sim.kern = NULL;
	CHECK(fz_entries("") == 0);
	CHECK(fz_entries("/jails/a") == 0);
	CHECK(fz_entries("/jails/a/b") == 0);
	free(sim.eps);
	sim.eps = NULL;
	free(sim.conns);
	sim.conns = NULL;
	free(sim.pfd);
	sim.pfd = NULL;
	return (0);
}
