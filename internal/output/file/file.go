// Package file is the file output: events encoded by a codec (json_lines
// by default) and appended to a file.
package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/appstack/appstack/internal/event"
)

const maxKeep = 4 << 20

// Output appends encoded events to a file, one write per batch. If the
// file is renamed or deleted (rotated), the next batch reopens the path.
type Output struct {
	path  string
	codec event.Codec
	f     *os.File
	ino   uint64
	buf   []byte
}

// New returns an output appending to path, created 0644 with its parent
// directories on the first write.
func New(path string, codec event.Codec) *Output {
	return &Output{path: path, codec: codec}
}

// Write implements pipeline.Output. Events are acknowledged once written
// to the OS (they survive the process being killed, not a power loss).
func (o *Output) Write(_ context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := o.open(); err != nil {
		return err
	}
	o.buf = event.AppendAll(o.buf[:0], o.codec, events)
	_, err := o.f.Write(o.buf)
	if cap(o.buf) > maxKeep {
		o.buf = nil
	}
	if err != nil {
		// Reopen next time: the file may be on a volume that came back.
		o.f.Close()
		o.f = nil
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

// open opens the path unless the open file is still the one there.
func (o *Output) open() error {
	if o.f != nil {
		fi, err := os.Stat(o.path)
		if err == nil && inode(fi) == o.ino {
			return nil
		}
		o.f.Close()
		o.f = nil
	}
	if err := os.MkdirAll(filepath.Dir(o.path), 0o755); err != nil {
		return fmt.Errorf("open %s: %w", o.path, err)
	}
	f, err := os.OpenFile(o.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", o.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open %s: %w", o.path, err)
	}
	if err := dropTornTail(f, fi.Size()); err != nil {
		f.Close()
		return fmt.Errorf("open %s: %w", o.path, err)
	}
	o.f, o.ino = f, inode(fi)
	return nil
}

// dropTornTail truncates an incomplete last record: a process killed in
// the middle of a write (SIGKILL can cut a write short) leaves one, and
// its events were not acknowledged, so they will be written again.
func dropTornTail(f *os.File, size int64) error {
	const step = 64 << 10
	buf := make([]byte, step)
	end := size
	for end > 0 {
		start := max(0, end-step)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if end == size {
		return nil
	}
	return f.Truncate(end)
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// Close implements pipeline.Output.
func (o *Output) Close() error {
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("close %s: %w", o.path, err)
	}
	return nil
}
