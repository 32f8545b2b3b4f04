/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl-sim(1), the daemon: parses its options, daemonises, writes the pid
 * file, turns SIGTERM, SIGINT and SIGHUP into vmmctl_sim_stop() and runs
 * the simulator host
 * (vmmctl_sim.h) in its main thread.  Everything else is the host's.
 *
 * vmmctl_sim_main() is the whole program, so that a binding's own
 * vmmctl-sim command (built from the bundled copy with
 * -DVMMCTL_SIM_NO_MAIN) has the same options and behaviour.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vmmctl_sim.h"

int	vmmctl_sim_main(int argc, char **argv);

/* What the signal handler stops: the daemon's one simulator. */
static struct vmmctl_sim *the_sim;

static void
usage(FILE *fp)
{

	fprintf(fp,
	    "usage: vmmctl-sim --root DIR [--fuse] [--generation N] "
	    "[--jail NAME[:novmm]]...\n"
	    "                  [--group GROUP] [--uid-limit N] "
	    "[--pidfile FILE] [-d] [--help]\n"
	    "\n"
	    "Serves the kernel side of /dev/vmmctl on DIR/vmmctl.\n"
	    "  --root DIR       the simulated /dev (created if missing)\n"
	    "  --fuse           device mode: mount DIR (FUSE), vmmctl is a file\n"
	    "                   answering ioctl(2) (exit 69 if unavailable)\n"
	    "  --generation N   FreeBSD's /dev/vmmctl generation 1, 2 or 3 "
	    "(default 3)\n"
	    "  --jail NAME      a jail (a/b nests): DIR/jails/NAME/vmmctl;\n"
	    "                   NAME:novmm for one without allow.vmm\n"
	    "  --group GROUP    the vmm group (default: the simulator's own)\n"
	    "  --uid-limit N    at most N VMs per real uid, 0 for no limit\n"
	    "                   (default: 4 x the CPUs, as FreeBSD)\n"
	    "  --pidfile FILE   write the pid once listening\n"
	    "  -d, --daemon     detach once listening\n"
	    "  -h, --help       this text\n");
}

struct opts {
	const char	*root;
	const char	**jails;
	int		njails;
	unsigned long	uid_limit;
	int		have_limit;
	int		generation;	/* 0: the newest */
	const char	*group;
	const char	*pidfile;
	int		daemonize;
	int		fuse;
};

static int
parse_limit(const char *arg, unsigned long *limit)
{
	char *end;

	errno = 0;
	*limit = strtoul(arg, &end, 10);
	if (errno != 0 || *arg == '\0' || *end != '\0' || *arg == '-' ||
	    *limit > UINT32_MAX)
		return (EINVAL);
	return (0);
}

/* 0, or the exit status after a usage message. */
static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "root",	required_argument,	NULL, 'r' },
		{ "jail",	required_argument,	NULL, 'j' },
		{ "uid-limit",	required_argument,	NULL, 'u' },
		{ "generation",	required_argument,	NULL, 'g' },
		{ "group",	required_argument,	NULL, 'G' },
		{ "pidfile",	required_argument,	NULL, 'p' },
		{ "fuse",	no_argument,		NULL, 'f' },
		{ "daemon",	no_argument,		NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "dh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->root = optarg;
			break;
		case 'j':
			o->jails[o->njails++] = optarg;
			break;
		case 'u':
			if (parse_limit(optarg, &o->uid_limit) != 0) {
				fprintf(stderr, "vmmctl-sim: bad --uid-limit "
				    "%s\n", optarg);
				usage(stderr);
				return (EX_USAGE);
			}
			o->have_limit = 1;
			break;
		case 'g':
			if (strcmp(optarg, "1") != 0 &&
			    strcmp(optarg, "2") != 0 &&
			    strcmp(optarg, "3") != 0) {
				fprintf(stderr, "vmmctl-sim: bad --generation "
				    "%s (1, 2 or 3)\n", optarg);
				usage(stderr);
				return (EX_USAGE);
			}
			o->generation = optarg[0] - '0';
			break;
		case 'G':
			o->group = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'd':
			o->daemonize = 1;
			break;
		case 'f':
			o->fuse = 1;
			break;
		case 'h':
			usage(stdout);
			return (-1);
		default:
			usage(stderr);
			return (EX_USAGE);
		}
	}
	if (optind != argc || o->root == NULL || *o->root == '\0') {
		if (o->root == NULL || *o->root == '\0')
			fprintf(stderr, "vmmctl-sim: --root is required\n");
		usage(stderr);
		return (EX_USAGE);
	}
	return (0);
}

/* The simulator of o, configured: 0 or an exit status. */
static int
configure(const struct opts *o, struct vmmctl_sim **simp)
{
	struct vmmctl_sim *sim;
	int error, i;

	if ((error = vmmctl_sim_new(o->root, &sim)) != 0) {
		fprintf(stderr, "vmmctl-sim: --root %s: %s\n", o->root,
		    strerror(error));
		return (EX_USAGE);
	}
	for (i = 0; i < o->njails; i++) {
		if (vmmctl_sim_jail(sim, o->jails[i]) != 0) {
			fprintf(stderr, "vmmctl-sim: %s\n",
			    vmmctl_sim_error(sim));
			vmmctl_sim_free(sim);
			return (EX_USAGE);
		}
	}
	if (o->have_limit)
		(void)vmmctl_sim_set_uid_limit(sim, (uint32_t)o->uid_limit);
	(void)vmmctl_sim_set_generation(sim, o->generation);
	if (o->group != NULL && vmmctl_sim_set_group(sim, o->group) != 0) {
		fprintf(stderr, "vmmctl-sim: --group: %s\n",
		    vmmctl_sim_error(sim));
		vmmctl_sim_free(sim);
		return (EX_USAGE);
	}
	/* Unavailable here, not misused: EX_UNAVAILABLE, for test skips. */
	if (o->fuse && vmmctl_sim_set_fuse(sim, VMMCTL_SIM_FUSE |
	    VMMCTL_SIM_FUSE_AUTO_UNMOUNT) != 0) {
		fprintf(stderr, "vmmctl-sim: --fuse: %s\n",
		    vmmctl_sim_error(sim));
		vmmctl_sim_free(sim);
		return (EX_UNAVAILABLE);
	}
	*simp = sim;
	return (0);
}

/*
 * Written whole into a new file (mkstemp: O_CREAT | O_EXCL, so never
 * through a planted link), then renamed over path (rename replaces a
 * link, never follows it): a reader never sees half a pid.
 */
static int
write_pidfile(const char *path, pid_t pid)
{
	char tmp[PATH_MAX], buf[32];
	int error, fd, n;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return (ENAMETOOLONG);
	if ((fd = mkstemp(tmp)) < 0)
		return (errno);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	error = errno = 0;
	if (fchmod(fd, 0644) != 0 || write(fd, buf, (size_t)n) != n)
		error = errno != 0 ? errno : EIO;
	if (close(fd) != 0 && error == 0)
		error = errno;
	if (error == 0 && rename(tmp, path) != 0)
		error = errno;
	if (error != 0)
		(void)unlink(tmp);
	return (error);
}

/*
 * -d: the parent waits for the child's "ready" byte, so it exits (0) only
 * once the sockets listen, or with the child's failure.  Returns the
 * child's end of the pipe, or -1 with errno set.
 */
static int
daemon_start(void)
{
	int fds[2], status;
	char b;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return (-1);
	if (pid > 0) {
		(void)close(fds[1]);
		if (read(fds[0], &b, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) != 0 ?
			    WEXITSTATUS(status) : 1);
		_exit(1);
	}
	(void)close(fds[0]);
	(void)setsid();
	(void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return (fds[1]);
}

static void
daemon_ready(int fd)
{
	int null;

	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			(void)close(null);
	}
	(void)write(fd, "r", 1);
	(void)close(fd);
}

static void
on_signal(int sig)
{

	(void)sig;
	if (the_sim != NULL)
		vmmctl_sim_stop(the_sim);
}

static int
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGHUP, &sa, NULL) != 0)
		return (errno);
	/* The host sends with MSG_NOSIGNAL; this covers the rest. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	return (0);
}

/* Listens, announces readiness, serves until a signal: an exit status. */
static int
serve(struct vmmctl_sim *sim, const struct opts *o)
{
	int error, ready_fd;

	ready_fd = -1;
	if (o->daemonize && (ready_fd = daemon_start()) < 0) {
		fprintf(stderr, "vmmctl-sim: fork: %s\n", strerror(errno));
		return (1);
	}
	the_sim = sim;
	if ((error = signals_setup()) != 0) {
		fprintf(stderr, "vmmctl-sim: signals: %s\n", strerror(error));
		return (1);
	}
	if (vmmctl_sim_listen(sim) != 0) {
		fprintf(stderr, "vmmctl-sim: %s\n", vmmctl_sim_error(sim));
		return (1);
	}
	if (o->pidfile != NULL &&
	    (error = write_pidfile(o->pidfile, getpid())) != 0) {
		fprintf(stderr, "vmmctl-sim: %s: %s\n", o->pidfile,
		    strerror(error));
		return (1);
	}
	if (ready_fd >= 0)
		daemon_ready(ready_fd);
	error = vmmctl_sim_run(sim);
	if (error != 0)
		fprintf(stderr, "vmmctl-sim: %s\n", vmmctl_sim_error(sim));
	if (o->pidfile != NULL)
		(void)unlink(o->pidfile);
	return (error != 0 ? 1 : 0);
}

int
vmmctl_sim_main(int argc, char **argv)
{
	struct vmmctl_sim *sim;
	struct opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((o.jails = calloc((size_t)argc + 1, sizeof(*o.jails))) == NULL) {
		fprintf(stderr, "vmmctl-sim: %s\n", strerror(ENOMEM));
		return (1);
	}
	rc = parse(argc, argv, &o);
	if (rc == 0)
		rc = configure(&o, &sim);
	if (rc == 0) {
		rc = serve(sim, &o);
		the_sim = NULL;
		vmmctl_sim_free(sim);
	}
	free(o.jails);
	return (rc < 0 ? 0 : rc);
}

#ifndef VMMCTL_SIM_NO_MAIN
int
main(int argc, char **argv)
{

	return (vmmctl_sim_main(argc, argv));
}
#endif
