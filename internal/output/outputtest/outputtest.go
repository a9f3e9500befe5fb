// Package outputtest is the conformance test every output runs, as
// slogtest is for slog handlers: it checks what pipeline.Output promises.
package outputtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/pipeline"
)

// Harness describes one output under test.
type Harness struct {
	// New returns a fresh output whose deliveries Delivered reads. The
	// output must encode events as JSON objects (json or json_lines).
	New func(t testing.TB) (out pipeline.Output, delivered func() []map[string]any)
}

// Run runs the conformance tests.
func Run(t *testing.T, h Harness) {
	t.Run("delivers every event of a batch in order", func(t *testing.T) {
		out, delivered := h.New(t)
		events := batch(0, 250)
		if err := out.Write(context.Background(), events); err != nil {
			t.Fatalf("Write(250 events) = %v", err)
		}
		closeOK(t, out)
		checkMessages(t, delivered(), 0, 250)
	})
	t.Run("keeps order across batches", func(t *testing.T) {
		out, delivered := h.New(t)
		for i := 0; i < 5; i++ {
			if err := out.Write(context.Background(), batch(i*10, 10)); err != nil {
				t.Fatalf("Write(batch %d) = %v", i, err)
			}
		}
		closeOK(t, out)
		checkMessages(t, delivered(), 0, 50)
	})
	t.Run("accepts an empty batch", func(t *testing.T) {
		out, delivered := h.New(t)
		if err := out.Write(context.Background(), nil); err != nil {
			t.Fatalf("Write(nil) = %v", err)
		}
		closeOK(t, out)
		if got := delivered(); len(got) != 0 {
			t.Errorf("Write(nil) delivered %d events; want 0", len(got))
		}
	})
	t.Run("does not keep events or their text after Write returns", func(t *testing.T) {
		out, delivered := h.New(t)
		// Like the pipeline's, the events' text lives in a buffer that is
		// reused once Write returns.
		text := []byte("line 0line 1line 2")
		events := batch(0, 3)
		for i := range events {
			events[i].Set("message", event.String(unsafe.String(&text[6*i], 6)))
		}
		if err := out.Write(context.Background(), events); err != nil {
			t.Fatalf("Write = %v", err)
		}
		for i := range text {
			text[i] = 'X'
		}
		for i := range events {
			events[i].Set("message", event.String("overwritten"))
		}
		closeOK(t, out)
		checkMessages(t, delivered(), 0, 3)
	})
	t.Run("delivers Logstash's fields", func(t *testing.T) {
		out, delivered := h.New(t)
		if err := out.Write(context.Background(), batch(7, 1)); err != nil {
			t.Fatalf("Write = %v", err)
		}
		closeOK(t, out)
		got := delivered()
		if len(got) != 1 {
			t.Fatalf("delivered %d events; want 1", len(got))
		}
		want := map[string]any{"message": "line 7", "@version": "1", "@timestamp": "2017-07-19T15:34:57.884Z",
			"type": "syslog", "host": "h", "path": "/var/log/x.log", "tags": []any{"t"}}
		for k, v := range want {
			if fmt.Sprint(got[0][k]) != fmt.Sprint(v) {
				t.Errorf("field %q = %v; want %v", k, got[0][k], v)
			}
		}
	})
	t.Run("returns when the context is cancelled", func(t *testing.T) {
		out, _ := h.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = out.Write(ctx, batch(0, 1)) // nil or an error: either is fine
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Write with a cancelled context did not return within 10s")
		}
		closeOK(t, out)
	})
}

func closeOK(t testing.TB, out pipeline.Output) {
	t.Helper()
	if err := out.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
}

var deco = &Decoration{Type: "syslog", Host: "h", Tags: []string{"t"}}

// Decoration is what an input adds to a line: type, add_field, tags (in
// that order, after message, @version and @timestamp), then host and
// path. Tests build events with it.
type Decoration struct {
	Type     string
	AddField []AddField
	Tags     []string
	Host     string
}

// AddField is one add_field entry; key and values may use sprintf
// references.
type AddField struct {
	Key    string
	Values []string
}

// Event returns the event d builds for message read from path at ts.
func Event(d *Decoration, message, path string, ts time.Time) event.Event {
	e := event.Event{Fields: []event.Field{
		{Key: "message", Value: event.String(message)},
		{Key: "@version", Value: event.String("1")},
		{Key: "@timestamp", Value: event.Time(ts)},
	}}
	if d.Type != "" {
		e.Set("type", event.String(d.Type))
	}
	for _, af := range d.AddField {
		key := e.Sprintf(af.Key)
		for _, raw := range af.Values {
			v := event.String(e.Sprintf(raw))
			switch old, ok := e.Get(key); {
			case !ok:
				e.Set(key, v)
			case old.Kind() == event.ListKind:
				e.Set(key, event.List(append(slices.Clone(old.List()), v)...))
			default:
				e.Set(key, event.List(old, v))
			}
		}
	}
	for _, t := range d.Tags {
		e.AddTag(e.Sprintf(t))
	}
	if _, ok := e.Get("host"); !ok && d.Host != "" {
		e.Set("host", event.String(d.Host))
	}
	if _, ok := e.Get("path"); !ok {
		e.Set("path", event.String(path))
	}
	return e
}

func batch(from, n int) []event.Event {
	ts := time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)
	events := make([]event.Event, n)
	for i := range events {
		events[i] = Event(deco, fmt.Sprintf("line %d", from+i), "/var/log/x.log", ts)
	}
	return events
}

func checkMessages(t testing.TB, got []map[string]any, from, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("delivered %d events; want %d", len(got), n)
	}
	for i, e := range got {
		if want := fmt.Sprintf("line %d", from+i); e["message"] != want {
			t.Fatalf("event %d message = %v; want %q", i, e["message"], want)
		}
	}
}

// DecodeLines decodes JSON objects, one a line; helpers for Delivered.
func DecodeLines(tb testing.TB, lines [][]byte) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, l := range lines {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			tb.Fatalf("delivered line is not a JSON object: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
