//go:build !cgo

package vmmctl

// Without cgo there is no C to call: fail here, at compile time, with a
// name that says why, rather than with "undefined: vmmctl.Open".
var _ = vmmctl_needs_cgo_build_with_CGO_ENABLED_1_and_a_C_compiler
