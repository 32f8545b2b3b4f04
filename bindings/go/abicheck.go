package vmmctl

// What only cgo can see, for the tests (export_test.go exports it to them;
// test files cannot use cgo): the C constants and struct layouts of
// vmmctl.h and the kernel ABI header vmmctl_dev.h, the prototypes of the
// library's functions, and a raw call of vmmctl_check_name on arbitrary
// bytes.  Nothing else calls it, so the linker drops its Go part from
// other programs.

/*
#include <stdlib.h>
#include <string.h>
#include "vmmctl.h"
#include "vmmctl_dev.h"

// One row per exported function, in header order: the prototype as written
// here is checked against the header's by the compiler, and its text is
// compared with tests/abi/abi.json by the Go test.
struct cabi_fn {
	const char	*name;
	const char	*ret;
	const char	*params;
	int		 matches;
};

#define	CABI_FN(ret, name, ...) { #name, #ret, #__VA_ARGS__, \
	__builtin_types_compatible_p(__typeof__(name), ret __VA_ARGS__) }

static const struct cabi_fn cabi_fns[] = {
	CABI_FN(uint32_t, vmmctl_version, (void)),
	CABI_FN(int, vmmctl_open, (const char *root, uint32_t flags, vmmctl_t **out)),
	CABI_FN(int, vmmctl_from_fd, (int fd, vmmctl_t **out)),
	CABI_FN(int, vmmctl_fd, (const vmmctl_t *h)),
	CABI_FN(int, vmmctl_close, (vmmctl_t *h)),
	CABI_FN(int, vmmctl_create, (vmmctl_t *h, const char *name, uint32_t flags)),
	CABI_FN(int, vmmctl_destroy, (vmmctl_t *h, const char *name)),
	CABI_FN(int, vmmctl_list, (vmmctl_t *h, char *buf, size_t size, size_t *len)),
	CABI_FN(int, vmmctl_vm_open, (vmmctl_t *h, const char *name, int *fd)),
	CABI_FN(int, vmmctl_check_name, (const char *name)),
	CABI_FN(int, vmmctl_ioctl, (vmmctl_t *h, unsigned long cmd, void *arg)),
	CABI_FN(const char *, vmmctl_strerror, (int error)),
};

static int cabi_nfns(void) { return (int)(sizeof(cabi_fns) / sizeof(cabi_fns[0])); }
static const struct cabi_fn *cabi_fn_at(int i) { return &cabi_fns[i]; }

// The functions' addresses, so that the link proves the library has them.
static int cabi_linked(void) {
	void (*const fns[])(void) = {
		(void (*)(void))vmmctl_version, (void (*)(void))vmmctl_open,
		(void (*)(void))vmmctl_from_fd, (void (*)(void))vmmctl_fd,
		(void (*)(void))vmmctl_close, (void (*)(void))vmmctl_create,
		(void (*)(void))vmmctl_destroy, (void (*)(void))vmmctl_list,
		(void (*)(void))vmmctl_vm_open, (void (*)(void))vmmctl_check_name,
		(void (*)(void))vmmctl_ioctl, (void (*)(void))vmmctl_strerror,
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		n += fns[i] != NULL;
	return n;
}

// vmmctl_check_name on len raw bytes, NUL-terminated here: C sees them up
// to the first NUL byte, as any C caller would.
static int cabi_check_name(const void *p, size_t len) {
	char *s = malloc(len + 1);
	int rc;

	if (s == NULL)
		return -1;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	rc = vmmctl_check_name(s);
	free(s);
	return rc;
}
*/
import "C"

import "unsafe"

// abiConstants maps every C constant name of the ABI description to its
// value as the C compiler sees it.
func abiConstants() map[string]uint64 {
	return map[string]uint64{
		"VMMCTL_VERSION_MAJOR":           C.VMMCTL_VERSION_MAJOR,
		"VMMCTL_VERSION_MINOR":           C.VMMCTL_VERSION_MINOR,
		"VMMCTL_VERSION_PATCH":           C.VMMCTL_VERSION_PATCH,
		"VMMCTL_NAME_MAX":                C.VMMCTL_NAME_MAX,
		"VMMCTL_OPEN_INHERIT":            C.VMMCTL_OPEN_INHERIT,
		"VMMCTL_CREATE_PERSISTENT":       C.VMMCTL_CREATE_PERSISTENT,
		"VM_MAX_NAMELEN":                 C.VM_MAX_NAMELEN,
		"VMMCTL_CREATE_DESTROY_ON_CLOSE": C.VMMCTL_CREATE_DESTROY_ON_CLOSE,
		"VMMCTL_FLAGS_MASK":              C.VMMCTL_FLAGS_MASK,
		"VMMCTL_VM_CREATE":               C.VMMCTL_VM_CREATE,
		"VMMCTL_VM_DESTROY":              C.VMMCTL_VM_DESTROY,
	}
}

// abiField is one struct member's layout.
type abiField struct {
	Offset, Size uintptr
}

// abiStruct is one struct's layout.
type abiStruct struct {
	Size, Align uintptr
	Fields      map[string]abiField
}

// abiStructs maps the kernel ABI structs to their layouts through cgo.
func abiStructs() map[string]abiStruct {
	var (
		vc C.struct_vmmctl_vm_create
		vd C.struct_vmmctl_vm_destroy
	)
	return map[string]abiStruct{
		"vmmctl_vm_create": {
			Size: unsafe.Sizeof(vc), Align: unsafe.Alignof(vc),
			Fields: map[string]abiField{
				"name":     {unsafe.Offsetof(vc.name), unsafe.Sizeof(vc.name)},
				"flags":    {unsafe.Offsetof(vc.flags), unsafe.Sizeof(vc.flags)},
				"reserved": {unsafe.Offsetof(vc.reserved), unsafe.Sizeof(vc.reserved)},
			},
		},
		"vmmctl_vm_destroy": {
			Size: unsafe.Sizeof(vd), Align: unsafe.Alignof(vd),
			Fields: map[string]abiField{
				"name":     {unsafe.Offsetof(vd.name), unsafe.Sizeof(vd.name)},
				"reserved": {unsafe.Offsetof(vd.reserved), unsafe.Sizeof(vd.reserved)},
			},
		},
	}
}

// abiFunc is one library function: its prototype as checked by the
// compiler against the header (Matches), in C text.
type abiFunc struct {
	Name, Return, Params string
	Matches              bool
}

// abiFuncs lists the library's functions in header order.
func abiFuncs() []abiFunc {
	n := int(C.cabi_nfns())
	fns := make([]abiFunc, n)
	for i := range fns {
		f := C.cabi_fn_at(C.int(i))
		fns[i] = abiFunc{Name: C.GoString(f.name), Return: C.GoString(f.ret),
			Params: C.GoString(f.params), Matches: f.matches != 0}
	}
	return fns
}

// abiLinked returns how many of the library's functions have an address.
func abiLinked() int { return int(C.cabi_linked()) }

// rawCheckName calls vmmctl_check_name on the raw bytes b (C sees them up
// to the first NUL) and returns its result: 0 or an errno value.
func rawCheckName(b []byte) int {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	return int(C.cabi_check_name(p, C.size_t(len(b))))
}
