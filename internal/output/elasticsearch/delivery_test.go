package elasticsearch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/event"
)

func counterValue(tb testing.TB, c prometheus.Counter) float64 {
	tb.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func messages(docs []indexed) string {
	var out []string
	for _, d := range docs {
		out = append(out, fmt.Sprint(d.Doc["message"]))
	}
	return strings.Join(out, " ")
}

type deadRecord struct {
	Status int
	Index  string
	Error  any
	Event  map[string]any
}

func readDead(tb testing.TB, path string) []deadRecord {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("dead-letter file: %v", err)
	}
	var out []deadRecord
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r deadRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("dead-letter line %q: %v", sc.Bytes(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestActionDocumentIDIndexAndParameters(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	o, _ := newOutput(t, srv, func(c *Config) {
		c.Hosts = []string{srv.URL + "/insert/elasticsearch?_msg_field=message"}
		c.Parameters = url.Values{"_time_field": {"@timestamp"}}
		c.Action = "create"
		c.DocumentID = "%{type}-%{message}"
		c.Index = "logs-%{+YYYY.MM}"
	})
	defer o.Close()
	if err := o.Write(context.Background(), events("a", "b")); err != nil {
		t.Fatal(err)
	}
	got := f.indexed()
	if len(got) != 2 {
		t.Fatalf("indexed %v; want 2 documents", got)
	}
	for i, d := range got {
		wantID := "syslog-" + []string{"a", "b"}[i]
		if d.Action != "create" || d.ID != wantID || d.Index != "logs-2017.07" {
			t.Errorf("document %d: action %q, _id %q, _index %q; want create, %q, logs-2017.07", i, d.Action, d.ID, d.Index, wantID)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := "_msg_field=message&_time_field=%40timestamp"; len(f.queries) != 1 || f.queries[0] != want {
		t.Errorf("request queries %q; want one with %q", f.queries, want)
	}
}

func TestTooLargeRequestsAreHalvedAndOneTooLargeDocumentIsDeadLettered(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	// The store takes at most 2 documents a request, and never "huge".
	f.whole = func(_ int, docs []map[string]any) (int, string) {
		for _, d := range docs {
			if len(docs) > 2 || d["message"] == "huge" {
				return 413, "Request Entity Too Large"
			}
		}
		return 0, ""
	}
	deadCount := prometheus.NewCounter(prometheus.CounterOpts{Name: "dead"})
	o, dead := newOutput(t, srv, func(c *Config) { c.FlushSize = 7; c.DeadLetters = deadCount })
	defer o.Close()
	if err := o.Write(context.Background(), events("1", "2", "3", "huge", "5", "6", "7", "8", "9")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if got, want := messages(f.indexed()), "1 2 3 5 6 7 8 9"; got != want {
		t.Errorf("indexed %q; want %q, in order, once each", got, want)
	}
	recs := readDead(t, dead)
	if len(recs) != 1 || recs[0].Event["message"] != "huge" || recs[0].Status != 413 {
		t.Errorf("dead letters %+v; want the huge document, status 413", recs)
	}
	if n := counterValue(t, deadCount); n != 1 {
		t.Errorf("dead-letter counter = %v; want 1", n)
	}
}

func TestRequestsRejectedForGoodAreDeadLetteredWithTheReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, wantReason string
		status                 int
	}{
		{"an empty 200, as VictoriaLogs answers a wrong path", "", "unreadable _bulk answer", 200},
		{"a 400", "cannot parse timestamp", "cannot parse timestamp", 400},
		{"a 404", "unsupported path requested", "404 Not Found: unsupported path requested", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFakeES(t)
			f.whole = func(int, []map[string]any) (int, string) { return tt.status, tt.body }
			deadCount := prometheus.NewCounter(prometheus.CounterOpts{Name: "dead"})
			o, dead := newOutput(t, srv, func(c *Config) { c.DeadLetters = deadCount })
			if err := o.Write(context.Background(), events("x", "y", "z")); err != nil {
				t.Fatalf("Write = %v; want nil: the documents are set aside, not retried forever", err)
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			reqs := f.requests
			f.mu.Unlock()
			if reqs != 1 {
				t.Errorf("%d requests; want 1: an answer that will not change is not asked again", reqs)
			}
			recs := readDead(t, dead)
			if len(recs) != 3 {
				t.Fatalf("dead letters %+v; want 3", recs)
			}
			for i, r := range recs {
				reason, _ := r.Error.(string)
				if r.Status != tt.status || !strings.Contains(reason, tt.wantReason) || r.Event["message"] != []string{"x", "y", "z"}[i] {
					t.Errorf("dead letter %d = %+v; want status %d, a reason containing %q", i, r, tt.status, tt.wantReason)
				}
			}
			if n := counterValue(t, deadCount); n != 3 {
				t.Errorf("dead-letter counter = %v; want 3", n)
			}
		})
	}
}

// TestOnceSomethingIsStoredTheRestIsRetriedInsideWrite: if Write returned
// an error after the first request was stored, the pipeline would send
// that request's documents again.
func TestOnceSomethingIsStoredTheRestIsRetriedInsideWrite(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.whole = func(req int, _ []map[string]any) (int, string) {
		if req == 2 || req == 3 {
			return 503, "unavailable"
		}
		return 0, ""
	}
	retries := prometheus.NewCounter(prometheus.CounterOpts{Name: "retries"})
	o, dead := newOutput(t, srv, func(c *Config) { c.FlushSize = 2; c.Retries = retries })
	defer o.Close()
	if err := o.Write(context.Background(), events("1", "2", "3", "4", "5")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if got, want := messages(f.indexed()), "1 2 3 4 5"; got != want {
		t.Errorf("indexed %q; want %q, once each", got, want)
	}
	if n := counterValue(t, retries); n != 4 {
		t.Errorf("retries counter = %v; want 4 (2 documents sent again twice)", n)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead-letter file exists (%v); want none", err)
	}
}

func TestRequestsStayUnderMaxBytes(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	o, _ := newOutput(t, srv, func(c *Config) { c.FlushSize, c.MaxBytes = 500, 20<<10 })
	defer o.Close()
	big := strings.Repeat("x", 1<<10)
	msgs := make([]string, 30)
	for i := range msgs {
		msgs[i] = fmt.Sprint(i) + big
	}
	if err := o.Write(context.Background(), events(msgs...)); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	reqs := f.requests
	f.mu.Unlock()
	// A document is about 1.2 KiB: 17 cross 20 KiB, the other 13 follow.
	if n := len(f.indexed()); n != 30 || reqs != 2 {
		t.Errorf("indexed %d documents in %d requests; want 30 in 2 (a request ends past 20 KiB)", n, reqs)
	}
}

func TestPasswordFile(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.user, f.password = "appstack", "s3cret"
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o, _ := newOutput(t, srv, func(c *Config) { c.User, c.PasswordFile = "appstack", write("pw", "s3cret\n") })
	defer o.Close()
	if err := o.Write(context.Background(), events("x")); err != nil {
		t.Errorf("Write with password_file = %v", err)
	}
	for _, tt := range []struct{ name, file, wantErr string }{
		{"a missing file", filepath.Join(dir, "missing"), "password_file"},
		{"an empty file", write("empty", "\n"), "is empty"},
	} {
		_, err := FromConfig(Config{Hosts: []string{srv.URL}, DeadLetterPath: filepath.Join(dir, "dead"), PasswordFile: tt.file})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New with %s = %v; want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

// TestIndexNamesFollowEachEventsDate: the name is reused only for events
// of the same timestamp.
func TestIndexNamesFollowEachEventsDate(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	o, _ := newOutput(t, srv, func(c *Config) { c.Index = "logs-%{+YYYY.MM.dd}" })
	defer o.Close()
	evs := events("a", "b", "c", "d")
	for i, day := range []int{19, 19, 20, 19} {
		evs[i].Set("@timestamp", event.Time(time.Date(2017, 7, day, 23, 59, 59, 0, time.UTC)))
	}
	if err := o.Write(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range f.indexed() {
		got = append(got, d.Index)
	}
	if want := "logs-2017.07.19 logs-2017.07.19 logs-2017.07.20 logs-2017.07.19"; strings.Join(got, " ") != want {
		t.Errorf("indexes %q; want %s", got, want)
	}
}
