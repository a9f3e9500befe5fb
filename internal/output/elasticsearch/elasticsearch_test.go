package elasticsearch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
)

func newOutput(tb testing.TB, srv *httptest.Server, mod func(*Config)) (*Output, string) {
	tb.Helper()
	dead := filepath.Join(tb.TempDir(), "dead", "es.ndjson")
	cfg := Config{Hosts: []string{srv.URL}, DeadLetterPath: dead, RetryInitial: time.Millisecond, RetryMax: 4 * time.Millisecond, FlushSize: 40}
	if mod != nil {
		mod(&cfg)
	}
	o, err := FromConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return o, dead
}

func TestConformance(t *testing.T) {
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		f, srv := newFakeES(t)
		o, _ := newOutput(t, srv, nil)
		return o, func() []map[string]any {
			var out []map[string]any
			for _, d := range f.indexed() {
				out = append(out, d.Doc)
			}
			return out
		}
	}})
}

var ts = time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)

func events(msgs ...string) []event.Event {
	d := &outputtest.Decoration{Type: "syslog"}
	out := make([]event.Event, len(msgs))
	for i, m := range msgs {
		out[i] = outputtest.Event(d, m, "/p", ts)
	}
	return out
}

func TestIndexNameUsesTheEventsTimestamp(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	o, _ := newOutput(t, srv, func(c *Config) { c.Index = "app-%{type}-%{+YYYY.MM.dd}" })
	defer o.Close()
	if err := o.Write(context.Background(), events("a")); err != nil {
		t.Fatal(err)
	}
	if got := f.indexed(); len(got) != 1 || got[0].Index != "app-syslog-2017.07.19" {
		t.Errorf("indexed %v; want one document in app-syslog-2017.07.19", got)
	}
}

func TestRetriesOnlyTheItemsAnswered429Or5xx(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.status = func(doc map[string]any, seen int) int {
		switch {
		case doc["message"] == "busy" && seen < 3:
			return 429
		case doc["message"] == "broken" && seen < 2:
			return 503
		}
		return 0
	}
	o, _ := newOutput(t, srv, nil)
	defer o.Close()
	if err := o.Write(context.Background(), events("ok1", "busy", "broken", "ok2")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	var got []string
	for _, d := range f.indexed() {
		got = append(got, d.Doc["message"].(string))
	}
	if want := "ok1 ok2 broken busy"; strings.Join(got, " ") != want {
		t.Errorf("indexed %v; want each document once: %s", got, want)
	}
}

// TestItemsWithoutAStatusAreRetriedAndCounted: an item answer without a
// status is not a success (nor a rejection): the document is retried, and
// every document retried shows in the retries counter.
func TestItemsWithoutAStatusAreRetriedAndCounted(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.status = func(doc map[string]any, seen int) int {
		switch {
		case doc["message"] == "lost" && seen < 3:
			return -1
		case doc["message"] == "busy" && seen < 2:
			return 429
		}
		return 0
	}
	retries := prometheus.NewCounter(prometheus.CounterOpts{Name: "retries"})
	o, dead := newOutput(t, srv, func(c *Config) { c.Retries = retries })
	defer o.Close()
	if err := o.Write(context.Background(), events("ok", "lost", "busy")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	var got []string
	for _, d := range f.indexed() {
		got = append(got, d.Doc["message"].(string))
	}
	if want := "ok busy lost"; strings.Join(got, " ") != want {
		t.Errorf("indexed %v; want each document once: %s", got, want)
	}
	// Round 1 retries lost and busy, round 2 lost: 3 document retries.
	var m dto.Metric
	if err := retries.Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetCounter().GetValue(); n != 3 {
		t.Errorf("retries counter = %v; want 3", n)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead-letter file exists (%v); want none: nothing was rejected", err)
	}
}

func TestRejectedDocumentsGoToTheDeadLetterFile(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.status = func(doc map[string]any, _ int) int {
		if doc["message"] == "bad" {
			return 400
		}
		return 0
	}
	o, dead := newOutput(t, srv, nil)
	if err := o.Write(context.Background(), events("good", "bad")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.indexed()); n != 1 {
		t.Errorf("indexed %d documents; want 1", n)
	}
	b, err := os.ReadFile(dead)
	if err != nil {
		t.Fatalf("dead-letter file: %v", err)
	}
	var rec struct {
		Status int
		Index  string
		Error  map[string]any
		Event  map[string]any
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &rec) != nil {
		t.Fatalf("dead-letter file holds %q; want one JSON record", b)
	}
	if rec.Status != 400 || rec.Event["message"] != "bad" || rec.Error["type"] != "mapper_parsing_exception" || !strings.HasPrefix(rec.Index, "logstash-") {
		t.Errorf("dead-letter record = %+v; want status 400, the event and the reason", rec)
	}
	if sc.Scan() {
		t.Errorf("dead-letter file has more than one record: %q", b)
	}
}

func TestAWholeRequestFailureIsAnErrorAndTriesTheNextHost(t *testing.T) {
	t.Parallel()
	down, downSrv := newFakeES(t)
	down.down = true
	up, upSrv := newFakeES(t)
	o, _ := newOutput(t, downSrv, func(c *Config) { c.Hosts = []string{downSrv.URL, strings.TrimPrefix(upSrv.URL, "http://")} })
	defer o.Close()
	err := o.Write(context.Background(), events("x"))
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Write to a 503 server = %v; want an error naming 503", err)
	}
	if err := o.Write(context.Background(), events("x")); err != nil {
		t.Fatalf("retry on the second host = %v", err)
	}
	if n := len(up.indexed()); n != 1 {
		t.Errorf("second host indexed %d documents; want 1", n)
	}
}

func TestBasicAuthAndFlushSize(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.user, f.password = "elastic", "changeme"
	o, _ := newOutput(t, srv, func(c *Config) { c.User, c.Password, c.FlushSize = "elastic", "changeme", 3 })
	defer o.Close()
	msgs := make([]string, 10)
	for i := range msgs {
		msgs[i] = fmt.Sprint(i)
	}
	if err := o.Write(context.Background(), events(msgs...)); err != nil {
		t.Fatalf("Write = %v", err)
	}
	f.mu.Lock()
	reqs := f.requests
	f.mu.Unlock()
	if n := len(f.indexed()); n != 10 || reqs != 4 {
		t.Errorf("indexed %d documents in %d requests; want 10 in 4 (flush_size 3)", n, reqs)
	}
	bad, _ := newOutput(t, srv, func(c *Config) { c.User, c.Password = "elastic", "wrong" })
	if err := bad.Write(context.Background(), events("x")); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Write with a wrong password = %v; want 401", err)
	}
}

func TestRetriesStopWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	f, srv := newFakeES(t)
	f.status = func(map[string]any, int) int { return 429 }
	o, _ := newOutput(t, srv, nil)
	defer o.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := o.Write(ctx, events("x")); err == nil {
		t.Error("Write that never succeeds = nil; want an error once ctx is done")
	}
}

// TestFakeRejectsProtocolViolations proves the fake can fail: requests
// that break the _bulk protocol are refused.
func TestFakeRejectsProtocolViolations(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, ct, body string }{
		{"a wrong content type", "application/json", "{\"index\":{\"_index\":\"i\"}}\n{}\n"},
		{"a missing trailing newline", "application/x-ndjson", "{\"index\":{\"_index\":\"i\"}}\n{}"},
		{"a bad action line", "application/x-ndjson", "{\"index\":{}}\n{}\n"},
		{"an unknown action", "application/x-ndjson", "{\"upsert\":{\"_index\":\"i\"}}\n{}\n"},
		{"a malformed source", "application/x-ndjson", "{\"index\":{\"_index\":\"i\"}}\n{nope\n"},
		{"an action without a source", "application/x-ndjson", "{\"index\":{\"_index\":\"i\"}}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeES{seen: map[string]int{}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			resp, err := http.Post(srv.URL+"/_bulk", tt.ct, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || len(f.violations) != 1 {
				t.Errorf("POST with %s = %d, %d violations; want a 4xx and 1 violation", tt.name, resp.StatusCode, len(f.violations))
			}
		})
	}
}

// TestConcurrentWritesAreBoundedByWorkers: Writes from several goroutines
// (the pipeline's, for a Concurrent output) send up to Workers requests
// at once, never more; every document is stored once and the rejected
// ones are whole records in the dead-letter file.
func TestConcurrentWritesAreBoundedByWorkers(t *testing.T) {
	t.Parallel()
	const workers = 3
	var mu sync.Mutex
	inFlight, most, docs, requests := 0, 0, 0, 0
	full := sync.NewCond(&mu)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
		mu.Lock()
		inFlight++
		requests++
		most = max(most, inFlight)
		full.Broadcast()
		// Hold the first Workers requests until one more is in flight,
		// which the bound forbids, or half a second has passed.
		if requests <= workers {
			timeout := false
			t := time.AfterFunc(500*time.Millisecond, func() { mu.Lock(); timeout = true; mu.Unlock(); full.Broadcast() })
			for inFlight <= workers && !timeout {
				full.Wait()
			}
			t.Stop()
		}
		var items []string
		for i := 1; i < len(lines); i += 2 {
			status := 201
			if strings.Contains(lines[i], `"message":"bad`) {
				status = 400
			} else {
				docs++
			}
			items = append(items, fmt.Sprintf(`{"index":{"status":%d,"error":{"type":"x"}}}`, status))
		}
		inFlight--
		mu.Unlock()
		fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(items, ","))
	}))
	defer srv.Close()
	o, dead := newOutput(t, srv, func(c *Config) { c.Workers, c.FlushSize = workers, 5 })
	if got := o.MaxInFlight(); got != workers {
		t.Fatalf("MaxInFlight() = %d; want %d", got, workers)
	}
	var wg sync.WaitGroup
	for g := range 2 * workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var msgs []string
			for i := range 20 {
				msgs = append(msgs, fmt.Sprintf("m%d-%d", g, i), fmt.Sprintf("bad%d-%d", g, i))
			}
			if err := o.Write(context.Background(), events(msgs...)); err != nil {
				t.Errorf("Write = %v", err)
			}
		}()
	}
	wg.Wait()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != workers || docs != 2*workers*20 {
		t.Errorf("%d requests in flight at most, %d documents stored; want %d, %d", most, docs, workers, 2*workers*20)
	}
	b, err := os.ReadFile(dead)
	if err != nil {
		t.Fatal(err)
	}
	for n, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var rec struct{ Event map[string]any }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || !strings.HasPrefix(fmt.Sprint(rec.Event["message"]), "bad") {
			t.Fatalf("dead-letter line %d = %q (%v); want a whole record of a bad document", n, line, err)
		}
		if n+1 == 2*workers*20 {
			return
		}
	}
	t.Errorf("dead-letter file has fewer than %d records", 2*workers*20)
}
