package main

import (
	"sync"
	"syscall"
	"time"

	"github.com/appstack/appstack/internal/procstat"
)

// syscallZero is signal 0: it checks that a process is alive.
const syscallZero = syscall.Signal(0)

// cpuTime is the user+system CPU time a live process has used; 0 if it
// cannot be read.
func cpuTime(pid int) time.Duration {
	d, _ := procstat.CPUTime(pid)
	return d
}

// peakRSS is VmHWM from /proc: the process's resident-set high-water mark;
// 0 if it cannot be read.
func peakRSS(pid int) int64 {
	n, _ := procstat.PeakRSS(pid)
	return n
}

// tailBuffer keeps the last 8 KiB written to it: a shipper's log, for
// the error message when a run fails.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
