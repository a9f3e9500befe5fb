package udp

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/input/inputtest"
	"github.com/appstack/appstack/internal/plugin"
)

// start runs the udp input of block on a free port of 127.0.0.1 and
// returns a client socket connected to it.
func start(t *testing.T, block string, out chan event.Batch) net.Conn {
	t.Helper()
	in := inputtest.Build(t, block, func(o *plugin.Options) *Input { return New(o, Env{Now: inputtest.Clock}) })
	in.addr = "127.0.0.1:0"
	in.ready = make(chan net.Addr, 1)
	addr := inputtest.Listen(t, in.Run, in.ready, out)
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c net.Conn, payload string) {
	t.Helper()
	if _, err := c.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
}

func TestDatagrams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		sent        []string
		want        []string // messages, in order
		check       func(t *testing.T, evs []map[string]any)
	}{
		{"plain: a datagram is an event", `udp { port => 1 type => "syslog" }`,
			[]string{"<13>hello\nsecond line"}, []string{"<13>hello\nsecond line"},
			func(t *testing.T, evs []map[string]any) {
				if evs[0]["host"] != "127.0.0.1" || evs[0]["type"] != "syslog" {
					t.Errorf("event %v; want host 127.0.0.1, type syslog", evs[0])
				}
			}},
		{"line: lines of a datagram, the last one flushed", `udp { port => 1 codec => line }`,
			[]string{"a\nb\nc"}, []string{"a", "b", "c"}, nil},
		{"json: a document per datagram", `udp { port => 1 codec => json }`,
			[]string{`{"message":"one","host":"sender"}`, `{"message":`}, []string{"one", `{"message":`},
			func(t *testing.T, evs []map[string]any) {
				if evs[0]["host"] != "sender" {
					t.Errorf("host %v; want the document's own", evs[0]["host"])
				}
				if tags, _ := evs[1]["tags"].([]any); !slices.Contains(tags, any("_jsonparsefailure")) {
					t.Errorf("invalid JSON has tags %v; want _jsonparsefailure", tags)
				}
			}},
		{"source_ip_fieldname", `udp { port => 1 source_ip_fieldname => "[client][ip]" }`,
			[]string{"x"}, []string{"x"},
			func(t *testing.T, evs []map[string]any) {
				if c, _ := evs[0]["client"].(map[string]any); c["ip"] != "127.0.0.1" || evs[0]["host"] != nil {
					t.Errorf("event %v; want [client][ip] 127.0.0.1 and no host", evs[0])
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sink := inputtest.NewSink(t)
			c := start(t, tt.block, sink.C)
			for _, p := range tt.sent {
				// One at a time: the order of events is the order sent.
				n := len(sink.Events())
				send(t, c, p)
				sink.WaitN(t, n+1)
			}
			evs := sink.WaitN(t, len(tt.want))
			if got := inputtest.Messages(evs); !slices.Equal(got, tt.want) {
				t.Fatalf("messages %q; want %q", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, evs)
			}
		})
	}
}

func TestManyDatagrams(t *testing.T) {
	t.Parallel()
	sink := inputtest.NewSink(t)
	c := start(t, `udp { port => 1 workers => 4 queue_size => 10 }`, sink.C)
	want := map[string]bool{}
	for i := range 200 {
		msg := fmt.Sprintf("datagram %d", i)
		want[msg] = true
		send(t, c, msg)
	}
	sink.Wait(t, 10*time.Second, "200 datagrams", func(evs []map[string]any) bool {
		n := 0
		for _, m := range inputtest.Messages(evs) {
			if want[m] {
				n++
			}
		}
		return n == len(want)
	})
}

// TestBounded: while the pipeline takes nothing, the input holds at most
// its queue; what overflows the socket's buffer is dropped by the kernel,
// not kept in memory.
func TestBounded(t *testing.T) {
	t.Parallel()
	out := make(chan event.Batch) // nobody takes batches yet
	c := start(t, `udp { port => 1 workers => 1 queue_size => 4 receive_buffer_bytes => 65536 }`, out)
	payload := strings.Repeat("z", 1000)
	const sent = 5000 // 5 MB: far more than the queue and the socket buffer
	for range sent {
		send(t, c, payload)
	}
	got := 0
	for {
		// Resume taking batches; a marker sent now shows when all that
		// was kept has come through.
		send(t, c, "marker")
		b := <-out
		marker := false
		for i := range b.Events {
			if v, _ := b.Events[i].Get("message"); v.Str() == "marker" {
				marker = true
			} else {
				got++
			}
		}
		b.Ack()
		if marker {
			break
		}
	}
	if got >= sent {
		t.Fatalf("all %d datagrams were kept while nothing was taken: unbounded", sent)
	}
	t.Logf("kept %d of %d datagrams sent while the pipeline was stalled", got, sent)
	go func() {
		for b := range out {
			b.Ack()
		}
	}()
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ block, want string }{
		{`udp { }`, `missing required option "port"`},
		{`udp { port => 1 buffer_size => 100000 }`, `option "buffer_size": want an integer from 1 to 65536`},
		{`udp { port => 1 source_ip_fieldname => "[a" }`, `option "source_ip_fieldname"`},
		{`udp { port => 1 codec => rubydebug }`, `codec "rubydebug" is an output codec`},
	} {
		inputtest.Refused(t, tt.block, func(o *plugin.Options) *Input { return New(o, Env{}) }, tt.want)
	}
}
