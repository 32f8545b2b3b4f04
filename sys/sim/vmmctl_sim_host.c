/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator host: one instance of the kernel core (sys/kern) under a
 * root directory, its OS hooks, the VMs' device nodes, and the public API
 * of vmmctl_sim.h.  The root and its views' directories are
 * vmmctl_sim_root.c; the transports that carry requests to the core are
 * vmmctl_sim_sock.c (a unix socket, the default; its reply channels in
 * vmmctl_sim_chan.c) and vmmctl_sim_fuse.c (device mode: a FUSE file
 * system mounted at the root); the daemon is vmmctl_sim_main.c.
 *
 * A VM's device node is a regular file <view>/vmm/<name>, owned and
 * moded as the core says for its generation (gen 3: creator:vmm-group
 * 0600; gens 1-2: root:wheel 0600) when the host can chown (else the
 * host's own), in the view of the creator's jail and of every ancestor up
 * to <root>/vmm, as devfs shows it.  The control endpoints are the host's
 * user's and the vmm group's, 0660 (gens 1-2: 0600), as /dev/vmmctl is
 * root:vmm 0660.  In device mode the FUSE transport serves the same nodes
 * from memory, with exactly those owners.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_sim_var.h"

int
sim_fail(struct vmmctl_sim *sim, int error, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	(void)vsnprintf(sim->err, sizeof(sim->err), fmt, ap);
	va_end(ap);
	n = strlen(sim->err);
	(void)snprintf(sim->err + n, sizeof(sim->err) - n, ": %s",
	    strerror(error));
	return (error);
}

/*
 * The real uid of process (or thread) pid whose effective uid is euid,
 * for the per-uid limit: Linux tells a request's receiver one uid (FUSE
 * the fsuid, SCM_CREDENTIALS the one sent), so the real one comes from
 * /proc/<pid>/status, read while the caller waits for this very reply.
 * euid itself when that fails or no longer matches (the pid was reused).
 */
uint32_t
sim_pid_ruid(long pid, uint32_t euid)
{
#if defined(__linux__)
	char path[64], line[256];
	unsigned long r, e;
	FILE *fp;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (pid <= 0 || (fp = fopen(path, "re")) == NULL)
		return (euid);
	r = e = euid;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			break;
	(void)fclose(fp);
	return (e == euid ? (uint32_t)r : euid);
#else
	(void)pid;
	return (euid);
#endif
}

int
sim_set_cloexec_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return (errno);
	return (0);
}

/*
 * The control endpoint's owner and mode: the core's (root:vmm 0660 in
 * generation 3, root:wheel 0600 before), owned by the host's user, which
 * cannot give a file away unless it is root anyway.
 */
void
sim_ctl_attr(const struct vmmctl_sim *sim, struct vmmctl_node_attr *attr)
{

	vmmctl_kern_ctl_node(sim->kern, attr);
	attr->uid = (uint32_t)sim->euid;
	if ((attr->mode & 070) == 0)
		attr->gid = (uint32_t)sim->egid;	/* the group is moot */
}

/*
 * Gives the endpoint name in directory dfd its owner and mode (devfs's
 * EACCES), through the directory's descriptor and never through a link.
 */
int
sim_ctl_perm(const struct vmmctl_sim *sim, int dfd, const char *name)
{
	struct vmmctl_node_attr a;

	sim_ctl_attr(sim, &a);
	if (a.gid != (uint32_t)sim->egid && fchownat(dfd, name, (uid_t)-1,
	    (gid_t)a.gid, AT_SYMLINK_NOFOLLOW) != 0)
		return (errno);
	if (fchmodat(dfd, name, (mode_t)a.mode, AT_SYMLINK_NOFOLLOW) != 0)
		return (errno);
	return (0);
}

/* ------------------------------------------------------------------ */
/* struct vmmctl_os: the host's hooks. */

/*
 * The core's lock, with its holder noted for assert_locked (sx_assert's
 * role): only the holder writes klock_held/klock_owner, so a thread that
 * holds the lock reads its own writes.
 */
static void
os_lock(void *arg)
{
	struct vmmctl_sim *sim = arg;

	(void)pthread_mutex_lock(&sim->klock);
	sim->klock_owner = pthread_self();
	sim->klock_held = 1;
}

static void
os_unlock(void *arg)
{
	struct vmmctl_sim *sim = arg;

	sim->klock_held = 0;
	(void)pthread_mutex_unlock(&sim->klock);
}

/* A core function that needs the lock ran without it: a bug, stop here. */
static void
os_assert_locked(void *arg)
{
	struct vmmctl_sim *sim = arg;

	if (!sim->klock_held || !pthread_equal(sim->klock_owner,
	    pthread_self()))
		abort();
}

/* sx_sleep: a release waits for a destroy another thread has under way. */
static void
os_sleep(void *arg, const void *chan)
{
	struct vmmctl_sim *sim = arg;

	(void)chan;
	os_assert_locked(sim);
	sim->klock_held = 0;
	(void)pthread_cond_wait(&sim->kwake, &sim->klock);
	sim->klock_owner = pthread_self();
	sim->klock_held = 1;
}

/* One condition for every channel: the core checks again when woken. */
static void
os_wakeup(void *arg, const void *chan)
{
	struct vmmctl_sim *sim = arg;

	(void)chan;
	(void)pthread_cond_broadcast(&sim->kwake);
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

/* Root, and the simulator's own user: an ordinary user runs the suite. */
static int
os_priv_check(void *arg, const struct vmmctl_cred *cred, int priv)
{
	struct vmmctl_sim *sim = arg;

	(void)priv;
	if (cred->uid == 0 || cred->uid == (uint32_t)sim->uid)
		return (0);
	return (EPERM);
}

/* The view of jail j (NULL: the host). */
static const struct sim_ep *
view_of(const struct vmmctl_sim *sim, const struct vmmctl_kjail *j)
{
	size_t i;

	for (i = 0; i < sim->neps; i++)
		if (sim->eps[i].jail == j)
			return (&sim->eps[i]);
	return (NULL);
}

/*
 * Removes the VM's entries from its jail's view upwards: all of them
 * (all != 0), or those below the view of jail stop.
 */
static void
unpublish_below(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm,
    const struct vmmctl_kjail *stop, int all)
{
	const struct sim_ep *ep;
	struct vmmctl_kjail *j;

	for (j = vmmctl_kvm_jail(vm); ; j = vmmctl_kjail_parent(j)) {
		if (!all && j == stop)
			break;
		if ((ep = view_of(sim, j)) != NULL && ep->vmmfd >= 0)
			(void)unlinkat(ep->vmmfd, vmmctl_kvm_name(vm), 0);
		if (j == NULL)
			break;
	}
}

static int
publish_one(struct vmmctl_sim *sim, const struct vmmctl_kvm *vm,
    const struct vmmctl_kjail *j)
{
	const struct sim_ep *ep;
	struct vmmctl_node_attr a;
	int error, fd;

	if ((ep = view_of(sim, j)) == NULL || ep->vmmfd < 0)
		return (ENXIO);
	fd = openat(ep->vmmfd, vmmctl_kvm_name(vm), O_WRONLY | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* Out of descriptors is out of resources: make_dev's ENOMEM. */
	if (fd < 0)
		return (errno == EMFILE || errno == ENFILE ? ENOMEM : errno);
	error = 0;
	vmmctl_kvm_node(vm, &a);
	/* The process's umask is not ours to change: the mode exactly. */
	if (fchmod(fd, (mode_t)a.mode) != 0)
		error = errno;
	/*
	 * Only a root host can give the node away, and it need not when the
	 * owner is the host's own user and group.
	 */
	if (error == 0 && sim->euid == 0 &&
	    (a.uid != (uint32_t)sim->euid || a.gid != (uint32_t)sim->egid) &&
	    fchown(fd, (uid_t)a.uid, (gid_t)a.gid) != 0)
		error = errno;
	(void)close(fd);
	if (error != 0)
		(void)unlinkat(ep->vmmfd, vmmctl_kvm_name(vm), 0);
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
	struct vmmctl_sim *sim = arg;
	struct vmmctl_kjail *j;
	int error;

	if (sim->fuse)
		return (sim_fuse_publish(sim, vm));
	for (j = vmmctl_kvm_jail(vm); ; j = vmmctl_kjail_parent(j)) {
		if ((error = publish_one(sim, vm, j)) != 0) {
			/* Only the views below j: j's entry is not ours. */
			unpublish_below(sim, vm, j, 0);
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
	struct vmmctl_sim *sim = arg;

	if (sim->fuse)
		sim_fuse_unpublish(sim, vm);
	else
		unpublish_below(sim, vm, NULL, 1);
}

/* ------------------------------------------------------------------ */
/* Views: one endpoint per jail. */

static struct sim_ep *
ep_add(struct vmmctl_sim *sim, struct vmmctl_kjail *j)
{
	struct sim_ep *eps, *ep;
	int n;

	eps = realloc(sim->eps, (sim->neps + 1) * sizeof(*eps));
	if (eps == NULL)
		return (NULL);
	sim->eps = eps;
	ep = &eps[sim->neps];
	memset(ep, 0, sizeof(*ep));
	ep->jail = j;
	ep->fd = ep->dirfd = ep->vmmfd = -1;
	if (j == NULL)
		n = snprintf(ep->dir, sizeof(ep->dir), "%s", sim->root);
	else
		n = snprintf(ep->dir, sizeof(ep->dir), "%s/jails/%s",
		    sim->root, vmmctl_kjail_name(j));
	if (n < 0 || (size_t)n >= sizeof(ep->dir))
		return (NULL);	/* far beyond sun_path anyway */
	sim->neps++;
	return (ep);
}

/* The last component of a jail's full name. */
const char *
sim_jail_leaf(const struct vmmctl_kjail *j)
{
	const char *name, *slash;

	name = vmmctl_kjail_name(j);
	slash = strrchr(name, '/');
	return (slash != NULL ? slash + 1 : name);
}

/* The endpoint of jail name inside parent (NULL: the host), if any. */
static struct sim_ep *
ep_find_child(struct vmmctl_sim *sim, const struct vmmctl_kjail *parent,
    const char *name)
{
	struct sim_ep *ep;
	size_t i;

	for (i = 0; i < sim->neps; i++) {
		ep = &sim->eps[i];
		if (ep->jail != NULL &&
		    vmmctl_kjail_parent(ep->jail) == parent &&
		    strcmp(sim_jail_leaf(ep->jail), name) == 0)
			return (ep);
	}
	return (NULL);
}

/*
 * "a/b": jail a (unless made before), then b inside it.  Every jail gets an
 * endpoint and a view, so each ancestor's view exists for publish.  "vmm"
 * and "vmmctl" are refused: jail a/vmm's directory would be jail a's view.
 */
static int
jail_add(struct vmmctl_sim *sim, const char *spec)
{
	char buf[PATH_MAX], *comp, *save, *colon;
	struct vmmctl_kjail *parent, *j;
	struct sim_ep *ep;
	int error, novmm;

	if (strlen(spec) >= sizeof(buf))
		return (ENAMETOOLONG);
	/* No empty component: "", "/a", "a/", "a//b". */
	if (spec[0] == '\0' || spec[0] == '/' ||
	    spec[strlen(spec) - 1] == '/' || strstr(spec, "//") != NULL)
		return (EINVAL);
	strcpy(buf, spec);
	/* "NAME:novmm": a jail without allow.vmm; nothing else after ':'. */
	novmm = 0;
	if ((colon = strchr(buf, ':')) != NULL) {
		if (strcmp(colon, ":novmm") != 0)
			return (EINVAL);
		*colon = '\0';
		novmm = 1;
	}
	parent = NULL;
	for (comp = strtok_r(buf, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		/* A child's directory sits beside its parent's endpoint. */
		if (strcmp(comp, "vmm") == 0 || strcmp(comp, "vmmctl") == 0)
			return (EINVAL);
		if ((ep = ep_find_child(sim, parent, comp)) != NULL) {
			parent = ep->jail;
			continue;
		}
		error = vmmctl_kern_jail_create(sim->kern, parent, comp, &j);
		if (error != 0)
			return (error);
		if (ep_add(sim, j) == NULL)
			return (ENAMETOOLONG);
		parent = j;
	}
	return (novmm ? vmmctl_kern_jail_set_vmm(sim->kern, parent, 0) : 0);
}

/* ------------------------------------------------------------------ */
/* The root. */

/* An absolute root without a trailing slash ("/" stays "/"). */
static int
root_set(struct vmmctl_sim *sim, const char *arg)
{
	char cwd[PATH_MAX];
	size_t len;
	int n;

	if (*arg == '\0')
		return (EINVAL);
	if (arg[0] == '/')
		n = snprintf(sim->root, sizeof(sim->root), "%s", arg);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return (errno);
		n = snprintf(sim->root, sizeof(sim->root), "%s/%s", cwd, arg);
	}
	if (n < 0 || (size_t)n >= sizeof(sim->root))
		return (ENAMETOOLONG);
	len = strlen(sim->root);
	while (len > 1 && sim->root[len - 1] == '/')
		sim->root[--len] = '\0';
	return (0);
}

/*
 * Every endpoint's address must fit a unix socket address: refused before
 * anything is made.
 */
static int
root_check_paths(struct vmmctl_sim *sim)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sim->neps && !sim->fuse; i++)
		if (sim_sock_path(path, sizeof(path), sim->eps[i].dir) != 0)
			return (sim_fail(sim, ENAMETOOLONG, "socket path "
			    "%s/vmmctl is longer than a unix socket address "
			    "takes", sim->eps[i].dir));
	return (0);
}

/* Removes what listen made: every VM first, then the files. */
static void
root_teardown(struct vmmctl_sim *sim)
{

	sim_sock_close(sim);		/* releases every open file */
	sim_fuse_close(sim);		/* likewise, and unmounts */
	if (sim->kern != NULL)
		vmmctl_kern_fini(sim->kern);	/* unpublishes every VM */
	sim->kern = NULL;
	sim_fuse_free(sim);		/* the nodes, once unpublished */
	sim_root_close(sim);
}

/* hw.vmm.maxvmms's default: 4 x the CPUs (mp_ncpus). */
static uint32_t
sim_default_uid_limit(void)
{
	long n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > 1024)
		n = 1024;
	return ((uint32_t)n * 4);
}

/* ------------------------------------------------------------------ */
/* The API (vmmctl_sim.h). */

static void
sim_init_os(struct vmmctl_sim *sim)
{

	sim->os.arg = sim;
	sim->os.lock = os_lock;
	sim->os.unlock = os_unlock;
	sim->os.assert_locked = os_assert_locked;
	sim->os.sleep = os_sleep;
	sim->os.wakeup = os_wakeup;
	sim->os.zalloc = os_zalloc;
	sim->os.free = os_free;
	sim->os.priv_check = os_priv_check;
	sim->os.publish = os_publish;
	sim->os.unpublish = os_unpublish;
}

int
vmmctl_sim_new(const char *root, struct vmmctl_sim **simp)
{
	struct vmmctl_sim *sim;
	int error;

	*simp = NULL;
	if (root == NULL)
		return (EINVAL);
	if ((sim = calloc(1, sizeof(*sim))) == NULL)
		return (ENOMEM);
	sim->spare_fd = sim->wake[0] = sim->wake[1] = -1;
	sim->rootfd = sim->lockfd = sim->jailsfd = sim->parentfd = -1;
	sim->uid = getuid();
	sim->euid = geteuid();
	sim->egid = getegid();
	sim->vmm_gid = (uint32_t)sim->egid;
	sim->uid_limit = sim_default_uid_limit();
	sim_init_os(sim);
	if ((error = pthread_mutex_init(&sim->klock, NULL)) != 0) {
		free(sim);
		return (error);
	}
	if ((error = pthread_cond_init(&sim->kwake, NULL)) != 0) {
		(void)pthread_mutex_destroy(&sim->klock);
		free(sim);
		return (error);
	}
	if ((error = root_set(sim, root)) != 0 ||
	    (error = vmmctl_kern_init(&sim->os, &sim->kern)) != 0 ||
	    (ep_add(sim, NULL) == NULL && (error = ENOMEM) != 0)) {
		vmmctl_sim_free(sim);
		return (error);
	}
	*simp = sim;
	return (0);
}

int
vmmctl_sim_jail(struct vmmctl_sim *sim, const char *spec)
{
	int error;

	if (sim->state != SIM_NEW)
		return (EBUSY);
	if ((error = jail_add(sim, spec)) != 0)
		return (sim_fail(sim, error, "jail %s", spec));
	return (0);
}

int
vmmctl_sim_set_uid_limit(struct vmmctl_sim *sim, uint32_t limit)
{

	if (sim->state != SIM_NEW)
		return (EBUSY);
	sim->uid_limit = limit;
	return (0);
}

/* A group name, or a number. */
int
vmmctl_sim_set_group(struct vmmctl_sim *sim, const char *group)
{
	struct group gr, *grp;
	char buf[4096], *end;
	unsigned long gid;
	int error;

	if (sim->state != SIM_NEW)
		return (EBUSY);
	if (group == NULL || *group == '\0')
		return (EINVAL);
	if (isdigit((unsigned char)*group)) {
		errno = 0;
		gid = strtoul(group, &end, 10);
		if (errno != 0 || *end != '\0' || gid >= UINT32_MAX)
			return (sim_fail(sim, EINVAL, "group %s", group));
		sim->vmm_gid = (uint32_t)gid;
		return (0);
	}
	error = getgrnam_r(group, &gr, buf, sizeof(buf), &grp);
	if (grp == NULL) {
		if (error == 0)
			error = ENOENT;
		return (sim_fail(sim, error, "group %s", group));
	}
	sim->vmm_gid = (uint32_t)grp->gr_gid;
	return (0);
}

int
vmmctl_sim_set_fuse(struct vmmctl_sim *sim, int flags)
{
	char why[256];
	int error;

	if (sim->state != SIM_NEW)
		return (EBUSY);
	if ((flags & ~(VMMCTL_SIM_FUSE | VMMCTL_SIM_FUSE_AUTO_UNMOUNT)) != 0)
		return (EINVAL);
	if (flags != 0 && (error = sim_fuse_usable(why, sizeof(why))) != 0) {
		(void)snprintf(sim->err, sizeof(sim->err), "device mode is not "
		    "available: %s", why);
		return (error);
	}
	sim->fuse = flags != 0;
	sim->fuse_auto_unmount = (flags & VMMCTL_SIM_FUSE_AUTO_UNMOUNT) != 0;
	return (0);
}

int
vmmctl_sim_set_generation(struct vmmctl_sim *sim, int generation)
{

	if (sim->state != SIM_NEW)
		return (EBUSY);
	if (generation < 0 || generation > VMMCTL_KERN_GEN_MAX)
		return (EINVAL);
	if (generation == 0)
		generation = VMMCTL_KERN_GEN_MAX;
	/* No file is open yet: the core takes it. */
	return (vmmctl_kern_set_generation(sim->kern, generation));
}

static int
wake_open(struct vmmctl_sim *sim)
{
	int error;

	if (pipe(sim->wake) != 0)
		return (errno);
	if ((error = sim_set_cloexec_nonblock(sim->wake[0])) != 0 ||
	    (error = sim_set_cloexec_nonblock(sim->wake[1])) != 0)
		return (error);
	return (0);
}

int
vmmctl_sim_listen(struct vmmctl_sim *sim)
{
	size_t i;
	int error;

	if (sim->state != SIM_NEW)
		return (EBUSY);
	sim->err[0] = '\0';
	sim->state = SIM_STOPPED;	/* unless all goes well */
	vmmctl_kern_set_uid_limit(sim->kern, sim->uid_limit);
	vmmctl_kern_set_vmm_gid(sim->kern, sim->vmm_gid);
	if ((error = wake_open(sim)) != 0)
		return (sim_fail(sim, error, "pipe"));
	if ((error = root_check_paths(sim)) != 0 ||
	    (error = sim_root_open(sim)) != 0)
		goto fail;
	if (sim->fuse) {
		if ((error = sim_fuse_mount(sim)) != 0)
			goto fail;
		sim->state = SIM_LISTENING;
		return (0);
	}
	/*
	 * The host's endpoint last: whoever waits for <root>/vmmctl to
	 * accept finds every jail's endpoint ready too.
	 */
	for (i = sim->neps; i-- > 0; ) {
		if ((error = sim_sock_listen(sim, &sim->eps[i])) != 0) {
			(void)sim_fail(sim, error, "%s/vmmctl",
			    sim->eps[i].dir);
			goto fail;
		}
	}
	sim->state = SIM_LISTENING;
	return (0);
fail:
	root_teardown(sim);
	return (error);
}

int
vmmctl_sim_run(struct vmmctl_sim *sim)
{
	int error;

	if (sim->state == SIM_NEW && (error = vmmctl_sim_listen(sim)) != 0)
		return (error);
	if (sim->state != SIM_LISTENING)
		return (EINVAL);
	if ((error = (sim->fuse ? sim_fuse_serve(sim) :
	    sim_sock_serve(sim))) != 0)
		return (sim_fail(sim, error, "serving %s", sim->root));
	return (0);
}

static void *
sim_thread(void *arg)
{
	sigset_t all;

	/* The process's signals are for its other threads. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	(void)vmmctl_sim_run(arg);
	return (NULL);
}

int
vmmctl_sim_start(struct vmmctl_sim *sim)
{
	int error;

	if (sim->state == SIM_NEW && (error = vmmctl_sim_listen(sim)) != 0)
		return (error);
	if (sim->state != SIM_LISTENING || sim->threaded)
		return (EINVAL);
	if ((error = pthread_create(&sim->thread, NULL, sim_thread, sim)) != 0)
		return (sim_fail(sim, error, "pthread_create"));
	sim->threaded = 1;
	return (0);
}

void
vmmctl_sim_stop(struct vmmctl_sim *sim)
{
	int saved = errno;
	ssize_t n;

	if (sim->wake[1] >= 0)
		do
			n = write(sim->wake[1], "s", 1);
		while (n < 0 && errno == EINTR);
	errno = saved;
}

void
vmmctl_sim_free(struct vmmctl_sim *sim)
{

	if (sim == NULL)
		return;
	if (sim->threaded) {
		vmmctl_sim_stop(sim);
		(void)pthread_join(sim->thread, NULL);
		sim->threaded = 0;
	}
	root_teardown(sim);
	if (sim->wake[0] >= 0)
		(void)close(sim->wake[0]);
	if (sim->wake[1] >= 0)
		(void)close(sim->wake[1]);
	free(sim->eps);
	(void)pthread_cond_destroy(&sim->kwake);
	(void)pthread_mutex_destroy(&sim->klock);
	free(sim);
}

const char *
vmmctl_sim_root(const struct vmmctl_sim *sim)
{

	return (sim->root);
}

const char *
vmmctl_sim_error(const struct vmmctl_sim *sim)
{

	return (sim->err);
}
