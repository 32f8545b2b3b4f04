/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator's device mode (vmmctl-sim --fuse): the root is mounted as
 * a FUSE file system in which the endpoints are files answering ioctl(2),
 * so that libvmmctl takes its character-device path, and the kernel itself
 * tracks open file descriptions and callers:
 *
 *	<root>/vmmctl			the control file (as /dev/vmmctl)
 *	<root>/vmm/<name>		one node per VM (as the core says)
 *	<root>/jails/J/{vmmctl,vmm/}	jail J's /dev ("a/b" nests)
 *
 * Mapping onto the kernel core (sys/kern):
 * - open of a control file is vmmctl_kern_open() with the opener's
 *   credentials; FUSE's RELEASE, which the kernel sends once, when the last
 *   reference to the open file description goes (close, exit, crash, after
 *   dup, fork and SCM_RIGHTS alike), is vmmctl_kern_release();
 * - an ioctl arrives "restricted": the kernel copies _IOC_SIZE(cmd) bytes
 *   in and out by the command's direction bits, as FreeBSD's does, and is
 *   answered by vmmctl_kern_ioctl() with the credentials of the thread that
 *   made it (fuse_get_context()) and the jail of the endpoint it was opened
 *   through;
 * - the nodes are served from memory (publish/unpublish keep the table
 *   below); the kernel checks their owners and modes itself
 *   (default_permissions).
 *
 * Nothing is cached by the kernel: entry, attribute and negative timeouts
 * are 0 and files are direct_io, so every lookup, stat and readdir asks
 * this server.  One thread serves the mount, in the order the kernel queued
 * the requests.  FUSE sends RELEASE asynchronously, but it queues it before
 * the last close(2) returns; with max_background raised so that releases
 * never wait behind the kernel's background limit, every request made after
 * that close() returned (a readdir of <root>/vmm, a create of the same name,
 * libvmmctl's barrier in vmmctl_close()) is served after the release.
 *
 * Built with VMMCTL_SIM_HAVE_FUSE (libfuse3, Linux); without it every entry
 * point says ENOTSUP, so the host links the same everywhere.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmctl_sim_var.h"

#ifndef VMMCTL_SIM_HAVE_FUSE

int
sim_fuse_supported(void)
{

	return (0);
}

int
sim_fuse_usable(char *why, size_t size)
{

	(void)snprintf(why, size, "this vmmctl-sim was built without FUSE "
	    "support (libfuse3)");
	return (ENOTSUP);
}

int
sim_fuse_mount(struct vmmctl_sim *sim)
{

	return (sim_fail(sim, ENOTSUP, "--fuse: built without libfuse3"));
}

int
sim_fuse_unstale(struct vmmctl_sim *sim)
{

	(void)sim;
	return (0);
}

int
sim_fuse_serve(struct vmmctl_sim *sim)
{

	(void)sim;
	return (ENOTSUP);
}

void
sim_fuse_close(struct vmmctl_sim *sim)
{

	(void)sim;
}

void
sim_fuse_free(struct vmmctl_sim *sim)
{

	(void)sim;
}

int
sim_fuse_publish(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm)
{

	(void)sim;
	(void)vm;
	return (ENOTSUP);
}

void
sim_fuse_unpublish(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm)
{

	(void)sim;
	(void)vm;
}

#else /* VMMCTL_SIM_HAVE_FUSE */

#define	FUSE_USE_VERSION	35

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

/* The mount's type in /proc/self/mountinfo: "fuse.<subtype>". */
#define	FZ_FSNAME	"vmmctl-sim"
#define	FZ_MNTTYPE	"fuse." FZ_FSNAME
#define	FZ_FUSERMOUNT	"fusermount3"
/* The kernel's field is 16 bits; see the comment at the top. */
#define	FZ_MAX_BACKGROUND	65535

/* One VM's node, in every view that sees its jail. */
struct fz_node {
	struct fz_node		*hnext;		/* hash chain */
	struct fz_node		*next;		/* every node, for readdir */
	struct fz_node		**prevp;
	const struct vmmctl_kjail *jail;
	uid_t			uid;
	gid_t			gid;
	mode_t			mode;
	struct timespec		time;
	char			name[VM_MAX_NAMELEN + 1];
};

/* An owner and a mode root may change (chmod, chown), as on devfs. */
struct fz_attr {
	uid_t			uid;
	gid_t			gid;
	mode_t			mode;
};

/* Per endpoint: its directory (the root for the host), vmmctl and vmm/. */
struct fz_ep {
	struct fz_attr		dir;
	struct fz_attr		ctl;
	struct fz_attr		view;
};

/* One open file description of a control file. */
struct fz_file {
	struct vmmctl_kfile	*kfile;
	const struct sim_ep	*ep;
	struct fz_file		*next;
	struct fz_file		**prevp;
};

struct sim_fuse {
	struct fuse		*fuse;
	struct fuse_session	*se;
	int			mounted;
	struct timespec		start;
	struct fz_ep		*eps;		/* parallel to sim->eps */
	struct fz_attr		jails;		/* <root>/jails */
	struct fz_node		**buckets;
	size_t			nbuckets;	/* a power of 2 */
	size_t			nnodes;
	struct fz_node		*nodes;
	struct fz_file		*files;
};

/* ------------------------------------------------------------------ */
/* Availability. */

/* 1 when prog is an executable in $PATH (or the usual places). */
static int
in_path(const char *prog)
{
	char buf[PATH_MAX];
	const char *path, *p, *end;
	int n;

	path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p),
		    end == p ? "." : p, prog);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0)
			return (1);
		if (*end == '\0')
			return (0);
	}
}

int
sim_fuse_supported(void)
{

	return (1);
}

/*
 * 0 when this process can mount and serve: /dev/fuse opens read-write, and
 * it is root or has fusermount3 (the setuid helper).  Else an errno and a
 * sentence in why.
 */
int
sim_fuse_usable(char *why, size_t size)
{
	int error, fd;

	if ((fd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0) {
		error = errno;
		(void)snprintf(why, size, "/dev/fuse: %s (device mode needs "
		    "the fuse module and access to /dev/fuse)",
		    strerror(error));
		return (error == ENOENT || error == ENXIO ? ENODEV : error);
	}
	(void)close(fd);
	if (geteuid() != 0 && !in_path(FZ_FUSERMOUNT)) {
		(void)snprintf(why, size, "not root, and no %s in PATH (Debian "
		    "package fuse3) to mount with", FZ_FUSERMOUNT);
		return (EPERM);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* The node table: a hash by name, and a list for readdir. */

static uint32_t
fz_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h);
}

static struct fz_node *
fz_lookup(const struct sim_fuse *fz, const char *name)
{
	struct fz_node *n;

	if (fz->nbuckets == 0)
		return (NULL);
	for (n = fz->buckets[fz_hash(name) & (fz->nbuckets - 1)]; n != NULL;
	    n = n->hnext)
		if (strcmp(n->name, name) == 0)
			return (n);
	return (NULL);
}

static int
fz_grow(struct sim_fuse *fz)
{
	struct fz_node **nb, *n;
	size_t cap, i;

	if (fz->nnodes < fz->nbuckets)
		return (0);
	cap = fz->nbuckets == 0 ? 64 : fz->nbuckets * 2;
	if ((nb = calloc(cap, sizeof(*nb))) == NULL)
		return (ENOMEM);
	for (n = fz->nodes; n != NULL; n = n->next) {
		i = fz_hash(n->name) & (cap - 1);
		n->hnext = nb[i];
		nb[i] = n;
	}
	free(fz->buckets);
	fz->buckets = nb;
	fz->nbuckets = cap;
	return (0);
}

int
sim_fuse_publish(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm)
{
	struct sim_fuse *fz = sim->fz;
	struct vmmctl_node_attr a;
	struct fz_node *n;
	size_t i;

	if (fz_lookup(fz, vmmctl_kvm_name(vm)) != NULL)
		return (EEXIST);	/* the core keeps names unique */
	if (fz_grow(fz) != 0 || (n = calloc(1, sizeof(*n))) == NULL)
		return (ENOMEM);
	(void)snprintf(n->name, sizeof(n->name), "%s", vmmctl_kvm_name(vm));
	n->jail = vmmctl_kvm_jail(vm);
	vmmctl_kvm_node(vm, &a);
	n->uid = (uid_t)a.uid;
	n->gid = (gid_t)a.gid;
	n->mode = S_IFREG | (mode_t)a.mode;
	(void)clock_gettime(CLOCK_REALTIME, &n->time);
	i = fz_hash(n->name) & (fz->nbuckets - 1);
	n->hnext = fz->buckets[i];
	fz->buckets[i] = n;
	n->next = fz->nodes;
	if (fz->nodes != NULL)
		fz->nodes->prevp = &n->next;
	n->prevp = &fz->nodes;
	fz->nodes = n;
	fz->nnodes++;
	return (0);
}

static void
fz_node_remove(struct sim_fuse *fz, struct fz_node *n)
{
	struct fz_node **pp;

	for (pp = &fz->buckets[fz_hash(n->name) & (fz->nbuckets - 1)];
	    *pp != n; pp = &(*pp)->hnext)
		;
	*pp = n->hnext;
	*n->prevp = n->next;
	if (n->next != NULL)
		n->next->prevp = n->prevp;
	fz->nnodes--;
	free(n);
}

void
sim_fuse_unpublish(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm)
{
	struct fz_node *n;

	if ((n = fz_lookup(sim->fz, vmmctl_kvm_name(vm))) != NULL)
		fz_node_remove(sim->fz, n);
}

/* ------------------------------------------------------------------ */
/* Paths. */

enum fz_kind {
	FZ_ROOTDIR,		/* the host's /dev: the mount's root */
	FZ_JAILS,		/* <root>/jails */
	FZ_JAILDIR,		/* <root>/jails/J */
	FZ_CTL,			/* <ep>/vmmctl */
	FZ_VIEW,		/* <ep>/vmm */
	FZ_NODE			/* <ep>/vmm/<name> */
};

struct fz_ent {
	enum fz_kind		kind;
	size_t			ep;		/* index into sim->eps */
	struct fz_node		*node;		/* FZ_NODE */
};

static struct vmmctl_sim *
fz_sim(void)
{

	return (fuse_get_context()->private_data);
}

/* The endpoint's directory below the mount: "" or "/jails/a/b". */
static const char *
ep_rel(const struct vmmctl_sim *sim, size_t i)
{

	return (sim->eps[i].dir + strlen(sim->root));
}

/* What path names: 0, or ENOENT. */
static int
fz_resolve(struct vmmctl_sim *sim, const char *path, struct fz_ent *e)
{
	const char *rel, *rest;
	size_t best, i, len, blen;

	memset(e, 0, sizeof(*e));
	if (path == NULL)
		return (ENOENT);
	if (strcmp(path, "/") == 0) {
		e->kind = FZ_ROOTDIR;
		return (0);
	}
	if (sim->neps > 1 && strcmp(path, "/jails") == 0) {
		e->kind = FZ_JAILS;
		return (0);
	}
	/* The deepest endpoint whose directory holds path. */
	best = 0;
	blen = 0;
	for (i = 1; i < sim->neps; i++) {
		rel = ep_rel(sim, i);
		len = strlen(rel);
		if (len > blen && strncmp(path, rel, len) == 0 &&
		    (path[len] == '/' || path[len] == '\0')) {
			best = i;
			blen = len;
		}
	}
	e->ep = best;
	rest = path + blen;
	if (*rest == '\0') {
		e->kind = FZ_JAILDIR;
		return (0);
	}
	if (strcmp(rest, "/vmmctl") == 0) {
		e->kind = FZ_CTL;
		return (0);
	}
	if (strcmp(rest, "/vmm") == 0) {
		e->kind = FZ_VIEW;
		return (0);
	}
	if (strncmp(rest, "/vmm/", 5) != 0 || strchr(rest + 5, '/') != NULL)
		return (ENOENT);
	e->node = fz_lookup(sim->fz, rest + 5);
	/* A VM of another jail is not in this view, as on devfs. */
	if (e->node == NULL ||
	    !vmmctl_kjail_sees(sim->eps[best].jail, e->node->jail))
		return (ENOENT);
	e->kind = FZ_NODE;
	return (0);
}

static struct fz_attr *
fz_attr(struct vmmctl_sim *sim, const struct fz_ent *e)
{
	struct sim_fuse *fz = sim->fz;

	switch (e->kind) {
	case FZ_JAILS:
		return (&fz->jails);
	case FZ_ROOTDIR:
	case FZ_JAILDIR:
		return (&fz->eps[e->ep].dir);
	case FZ_CTL:
		return (&fz->eps[e->ep].ctl);
	case FZ_VIEW:
		return (&fz->eps[e->ep].view);
	default:
		return (NULL);
	}
}

/* ------------------------------------------------------------------ */
/* File system operations. */

static void *
fz_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{

	/* Nothing cached: every lookup, stat and readdir comes here. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->hard_remove = 1;
	/* Releases are background requests: they must never queue. */
	conn->max_background = FZ_MAX_BACKGROUND;
	conn->congestion_threshold = FZ_MAX_BACKGROUND;
	conn->want &= ~FUSE_CAP_READDIRPLUS;
	return (fuse_get_context()->private_data);
}

static int
fz_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct vmmctl_sim *sim = fz_sim();
	const struct fz_attr *a;
	struct fz_ent e;
	int error;

	(void)fi;
	if ((error = fz_resolve(sim, path, &e)) != 0)
		return (-error);
	memset(st, 0, sizeof(*st));
	if (e.kind == FZ_NODE) {
		st->st_mode = e.node->mode;
		st->st_uid = e.node->uid;
		st->st_gid = e.node->gid;
		st->st_nlink = 1;
		st->st_atim = st->st_mtim = st->st_ctim = e.node->time;
		return (0);
	}
	a = fz_attr(sim, &e);
	st->st_mode = a->mode;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_nlink = S_ISDIR(a->mode) ? 2 : 1;
	st->st_atim = st->st_mtim = st->st_ctim = sim->fz->start;
	return (0);
}

static int
fz_fill(void *buf, fuse_fill_dir_t filler, const char *name)
{

	return (filler(buf, name, NULL, 0, 0) != 0 ? ENOMEM : 0);
}

/* The child jails of the jail of endpoint ep (ep 0: the host's). */
static int
fz_fill_jails(struct vmmctl_sim *sim, size_t ep, void *buf,
    fuse_fill_dir_t filler)
{
	const char *name, *slash;
	size_t i;

	for (i = 1; i < sim->neps; i++) {
		if (vmmctl_kjail_parent(sim->eps[i].jail) != sim->eps[ep].jail)
			continue;
		name = vmmctl_kjail_name(sim->eps[i].jail);
		slash = strrchr(name, '/');
		if (fz_fill(buf, filler, slash != NULL ? slash + 1 : name) != 0)
			return (ENOMEM);
	}
	return (0);
}

static int
fz_fill_view(struct vmmctl_sim *sim, size_t ep, void *buf,
    fuse_fill_dir_t filler)
{
	const struct fz_node *n;

	for (n = sim->fz->nodes; n != NULL; n = n->next)
		if (vmmctl_kjail_sees(sim->eps[ep].jail, n->jail) &&
		    fz_fill(buf, filler, n->name) != 0)
			return (ENOMEM);
	return (0);
}

static int
fz_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct vmmctl_sim *sim = fz_sim();
	struct fz_ent e;
	int error;

	(void)off;
	(void)fi;
	(void)flags;
	if ((error = fz_resolve(sim, path, &e)) != 0)
		return (-error);
	if ((error = fz_fill(buf, filler, ".")) != 0 ||
	    (error = fz_fill(buf, filler, "..")) != 0)
		return (-error);
	switch (e.kind) {
	case FZ_ROOTDIR:
		if (sim->neps > 1 &&
		    (error = fz_fill(buf, filler, "jails")) != 0)
			return (-error);
		/* FALLTHROUGH */
	case FZ_JAILDIR:
		if ((error = fz_fill(buf, filler, "vmmctl")) != 0 ||
		    (error = fz_fill(buf, filler, "vmm")) != 0)
			return (-error);
		/* The host's jails are under jails/, a jail's beside vmm/. */
		if (e.kind == FZ_JAILDIR)
			error = fz_fill_jails(sim, e.ep, buf, filler);
		break;
	case FZ_JAILS:
		error = fz_fill_jails(sim, 0, buf, filler);
		break;
	case FZ_VIEW:
		error = fz_fill_view(sim, e.ep, buf, filler);
		break;
	default:
		error = ENOTDIR;
		break;
	}
	return (-error);
}

static int
fz_open(const char *path, struct fuse_file_info *fi)
{
	struct vmmctl_sim *sim = fz_sim();
	const struct fuse_context *ctx;
	struct vmmctl_cred cred;
	struct fz_file *f;
	struct fz_ent e;
	int error, fflags;

	if ((error = fz_resolve(sim, path, &e)) != 0)
		return (-error);
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = 0;
	if (e.kind == FZ_NODE)
		return (0);	/* the kernel checked owner and mode */
	if (e.kind != FZ_CTL)
		return (-EISDIR);
	ctx = fuse_get_context();
	cred.uid = (uint32_t)ctx->uid;
	cred.ruid = cred.uid;	/* an open counts against no limit */
	cred.gid = (uint32_t)ctx->gid;
	cred.jail = sim->eps[e.ep].jail;
	fflags = 0;
	if ((fi->flags & O_ACCMODE) != O_WRONLY)
		fflags |= VMMCTL_KF_READ;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		fflags |= VMMCTL_KF_WRITE;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (-ENOMEM);
	if ((error = vmmctl_kern_open(sim->kern, &cred, fflags,
	    &f->kfile)) != 0) {
		free(f);
		return (-error);
	}
	f->ep = &sim->eps[e.ep];
	f->next = sim->fz->files;
	if (f->next != NULL)
		f->next->prevp = &f->next;
	f->prevp = &sim->fz->files;
	sim->fz->files = f;
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->nonseekable = 1;
	return (0);
}

static void
fz_file_release(struct fz_file *f)
{

	*f->prevp = f->next;
	if (f->next != NULL)
		f->next->prevp = f->prevp;
	vmmctl_kern_release(f->kfile);
	free(f);
}

/* The last reference to the open file description is gone. */
static int
fz_release(const char *path, struct fuse_file_info *fi)
{
	struct fz_file *f;

	(void)path;
	f = (struct fz_file *)(uintptr_t)fi->fh;
	if (f != NULL)
		fz_file_release(f);
	return (0);
}

static int
fz_ioctl(const char *path, unsigned int cmd, void *arg,
    struct fuse_file_info *fi, unsigned int flags, void *data)
{
	const struct fuse_context *ctx;
	struct vmmctl_cred cred;
	struct fz_file *f;

	(void)path;
	(void)arg;
	f = (struct fz_file *)(uintptr_t)fi->fh;
	if (f == NULL || (flags & FUSE_IOCTL_DIR) != 0)
		return (-ENOTTY);
	/* Each ioctl as the thread that makes it, as the kernel does. */
	ctx = fuse_get_context();
	cred.uid = (uint32_t)ctx->uid;
	/* Only a create counts against the limit: the others skip /proc. */
	cred.ruid = cmd == VMMCTL_VM_CREATE ? sim_pid_ruid(ctx->pid, cred.uid) :
	    cred.uid;
	cred.gid = (uint32_t)ctx->gid;
	cred.jail = f->ep->jail;
	/* The kernel moved _IOC_SIZE(cmd) bytes, none for _IOC_NONE. */
	return (-vmmctl_kern_ioctl(f->kfile, &cred, cmd, data,
	    data != NULL ? _IOC_SIZE(cmd) : 0));
}

/* Nodes and control files read empty, as the sim's socket-mode nodes. */
static int
fz_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{

	(void)path;
	(void)buf;
	(void)size;
	(void)off;
	(void)fi;
	return (0);
}

/* chmod and chown: the kernel checked the caller (default_permissions). */
static int
fz_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct vmmctl_sim *sim = fz_sim();
	struct fz_attr *a;
	struct fz_ent e;
	int error;

	(void)fi;
	if ((error = fz_resolve(sim, path, &e)) != 0)
		return (-error);
	if (e.kind == FZ_NODE) {
		e.node->mode = (e.node->mode & S_IFMT) | (mode & 07777);
		return (0);
	}
	a = fz_attr(sim, &e);
	a->mode = (a->mode & S_IFMT) | (mode & 07777);
	return (0);
}

static int
fz_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct vmmctl_sim *sim = fz_sim();
	struct fz_attr *a;
	struct fz_ent e;
	uid_t *up;
	gid_t *gp;
	int error;

	(void)fi;
	if ((error = fz_resolve(sim, path, &e)) != 0)
		return (-error);
	if (e.kind == FZ_NODE) {
		up = &e.node->uid;
		gp = &e.node->gid;
	} else {
		a = fz_attr(sim, &e);
		up = &a->uid;
		gp = &a->gid;
	}
	if (uid != (uid_t)-1)
		*up = uid;
	if (gid != (gid_t)-1)
		*gp = gid;
	return (0);
}

static const struct fuse_operations fz_ops = {
	.init		= fz_init,
	.getattr	= fz_getattr,
	.readdir	= fz_readdir,
	.open		= fz_open,
	.release	= fz_release,
	.ioctl		= fz_ioctl,
	.read		= fz_read,
	.chmod		= fz_chmod,
	.chown		= fz_chown,
};

/* ------------------------------------------------------------------ */
/* Mounting. */

static void
fz_attr_set(struct fz_attr *a, const struct vmmctl_sim *sim, mode_t mode)
{

	a->uid = sim->euid;
	a->gid = sim->egid;
	a->mode = mode;
}

static int
fz_alloc(struct vmmctl_sim *sim)
{
	struct vmmctl_node_attr ctl;
	struct sim_fuse *fz;
	size_t i;

	if (sim->fz != NULL)
		return (0);
	if ((fz = calloc(1, sizeof(*fz))) == NULL ||
	    (fz->eps = calloc(sim->neps, sizeof(*fz->eps))) == NULL) {
		free(fz);
		return (ENOMEM);
	}
	(void)clock_gettime(CLOCK_REALTIME, &fz->start);
	sim_ctl_attr(sim, &ctl);
	fz_attr_set(&fz->jails, sim, S_IFDIR | 0755);
	for (i = 0; i < sim->neps; i++) {
		fz_attr_set(&fz->eps[i].dir, sim, S_IFDIR | 0755);
		/* As /dev/vmmctl for the generation (sim_ctl_attr). */
		fz_attr_set(&fz->eps[i].ctl, sim, S_IFREG | (mode_t)ctl.mode);
		fz->eps[i].ctl.gid = (gid_t)ctl.gid;
		fz_attr_set(&fz->eps[i].view, sim, S_IFDIR | 0755);
	}
	sim->fz = fz;
	return (0);
}

/* 1 when /etc/fuse.conf lets users other than root use allow_other. */
static int
user_allow_other(void)
{
	char line[256];
	FILE *fp;
	int ok;

	if ((fp = fopen("/etc/fuse.conf", "re")) == NULL)
		return (0);
	ok = 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "user_allow_other", 16) == 0 &&
		    (line[16] == '\n' || line[16] == '\0' || line[16] == ' '))
			ok = 1;
	(void)fclose(fp);
	return (ok);
}

/*
 * The mount options: the kernel checks owners and modes; other users reach
 * the mount (always for root; for others only if fuse.conf allows it);
 * fusermount3, when asked for and present, unmounts the root if this
 * process dies (libfuse keeps a socket to it open until exit).
 */
static int
fz_options(const struct vmmctl_sim *sim, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "default_permissions,fsname=%s,subtype=%s%s%s",
	    FZ_FSNAME, FZ_FSNAME,
	    geteuid() == 0 || user_allow_other() ? ",allow_other" : "",
	    sim->fuse_auto_unmount && in_path(FZ_FUSERMOUNT) ?
	    ",auto_unmount" : "");
	return (n > 0 && (size_t)n < size ? 0 : ENAMETOOLONG);
}

int
sim_fuse_mount(struct vmmctl_sim *sim)
{
	char opts[256], why[256];
	char *argv[4];
	struct fuse_args args;
	int error;

	if ((error = sim_fuse_usable(why, sizeof(why))) != 0)
		return (sim_fail(sim, error, "--fuse: device mode is not "
		    "available: %s", why));
	if ((error = fz_alloc(sim)) != 0 ||
	    (error = fz_options(sim, opts, sizeof(opts))) != 0)
		return (sim_fail(sim, error, "--fuse"));
	argv[0] = (char *)(uintptr_t)"vmmctl-sim";
	argv[1] = (char *)(uintptr_t)"-o";
	argv[2] = opts;
	argv[3] = NULL;
	args.argc = 3;
	args.argv = argv;
	args.allocated = 0;
	sim->fz->fuse = fuse_new(&args, &fz_ops, sizeof(fz_ops), sim);
	fuse_opt_free_args(&args);
	if (sim->fz->fuse == NULL)
		return (sim_fail(sim, EINVAL, "--fuse: fuse_new(-o %s)", opts));
	sim->fz->se = fuse_get_session(sim->fz->fuse);
	if (fuse_mount(sim->fz->fuse, sim->root) != 0)
		return (sim_fail(sim, EIO, "--fuse: cannot mount %s (libfuse "
		    "said why above)", sim->root));
	sim->fz->mounted = 1;
	if ((error = sim_set_cloexec_nonblock(fuse_session_fd(sim->fz->se)))
	    != 0)
		return (sim_fail(sim, error, "--fuse: /dev/fuse"));
	return (0);
}

/*
 * The mount at root in /proc/self/mountinfo: 1 and its type in type (e.g.
 * "fuse.vmmctl-sim"), or 0 when root is not a mount point.
 */
static int
mount_type(const char *root, char *type, size_t size)
{
	char line[PATH_MAX + 512], mnt[PATH_MAX], fst[128];
	const char *sep;
	FILE *fp;
	int found;

	if ((fp = fopen("/proc/self/mountinfo", "re")) == NULL)
		return (0);
	found = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* "id parent maj:min root MOUNT opts [tags] - TYPE src ..." */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    (sep = strstr(line, " - ")) == NULL ||
		    sscanf(sep + 3, "%127s", fst) != 1)
			continue;
		/* Octal escapes (\040) never match a root we accept. */
		if (strcmp(mnt, root) == 0) {
			(void)snprintf(type, size, "%s", fst);
			found = 1;	/* the last one is on top */
		}
	}
	(void)fclose(fp);
	return (found);
}

/* Lazily detaches the mount at root: 0 or an errno. */
static int
lazy_unmount(const char *root)
{
	pid_t pid;
	int status;

	if (umount2(root, MNT_DETACH) == 0)
		return (0);
	if (errno != EPERM)
		return (errno);
	if ((pid = fork()) < 0)
		return (errno);
	if (pid == 0) {
		(void)execlp(FZ_FUSERMOUNT, FZ_FUSERMOUNT, "-u", "-q", "-z",
		    "--", root, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return (errno);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM);
}

/*
 * Before start-up: a simulator that was killed leaves its mount behind,
 * dead ("Transport endpoint is not connected").  Ours (by its type) is
 * detached; a live one means another simulator serves the root; any other
 * mount is not ours to touch.
 */
int
sim_fuse_unstale(struct vmmctl_sim *sim)
{
	char type[128];
	struct stat st;
	int error;

	if (!mount_type(sim->root, type, sizeof(type)))
		return (0);
	if (strcmp(type, FZ_MNTTYPE) != 0)
		return (sim_fail(sim, EBUSY, "%s is a mount point (%s) that "
		    "is not a simulator's", sim->root, type));
	if (stat(sim->root, &st) == 0)
		return (sim_fail(sim, EADDRINUSE, "another simulator already "
		    "serves %s (device mode)", sim->root));
	if (errno != ENOTCONN)
		return (sim_fail(sim, errno, "%s", sim->root));
	if ((error = lazy_unmount(sim->root)) != 0)
		return (sim_fail(sim, error, "cannot unmount the dead "
		    "simulator mount at %s", sim->root));
	return (0);
}

/* ------------------------------------------------------------------ */
/* Serving. */

/*
 * One thread, requests in the order the kernel queued them, until
 * vmmctl_sim_stop() or the unmount.
 */
int
sim_fuse_serve(struct vmmctl_sim *sim)
{
	struct fuse_buf buf;
	struct pollfd p[2];
	unsigned char b;
	int error, res;

	memset(&buf, 0, sizeof(buf));
	p[0].fd = sim->wake[0];
	p[0].events = POLLIN;
	p[1].fd = fuse_session_fd(sim->fz->se);
	p[1].events = POLLIN;
	error = 0;
	for (;;) {
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			error = errno;
			break;
		}
		if (p[0].revents != 0 && read(sim->wake[0], &b, 1) == 1)
			break;
		if (p[1].revents == 0)
			continue;
		res = fuse_session_receive_buf(sim->fz->se, &buf);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res <= 0) {
			/* 0: unmounted from outside (ENODEV). */
			error = res < 0 ? -res : 0;
			break;
		}
		fuse_session_process_buf(sim->fz->se, &buf);
	}
	free(buf.mem);
	return (error);
}

/*
 * Every open file released (the kernel sends no RELEASE once the
 * connection is gone), then the root unmounted.  The nodes stay until
 * sim_fuse_free(): vmmctl_kern_fini() unpublishes through them.
 */
void
sim_fuse_close(struct vmmctl_sim *sim)
{
	struct sim_fuse *fz = sim->fz;

	if (fz == NULL)
		return;
	while (fz->files != NULL)
		fz_file_release(fz->files);
	if (fz->mounted)
		fuse_unmount(fz->fuse);
	fz->mounted = 0;
	if (fz->fuse != NULL)
		fuse_destroy(fz->fuse);
	fz->fuse = NULL;
	fz->se = NULL;
}

void
sim_fuse_free(struct vmmctl_sim *sim)
{
	struct sim_fuse *fz = sim->fz;

	if (fz == NULL)
		return;
	sim_fuse_close(sim);
	while (fz->nodes != NULL)
		fz_node_remove(fz, fz->nodes);
	free(fz->buckets);
	free(fz->eps);
	free(fz);
	sim->fz = NULL;
}

#endif /* VMMCTL_SIM_HAVE_FUSE */
