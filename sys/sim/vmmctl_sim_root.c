/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The simulator's root directory: the checks it must pass, the lock that
 * makes a simulator its only user, the previous run's leftovers, the
 * views' directories, and their removal.
 *
 * Everything below the root is reached through directory descriptors
 * opened with O_DIRECTORY | O_NOFOLLOW: no path is walked twice, and no
 * symbolic link is ever followed.  The rules (vmmctl-sim(8)):
 *
 *   - The root is made 0755 when missing.  An existing root must be a
 *     directory (not a symbolic link) owned by the simulator's user and
 *     writable by nobody else; its mode is never changed.
 *   - <root>/.vmmctl-sim.lock is the marker: a simulator made it, and holds
 *     an exclusive flock(2) on it for its whole life, so a second simulator
 *     on the same root is refused at once.
 *   - vmmctl, vmm/ and jails/ under the root are removed at start only
 *     when the marker was there (a previous run's leftovers), and only if
 *     they are the simulator's own (owned by it, writable by nobody else);
 *     without the marker their presence is refused, and nothing is deleted.
 *     An entry the clean-up cannot remove is an error, not skipped.
 *   - At stop the simulator removes what it made: the endpoints, vmm/,
 *     jails/, the marker, and the root if it made it.
 *   - Device mode mounts its file system over the root, which must then
 *     hold nothing but the marker (the lock stays on the directory
 *     beneath the mount).
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmctl_sim_var.h"

#define	SIM_LOCK_NAME	".vmmctl-sim.lock"
#define	SIM_RM_DEPTH	32	/* deeper than any view tree we make */

static int
dir_open_at(int dfd, const char *name)
{

	return (openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC));
}

/* 0 when st is a directory of our own that nobody else may write. */
static int
dir_is_ours(const struct vmmctl_sim *sim, const struct stat *st)
{

	if (!S_ISDIR(st->st_mode))
		return (ENOTDIR);
	if (st->st_uid != sim->euid || (st->st_mode & (S_IWGRP | S_IWOTH)))
		return (EPERM);
	return (0);
}

/*
 * A FUSE file system mounted on the root: a device-mode simulator serves
 * it (a dead one's mount was detached by sim_fuse_unstale() already).
 */
static int
root_is_fuse(int fd)
{
#if defined(__linux__)
	struct statfs sf;

	return (fstatfs(fd, &sf) == 0 && sf.f_type == 0x65735546);
#else
	(void)fd;
	return (0);
#endif
}

/* mkdir -p of the root's parents (the root itself is made 0755 later). */
static int
mkparents(const char *path)
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
	return (0);
}

/*
 * The root made when missing: its parent stays open (parentfd, leaf) so
 * that the root can be removed at stop without walking its path again.
 */
static int
root_make(struct vmmctl_sim *sim)
{
	char parent[PATH_MAX];
	char *slash;
	int error;

	if ((error = mkparents(sim->root)) != 0)
		return (sim_fail(sim, error, "%s", sim->root));
	strcpy(parent, sim->root);
	slash = strrchr(parent, '/');
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	(void)snprintf(sim->root_leaf, sizeof(sim->root_leaf), "%s",
	    strrchr(sim->root, '/') + 1);
	if ((sim->parentfd = open(parent, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return (sim_fail(sim, errno, "%s", parent));
	if (mkdirat(sim->parentfd, sim->root_leaf, 0755) != 0) {
		if (errno == EEXIST)
			return (0);	/* someone else's, checked next */
		return (sim_fail(sim, errno, "%s", sim->root));
	}
	sim->root_made = 1;
	return (0);
}

/* Opens and checks the root (made when missing). */
static int
root_open(struct vmmctl_sim *sim)
{
	struct stat st;
	int error;

	if (lstat(sim->root, &st) != 0) {
		if (errno != ENOENT)
			return (sim_fail(sim, errno, "%s", sim->root));
		if ((error = root_make(sim)) != 0)
			return (error);
	}
	if ((sim->rootfd = open(sim->root, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ELOOP || (lstat(sim->root, &st) == 0 &&
		    S_ISLNK(st.st_mode)))
			return (sim_fail(sim, ELOOP, "%s is a symbolic link; "
			    "give the directory itself", sim->root));
		return (sim_fail(sim, errno, "%s", sim->root));
	}
	if (fstat(sim->rootfd, &st) != 0)
		return (sim_fail(sim, errno, "%s", sim->root));
	if (root_is_fuse(sim->rootfd))
		return (sim_fail(sim, EADDRINUSE, "another simulator already "
		    "serves %s (device mode)", sim->root));
	if (sim->root_made && fchmod(sim->rootfd, 0755) != 0)
		return (sim_fail(sim, errno, "%s", sim->root));
	if ((error = dir_is_ours(sim, &st)) != 0)
		return (sim_fail(sim, error, "%s must be a directory owned by "
		    "uid %lu and writable by nobody else (it is uid %lu, mode "
		    "%04o)", sim->root, (unsigned long)sim->euid,
		    (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777)));
	return (0);
}

/*
 * The marker and its lock.  *leftovers is set when the marker was there
 * before: what it marks is a previous run's.
 */
static int
root_lock(struct vmmctl_sim *sim, int *leftovers)
{
	struct stat st;

	*leftovers = 0;
	sim->lockfd = openat(sim->rootfd, SIM_LOCK_NAME, O_RDWR | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sim->lockfd < 0 && errno == EEXIST) {
		*leftovers = 1;
		sim->lockfd = openat(sim->rootfd, SIM_LOCK_NAME, O_RDWR |
		    O_NOFOLLOW | O_CLOEXEC);
	}
	if (sim->lockfd < 0)
		return (sim_fail(sim, errno, "%s/%s", sim->root,
		    SIM_LOCK_NAME));
	if (fstat(sim->lockfd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != sim->euid)
		return (sim_fail(sim, EPERM, "%s/%s is not a simulator's lock",
		    sim->root, SIM_LOCK_NAME));
	if (flock(sim->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return (sim_fail(sim, EADDRINUSE, "another simulator "
			    "already serves %s", sim->root));
		return (sim_fail(sim, errno, "%s/%s", sim->root,
		    SIM_LOCK_NAME));
	}
	sim->locked = 1;
	return (0);
}

/*
 * Removes directory name under dfd and all it holds, by descriptors.  Any
 * entry it cannot remove fails it (errno), with the entry in *where.
 */
static int
rmtree_at(int dfd, const char *name, int depth, char *where, size_t wsize)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int error, fd;

	if (depth > SIM_RM_DEPTH) {
		(void)snprintf(where, wsize, "%s (too deep)", name);
		return (ELOOP);
	}
	if ((fd = dir_open_at(dfd, name)) < 0 || (d = fdopendir(fd)) == NULL) {
		error = errno;
		if (fd >= 0)
			(void)close(fd);
		(void)snprintf(where, wsize, "%s", name);
		return (error);
	}
	error = 0;
	while (error == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			error = errno;
		else if (S_ISDIR(st.st_mode))
			error = rmtree_at(fd, de->d_name, depth + 1, where,
			    wsize);
		else if (unlinkat(fd, de->d_name, 0) != 0)
			error = errno;
		if (error != 0 && where[0] == '\0')
			(void)snprintf(where, wsize, "%s/%s", name,
			    de->d_name);
	}
	(void)closedir(d);
	if (error == 0 && unlinkat(dfd, name, AT_REMOVEDIR) != 0) {
		error = errno;
		(void)snprintf(where, wsize, "%s", name);
	}
	return (error);
}

/* name under the root, if it exists: a directory of ours, removed. */
static int
leftover_dir(struct vmmctl_sim *sim, const char *name)
{
	char where[PATH_MAX];
	struct stat st;
	int error;

	if (fstatat(sim->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return (errno == ENOENT ? 0 : sim_fail(sim, errno, "%s/%s",
		    sim->root, name));
	if ((error = dir_is_ours(sim, &st)) != 0)
		return (sim_fail(sim, error, "%s/%s is not the simulator's "
		    "own directory: refusing to remove it", sim->root, name));
	where[0] = '\0';
	if ((error = rmtree_at(sim->rootfd, name, 0, where,
	    sizeof(where))) != 0)
		return (sim_fail(sim, error, "removing the previous run's "
		    "%s/%s", sim->root, where));
	return (0);
}

/*
 * vmmctl, vmm/ and jails/ under the root: a previous run's (leftovers)
 * are removed; anyone else's are refused.
 */
static int
root_clear(struct vmmctl_sim *sim, int leftovers)
{
	static const char *const names[] = { "vmmctl", "vmm", "jails" };
	struct stat st;
	size_t i;
	int error;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (fstatat(sim->rootfd, names[i], &st,
		    AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			return (sim_fail(sim, errno, "%s/%s", sim->root,
			    names[i]));
		}
		if (!leftovers)
			return (sim_fail(sim, EEXIST, "%s/%s exists and no "
			    "simulator made it (no %s): refusing to touch it",
			    sim->root, names[i], SIM_LOCK_NAME));
		if (i > 0)
			error = leftover_dir(sim, names[i]);
		else if (!S_ISSOCK(st.st_mode))
			error = sim_fail(sim, EEXIST, "%s/vmmctl exists and "
			    "is not a socket", sim->root);
		else if (unlinkat(sim->rootfd, names[i], 0) != 0)
			error = sim_fail(sim, errno, "%s/vmmctl", sim->root);
		else
			error = 0;
		if (error != 0)
			return (error);
	}
	return (0);
}

/* Directory name under dfd, made 0755 (and opened) by us. */
static int
mkdir_own(int dfd, const char *name, int *fdp)
{

	if (mkdirat(dfd, name, 0755) != 0)
		return (errno);
	if ((*fdp = dir_open_at(dfd, name)) < 0)
		return (errno);
	/* Unprivileged clients must reach the endpoints and the views. */
	if (fchmod(*fdp, 0755) != 0)
		return (errno);
	return (0);
}

/* The parent of jail j's directory: jails/ or the parent jail's view. */
static int
view_parent_fd(const struct vmmctl_sim *sim, const struct vmmctl_kjail *j)
{
	size_t i;

	if (vmmctl_kjail_parent(j) == NULL)
		return (sim->jailsfd);
	for (i = 0; i < sim->neps; i++)
		if (sim->eps[i].jail == vmmctl_kjail_parent(j))
			return (sim->eps[i].dirfd);
	return (-1);
}

/* Every view: its directory (jails only) and its vmm/. */
static int
views_make(struct vmmctl_sim *sim)
{
	struct sim_ep *ep;
	size_t i;
	int error;

	if (sim->neps > 1 && (error = mkdir_own(sim->rootfd, "jails",
	    &sim->jailsfd)) != 0)
		return (sim_fail(sim, error, "%s/jails", sim->root));
	sim->jails_made = sim->neps > 1;
	/* eps are in creation order: a parent jail comes before its child. */
	for (i = 0; i < sim->neps; i++) {
		ep = &sim->eps[i];
		if (ep->jail == NULL) {
			if ((ep->dirfd = dup(sim->rootfd)) < 0)
				return (sim_fail(sim, errno, "dup"));
			(void)fcntl(ep->dirfd, F_SETFD, FD_CLOEXEC);
		} else if ((error = mkdir_own(view_parent_fd(sim, ep->jail),
		    sim_jail_leaf(ep->jail), &ep->dirfd)) != 0)
			return (sim_fail(sim, error, "%s", ep->dir));
		if ((error = mkdir_own(ep->dirfd, "vmm", &ep->vmmfd)) != 0)
			return (sim_fail(sim, error, "%s/vmm", ep->dir));
		if (ep->jail == NULL)
			sim->vmm_made = 1;
	}
	return (0);
}

/*
 * Device mode mounts over the root: once a previous run's leftovers are
 * gone it must hold nothing but the lock, or the mount would hide files
 * that are not ours.
 */
static int
root_empty(struct vmmctl_sim *sim)
{
	struct dirent *de;
	DIR *d;
	int error, fd;

	if ((fd = dup(sim->rootfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		error = errno;
		if (fd >= 0)
			(void)close(fd);
		return (sim_fail(sim, error, "%s", sim->root));
	}
	error = 0;
	while (error == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, SIM_LOCK_NAME) != 0)
			error = sim_fail(sim, ENOTEMPTY, "device mode mounts "
			    "over the root, but %s holds %s, which is not the "
			    "simulator's", sim->root, de->d_name);
	(void)closedir(d);
	return (error);
}

int
sim_root_open(struct vmmctl_sim *sim)
{
	int error, leftovers;

	/* A killed device-mode simulator's dead mount goes first. */
	if (sim->fuse && (error = sim_fuse_unstale(sim)) != 0)
		return (error);
	if ((error = root_open(sim)) != 0 ||
	    (error = root_lock(sim, &leftovers)) != 0 ||
	    (error = root_clear(sim, leftovers)) != 0)
		return (error);
	return (sim->fuse ? root_empty(sim) : views_make(sim));
}

static void
fd_close(int *fdp)
{

	if (*fdp >= 0)
		(void)close(*fdp);
	*fdp = -1;
}

/*
 * Removes what sim_root_open made (the endpoints are gone already), and
 * closes its descriptors.  Only with the lock held: otherwise none of it
 * is ours.
 */
void
sim_root_close(struct vmmctl_sim *sim)
{
	char where[PATH_MAX];
	size_t i;

	for (i = 0; i < sim->neps; i++) {
		fd_close(&sim->eps[i].vmmfd);
		fd_close(&sim->eps[i].dirfd);
	}
	fd_close(&sim->jailsfd);
	if (sim->locked) {
		if (sim->vmm_made)
			(void)rmtree_at(sim->rootfd, "vmm", 0, where,
			    sizeof(where));
		if (sim->jails_made)
			(void)rmtree_at(sim->rootfd, "jails", 0, where,
			    sizeof(where));
		(void)unlinkat(sim->rootfd, SIM_LOCK_NAME, 0);
	}
	fd_close(&sim->lockfd);		/* releases the lock */
	sim->locked = sim->vmm_made = sim->jails_made = 0;
	fd_close(&sim->rootfd);
	if (sim->root_made)
		(void)unlinkat(sim->parentfd, sim->root_leaf, AT_REMOVEDIR);
	sim->root_made = 0;
	fd_close(&sim->parentfd);
}
