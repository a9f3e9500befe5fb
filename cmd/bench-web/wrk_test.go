package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const sampleOutput = `Running 5s test @ http://127.0.0.1:41235
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.61ms    5.84ms  64.38ms   91.08%
    Req/Sec     6.10k     1.46k    8.51k    74.00%
  Latency Distribution
     50%    3.73ms
     75%    5.09ms
     90%    8.07ms
     99%   45.90ms
  30362 requests in 5.00s, 9.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   6071.92
Transfer/sec:      1.82MB
`

func TestParseWrk(t *testing.T) {
	t.Parallel()
	r, err := parseWrk([]byte(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := result{rps: 6071.92, requests: 30362, p50: 3730 * time.Microsecond, p99: 45900 * time.Microsecond, errors: 7}
	if r != want {
		t.Errorf("parseWrk = %+v; want %+v", r, want)
	}
	if _, err := parseWrk([]byte("wrk: connection refused")); err == nil {
		t.Error("parseWrk of an error message succeeded")
	}
}

// TestWrkAgainstAServer runs the real wrk as bench-web does, so that a
// wrk whose output changed fails here rather than in a benchmark.
func TestWrkAgainstAServer(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Fatalf("wrk is required: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "connect.sid=x" {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	b := &bench{dir: dir, wrk: wrkConfig{duration: time.Second, conns: 4, threads: 1}}
	script := filepath.Join(dir, "s.lua")
	os.WriteFile(script, []byte(`wrk.headers["Cookie"] = "connect.sid=x"`+"\n"), 0o644)
	a := &app{name: "test", addr: srv.Listener.Addr().String()}
	b.ctx = t.Context()
	r, err := b.runWrk(a, script, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps <= 0 || r.requests <= 0 || r.p50 <= 0 || r.p99 < r.p50 || r.errors != 0 {
		t.Errorf("wrk against a test server = %+v; want requests, latencies and no errors (the Lua script sets the cookie)", r)
	}
}
