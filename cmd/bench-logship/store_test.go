package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMedianOfRuns(t *testing.T) {
	t.Parallel()
	runs := []storeRun{{accepted: 3 * time.Second, peakRSS: 30}, {accepted: time.Second, peakRSS: 10}, {accepted: 2 * time.Second, peakRSS: 20}}
	if got := median(runs, func(r storeRun) time.Duration { return r.accepted }); got != 2*time.Second {
		t.Errorf("median accepted = %s; want 2s", got)
	}
	if got := median(runs, func(r storeRun) int64 { return r.peakRSS }); got != 20 {
		t.Errorf("median peak RSS = %d; want 20", got)
	}
}

// TestCPUTimeReadsProc compares /proc's account of this process with
// getrusage's, read around it.
func TestCPUTimeReadsProc(t *testing.T) {
	t.Parallel()
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for deadline := time.Now().Add(10 * time.Second); rusage() < 200*time.Millisecond && time.Now().Before(deadline); {
		// burn some CPU to measure
	}
	before := rusage()
	got := cpuTime(os.Getpid())
	after := rusage()
	// /proc counts each thread's time in ticks of 10 ms.
	if got < before-50*time.Millisecond || got > after+50*time.Millisecond || got == 0 {
		t.Errorf("cpuTime(self) = %s; want between getrusage's %s and %s (±50 ms)", got, before, after)
	}
	if got := cpuTime(-1); got != 0 {
		t.Errorf("cpuTime(no such process) = %s; want 0", got)
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	t.Parallel()
	var b tailBuffer
	b.Write([]byte(strings.Repeat("a", 10<<10)))
	b.Write([]byte("the end"))
	if got := b.String(); len(got) != 8<<10 || !strings.HasSuffix(got, "the end") {
		t.Errorf("tailBuffer holds %d bytes ending %q; want 8 KiB ending with the last write", len(got), got[len(got)-10:])
	}
}

// TestBulkBodiesAreLogshipsRequests: the ceiling posts the lines as
// logship's elasticsearch output would, n documents a request.
func TestBulkBodiesAreLogshipsRequests(t *testing.T) {
	t.Parallel()
	input := filepath.Join(t.TempDir(), "access.log")
	if _, err := generate(input, 1203); err != nil {
		t.Fatal(err)
	}
	bodies, err := bulkBodies(input, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 3 {
		t.Fatalf("%d requests; want 3 (500, 500, 203)", len(bodies))
	}
	lines, _ := os.ReadFile(input)
	want := strings.Split(strings.TrimSuffix(string(lines), "\n"), "\n")
	n := 0
	for i, b := range bodies {
		parts := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if docs := len(parts) / 2; docs != min(500, 1203-500*i) || len(parts)%2 != 0 {
			t.Fatalf("request %d has %d lines; want an action and a document for each of its documents", i, len(parts))
		}
		for k := 0; k < len(parts); k += 2 {
			var action map[string]map[string]string
			var doc map[string]string
			if err := json.Unmarshal([]byte(parts[k]), &action); err != nil || !strings.HasPrefix(action["index"]["_index"], "logstash-") {
				t.Fatalf("action %q: %v; want an index action", parts[k], err)
			}
			if err := json.Unmarshal([]byte(parts[k+1]), &doc); err != nil || doc["message"] != want[n] || doc["@version"] != "1" ||
				doc["path"] != input || doc["host"] == "" || len(doc["@timestamp"]) != len("2017-07-19T15:34:57.884Z") {
				t.Fatalf("document %q: %v; want line %d with @version, @timestamp, path and host", parts[k+1], err, n)
			}
			n++
		}
	}
}
