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
const (
	DefaultBufferSize = 64 << 10
	DefaultFlushDelay = 25 * time.Millisecond
)

// File is an append-only log file with a write buffer. Lines are written
// out when the buffer fills, FlushDelay after the first unwritten line,
// on Reopen and on Close, so a line is never lost on an orderly shutdown.
// A File is safe for concurrent use.
type File struct {
	path       string
	size       int
	flushDelay time.Duration

	mu     sync.Mutex
	f      *os.File
	buf    []byte
	timer  *time.Timer
	closed bool
	// onError, if set, hears about failed writes, which the timer's
	// flushes cannot return.
	onError func(error)
}

// Open opens path for appending, creating it 0644 and its directory 0755
// if missing, so that a log shipper running as another user can read it.
// onError, which may be nil, hears about background write failures.
func Open(path string, onError func(error)) (*File, error) {
	l := &File{path: path, size: DefaultBufferSize, flushDelay: DefaultFlushDelay, onError: onError}
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
// file only when the buffer is full, and returns that write's error; the
// line stays buffered for the next attempt.
func (l *File) Write(line []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, os.ErrClosed
	}
	l.buf = append(l.buf, line...)
	if len(l.buf) >= l.size {
		return len(line), l.flushLocked()
	}
	if l.timer == nil {
		l.timer = time.AfterFunc(l.flushDelay, l.timedFlush)
	}
	return len(line), nil
}

func (l *File) timedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	if l.closed {
		return
	}
	if err := l.flushLocked(); err != nil && l.onError != nil {
		l.onError(err)
	}
}

// Flush writes the buffered lines out.
func (l *File) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	return l.flushLocked()
}

// maxBuffered bounds what a failing file (disk full) can hold in memory;
// beyond it the oldest lines are dropped.
const maxBuffered = 4 * DefaultBufferSize

// flushLocked writes the buffer. On error the lines stay buffered for the
// next flush, up to maxBuffered.
func (l *File) flushLocked() error {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if len(l.buf) == 0 {
		return nil
	}
	n, err := l.f.Write(l.buf)
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	if err != nil {
		if over := len(l.buf) - maxBuffered; over > 0 {
			if nl := bytes.IndexByte(l.buf[over:], '\n'); nl >= 0 {
				over += nl + 1
			}
			l.buf = l.buf[:copy(l.buf, l.buf[over:])]
		}
		return fmt.Errorf("write log file %s: %w", l.path, err)
	}
	return nil
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

// Close flushes the buffer and closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	ferr := l.flushLocked()
	l.closed = true
	return errors.Join(ferr, l.f.Close())
}
