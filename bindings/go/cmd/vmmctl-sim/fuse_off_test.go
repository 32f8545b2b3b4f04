//go:build !vmmctl_fuse

package main

const fuseBuilt = false
