/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl-bench: the C side of "make bench" (driven by bench/run.py).  Every
 * subcommand prints one JSON object on stdout; times are nanoseconds.
 *
 *   floor OPS BATCHES WARMUP          bare unix-socket request/response,
 *                                     316 bytes each way, two round trips
 *                                     per op (create + destroy), between
 *                                     two processes, no vmmctl code
 *   floor-files OPS BATCHES WARMUP DIR
 *                                     the same, the server also creating
 *                                     (open O_CREAT|O_EXCL, close) and
 *                                     removing DIR/vm as the sim does its
 *                                     <root>/vmm/<name> entries
 *   c ROOT OPS BATCHES WARMUP         create + destroy through libvmmctl
 *   scale ROOT SIMPID OPS BATCHES L1 [L2 ...]
 *                                     the same with L persistent VMs alive
 *                                     (VmRSS of the sim at every level)
 *   release ROOT N REPS               close() of a descriptor owning N VMs
 *                                     until a request on another
 *                                     connection returns
 *   tput ROOT PROCS SECONDS           create + destroy in PROCS processes
 *   kvm REPS                          KVM_CREATE_VM + close(2)
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmmctl.h>

#define	FRAME_LEN	316	/* 20-byte header + 296-byte payload */
#define	KVM_GET_API	0xAE00
#define	KVM_CREATE	0xAE01

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static long
num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		errx(2, "not a number: %s", s);
	return (v);
}

static void
xio(ssize_t (*f)(int, void *, size_t), int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = f(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n == 0 ? 0 : 3);
		p += n;
		len -= (size_t)n;
	}
}

static ssize_t
xwrite(int fd, void *buf, size_t len)
{

	return (write(fd, buf, len));
}

static void
print_batches(const char *key, const double *v, int n)
{
	int i;

	printf("\"%s\": [", key);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i > 0 ? ", " : "", v[i]);
	printf("]");
}

/*
 * The floor: a listening unix socket, an echo server in a child.  With a
 * directory, the server creates a file there on every other request and
 * removes it on the next: the file system share of the sim's work.
 */
static int
cmd_floor(int argc, char **argv, const char *dir)
{
	struct sockaddr_un sun;
	char buf[FRAME_LEN], path[64], file[PATH_MAX];
	double *res;
	uint64_t t0;
	long ops, batches, warm, i, b;
	pid_t pid;
	int ls, fd, cfd, ffd, status, odd;

	if (argc != 3)
		errx(2, "usage: floor OPS BATCHES WARMUP");
	if (dir != NULL)
		snprintf(file, sizeof(file), "%s/vm", dir);
	ops = num(argv[0]);
	batches = num(argv[1]);
	warm = num(argv[2]);
	snprintf(path, sizeof(path), "/tmp/vmmctl-bench-floor.%ld",
	    (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	(void)unlink(path);
	if ((ls = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(ls, 4) == -1)
		err(1, "bind %s", path);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if ((fd = accept(ls, NULL, NULL)) == -1)
			_exit(1);
		for (odd = 0;; odd = !odd) {
			xio(read, fd, buf, sizeof(buf));
			if (dir != NULL && !odd) {
				ffd = open(file, O_WRONLY | O_CREAT | O_EXCL |
				    O_NOFOLLOW | O_CLOEXEC, 0600);
				if (ffd == -1)
					_exit(4);
				close(ffd);
			} else if (dir != NULL && unlink(file) == -1)
				_exit(4);
			xio(xwrite, fd, buf, sizeof(buf));
		}
	}
	close(ls);
	if ((cfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(cfd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	(void)unlink(path);
	memset(buf, 0, sizeof(buf));
	if ((res = calloc((size_t)batches, sizeof(*res))) == NULL)
		err(1, "calloc");
	for (b = -1; b < batches; b++) {
		long n = b < 0 ? warm : ops;

		t0 = now_ns();
		for (i = 0; i < 2 * n; i++) {
			xio(xwrite, cfd, buf, sizeof(buf));
			xio(read, cfd, buf, sizeof(buf));
		}
		if (b >= 0)
			res[b] = (double)(now_ns() - t0) / (double)n;
	}
	close(cfd);
	waitpid(pid, &status, 0);
	printf("{");
	print_batches("batches_ns", res, (int)batches);
	printf("}\n");
	free(res);
	return (0);
}

static vmmctl_t *
xopen(const char *root)
{
	vmmctl_t *h;
	int error;

	if ((error = vmmctl_open(root, 0, &h)) != 0)
		errx(1, "vmmctl_open %s: %s", root, vmmctl_strerror(error));
	return (h);
}

static void
xcreate(vmmctl_t *h, const char *name, uint32_t flags)
{
	int error;

	if ((error = vmmctl_create(h, name, flags)) != 0)
		errx(1, "create %s: %s", name, vmmctl_strerror(error));
}

static void
xdestroy(vmmctl_t *h, const char *name)
{
	int error;

	if ((error = vmmctl_destroy(h, name)) != 0)
		errx(1, "destroy %s: %s", name, vmmctl_strerror(error));
}

/* Per-op ns of one batch of create + destroy of name. */
static double
loop(vmmctl_t *h, const char *name, long ops)
{
	uint64_t t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		xcreate(h, name, 0);
		xdestroy(h, name);
	}
	return ((double)(now_ns() - t0) / (double)ops);
}

static int
cmd_c(int argc, char **argv)
{
	vmmctl_t *h;
	double *res;
	char name[64];
	long ops, batches, b;

	if (argc != 4)
		errx(2, "usage: c ROOT OPS BATCHES WARMUP");
	ops = num(argv[1]);
	batches = num(argv[2]);
	h = xopen(argv[0]);
	snprintf(name, sizeof(name), "bench-c-%ld", (long)getpid());
	(void)loop(h, name, num(argv[3]));
	if ((res = calloc((size_t)batches, sizeof(*res))) == NULL)
		err(1, "calloc");
	for (b = 0; b < batches; b++)
		res[b] = loop(h, name, ops);
	vmmctl_close(h);
	printf("{");
	print_batches("batches_ns", res, (int)batches);
	printf("}\n");
	free(res);
	return (0);
}

/* VmRSS of pid in KiB, or -1. */
static long
rss_kib(long pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return (v);
}

static int
cmd_scale(int argc, char **argv)
{
	vmmctl_t *hp, *h;
	double *res;
	char name[64];
	uint64_t t0;
	long pid, ops, batches, alive, level, b;
	int l;

	if (argc < 5)
		errx(2, "usage: scale ROOT SIMPID OPS BATCHES L1 [L2 ...]");
	pid = num(argv[1]);
	ops = num(argv[2]);
	batches = num(argv[3]);
	hp = xopen(argv[0]);
	h = xopen(argv[0]);
	if ((res = calloc((size_t)batches, sizeof(*res))) == NULL)
		err(1, "calloc");
	(void)loop(h, "bench-scale", ops);
	printf("{\"rss_kib_empty\": %ld, \"levels\": [", rss_kib(pid));
	alive = 0;
	for (l = 4; l < argc; l++) {
		level = num(argv[l]);
		t0 = now_ns();
		for (; alive < level; alive++) {
			snprintf(name, sizeof(name), "p%07ld", alive);
			xcreate(hp, name, VMMCTL_CREATE_PERSISTENT);
		}
		t0 = now_ns() - t0;
		(void)loop(h, "bench-scale", ops / 4 + 1);
		for (b = 0; b < batches; b++)
			res[b] = loop(h, "bench-scale", ops);
		printf("%s{\"alive\": %ld, \"rss_kib\": %ld, "
		    "\"fill_ns\": %llu, ", l > 4 ? ", " : "", alive,
		    rss_kib(pid), (unsigned long long)t0);
		print_batches("batches_ns", res, (int)batches);
		printf("}");
		fflush(stdout);
	}
	printf("]}\n");
	vmmctl_close(h);
	vmmctl_close(hp);
	free(res);
	return (0);
}

/* One request that changes nothing: destroy of a missing VM (ENOENT). */
static void
noop(vmmctl_t *h)
{
	int error;

	if ((error = vmmctl_destroy(h, "bench-none")) != ENOENT)
		errx(1, "no-op destroy: %s", vmmctl_strerror(error));
}

static int
cmd_release(int argc, char **argv)
{
	vmmctl_t *ha, *hb;
	double *res, *noops;
	char name[64];
	uint64_t t0;
	long n, reps, r, i;

	if (argc != 3)
		errx(2, "usage: release ROOT N REPS");
	n = num(argv[1]);
	reps = num(argv[2]);
	if ((res = calloc((size_t)reps, sizeof(*res))) == NULL ||
	    (noops = calloc((size_t)reps, sizeof(*noops))) == NULL)
		err(1, "calloc");
	hb = xopen(argv[0]);
	for (r = 0; r < reps; r++) {
		ha = xopen(argv[0]);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "r%07ld", i);
			xcreate(ha, name, 0);
		}
		for (i = 0; i < 20; i++)
			noop(hb);
		t0 = now_ns();
		noop(hb);
		noops[r] = (double)(now_ns() - t0);
		t0 = now_ns();
		vmmctl_close(ha);
		noop(hb);
		res[r] = (double)(now_ns() - t0);
	}
	vmmctl_close(hb);
	printf("{\"n\": %ld, ", n);
	print_batches("total_ns", res, (int)reps);
	printf(", ");
	print_batches("noop_ns", noops, (int)reps);
	printf("}\n");
	free(res);
	free(noops);
	return (0);
}

static int
cmd_tput(int argc, char **argv)
{
	struct timespec start;
	vmmctl_t *h;
	char name[64];
	uint64_t begin, end, t;
	long procs, p, count, total;
	double secs;
	pid_t pid;
	int pfd[2], status;

	if (argc != 3)
		errx(2, "usage: tput ROOT PROCS SECONDS");
	procs = num(argv[1]);
	secs = strtod(argv[2], NULL);
	if (pipe(pfd) == -1)
		err(1, "pipe");
	/* Everyone starts at the same instant, after their warm-up. */
	begin = now_ns() + 300000000u + (uint64_t)procs * 50000000u;
	end = begin + (uint64_t)(secs * 1e9);
	for (p = 0; p < procs; p++) {
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid != 0)
			continue;
		close(pfd[0]);
		h = xopen(argv[0]);
		snprintf(name, sizeof(name), "bench-t-%ld", (long)getpid());
		(void)loop(h, name, 200);
		start.tv_sec = (time_t)(begin / 1000000000u);
		start.tv_nsec = (long)(begin % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &start,
		    NULL) == EINTR)
			;
		count = 0;
		do {
			xcreate(h, name, 0);
			xdestroy(h, name);
			count++;
		} while ((t = now_ns()) < end);
		vmmctl_close(h);
		if (write(pfd[1], &count, sizeof(count)) != sizeof(count))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	total = 0;
	for (p = 0; p < procs; p++) {
		if (read(pfd[0], &count, sizeof(count)) != sizeof(count))
			errx(1, "a client failed");
		total += count;
	}
	while (wait(&status) > 0)
		;
	printf("{\"procs\": %ld, \"ops\": %ld, \"seconds\": %.3f, "
	    "\"ops_per_s\": %.1f}\n", procs, total, secs, (double)total / secs);
	return (0);
}

static int
cmd_kvm(int argc, char **argv)
{
	double *res;
	uint64_t t0;
	long reps, r;
	int kfd, vfd, api;

	if (argc != 1)
		errx(2, "usage: kvm REPS");
	reps = num(argv[0]);
	if ((kfd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1) {
		printf("{\"available\": false, \"reason\": \"open /dev/kvm: "
		    "%s\"}\n", strerror(errno));
		return (0);
	}
	if ((api = ioctl(kfd, KVM_GET_API, 0)) != 12) {
		printf("{\"available\": false, \"reason\": \"KVM_GET_API_VERSION "
		    "returned %d\"}\n", api);
		return (0);
	}
	if ((res = calloc((size_t)reps, sizeof(*res))) == NULL)
		err(1, "calloc");
	for (r = -3; r < reps; r++) {
		t0 = now_ns();
		if ((vfd = ioctl(kfd, KVM_CREATE, 0)) == -1) {
			printf("{\"available\": false, \"reason\": "
			    "\"KVM_CREATE_VM: %s\"}\n", strerror(errno));
			return (0);
		}
		close(vfd);
		if (r >= 0)
			res[r] = (double)(now_ns() - t0);
	}
	close(kfd);
	printf("{\"available\": true, ");
	print_batches("batches_ns", res, (int)reps);
	printf("}\n");
	free(res);
	return (0);
}

int
main(int argc, char **argv)
{

	if (argc < 2)
		errx(2, "usage: vmmctl-bench floor|c|scale|release|tput|kvm ...");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (strcmp(argv[1], "floor") == 0)
		return (cmd_floor(argc - 2, argv + 2, NULL));
	if (strcmp(argv[1], "floor-files") == 0 && argc == 6)
		return (cmd_floor(argc - 3, argv + 2, argv[5]));
	if (strcmp(argv[1], "c") == 0)
		return (cmd_c(argc - 2, argv + 2));
	if (strcmp(argv[1], "scale") == 0)
		return (cmd_scale(argc - 2, argv + 2));
	if (strcmp(argv[1], "release") == 0)
		return (cmd_release(argc - 2, argv + 2));
	if (strcmp(argv[1], "tput") == 0)
		return (cmd_tput(argc - 2, argv + 2));
	if (strcmp(argv[1], "kvm") == 0)
		return (cmd_kvm(argc - 2, argv + 2));
	errx(2, "unknown subcommand %s", argv[1]);
}
