/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The fake host of tests/kern; see fake_os.h.  Violations of the core's
 * contract with its host (lock taken twice, a *_locked function or a hook
 * other than publish/unpublish without the lock, publish under the lock, a
 * node published twice or removed without being published, a bad free, a
 * sleep nobody could end) fail the running test case on the spot.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "fake_os.h"

#define	ALLOC_MAGIC	0x6b65726e616c6c6fULL	/* "kernallo" */
#define	FREED_MAGIC	0x6672656564667265ULL

/* Precedes every block handed to the core; keeps the payload aligned. */
struct alloc_hdr {
	unsigned long long	magic;
	unsigned long long	size;
};

struct fake_pub {
	struct fake_pub		*next;
	struct vmmctl_node_attr	attr;
	char			name[VM_MAX_NAMELEN + 1];
};

/*
 * The fake whose lock this thread holds, if any.  Only the holder writes
 * its own slot, so reading it needs no synchronisation.
 */
static __thread const struct fake_os *fake_held;

static void
fake_lock(void *arg)
{
	struct fake_os *fo = arg;

	ATF_REQUIRE_MSG(fake_held != fo, "lock taken twice");
	ATF_REQUIRE_EQ(pthread_mutex_lock(&fo->core), 0);
	fake_held = fo;
}

static void
fake_unlock(void *arg)
{
	struct fake_os *fo = arg;

	ATF_REQUIRE_MSG(fake_held == fo, "unlock without the lock");
	fake_held = NULL;
	ATF_REQUIRE_EQ(pthread_mutex_unlock(&fo->core), 0);
}

static void
fake_assert_locked(void *arg)
{
	struct fake_os *fo = arg;

	ATF_REQUIRE_MSG(fake_held == fo, "a *_locked function ran without "
	    "the lock");
	fo->nasserts++;
}

static void
fake_sleep(void *arg, const void *chan)
{
	struct fake_os *fo = arg;

	ATF_REQUIRE_MSG(fake_held == fo, "sleep without the lock");
	ATF_REQUIRE_MSG(fo->threaded, "sleep in a single-threaded test: "
	    "nothing could wake it");
	fo->nsleeps++;
	if (fo->sleep_hook != NULL)
		fo->sleep_hook(fo, chan);
	fake_held = NULL;
	ATF_REQUIRE_EQ(pthread_cond_wait(&fo->wake, &fo->core), 0);
	fake_held = fo;
}

/* One condition variable for every channel: sleepers check again. */
static void
fake_wakeup(void *arg, const void *chan)
{
	struct fake_os *fo = arg;

	(void)chan;
	ATF_REQUIRE_MSG(fake_held == fo, "wakeup without the lock");
	fo->nwakeups++;
	ATF_REQUIRE_EQ(pthread_cond_broadcast(&fo->wake), 0);
}

static void *
fake_zalloc(void *arg, size_t size)
{
	struct fake_os *fo = arg;
	struct alloc_hdr *h;

	fo->nallocs++;
	if (fo->fail_alloc_at != 0 && fo->nallocs == fo->fail_alloc_at)
		return (NULL);
	h = calloc(1, sizeof(*h) + size);
	ATF_REQUIRE(h != NULL);
	h->magic = ALLOC_MAGIC;
	h->size = size;
	fo->live_allocs++;
	fo->live_bytes += size;
	return (h + 1);
}

static void
fake_free(void *arg, void *p)
{
	struct fake_os *fo = arg;
	struct alloc_hdr *h;

	if (p == NULL)
		return;
	h = (struct alloc_hdr *)p - 1;
	ATF_REQUIRE_MSG(h->magic == ALLOC_MAGIC, "free of a block not "
	    "allocated by zalloc, or freed twice");
	h->magic = FREED_MAGIC;
	fo->live_allocs--;
	fo->live_bytes -= h->size;
	free(h);
}

static int
fake_priv_check(void *arg, const struct vmmctl_cred *cred, int priv)
{
	struct fake_os *fo = arg;
	int i;

	ATF_CHECK_MSG(fake_held == fo, "priv_check without the lock");
	ATF_CHECK(priv == VMMCTL_PRIV_VMM_CREATE ||
	    priv == VMMCTL_PRIV_VMM_DESTROY);
	for (i = 0; i < fo->npriv; i++) {
		if (fo->priv[i] == cred->uid)
			return (0);
	}
	return (EPERM);
}

static unsigned int
pub_bucket(const char *name)
{
	unsigned int h;

	for (h = 5381; *name != '\0'; name++)
		h = h * 33 + (unsigned char)*name;
	return (h % FAKE_PUB_BUCKETS);
}

static struct fake_pub **
pub_slot(struct fake_os *fo, const char *name)
{
	struct fake_pub **pp;

	for (pp = &fo->pub[pub_bucket(name)]; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->name, name) == 0)
			break;
	}
	return (pp);
}

static void
fake_log(struct fake_os *fo, char op, const char *name)
{
	size_t n;

	n = strlen(name) + 2;
	if (fo->log_overflow || fo->loglen + n + 1 > sizeof(fo->log)) {
		fo->log_overflow = 1;
		return;
	}
	fo->log[fo->loglen] = op;
	memcpy(fo->log + fo->loglen + 1, name, n - 2);
	fo->log[fo->loglen + n - 1] = ' ';
	fo->loglen += n;
	fo->log[fo->loglen] = '\0';
}

static int
fake_publish(void *arg, const struct vmmctl_kvm *vm)
{
	struct fake_os *fo = arg;
	struct fake_pub **pp, *p;
	const char *name;

	name = vmmctl_kvm_name(vm);
	ATF_CHECK_MSG(fake_held != fo, "publish called with the lock held");
	/* Hooks first, outside the host lock: they may call the core. */
	if (fo->publish_hook != NULL)
		fo->publish_hook(fo, vm);
	pthread_mutex_lock(&fo->host);
	fo->npublish++;
	if (fo->publish_error != 0 && (fo->publish_fail_name == NULL ||
	    strcmp(fo->publish_fail_name, name) == 0)) {
		pthread_mutex_unlock(&fo->host);
		return (fo->publish_error);
	}
	pp = pub_slot(fo, name);
	ATF_CHECK_MSG(*pp == NULL, "%s published twice", name);
	if (*pp == NULL) {
		p = calloc(1, sizeof(*p));
		ATF_REQUIRE(p != NULL);
		strcpy(p->name, name);
		vmmctl_kvm_node(vm, &p->attr);
		*pp = p;
		fo->npublished++;
		fake_log(fo, '+', name);
	}
	pthread_mutex_unlock(&fo->host);
	return (0);
}

static void
fake_unpublish(void *arg, const struct vmmctl_kvm *vm)
{
	struct fake_os *fo = arg;
	struct fake_pub **pp, *p;
	const char *name;

	name = vmmctl_kvm_name(vm);
	ATF_CHECK_MSG(fake_held != fo, "unpublish called with the lock held");
	if (fo->unpublish_hook != NULL)
		fo->unpublish_hook(fo, vm);
	pthread_mutex_lock(&fo->host);
	fo->nunpublish++;
	pp = pub_slot(fo, name);
	ATF_CHECK_MSG(*pp != NULL, "%s unpublished but not published", name);
	if ((p = *pp) != NULL) {
		*pp = p->next;
		free(p);
		fo->npublished--;
		fake_log(fo, '-', name);
	}
	pthread_mutex_unlock(&fo->host);
}

/*
 * libatf-c does not free its test case list; with SANITIZE=1 that would
 * make LeakSanitizer fail every program.  The core's own allocations are
 * accounted for by fake_check_clean() anyway.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{

	return ("leak:libatf-c.so\n");
}

/* ATF treats any output on stderr of the test case list as breakage. */
const char *
__lsan_default_options(void)
{

	return ("print_suppressions=0");
}

void
fake_init(struct fake_os *fo)
{

	memset(fo, 0, sizeof(*fo));
	ATF_REQUIRE_EQ(pthread_mutex_init(&fo->core, NULL), 0);
	ATF_REQUIRE_EQ(pthread_mutex_init(&fo->host, NULL), 0);
	ATF_REQUIRE_EQ(pthread_cond_init(&fo->wake, NULL), 0);
	fo->os.arg = fo;
	fo->os.lock = fake_lock;
	fo->os.unlock = fake_unlock;
	fo->os.assert_locked = fake_assert_locked;
	fo->os.sleep = fake_sleep;
	fo->os.wakeup = fake_wakeup;
	fo->os.zalloc = fake_zalloc;
	fo->os.free = fake_free;
	fo->os.priv_check = fake_priv_check;
	fo->os.publish = fake_publish;
	fo->os.unpublish = fake_unpublish;
}

void
fake_priv(struct fake_os *fo, uint32_t uid)
{

	ATF_REQUIRE(fo->npriv < FAKE_NPRIV);
	fo->priv[fo->npriv++] = uid;
}

int
fake_published(struct fake_os *fo, const char *name)
{
	int found;

	pthread_mutex_lock(&fo->host);
	found = *pub_slot(fo, name) != NULL;
	pthread_mutex_unlock(&fo->host);
	return (found);
}

int
fake_node(struct fake_os *fo, const char *name, struct vmmctl_node_attr *attr)
{
	struct fake_pub *p;

	pthread_mutex_lock(&fo->host);
	p = *pub_slot(fo, name);
	if (p != NULL)
		*attr = p->attr;
	pthread_mutex_unlock(&fo->host);
	return (p != NULL ? 0 : ENOENT);
}

void
fake_log_clear(struct fake_os *fo)
{

	fo->loglen = 0;
	fo->log[0] = '\0';
	fo->log_overflow = 0;
}

void
fake_check_clean(struct fake_os *fo)
{
	struct fake_pub *p;
	size_t i;

	ATF_CHECK_EQ_MSG(fo->live_allocs, 0, "%zu allocations (%zu bytes) "
	    "outstanding", fo->live_allocs, fo->live_bytes);
	ATF_CHECK_MSG(fake_held != fo, "lock still held");
	ATF_CHECK_EQ_MSG(fo->npublished, 0, "%zu device nodes left",
	    fo->npublished);
	/* The core checked its lock, i.e. the assertion is wired in. */
	ATF_CHECK(fo->nasserts > 0);
	for (i = 0; i < FAKE_PUB_BUCKETS; i++) {
		while ((p = fo->pub[i]) != NULL) {
			fo->pub[i] = p->next;
			free(p);
		}
	}
	pthread_mutex_destroy(&fo->core);
	pthread_mutex_destroy(&fo->host);
	pthread_cond_destroy(&fo->wake);
}

struct vmmctl_kern *
t_setup(struct fake_os *fo)
{
	struct vmmctl_kern *k;

	fake_init(fo);
	ATF_REQUIRE_EQ(vmmctl_kern_init(&fo->os, &k), 0);
	fo->kern = k;
	return (k);
}

void
t_teardown(struct fake_os *fo, struct vmmctl_kern *k)
{

	vmmctl_kern_fini(k);
	fake_check_clean(fo);
}

struct vmmctl_cred
t_cred(uint32_t uid, struct vmmctl_kjail *jail)
{
	struct vmmctl_cred c;

	memset(&c, 0, sizeof(c));
	c.uid = uid;
	c.ruid = uid;
	c.gid = uid;
	c.jail = jail;
	return (c);
}

struct vmmctl_kfile *
t_open(struct vmmctl_kern *k, const struct vmmctl_cred *cred)
{
	struct vmmctl_kfile *f;

	ATF_REQUIRE_EQ(vmmctl_kern_open(k, cred,
	    VMMCTL_KF_READ | VMMCTL_KF_WRITE, &f), 0);
	return (f);
}

struct vmmctl_kjail *
t_jail(struct vmmctl_kern *k, struct vmmctl_kjail *parent, const char *name)
{
	struct vmmctl_kjail *j;

	ATF_REQUIRE_EQ(vmmctl_kern_jail_create(k, parent, name, &j), 0);
	return (j);
}

int
t_create(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const char *name, uint32_t flags)
{
	struct vmmctl_vm_create req;

	memset(&req, 0, sizeof(req));
	ATF_REQUIRE(strlen(name) < sizeof(req.name));
	strcpy(req.name, name);
	req.flags = flags;
	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_CREATE, &req,
	    sizeof(req)));
}

int
t_destroy(struct vmmctl_kfile *f, const struct vmmctl_cred *cred,
    const char *name)
{
	struct vmmctl_vm_destroy req;

	memset(&req, 0, sizeof(req));
	ATF_REQUIRE(strlen(name) < sizeof(req.name));
	strcpy(req.name, name);
	return (vmmctl_kern_ioctl(f, cred, VMMCTL_VM_DESTROY, &req,
	    sizeof(req)));
}

void
fx_setup(struct fx *x, int gen)
{

	memset(x, 0, sizeof(*x));
	x->k = t_setup(&x->fo);
	ATF_REQUIRE_EQ(vmmctl_kern_set_generation(x->k, gen), 0);
	fake_priv(&x->fo, UID_ROOT);
	x->root = t_cred(UID_ROOT, NULL);
	x->alice = t_cred(UID_ALICE, NULL);
	x->bob = t_cred(UID_BOB, NULL);
	x->froot = t_open(x->k, &x->root);
	x->falice = t_open(x->k, &x->alice);
	x->fbob = t_open(x->k, &x->bob);
}

void
fx_teardown(struct fx *x)
{

	vmmctl_kern_release(x->froot);
	vmmctl_kern_release(x->falice);
	vmmctl_kern_release(x->fbob);
	t_teardown(&x->fo, x->k);
}
