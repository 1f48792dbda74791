//go:build unix

package plugins

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the plugin in a process group of its own, so that
// the terminal's Ctrl-C reaches only the host (which then ends the plugin in
// order) and so that anything the plugin started can be ended with it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup ends whatever is left of a plugin's process group, e.g.
// children of a plugin that was a shell script holding its pipes open.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
