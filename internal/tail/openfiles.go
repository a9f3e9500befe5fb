package tail

import (
	"context"
	"sync/atomic"
	"syscall"
)

// DefaultMaxOpenFiles is Logstash's default max_open_files.
const DefaultMaxOpenFiles = 4095

// reservedFiles is how many descriptors the process keeps for everything
// but followed files (outputs, sockets, the registry's saves, inotify),
// or half the limit if that is lower.
const reservedFiles = 64

// OpenFiles bounds how many followed files are open at once. A file waits
// for a slot before it is opened; a file read to its end gives its slot
// up when another waits (or after CloseOlder idle), and is opened again,
// by identity, when it grows. Share one between the Tailers of a process
// so that the bound is overall. A nil *OpenFiles bounds nothing.
type OpenFiles struct {
	slots   semaphore
	waiting atomic.Int64
}

// NewOpenFiles returns a bound of n open files; n <= 0 means what the
// process's descriptor limit (RLIMIT_NOFILE) leaves after a reserve for
// the rest of the process, at most DefaultMaxOpenFiles.
func NewOpenFiles(n int) *OpenFiles {
	if n <= 0 {
		n = processMaxOpenFiles()
	}
	return &OpenFiles{slots: make(semaphore, n)}
}

func processMaxOpenFiles() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return DefaultMaxOpenFiles
	}
	return maxOpenFilesUnder(rl.Cur)
}

// maxOpenFilesUnder is the bound for a descriptor limit.
func maxOpenFilesUnder(limit uint64) int {
	if limit > DefaultMaxOpenFiles+reservedFiles {
		return DefaultMaxOpenFiles
	}
	return max(1, int(limit)-min(reservedFiles, int(limit)/2))
}

func (o *OpenFiles) acquire(ctx context.Context) bool {
	if o == nil || o.slots.tryAcquire() {
		return true
	}
	o.waiting.Add(1)
	defer o.waiting.Add(-1)
	return o.slots.acquire(ctx)
}

func (o *OpenFiles) release() {
	if o != nil {
		o.slots.release()
	}
}

// contended reports whether a file waits for a slot.
func (o *OpenFiles) contended() bool { return o != nil && o.waiting.Load() > 0 }
