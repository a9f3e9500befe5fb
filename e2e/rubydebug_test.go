//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Event is one event logship printed with the rubydebug codec: its
// top-level fields, strings unquoted, other values (timestamps, numbers,
// nested hashes) as printed.
type Event struct {
	Fields map[string]string
	// Seen is when the test read the event's last line (FollowEvents only).
	Seen time.Time
}

// Message is the event's "message" field.
func (e Event) Message() string { return e.Fields["message"] }

// Path is the event's "path" field: the file it was read from.
func (e Event) Path() string { return e.Fields["path"] }

// rubydebugParser turns the lines of logship's output into events. Lines
// outside an event (logship's own diagnostics, which share the container's
// log) are skipped. An event starts with a line "{" and ends with "}".
type rubydebugParser struct {
	in     bool
	fields map[string]string
	key    string // field whose multi-line value is being read
	raw    []string
	depth  int
}

// Feed takes one line and returns an event when the line completes one.
func (p *rubydebugParser) Feed(line string) (Event, bool) {
	line = strings.TrimRight(line, "\r")
	switch {
	case !p.in:
		if line == "{" {
			p.in, p.fields = true, map[string]string{}
		}
		return Event{}, false
	case p.key != "":
		p.raw = append(p.raw, line)
		p.depth += bracketDepth(line)
		if p.depth <= 0 {
			p.fields[p.key] = strings.Join(p.raw, "\n")
			p.key, p.raw = "", nil
		}
		return Event{}, false
	case line == "}":
		ev := Event{Fields: p.fields}
		p.in, p.fields = false, nil
		return ev, true
	}
	key, value, ok := splitField(line)
	if !ok {
		// Not a field line: the event was cut (a restart); start over.
		p.in, p.fields = line == "{", map[string]string{}
		return Event{}, false
	}
	if d := bracketDepth(value); d > 0 {
		p.key, p.raw, p.depth = key, []string{value}, d
		return Event{}, false
	}
	p.fields[key] = unquoteRuby(value)
	return Event{}, false
}

// splitField splits `    "key" => value`.
func splitField(line string) (key, value string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if !strings.HasPrefix(t, `"`) {
		return "", "", false
	}
	end := strings.Index(t, `" => `)
	if end < 0 {
		return "", "", false
	}
	return unquoteRuby(t[:end+1]), strings.TrimSuffix(t[end+len(`" => `):], ","), true
}

// bracketDepth counts the brackets a line opens minus those it closes,
// outside strings.
func bracketDepth(s string) int {
	d, inStr := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '{' || c == '['):
			d++
		case !inStr && (c == '}' || c == ']'):
			d--
		}
	}
	return d
}

// unquoteRuby undoes Ruby's String#inspect (what rubydebug prints); a value
// that is not a quoted string is returned as it is.
func unquoteRuby(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch c := v[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'u', 'x':
			n := 4
			if c == 'x' {
				n = 2
			}
			if i+1+n <= len(v) {
				if r, err := strconv.ParseUint(v[i+1:i+1+n], 16, 32); err == nil {
					if c == 'x' {
						b.WriteByte(byte(r))
					} else {
						b.WriteRune(rune(r))
					}
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(c)
		default: // \" \\ \# and anything else: the character itself
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ParseRubydebug parses every complete event in text.
func ParseRubydebug(text string) []Event {
	var p rubydebugParser
	var evs []Event
	for _, line := range strings.Split(text, "\n") {
		if ev, ok := p.Feed(line); ok {
			evs = append(evs, ev)
		}
	}
	return evs
}

// Events parses logship's output so far, read the way a user reads it:
// `compose logs logship`.
func (s *Stack) Events(tb testing.TB) []Event {
	tb.Helper()
	out := s.MustCompose(tb, "logs", "--no-color", "--no-log-prefix", "logship")
	return ParseRubydebug(out)
}

// EventStream follows logship's output as it is printed (docker logs -f),
// timestamping each event as it arrives.
type EventStream struct {
	mu     sync.Mutex
	events []Event
	added  chan struct{} // closed and replaced on every new event
}

// FollowEvents follows the events logship prints from now on, until the
// test ends. It follows the container, so it ends when logship's
// container stops; call it again after a restart.
func (s *Stack) FollowEvents(tb testing.TB) *EventStream {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "docker", "logs", "-f", "--since", time.Now().Add(-time.Second).Format(time.RFC3339Nano), s.Container(tb, "logship"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = nil // logship's diagnostics: not events
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	es := &EventStream{added: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var p rubydebugParser
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			if ev, ok := p.Feed(sc.Text()); ok {
				ev.Seen = time.Now()
				es.mu.Lock()
				es.events = append(es.events, ev)
				close(es.added)
				es.added = make(chan struct{})
				es.mu.Unlock()
			}
		}
	}()
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		<-done
	})
	return es
}

// WaitFor returns the first event for which match is true, waiting at most
// timeout for it to arrive.
func (es *EventStream) WaitFor(timeout time.Duration, match func(Event) bool) (Event, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for i := 0; ; {
		es.mu.Lock()
		for ; i < len(es.events); i++ {
			if match(es.events[i]) {
				ev := es.events[i]
				es.mu.Unlock()
				return ev, nil
			}
		}
		added := es.added
		es.mu.Unlock()
		select {
		case <-added:
		case <-deadline.C:
			return Event{}, fmt.Errorf("no matching event within %s (%d events seen)", timeout, i)
		}
	}
}

func TestParseRubydebug(t *testing.T) {
	t.Parallel()
	sample := "{\"time\":\"2026-01-01T00:00:00Z\",\"level\":\"INFO\",\"msg\":\"started\"}\n" +
		"{\n" +
		"          \"path\" => \"/var/log/nodeapp/nodeapp.log\",\n" +
		"    \"@timestamp\" => 2017-07-19T15:34:57.884Z,\n" +
		"      \"@version\" => \"1\",\n" +
		"          \"host\" => \"0b4555ee8df3\",\n" +
		"       \"message\" => \"::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] \\\"GET / HTTP/1.1\\\" 200 20 \\\"-\\\" \\\"Mozilla\\\\5.0 \\#{x} \\e[0m \\u00e9\\\"\",\n" +
		"          \"type\" => \"syslog\"\n" +
		"}\n" +
		"{\n" +
		"    \"tags\" => [\n" +
		"        [0] \"a}\",\n" +
		"        [1] \"b\"\n" +
		"    ],\n" +
		"    \"message\" => \"second\"\n" +
		"}\n" +
		"{\n" +
		"    \"message\" => \"cut short by a restart\",\n"
	evs := ParseRubydebug(sample)
	if len(evs) != 2 {
		t.Fatalf("ParseRubydebug found %d events, want 2: %+v", len(evs), evs)
	}
	tests := []struct {
		name      string
		ev        Event
		key, want string
	}{
		{"a quoted string loses its quotes", evs[0], "path", "/var/log/nodeapp/nodeapp.log"},
		{"a timestamp stays as printed", evs[0], "@timestamp", "2017-07-19T15:34:57.884Z"},
		{"escapes are undone", evs[0], "message", "::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] \"GET / HTTP/1.1\" 200 20 \"-\" \"Mozilla\\5.0 #{x} \x1b[0m é\""},
		{"the last field has no comma", evs[0], "type", "syslog"},
		{"a nested array is kept whole", evs[1], "tags", "[\n        [0] \"a}\",\n        [1] \"b\"\n    ],"},
		{"a field after a nested one is read", evs[1], "message", "second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.Fields[tt.key]; got != tt.want {
				t.Errorf("field %q = %q; want %q", tt.key, got, tt.want)
			}
		})
	}
}
