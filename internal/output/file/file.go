// Package file is the file output: events encoded by a codec (json_lines
// by default) and appended to a file.
package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/appstack/appstack/internal/event"
)

const (
	maxKeep = 4 << 20
	// maxTorn bounds the tail taken for a record of ours torn by a kill.
	maxTorn = 16 << 20
)

// Output appends encoded events to a file, one write per batch. If the
// file is renamed or deleted (rotated), the next batch reopens the path.
type Output struct {
	path  string
	codec event.Codec
	f     *os.File
	ino   uint64
	buf   []byte
	// opened is set after the first open: only then can the file hold a
	// record torn by this output's previous process.
	opened bool
	// newline is written before the next batch: the file ended inside a
	// line that is not ours to cut.
	newline bool
	// cut, unless negative, is the size to cut f back to before anything
	// else: a write failed part way.
	cut int64
}

// New returns an output appending to path, created 0644 with its parent
// directories on the first write.
func New(path string, codec event.Codec) *Output {
	return &Output{path: path, codec: codec, cut: -1}
}

// Write implements pipeline.Output. Events are acknowledged once written
// to the OS (they survive the process being killed, not a power loss).
// A write that fails part way (disk full) is undone: the file is cut back
// to its size before the batch, so that it holds whole records only and
// the pipeline's retry of the batch adds no duplicates.
func (o *Output) Write(_ context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := o.undo(); err != nil {
		return err
	}
	if err := o.open(); err != nil {
		return err
	}
	end, err := o.f.Seek(0, io.SeekEnd) // where O_APPEND writes
	if err != nil {
		o.closeFile()
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.buf = o.buf[:0]
	if o.newline {
		o.buf = append(o.buf, '\n')
	}
	o.buf = event.AppendAll(o.buf, o.codec, events)
	n, err := o.f.Write(o.buf)
	if cap(o.buf) > maxKeep {
		o.buf = nil
	}
	if err != nil {
		if n > 0 {
			o.cut = end
			if uerr := o.undo(); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
		if o.cut < 0 {
			// Reopen next time: the file may be on a volume that came back.
			o.closeFile()
		}
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.newline = false
	return nil
}

// undo cuts the file back to where a failed write began. Until it
// succeeds the file stays open, and no other write is made.
func (o *Output) undo() error {
	if o.cut < 0 {
		return nil
	}
	if err := o.f.Truncate(o.cut); err != nil {
		return fmt.Errorf("undo a partial write to %s: cut back to %d bytes: %w", o.path, o.cut, err)
	}
	o.cut = -1
	return nil
}

func (o *Output) closeFile() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
}

// open opens the path unless the open file is still the one there.
func (o *Output) open() error {
	if o.f != nil {
		fi, err := os.Stat(o.path)
		if err == nil && inode(fi) == o.ino {
			return nil
		}
		o.closeFile()
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
	first := !o.opened
	o.opened = true
	newline, err := o.endTornTail(f, fi.Size(), first)
	if err != nil {
		f.Close()
		return fmt.Errorf("open %s: %w", o.path, err)
	}
	o.f, o.ino, o.newline = f, inode(fi), newline
	return nil
}

// endTornTail deals with a file that ends inside a line. A process killed
// in the middle of a write (SIGKILL can cut a write short) leaves a torn
// record whose events were not acknowledged and will be written again:
// it is cut, but only if it can be ours: at this output's first open,
// with the json_lines codec, a tail after the last newline that starts a
// JSON object and is not one. Anything else is kept (a complete line is
// never cut) and reported back, so that the next batch starts with a
// newline and its records stay whole lines. Without line-ended records
// (codec json) the file is left alone.
func (o *Output) endTornTail(f *os.File, size int64, first bool) (newline bool, err error) {
	var probe event.Event
	if size == 0 || !bytes.HasSuffix(o.codec.Append(nil, &probe), []byte("\n")) {
		return false, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return false, err
	}
	if last[0] == '\n' {
		return false, nil
	}
	jl, ok := o.codec.(event.JSON)
	if !first || !ok || jl.Delimiter != "\n" {
		return true, nil
	}
	tail, start, err := lastLine(f, size)
	if err != nil || tail == nil || !bytes.HasPrefix(tail, []byte("{")) || json.Valid(tail) {
		return err == nil, err
	}
	return false, f.Truncate(start)
}

// lastLine returns the bytes after the last newline and where they start;
// nil if they are longer than maxTorn.
func lastLine(f *os.File, size int64) ([]byte, int64, error) {
	const step = 64 << 10
	buf := make([]byte, step)
	end := size
	for end > 0 && size-end < maxTorn {
		start := max(0, end-step)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil {
			return nil, 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if size-end >= maxTorn {
		return nil, 0, nil
	}
	tail := make([]byte, size-end)
	if _, err := f.ReadAt(tail, end); err != nil {
		return nil, 0, err
	}
	return tail, end, nil
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// Close implements pipeline.Output. It undoes a partial write first.
func (o *Output) Close() error {
	if o.f == nil {
		return nil
	}
	uerr := o.undo()
	err := o.f.Close()
	o.f = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return errors.Join(uerr, fmt.Errorf("close %s: %w", o.path, err))
	}
	return uerr
}
