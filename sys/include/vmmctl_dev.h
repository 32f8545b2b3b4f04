/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel ABI of /dev/vmmctl, bhyve's control device.
 *
 * This header must stay byte-identical to FreeBSD's sys/dev/vmm/vmm_dev.h
 * and vmm_param.h for the items it declares: the request structures, the
 * ioctl command words and the create flags.  Every size, offset and command
 * value is checked at compile time below, so a change that would break the
 * ABI fails to build instead of failing at run time.
 *
 * It is shared by the kernel core (sys/kern), the simulator (sys/sim) and
 * libvmmctl (capi/src), and it is installed for callers of vmmctl_ioctl(3).
 */

#ifndef _VMMCTL_DEV_H_
#define	_VMMCTL_DEV_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __FreeBSD__
#include <sys/ioccom.h>
#else
#include <sys/ioctl.h>		/* Linux's _IOWR encodes the same bits. */
#endif

/* Longest VM name, excluding the terminating NUL (vmm_param.h). */
#define	VM_MAX_NAMELEN	229

struct vmmctl_vm_create {
	char		name[VM_MAX_NAMELEN + 1];
	uint32_t	flags;
	int		reserved[15];	/* must be zero: lets the struct grow */
};

struct vmmctl_vm_destroy {
	char		name[VM_MAX_NAMELEN + 1];
	int		reserved[16];	/* must be zero */
};

/* The VM is owned by the open file and destroyed when it is released. */
#define	VMMCTL_CREATE_DESTROY_ON_CLOSE	0x00000001u
#define	VMMCTL_FLAGS_MASK		(VMMCTL_CREATE_DESTROY_ON_CLOSE)

#define	VMMCTL_VM_CREATE	_IOWR('V', 0, struct vmmctl_vm_create)
#define	VMMCTL_VM_DESTROY	_IOWR('V', 1, struct vmmctl_vm_destroy)

/*
 * Compile-time ABI checks.  _Static_assert is C11; __extension__ keeps
 * -std=c99 -pedantic quiet, and C++11 spells it static_assert.
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define	VMMCTL_DEV_ASSERT(e, m)	static_assert(e, m)
#else
#define	VMMCTL_DEV_ASSERT(e, m)	__extension__ _Static_assert(e, m)
#endif

VMMCTL_DEV_ASSERT(VM_MAX_NAMELEN == 229, "VM_MAX_NAMELEN");
VMMCTL_DEV_ASSERT(sizeof(struct vmmctl_vm_create) == 296,
    "sizeof(struct vmmctl_vm_create)");
VMMCTL_DEV_ASSERT(offsetof(struct vmmctl_vm_create, name) == 0,
    "offsetof(struct vmmctl_vm_create, name)");
VMMCTL_DEV_ASSERT(offsetof(struct vmmctl_vm_create, flags) == 232,
    "offsetof(struct vmmctl_vm_create, flags)");
VMMCTL_DEV_ASSERT(offsetof(struct vmmctl_vm_create, reserved) == 236,
    "offsetof(struct vmmctl_vm_create, reserved)");
VMMCTL_DEV_ASSERT(sizeof(struct vmmctl_vm_destroy) == 296,
    "sizeof(struct vmmctl_vm_destroy)");
VMMCTL_DEV_ASSERT(offsetof(struct vmmctl_vm_destroy, name) == 0,
    "offsetof(struct vmmctl_vm_destroy, name)");
VMMCTL_DEV_ASSERT(offsetof(struct vmmctl_vm_destroy, reserved) == 232,
    "offsetof(struct vmmctl_vm_destroy, reserved)");
VMMCTL_DEV_ASSERT(VMMCTL_VM_CREATE == 0xC1285600u, "VMMCTL_VM_CREATE");
VMMCTL_DEV_ASSERT(VMMCTL_VM_DESTROY == 0xC1285601u, "VMMCTL_VM_DESTROY");
VMMCTL_DEV_ASSERT(VMMCTL_CREATE_DESTROY_ON_CLOSE == 0x1u,
    "VMMCTL_CREATE_DESTROY_ON_CLOSE");
VMMCTL_DEV_ASSERT(VMMCTL_FLAGS_MASK == 0x1u, "VMMCTL_FLAGS_MASK");

#undef VMMCTL_DEV_ASSERT

#endif /* !_VMMCTL_DEV_H_ */
