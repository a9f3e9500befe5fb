package tail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/appstack/appstack/internal/registry"
)

type progress struct {
	acked atomic.Int64
}

// reader follows one file (one inode) from its own goroutine.
type reader struct {
	t        *Tailer
	f        *os.File
	path     string // discovered path, carried by its events
	key      registry.Key
	offset   int64 // file position of buf[0]
	commit   int64 // the byte after the last complete line: what may be saved
	fpLen    int64
	fp       uint64
	wake     chan struct{}
	detached atomic.Bool // no longer at a watched path: read to the end, then close
	progress *progress

	buf     []byte // read buffer; buf[:pending] is an incomplete line
	pending int
	slot    bool   // holds a budget slot for buf and the chunk being built
	readEnd int64  // the furthest file position read: beyond it, the file grew
	long    []byte // the kept head of an over-long line, while its tail is skipped
	skipped bool   // the over-long line's tail is being skipped
	fpBuf   []byte
}

func newReader(t *Tailer, f *os.File, path string, key registry.Key) *reader {
	return &reader{t: t, f: f, path: path, key: key, fp: fnvOffset, wake: make(chan struct{}, 1), progress: &progress{}}
}

// FNV-1a, 64 bits: its state is its sum, so a fingerprint extends as the
// file's first bytes are read.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// poke wakes the reader; it never blocks.
func (r *reader) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// fingerprint hashes the first min(size, FingerprintBytes) bytes.
func (r *reader) fingerprint(size int64) error {
	n := min(size, FingerprintBytes)
	fp, err := r.hashPrefix(n)
	if err != nil {
		return err
	}
	r.fpLen, r.fp = n, fp
	return nil
}

func (r *reader) hashPrefix(n int64) (uint64, error) {
	if r.fpBuf == nil {
		r.fpBuf = make([]byte, FingerprintBytes)
	}
	b := r.fpBuf[:n]
	if _, err := r.f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	return fnvAdd(fnvOffset, b), nil
}

// extendFingerprint hashes the bytes b, just read at pos, that lie past
// the fingerprinted prefix: the fingerprint grows with the bytes actually
// read, so an entry never claims an offset its fingerprint does not cover
// (a short fingerprint would let a reused inode skip data).
func (r *reader) extendFingerprint(pos int64, b []byte) {
	end := min(pos+int64(len(b)), FingerprintBytes)
	if end <= r.fpLen {
		return
	}
	if pos > r.fpLen { // reads are contiguous from the prefix; be safe anyway
		if err := r.fingerprint(end); err != nil {
			r.t.log.Warn("fingerprint file", "path", r.path, "err", err)
		}
		return
	}
	r.fp = fnvAdd(r.fp, b[r.fpLen-pos:end-pos])
	r.fpLen = end
}

// fpMatches reports whether the file's first n bytes hash to fp.
func (r *reader) fpMatches(n int64, fp uint64) bool {
	if n == r.fpLen {
		return r.fp == fp
	}
	got, err := r.hashPrefix(n)
	return err == nil && got == fp
}

func (r *reader) entry() registry.Entry {
	return registry.Entry{Key: r.key, FingerprintLen: r.fpLen, Fingerprint: r.fp, Offset: r.commit, Path: r.path}
}

// run reads until ctx is done, or until a detached file stayed idle for
// CloseInactive after its end.
func (r *reader) run(ctx context.Context, out chan<- Chunk) {
	defer r.f.Close()
	defer r.release()
	poll := time.NewTicker(r.t.cfg.PollInterval)
	defer poll.Stop()
	idleSince := time.Now()
	for {
		grew, fi := r.step(ctx, out)
		if ctx.Err() != nil {
			return
		}
		if grew {
			idleSince = time.Now()
		}
		if fi != nil && nlink(fi) == 0 {
			r.detached.Store(true)
		}
		if r.detached.Load() && time.Since(idleSince) >= r.t.cfg.CloseInactive {
			if !r.sendPartial(ctx, out) {
				return
			}
			if fi != nil && nlink(fi) == 0 {
				r.t.cfg.Offsets.Forget(r.key)
			}
			r.t.log.Info("closing file", "path", r.path, "offset", r.commit)
			return
		}
		// An idle file holds no memory: a partial line is read again.
		r.release()
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-poll.C:
		}
	}
}

// step reads what is new. It checks for truncation before reading, so a
// file truncated and rewritten past the offset is not read from the
// middle, and after, to catch a shrink at once. It returns the file's
// info after reading (nil if stat failed).
func (r *reader) step(ctx context.Context, out chan<- Chunk) (bool, fs.FileInfo) {
	if fi, err := r.f.Stat(); err == nil {
		r.checkReplaced(fi.Size())
	}
	grew, err := r.readToEnd(ctx, out)
	if ctx.Err() != nil {
		return grew, nil
	}
	if err != nil {
		r.t.log.Warn("read file, will retry", "path", r.path, "err", err)
		r.t.cfg.Metrics.fileError("read")
	}
	fi, err := r.f.Stat()
	if err != nil {
		return grew, nil
	}
	r.checkReplaced(fi.Size())
	return grew, fi
}

// checkReplaced detects copytruncate (the file shrank below our offset) and
// a file whose first bytes changed (truncated and rewritten past our
// offset), and restarts it from 0 with a fingerprint rebuilt as it is read.
func (r *reader) checkReplaced(size int64) {
	reason := ""
	if size < r.offset+int64(r.pending) {
		reason = "file shrank below the read offset (copytruncate)"
	} else if fp, err := r.hashPrefix(r.fpLen); err == nil && fp != r.fp {
		reason = "file's first bytes changed"
	}
	if reason == "" {
		return
	}
	r.t.log.Warn("file truncated, reading it again from its start", "path", r.path, "reason", reason, "offset", r.offset, "size", size)
	r.offset, r.commit, r.pending, r.long, r.skipped, r.readEnd = 0, 0, 0, nil, false, 0
	r.fpLen, r.fp = 0, fnvOffset
}

// readToEnd reads and sends every complete line up to the end of the
// file, in chunks of at most chunkLines lines or about chunkBytes bytes.
// It reports whether it read anything. Each chunk being built, with the
// read buffer, holds a slot of the shared budget.
func (r *reader) readToEnd(ctx context.Context, out chan<- Chunk) (bool, error) {
	grew := false
	var c chunk
	building := false
	for {
		if !r.slot && !r.acquire(ctx) {
			return grew, nil
		}
		if r.buf == nil {
			r.buf = bufPool.Get().([]byte)
		}
		if building || bytes.IndexByte(r.buf[:r.pending], '\n') >= 0 {
			if !building {
				c, building = r.newChunk(), true
			}
			if r.split(&c) {
				building = false
				if !r.send(ctx, out, &c) {
					return grew, nil
				}
				continue
			}
		}
		// No complete line is left in the buffer: read more.
		if r.pending == len(r.buf) {
			r.overflow()
		}
		pos := r.offset + int64(r.pending)
		n, err := r.f.ReadAt(r.buf[r.pending:], pos)
		if n > 0 {
			r.extendFingerprint(pos, r.buf[r.pending:r.pending+n])
			if end := pos + int64(n); end > r.readEnd {
				grew, r.readEnd = true, end // not a partial line read again
			}
			r.pending += n
			continue
		}
		if building && len(c.Lines) > 0 {
			if !r.send(ctx, out, &c) {
				return grew, nil
			}
		} else if building {
			dataPool.Put(c.data[:0]) // unused
		}
		if err == nil || errors.Is(err, io.EOF) {
			return grew, nil
		}
		return grew, err
	}
}

// acquire takes a budget slot for the read buffer and the next chunk. If
// none is free it first gives the buffer back: a reader waiting for the
// budget holds no memory, and re-reads its partial line afterwards.
func (r *reader) acquire(ctx context.Context) bool {
	b := r.t.cfg.Budget
	if b.tryAcquire() {
		r.slot = true
		return true
	}
	r.dropBuf()
	if !b.acquire(ctx) {
		return false
	}
	r.slot = true
	return true
}

// dropBuf returns the read buffer. Its partial line stays in the file:
// r.offset is the position of buf[0], where the next read starts.
func (r *reader) dropBuf() {
	if r.buf != nil && len(r.buf) == readSize {
		bufPool.Put(r.buf)
	}
	r.buf, r.pending = nil, 0
}

// release gives back the buffer and the budget slot.
func (r *reader) release() {
	r.dropBuf()
	if r.slot {
		r.t.cfg.Budget.release()
		r.slot = false
	}
}

// sendPartial sends the incomplete last line of a file closed for good (a
// rotated or deleted file, idle for CloseInactive): its writer is gone,
// so the newline will never come. It reports false if ctx ended first.
func (r *reader) sendPartial(ctx context.Context, out chan<- Chunk) bool {
	// Hold a slot and the line in the buffer; reading again converges as
	// the file no longer grows.
	for !r.slot || r.buf == nil {
		_, err := r.readToEnd(ctx, out)
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			return true // reported by step; the line stays unacknowledged
		}
	}
	if r.pending == 0 && !r.skipped {
		return true
	}
	c := r.newChunk()
	n := r.pending
	if r.skipped {
		r.addLine(&c, r.long, true)
		r.long, r.skipped = nil, false
	} else {
		line := r.buf[:n]
		r.addLine(&c, truncate(line, r.t.cfg.MaxLineBytes), len(line) > r.t.cfg.MaxLineBytes)
	}
	r.offset += int64(n)
	r.commit, r.pending = r.offset, 0
	r.t.log.Warn("rotated file ends without a newline: sending its last line as it is", "path", r.path, "offset", r.commit)
	r.t.cfg.Metrics.partialLine()
	return r.send(ctx, out, &c)
}

// bufPool recycles read buffers of readSize.
var bufPool = sync.Pool{New: func() any { return make([]byte, readSize) }}

// chunk is a Chunk under construction; data holds the text of its lines.
type chunk struct {
	Chunk
	ends []int
}

func (r *reader) newChunk() chunk {
	return chunk{Chunk: Chunk{Path: r.path, progress: r.progress, data: dataPool.Get().([]byte)}}
}

func (r *reader) send(ctx context.Context, out chan<- Chunk, c *chunk) bool {
	// The lines share one allocation: data is never written again.
	start := 0
	for i, end := range c.ends {
		if end > start {
			c.Lines[i].Text = unsafe.String(&c.data[start], end-start)
		}
		start = end
	}
	c.Entry = r.entry()
	// The slot leaves with the chunk; Acknowledged gives it back.
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
func (r *reader) split(c *chunk) bool {
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
		if r.skipped {
			r.addLine(c, r.long, true)
			r.long, r.skipped = nil, false
		} else if len(line) > r.t.cfg.MaxLineBytes {
			r.addLine(c, truncate(line, r.t.cfg.MaxLineBytes), true)
		} else {
			r.addLine(c, line, false)
		}
		consumed += i + 1
		r.commit = r.offset + int64(consumed)
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

// overflow handles a full buffer without a newline: keep the line's head
// (up to MaxLineBytes) and skip the rest until the newline, or grow the
// buffer while the line is still under the cap.
func (r *reader) overflow() {
	if r.skipped || r.pending > r.t.cfg.MaxLineBytes {
		if !r.skipped {
			r.long = append([]byte(nil), truncate(r.buf[:r.pending], r.t.cfg.MaxLineBytes)...)
			r.skipped = true
		}
		// The skipped bytes are not part of any event; commit moves past them
		// only when the line's newline is found, so a restart re-reads it.
		r.offset += int64(r.pending)
		r.pending = 0
		return
	}
	grown := make([]byte, min(2*len(r.buf), r.t.cfg.MaxLineBytes+readSize))
	copy(grown, r.buf[:r.pending])
	r.buf = grown
}

func truncate(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	// Do not split a character: drop a partial rune at the end.
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}

// addLine appends one line, replacing each invalid UTF-8 byte with U+FFFD.
func (r *reader) addLine(c *chunk, line []byte, truncated bool) {
	if utf8.Valid(line) {
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
	c.Lines = append(c.Lines, Line{Truncated: truncated})
}
