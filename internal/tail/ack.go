package tail

import (
	"sync"
	"sync/atomic"

	"github.com/appstack/appstack/internal/registry"
)

// progress is one file's acknowledgements, and the only writer of the
// file's registry entry: its start when the file is opened or read again
// from 0, then the offsets that acknowledgements reach, in order.
//
// The consumer takes a Mark for each place it will acknowledge, in line
// order; marks are done in any order, and an offset is saved once every
// mark before it is done too. So an offset never passes a line that an
// output has not acknowledged, whatever order batches settle in.
type progress struct {
	offsets Offsets
	// acked is the offset saved last, for the bytes-behind metric.
	acked atomic.Int64

	mu    sync.Mutex
	gen   uint64  // bumped when the file is read again from 0
	marks []*Mark // not yet applied, in the order taken
	gone  bool    // the file is deleted and forgotten: save nothing more
	// completeAt, when not negative, is the offset at which the file is
	// completely read and acknowledged (read mode); complete is then
	// called once, from the goroutine that reaches it.
	completeAt int64
	complete   func()
}

func newProgress(offsets Offsets) *progress {
	return &progress{offsets: offsets, completeAt: -1}
}

// Mark is a place in a file, taken in line order by the consumer of its
// lines and done once every event before it is acknowledged.
type Mark struct {
	p     *progress
	gen   uint64
	entry registry.Entry
	done  bool
}

// Done records that every event up to the mark's place was acknowledged.
// It is safe for concurrent use; calling it twice is harmless.
func (m *Mark) Done() {
	if m == nil {
		return
	}
	p := m.p
	p.mu.Lock()
	defer p.mu.Unlock()
	m.done = true
	var last *Mark
	n := 0
	for ; n < len(p.marks) && p.marks[n].done; n++ {
		if p.marks[n].gen == p.gen {
			last = p.marks[n]
		}
	}
	p.marks = p.marks[n:]
	if last != nil && !p.gone && last.entry.Offset >= p.acked.Load() {
		p.offsets.Put(last.entry)
		p.acked.Store(last.entry.Offset)
	}
	p.checkCompleteLocked()
}

// mark takes the next mark, at e (whose Offset is the place).
func (p *progress) mark(gen uint64, e registry.Entry) *Mark {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := &Mark{p: p, gen: gen, entry: e}
	p.marks = append(p.marks, m)
	return m
}

// start records where reading starts (a file opened, or read again from
// 0 after a truncation) and saves it at once, so that a restart finds the
// file even if it is renamed meanwhile. Marks of an earlier generation no
// longer save anything. It returns the generation of what is read next.
func (p *progress) start(e registry.Entry, again bool) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if again {
		p.gen++
	}
	if !p.gone {
		p.offsets.Put(e)
	}
	p.acked.Store(e.Offset)
	return p.gen
}

// forget drops the file's entry: it is deleted.
func (p *progress) forget(k registry.Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gone = true
	p.offsets.Forget(k)
}

// completeWhenAcked arranges for complete to be called once everything up
// to off is acknowledged (at once if it is).
func (p *progress) completeWhenAcked(off int64, complete func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.completeAt, p.complete = off, complete
	p.checkCompleteLocked()
}

func (p *progress) checkCompleteLocked() {
	if p.complete != nil && len(p.marks) == 0 && p.acked.Load() >= p.completeAt {
		f := p.complete
		p.complete, p.completeAt = nil, -1
		f()
	}
}
