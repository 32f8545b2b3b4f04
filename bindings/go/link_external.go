//go:build vmmctl_external

package vmmctl

// -tags vmmctl_external: the header of this source tree, and no library
// flags at all: the caller passes them in CGO_LDFLAGS, e.g.
// CGO_LDFLAGS="/path/to/build-san/lib/libvmmctl.a -lpthread".  The Makefile
// builds this way, so any BUILD directory links its own archive.

/*
#cgo CFLAGS: -I${SRCDIR}/../../capi/include
*/
import "C"
