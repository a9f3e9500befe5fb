package file

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/registry"
)

// run starts in on a real registry in data and returns its batches; stop
// stops it and the registry (which saves).
func run(tb testing.TB, in *Input, data string) (batches <-chan event.Batch, stop func()) {
	tb.Helper()
	reg, err := registry.Open(data, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	in.env.Shared.Offsets = reg
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan event.Batch)
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx, out) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for ended := false; !ended; {
			select {
			case <-out: // not acknowledged: read again next time
			case err := <-done:
				if err != nil {
					tb.Errorf("Run() = %v", err)
				}
				ended = true
			}
		}
		if err := reg.Stop(); err != nil {
			tb.Errorf("registry Stop() = %v", err)
		}
	}
	tb.Cleanup(stop)
	return out, stop
}

// newInput builds an input from settings, polling fast.
func newInput(tb testing.TB, settings string, env Env) *Input {
	tb.Helper()
	o := options(tb, settings)
	in := New(o, env)
	if err := o.Err(); err != nil {
		tb.Fatal(err)
	}
	in.cfg.PollInterval = 20 * time.Millisecond
	return in
}

func next(tb testing.TB, batches <-chan event.Batch) event.Batch {
	tb.Helper()
	select {
	case b := <-batches:
		return b
	case <-time.After(10 * time.Second):
		tb.Fatal("no batch in 10 s")
		return event.Batch{}
	}
}

func messages(b event.Batch) []string {
	var out []string
	for i := range b.Events {
		v, _ := b.Events[i].Get("message")
		out = append(out, v.Str())
	}
	return out
}

// TestEventsAreBuiltAsLogstashsFileInputDoes checks each event's fields
// and [@metadata], the common input options and the tag of a cut line.
func TestEventsAreBuiltAsLogstashsFileInputDoes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := os.WriteFile(path, []byte("hello\n"+strings.Repeat("x", 20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC)
	in := newInput(t, fmt.Sprintf(`path => %q type => "app" tags => ["t1"] add_field => { "env" => "test" }`, filepath.Join(dir, "*.log")),
		Env{Shared: NewShared(), Host: "box", Now: func() time.Time { return at }})
	in.cfg.MaxLineBytes = 10
	batches, _ := run(t, in, filepath.Join(dir, "data"))
	b := next(t, batches)
	defer b.Ack()
	if len(b.Events) != 2 {
		t.Fatalf("batch of %d events; want 2", len(b.Events))
	}
	// logstash-input-file 4.0: the codec's event, then path, host, then
	// decorate (type, add_field, tags); the codec tags a cut line.
	want := []string{
		`{"message":"hello","@version":"1","@timestamp":"2024-05-06T07:08:09.010Z","path":"` + path + `","host":"box","type":"app","env":"test","tags":["t1"]}`,
		`{"message":"xxxxxxxxxx","@version":"1","@timestamp":"2024-05-06T07:08:09.010Z","tags":["_linetoolong","t1"],"path":"` + path + `","host":"box","type":"app","env":"test"}`,
	}
	for i := range b.Events {
		e := &b.Events[i]
		got := fieldsJSON(e)
		if got != want[i] {
			t.Errorf("event %d = %s;\nwant %s", i, got, want[i])
		}
		meta := fmt.Sprint(e.Metadata)
		if meta != fmt.Sprint([]event.Field{{Key: "path", Value: event.String(path)}, {Key: "host", Value: event.String("box")}}) {
			t.Errorf("event %d [@metadata] = %s; want path and host", i, meta)
		}
	}
}

// TestTheSeedsEventPrintsByteForByte: the seed's line read by the file
// input as the seed configures it (type => "syslog") prints under
// rubydebug exactly as Logstash 5 printed it in the seed's sample.
func TestTheSeedsEventPrintsByteForByte(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile("../../event/testdata/rubydebug-sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	const message = `::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] "GET / HTTP/1.1" 200 20 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/602.4.8 (KHTML, like Gecko) Version/10.0.3 Safari/602.4.8"`
	dir := t.TempDir()
	path := filepath.Join(dir, "nodeapp.log")
	appendTo(t, path, message+"\n")
	at := time.Date(2017, 7, 19, 15, 34, 57, 884e6, time.UTC)
	in := newInput(t, fmt.Sprintf(`path => %q type => "syslog"`, path),
		Env{Shared: NewShared(), Host: "0b4555ee8df3", Now: func() time.Time { return at }})
	batches, _ := run(t, in, filepath.Join(dir, "data"))
	b := next(t, batches)
	defer b.Ack()
	// Alignment depends on the keys only: the path's value may differ.
	want := strings.Replace(string(sample), "/var/log/nodeapp/nodeapp.log", path, 1)
	if got := string(event.Rubydebug{}.Append(nil, &b.Events[0])); got != want {
		t.Errorf("rubydebug:\n%s\nwant:\n%s", got, want)
	}
}

// fieldsJSON prints an event's fields in insertion order.
func fieldsJSON(e *event.Event) string {
	var b strings.Builder
	b.WriteString("{")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(",")
		}
		one := event.Event{Fields: []event.Field{f}}
		s := string(event.JSON{}.Append(nil, &one))
		b.WriteString(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
	}
	b.WriteString("}")
	return b.String()
}

// TestAnOffsetIsSavedOnlyOnceEveryBatchBeforeItIsAcknowledged acks two
// batches of one file in reverse order: the offset moves only when the
// first is acknowledged, and a restart then reads only what came after.
func TestAnOffsetIsSavedOnlyOnceEveryBatchBeforeItIsAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "a\n")
	in := newInput(t, fmt.Sprintf(`path => %q`, path), Env{Shared: NewShared()})
	batches, stop := run(t, in, data)
	first := next(t, batches)
	appendTo(t, path, "b\n")
	second := next(t, batches)
	if got := append(messages(first), messages(second)...); strings.Join(got, ",") != "a,b" {
		t.Fatalf("batches hold %q; want a then b", got)
	}
	second.Ack()
	stop()
	if off := savedOffset(t, data, path); off != 0 {
		t.Errorf("offset saved with only the second batch acknowledged = %d; want 0", off)
	}
	in = newInput(t, fmt.Sprintf(`path => %q`, path), Env{Shared: NewShared()})
	batches, stop = run(t, in, data)
	b := next(t, batches)
	if got := strings.Join(messages(b), ","); got != "a,b" {
		t.Fatalf("after a restart read %q; want a,b again (nothing was saved)", got)
	}
	b.Ack()
	stopAndCheckOffset(t, data, path, 4, stop)
}

// TestLinesACodecHoldsAreReadAgainAfterARestart: the offset saved is
// where the multiline codec's held lines start, so after a restart they
// are read again and joined with what follows, never lost; the event
// flushed at shutdown is sent but, unacknowledged, saves nothing.
func TestLinesACodecHoldsAreReadAgainAfterARestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "a\n b\nc\n")
	start := func() (<-chan event.Batch, func()) {
		return run(t, newInput(t, fmt.Sprintf(`path => %q codec => multiline { pattern => "^\\s" what => previous }`, path),
			Env{Shared: NewShared()}), data)
	}
	batches, stop := start()
	b := next(t, batches)
	if got := strings.Join(messages(b), ","); got != "a\n b" {
		t.Fatalf("events %q; want \"a\\n b\" (c held)", got)
	}
	b.Ack()
	stopAndCheckOffset(t, data, path, int64(len("a\n b\n")), stop)
	appendTo(t, path, " d\ne\n")
	batches, _ = start()
	b = next(t, batches)
	if got := strings.Join(messages(b), ","); got != "c\n d" {
		t.Fatalf("after a restart events %q; want \"c\\n d\"", got)
	}
	b.Ack()
}

// TestMultilineEventOfARotatedFileEndsWithIt: the event a multiline codec
// holds at the end of a file rotated away comes out when the new file at
// its path starts, as it would in Logstash, whose codecs are per path.
func TestMultilineEventOfARotatedFileEndsWithIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "x\na\n b\n")
	in := newInput(t, fmt.Sprintf(`path => %q codec => multiline { pattern => "^\\s" what => previous }`, path), Env{Shared: NewShared()})
	batches, _ := run(t, in, filepath.Join(dir, "data"))
	// x comes out once the chunk of all three lines is decoded: a and b
	// are held when the file is rotated.
	b := next(t, batches)
	if got := strings.Join(messages(b), ","); got != "x" {
		t.Fatalf("events %q; want x", got)
	}
	b.Ack()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "c\n")
	b = next(t, batches)
	defer b.Ack()
	if got := strings.Join(messages(b), ","); got != "a\n b" {
		t.Errorf("events %q; want the rotated file's last event, \"a\\n b\"", got)
	}
}

// javaTrace is the stack trace of the multiline codec's documentation.
const javaTrace = `Exception in thread "main" java.lang.NullPointerException
        at com.example.myproject.Book.getTitle(Book.java:16)
        at com.example.myproject.Author.getBookTitles(Author.java:25)
        at com.example.myproject.Bootstrap.main(Bootstrap.java:14)
`

// TestMultilineJavaStackTraces follows the multiline codec's documented
// example (pattern "^\s", what => previous) on a file: each trace is one
// event tagged multiline; the last one, which no line follows, comes with
// auto_flush_interval, and its acknowledgement saves the file's end.
func TestMultilineJavaStackTraces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, javaTrace+"INFO started\n"+javaTrace)
	in := newInput(t, fmt.Sprintf(`path => %q codec => multiline { pattern => "^\\s" what => "previous" auto_flush_interval => 0.2 }`, path),
		Env{Shared: NewShared(), Host: "box"})
	batches, stop := run(t, in, data)
	var got []event.Event
	for len(got) < 3 {
		b := next(t, batches)
		for i := range b.Events {
			got = append(got, cloneEvent(&b.Events[i]))
		}
		b.Ack()
	}
	trace := strings.TrimSuffix(javaTrace, "\n")
	wantMsgs := []string{trace, "INFO started", trace}
	for i, e := range got {
		msg, _ := e.Get("message")
		if msg.Str() != wantMsgs[i] {
			t.Errorf("event %d message %q; want %q", i, msg.Str(), wantMsgs[i])
		}
		if multi := wantMsgs[i] == trace; e.HasTag("multiline") != multi {
			t.Errorf("event %d tagged multiline: %v; want %v", i, e.HasTag("multiline"), multi)
		}
		if p, _ := e.Get("path"); p.Str() != path {
			t.Errorf("event %d path %q; want %q", i, p.Str(), path)
		}
	}
	size := int64(len(javaTrace + "INFO started\n" + javaTrace))
	stopAndCheckOffset(t, data, path, size, stop)
}

// TestJSONCodec: each line is a JSON document (the json codec on the file
// input): its fields are the event's, a path or host it has is kept
// ([@metadata] has the file's), an array makes an event per object, a
// blank line none, and what is not JSON is the message, tagged.
func TestJSONCodec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path := filepath.Join(dir, "app.json")
	text := `{"a":1,"host":"elsewhere","path":"/other","@timestamp":"2017-07-19T15:34:57.884Z"}` + "\n\n" +
		"not json\n" + `[{"b":1},{"b":2}]` + "\n"
	appendTo(t, path, text)
	in := newInput(t, fmt.Sprintf(`path => %q codec => json type => "j"`, path), Env{Shared: NewShared(), Host: "box"})
	batches, stop := run(t, in, data)
	var got []string
	var meta []string
	for len(got) < 4 {
		b := next(t, batches)
		for i := range b.Events {
			e := &b.Events[i]
			got = append(got, fieldsJSON(e))
			meta = append(meta, fmt.Sprint(e.Metadata))
		}
		b.Ack()
	}
	now := `"@timestamp":"` // the codec's clock: compared up to here
	want := []string{
		`{"a":1,"host":"elsewhere","path":"/other","@timestamp":"2017-07-19T15:34:57.884Z","@version":"1","type":"j"}`,
		`{"message":"not json","tags":["_jsonparsefailure"],"@version":"1",` + now,
		`{"b":1,"@version":"1",` + now,
		`{"b":2,"@version":"1",` + now,
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("event %d = %s;\nwant %s…", i, got[i], want[i])
		}
		if i > 0 && !strings.HasSuffix(got[i], `"path":"`+path+`","host":"box","type":"j"}`) {
			t.Errorf("event %d = %s; want path, host and type added", i, got[i])
		}
		if wantMeta := fmt.Sprint([]event.Field{{Key: "path", Value: event.String(path)}, {Key: "host", Value: event.String("box")}}); meta[i] != wantMeta {
			t.Errorf("event %d [@metadata] = %s; want %s", i, meta[i], wantMeta)
		}
	}
	stopAndCheckOffset(t, data, path, int64(len(text)), stop)
}

// TestCharset: a codec of another charset gets the file's bytes.
func TestCharset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "latin1.log")
	appendTo(t, path, "caf\xe9\n")
	in := newInput(t, fmt.Sprintf(`path => %q codec => plain { charset => "ISO-8859-1" }`, path), Env{Shared: NewShared()})
	batches, _ := run(t, in, filepath.Join(dir, "data"))
	b := next(t, batches)
	defer b.Ack()
	if got := messages(b); len(got) != 1 || got[0] != "café" {
		t.Errorf("messages %q; want [café]", got)
	}
}

// cloneEvent copies e's fields out of the batch's memory.
func cloneEvent(e *event.Event) event.Event {
	c := event.Event{Fields: slices.Clone(e.Fields), Metadata: slices.Clone(e.Metadata)}
	for i := range c.Fields {
		if v := c.Fields[i].Value; v.Kind() == event.StringKind {
			c.Fields[i].Value = event.String(strings.Clone(v.Str()))
		}
	}
	return c
}

func appendTo(tb testing.TB, path, s string) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		tb.Fatal(err)
	}
}

// savedOffset reads path's offset from the registry saved in data.
func savedOffset(tb testing.TB, data, path string) int64 {
	tb.Helper()
	reg, err := registry.Open(data, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	defer reg.Stop()
	for _, e := range reg.All() {
		if e.Path == path {
			return e.Offset
		}
	}
	tb.Fatalf("registry has no entry for %s", path)
	return 0
}

// stopAndCheckOffset stops the input and its registry, which saves what
// the acknowledgements put, and checks the saved offset.
func stopAndCheckOffset(tb testing.TB, data, path string, want int64, stop func()) {
	tb.Helper()
	stop()
	if got := savedOffset(tb, data, path); got != want {
		tb.Errorf("saved offset %d; want %d", got, want)
	}
}
