//go:build cgo && vmmctl_fuse

package cabi

// -tags vmmctl_fuse: the simulator's device mode (vmmctl_sim_fuse.c with
// VMMCTL_SIM_HAVE_FUSE), linked with the system's libfuse3.  The defines of a
// package's #cgo lines apply to all its C files.

/*
#cgo CFLAGS: -DVMMCTL_SIM_HAVE_FUSE
#cgo pkg-config: fuse3
*/
import "C"
