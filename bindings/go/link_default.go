//go:build !vmmctl_pkgconfig && !vmmctl_external

package vmmctl

// Default: the header and the static library of this source tree, as built
// by "make" into build/ (two directories above this package).

/*
#cgo CFLAGS: -I${SRCDIR}/../../capi/include
#cgo LDFLAGS: ${SRCDIR}/../../build/lib/libvmmctl.a -lpthread
*/
import "C"
