package tail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appstack/appstack/internal/registry"
)

const readSize = 64 << 10

// bufPool recycles read buffers of readSize.
var bufPool = sync.Pool{New: func() any { return make([]byte, readSize) }}

// exit is why a reader's goroutine returned.
type exit int

const (
	exitStopped exit = iota // ctx is done
	exitClosed              // read to its end and closed to free its descriptor; reopened when it changes
	exitFailed              // could not be opened; retried at the next scan
	exitGone                // closed for good: rotated away and idle, deleted, or not the file it was
	exitRead                // read mode: read to its end; completed once acknowledged
)

// reader follows one file (one inode). Its goroutine runs while the file
// is open; between runs the reader keeps its place, so a file closed to
// free a descriptor is opened again, by identity, where it stopped.
type reader struct {
	t        *Tailer
	path     string // discovered path, carried by its events
	key      registry.Key
	progress *progress
	wake     chan struct{}
	detached atomic.Bool  // no longer at a watched path: read to the end, then close
	size     atomic.Int64 // the file's size when last seen, for metrics
	opened   atomic.Bool  // the last open succeeded (the failure is reported once)

	// Set by the Run goroutine between runs; the reader's goroutine may
	// use (and update at and completedAt) while it runs.
	at       string // where the file was seen last
	initial  bool   // found at startup: StartAtEnd applies
	resumed  bool   // found through the registry after a restart: read only if it is the entry's file
	ignoreAt int64  // ignore_older: start here unless the registry knows the file; -1 if not ignored
	// completedAt is the offset at which read mode completed the file
	// (its action done), or -1.
	completedAt int64
	running     bool // the Run goroutine's only
	failed      bool // the Run goroutine's only: the last open failed; retried at each scan

	// The goroutine's; read by the Run goroutine between runs.
	f       *os.File
	started bool // where to start was decided (at the first open)
	gen     uint64
	offset  int64 // file position of buf[0]
	commit  int64 // the byte after the last complete line: what may be saved
	fpLen   int64
	fp      uint64
	readEnd int64     // the furthest file position read: beyond it, the file grew
	mtime   time.Time // the file's mtime when last seen
	stepped bool      // a step read to the end at size and mtime, and nothing changed since
	err     error     // why the last open failed

	buf     []byte // read buffer; buf[:pending] is an incomplete line
	pending int
	slot    bool   // holds a budget slot for buf and the chunk being built
	long    []byte // the kept head of an over-long line, while its tail is skipped
	skipped bool   // the over-long line's tail is being skipped
	fpBuf   []byte
}

func newReader(t *Tailer, path string, key registry.Key) *reader {
	return &reader{t: t, path: path, at: path, key: key, fp: fnvOffset, ignoreAt: -1, completedAt: -1,
		wake: make(chan struct{}, 1), progress: newProgress(t.cfg.Offsets)}
}

// poke wakes the reader; it never blocks.
func (r *reader) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reader) entry() registry.Entry {
	return registry.Entry{Key: r.key, FingerprintLen: r.fpLen, Fingerprint: r.fp, Offset: r.commit, Path: r.path,
		Completed: r.completedAt >= 0 && r.commit == r.completedAt}
}

// run opens the file and reads it until ctx is done or it closes it: a
// detached file idle for CloseInactive, an attached file read to its end
// while another file waits for a descriptor or idle for CloseOlder, a
// file read to its end in read mode.
func (r *reader) run(ctx context.Context, out chan<- Chunk) exit {
	if why := r.open(ctx); why != exitClosed {
		return why
	}
	defer r.close()
	poll := time.NewTicker(r.t.cfg.PollInterval)
	defer poll.Stop()
	idleSince := time.Now()
	for {
		grew, fi, err := r.step(ctx, out)
		if ctx.Err() != nil {
			return exitStopped
		}
		if grew {
			idleSince = time.Now()
		}
		deleted := fi != nil && nlink(fi) == 0
		if deleted {
			r.detached.Store(true)
		}
		switch {
		case r.t.cfg.ReadMode && err == nil:
			if !r.sendPartial(ctx, out, "file read to its end, which has no newline: sending its last line as it is") {
				return exitStopped
			}
			return exitRead
		case r.detached.Load() && time.Since(idleSince) >= r.t.cfg.CloseInactive:
			if !r.sendPartial(ctx, out, "rotated file ends without a newline: sending its last line as it is") {
				return exitStopped
			}
			if deleted {
				r.progress.forget(r.key)
			}
			r.t.log.Info("closing file", "path", r.path, "offset", r.commit)
			return exitGone
		case !r.detached.Load() && err == nil && (r.t.contended() || time.Since(idleSince) >= r.t.cfg.CloseOlder):
			return exitClosed
		}
		// An idle file holds no memory: a partial line is read again.
		r.release()
		select {
		case <-ctx.Done():
			return exitStopped
		case <-r.wake:
		case <-poll.C:
		}
	}
}

// open takes a descriptor slot and opens the file, by identity: at the
// path it was seen at last if it is still there, else in that directory
// (rotated away). The first open decides where reading starts. It returns
// exitClosed when the file is open and reading may go on.
func (r *reader) open(ctx context.Context) exit {
	if !r.t.acquireFile(ctx) {
		return exitStopped
	}
	f, fi, err := r.openByKey()
	if err == nil && !r.started {
		var gone bool
		if gone, err = r.decideStart(f, fi); gone {
			f.Close()
			r.t.releaseFile()
			r.progress.forget(r.key)
			return exitGone
		}
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		r.t.releaseFile()
		if errors.Is(err, errGone) {
			r.progress.forget(r.key)
			return exitGone
		}
		r.err = err
		r.opened.Store(false)
		return exitFailed
	}
	r.f, r.stepped = f, false
	r.opened.Store(true)
	r.t.cfg.Metrics.opened(1)
	return exitClosed
}

var errGone = errors.New("file is gone")

// openByKey opens the file with r's key: at r.at, else, if r is detached,
// by a search of that directory.
func (r *reader) openByKey() (*os.File, fs.FileInfo, error) {
	f, err := os.Open(r.at)
	if err == nil {
		fi, serr := f.Stat()
		if serr != nil {
			f.Close()
			return nil, nil, serr
		}
		if keyOf(fi) == r.key {
			return f, fi, nil
		}
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	if !r.detached.Load() && !r.resumed {
		// Replaced between the scan and the open: the next scan sorts it out.
		return nil, nil, errors.New("file replaced while opening")
	}
	p, err := findByKey(filepath.Dir(r.at), r.key)
	if err != nil {
		return nil, nil, err
	}
	if p == "" {
		return nil, nil, errGone
	}
	f, err = os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || keyOf(fi) != r.key {
		f.Close()
		return nil, nil, errGone
	}
	r.at = p
	return f, fi, nil
}

// decideStart decides where a newly opened file starts: the registry's
// offset if the fingerprint matches, else 0, or the end for a file
// present at startup with StartAtEnd, or where ignore_older left it. A
// file found through the registry that is not the entry's file is gone.
func (r *reader) decideStart(f *os.File, fi fs.FileInfo) (gone bool, err error) {
	r.f = f
	defer func() { r.f = nil }()
	if err := r.fingerprint(fi.Size()); err != nil {
		return false, err
	}
	size := fi.Size()
	start, how := int64(0), "new file, from its start"
	e, known := r.t.cfg.Offsets.Get(r.key)
	matches := known && e.FingerprintLen <= r.fpLen && r.fpMatches(e.FingerprintLen, e.Fingerprint)
	switch {
	case r.resumed && !matches:
		return true, nil // the inode was reused: the entry's file is gone
	case known && !trusted(e):
		how = "known file with a fingerprint shorter than its offset (older registry), from its start"
	case matches && e.Offset > size:
		how = "known file truncated while stopped, from its start"
	case matches:
		start, how = e.Offset, "known file, from its registry offset"
		if e.Completed {
			r.completedAt = e.Offset
		}
	case r.ignoreAt >= 0 && r.ignoreAt <= size:
		start, how = r.ignoreAt, "file older than ignore_older, from where it was when found"
	case r.initial && r.t.cfg.StartAtEnd && !r.t.cfg.ReadMode:
		start, how = size, "new file, from its end (start_position => end)"
	}
	if start < r.fpLen {
		// Reading from start extends the fingerprint with what it reads.
		if err := r.fingerprint(start); err != nil {
			return false, err
		}
	}
	r.offset, r.commit, r.readEnd, r.started = start, start, start, true
	r.gen = r.progress.start(r.entry(), false)
	r.t.log.Info("following file", "path", r.at, "offset", start, "how", how, "dev", r.key.Dev, "ino", r.key.Ino)
	return false, nil
}

// close closes the file and gives back its descriptor slot and memory.
func (r *reader) close() {
	r.release()
	r.f.Close()
	r.f, r.fpBuf = nil, nil
	r.t.releaseFile()
	r.t.cfg.Metrics.opened(-1)
}

// step reads what is new. It checks for truncation before reading, so a
// file truncated and rewritten past the offset is not read from the
// middle, and after, to catch a shrink at once. A file whose size and
// mtime did not change since the last step is left alone: an idle file
// costs one fstat per poll. It returns whether it read anything, the
// file's info after reading (nil if stat failed) and the read error.
func (r *reader) step(ctx context.Context, out chan<- Chunk) (bool, fs.FileInfo, error) {
	if fi, err := r.f.Stat(); err == nil {
		if r.stepped && fi.Size() == r.size.Load() && fi.ModTime().Equal(r.mtime) {
			return false, fi, nil
		}
		r.checkReplaced(fi.Size())
	}
	grew, rerr := r.readToEnd(ctx, out)
	if ctx.Err() != nil {
		return grew, nil, rerr
	}
	if rerr != nil {
		r.t.log.Warn("read file, will retry", "path", r.path, "err", rerr)
		r.t.cfg.Metrics.fileError("read")
	}
	fi, err := r.f.Stat()
	if err != nil {
		r.stepped = false
		return grew, nil, errors.Join(rerr, err)
	}
	r.size.Store(fi.Size())
	r.mtime = fi.ModTime()
	replaced := r.checkReplaced(fi.Size())
	r.stepped = rerr == nil && !replaced && r.readEnd == fi.Size()
	return grew, fi, rerr
}

// checkReplaced detects copytruncate (the file shrank below our offset) and
// a file whose first bytes changed (truncated and rewritten past our
// offset), and restarts it from 0 with a fingerprint rebuilt as it is read.
// It reports whether it did.
func (r *reader) checkReplaced(size int64) bool {
	reason := ""
	if size < r.offset+int64(r.pending) {
		reason = "file shrank below the read offset (copytruncate)"
	} else if fp, err := r.hashPrefix(r.fpLen); err == nil && fp != r.fp {
		reason = "file's first bytes changed"
	}
	if reason == "" {
		return false
	}
	r.t.log.Warn("file truncated, reading it again from its start", "path", r.path, "reason", reason, "offset", r.offset, "size", size)
	r.offset, r.commit, r.pending, r.long, r.skipped, r.readEnd = 0, 0, 0, nil, false, 0
	r.fpLen, r.fp = 0, fnvOffset
	r.gen = r.progress.start(r.entry(), true)
	return true
}

// readToEnd reads and sends every complete line up to the end of the
// file, in chunks of at most chunkLines lines or about chunkBytes bytes.
// It reports whether it read anything. Each chunk being built, with the
// read buffer, holds a slot of the shared budget.
func (r *reader) readToEnd(ctx context.Context, out chan<- Chunk) (bool, error) {
	grew := false
	var c building
	filling := false
	for {
		if !r.slot && !r.acquire(ctx) {
			return grew, nil
		}
		if r.buf == nil {
			r.buf = bufPool.Get().([]byte)
		}
		if filling || bytes.IndexByte(r.buf[:r.pending], '\n') >= 0 {
			if !filling {
				c, filling = r.newChunk(), true
			}
			if r.split(&c) {
				filling = false
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
		if filling && len(c.Lines) > 0 {
			if !r.send(ctx, out, &c) {
				return grew, nil
			}
		} else if filling {
			dataPool.Put(c.data[:0]) // unused
		}
		if err == nil || isEOF(err) {
			return grew, nil
		}
		return grew, err
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

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

// sendPartial sends the incomplete last line of a file closed for good
// (a rotated or deleted file idle for CloseInactive, a file read to its
// end in read mode): the newline will never come. It reports false if
// ctx ended first.
func (r *reader) sendPartial(ctx context.Context, out chan<- Chunk, why string) bool {
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
	end := r.offset + int64(n)
	if r.skipped {
		r.addLine(&c, r.long, true, end)
		r.long, r.skipped = nil, false
	} else {
		line := r.buf[:n]
		r.addLine(&c, r.truncate(line), len(line) > r.t.cfg.MaxLineBytes, end)
	}
	r.offset, r.commit, r.pending = end, end, 0
	r.t.log.Warn(why, "path", r.path, "offset", r.commit)
	r.t.cfg.Metrics.partialLine()
	return r.send(ctx, out, &c)
}

// overflow handles a full buffer without a newline: keep the line's head
// (up to MaxLineBytes) and skip the rest until the newline, or grow the
// buffer while the line is still under the cap.
func (r *reader) overflow() {
	if r.skipped || r.pending > r.t.cfg.MaxLineBytes {
		if !r.skipped {
			r.long = append([]byte(nil), r.truncate(r.buf[:r.pending])...)
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

// findByKey returns the path in dir of the file with key, or "" if dir
// holds none.
func findByKey(dir string, key registry.Key) (string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, de.Name())
		if fi, err := os.Stat(p); err == nil && keyOf(fi) == key {
			return p, nil
		}
	}
	return "", nil
}
