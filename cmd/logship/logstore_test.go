package main

// logship against the stack's real log store: the victoria-logs binary on a
// free loopback port with a temporary data directory (internal/logstoretest;
// `make test` builds it, a run without it fails saying how to get it).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/logstoretest"
)

// writeLines writes n numbered access-log lines to path and returns them.
func writeLines(tb testing.TB, path string, n int) []string {
	tb.Helper()
	lines := make([]string, n)
	var b strings.Builder
	for i := range lines {
		lines[i] = fmt.Sprintf(`::ffff:10.0.0.%d - - [Wed, 02 Dec 2026 03:28:50 GMT] "GET /item/k%05d HTTP/1.1" 200 %d "-" "curl/8.4.0"`, i%250, i, 100+i)
		b.WriteString(lines[i] + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// TestShipsAFileToTheLogStore: logship reads a file and sends it to
// VictoriaLogs with the stack's settings; every line is found back with
// LogsQL, once, its message as the searchable text (_msg) and its
// @timestamp as the entry's time (_time), compared with the same events
// printed by a json_lines stdout output beside it.
func TestShipsAFileToTheLogStore(t *testing.T) {
	t.Parallel()
	store := logstoretest.Start(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "nodeapp.log")
	const n = 3000
	lines := writeLines(t, logFile, n)
	cfg := fmt.Sprintf(`input { file { path => %q type => "syslog" } }
output {
  stdout { codec => json_lines }
  elasticsearch {
    hosts => [%q]
    parameters => { "_msg_field" => "message" "_time_field" => "@timestamp" "_stream_fields" => "host,path" }
  }
}`, logFile, store.InsertURL())
	stdout, stderr, stop := started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	c := store.Client()
	waitFor(t, "every line in the store", func() bool {
		got, err := c.Count(context.Background(), "*")
		return err == nil && got >= n
	})
	if err := stop(); err != nil {
		t.Fatalf("logship: %v\n%s", err, stderr.String())
	}

	// The @timestamp of each message, as logship printed it.
	stamps := map[string]time.Time{}
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		var e struct {
			Message   string    `json:"message"`
			Timestamp time.Time `json:"@timestamp"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		stamps[e.Message] = e.Timestamp
	}
	rows, err := c.Query(context.Background(), "*")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("the store holds %d entries; want %d", len(rows), n)
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[r["_msg"]]++
		ts, err := time.Parse(time.RFC3339Nano, r["_time"])
		if want, ok := stamps[r["_msg"]]; err != nil || !ok || !ts.Equal(want) {
			t.Fatalf("entry %v: _time %v (%v); want the event's @timestamp %v", r, ts, err, want)
		}
		if r["path"] != logFile || r["type"] != "syslog" || r["@version"] != "1" || r["host"] == "" || r["message"] != "" || r["@timestamp"] != "" {
			t.Fatalf("entry %v; want path, type, @version, host, and message and @timestamp moved to _msg and _time", r)
		}
	}
	for _, l := range lines {
		if seen[l] != 1 {
			t.Fatalf("line %q is in the store %d times; want once", l, seen[l])
		}
	}
	// The text is searchable: a word of one line finds that line.
	for _, k := range []int{0, 1234, n - 1} {
		word := fmt.Sprintf("k%05d", k)
		rows, err := c.Query(context.Background(), word)
		if err != nil || len(rows) != 1 || rows[0]["_msg"] != lines[k] {
			t.Errorf("LogsQL %s = %v, %v; want the line %q", word, rows, err, lines[k])
		}
	}
}

// TestAStoreThatWillNeverAcceptGoesToTheDeadLetterFile: a host that is
// the store's root rather than its Elasticsearch API answers every _bulk
// with 400. logship does not retry that forever: the events go to the
// dead-letter file with the answer, counted in /metrics, and the offsets
// move on.
func TestAStoreThatWillNeverAcceptGoesToTheDeadLetterFile(t *testing.T) {
	t.Parallel()
	store := logstoretest.Start(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	const n = 20
	writeLines(t, logFile, n)
	port := freeport.Get(t)
	cfg := fmt.Sprintf(`input { file { path => %q } } output { elasticsearch { hosts => [%q] } }`, logFile, store.URL)
	data := filepath.Join(dir, "data")
	_, stderr, stop := started(t, "-e", cfg, "--path.data", data, "--http.port", strconv.Itoa(port))
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	waitFor(t, "dead letters counted", func() bool {
		return strings.Contains(httpGet(metrics), `logship_output_dead_letters_total{output="elasticsearch.0"} `+strconv.Itoa(n))
	})
	if body := httpGet(metrics); !strings.Contains(body, `logship_events_sent_total{output="elasticsearch.0"} `+strconv.Itoa(n)) {
		t.Errorf("metrics: want the %d events acknowledged (set aside):\n%s", n, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(data, "dead_letter", "elasticsearch-0.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	recs := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(recs) != n || !strings.Contains(recs[0], `"status":400`) || !strings.Contains(recs[0], "unsupported path") || !strings.Contains(recs[0], `"message":"::ffff:10.0.0.0`) {
		t.Errorf("dead-letter file has %d records, the first %q; want %d with status 400, the store's reason and the event", len(recs), recs[0], n)
	}
	if !strings.Contains(stderr.String(), "dead-letter file") {
		t.Errorf("stderr does not say where the events went:\n%s", stderr.String())
	}
}
