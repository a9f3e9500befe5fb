package stdin

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/input/inputtest"
	"github.com/appstack/appstack/internal/plugin"
)

// start runs the stdin input of block on a pipe and returns the writing
// end, the sink and the channel Run's result comes on.
func start(t *testing.T, ctx context.Context, block string) (*io.PipeWriter, *inputtest.Sink, <-chan error) {
	t.Helper()
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	in := inputtest.Build(t, block, func(o *plugin.Options) *Input {
		return New(o, Env{Stdin: r, Host: "box", Now: inputtest.Clock})
	})
	sink := inputtest.NewSink(t)
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, sink.C) }()
	return w, sink, done
}

func waitDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestLinesUntilEOF(t *testing.T) {
	t.Parallel()
	w, sink, done := start(t, context.Background(), `stdin { type => "stdin" tags => ["t"] }`)
	io.WriteString(w, "first line\nsecond ")
	io.WriteString(w, "line\nno newline at the end")
	w.Close()
	waitDone(t, done)
	evs := sink.WaitN(t, 3)
	if got, want := inputtest.Messages(evs), []string{"first line", "second line", "no newline at the end"}; !slices.Equal(got, want) {
		t.Fatalf("messages %q; want %q", got, want)
	}
	e := evs[0]
	for k, want := range map[string]any{"host": "box", "type": "stdin", "@version": "1", "@timestamp": "2017-07-19T15:34:57.884Z"} {
		if e[k] != want {
			t.Errorf("%s = %v; want %v (event %v)", k, e[k], want, e)
		}
	}
	if tags, _ := e["tags"].([]any); len(tags) != 1 || tags[0] != "t" {
		t.Errorf("tags = %v; want [t]", e["tags"])
	}
}

func TestJSONBecomesJSONLines(t *testing.T) {
	t.Parallel()
	w, sink, done := start(t, context.Background(), `stdin { codec => json }`)
	io.WriteString(w, `{"a":1,"host":"elsewhere"}`+"\n"+`{"a":`)
	io.WriteString(w, "2}\nnot json\n")
	w.Close()
	waitDone(t, done)
	evs := sink.WaitN(t, 3)
	if evs[0]["a"] != 1.0 || evs[1]["a"] != 2.0 || evs[0]["host"] != "elsewhere" || evs[1]["host"] != "box" {
		t.Errorf("events %s; want a=1 (host kept), a=2 (host box)", inputtest.Show(evs))
	}
	if evs[2]["message"] != "not json" || !slices.Contains(evs[2]["tags"].([]any), any("_jsonparsefailure")) {
		t.Errorf("event %v; want the text tagged _jsonparsefailure", evs[2])
	}
}

func TestMultilineAutoFlushAndShutdown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	w, sink, done := start(t, ctx, `stdin { codec => multiline { pattern => "^\s" what => "previous" auto_flush_interval => 0.05 } }`)
	io.WriteString(w, "Exception\n  at a\n  at b\n")
	evs := sink.WaitN(t, 1) // by the auto flush: the next line has not come
	if evs[0]["message"] != "Exception\n  at a\n  at b" {
		t.Fatalf("auto-flushed %v; want the three lines", evs[0])
	}
	io.WriteString(w, "held until shutdown\n")
	cancel()
	waitDone(t, done)
	evs = sink.WaitN(t, 2)
	if evs[1]["message"] != "held until shutdown" {
		t.Errorf("flushed at shutdown %v; want the held line", evs[1])
	}
}

func TestLongLineIsCut(t *testing.T) {
	t.Parallel()
	w, sink, done := start(t, context.Background(), `stdin { }`)
	go func() {
		io.WriteString(w, strings.Repeat("x", MaxLineBytes+100)+"\nshort\n")
		w.Close()
	}()
	waitDone(t, done)
	evs := sink.WaitN(t, 2)
	if msg := evs[0]["message"].(string); len(msg) != MaxLineBytes || !slices.Contains(evs[0]["tags"].([]any), any("_linetoolong")) {
		t.Errorf("long line: %d bytes, tags %v; want %d bytes tagged _linetoolong", len(msg), evs[0]["tags"], MaxLineBytes)
	}
	if evs[1]["message"] != "short" {
		t.Errorf("after the long line: %v; want short", evs[1])
	}
}
