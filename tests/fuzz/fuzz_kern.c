/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer target: the kernel core's entry points (sys/kern), driven by a
 * sequence of operations decoded from the input: open, ioctl (arbitrary
 * command words and payloads, or well-formed create/destroy requests so the
 * fuzzer reaches the deep paths quickly), release, jail creation and
 * allow.vmm, uid limit, the generation (while nothing is open) and injected
 * allocation/publish failures.
 *
 * The host is a small checking fake: it tracks every allocation and every
 * published device node, so after each operation the core's VM count must
 * equal the number of published nodes, and after vmmctl_kern_fini nothing
 * may be left allocated or published.  A violated invariant aborts, which
 * libFuzzer reports as a crash.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmctl_dev.h"
#include "vmmctl_kern.h"

#define	NFILES	8
#define	NJAILS	6

#define	CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

struct fos {
	int		locked;
	size_t		live_allocs;
	unsigned long	nallocs;
	unsigned long	fail_alloc_at;	/* 0: never */
	size_t		npublished;
	int		publish_error;
};

static struct fos fos;

static void
f_lock(void *arg)
{

	(void)arg;
	CHECK(!fos.locked);
	fos.locked = 1;
}

static void
f_unlock(void *arg)
{

	(void)arg;
	CHECK(fos.locked);
	fos.locked = 0;
}

static void
f_assert_locked(void *arg)
{

	(void)arg;
	CHECK(fos.locked);
}

/* Single-threaded: a release never finds a VM another thread destroys. */
static void
f_sleep(void *arg, const void *chan)
{

	(void)arg;
	(void)chan;
	CHECK(!"sleep with no other thread");
}

static void
f_wakeup(void *arg, const void *chan)
{

	(void)arg;
	(void)chan;
	CHECK(fos.locked);
}

static void *
f_zalloc(void *arg, size_t size)
{
	void *p;

	(void)arg;
	if (++fos.nallocs == fos.fail_alloc_at)
		return (NULL);
	if ((p = calloc(1, size)) != NULL)
		fos.live_allocs++;
	return (p);
}

static void
f_free(void *arg, void *p)
{

	(void)arg;
	if (p == NULL)
		return;
	CHECK(fos.live_allocs > 0);
	fos.live_allocs--;
	free(p);
}

static int
f_priv_check(void *arg, const struct vmmctl_cred *cred, int priv)
{

	(void)arg;
	(void)priv;
	return (cred->uid == 0 ? 0 : EPERM);
}

/* Called without the lock (vmmctl_kern.h). */
static int
f_publish(void *arg, const struct vmmctl_kvm *vm)
{
	const char *name;

	(void)arg;
	CHECK(!fos.locked);
	/* Whatever the core publishes must satisfy the name rule. */
	name = vmmctl_kvm_name(vm);
	CHECK(vmmctl_kern_check_name(name, VM_MAX_NAMELEN + 1) == 0);
	if (fos.publish_error != 0)
		return (fos.publish_error);
	fos.npublished++;
	return (0);
}

static void
f_unpublish(void *arg, const struct vmmctl_kvm *vm)
{

	(void)arg;
	(void)vm;
	CHECK(!fos.locked);
	CHECK(fos.npublished > 0);
	fos.npublished--;
}

static const struct vmmctl_os f_os = {
	.arg = &fos,
	.lock = f_lock,
	.unlock = f_unlock,
	.assert_locked = f_assert_locked,
	.sleep = f_sleep,
	.wakeup = f_wakeup,
	.zalloc = f_zalloc,
	.free = f_free,
	.priv_check = f_priv_check,
	.publish = f_publish,
	.unpublish = f_unpublish,
};

/* The input, consumed front to back; zeros once exhausted. */
struct in {
	const uint8_t	*p;
	size_t		left;
};

static uint8_t
in_byte(struct in *in)
{

	if (in->left == 0)
		return (0);
	in->left--;
	return (*in->p++);
}

static uint32_t
in_u32(struct in *in)
{
	uint32_t v;
	int i;

	for (v = 0, i = 0; i < 4; i++)
		v = v << 8 | in_byte(in);
	return (v);
}

static size_t
in_bytes(struct in *in, void *buf, size_t n)
{

	if (n > in->left)
		n = in->left;
	memcpy(buf, in->p, n);
	in->p += n;
	in->left -= n;
	return (n);
}

/* A short name (mostly from a small alphabet, so names collide). */
static void
in_name(struct in *in, char *name, size_t size)
{
	static const char alpha[] = "ab./\0";
	size_t i, n;
	uint8_t b;

	n = in_byte(in);
	if (n >= 0xf0)		/* sometimes long: around VM_MAX_NAMELEN */
		n = VM_MAX_NAMELEN - 8 + (n & 0xf);
	else
		n %= 6;
	if (n > size - 1)
		n = size - 1;
	memset(name, 0, size);
	for (i = 0; i < n; i++) {
		b = in_byte(in);
		name[i] = (b & 0x80) ? (char)(b & 0x7f) :
		    alpha[b % (sizeof(alpha) - 1)];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t uids[] = { 0, 1001, 1002 };
	union {
		struct vmmctl_vm_create	c;
		struct vmmctl_vm_destroy d;
		unsigned char		raw[512];
		uint64_t		align;
	} buf;
	struct vmmctl_kfile *files[NFILES];
	struct vmmctl_kjail *jails[NJAILS];
	struct vmmctl_cred cred;
	struct vmmctl_kern *k;
	struct in in;
	char name[VM_MAX_NAMELEN + 1];
	unsigned long cmd;
	uint32_t before, after;
	size_t len, npub;
	int error, i, j, n, njails, nops, op;
	uint8_t b;

	memset(&fos, 0, sizeof(fos));
	memset(files, 0, sizeof(files));
	in.p = data;
	in.left = size;
	if (vmmctl_kern_init(&f_os, &k) != 0)
		abort();
	jails[0] = NULL;
	njails = 1;

	for (nops = 0; in.left > 0 && nops < 256; nops++) {
		op = in_byte(&in) % 9;
		b = in_byte(&in);
		cred.uid = uids[(b & 0xf) % 3];
		cred.ruid = uids[((b & 0xf) / 3) % 3];
		cred.gid = cred.uid;
		cred.jail = jails[(b >> 4) % njails];
		i = in_byte(&in) % NFILES;
		before = vmmctl_kern_vm_count(k);
		switch (op) {
		case 0:		/* open */
			if (files[i] != NULL)
				vmmctl_kern_release(files[i]);
			files[i] = NULL;
			error = vmmctl_kern_open(k, &cred, in_byte(&in) & 3,
			    &files[i]);
			if (error != 0)
				files[i] = NULL;
			break;
		case 1:		/* create, well-formed or nearly */
		case 2:		/* destroy, idem */
			if (files[i] == NULL)
				break;
			memset(&buf, 0, sizeof(buf));
			in_name(&in, name, sizeof(name));
			b = in_byte(&in);
			if (op == 1) {
				memcpy(buf.c.name, name, sizeof(name));
				buf.c.flags = (b & 0x80) ? in_u32(&in) :
				    (b & 1);
				if (b & 0x40)
					buf.c.reserved[b % 15] = 1;
				cmd = VMMCTL_VM_CREATE;
				len = sizeof(buf.c);
			} else {
				memcpy(buf.d.name, name, sizeof(name));
				if (b & 0x40)
					buf.d.reserved[b % 16] = 1;
				cmd = VMMCTL_VM_DESTROY;
				len = sizeof(buf.d);
			}
			/* An unterminated name: every byte set. */
			if (b & 0x20)
				memset(buf.c.name, 'x', sizeof(buf.c.name));
			error = vmmctl_kern_ioctl(files[i], &cred, cmd,
			    buf.raw, len);
			after = vmmctl_kern_vm_count(k);
			if (error == 0 && op == 1)
				CHECK(after == before + 1);
			else if (error == 0)
				CHECK(after == before - 1);
			else
				CHECK(after == before);
			break;
		case 3:		/* raw ioctl: any command word, any length */
			if (files[i] == NULL)
				break;
			cmd = in_u32(&in);
			if (in_byte(&in) & 1)
				cmd |= (unsigned long)in_u32(&in) << 32;
			len = in_byte(&in);
			len = (len & 0x80) ? sizeof(struct vmmctl_vm_create) :
			    len * 2;
			memset(&buf, 0, sizeof(buf));
			(void)in_bytes(&in, buf.raw, len);
			error = vmmctl_kern_ioctl(files[i], &cred, cmd,
			    buf.raw, len);
			/*
			 * Bits above 32 are masked off, as sys_ioctl() does
			 * on FreeBSD (vmmctl_kern_ioctl's comment).
			 */
			cmd &= 0xffffffffUL;
			if (cmd != VMMCTL_VM_CREATE &&
			    cmd != VMMCTL_VM_DESTROY)
				CHECK(error == ENOTTY);
			else if (len != sizeof(struct vmmctl_vm_create))
				CHECK(error == EINVAL);
			break;
		case 4:		/* release */
			if (files[i] != NULL)
				vmmctl_kern_release(files[i]);
			files[i] = NULL;
			CHECK(vmmctl_kern_vm_count(k) <= before);
			break;
		case 5:		/* jail */
			if (njails >= NJAILS)
				break;
			in_name(&in, name, sizeof(name));
			error = vmmctl_kern_jail_create(k, cred.jail, name,
			    &jails[njails]);
			if (error == 0) {
				CHECK(vmmctl_kjail_parent(jails[njails]) ==
				    cred.jail);
				CHECK(vmmctl_kjail_sees(cred.jail,
				    jails[njails]));
				njails++;
			}
			break;
		case 6:		/* uid limit, allow.vmm or the generation */
			b = in_byte(&in);
			if ((b & 0xc0) == 0x40 && cred.jail != NULL) {
				CHECK(vmmctl_kern_jail_set_vmm(k, cred.jail,
				    b & 1) == 0);
			} else if ((b & 0xc0) == 0x80) {
				error = vmmctl_kern_set_generation(k, b % 5);
				CHECK(error == 0 || error == EINVAL ||
				    error == EBUSY);
			} else {
				vmmctl_kern_set_uid_limit(k, b % 4);
			}
			break;
		case 8:		/* many at once: the name table grows */
			if (files[i] == NULL)
				break;
			n = in_byte(&in) % 80 + 1;
			for (j = 0; j < n; j++) {
				memset(&buf, 0, sizeof(buf));
				(void)snprintf(buf.c.name, sizeof(buf.c.name),
				    "g%d.%d", nops, j);
				buf.c.flags = VMMCTL_CREATE_DESTROY_ON_CLOSE;
				error = vmmctl_kern_ioctl(files[i], &cred,
				    VMMCTL_VM_CREATE, buf.raw,
				    sizeof(buf.c));
				/* EINVAL: gen 1; EPERM: no allow.vmm. */
				CHECK(error == 0 || error == ENOMEM ||
				    error == EIO || error == EEXIST ||
				    error == EINVAL || error == EPERM);
			}
			break;
		case 7:		/* failures to come */
			b = in_byte(&in);
			fos.publish_error = (b & 1) ? EIO : 0;
			fos.fail_alloc_at = (b & 2) ?
			    fos.nallocs + 1 + (b >> 4) : 0;
			break;
		}
		CHECK(!fos.locked);
		npub = fos.npublished;
		CHECK(vmmctl_kern_vm_count(k) == npub);
	}

	fos.fail_alloc_at = 0;
	for (i = 0; i < NFILES; i++)
		if (files[i] != NULL)
			vmmctl_kern_release(files[i]);
	vmmctl_kern_fini(k);
	CHECK(fos.npublished == 0);
	CHECK(fos.live_allocs == 0);
	CHECK(!fos.locked);
	return (0);
}
