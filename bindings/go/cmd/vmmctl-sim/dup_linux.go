package main

import "syscall"

// dup2 makes newfd a copy of oldfd (Linux has dup3 on every architecture,
// dup2 only on some).
func dup2(oldfd, newfd int) error { return syscall.Dup3(oldfd, newfd, 0) }
