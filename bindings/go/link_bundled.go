//go:build cgo && !vmmctl_system

package vmmctl

// The default: the C bundled in internal/cabi (its header here, its
// definitions linked through the import), compiled by cgo from this module
// alone.

/*
#cgo CFLAGS: -I${SRCDIR}/internal/cabi
*/
import "C"

import _ "vmmctl.dev/vmmctl/internal/cabi" // libvmmctl's definitions
