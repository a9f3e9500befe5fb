package logstoretest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBinaryNamesTheWayToGetIt(t *testing.T) {
	t.Parallel()
	_, err := Binary(func(string) string { return "/nonexistent/victoria-logs" })
	if err == nil || !strings.Contains(err.Error(), "make victoria-logs") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Binary with a missing file = %v; want a one-line error naming `make victoria-logs`", err)
	}
}

// TestStoreTakesBulkAndAnswersLogsQL: a document sent to the store's
// Elasticsearch API comes back from a LogsQL query, also after a restart.
func TestStoreTakesBulkAndAnswersLogsQL(t *testing.T) {
	t.Parallel()
	s := Start(t)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	body := fmt.Sprintf("{\"create\":{}}\n{\"message\":\"hello logstoretest\",\"@timestamp\":%q}\n", now)
	resp, err := http.Post(s.InsertURL()+"/_bulk?_msg_field=message&_time_field=@timestamp", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("_bulk = %s; want 200", resp.Status)
	}
	find := func() []Row {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			rows, err := s.Client().Query(ctx, `"hello logstoretest"`)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) > 0 || ctx.Err() != nil {
				return rows
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	rows := find()
	want, _ := time.Parse(time.RFC3339Nano, now)
	if len(rows) != 1 || rows[0]["_msg"] != "hello logstoretest" {
		t.Fatalf("query = %v; want one row with _msg %q", rows, "hello logstoretest")
	}
	// VictoriaLogs prints _time without trailing zeros: compare instants.
	if got, err := time.Parse(time.RFC3339Nano, rows[0]["_time"]); err != nil || !got.Equal(want) {
		t.Fatalf("_time = %q (%v); want %s", rows[0]["_time"], err, now)
	}
	s.Stop()
	s.Restart()
	if n, err := s.Client().Count(context.Background(), `"hello logstoretest"`); err != nil || n != 1 {
		t.Errorf("count after restart = %d, %v; want 1", n, err)
	}
}
