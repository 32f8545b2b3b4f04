//go:build !cgo

package cabi

// Without cgo there is no C to call: fail here, at compile time, with a
// name that says why (go-sqlite3 fails at run time instead).
var _ = vmmctl_needs_cgo_build_with_CGO_ENABLED_1_and_a_C_compiler
