//go:build vmmctl_pkgconfig && !vmmctl_external

package cabi

// -tags vmmctl_pkgconfig: an installed libvmmctl, found through pkg-config
// (vmmctl.pc; set PKG_CONFIG_PATH for a non-standard prefix).

/*
#cgo pkg-config: vmmctl
*/
import "C"
