package vmmctl_test

import (
	"os/exec"
	"syscall"
)

// On Linux a simulator dies with the test process that started it, even
// when that process is killed (e.g. by a Kyua timeout), instead of lingering.
func init() {
	simSysProcAttr = func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	}
}
