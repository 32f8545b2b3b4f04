/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The core under concurrent callers, as in the kernel: the fake host's lock
 * becomes a real mutex and publish/unpublish yield the CPU, so creates,
 * destroys and releases from several threads interleave inside the windows
 * where the lock is dropped.  The fake host's own checks catch a VM
 * published or unpublished twice; this test adds the per-uid limit as an
 * invariant and checks every return value is one the table allows.
 * No timing is asserted: the outcome is the same however threads run.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

#define	NTHREADS	5
#define	NOPS		3000
#define	NNAMES		12
#define	LIMIT		4

struct world {
	struct fake_os		fo;
	struct vmmctl_kern	*k;
	pthread_mutex_t		core;	/* the core's lock */
	pthread_mutex_t		host;	/* guards the fake's node table */
	int			(*publish)(void *, const struct vmmctl_kvm *);
	void			(*unpublish)(void *, const struct vmmctl_kvm *);
	unsigned long		calls;
	uint32_t		live[3];	/* published, per uid index */
	int			over_limit;
};

static struct world w;

static int
uid_index(uint32_t uid)
{

	return (uid == UID_ALICE ? 0 : uid == UID_BOB ? 1 : 2);
}

static void
mt_lock(void *arg)
{

	(void)arg;
	pthread_mutex_lock(&w.core);
}

static void
mt_unlock(void *arg)
{

	(void)arg;
	pthread_mutex_unlock(&w.core);
}

static int
mt_publish(void *arg, const struct vmmctl_kvm *vm)
{
	int error, i;

	sched_yield();
	pthread_mutex_lock(&w.host);
	/* Now and then, fail one: the roll-back races too. */
	if (++w.calls % 13 == 0) {
		pthread_mutex_unlock(&w.host);
		return (EIO);
	}
	error = w.publish(arg, vm);
	if (error == 0) {
		i = uid_index(vmmctl_kvm_uid(vm));
		/* Root is limited too, but none of its VMs are released. */
		if (++w.live[i] > LIMIT)
			w.over_limit++;
	}
	pthread_mutex_unlock(&w.host);
	sched_yield();
	return (error);
}

static void
mt_unpublish(void *arg, const struct vmmctl_kvm *vm)
{

	sched_yield();
	pthread_mutex_lock(&w.host);
	w.live[uid_index(vmmctl_kvm_uid(vm))]--;
	w.unpublish(arg, vm);
	pthread_mutex_unlock(&w.host);
	sched_yield();
}

struct worker {
	pthread_t		thread;
	struct vmmctl_cred	cred;
	uint32_t		flags;
	unsigned long		seed;
	unsigned long		bad;		/* unexpected results */
	int			last_bad;
	unsigned long		created, destroyed, released;
};

static unsigned long
next_rand(unsigned long *seed)
{

	*seed = *seed * 6364136223846793005UL + 1442695040888963407UL;
	return (*seed >> 33);
}

static void
note(struct worker *wk, int error, int ok1, int ok2, int ok3)
{

	if (error != ok1 && error != ok2 && error != ok3) {
		wk->bad++;
		wk->last_bad = error;
	}
}

static void *
work(void *arg)
{
	struct worker *wk = arg;
	struct vmmctl_kfile *f;
	char name[16];
	unsigned long r;
	int error, i;

	if (vmmctl_kern_open(w.k, &wk->cred, VMMCTL_KF_WRITE, &f) != 0) {
		wk->bad++;
		return (NULL);
	}
	for (i = 0; i < NOPS; i++) {
		r = next_rand(&wk->seed);
		snprintf(name, sizeof(name), "t%lu", (r >> 8) % NNAMES);
		switch (r % 10) {
		case 0: case 1: case 2: case 3: case 4:
			error = t_create(f, &wk->cred, name, wk->flags);
			note(wk, error, 0, EEXIST, ENOMEM);
			if (error == EIO)	/* the injected failure */
				wk->bad--;
			wk->created += error == 0;
			break;
		case 5: case 6: case 7: case 8:
			error = t_destroy(f, &wk->cred, name);
			note(wk, error, 0, EINVAL, EPERM);
			wk->destroyed += error == 0;
			break;
		default:
			vmmctl_kern_release(f);
			wk->released++;
			if (vmmctl_kern_open(w.k, &wk->cred, VMMCTL_KF_WRITE,
			    &f) != 0) {
				wk->bad++;
				return (NULL);
			}
			break;
		}
	}
	vmmctl_kern_release(f);
	return (NULL);
}

ATF_TC(concurrent_callers);
ATF_TC_HEAD(concurrent_callers, tc)
{

	atf_tc_set_md_var(tc, "descr", "creates, destroys and releases from "
	    "5 threads keep every invariant and leak nothing");
}
ATF_TC_BODY(concurrent_callers, tc)
{
	struct worker wk[NTHREADS];
	unsigned long created, destroyed;
	int i;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.core, NULL);
	pthread_mutex_init(&w.host, NULL);
	fake_init(&w.fo);
	fake_priv(&w.fo, UID_ROOT);
	w.fo.os.lock = mt_lock;
	w.fo.os.unlock = mt_unlock;
	w.publish = w.fo.os.publish;
	w.unpublish = w.fo.os.unpublish;
	w.fo.os.publish = mt_publish;
	w.fo.os.unpublish = mt_unpublish;
	ATF_REQUIRE_EQ(vmmctl_kern_init(&w.fo.os, &w.k), 0);
	vmmctl_kern_set_uid_limit(w.k, LIMIT);

	memset(wk, 0, sizeof(wk));
	for (i = 0; i < NTHREADS; i++) {
		/* Alice twice, Bob twice, and root making persistent VMs. */
		wk[i].cred = t_cred(i < 2 ? UID_ALICE : i < 4 ? UID_BOB :
		    UID_ROOT, NULL);
		wk[i].flags = i < 4 ? SCOPED : PERSISTENT;
		wk[i].seed = 12345 + i;
		ATF_REQUIRE_EQ(pthread_create(&wk[i].thread, NULL, work,
		    &wk[i]), 0);
	}
	created = destroyed = 0;
	for (i = 0; i < NTHREADS; i++) {
		ATF_REQUIRE_EQ(pthread_join(wk[i].thread, NULL), 0);
		ATF_CHECK_EQ_MSG(wk[i].bad, 0, "thread %d: %lu unexpected "
		    "results, the last %d", i, wk[i].bad, wk[i].last_bad);
		printf("thread %d: %lu created, %lu destroyed, %lu "
		    "releases\n", i, wk[i].created, wk[i].destroyed,
		    wk[i].released);
		created += wk[i].created;
		destroyed += wk[i].destroyed;
	}
	ATF_CHECK_EQ(w.over_limit, 0);
	/* Only root's persistent VMs outlive the files. */
	ATF_CHECK_EQ(w.live[0], 0);
	ATF_CHECK_EQ(w.live[1], 0);
	ATF_CHECK_EQ(vmmctl_kern_vm_count(w.k), w.live[2]);
	ATF_CHECK_EQ(w.fo.npublished, w.live[2]);
	ATF_CHECK(created > 0 && destroyed > 0);
	ATF_CHECK_EQ(w.fo.nunpublish + w.fo.npublished,
	    w.fo.npublish);
	vmmctl_kern_fini(w.k);
	ATF_CHECK_EQ(w.fo.nunpublish, w.fo.npublish);
	fake_check_clean(&w.fo);
	pthread_mutex_destroy(&w.core);
	pthread_mutex_destroy(&w.host);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, concurrent_callers);
	return (atf_no_error());
}
