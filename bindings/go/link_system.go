//go:build cgo && vmmctl_system

package vmmctl

// -tags vmmctl_system: the installed libvmmctl, found with
// "pkg-config vmmctl" (set PKG_CONFIG_PATH for an unusual prefix), header
// and library.  Its static archive is linked (-l:libvmmctl.a, from the
// directory pkg-config names), so the program runs without the library's
// directory on the loader's path; --as-needed then drops the shared
// library that "-lvmmctl" also names.  internal/cabi leaves its copy of
// libvmmctl out with this tag (vmmctltest still compiles the simulator host
// from there).

/*
#cgo LDFLAGS: -Wl,--as-needed -l:libvmmctl.a
#cgo pkg-config: --static vmmctl
*/
import "C"
