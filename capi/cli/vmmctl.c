/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl(1): create, destroy and list bhyve VMs through /dev/vmmctl (or a
 * vmmctl-sim(1) root), and run a command that owns a descriptor-scoped VM.
 *
 * Exit status: 0 success, 1 an operation failed, EX_USAGE bad usage,
 * EX_UNAVAILABLE the control device could not be opened; for "run", 126 or
 * 127 when COMMAND could not be executed or found (as sh(1) does), else
 * COMMAND's own status, or 128 + N when it died of signal N.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vmmctl.h"

#define	EXIT_NOEXEC	126	/* COMMAND found but not executable */
#define	EXIT_NOTFOUND	127	/* COMMAND not found */
#define	EXIT_SIGBASE	128	/* COMMAND died of a signal: 128 + N */

static const char	*root;		/* -r ROOT, or NULL: library default */

/* The child "run" forwards signals to; 0 when there is none. */
static volatile sig_atomic_t	run_child;

static void
usage_print(FILE *fp)
{

	fprintf(fp,
	    "usage: vmmctl [-r root] create [--] name ...\n"
	    "       vmmctl [-r root] destroy [--] name ...\n"
	    "       vmmctl [-r root] list [--json]\n"
	    "       vmmctl [-r root] run [--] name -- command [arg ...]\n"
	    "       vmmctl version\n"
	    "       vmmctl -h | --help\n"
	    "\n"
	    "  create    create persistent VMs\n"
	    "  destroy   destroy VMs\n"
	    "  list      list the visible VMs, sorted, one per line, bytes\n"
	    "            other than printable ASCII as \\ooo, \\ as \\\\\n"
	    "            (--json: a JSON array of the exact names)\n"
	    "  run       create a descriptor-scoped VM that lives as long as\n"
	    "            command (which inherits the descriptor: $VMMCTL_FD)\n"
	    "  version   library and header versions\n"
	    "\n"
	    "  -r root   the directory holding vmmctl (default: $VMMCTL_ROOT,\n"
	    "            else /dev)\n"
	    "\n"
	    "exit status: 0 success, 1 an operation failed, 64 usage error,\n"
	    "69 control device unavailable; run: 126/127 command not\n"
	    "executable/not found, else command's status (128+N: signal N)\n");
}

static void
usage(void)
{

	usage_print(stderr);
	exit(EX_USAGE);
}

/* What was wrong, then the usage: exit EX_USAGE. */
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	usage();
}

/*
 * A name (or any argument) for a line of text: printable ASCII as it is,
 * a backslash as two, every other byte as a backslash and three octal
 * digits (as ls -b, and C strings, write them).  One name is one line, no
 * byte reaches the terminal as a control, and the bytes can be recovered.
 */
static char *
vis_name(const char *name)
{
	const unsigned char *s;
	char *buf, *p;

	if ((buf = malloc(strlen(name) * 4 + 1)) == NULL)
		err(1, "malloc");
	for (p = buf, s = (const unsigned char *)name; *s != '\0'; s++) {
		if (*s == '\\') {
			*p++ = '\\';
			*p++ = '\\';
		} else if (*s >= 0x20 && *s <= 0x7e)
			*p++ = (char)*s;
		else
			p += sprintf(p, "\\%03o", *s);
	}
	*p = '\0';
	return (buf);
}

/* "vmmctl: VERB NAME: the library's message", NAME escaped. */
static void
warn_name(const char *verb, const char *name, int error)
{
	char *vis;

	vis = vis_name(name);
	warnx("%s %s: %s", verb, vis, vmmctl_strerror(error));
	free(vis);
}

/*
 * A usage error about the argument arg: "VERB: WHAT 'ARG'" (verb
 * nullable), arg escaped.
 */
static void
usage_arg(const char *verb, const char *what, const char *arg)
{
	char *vis;

	vis = vis_name(arg);
	usage_error("%s%s%s '%s'", verb != NULL ? verb : "",
	    verb != NULL ? ": " : "", what, vis);
	free(vis);	/* not reached */
}

/* The root as the library resolves it, for messages. */
static const char *
root_shown(void)
{
	const char *env;

	if (root != NULL)
		return (root);
	env = getenv("VMMCTL_ROOT");
	if (env != NULL && env[0] != '\0')
		return (env);
	return ("/dev");
}

static vmmctl_t *
ctl_open(uint32_t flags)
{
	vmmctl_t *h;
	int error;

	if ((error = vmmctl_open(root, flags, &h)) != 0)
		errx(EX_UNAVAILABLE, "cannot open %s/vmmctl: %s",
		    vis_name(root_shown()), vmmctl_strerror(error));
	return (h);
}

/*
 * The index of the first name.  A leading "--" is skipped; any other
 * first argument starting with '-' is an unknown option, so that a VM
 * named "-f" must follow "--".
 */
static int
names_start(int argc, char **argv)
{

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		return (2);
	if (argc > 1 && argv[1][0] == '-')
		usage_error("%s: unknown option '%s' (a name that starts "
		    "with '-' follows '--')", argv[0], vis_name(argv[1]));
	return (1);
}

/* create and destroy: every name is tried; 1 if any failed. */
static int
cmd_names(int argc, char **argv)
{
	vmmctl_t *h;
	const char *verb;
	int error, first, i, rc;

	verb = argv[0];
	first = names_start(argc, argv);
	if (first >= argc)
		usage_error("%s: no VM name", verb);
	h = ctl_open(0);
	rc = 0;
	for (i = first; i < argc; i++) {
		if (strcmp(verb, "create") == 0)
			error = vmmctl_create(h, argv[i],
			    VMMCTL_CREATE_PERSISTENT);
		else
			error = vmmctl_destroy(h, argv[i]);
		if (error != 0) {
			warn_name(verb, argv[i], error);
			rc = 1;
		}
	}
	(void)vmmctl_close(h);
	return (rc);
}

static int
name_cmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes left), its
 * code point in *cpp, or 0: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *s, size_t n, unsigned int *cpp)
{
	size_t i, len;
	unsigned int cp, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	*cpp = cp;
	return (len);
}

/*
 * Characters a terminal or an editor acts on rather than shows: the C1
 * controls, the line and paragraph separators, and the bidirectional
 * formatting characters (which reorder what follows them).
 */
static int
json_hidden(unsigned int cp)
{

	return ((cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

/*
 * One JSON string.  VM names are bytes, JSON strings are Unicode: valid
 * UTF-8 is copied, control characters (and json_hidden() ones) are
 * escaped as \uXXXX, the same characters, and each byte that is not part
 * of valid UTF-8 becomes a lone surrogate \udc80-\udcff, as Python's
 * "surrogateescape" does, so no name is lost or confused with another.
 */
static void
json_string(const char *name)
{
	const unsigned char *s;
	unsigned int cp;
	size_t len, n;

	s = (const unsigned char *)name;
	n = strlen(name);
	putchar('"');
	while (n > 0) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s);
		} else if (*s == '\n') {
			fputs("\\n", stdout);
		} else if (*s == '\t') {
			fputs("\\t", stdout);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s);
		} else if (*s < 0x80) {
			putchar(*s);
		} else if ((len = utf8_len(s, n, &cp)) > 0) {
			if (json_hidden(cp))
				printf("\\u%04x", cp);
			else
				fwrite(s, 1, len, stdout);
			s += len;
			n -= len;
			continue;
		} else {
			printf("\\udc%02x", *s);
		}
		s++;
		n--;
	}
	putchar('"');
}

/* The whole list, looping on ERANGE as the set may grow meanwhile. */
static char *
list_fetch(vmmctl_t *h, size_t *lenp)
{
	char *buf, *nbuf;
	size_t len, size;
	int error;

	size = 4096;
	if ((buf = malloc(size)) == NULL)
		err(1, "malloc");
	while ((error = vmmctl_list(h, buf, size, &len)) == ERANGE) {
		size = len + 4096;
		if ((nbuf = realloc(buf, size)) == NULL)
			err(1, "realloc");
		buf = nbuf;
	}
	if (error != 0)
		errx(1, "list: %s", vmmctl_strerror(error));
	*lenp = len;
	return (buf);
}

static int
cmd_list(int argc, char **argv)
{
	vmmctl_t *h;
	char *buf, **names, *vis;
	size_t i, len, n, off;
	int json;

	json = 0;
	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	else if (argc >= 2 && argv[1][0] == '-')
		usage_arg("list", "unknown option", argv[1]);
	if (argc > 1 + json)
		usage_arg("list", "unexpected argument", argv[1 + json]);
	h = ctl_open(0);
	buf = list_fetch(h, &len);
	(void)vmmctl_close(h);

	for (n = 0, off = 0; off < len; off += strlen(buf + off) + 1)
		n++;
	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		err(1, "calloc");
	for (i = 0, off = 0; off < len; off += strlen(buf + off) + 1)
		names[i++] = buf + off;
	qsort(names, n, sizeof(*names), name_cmp);

	if (json) {
		putchar('[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				fputs(", ", stdout);
			json_string(names[i]);
		}
		puts("]");
	} else {
		for (i = 0; i < n; i++) {
			vis = vis_name(names[i]);
			puts(vis);
			free(vis);
		}
	}
	free(names);
	free(buf);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return (0);
}

/*
 * SIGINT, SIGTERM, SIGHUP: meant for the command, which decides.  Those
 * the kernel sends (^C, a terminal hang-up) go to the whole foreground
 * process group, the command included: sending them again could make a
 * command that exits cleanly on the first ^C give up on the second.
 */
static void
run_forward(int sig, siginfo_t *si, void *uc)
{
	int saved;

	(void)uc;
#ifdef SI_KERNEL
	if (si != NULL && si->si_code == SI_KERNEL)
		return;
#else
	(void)si;
#endif
	saved = errno;
	if (run_child > 0)
		(void)kill((pid_t)run_child, sig);
	errno = saved;
}

static const int run_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define	RUN_NSIGNALS	(sizeof(run_signals) / sizeof(run_signals[0]))

/* The dispositions run found, restored for the command. */
static struct sigaction	run_saved[RUN_NSIGNALS];

static void
run_sigset(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < RUN_NSIGNALS; i++)
		sigaddset(set, run_signals[i]);
}

/* In the child, after fork(2), name escaped: never returns. */
static void
run_exec(vmmctl_t *h, const char *name, char **cmd, const sigset_t *omask)
{
	char fdstr[16];
	size_t i;

	/* Ignored stays ignored (nohup, "&" in a script), as without us. */
	for (i = 0; i < RUN_NSIGNALS; i++)
		(void)sigaction(run_signals[i], &run_saved[i], NULL);
	(void)sigprocmask(SIG_SETMASK, omask, NULL);
	(void)snprintf(fdstr, sizeof(fdstr), "%d", vmmctl_fd(h));
	/* The command should see the device this VM lives on. */
	if (setenv("VMMCTL_FD", fdstr, 1) != 0 ||
	    (root != NULL && setenv("VMMCTL_ROOT", root, 1) != 0)) {
		warn("run %s: setenv", name);
		_exit(EXIT_NOEXEC);
	}
	execvp(cmd[0], cmd);
	warn("run %s: %s", name, vis_name(cmd[0]));
	_exit(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND :
	    EXIT_NOEXEC);
}

/*
 * The VM is owned by the control descriptor, which the command inherits:
 * the kernel destroys the VM once the command (and whoever it passed the
 * descriptor to) and this process have all let go of it.
 */
static int
cmd_run(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t mask, omask;
	vmmctl_t *h;
	const char *name;
	char *vname;
	pid_t pid;
	int error, first, status;
	size_t i;

	/* run [--] name [--] command [arg ...] */
	first = names_start(argc, argv);
	if (first >= argc)
		usage_error("run: no VM name");
	name = argv[first++];
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc)
		usage_arg("run", "no command for VM", name);

	h = ctl_open(VMMCTL_OPEN_INHERIT);
	if ((error = vmmctl_create(h, name, 0)) != 0) {
		warn_name("run", name, error);
		(void)vmmctl_close(h);
		return (1);
	}
	name = vname = vis_name(name);	/* for the messages from here on */

	/* No signal may come between fork and run_child being set. */
	run_sigset(&mask);
	(void)sigprocmask(SIG_BLOCK, &mask, &omask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = run_forward;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < RUN_NSIGNALS; i++)
		(void)sigaction(run_signals[i], &sa, &run_saved[i]);
	fflush(NULL);
	if ((pid = fork()) == -1) {
		warn("run %s: fork", name);
		(void)vmmctl_close(h);
		free(vname);
		return (1);
	}
	if (pid == 0)
		run_exec(h, name, argv + first, &omask);
	run_child = pid;
	(void)sigprocmask(SIG_SETMASK, &omask, NULL);

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			err(1, "run %s: waitpid", name);
	}
	/* The pid may be reused now: forward nothing more. */
	(void)sigprocmask(SIG_BLOCK, &mask, NULL);
	run_child = 0;

	(void)vmmctl_close(h);
	free(vname);
	if (WIFSIGNALED(status))
		return (EXIT_SIGBASE + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

static int
cmd_version(int argc, char **argv)
{
	uint32_t v;

	if (argc != 1)
		usage_arg("version", "unexpected argument", argv[1]);
	v = vmmctl_version();
	printf("library %u.%u.%u\n", (unsigned)(v >> 16),
	    (unsigned)((v >> 8) & 0xff), (unsigned)(v & 0xff));
	printf("header %d.%d.%d\n", VMMCTL_VERSION_MAJOR,
	    VMMCTL_VERSION_MINOR, VMMCTL_VERSION_PATCH);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(1, "stdout");
	return (0);
}

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
	{ "create",	cmd_names },
	{ "destroy",	cmd_names },
	{ "list",	cmd_list },
	{ "run",	cmd_run },
	{ "version",	cmd_version },
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL,	'h' },
		{ "root",	required_argument,	NULL,	'r' },
		{ NULL,		0,			NULL,	0 }
	};
	size_t i;
	int ch;

	/* "+": options end at the subcommand (GNU getopt permutes). */
	while ((ch = getopt_long(argc, argv, "+hr:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_print(stdout);
			return (0);
		case 'r':
			root = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage_error("no command");
	if (strcmp(argv[0], "help") == 0) {
		usage_print(stdout);
		return (0);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return (cmds[i].fn(argc, argv));
	usage_arg(NULL, "unknown command", argv[0]);
	return (EX_USAGE);	/* not reached */
}
