package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
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
	return slices.Clone(r.messages)
}

func (r *recorder) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// source is an input that sends its batches, each acknowledged into
// acks (the batch's index), then waits for ctx. sent counts the batches
// the pipeline took.
type source struct {
	batches [][]string
	mu      sync.Mutex
	acks    []int
	onAck   func(batch int)
	sent    atomic.Int64
}

func (s *source) Run(ctx context.Context, out chan<- event.Batch) error {
	for i, msgs := range s.batches {
		b := event.Batch{Events: make([]event.Event, len(msgs))}
		for k, m := range msgs {
			b.Events[k].Set("message", event.String(m))
		}
		b.Ack = func() {
			if s.onAck != nil {
				s.onAck(i)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.acks = append(s.acks, i)
		}
		select {
		case out <- b:
			s.sent.Add(1)
		case <-ctx.Done():
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

func (s *source) acked() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

func batches(n, size int) [][]string {
	var out [][]string
	for i := range n {
		var b []string
		for k := range size {
			b = append(b, fmt.Sprintf("m%d", i*size+k))
		}
		out = append(out, b)
	}
	return out
}

// running starts p and returns a function that stops it and returns
// Run's error.
func running(tb testing.TB, p *Pipeline) (stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("Run did not return 30s after cancel")
			}
		})
		return err
	}
	tb.Cleanup(func() { _ = stop() })
	return stop
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

func outputs(rs ...*recorder) []*NamedOutput {
	var out []*NamedOutput
	for i, r := range rs {
		out = append(out, &NamedOutput{Name: fmt.Sprintf("out%d", i), Output: r})
	}
	return out
}

func TestRetriesAFailingOutputAndAcksOnlyWhenEveryOutputHasTheBatch(t *testing.T) {
	t.Parallel()
	flaky := &recorder{fail: func(call int) bool { return call <= 3 }}
	other := &recorder{}
	src := &source{batches: [][]string{{"a", "b"}, {"c"}}}
	src.onAck = func(batch int) {
		want := map[int]int{0: 2, 1: 3}[batch]
		if len(flaky.got()) < want || len(other.got()) < want {
			t.Errorf("batch %d acknowledged with %d and %d events delivered; want %d in each output", batch, len(flaky.got()), len(other.got()), want)
		}
	}
	outs := outputs(other, flaky)
	p := &Pipeline{
		Inputs:     []NamedInput{{"src", src}},
		Outputs:    outs,
		Metrics:    NewMetrics(prometheus.NewRegistry()),
		MinBackoff: time.Millisecond,
	}
	stop := running(t, p)
	waitUntil(t, "both batches acknowledged", func() bool { return len(src.acked()) == 2 })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := src.acked(); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("acks = %v; want each batch once, in order", got)
	}
	if got := strings.Join(flaky.got(), ","); got != "a,b,c" {
		t.Errorf("flaky output got %s; want a,b,c once each", got)
	}
	if got := strings.Join(other.got(), ","); got != "a,b,c" {
		t.Errorf("healthy output got %s; want a,b,c once each (not re-sent on another output's retry)", got)
	}
	if !flaky.closed || !other.closed {
		t.Error("outputs not closed after Run")
	}
	for metric, want := range map[prometheus.Collector]float64{
		p.Metrics.Retries.WithLabelValues("out1"): 3,
		p.Metrics.Errors.WithLabelValues("out1"):  3,
		p.Metrics.Sent.WithLabelValues("out1"):    3,
		p.Metrics.Read:                            3,
	} {
		if n := counter(t, metric); n != want {
			t.Errorf("%v = %v; want %v", metric, n, want)
		}
	}
}

// TestASlowOutputHoldsTheAck: nothing is acknowledged while an output
// has not accepted the batch.
func TestASlowOutputHoldsTheAck(t *testing.T) {
	t.Parallel()
	fast, slow := &recorder{}, &recorder{block: make(chan struct{})}
	src := &source{batches: [][]string{{"a"}}}
	stop := running(t, &Pipeline{Inputs: []NamedInput{{"src", src}}, Outputs: outputs(fast, slow)})
	waitUntil(t, "the fast output has the event", func() bool { return len(fast.got()) == 1 })
	if got := src.acked(); len(got) != 0 {
		t.Fatalf("acks = %v while the slow output holds the batch; want none", got)
	}
	close(slow.block)
	waitUntil(t, "the batch is acknowledged", func() bool { return len(src.acked()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStopDrainsWhatWasReadAndGivesUpOnADeadOutputWithoutAck(t *testing.T) {
	t.Parallel()
	dead := &recorder{fail: func(int) bool { return true }}
	src := &source{batches: [][]string{{"x"}}}
	p := &Pipeline{
		Inputs:  []NamedInput{{"src", src}},
		Outputs: outputs(dead),
		// Long enough for many retries after the stop; Run must still end.
		DrainTimeout: 2 * time.Second,
		MinBackoff:   time.Millisecond,
		MaxBackoff:   5 * time.Millisecond,
	}
	stop := running(t, p)
	waitUntil(t, "the output is retried", func() bool { return dead.callCount() > 2 })
	returned := make(chan error)
	go func() { returned <- stop() }()
	atStop := dead.callCount()
	// Delivery goes on after the stop, for the drain timeout.
	waitUntil(t, "the output is retried after the stop", func() bool { return dead.callCount() >= atStop+2 })
	if err := <-returned; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := src.acked(); len(got) != 0 {
		t.Errorf("acks = %v for events never delivered; want none", got)
	}
}

// TestStopDeliversWhatWasReadThenAcks: SIGTERM while an output is slow:
// the batch in hand is delivered and acknowledged within the drain time.
func TestStopDeliversWhatWasReadThenAcks(t *testing.T) {
	t.Parallel()
	slow := &recorder{block: make(chan struct{})}
	src := &source{batches: [][]string{{"x"}}}
	stop := running(t, &Pipeline{Inputs: []NamedInput{{"src", src}}, Outputs: outputs(slow), DrainTimeout: 20 * time.Second})
	waitUntil(t, "the batch is taken", func() bool { return src.sent.Load() == 1 })
	returned := make(chan error)
	go func() { returned <- stop() }()
	close(slow.block)
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
	if got := src.acked(); !slices.Equal(got, []int{0}) {
		t.Errorf("acks = %v; want the batch read before the stop acknowledged", got)
	}
}

// fn is a filter from a function.
type fn func(*event.Event) plugin.Result

func (f fn) Apply(e *event.Event) plugin.Result { return f(e) }

func msg(e *event.Event) string { v, _ := e.Get("message"); return v.Str() }

// tag tags every event and matches.
func tag(t string) *FilterStep {
	return &FilterStep{Name: "tag-" + t, Filter: fn(func(e *event.Event) plugin.Result {
		e.AddTag(t)
		return plugin.Match
	})}
}

func when(f func(string) bool) func(*event.Event) bool {
	return func(e *event.Event) bool { return f(msg(e)) }
}

func TestFiltersConditionalsAndRoutes(t *testing.T) {
	t.Parallel()
	all, errs, odd := &recorder{}, &recorder{}, &recorder{}
	outs := outputs(all, errs, odd)
	dropper := &FilterStep{Name: "drop", Filter: fn(func(*event.Event) plugin.Result { return plugin.Drop })}
	common := &FilterStep{Name: "common", Filter: fn(func(e *event.Event) plugin.Result {
		if strings.HasPrefix(msg(e), "error") {
			return plugin.Match
		}
		return plugin.NoMatch
	}), Common: plugin.Common{AddTag: []string{"matched"}}}
	filters := []Step{
		{Filter: common},
		{If: []Branch{
			{When: when(func(m string) bool { return strings.HasPrefix(m, "drop") }), Steps: []Step{{Filter: dropper}}},
			{When: when(func(m string) bool { return strings.HasPrefix(m, "error") }), Steps: []Step{{Filter: tag("err")}}},
			{Steps: []Step{{Filter: tag("else")}}},
		}},
	}
	src := &source{batches: [][]string{{"error 1", "drop 2", "ok 3"}, {"drop 4", "drop 5"}, {"ok 6", "error 7"}}}
	var seen []string
	var mu sync.Mutex
	record := &FilterStep{Name: "record", Filter: fn(func(e *event.Event) plugin.Result {
		v, _ := e.Get("tags")
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, msg(e)+"="+v.Text())
		return plugin.NoMatch
	})}
	filters = append(filters, Step{Filter: record})
	p := &Pipeline{
		Inputs:  []NamedInput{{"src", src}},
		Filters: func() ([]Step, error) { return filters, nil },
		Workers: 1,
		Outputs: outs,
		Routes: []Step{
			{Output: outs[0]},
			{If: []Branch{{When: func(e *event.Event) bool { return e.HasTag("err") }, Steps: []Step{{Output: outs[1]}}}}},
			{If: []Branch{{When: when(func(m string) bool { return m[len(m)-1]%2 == 1 }), Steps: []Step{{Output: outs[2]}}}}},
		},
		Metrics: NewMetrics(prometheus.NewRegistry()),
	}
	stop := running(t, p)
	waitUntil(t, "every batch acknowledged", func() bool { return len(src.acked()) == 3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		r    *recorder
		want string
	}{
		{"the unconditional output", all, "error 1,ok 3,ok 6,error 7"},
		{"the output behind [tags]", errs, "error 1,error 7"},
		{"the output behind odd numbers", odd, "error 1,ok 3,error 7"},
	} {
		if got := strings.Join(tt.r.got(), ","); got != tt.want {
			t.Errorf("%s got %s; want %s", tt.name, got, tt.want)
		}
	}
	if got, want := strings.Join(seen, " "), "error 1=matched,err ok 3=else ok 6=else error 7=matched,err"; got != want {
		t.Errorf("events after the filters: %s; want %s (common options on Match only; dropped events go no further)", got, want)
	}
	if got := src.acked(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("acks = %v; want every batch once, in order, the all-dropped one too", got)
	}
	if n := counter(t, p.Metrics.Dropped); n != 3 {
		t.Errorf("dropped metric = %v; want 3", n)
	}
	if calls := all.callCount(); calls != 2 {
		t.Errorf("output called %d times; want 2 (not for the batch whose events were all dropped)", calls)
	}
}

// TestWorkersKeepOrder: with several workers filtering at different
// speeds, outputs still get events in input order and acks come in
// order.
func TestWorkersKeepOrder(t *testing.T) {
	t.Parallel()
	out := &recorder{}
	src := &source{batches: batches(200, 5)}
	var instances atomic.Int64
	p := &Pipeline{
		Inputs: []NamedInput{{"src", src}},
		Filters: func() ([]Step, error) {
			instances.Add(1)
			// Work that varies by batch, so that workers finish out of order.
			return []Step{{Filter: &FilterStep{Name: "spin", Filter: fn(func(e *event.Event) plugin.Result {
				n := 0
				for i := range (len(msg(e)) * 7919 % 13) * 2000 {
					n += i
				}
				e.Set("n", event.Int(int64(n)))
				return plugin.NoMatch
			})}}}, nil
		},
		Workers: 4,
		Outputs: outputs(out),
	}
	stop := running(t, p)
	waitUntil(t, "every batch acknowledged", func() bool { return len(src.acked()) == 200 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := instances.Load(); n != 4 {
		t.Errorf("filter sections built %d times; want one per worker, 4", n)
	}
	got := out.got()
	for i, m := range got {
		if want := fmt.Sprintf("m%d", i); m != want {
			t.Fatalf("event %d = %s; want %s (input order)", i, m, want)
		}
	}
	acks := src.acked()
	for i, a := range acks {
		if a != i {
			t.Fatalf("ack %d is batch %d; want acks in order", i, a)
		}
	}
}

// TestBackpressureBoundsWhatIsInFlight: while the output is blocked, the
// pipeline takes at most two batches per worker (plus the one the
// dispatcher holds) and the input blocks on its send.
func TestBackpressureBoundsWhatIsInFlight(t *testing.T) {
	t.Parallel()
	out := &recorder{block: make(chan struct{})}
	src := &source{batches: batches(100, 10)}
	stop := running(t, &Pipeline{Inputs: []NamedInput{{"src", src}}, Outputs: outputs(out), Workers: 2})
	waitUntil(t, "a batch is taken", func() bool { return src.sent.Load() > 0 })
	// The output is blocked: give the input time to overrun the bound,
	// were there none.
	time.Sleep(200 * time.Millisecond)
	if n := src.sent.Load(); n > 2*2+1 {
		t.Errorf("the pipeline took %d batches while its output was blocked; want at most 5", n)
	}
	close(out.block)
	waitUntil(t, "every batch acknowledged", func() bool { return len(src.acked()) == 100 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(out.got()); n != 1000 {
		t.Errorf("delivered %d events; want 1000", n)
	}
}

func TestAPanickingFilterIsCountedAndTheEventGoesOn(t *testing.T) {
	t.Parallel()
	out := &recorder{}
	src := &source{batches: [][]string{{"a", "b"}}}
	boom := &FilterStep{Name: "boom", Filter: fn(func(e *event.Event) plugin.Result {
		if msg(e) == "a" {
			panic("bug")
		}
		return plugin.Match
	}), Common: plugin.Common{AddTag: []string{"ok"}}}
	p := &Pipeline{
		Inputs:  []NamedInput{{"src", src}},
		Filters: func() ([]Step, error) { return []Step{{Filter: boom}}, nil },
		Outputs: outputs(out),
		Metrics: NewMetrics(prometheus.NewRegistry()),
	}
	stop := running(t, p)
	waitUntil(t, "the batch is acknowledged", func() bool { return len(src.acked()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.got(), ","); got != "a,b" {
		t.Errorf("delivered %s; want a,b", got)
	}
	if n := counter(t, p.Metrics.Panics.WithLabelValues("boom")); n != 1 {
		t.Errorf("panics metric = %v; want 1", n)
	}
}

func TestRunRefusesWhatItCannotRun(t *testing.T) {
	t.Parallel()
	out := &recorder{}
	stray := &NamedOutput{Name: "stray", Output: &recorder{}}
	tests := []struct {
		name string
		p    *Pipeline
		want string
	}{
		{"no inputs", &Pipeline{Outputs: outputs(out)}, "needs inputs and outputs"},
		{"filters that cannot be built", &Pipeline{Inputs: []NamedInput{{"src", &source{}}}, Outputs: outputs(out),
			Filters: func() ([]Step, error) { return nil, errors.New("bad pattern") }}, "build filters: bad pattern"},
		{"a route to an unknown output", &Pipeline{Inputs: []NamedInput{{"src", &source{}}}, Outputs: outputs(out),
			Routes: []Step{{If: []Branch{{Steps: []Step{{Output: stray}}}}}}}, "route to output stray"},
	}
	for _, tt := range tests {
		out.closed = false
		err := tt.p.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run = %v; want an error containing %q", tt.name, err, tt.want)
		}
		if !out.closed {
			t.Errorf("%s: outputs not closed", tt.name)
		}
	}
}

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

// gate is a Concurrent output whose Writes each wait until released, so
// a test decides the order they finish in.
type gate struct {
	inFlight int
	mu       sync.Mutex
	waiting  map[string]chan struct{} // by the first message of the Write
	messages []string
	most     int // Writes in progress at once, at most
}

func (g *gate) MaxInFlight() int { return g.inFlight }

func (g *gate) Write(ctx context.Context, events []event.Event) error {
	first := strings.Clone(msg(&events[0]))
	release := make(chan struct{})
	g.mu.Lock()
	g.waiting[first] = release
	g.most = max(g.most, len(g.waiting))
	g.mu.Unlock()
	select {
	case <-release:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range events {
		g.messages = append(g.messages, strings.Clone(msg(&events[i])))
	}
	return nil
}

func (g *gate) Close() error { return nil }

// release lets the Write of the batch starting with first finish.
func (g *gate) release(first string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.waiting[first])
	delete(g.waiting, first)
}

func (g *gate) inProgress() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiting)
}

func (g *gate) got() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.messages)
}

// TestAConcurrentOutputHasBatchesInFlightAndAcksStayInOrder: a Concurrent
// output is written up to MaxInFlight batches at once, no more; they
// finish in reverse order, yet each batch is acknowledged only once it
// and every batch before it are delivered, in order. A plain output next
// to it still gets every batch in order.
func TestAConcurrentOutputHasBatchesInFlightAndAcksStayInOrder(t *testing.T) {
	t.Parallel()
	g := &gate{inFlight: 3, waiting: map[string]chan struct{}{}}
	plain := &recorder{}
	all := batches(6, 2)
	src := &source{batches: all}
	stop := running(t, &Pipeline{Inputs: []NamedInput{{"src", src}}, Workers: 1,
		Outputs: []*NamedOutput{{Name: "gate", Output: g}, {Name: "plain", Output: plain}}})
	for first := 0; first < 6; first += 3 {
		waitUntil(t, "three writes in flight", func() bool { return g.inProgress() == 3 })
		time.Sleep(50 * time.Millisecond) // a fourth would start now, were there no bound
		if n := g.inProgress(); n != 3 {
			t.Fatalf("%d writes in flight; want MaxInFlight, 3", n)
		}
		g.release(all[first+2][0])
		g.release(all[first+1][0])
		waitUntil(t, "two later batches delivered", func() bool { return len(g.got()) == 2*(first+2) })
		if got := src.acked(); len(got) != first {
			t.Fatalf("acks %v once batches %d and %d are delivered before %d; want %d acks", got, first+2, first+1, first, first)
		}
		g.release(all[first][0])
		waitUntil(t, "three more batches acknowledged", func() bool { return len(src.acked()) == first+3 })
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := src.acked(); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("acks = %v; want 0…5 in order", got)
	}
	if got, want := plain.got(), slices.Concat(all...); !slices.Equal(got, want) {
		t.Errorf("the plain output got %v; want %v, in order", got, want)
	}
	if n := len(g.got()); n != 12 || g.most != 3 {
		t.Errorf("the concurrent output got %d events with at most %d writes at once; want 12, 3", n, g.most)
	}
}

// TestNoAckAfterABatchLeftUndelivered: at shutdown, a batch that a
// Concurrent output could not take within the drain time is not
// acknowledged, nor is the later batch it did take: acks stay a prefix
// of the batches.
func TestNoAckAfterABatchLeftUndelivered(t *testing.T) {
	t.Parallel()
	g := &gate{inFlight: 2, waiting: map[string]chan struct{}{}}
	all := batches(2, 1)
	src := &source{batches: all}
	stop := running(t, &Pipeline{Inputs: []NamedInput{{"src", src}}, Workers: 1, DrainTimeout: 100 * time.Millisecond,
		Outputs: []*NamedOutput{{Name: "gate", Output: g}}})
	waitUntil(t, "both writes in flight", func() bool { return g.inProgress() == 2 })
	g.release(all[1][0])
	waitUntil(t, "the second batch delivered", func() bool { return len(g.got()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := src.acked(); len(got) != 0 {
		t.Errorf("acks = %v; want none: the first batch was never delivered", got)
	}
}
