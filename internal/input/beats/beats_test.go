package beats

import (
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	lumber "github.com/elastic/go-lumber/client/v2"

	"github.com/appstack/appstack/internal/input/inputtest"
	"github.com/appstack/appstack/internal/plugin"
)

// start runs the beats input of block on a free port of 127.0.0.1 and
// returns its address and the sink of its events.
func start(t *testing.T, block string) (string, *inputtest.Sink) {
	t.Helper()
	in := inputtest.Build(t, block, func(o *plugin.Options) *Input { return New(o, Env{Now: inputtest.Clock}) })
	in.addr = "127.0.0.1:0"
	in.ready = make(chan net.Addr, 1)
	sink := inputtest.NewSink(t)
	return inputtest.Listen(t, in.Run, in.ready, sink.C).String(), sink
}

// filebeat is an event as Filebeat 5 sends it.
func filebeat(msg string, offset int) map[string]any {
	return map[string]any{
		"@timestamp": "2017-07-19T10:00:00.123Z",
		"@metadata":  map[string]any{"beat": "filebeat", "type": "log"},
		"beat":       map[string]any{"hostname": "web-1", "name": "web-1", "version": "5.6.16"},
		"input_type": "log",
		"message":    msg,
		"offset":     offset,
		"source":     "/var/log/app.log",
		"type":       "log",
	}
}

func batch(events ...map[string]any) []any {
	out := make([]any, len(events))
	for i, e := range events {
		out[i] = e
	}
	return out
}

func asJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

// TestFilebeatEvent sends a Filebeat event with a real Lumberjack v2
// client and checks the event as Logstash 5's beats input builds it.
func TestFilebeatEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		sent        map[string]any
		want        map[string]any
	}{
		{"codec plain", `beats { port => 5044 }`, filebeat("GET /index.html 200", 42), map[string]any{
			"message": "GET /index.html 200", "@version": "1", "@timestamp": "2017-07-19T10:00:00.123Z",
			"beat":       map[string]any{"hostname": "web-1", "name": "web-1", "version": "5.6.16"},
			"input_type": "log", "offset": 42, "source": "/var/log/app.log", "type": "log", "host": "web-1",
			"tags":      []any{"beats_input_codec_plain_applied"},
			"@metadata": map[string]any{"beat": "filebeat", "type": "log"},
		}},
		{"codec json decodes the message", `beats { port => 5044 codec => json type => "ignored" add_field => { "via" => "beats" } }`,
			filebeat(`{"user":"alice","n":1}`, 7), map[string]any{
				"user": "alice", "n": 1, "@version": "1", "@timestamp": "2017-07-19T10:00:00.123Z",
				"beat":       map[string]any{"hostname": "web-1", "name": "web-1", "version": "5.6.16"},
				"input_type": "log", "offset": 7, "source": "/var/log/app.log", "type": "log", "host": "web-1", "via": "beats",
				"tags":      []any{"beats_input_codec_json_applied"},
				"@metadata": map[string]any{"beat": "filebeat", "type": "log"},
			}},
		{"no message: the fields are the event", `beats { port => 5044 }`,
			map[string]any{"@timestamp": "2017-07-19T10:00:00.123Z", "beat": map[string]any{"hostname": "db-2"}, "metric": 3.5},
			map[string]any{"@timestamp": "2017-07-19T10:00:00.123Z", "@version": "1", "beat": map[string]any{"hostname": "db-2"},
				"metric": 3.5, "host": "db-2", "tags": []any{"beats_input_raw_event"}}},
		{"include_codec_tag => false", `beats { port => 5044 include_codec_tag => false }`,
			map[string]any{"message": "m", "host": "given"},
			map[string]any{"message": "m", "@version": "1", "@timestamp": "2017-07-19T15:34:57.884Z", "host": "given"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, sink := start(t, tt.block)
			c, err := lumber.SyncDial(addr, lumber.Timeout(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if n, err := c.Send(batch(tt.sent)); err != nil || n != 1 {
				t.Fatalf("Send = %d, %v; want 1 acknowledged", n, err)
			}
			got := sink.WaitN(t, 1)[0]
			if want := asJSON(tt.want); !reflect.DeepEqual(asJSON(got), want) {
				t.Errorf("event\n%v\nwant\n%v", asJSON(got), want)
			}
		})
	}
}

// TestACKWaitsForTheBatch: the client's window is acknowledged only when
// the pipeline acknowledges the batch.
func TestACKWaitsForTheBatch(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `beats { port => 5044 }`)
	sink.Hold()
	c, err := lumber.Dial(addr, lumber.Timeout(30*time.Second), lumber.CompressionLevel(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var events []map[string]any
	for i := range 100 {
		events = append(events, filebeat(fmt.Sprintf("line %d", i), i))
	}
	if err := c.Send(batch(events...)); err != nil {
		t.Fatal(err)
	}
	acked := make(chan error, 1)
	go func() {
		_, err := c.AwaitACK(100)
		acked <- err
	}()
	sink.WaitN(t, 100)
	// A round trip on another connection: the first window is still held.
	other, err := lumber.SyncDial(addr, lumber.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sendDone := make(chan error, 1)
	go func() { _, err := other.Send(batch(filebeat("other", 0))); sendDone <- err }()
	sink.WaitN(t, 101)
	select {
	case err := <-acked:
		t.Fatalf("the window was acknowledged (%v) before the pipeline acknowledged its batch", err)
	default:
	}
	sink.Release()
	select {
	case err := <-acked:
		if err != nil {
			t.Fatalf("AwaitACK = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ACK after the batch was acknowledged")
	}
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
}

// TestFrameOverTheLimit: a client announcing a frame over max_frame_bytes
// is disconnected before anything is allocated for it; others go on.
func TestFrameOverTheLimit(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `beats { port => 5044 max_frame_bytes => 4096 }`)
	big, err := lumber.SyncDial(addr, lumber.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if _, err := big.Send(batch(filebeat(strings.Repeat("x", 10000), 0))); err == nil {
		t.Fatal("a frame over max_frame_bytes was accepted")
	}
	small, err := lumber.SyncDial(addr, lumber.Timeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.Send(batch(filebeat("fits", 1))); err != nil {
		t.Fatal(err)
	}
	if evs := sink.WaitN(t, 1); len(evs) != 1 || evs[0]["message"] != "fits" {
		t.Fatalf("events %s; want only the one that fits", inputtest.Show(evs))
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ block, want string }{
		{`beats { }`, `missing required option "port"`},
		{`beats { port => 5044 codec => multiline { pattern => "x" what => "next" } }`, `the multiline codec is not supported on the beats input`},
		{`beats { port => 5044 codec => line }`, `codec "line" is not supported by the beats input (supported: plain, json)`},
		{`beats { port => 5044 ssl => true }`, `ssl => true needs ssl_certificate and ssl_key`},
		{`beats { port => 5044 ssl => true ssl_certificate => "/nonexistent.crt" ssl_key => "/nonexistent.key" }`, `open /nonexistent.crt`},
	} {
		inputtest.Refused(t, tt.block, func(o *plugin.Options) *Input { return New(o, Env{}) }, tt.want)
	}
}
