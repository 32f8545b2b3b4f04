/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * vmmctl-sim: the kernel core (sys/kern) hosted in a userspace daemon.
 *
 * Every endpoint <root>[/jails/J]/vmmctl is a listening unix socket; every
 * accepted connection is one open file description of the control device,
 * speaking vmmctl_sim_proto.h.  The daemon is single-threaded: one poll(2)
 * loop over the signal pipe, the listeners and the connections.  Sockets
 * are non-blocking and every connection has its own input buffer of one
 * frame, so a client that stalls mid-frame never blocks anyone else.
 *
 * A VM's device node is a regular file <view>/vmm/<name>, mode 0600, owned
 * by its creator (when the sim can chown), in the view of the creator's
 * jail and of every ancestor up to <root>/vmm, as devfs shows it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "vmmctl_dev.h"
#include "vmmctl_kern.h"
#include "vmmctl_sim_proto.h"

#define	SIM_FRAME_MAX	(sizeof(struct vmmctl_sim_hdr) + VMMCTL_SIM_MAX_PAYLOAD)

/* One listening endpoint: the host's or a jail's /dev. */
struct sim_ep {
	struct vmmctl_kjail	*jail;		/* NULL: the host */
	char			dir[PATH_MAX];	/* <root> or <root>/jails/J */
	int			fd;
};

/*
 * One connection: one open file description.  buf comes first, so the
 * payload (at offset 20) is aligned as the core's structures need.
 */
struct sim_conn {
	unsigned char		buf[SIM_FRAME_MAX];
	size_t			have;		/* bytes of the frame in buf */
	int			fd;
	int			hangup;		/* close at the next sweep */
	struct vmmctl_cred	cred;
	struct vmmctl_kfile	*file;		/* NULL until OPEN */
};

struct sim {
	char			root[PATH_MAX];
	int			root_made;	/* we made it: rmdir at exit */
	uid_t			uid;		/* ours: privileged like root */
	uid_t			euid;		/* for the nodes' owners */
	gid_t			egid;
	struct vmmctl_kern	*kern;
	struct sim_ep		*eps;
	size_t			neps;
	struct sim_conn		**conns;
	size_t			nconns;
	size_t			conncap;
	struct pollfd		*pfd;
	int			spare_fd;	/* for EMFILE on accept */
	const char		*pidfile;
	int			pidfile_made;
	int			locked;
};

static struct sim sim;
static int sig_pipe[2] = { -1, -1 };

static void
usage(FILE *fp)
{

	fprintf(fp,
	    "usage: vmmctl-sim --root DIR [--jail NAME]... [--uid-limit N]\n"
	    "                  [--pidfile FILE] [-d] [--help]\n"
	    "\n"
	    "Serves the kernel side of /dev/vmmctl on DIR/vmmctl.\n"
	    "  --root DIR       the simulated /dev (created if missing)\n"
	    "  --jail NAME      a jail (a/b nests): DIR/jails/NAME/vmmctl\n"
	    "  --uid-limit N    at most N VMs per uid (default: no limit)\n"
	    "  --pidfile FILE   write the pid once listening\n"
	    "  -d, --daemon     detach once listening\n"
	    "  -h, --help       this text\n");
}

/* ------------------------------------------------------------------ */
/* struct vmmctl_os: the host's hooks. */

/* Single-threaded: the flag only catches a re-entry bug. */
static void
os_lock(void *arg)
{
	struct sim *s = arg;

	s->locked = 1;
}

static void
os_unlock(void *arg)
{
	struct sim *s = arg;

	s->locked = 0;
}

static void *
os_zalloc(void *arg, size_t size)
{

	(void)arg;
	return (calloc(1, size));
}

static void
os_free(void *arg, void *p)
{

	(void)arg;
	free(p);
}

static int
os_priv_check(void *arg, const struct vmmctl_cred *cred, int priv)
{
	struct sim *s = arg;

	(void)priv;
	if (cred->uid == 0 || cred->uid == (uint32_t)s->uid)
		return (0);
	return (EPERM);
}

/* "<root>[/jails/<jail>]/vmm/<name>" */
static int
entry_path(const struct sim *s, const struct vmmctl_kjail *j,
    const char *name, char *buf, size_t size)
{
	int n;

	if (j == NULL)
		n = snprintf(buf, size, "%s/vmm/%s", s->root, name);
	else
		n = snprintf(buf, size, "%s/jails/%s/vmm/%s", s->root,
		    vmmctl_kjail_name(j), name);
	if (n < 0 || (size_t)n >= size)
		return (ENAMETOOLONG);
	return (0);
}

/*
 * Removes the VM's entries from its jail's view upwards: all of them
 * (all != 0), or those below the view of jail stop.
 */
static void
unpublish_below(struct sim *s, const struct vmmctl_kvm *vm,
    const struct vmmctl_kjail *stop, int all)
{
	char path[PATH_MAX];
	struct vmmctl_kjail *j;

	for (j = vmmctl_kvm_jail(vm); ; j = vmmctl_kjail_parent(j)) {
		if (!all && j == stop)
			break;
		if (entry_path(s, j, vmmctl_kvm_name(vm), path,
		    sizeof(path)) == 0)
			(void)unlink(path);
		if (j == NULL)
			break;
	}
}

static int
publish_one(struct sim *s, const struct vmmctl_kvm *vm,
    const struct vmmctl_kjail *j)
{
	char path[PATH_MAX];
	int error, fd;

	if ((error = entry_path(s, j, vmmctl_kvm_name(vm), path,
	    sizeof(path))) != 0)
		return (error);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return (errno);
	error = 0;
	/*
	 * 0600 is exact: main() set a umask that takes none of its bits.
	 * Only a root sim can give the node to its creator, and it need not
	 * when the creator is the sim's own user.
	 */
	if (s->euid == 0 && (vmmctl_kvm_uid(vm) != (uint32_t)s->euid ||
	    vmmctl_kvm_gid(vm) != (uint32_t)s->egid) &&
	    fchown(fd, vmmctl_kvm_uid(vm), vmmctl_kvm_gid(vm)) != 0)
		error = errno;
	(void)close(fd);
	if (error != 0)
		(void)unlink(path);
	return (error);
}

/*
 * The VM's entry in its jail's view and every ancestor's.  A failure
 * fails the create (e.g. ENAMETOOLONG for a long name under a deep root),
 * after removing what was made.
 */
static int
os_publish(void *arg, const struct vmmctl_kvm *vm)
{
	struct sim *s = arg;
	struct vmmctl_kjail *j;
	int error;

	for (j = vmmctl_kvm_jail(vm); ; j = vmmctl_kjail_parent(j)) {
		if ((error = publish_one(s, vm, j)) != 0) {
			/* Only the views below j: j's entry is not ours. */
			unpublish_below(s, vm, j, 0);
			return (error);
		}
		if (j == NULL)
			break;
	}
	return (0);
}

static void
os_unpublish(void *arg, const struct vmmctl_kvm *vm)
{

	unpublish_below(arg, vm, NULL, 1);
}

/* ------------------------------------------------------------------ */
/* File system helpers. */

static void
rmtree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		(void)unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path,
			    de->d_name) >= (int)sizeof(sub))
				continue;
			rmtree(sub);
		}
		(void)closedir(d);
	}
	(void)rmdir(path);
}

static int
path_join(char *buf, size_t size, const char *a, const char *b)
{
	int n;

	n = snprintf(buf, size, "%s/%s", a, b);
	if (n < 0 || (size_t)n >= size)
		return (ENAMETOOLONG);
	return (0);
}

static int
mkdir_0755(const char *path)
{

	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return (errno);
	/* Unprivileged clients must reach the sockets and the views. */
	(void)chmod(path, 0755);
	return (0);
}

/* mkdir -p */
static int
mkdirs(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return (ENAMETOOLONG);
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return (errno);
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return (errno);
	return (0);
}

/* ------------------------------------------------------------------ */
/* Start-up. */

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

/* 1 when something accepts connections at <dir>/vmmctl. */
static int
ep_alive(const char *dir)
{
	struct sockaddr_un sun;
	int fd, ok;

	if (sun_fill(&sun, dir) != 0)
		return (0);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return (0);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	(void)close(fd);
	return (ok);
}

static int
set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return (errno);
	return (0);
}

static int
ep_listen(struct sim_ep *ep)
{
	struct sockaddr_un sun;
	char vmm[PATH_MAX];
	int error;

	if ((error = sun_fill(&sun, ep->dir)) != 0)
		return (error);
	if ((error = mkdir_0755(ep->dir)) != 0)
		return (error);
	if ((error = path_join(vmm, sizeof(vmm), ep->dir, "vmm")) != 0 ||
	    (error = mkdir_0755(vmm)) != 0)
		return (error);
	(void)unlink(sun.sun_path);
	if ((ep->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return (errno);
	if (bind(ep->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(sun.sun_path, 0666) != 0 ||
	    listen(ep->fd, 128) != 0 ||
	    (error = set_nonblock(ep->fd)) != 0) {
		error = error != 0 ? error : errno;
		(void)close(ep->fd);
		ep->fd = -1;
		return (error);
	}
	return (0);
}

static struct sim_ep *
ep_add(struct vmmctl_kjail *j)
{
	struct sim_ep *eps, *ep;
	int n;

	eps = realloc(sim.eps, (sim.neps + 1) * sizeof(*eps));
	if (eps == NULL)
		return (NULL);
	sim.eps = eps;
	ep = &eps[sim.neps++];
	memset(ep, 0, sizeof(*ep));
	ep->jail = j;
	ep->fd = -1;
	if (j == NULL)
		n = snprintf(ep->dir, sizeof(ep->dir), "%s", sim.root);
	else
		n = snprintf(ep->dir, sizeof(ep->dir), "%s/jails/%s",
		    sim.root, vmmctl_kjail_name(j));
	if (n < 0 || (size_t)n >= sizeof(ep->dir)) {
		sim.neps--;
		return (NULL);	/* far beyond sun_path anyway */
	}
	return (ep);
}

/* The last component of a jail's full name. */
static const char *
jail_leaf(const struct vmmctl_kjail *j)
{
	const char *name, *slash;

	name = vmmctl_kjail_name(j);
	slash = strrchr(name, '/');
	return (slash != NULL ? slash + 1 : name);
}

/* The endpoint of jail name inside parent (NULL: the host), if any. */
static struct sim_ep *
ep_find_child(const struct vmmctl_kjail *parent, const char *name)
{
	struct sim_ep *ep;
	size_t i;

	for (i = 0; i < sim.neps; i++) {
		ep = &sim.eps[i];
		if (ep->jail != NULL &&
		    vmmctl_kjail_parent(ep->jail) == parent &&
		    strcmp(jail_leaf(ep->jail), name) == 0)
			return (ep);
	}
	return (NULL);
}

/*
 * "--jail a/b": jail a (unless an earlier option made it), then b inside
 * it.  Every jail gets an endpoint and a view, so each ancestor's view
 * exists for publish.  "vmm" and "vmmctl" are refused: jail a/vmm's
 * directory would be jail a's view.
 */
static int
jail_add(const char *spec)
{
	char buf[PATH_MAX], *comp, *save;
	struct vmmctl_kjail *parent, *j;
	struct sim_ep *ep;
	int error;

	if (strlen(spec) >= sizeof(buf))
		return (ENAMETOOLONG);
	strcpy(buf, spec);
	parent = NULL;
	for (comp = strtok_r(buf, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		/* A child's directory sits beside its parent's endpoint. */
		if (strcmp(comp, "vmm") == 0 || strcmp(comp, "vmmctl") == 0)
			return (EINVAL);
		if ((ep = ep_find_child(parent, comp)) != NULL) {
			parent = ep->jail;
			continue;
		}
		error = vmmctl_kern_jail_create(sim.kern, parent, comp, &j);
		if (error != 0)
			return (error);
		if (ep_add(j) == NULL)
			return (ENAMETOOLONG);
		parent = j;
	}
	return (parent != NULL ? 0 : EINVAL);	/* "", "/", "//" */
}

static int
write_pidfile(const char *path, pid_t pid)
{
	char tmp[PATH_MAX];
	FILE *fp;
	int error;

	/* Written whole, then renamed: a reader never sees half a pid. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return (ENAMETOOLONG);
	if ((fp = fopen(tmp, "w")) == NULL)
		return (errno);
	error = 0;
	if (fprintf(fp, "%ld\n", (long)pid) < 0)
		error = EIO;
	if (fclose(fp) != 0 && error == 0)
		error = errno;
	if (error == 0 && rename(tmp, path) != 0)
		error = errno;
	if (error != 0)
		(void)unlink(tmp);
	return (error);
}

/* An absolute root without a trailing slash ("/" stays "/"). */
static int
root_set(const char *arg)
{
	char cwd[PATH_MAX];
	size_t len;
	int n;

	if (*arg == '\0')
		return (EINVAL);
	if (arg[0] == '/')
		n = snprintf(sim.root, sizeof(sim.root), "%s", arg);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return (errno);
		n = snprintf(sim.root, sizeof(sim.root), "%s/%s", cwd, arg);
	}
	if (n < 0 || (size_t)n >= sizeof(sim.root))
		return (ENAMETOOLONG);
	len = strlen(sim.root);
	while (len > 1 && sim.root[len - 1] == '/')
		sim.root[--len] = '\0';
	return (0);
}

static void
die(const char *what, int error)
{

	fprintf(stderr, "vmmctl-sim: %s: %s\n", what, strerror(error));
	exit(1);
}

/*
 * Checks, then makes the root ready: refuses (exit 1) a socket path that
 * does not fit sun_path, a root another sim serves, and an unwritable root.
 */
static void
root_prepare(void)
{
	struct sockaddr_un sun;
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int error;

	for (i = 0; i < sim.neps; i++) {
		if (sun_fill(&sun, sim.eps[i].dir) != 0) {
			fprintf(stderr, "vmmctl-sim: socket path %s/vmmctl "
			    "is too long (the limit is %zu bytes)\n",
			    sim.eps[i].dir, sizeof(sun.sun_path) - 1);
			exit(1);
		}
	}
	if (stat(sim.root, &st) != 0) {
		if (errno != ENOENT)
			die(sim.root, errno);
		if ((error = mkdirs(sim.root)) != 0)
			die(sim.root, error);
		sim.root_made = 1;
	} else if (!S_ISDIR(st.st_mode)) {
		die(sim.root, ENOTDIR);
	}
	if (ep_alive(sim.root)) {
		fprintf(stderr, "vmmctl-sim: another simulator already serves "
		    "%s/vmmctl\n", sim.root);
		exit(1);
	}
	if (access(sim.root, W_OK | X_OK) != 0)
		die(sim.root, errno);
	/* Stale state of an earlier run: ours to remove. */
	if (path_join(path, sizeof(path), sim.root, "vmmctl") == 0 &&
	    lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "vmmctl-sim: %s exists and is not a "
			    "socket\n", path);
			exit(1);
		}
		(void)unlink(path);
	}
	if (path_join(path, sizeof(path), sim.root, "vmm") == 0)
		rmtree(path);
	if (path_join(path, sizeof(path), sim.root, "jails") == 0)
		rmtree(path);
	/* A real write test: access(2) says yes to root on read-only mounts. */
	if (path_join(path, sizeof(path), sim.root, "vmm") == 0 &&
	    (error = mkdir_0755(path)) != 0)
		die(sim.root, error);
	if (sim.neps > 1 &&
	    path_join(path, sizeof(path), sim.root, "jails") == 0 &&
	    (error = mkdir_0755(path)) != 0)
		die(path, error);
}

/* ------------------------------------------------------------------ */
/* Connections. */

static void
conn_close(size_t i)
{
	struct sim_conn *c = sim.conns[i];

	/* The last reference to the open file is gone. */
	if (c->file != NULL)
		vmmctl_kern_release(c->file);
	(void)close(c->fd);
	free(c);
	sim.conns[i] = sim.conns[--sim.nconns];
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
	cred->uid = (uint32_t)uc.uid;
	cred->gid = (uint32_t)uc.gid;
#else
	uid_t uid;
	gid_t gid;

	/* FreeBSD, macOS, the other BSDs: LOCAL_PEERCRED underneath. */
	if (getpeereid(fd, &uid, &gid) != 0)
		return (errno);
	cred->uid = (uint32_t)uid;
	cred->gid = (uint32_t)gid;
#endif
	return (0);
}

static int
conn_grow(void)
{
	struct sim_conn **cv;
	struct pollfd *pv;
	size_t cap;

	if (sim.nconns < sim.conncap)
		return (0);
	cap = sim.conncap == 0 ? 16 : sim.conncap * 2;
	if ((cv = realloc(sim.conns, cap * sizeof(*cv))) == NULL)
		return (ENOMEM);
	sim.conns = cv;
	if ((pv = realloc(sim.pfd, (1 + sim.neps + cap) * sizeof(*pv))) ==
	    NULL)
		return (ENOMEM);
	sim.pfd = pv;
	sim.conncap = cap;
	return (0);
}

/*
 * Out of descriptors: the pending connection would keep the listener
 * readable forever (a busy loop).  Give up the spare descriptor, accept
 * and drop the client, and take the spare back.
 */
static void
accept_shed(int lfd)
{
	int fd;

	if (sim.spare_fd >= 0) {
		(void)close(sim.spare_fd);
		sim.spare_fd = -1;
	}
	if ((fd = accept(lfd, NULL, NULL)) >= 0)
		(void)close(fd);
	sim.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void
ep_accept(struct sim_ep *ep)
{
	struct sim_conn *c;
	int fd, n;

	/* A bounded batch: the connections must get their turn too. */
	for (n = 0; n < 64; n++) {
		fd = accept(ep->fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_shed(ep->fd);
			return;	/* EAGAIN, ECONNABORTED, EINTR, ... */
		}
		if (set_nonblock(fd) != 0 || conn_grow() != 0 ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			(void)close(fd);
			continue;
		}
		c->fd = fd;
		c->cred.jail = ep->jail;
		if (peer_cred(fd, &c->cred) != 0) {
			free(c);
			(void)close(fd);
			continue;
		}
		sim.conns[sim.nconns++] = c;
	}
}

/* How many bytes the frame in c->buf still needs (0: complete). */
static size_t
frame_need(const struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;

	if (c->have < sizeof(h))
		return (sizeof(h) - c->have);
	memcpy(&h, c->buf, sizeof(h));
	/* h.len was bounded by frame_check before any payload was read. */
	return (sizeof(h) + h.len - c->have);
}

/*
 * The header's own validity: 0, or the errno of a fatal protocol error
 * (the reply is sent and the connection closed).
 */
static int
frame_check(const struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;

	memcpy(&h, c->buf, sizeof(h));
	if (h.magic != VMMCTL_SIM_MAGIC)
		return (EPROTO);
	if (h.version != VMMCTL_SIM_VERSION)
		return (EPROTONOSUPPORT);
	if (h.type != VMMCTL_SIM_T_OPEN && h.type != VMMCTL_SIM_T_IOCTL)
		return (EPROTO);
	if (h.len > VMMCTL_SIM_MAX_PAYLOAD)
		return (EPROTO);
	/* OPEN first, and only first. */
	if ((h.type == VMMCTL_SIM_T_OPEN) != (c->file == NULL))
		return (EPROTO);
	return (0);
}

/*
 * A reply, written without blocking.  A client that cannot take 4 KiB is
 * not reading its replies: 0 or -1 (drop it).
 */
static int
conn_reply(struct sim_conn *c, int error, const void *payload, uint32_t len)
{
	unsigned char out[SIM_FRAME_MAX];
	struct vmmctl_sim_hdr h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.magic = VMMCTL_SIM_MAGIC;
	h.version = VMMCTL_SIM_VERSION;
	h.type = VMMCTL_SIM_T_REPLY;
	h.error = error;
	h.len = len;
	memcpy(out, &h, sizeof(h));
	if (len > 0)
		memcpy(out + sizeof(h), payload, len);
	do
		n = send(c->fd, out, sizeof(h) + len, 0);
	while (n < 0 && errno == EINTR);
	return (n == (ssize_t)(sizeof(h) + len) ? 0 : -1);
}

/* Serves the complete frame in c->buf: 0, or -1 to close the connection. */
static int
conn_serve(struct sim_conn *c)
{
	struct vmmctl_sim_hdr h;
	unsigned char *data;
	int error, fflags;

	memcpy(&h, c->buf, sizeof(h));
	data = c->buf + sizeof(h);
	c->have = 0;
	if (h.type == VMMCTL_SIM_T_OPEN) {
		fflags = 0;
		if (h.arg & VMMCTL_SIM_FREAD)
			fflags |= VMMCTL_KF_READ;
		if (h.arg & VMMCTL_SIM_FWRITE)
			fflags |= VMMCTL_KF_WRITE;
		error = vmmctl_kern_open(sim.kern, &c->cred, fflags, &c->file);
		if (error != 0)
			c->file = NULL;
		if (conn_reply(c, error, NULL, 0) != 0 || error != 0)
			return (-1);
		return (0);
	}
	if (h.len != VMMCTL_SIM_CMD_LEN(h.arg))
		return (conn_reply(c, EINVAL, NULL, 0));
	error = vmmctl_kern_ioctl(c->file, &c->cred, h.arg, data, h.len);
	if ((h.arg & VMMCTL_SIM_IOC_OUT) != 0)
		return (conn_reply(c, error, data, h.len));
	return (conn_reply(c, error, NULL, 0));
}

/*
 * Reads what the socket has of the current frame, never past it, checking
 * the header before a payload byte is read.  Marks a hang-up on EOF or a
 * fatal error.
 */
static void
conn_read(struct sim_conn *c)
{
	size_t need;
	ssize_t n;
	int error;

	while ((need = frame_need(c)) > 0) {
		n = recv(c->fd, c->buf + c->have, need, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->hangup = 1;
			return;
		}
		c->have += (size_t)n;
		if (c->have == sizeof(struct vmmctl_sim_hdr) &&
		    (error = frame_check(c)) != 0) {
			(void)conn_reply(c, error, NULL, 0);
			c->hangup = 1;
			return;
		}
	}
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
sweep_hangups(void)
{
	struct pollfd *p;
	unsigned char b;
	size_t i, n;
	ssize_t r;

	n = sim.nconns;
	r = 0;
	p = sim.pfd + 1 + sim.neps;
	for (i = 0; i < n; i++) {
		p[i].fd = sim.conns[i]->fd;
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
				sim.conns[i]->hangup = 1;
			else if ((p[i].revents & POLLIN) != 0) {
				r = recv(sim.conns[i]->fd, &b, 1,
				    MSG_PEEK | MSG_DONTWAIT);
				if (r == 0 || (r < 0 && errno != EAGAIN &&
				    errno != EWOULDBLOCK && errno != EINTR))
					sim.conns[i]->hangup = 1;
			}
		}
	}
	/* Backwards: conn_close moves the last connection into slot i. */
	for (i = sim.nconns; i-- > 0; )
		if (sim.conns[i]->hangup)
			conn_close(i);
}

/* ------------------------------------------------------------------ */
/* The loop. */

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	(void)write(sig_pipe[1], &b, 1);
	errno = saved;
}

static int
signals_setup(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) != 0 || set_nonblock(sig_pipe[0]) != 0 ||
	    set_nonblock(sig_pipe[1]) != 0)
		return (errno);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return (errno);
	/* A client gone mid-reply is an error return, not our death. */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	return (0);
}

static void
loop(void)
{
	struct pollfd *p;
	size_t i, nfd, n;

	for (;;) {
		p = sim.pfd;
		p[0].fd = sig_pipe[0];
		p[0].events = POLLIN;
		for (i = 0; i < sim.neps; i++) {
			p[1 + i].fd = sim.eps[i].fd;
			p[1 + i].events = POLLIN;
		}
		n = sim.nconns;
		for (i = 0; i < n; i++) {
			p[1 + sim.neps + i].fd = sim.conns[i]->fd;
			p[1 + sim.neps + i].events = POLLIN;
		}
		nfd = 1 + sim.neps + n;
		for (i = 0; i < nfd; i++)
			p[i].revents = 0;
		if (poll(p, (nfds_t)nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", errno);
		}
		if (p[0].revents != 0)
			return;
		/* 1. Input of this round, before anything is served. */
		for (i = 0; i < n; i++)
			if ((p[1 + sim.neps + i].revents &
			    (POLLIN | POLLHUP | POLLERR)) != 0)
				conn_read(sim.conns[i]);
		/* 2. Every hang-up pending now (see sweep_hangups). */
		sweep_hangups();
		/* 3. The complete frames.  One per connection and round. */
		for (i = sim.nconns; i-- > 0; ) {
			struct sim_conn *c = sim.conns[i];

			if (c->have < sizeof(struct vmmctl_sim_hdr) ||
			    frame_need(c) != 0)
				continue;
			if (conn_serve(c) != 0)
				conn_close(i);
		}
		/* 4. New connections, after the listeners' slots are read. */
		for (i = 0; i < sim.neps; i++)
			if ((sim.pfd[1 + i].revents & POLLIN) != 0)
				ep_accept(&sim.eps[i]);	/* may move sim.pfd */
	}
}

/* ------------------------------------------------------------------ */

static void
shutdown_all(void)
{
	struct sockaddr_un sun;
	char path[PATH_MAX];
	size_t i;

	while (sim.nconns > 0)
		conn_close(sim.nconns - 1);
	vmmctl_kern_fini(sim.kern);	/* destroys (unpublishes) every VM */
	sim.kern = NULL;
	for (i = 0; i < sim.neps; i++) {
		if (sim.eps[i].fd >= 0)
			(void)close(sim.eps[i].fd);
		if (sun_fill(&sun, sim.eps[i].dir) == 0)
			(void)unlink(sun.sun_path);
	}
	if (path_join(path, sizeof(path), sim.root, "vmm") == 0)
		rmtree(path);
	if (path_join(path, sizeof(path), sim.root, "jails") == 0)
		rmtree(path);
	if (sim.pidfile != NULL && sim.pidfile_made)
		(void)unlink(sim.pidfile);
	if (sim.root_made)
		(void)rmdir(sim.root);
	free(sim.eps);
	free(sim.conns);
	free(sim.pfd);
	if (sim.spare_fd >= 0)
		(void)close(sim.spare_fd);
}

/*
 * -d: the parent waits for the child's "ready" byte, so it exits (0) only
 * once the sockets listen, or with the child's failure.
 */
static int
daemon_start(void)
{
	int fds[2], status;
	char b;
	pid_t pid;

	if (pipe(fds) != 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "root",	required_argument,	NULL, 'r' },
		{ "jail",	required_argument,	NULL, 'j' },
		{ "uid-limit",	required_argument,	NULL, 'u' },
		{ "pidfile",	required_argument,	NULL, 'p' },
		{ "daemon",	no_argument,		NULL, 'd' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	static const struct vmmctl_os os = {
		.arg = &sim,
		.lock = os_lock,
		.unlock = os_unlock,
		.zalloc = os_zalloc,
		.free = os_free,
		.priv_check = os_priv_check,
		.publish = os_publish,
		.unpublish = os_unpublish,
	};
	const char **jails;
	unsigned long limit;
	char *end;
	int ch, daemonize, error, have_limit, njails, i, ready_fd;

	jails = calloc((size_t)argc + 1, sizeof(*jails));
	if (jails == NULL)
		die("calloc", ENOMEM);
	njails = daemonize = have_limit = 0;
	limit = 0;
	sim.spare_fd = -1;
	while ((ch = getopt_long(argc, argv, "dh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if ((error = root_set(optarg)) != 0) {
				fprintf(stderr, "vmmctl-sim: --root %s: %s\n",
				    optarg, strerror(error));
				exit(EX_USAGE);
			}
			break;
		case 'j':
			jails[njails++] = optarg;
			break;
		case 'u':
			errno = 0;
			limit = strtoul(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    *optarg == '-' || limit > UINT32_MAX) {
				fprintf(stderr, "vmmctl-sim: bad --uid-limit "
				    "%s\n", optarg);
				usage(stderr);
				exit(EX_USAGE);
			}
			have_limit = 1;
			break;
		case 'p':
			sim.pidfile = optarg;
			break;
		case 'd':
			daemonize = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	if (optind != argc || sim.root[0] == '\0') {
		if (sim.root[0] == '\0')
			fprintf(stderr, "vmmctl-sim: --root is required\n");
		usage(stderr);
		exit(EX_USAGE);
	}

	ready_fd = daemonize ? daemon_start() : -1;
	sim.uid = getuid();
	sim.euid = geteuid();
	sim.egid = getegid();
	/* Modes are ours to set: 0600 nodes need no fchmod per create. */
	(void)umask(022);
	if ((error = vmmctl_kern_init(&os, &sim.kern)) != 0)
		die("vmmctl_kern_init", error);
	if (have_limit)
		vmmctl_kern_set_uid_limit(sim.kern, (uint32_t)limit);
	if (ep_add(NULL) == NULL)
		die("malloc", ENOMEM);
	for (i = 0; i < njails; i++) {
		if ((error = jail_add(jails[i])) != 0) {
			fprintf(stderr, "vmmctl-sim: --jail %s: %s\n",
			    jails[i], strerror(error));
			exit(EX_USAGE);
		}
	}
	free(jails);
	root_prepare();
	if ((error = signals_setup()) != 0)
		die("signals", error);
	sim.conncap = 0;
	if ((error = conn_grow()) != 0)
		die("malloc", error);
	for (i = 0; i < (int)sim.neps; i++) {
		if ((error = ep_listen(&sim.eps[i])) != 0) {
			fprintf(stderr, "vmmctl-sim: %s/vmmctl: %s\n",
			    sim.eps[i].dir, strerror(error));
			shutdown_all();
			exit(1);
		}
	}
	sim.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sim.pidfile != NULL) {
		if ((error = write_pidfile(sim.pidfile, getpid())) != 0) {
			fprintf(stderr, "vmmctl-sim: %s: %s\n", sim.pidfile,
			    strerror(error));
			shutdown_all();
			exit(1);
		}
		sim.pidfile_made = 1;
	}
	if (ready_fd >= 0)
		daemon_ready(ready_fd);
	loop();
	shutdown_all();
	return (0);
}
