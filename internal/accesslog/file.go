package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Defaults of File. A log shipper tailing the file sees a line at most
// FlushDelay after it was written; at that delay an idle server makes at
// most 40 writes a second, and a busy one writes whole 64 KiB buffers.
// After a failed write (disk full) the buffer is retried every
// RetryDelay: often enough to lose little, rarely enough not to flood the
// error log.
const (
	DefaultBufferSize = 64 << 10
	DefaultFlushDelay = 25 * time.Millisecond
	DefaultRetryDelay = time.Second
)

// File is an append-only log file with a write buffer. Lines are written
// out when the buffer fills, FlushDelay after the first unwritten line,
// on Reopen and on Close, so a line is never lost on an orderly shutdown.
// A failed write keeps the lines (up to a bound) and is retried by a
// timer; failures the caller does not see (the timer's) go to its Hooks,
// and lines given up on are counted (Dropped).
// A File is safe for concurrent use.
type File struct {
	path       string
	size       int
	flushDelay time.Duration
	retryDelay time.Duration
	hooks      Hooks

	mu      sync.Mutex
	f       *os.File
	buf     []byte
	timer   *time.Timer
	gen     uint64 // of timer; a timer whose gen is stale does nothing
	failing bool   // the last write failed; the timer retries it
	lastErr error  // of the last failed write
	closed  bool

	droppedLines, droppedBytes uint64
	// dropping is set from the first line dropped while writes fail to
	// the next write that works; the counts are Dropped's when it began.
	dropping                     bool
	dropFromLines, dropFromBytes uint64
}

// Hooks hear what a File cannot return to its callers. Each may be nil.
// They are called with the File locked, so they must not call it.
type Hooks struct {
	// Error hears about failed writes, which Write returns only once and
	// the timer's flushes cannot return.
	Error func(error)
	// DropStart hears, once, that writes have been failing (err is the
	// last failure) for so long that the File has begun dropping its
	// oldest lines.
	DropStart func(err error)
	// DropEnd hears, once, that writes work again after DropStart: lines
	// and bytes is what was dropped in between.
	DropEnd func(lines, bytes uint64)
}

// Open opens path for appending, creating it 0644 and its directory 0755
// if missing, so that a log shipper running as another user can read it.
// hooks hear about background write failures and dropped lines.
func Open(path string, hooks Hooks) (*File, error) {
	l := &File{path: path, size: DefaultBufferSize, flushDelay: DefaultFlushDelay, retryDelay: DefaultRetryDelay, hooks: hooks}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l.f = f
	l.buf = make([]byte, 0, l.size)
	return l, nil
}

func openFile(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
		// MkdirAll is subject to the umask; the shipper must read it.
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		// New file: make its mode 0644 whatever the umask.
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return nil, fmt.Errorf("open log file: %w", err)
		}
		return f, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return f, nil
}

// Write buffers line, which should end in a newline. It writes to the
// file only when the buffer is full, and returns that write's error
// (also given to Hooks.Error); the line stays buffered for the timer's
// retry. While writes fail, lines are only buffered, and beyond a bound
// the oldest are dropped. After Close the line is dropped: os.ErrClosed.
func (l *File) Write(line []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		l.dropLocked(line)
		return 0, os.ErrClosed
	}
	l.buf = append(l.buf, line...)
	switch {
	case l.failing:
		l.trimLocked() // the retry timer is armed
	case len(l.buf) >= l.size:
		if err := l.flushLocked(); err != nil {
			l.report(err)
			return len(line), err
		}
	case l.timer == nil:
		l.armLocked(l.flushDelay)
	}
	return len(line), nil
}

// Dropped returns how many lines, and bytes, the File gave up on: the
// oldest lines of a failing file beyond what it may hold, lines still
// buffered when Close could not write them, and lines written after Close.
func (l *File) Dropped() (lines, bytes uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.droppedLines, l.droppedBytes
}

func (l *File) armLocked(d time.Duration) {
	if l.timer != nil {
		l.timer.Stop()
	}
	l.gen++
	gen := l.gen
	l.timer = time.AfterFunc(d, func() { l.timedFlush(gen) })
}

func (l *File) timedFlush(gen uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || gen != l.gen {
		return // stopped too late: a flush or a newer timer took over
	}
	l.timer = nil
	if err := l.flushLocked(); err != nil {
		l.report(err)
	}
}

func (l *File) report(err error) {
	if l.hooks.Error != nil {
		l.hooks.Error(err)
	}
}

// maxBuffered bounds what a failing file (disk full) can hold in memory;
// beyond it the oldest lines are dropped.
const maxBuffered = 4 * DefaultBufferSize

// flushLocked writes the buffer. On error the lines stay buffered for the
// retry it arms, up to maxBuffered.
func (l *File) flushLocked() error {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
		l.gen++
	}
	if len(l.buf) == 0 {
		l.failing = false
		return nil
	}
	n, err := l.f.Write(l.buf)
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	if err != nil {
		l.failing, l.lastErr = true, err
		l.trimLocked()
		if !l.closed {
			l.armLocked(l.retryDelay)
		}
		return fmt.Errorf("flush: %w", err)
	}
	l.failing = false
	if l.dropping {
		l.dropping = false
		if l.hooks.DropEnd != nil {
			l.hooks.DropEnd(l.droppedLines-l.dropFromLines, l.droppedBytes-l.dropFromBytes)
		}
	}
	return nil
}

// trimLocked drops the oldest whole lines beyond maxBuffered.
func (l *File) trimLocked() {
	over := len(l.buf) - maxBuffered
	if over <= 0 {
		return
	}
	if nl := bytes.IndexByte(l.buf[over:], '\n'); nl >= 0 {
		over += nl + 1
	}
	if !l.dropping {
		l.dropping = true
		l.dropFromLines, l.dropFromBytes = l.droppedLines, l.droppedBytes
		if l.hooks.DropStart != nil {
			l.hooks.DropStart(l.lastErr)
		}
	}
	l.dropLocked(l.buf[:over])
	l.buf = l.buf[:copy(l.buf, l.buf[over:])]
}

// dropLocked counts b as lost: its lines, and a last one without its
// newline.
func (l *File) dropLocked(b []byte) {
	if len(b) == 0 {
		return
	}
	l.droppedLines += uint64(bytes.Count(b, []byte{'\n'}))
	if b[len(b)-1] != '\n' {
		l.droppedLines++
	}
	l.droppedBytes += uint64(len(b))
}

// Reopen flushes the buffer to the file it has open, then opens the file
// at the path again, as after logrotate renamed it away (SIGHUP).
func (l *File) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	ferr := l.flushLocked()
	f, err := openFile(l.path)
	if err != nil {
		return errors.Join(ferr, fmt.Errorf("reopen: %w", err))
	}
	old := l.f
	l.f = f
	return errors.Join(ferr, old.Close())
}

// Close flushes the buffer and closes the file. Lines it could not write
// are dropped.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	ferr := l.flushLocked()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.dropLocked(l.buf)
	l.buf = nil
	return errors.Join(ferr, l.f.Close())
}
