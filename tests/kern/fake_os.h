/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A fake host for the kernel core's in-process tests: it implements struct
 * vmmctl_os over malloc, checks the lock discipline, records every
 * publish/unpublish, tracks every allocation (so each test ends by checking
 * that none is outstanding), can make the Nth allocation or a publish fail,
 * and treats a configurable set of uids as privileged.
 */

#ifndef _FAKE_OS_H_
#define	_FAKE_OS_H_

#include <stddef.h>
#include <stdint.h>

#include "vmmctl_kern.h"

#define	FAKE_NPRIV		8
#define	FAKE_PUB_BUCKETS	4096
#define	FAKE_LOG_SIZE		8192

struct fake_pub;
struct fake_os;

typedef void fake_hook_t(struct fake_os *, const struct vmmctl_kvm *);

struct fake_os {
	struct vmmctl_os	os;		/* what the core gets */
	int			locked;

	/* Allocations made by the core. */
	size_t			live_allocs;
	size_t			live_bytes;
	unsigned long		nallocs;	/* attempts, failed ones too */
	unsigned long		fail_alloc_at;	/* 0: never; else attempt # */

	/* Privileged uids. */
	uint32_t		priv[FAKE_NPRIV];
	int			npriv;

	/* Device nodes. */
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
int	fake_published(const struct fake_os *fo, const char *name);
void	fake_log_clear(struct fake_os *fo);
/* Checks nothing is left: allocations, device nodes, the lock. */
void	fake_check_clean(struct fake_os *fo);

/* Test helpers over the core, with ATF_REQUIRE on the set-up steps. */
struct vmmctl_kern *t_setup(struct fake_os *fo);
void	t_teardown(struct fake_os *fo, struct vmmctl_kern *k);
struct vmmctl_cred t_cred(uint32_t uid, struct vmmctl_kjail *jail);
struct vmmctl_kfile *t_open(struct vmmctl_kern *k,
	    const struct vmmctl_cred *cred);
struct vmmctl_kjail *t_jail(struct vmmctl_kern *k, struct vmmctl_kjail *parent,
	    const char *name);
int	t_create(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    const char *name, uint32_t flags);
int	t_destroy(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
	    const char *name);

#define	SCOPED		VMMCTL_CREATE_DESTROY_ON_CLOSE
#define	PERSISTENT	0u
#define	UID_ROOT	0u
#define	UID_ALICE	1001u
#define	UID_BOB		1002u

#endif /* !_FAKE_OS_H_ */
