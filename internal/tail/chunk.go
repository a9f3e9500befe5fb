package tail

import (
	"bytes"
	"context"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/appstack/appstack/internal/registry"
)

// chunk limits bound the memory a chunk holds.
const (
	chunkLines = 1024
	chunkBytes = 256 << 10
)

// Line is one line without its newline, valid UTF-8 unless
// Config.KeepBytes.
type Line struct {
	Text string
	// Truncated is set when the line was longer than MaxLineBytes.
	Truncated bool
	// End is the file offset after the line's newline: where a restart
	// reads on once the line's event is acknowledged.
	End int64
}

// Chunk is a run of complete lines from one file.
type Chunk struct {
	// Path is the path the file was discovered under.
	Path  string
	Lines []Line
	// entry identifies the file; its Offset is the End of the last line.
	entry    registry.Entry
	gen      uint64
	progress *progress
	data     []byte  // backs the lines' text
	budget   *Budget // the slot this chunk holds
}

// Mark takes the place off (the End of one of c's lines, or of a line of
// an earlier chunk of the same file) to acknowledge later: once the mark
// and every mark taken before it on the file are done, off is saved to
// the registry. Take marks in line order. Mark needs only the file's
// identity, so it may be called on a copy of a released chunk (a decoder
// flushing lines it held).
func (c *Chunk) Mark(off int64) *Mark {
	e := c.entry
	e.Offset = off
	return c.progress.mark(c.gen, e)
}

// Stream identifies the run of lines c belongs to: one file (by
// identity, whatever its path), read from one start. The lines of a
// stream come in order, chunk after chunk; a file truncated and read
// again from 0 starts a new stream. A consumer that joins lines keeps its
// state per stream.
func (c *Chunk) Stream() Stream { return Stream{c.progress, c.gen} }

// Stream is comparable: a map key.
type Stream struct {
	p   *progress
	gen uint64
}

// SameFile reports whether s and o are streams of one file: o started
// when the file was read again from 0, or s did.
func (s Stream) SameFile(o Stream) bool { return s.p == o.p }

// Detached returns a copy of c without its lines or memory, to Mark
// after c is released (a decoder flushing lines it held).
func (c *Chunk) Detached() Chunk {
	d := *c
	d.Lines, d.data, d.budget = nil, nil, nil
	return d
}

// Release gives the chunk's memory back to the budget: the lines' text
// must not be used afterwards. Calling it twice is harmless.
func (c *Chunk) Release() {
	if c.data != nil && cap(c.data) <= 2*chunkBytes {
		dataPool.Put(c.data[:0])
	}
	c.data, c.Lines = nil, nil
	if c.budget != nil {
		c.budget.release()
		c.budget = nil
	}
}

// dataPool recycles the text buffers of released chunks.
var dataPool = sync.Pool{New: func() any { return make([]byte, 0, chunkBytes+4096) }}

// building is a Chunk under construction; data holds the text of its
// lines, ends where each ends in data.
type building struct {
	Chunk
	ends []int
}

func (r *reader) newChunk() building {
	return building{Chunk: Chunk{Path: r.path, progress: r.progress, data: dataPool.Get().([]byte)}}
}

func (r *reader) send(ctx context.Context, out chan<- Chunk, c *building) bool {
	// The lines share one allocation: data is never written again.
	start := 0
	for i, end := range c.ends {
		if end > start {
			c.Lines[i].Text = unsafe.String(&c.data[start], end-start)
		}
		start = end
	}
	c.entry, c.gen = r.entry(), r.gen
	// The slot leaves with the chunk; Release gives it back.
	c.budget, r.slot = r.t.cfg.Budget, false
	select {
	case out <- c.Chunk:
		return true
	case <-ctx.Done():
		c.budget.release()
		return false
	}
}

// split moves complete lines of buf[:pending] into c until c is full,
// and keeps the rest at the start of buf. It reports whether c is full.
func (r *reader) split(c *building) bool {
	b := r.buf[:r.pending]
	consumed := 0
	full := false
	for {
		if full = len(c.Lines) >= chunkLines || len(c.data) >= chunkBytes; full {
			break
		}
		i := bytes.IndexByte(b[consumed:], '\n')
		if i < 0 {
			break
		}
		line := b[consumed : consumed+i]
		consumed += i + 1
		end := r.offset + int64(consumed)
		if r.skipped {
			r.addLine(c, r.long, true, end)
			r.long, r.skipped = nil, false
		} else if len(line) > r.t.cfg.MaxLineBytes {
			r.addLine(c, r.truncate(line), true, end)
		} else {
			r.addLine(c, line, false, end)
		}
		r.commit = end
	}
	if consumed > 0 {
		if len(r.buf) > readSize && r.pending-consumed <= readSize/2 {
			r.buf = make([]byte, readSize) // a long line grew it: give it back
		}
		r.pending = copy(r.buf, b[consumed:])
		r.offset += int64(consumed)
	}
	return full
}

// truncate cuts b at MaxLineBytes.
func (r *reader) truncate(b []byte) []byte {
	if len(b) <= r.t.cfg.MaxLineBytes {
		return b
	}
	b = b[:r.t.cfg.MaxLineBytes]
	if r.t.cfg.KeepBytes {
		return b
	}
	// Do not split a character: drop a partial rune at the end.
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}

// addLine appends one line, replacing each invalid UTF-8 byte with U+FFFD
// unless KeepBytes.
func (r *reader) addLine(c *building, line []byte, truncated bool, end int64) {
	if r.t.cfg.KeepBytes || utf8.Valid(line) {
		c.data = append(c.data, line...)
	} else {
		for len(line) > 0 {
			ru, size := utf8.DecodeRune(line)
			if ru == utf8.RuneError && size == 1 {
				c.data = append(c.data, "\uFFFD"...)
			} else {
				c.data = append(c.data, line[:size]...)
			}
			line = line[size:]
		}
	}
	c.ends = append(c.ends, len(c.data))
	c.Lines = append(c.Lines, Line{Truncated: truncated, End: end})
}
