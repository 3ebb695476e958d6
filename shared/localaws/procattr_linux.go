package localaws

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid: true,
		// If the test binary or `make dev` is killed outright (SIGKILL, a go test
		// timeout), Stop never runs: the kernel then kills the server for us.
		Pdeathsig: syscall.SIGKILL,
	}
}
