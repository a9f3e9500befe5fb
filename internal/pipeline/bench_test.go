package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// discard is an output that only counts.
type discard struct{ n int }

func (d *discard) Write(_ context.Context, events []event.Event) error {
	d.n += len(events)
	return nil
}
func (d *discard) Close() error { return nil }

// repeat is an input sending the same batch b.N/size times, each acked.
type repeat struct {
	batch   []event.Event
	batches int
	acked   chan struct{}
}

func (r *repeat) Run(ctx context.Context, out chan<- event.Batch) error {
	for range r.batches {
		select {
		case out <- event.Batch{Events: r.batch, Ack: func() { r.acked <- struct{}{} }}:
		case <-ctx.Done():
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

// BenchmarkPipeline measures what the pipeline costs per event (ns/op is
// per event), with
// filters that do next to nothing: straight through, and through a
// conditional filter and conditional routes.
func BenchmarkPipeline(b *testing.B) {
	const size = 1024
	batch := make([]event.Event, size)
	for i := range batch {
		batch[i].Set("message", event.String("GET /index.html 200"))
	}
	isGet := func(e *event.Event) bool { v, _ := e.Get("message"); return strings.HasPrefix(v.Str(), "GET") }
	nop := &FilterStep{Name: "nop", Filter: fn(func(*event.Event) plugin.Result { return plugin.Match })}
	for _, bc := range []struct {
		name    string
		filters []Step
		routes  func(outs []*NamedOutput) []Step
	}{
		{"straight", nil, nil},
		{"conditionals", []Step{{If: []Branch{{When: isGet, Steps: []Step{{Filter: nop}}}}}},
			func(outs []*NamedOutput) []Step {
				return []Step{{If: []Branch{{When: isGet, Steps: []Step{{Output: outs[0]}}}, {Steps: []Step{{Output: outs[1]}}}}}}
			}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			batches := max(b.N/size, 1)
			in := &repeat{batch: batch, batches: batches, acked: make(chan struct{}, batches)}
			outs := []*NamedOutput{{Name: "a", Output: &discard{}}, {Name: "b", Output: &discard{}}}
			p := &Pipeline{Inputs: []NamedInput{{"in", in}}, Outputs: outs, Workers: 1,
				Filters: func() ([]Step, error) { return bc.filters, nil }}
			if bc.routes != nil {
				p.Routes = bc.routes(outs)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			b.ResetTimer()
			go func() { done <- p.Run(ctx) }()
			for range batches {
				<-in.acked
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
