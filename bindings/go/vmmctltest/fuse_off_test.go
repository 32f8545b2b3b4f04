//go:build !vmmctl_fuse

package vmmctltest_test

const fuseBuilt = false
