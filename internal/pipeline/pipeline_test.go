package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/tail"
)

// recorder is an output that records messages; fail decides whether a
// call fails, block makes calls wait until released.
type recorder struct {
	mu       sync.Mutex
	messages []string
	calls    int
	closed   bool
	fail     func(call int) bool
	block    chan struct{}
}

func (r *recorder) Write(ctx context.Context, events []event.Event) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil && r.fail(r.calls) {
		return errors.New("output down")
	}
	for i := range events {
		v, _ := events[i].Get("message")
		r.messages = append(r.messages, strings.Clone(v.Str())) // events are reused after Write
	}
	return nil
}

func (r *recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.messages...)
}

// offsets records Puts, checking each against what the outputs hold.
type offsets struct {
	mu   sync.Mutex
	puts []registry.Entry
	// check runs at each Put; it fails the test if an offset is saved
	// before its events were acknowledged.
	check func(registry.Entry)
}

func (o *offsets) Put(e registry.Entry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.check != nil {
		o.check(e)
	}
	o.puts = append(o.puts, e)
}

// chunks is a Source that sends fixed chunks then waits for ctx.
type chunks []tail.Chunk

func (cs chunks) Run(ctx context.Context, out chan<- tail.Chunk) error {
	for _, c := range cs {
		select {
		case out <- c:
		case <-ctx.Done():
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

func chunkOf(offset int64, msgs ...string) tail.Chunk {
	c := tail.Chunk{Path: "/p", Entry: registry.Entry{Key: registry.Key{Dev: 1, Ino: 1}, Offset: offset}}
	for _, m := range msgs {
		c.Lines = append(c.Lines, tail.Line{Text: m})
	}
	return c
}

func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetriesAFailingOutputAndSavesOffsetsOnlyAfterAck(t *testing.T) {
	t.Parallel()
	out := &recorder{fail: func(call int) bool { return call <= 3 }}
	other := &recorder{}
	offs := &offsets{}
	offs.check = func(e registry.Entry) {
		if n := len(out.got()); int64(n) < e.Offset {
			t.Errorf("offset %d saved with only %d events acknowledged", e.Offset, n)
		}
	}
	reg := prometheus.NewRegistry()
	p := &Pipeline{
		Inputs:     []Input{{Source: chunks{chunkOf(2, "a", "b"), chunkOf(3, "c")}, Decoration: &event.Decoration{}}},
		Outputs:    []NamedOutput{{"other", other}, {"flaky", out}},
		Offsets:    offs,
		Metrics:    NewMetrics(reg),
		MinBackoff: time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	waitUntil(t, "both chunks acknowledged", func() bool {
		offs.mu.Lock()
		defer offs.mu.Unlock()
		return len(offs.puts) == 2
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := strings.Join(out.got(), ","); got != "a,b,c" {
		t.Errorf("flaky output got %s; want a,b,c once each", got)
	}
	if got := strings.Join(other.got(), ","); got != "a,b,c" {
		t.Errorf("healthy output got %s; want a,b,c once each (not re-sent on another output's retry)", got)
	}
	if !out.closed || !other.closed {
		t.Error("outputs not closed after Run")
	}
	if n := counter(t, p.Metrics.Retries.WithLabelValues("flaky")); n != 3 {
		t.Errorf("retries metric = %v; want 3", n)
	}
	if n := counter(t, p.Metrics.Errors.WithLabelValues("flaky")); n != 3 {
		t.Errorf("errors metric = %v; want 3", n)
	}
	if n := counter(t, p.Metrics.Sent.WithLabelValues("flaky")); n != 3 {
		t.Errorf("sent metric = %v; want 3", n)
	}
}

func TestStopDrainsWhatWasReadAndGivesUpOnADeadOutput(t *testing.T) {
	t.Parallel()
	dead := &recorder{fail: func(int) bool { return true }}
	offs := &offsets{}
	p := &Pipeline{
		Inputs:  []Input{{Source: chunks{chunkOf(1, "x")}, Decoration: &event.Decoration{}}},
		Outputs: []NamedOutput{{"dead", dead}},
		Offsets: offs,
		// Long enough for many retries after the stop; Run must still end.
		DrainTimeout: 2 * time.Second,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
	}
	calls := func() int { dead.mu.Lock(); defer dead.mu.Unlock(); return dead.calls }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	waitUntil(t, "the output is retried", func() bool { return calls() > 2 })
	cancel()
	atStop := calls()
	// Delivery goes on after the stop, for the drain timeout.
	waitUntil(t, "the output is retried after the stop", func() bool { return calls() >= atStop+2 })
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the drain timeout")
	}
	if len(offs.puts) != 0 {
		t.Errorf("saved offsets %v for events never acknowledged", offs.puts)
	}
}

// counting is a Source that counts the lines its source emitted.
type counting struct {
	src   Source
	lines atomic.Int64
}

func (c *counting) Run(ctx context.Context, out chan<- tail.Chunk) error {
	in := make(chan tail.Chunk)
	errc := make(chan error, 1)
	go func() {
		defer close(in)
		errc <- c.src.Run(ctx, in)
	}()
	for ch := range in {
		c.lines.Add(int64(len(ch.Lines)))
		select {
		case out <- ch:
		case <-ctx.Done():
		}
	}
	return <-errc
}

// TestBackpressureBoundsWhatIsRead follows a real file while the output is
// blocked: what the tailer reads stays within its budget of chunks, then
// everything is delivered, in order, once the output comes back.
func TestBackpressureBoundsWhatIsRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	var b strings.Builder
	const total = 100_000
	for i := 0; i < total; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(filepath.Join(dir, "data"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const budget = 3 // chunks of at most 1024 lines
	tl, err := tail.New(tail.Config{Paths: []string{path}, Offsets: reg, Budget: tail.NewBudget(budget)})
	if err != nil {
		t.Fatal(err)
	}
	src := &counting{src: tl}
	out := &recorder{block: make(chan struct{})}
	p := &Pipeline{
		Inputs:  []Input{{Source: src, Decoration: &event.Decoration{}}},
		Outputs: []NamedOutput{{"slow", out}},
		Offsets: reg,
		Metrics: NewMetrics(prometheus.NewRegistry()),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	waitUntil(t, "a chunk is in the blocked output", func() bool { return counter(t, p.Metrics.Read) > 0 })
	// The pipeline's channels would take more chunks than the budget: give
	// the tailer time to overrun it, were it not bounded.
	time.Sleep(300 * time.Millisecond)
	if read := src.lines.Load(); read > budget*1024 {
		t.Errorf("read %d lines while the output was blocked; want at most %d (%d chunks)", read, budget*1024, budget)
	}
	if read := counter(t, p.Metrics.Read); read > 1024 {
		t.Errorf("built %v events while the output was blocked; want one chunk (at most 1024)", read)
	}
	close(out.block)
	waitUntil(t, "every line delivered", func() bool { return len(out.got()) >= total })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := reg.Stop(); err != nil {
		t.Fatal(err)
	}
	got := out.got()
	for i, m := range got {
		if want := fmt.Sprintf("line %d", i); m != want {
			t.Fatalf("event %d = %q; want %q", i, m, want)
		}
	}
	if len(got) != total {
		t.Errorf("delivered %d events; want %d", len(got), total)
	}
}

func TestTruncatedLinesAreTagged(t *testing.T) {
	t.Parallel()
	var tags []string
	rec := &tagRecorder{tags: &tags}
	c := chunkOf(1, "long")
	c.Lines[0].Truncated = true
	p := &Pipeline{
		Inputs:  []Input{{Source: chunks{c}, Decoration: &event.Decoration{Tags: []string{"app"}}}},
		Outputs: []NamedOutput{{"rec", rec}},
		Offsets: &offsets{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	waitUntil(t, "the event is delivered", func() bool { rec.mu.Lock(); defer rec.mu.Unlock(); return len(tags) > 0 })
	cancel()
	<-done
	if got := strings.Join(tags, ","); got != "app,"+TruncatedTag {
		t.Errorf("tags = %s; want app,%s", got, TruncatedTag)
	}
}

type tagRecorder struct {
	mu   sync.Mutex
	tags *[]string
}

func (r *tagRecorder) Write(_ context.Context, events []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range events {
		v, _ := events[i].Get("tags")
		for _, t := range v.List() {
			*r.tags = append(*r.tags, t.Str())
		}
	}
	return nil
}

func (r *tagRecorder) Close() error { return nil }

// counter reads a counter's value.
func counter(tb testing.TB, c prometheus.Collector) float64 {
	tb.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
