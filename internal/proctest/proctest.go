// Package proctest is a test helper: a server binary a test starts as a
// child process, then stops gracefully or kills as a crash would.
package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Process is a started command whose exit is watched.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts cmd and watches for its exit.
func Start(cmd *exec.Cmd) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Signal sends sig, unless the process has exited already, and waits for
// it to exit: up to grace, then it kills the process and waits. A nil
// Process (never started) is left alone.
func (p *Process) Signal(sig os.Signal, grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
