/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the libvmmctl tests.
 */

#ifndef _CAPI_UTIL_H_
#define	_CAPI_UTIL_H_

#include <stddef.h>
#include <sys/types.h>

#include "vmmctl.h"
#include "testsim.h"
#include "vmmctl_sim_proto.h"

/* ATF_REQUIRE_EQ_MSG for errno values, naming both. */
#define	REQUIRE_ERR(expr, want) do {					\
	int _got = (expr), _want = (want);				\
	ATF_REQUIRE_MSG(_got == _want, "%s: got %d (%s), want %d (%s)",	\
	    #expr, _got, vmmctl_strerror(_got), _want,			\
	    vmmctl_strerror(_want));					\
} while (0)

#define	REQUIRE_OK(expr)	REQUIRE_ERR(expr, 0)

/* 1 in the device-mode programs (capi_*_fuse_test), else 0. */
extern const int capi_fuse;

/* Start a simulator under its own root; extra may be NULL. */
void	sim_start(struct testsim *ts, const char *const *extra);
/* SIGTERM (unless killed), then remove the root. */
void	sim_stop(struct testsim *ts);
/*
 * Start a simulator as uid (gid the same number) under a root it owns: a
 * copy of the binary in a 0755 directory of its own.  Needs root.
 */
void	sim_start_as(struct testsim *ts, uid_t uid);
/* SIGKILL: the root stays as the sim left it, until sim_stop(). */
void	sim_kill(struct testsim *ts);

/* vmmctl_open(root) that must succeed. */
vmmctl_t *open_ok(const char *root, uint32_t flags);

/*
 * vmmctl_list into a malloc'd buffer (growing on ERANGE); returns the
 * number of names, *bufp and *lenp the buffer and its length.
 */
size_t	list_all(vmmctl_t *h, char **bufp, size_t *lenp);
/* 1 if name is in the list of h. */
int	listed(vmmctl_t *h, const char *name);

/* 1 if fd is open in this process, 0 if not. */
int	fd_is_open(int fd);
/* 1 if fd has close-on-exec. */
int	fd_cloexec(int fd);
/*
 * fork + exec the capi_fdcheck helper with fd: 1 if the new image still
 * has fd open, 0 if not.
 */
int	fd_survives_exec(int fd);
/*
 * fork + exec capi_fdcheck to adopt fd and create the scoped VM name;
 * returns the helper's exit status (0: done).
 */
int	exec_adopt_create(int fd, const char *name);

/* A fresh, short temporary directory (for sockets). */
void	tmpdir_make(char *buf, size_t size);

/* Send / receive one descriptor over a unix socket (SCM_RIGHTS). */
void	send_fd(int sock, int fd);
int	recv_fd(int sock);

/*
 * A fake server at <dir>/vmmctl (protocol 2) that accepts one connection
 * and answers its requests, each on its own channel, with the replies of
 * script, one after the other (each a header and hdr.len payload bytes; a
 * short last one is sent as it is); then it hangs up.  NULL: it takes one
 * request and hangs up without answering.  Returns the server's pid.
 */
pid_t	fake_server(const char *dir, const void *script, size_t len);
void	fake_server_wait(pid_t pid);
/* One request on cfd: its header and its reply channel (0), or -1. */
int	fake_recv(int cfd, struct vmmctl_sim_hdr *hdr, int *chanp);

/* Privilege-drop helpers: 1 if running as root (so setuid works). */
int	is_root(void);
/*
 * Run fn(arg) in a child that enters dir (nullable) and then drops to
 * uid/gid 65534; returns its exit status.
 */
int	run_unprivileged(const char *dir, int (*fn)(void *), void *arg);

#endif /* !_CAPI_UTIL_H_ */
