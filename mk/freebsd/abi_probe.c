/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * FreeBSD ABI probe: evaluates sys/include/vmmctl_dev.h's _Static_asserts
 * under FreeBSD's own _IOWR (from <sys/ioccom.h> of FreeBSD's libc headers,
 * as shipped by Zig), and checks the command words and the simulator's
 * copy of the ioccom.h encoding against FreeBSD's IOCPARM_LEN, IOC_INOUT,
 * IOCGROUP and friends.
 *
 * It is a compile-time probe: building it is the test.  It is built by
 * mk/freebsd.mk with "zig cc -target x86_64-freebsd..." and linked as a
 * FreeBSD executable (running it, on FreeBSD, prints the values).
 * FREEBSD_PROBE_INC in mk/freebsd.mk names the directory vmmctl_dev.h is
 * taken from, so a scratch copy can be probed (tests/freebsd).
 */

#ifndef __FreeBSD__
#error "abi_probe.c must be compiled for FreeBSD (zig cc -target x86_64-freebsd)"
#endif

/* First, so that the header has to pull in FreeBSD's ioccom.h by itself. */
#include "vmmctl_dev.h"
#include "vmmctl_sim_proto.h"

#include <stddef.h>
#include <stdio.h>

/*
 * _IOWR must have come from FreeBSD's <sys/ioccom.h>: these are defined
 * there and nowhere in Linux's <sys/ioctl.h> (which has _IOC_SIZESHIFT).
 */
#ifndef _IOWR
#error "vmmctl_dev.h did not define _IOWR: <sys/ioccom.h> was not included"
#endif
#if !defined(IOCPARM_SHIFT) || !defined(IOCPARM_LEN) || \
    !defined(IOC_INOUT) || !defined(IOCGROUP) || !defined(_IOC_NEWLEN)
#error "_IOWR is not FreeBSD's: <sys/ioccom.h> macros are missing"
#endif
#if defined(_IOC_SIZESHIFT) || defined(_IOC_SIZEBITS)
#error "Linux's ioctl encoding is in scope, not FreeBSD's"
#endif

#define	PROBE_ASSERT(e)	__extension__ _Static_assert(e, #e)

/* FreeBSD's encoding itself (sys/ioccom.h). */
PROBE_ASSERT(IOCPARM_SHIFT == 13);
PROBE_ASSERT(IOCPARM_MASK == 0x1fff);
PROBE_ASSERT(IOC_OUT == 0x40000000UL);
PROBE_ASSERT(IOC_IN == 0x80000000UL);
PROBE_ASSERT(IOC_INOUT == (IOC_IN | IOC_OUT));

/* The request structures (vmm_dev.h). */
PROBE_ASSERT(sizeof(struct vmmctl_vm_create) == 296);
PROBE_ASSERT(offsetof(struct vmmctl_vm_create, flags) == 232);
PROBE_ASSERT(offsetof(struct vmmctl_vm_create, reserved) == 236);
PROBE_ASSERT(sizeof(struct vmmctl_vm_destroy) == 296);
PROBE_ASSERT(offsetof(struct vmmctl_vm_destroy, reserved) == 232);
PROBE_ASSERT(sizeof(struct vmmctl_vm_create) <= IOCPARM_MAX);

/* The command words, as FreeBSD's macros decode them. */
PROBE_ASSERT(VMMCTL_VM_CREATE == 0xC1285600UL);
PROBE_ASSERT(VMMCTL_VM_DESTROY == 0xC1285601UL);
PROBE_ASSERT(IOCPARM_LEN(VMMCTL_VM_CREATE) == 296);
PROBE_ASSERT(IOCPARM_LEN(VMMCTL_VM_DESTROY) == 296);
PROBE_ASSERT(IOCPARM_LEN(VMMCTL_VM_CREATE) == sizeof(struct vmmctl_vm_create));
PROBE_ASSERT(IOCPARM_LEN(VMMCTL_VM_DESTROY) ==
    sizeof(struct vmmctl_vm_destroy));
PROBE_ASSERT((VMMCTL_VM_CREATE & IOC_DIRMASK) == IOC_INOUT);
PROBE_ASSERT((VMMCTL_VM_DESTROY & IOC_DIRMASK) == IOC_INOUT);
PROBE_ASSERT(IOCGROUP(VMMCTL_VM_CREATE) == 'V');
PROBE_ASSERT(IOCGROUP(VMMCTL_VM_DESTROY) == 'V');
PROBE_ASSERT((VMMCTL_VM_CREATE & 0xff) == 0);
PROBE_ASSERT((VMMCTL_VM_DESTROY & 0xff) == 1);
PROBE_ASSERT(VMMCTL_VM_CREATE == _IOC(IOC_INOUT, 'V', 0, 296));
PROBE_ASSERT(VMMCTL_VM_DESTROY == _IOC(IOC_INOUT, 'V', 1, 296));
PROBE_ASSERT(IOCBASECMD(VMMCTL_VM_CREATE) == (IOC_INOUT | ('V' << 8) | 0));
PROBE_ASSERT(IOCBASECMD(VMMCTL_VM_DESTROY) == (IOC_INOUT | ('V' << 8) | 1));
PROBE_ASSERT(_IOC_NEWTYPE(VMMCTL_VM_CREATE, struct vmmctl_vm_create) ==
    VMMCTL_VM_CREATE);
PROBE_ASSERT(_IOC_NEWTYPE(VMMCTL_VM_DESTROY, struct vmmctl_vm_destroy) ==
    VMMCTL_VM_DESTROY);
PROBE_ASSERT(VMMCTL_CREATE_DESTROY_ON_CLOSE == 0x1u);

/* vmmctl-sim's wire protocol restates the encoding: it must agree. */
PROBE_ASSERT(VMMCTL_SIM_IOCPARM_MASK == IOCPARM_MASK);
PROBE_ASSERT(VMMCTL_SIM_IOC_OUT == IOC_OUT);
PROBE_ASSERT(VMMCTL_SIM_IOC_IN == IOC_IN);
PROBE_ASSERT(VMMCTL_SIM_CMD_LEN(VMMCTL_VM_CREATE) ==
    IOCPARM_LEN(VMMCTL_VM_CREATE));
PROBE_ASSERT(VMMCTL_SIM_CMD_LEN(VMMCTL_VM_DESTROY) ==
    IOCPARM_LEN(VMMCTL_VM_DESTROY));
PROBE_ASSERT(VMMCTL_SIM_CMD_LEN(0xffffffffUL) == IOCPARM_LEN(0xffffffffUL));

int
main(void)
{
	printf("__FreeBSD_version %d\n", (int)__FreeBSD_version);
	printf("VMMCTL_VM_CREATE  0x%lX len %lu\n",
	    (unsigned long)VMMCTL_VM_CREATE,
	    (unsigned long)IOCPARM_LEN(VMMCTL_VM_CREATE));
	printf("VMMCTL_VM_DESTROY 0x%lX len %lu\n",
	    (unsigned long)VMMCTL_VM_DESTROY,
	    (unsigned long)IOCPARM_LEN(VMMCTL_VM_DESTROY));
	return (0);
}
