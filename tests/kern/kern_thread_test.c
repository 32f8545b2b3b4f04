/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The core under concurrent callers, as in the kernel: the fake host's lock
 * is a real mutex, sleep/wakeup a condition variable, and publish/unpublish
 * yield the CPU, so creates, destroys and releases from several threads
 * interleave inside the windows where the lock is dropped.  The fake
 * host's own checks catch a VM published or unpublished twice and a
 * *_locked function without the lock; concurrent_callers adds the per-uid
 * limit as an invariant and checks every return value is one FreeBSD
 * allows; the release cases show close's guarantee (vmmctl_dtor sleeps on
 * a VM another thread is destroying): once release returns, no node of the
 * file is left.  No timing is asserted: the outcome is the same however
 * threads run.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include "fake_os.h"

#define	NTHREADS	5
#define	NOPS		3000
#define	NNAMES		12
#define	LIMIT		4

struct world {
	struct fake_os		fo;
	struct vmmctl_kern	*k;
	pthread_mutex_t		host;	/* guards live[] and over_limit */
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
	pthread_mutex_init(&w.host, NULL);
	fake_init(&w.fo);
	w.fo.threaded = 1;
	fake_priv(&w.fo, UID_ROOT);
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
	pthread_mutex_destroy(&w.host);
}

/*
 * Close, forced interleaving: thread A destroys a scoped VM through another
 * file and, inside unpublish (the lock dropped, the VM DYING), waits until
 * the owner's release has gone to sleep on it; then finishes.  The release
 * must not return before the node is gone.  Without the sleep, release
 * would return at once, the node still there, and A would wait in vain
 * (for at most WAIT_S seconds, a bound against hanging, not a timing).
 */
#define	ROUNDS_FORCED	200
#define	ROUNDS_FREE	3000
#define	WAIT_S		2

struct race {
	struct fx		x;
	pthread_mutex_t		m;
	pthread_cond_t		cv;
	int			in_unpublish;	/* A is inside unpublish */
	int			slept;		/* B's release slept */
	int			timed_out;
	char			name[32];
	int			destroy_error;
};

static struct race r;

static void
race_wait(int *flag)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_S;
	while (!*flag) {
		if (pthread_cond_timedwait(&r.cv, &r.m, &ts) == ETIMEDOUT) {
			r.timed_out++;
			break;
		}
	}
}

static void
race_set(int *flag)
{

	pthread_mutex_lock(&r.m);
	*flag = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.m);
}

/* In A, without the core lock: tell B, wait for its release to sleep. */
static void
forced_unpublish(struct fake_os *fo, const struct vmmctl_kvm *vm)
{

	(void)fo;
	(void)vm;
	pthread_mutex_lock(&r.m);
	r.in_unpublish = 1;
	pthread_cond_broadcast(&r.cv);
	race_wait(&r.slept);
	pthread_mutex_unlock(&r.m);
	/* Give a wrongly woken release every chance to return early. */
	sched_yield();
}

/* In B, with the core lock held, as its release starts to sleep. */
static void
forced_sleep(struct fake_os *fo, const void *chan)
{

	(void)fo;
	(void)chan;
	race_set(&r.slept);
}

static void *
destroyer(void *arg)
{

	(void)arg;
	r.destroy_error = t_destroy(r.x.froot, &r.x.root, r.name);
	return (NULL);
}

static void
race_setup(void)
{

	memset(&r, 0, sizeof(r));
	fx_setup(&r.x, GEN3);
	r.x.fo.threaded = 1;
	pthread_mutex_init(&r.m, NULL);
	pthread_cond_init(&r.cv, NULL);
}

static void
race_teardown(void)
{

	fx_teardown(&r.x);
	pthread_mutex_destroy(&r.m);
	pthread_cond_destroy(&r.cv);
}

ATF_TC(release_waits_for_destroy);
ATF_TC_HEAD(release_waits_for_destroy, tc)
{

	atf_tc_set_md_var(tc, "descr", "a release that finds its VM being "
	    "destroyed by another thread returns only once the node is gone");
}
ATF_TC_BODY(release_waits_for_destroy, tc)
{
	struct vmmctl_kfile *f;
	pthread_t a;
	int i;

	race_setup();
	r.x.fo.unpublish_hook = forced_unpublish;
	r.x.fo.sleep_hook = forced_sleep;
	for (i = 0; i < ROUNDS_FORCED; i++) {
		snprintf(r.name, sizeof(r.name), "forced%d", i);
		r.in_unpublish = r.slept = 0;
		f = t_open(r.x.k, &r.x.alice);
		ATF_REQUIRE_EQ(t_create(f, &r.x.alice, r.name, SCOPED), 0);
		ATF_REQUIRE_EQ(pthread_create(&a, NULL, destroyer, NULL), 0);
		pthread_mutex_lock(&r.m);
		race_wait(&r.in_unpublish);
		pthread_mutex_unlock(&r.m);
		vmmctl_kern_release(f);
		/* The guarantee: nothing of f outlives its release. */
		ATF_REQUIRE_MSG(!fake_published(&r.x.fo, r.name),
		    "round %d: %s still published after release", i, r.name);
		ATF_REQUIRE_EQ(vmmctl_kern_vm_count(r.x.k), 0);
		ATF_REQUIRE_EQ(pthread_join(a, NULL), 0);
		ATF_REQUIRE_EQ(r.destroy_error, 0);
	}
	ATF_CHECK_EQ(r.timed_out, 0);
	ATF_CHECK(r.x.fo.nsleeps >= ROUNDS_FORCED);
	r.x.fo.unpublish_hook = NULL;
	r.x.fo.sleep_hook = NULL;
	race_teardown();
}

static void
yield_unpublish(struct fake_os *fo, const struct vmmctl_kvm *vm)
{
	int i;

	(void)fo;
	(void)vm;
	for (i = 0; i < 3; i++)
		sched_yield();
}

struct free_race {
	pthread_barrier_t	go;
	pthread_barrier_t	done;
	int			rounds;
	int			bad;
};

static struct free_race fr;

static void *
free_destroyer(void *arg)
{
	int error, i;

	(void)arg;
	for (i = 0; i < fr.rounds; i++) {
		pthread_barrier_wait(&fr.go);
		error = t_destroy(r.x.froot, &r.x.root, r.name);
		/* 0, or EINVAL when the release got there first. */
		if (error != 0 && error != EINVAL)
			fr.bad++;
		pthread_barrier_wait(&fr.done);
	}
	return (NULL);
}

ATF_TC(release_vs_destroy_rounds);
ATF_TC_HEAD(release_vs_destroy_rounds, tc)
{

	atf_tc_set_md_var(tc, "descr", "3,000 rounds of a destroy racing the "
	    "owner's release, free-running: after each release no node is "
	    "left");
}
ATF_TC_BODY(release_vs_destroy_rounds, tc)
{
	struct vmmctl_kfile *f;
	pthread_t a;
	int i, left;

	race_setup();
	r.x.fo.unpublish_hook = yield_unpublish;
	memset(&fr, 0, sizeof(fr));
	fr.rounds = ROUNDS_FREE;
	pthread_barrier_init(&fr.go, NULL, 2);
	pthread_barrier_init(&fr.done, NULL, 2);
	ATF_REQUIRE_EQ(pthread_create(&a, NULL, free_destroyer, NULL), 0);
	left = 0;
	for (i = 0; i < ROUNDS_FREE; i++) {
		snprintf(r.name, sizeof(r.name), "free%d", i);
		f = t_open(r.x.k, &r.x.alice);
		ATF_REQUIRE_EQ(t_create(f, &r.x.alice, r.name, SCOPED), 0);
		pthread_barrier_wait(&fr.go);
		vmmctl_kern_release(f);
		left += fake_published(&r.x.fo, r.name);
		pthread_barrier_wait(&fr.done);
	}
	ATF_REQUIRE_EQ(pthread_join(a, NULL), 0);
	ATF_CHECK_EQ_MSG(left, 0, "%d nodes outlived their release", left);
	ATF_CHECK_EQ(fr.bad, 0);
	printf("%lu of %d releases slept on a destroy under way\n",
	    r.x.fo.nsleeps, ROUNDS_FREE);
	r.x.fo.unpublish_hook = NULL;
	pthread_barrier_destroy(&fr.go);
	pthread_barrier_destroy(&fr.done);
	race_teardown();
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, concurrent_callers);
	ATF_TP_ADD_TC(tp, release_waits_for_destroy);
	ATF_TP_ADD_TC(tp, release_vs_destroy_rounds);
	return (atf_no_error());
}
