//go:build unix && !linux

package localaws

import "syscall"

// Other Unixes (macOS) have no parent-death signal; Stop and context cancellation
// still kill the whole process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
