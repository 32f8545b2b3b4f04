//go:build !vmmctl_pkgconfig && !vmmctl_external

package cabi

// Default: the header and the static library of this source tree, as built
// by "make" into build/ (four directories above this package).

/*
#cgo CFLAGS: -I${SRCDIR}/../../../../capi/include
#cgo LDFLAGS: ${SRCDIR}/../../../../build/lib/libvmmctl.a -lpthread
*/
import "C"
