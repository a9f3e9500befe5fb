package tail

import (
	"slices"
	"sync"
	"testing"

	"github.com/appstack/appstack/internal/registry"
)

// recorder is an Offsets that records every Put offset.
type recorder struct {
	noOffsets
	mu   sync.Mutex
	puts []int64
}

func (r *recorder) Put(e registry.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts = append(r.puts, e.Offset)
}

func (r *recorder) saved() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.puts...)
}

// TestMarksSaveOffsetsInLineOrder: marks done out of order save an offset
// only once every mark before it is done, so an offset never passes an
// unacknowledged line; marks taken before the file was read again from 0
// save nothing afterwards.
func TestMarksSaveOffsetsInLineOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		marks []int64 // taken in this order
		done  []int   // indexes of marks, in the order done
		want  []int64 // saved after the start at 0
	}{
		{"in order", []int64{10, 20, 30}, []int{0, 1, 2}, []int64{10, 20, 30}},
		{"the last first", []int64{10, 20, 30}, []int{2, 1, 0}, []int64{30}},
		{"a gap filled later", []int64{10, 20, 30}, []int{0, 2, 1}, []int64{10, 30}},
		{"the first never done", []int64{10, 20, 30}, []int{1, 2}, nil},
		{"done twice", []int64{10, 20}, []int{0, 0, 1}, []int64{10, 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			p := newProgress(rec)
			gen := p.start(registry.Entry{}, false)
			var marks []*Mark
			for _, off := range tt.marks {
				marks = append(marks, p.mark(gen, registry.Entry{Offset: off}))
			}
			for _, i := range tt.done {
				marks[i].Done()
			}
			if got := rec.saved()[1:]; !slices.Equal(got, tt.want) {
				t.Errorf("saved offsets %v; want %v", got, tt.want)
			}
		})
	}
	t.Run("marks of an earlier generation", func(t *testing.T) {
		t.Parallel()
		rec := &recorder{}
		p := newProgress(rec)
		gen := p.start(registry.Entry{Offset: 0}, false)
		old := p.mark(gen, registry.Entry{Offset: 500})
		gen = p.start(registry.Entry{Offset: 0}, true) // truncated: read again from 0
		fresh := p.mark(gen, registry.Entry{Offset: 40})
		old.Done()
		fresh.Done()
		if got, want := rec.saved(), []int64{0, 0, 40}; !slices.Equal(got, want) {
			t.Errorf("saved offsets %v; want %v (500 belongs to the file before its truncation)", got, want)
		}
	})
	t.Run("completion waits for every mark", func(t *testing.T) {
		t.Parallel()
		p := newProgress(&recorder{})
		gen := p.start(registry.Entry{}, false)
		a, b := p.mark(gen, registry.Entry{Offset: 10}), p.mark(gen, registry.Entry{Offset: 20})
		completed := 0
		p.completeWhenAcked(20, func() { completed++ })
		b.Done()
		if completed != 0 {
			t.Fatal("completed with the first mark not done")
		}
		a.Done()
		if completed != 1 {
			t.Fatalf("completed %d times once every mark is done; want once", completed)
		}
	})
}
