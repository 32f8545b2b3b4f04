/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A fake host for the kernel core's in-process tests: it implements struct
 * vmmctl_os over malloc and pthreads (the core's lock is a real mutex, sleep
 * and wakeup a condition variable), checks the lock discipline (a *_locked
 * function running without the lock fails the test), records every
 * publish/unpublish, tracks every allocation (so each test ends by checking
 * that none is outstanding), can make the Nth allocation or a publish fail,
 * and treats a configurable set of uids as privileged.
 *
 * The fixture on top (struct fx) is the set-up most tests share: an
 * instance of a given generation with root (privileged), alice and bob,
 * each with a file open on the host.
 */

#ifndef _FAKE_OS_H_
#define	_FAKE_OS_H_

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmmctl_kern.h"

#define	FAKE_NPRIV		8
#define	FAKE_PUB_BUCKETS	4096
#define	FAKE_LOG_SIZE		8192

struct fake_pub;
struct fake_os;

typedef void fake_hook_t(struct fake_os *, const struct vmmctl_kvm *);
typedef void fake_sleep_hook_t(struct fake_os *, const void *);

struct fake_os {
	struct vmmctl_os	os;		/* what the core gets */
	pthread_mutex_t		core;		/* the core's lock */
	pthread_cond_t		wake;		/* sleep/wakeup */
	/* 0: sleep fails the test (nobody could wake the sleeper). */
	int			threaded;
	fake_sleep_hook_t	*sleep_hook;	/* run as sleep starts */
	unsigned long		nsleeps;	/* under the core lock */
	unsigned long		nwakeups;
	unsigned long		nasserts;

	/* Allocations made by the core (under its lock, or single-threaded). */
	size_t			live_allocs;
	size_t			live_bytes;
	unsigned long		nallocs;	/* attempts, failed ones too */
	unsigned long		fail_alloc_at;	/* 0: never; else attempt # */

	/* Privileged uids. */
	uint32_t		priv[FAKE_NPRIV];
	int			npriv;

	/* Device nodes, guarded by host (publish runs without the lock). */
	pthread_mutex_t		host;
	unsigned long		npublish;	/* calls, failed ones too */
	unsigned long		nunpublish;
	size_t			npublished;	/* nodes that exist now */
	int			publish_error;	/* fail publish with this... */
	const char		*publish_fail_name; /* ...for this name (NULL: any) */
	fake_hook_t		*publish_hook;	/* run inside publish */
	fake_hook_t		*unpublish_hook; /* run inside unpublish */
	void			*hook_arg;
	struct vmmctl_kern	*kern;		/* for hooks */
	struct fake_pub		*pub[FAKE_PUB_BUCKETS];

	/* "+name -name ..." in call order, while it fits. */
	char			log[FAKE_LOG_SIZE];
	size_t			loglen;
	int			log_overflow;
};

void	fake_init(struct fake_os *fo);
void	fake_priv(struct fake_os *fo, uint32_t uid);
int	fake_published(struct fake_os *fo, const char *name);
/* The node's owner and mode as published (0 if it was found). */
int	fake_node(struct fake_os *fo, const char *name,
	    struct vmmctl_node_attr *attr);
void	fake_log_clear(struct fake_os *fo);
/* Checks nothing is left: allocations, device nodes, the lock. */
void	fake_check_clean(struct fake_os *fo);

/* Test helpers over the core, with ATF_REQUIRE on the set-up steps. */
struct vmmctl_kern *t_setup(struct fake_os *fo);
void	t_teardown(struct fake_os *fo, struct vmmctl_kern *k);
/* uid is effective and real uid and gid alike. */
struct vmmctl_cred t_cred(uint32_t uid, struct vmmctl_kjail *jail);
struct vmmctl_kfile *t_open(struct vmmctl_kern *k,
	    const struct vmmctl_cred *cred);
struct vmmctl_kjail *t_jail(struct vmmctl_kern *k, struct vmmctl_kjail *parent,
	    const char *name);
int	t_create(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    const char *name, uint32_t flags);
int	t_destroy(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    const char *name);

/* The shared set-up: root (privileged), alice, bob, a host file each. */
struct fx {
	struct fake_os		fo;
	struct vmmctl_kern	*k;
	struct vmmctl_cred	root, alice, bob;
	struct vmmctl_kfile	*froot, *falice, *fbob;
};

void	fx_setup(struct fx *x, int gen);
/* Releases the three files (unless NULLed), finishes, checks clean. */
void	fx_teardown(struct fx *x);

#define	SCOPED		VMMCTL_CREATE_DESTROY_ON_CLOSE
#define	PERSISTENT	0u
#define	UID_ROOT	0u
#define	UID_ALICE	1001u
#define	UID_BOB		1002u
#define	GEN3		3
#define	GEN2		2
#define	GEN1		1
/* Allocations of an instance with no file and no VM: it, its name table. */
#define	BASE_ALLOCS	2

#endif /* !_FAKE_OS_H_ */
