// Package inputtest holds what the input packages' tests share: an input
// block parsed from config text, and a consumer that takes batches as the
// pipeline does and keeps their events.
package inputtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

// Options parses `input { block }` and returns the options of its one
// plugin, as cmd/logship gives them to the input's constructor.
func Options(tb testing.TB, block string) *plugin.Options {
	tb.Helper()
	return plugintest.Options(tb, config(block))
}

// config is block in an input section, on its own line.
func config(block string) string { return "input {\n" + block + "\n}" }

// Build parses block and builds its input with newInput, failing the
// test on any option error.
func Build[I any](tb testing.TB, block string, newInput func(*plugin.Options) I) I {
	tb.Helper()
	return plugintest.Build(tb, config(block), newInput)
}

// Refused checks that newInput refuses block with an error at
// test.conf:line:col that contains want.
func Refused[I any](tb testing.TB, block string, newInput func(*plugin.Options) I, want string) {
	tb.Helper()
	plugintest.CheckErr(tb, block, plugintest.BuildErr(tb, config(block), newInput), want)
}

// Listen runs a network input until the test ends: run is its Run,
// which sends the address it listens on to ready; Listen returns that
// address. At the end it stops run and checks that it returned nil.
func Listen(tb testing.TB, run func(context.Context, chan<- event.Batch) error, ready <-chan net.Addr, out chan event.Batch) net.Addr {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run = %v; want nil", err)
		}
	})
	select {
	case a := <-ready:
		return a
	case err := <-done:
		done <- nil // for the cleanup: Run has returned
		tb.Fatalf("Run = %v before listening", err)
	}
	return nil
}

// Now is the clock inputs get in tests.
var Now = time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)

// Clock returns Now.
func Clock() time.Time { return Now }

// Sink takes batches from a channel as the pipeline does: it keeps each
// event (as a map of its fields, decoded from the json codec's output,
// plus "@metadata" when it has some) and, unless held, acknowledges the
// batch.
type Sink struct {
	C chan event.Batch

	mu      sync.Mutex
	events  []map[string]any
	batches int
	hold    bool
	held    []event.Batch
	changed chan struct{}
}

// NewSink returns a Sink reading its channel until the test ends.
func NewSink(tb testing.TB) *Sink {
	s := &Sink{C: make(chan event.Batch), changed: make(chan struct{})}
	done := make(chan struct{})
	tb.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case b := <-s.C:
				s.take(b)
			case <-done:
				return
			}
		}
	}()
	return s
}

func (s *Sink) take(b event.Batch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range b.Events {
		s.events = append(s.events, Fields(&b.Events[i]))
	}
	s.batches++
	if s.hold {
		s.held = append(s.held, b)
	} else if b.Ack != nil {
		b.Ack()
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Hold makes the sink keep batches unacknowledged until Release.
func (s *Sink) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = true
}

// Release acknowledges the batches held, in order, and stops holding.
func (s *Sink) Release() {
	s.mu.Lock()
	held := s.held
	s.held, s.hold = nil, false
	s.mu.Unlock()
	for _, b := range held {
		if b.Ack != nil {
			b.Ack()
		}
	}
}

// Events returns a copy of the events taken so far.
func (s *Sink) Events() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.events...)
}

// Wait waits up to timeout for cond to hold on the events taken, and
// fails the test with what was taken if it does not.
func (s *Sink) Wait(tb testing.TB, timeout time.Duration, what string, cond func([]map[string]any) bool) []map[string]any {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		evs := append([]map[string]any(nil), s.events...)
		changed := s.changed
		s.mu.Unlock()
		if cond(evs) {
			return evs
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("waited %v for %s; got %d events: %s", timeout, what, len(evs), Show(evs))
			return nil
		}
	}
}

// WaitN waits for at least n events.
func (s *Sink) WaitN(tb testing.TB, n int) []map[string]any {
	tb.Helper()
	return s.Wait(tb, 10*time.Second, fmt.Sprintf("%d events", n), func(evs []map[string]any) bool { return len(evs) >= n })
}

// Fields returns e's fields as the json codec prints them, decoded into
// a map, with "@metadata" holding its metadata, if any.
func Fields(e *event.Event) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal(event.JSON{}.Append(nil, e), &m); err != nil {
		panic(err)
	}
	if len(e.Metadata) > 0 {
		var md map[string]any
		if err := json.Unmarshal(event.JSON{}.Append(nil, &event.Event{Fields: e.Metadata}), &md); err != nil {
			panic(err)
		}
		m[event.MetadataKey] = md
	}
	return m
}

// Show prints events compactly for failure messages.
func Show(evs []map[string]any) string {
	b, _ := json.Marshal(evs)
	return string(b)
}

// Messages returns the message field of each event.
func Messages(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i], _ = e["message"].(string)
	}
	return out
}
