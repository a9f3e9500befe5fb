package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	want := sample{rps: 6071.92, requests: 30362, p50: 3730 * time.Microsecond, p99: 45900 * time.Microsecond, errors: 7}
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

func TestTargets(t *testing.T) {
	t.Parallel()
	us := func(n float64) time.Duration { return time.Duration(n * float64(time.Microsecond)) }
	res := results{}
	for _, v := range []struct{ node, web, webRet, nodeRet, healthz, redis, redisBefore float64 }{
		{400, 45, 48, 420, 32, 20, 30},
		{380, 50, 60, 400, 34, 22, 29},
		{350, 40, 47, 380, 30, 21, 31},
	} {
		res.add(scNew, "node", sample{appCPU: us(v.node)})
		res.add(scNew, "webapp", sample{appCPU: us(v.web), redisCPU: us(v.redis)})
		res.add(scNew, baselineName, sample{appCPU: us(2 * v.web), redisCPU: us(v.redisBefore)})
		res.add(scReturning, "node", sample{appCPU: us(v.nodeRet)})
		res.add(scReturning, "webapp", sample{appCPU: us(v.webRet), redisCPU: us(v.redisBefore + 1)})
		res.add(scReturning, baselineName, sample{redisCPU: us(v.redisBefore)})
		res.add(scHealthz, "webapp", sample{appCPU: us(v.healthz)})
		res.add(scRate, "webapp", sample{p99: 900 * time.Microsecond})
		res.add(scRate, baselineName, sample{p99: 1200 * time.Microsecond})
	}
	rep := report{rate: 2000, res: res, rss: map[string]int64{"webapp": 21e6}}
	got := strings.Join(rep.targets(), "\n")
	for _, want := range []string{
		"new session: 8.8× (per round 8.89, 7.60, 8.75; medians 380.0 / 45.0 µs = 8.4×); target ≥ 8×: met",
		"returning session: 8.1× (per round 8.75, 6.67, 8.09; medians 400.0 / 48.0 µs = 8.3×); target ≥ 8×: met",
		"webapp new session / its /healthz, app CPU: 1.41× (per round 1.41, 1.47, 1.33; medians 45.0 / 32.0 µs = 1.41×); target ≤ 1.5×: met",
		"Redis CPU per new session, webapp / webapp-before: 0.68× (per round 0.67, 0.76, 0.68; medians 21.0 / 30.0 µs); target ≤ 1×: met",
		"Redis CPU per returning session, webapp / webapp-before: 1.03× (per round 1.03, 1.03, 1.03; medians 31.0 / 30.0 µs); target ≤ 1×: NOT MET",
		"p99 of new sessions at 2000 req/s, webapp / webapp-before: 0.75× (per round 0.75, 0.75, 0.75; medians 900 µs / 1.20 ms); target ≤ 1×: met",
		"webapp peak RSS 21.0 MB; target ≤ 25 MB: met",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("targets:\n%s\nwant a line with %q", got, want)
		}
	}
	if got := strings.Join(report{res: results{}}.targets(), "\n"); !strings.Contains(got, "not measured (needs the Node app)") || !strings.Contains(got, "not measured (run with -baseline)") {
		t.Errorf("targets without Node or a baseline:\n%s\nwant them said not measured", got)
	}
}

func TestParseVariant(t *testing.T) {
	t.Parallel()
	v, err := parseVariant("fasthttp=/tmp/x GOGC=200 GOMAXPROCS=1")
	if err != nil || v.name != "fasthttp" || v.dir != "/tmp/x" || v.env["GOGC"] != "200" || v.env["GOMAXPROCS"] != "1" {
		t.Errorf("parseVariant = %+v, %v; want fasthttp in /tmp/x with GOGC and GOMAXPROCS", v, err)
	}
	for _, bad := range []string{"", "x", "=/tmp", "node=/tmp", "a=/tmp K"} {
		if _, err := parseVariant(bad); err == nil {
			t.Errorf("parseVariant(%q) succeeded; want an error", bad)
		}
	}
}

// perfScript is `perf script` output: two samples with their call chains.
const perfScript = `webapp 1234 [000] 100.000001:    1001001 cpu-clock:ppp: 
	    7fff81 finish_task_switch.isra.0+0x1a ([kernel.kallsyms])
	    55d100 runtime.usleep.abi0+0x3d (/tmp/webapp)
	    55d200 runtime.sysmon+0x1e5 (/tmp/webapp)
	    55d300 runtime.mstart1+0x8b (/tmp/webapp)

webapp 1234 [001] 100.000002:    1001001 cpu-clock:ppp: 
	    7fff82 tcp_sendmsg_locked+0x10 ([kernel.kallsyms])
	    55e100 syscall.write+0x21 (/tmp/webapp)
	    55e200 github.com/valyala/fasthttp.(*Server).serveConnCounted+0x900 (/tmp/webapp)

webapp 1234 [001] 100.000003:    1001001 cpu-clock:ppp: 
	    55f100 github.com/appstack/appstack/internal/session.(*Signer).mac+0x40 (/tmp/webapp)
	    55f200 github.com/appstack/appstack/internal/web.(*router).serve+0x99 (/tmp/webapp)
	    55e200 github.com/valyala/fasthttp.(*Server).serveConnCounted+0x900 (/tmp/webapp)

webapp 1234 [001] 100.000004:    1001001 cpu-clock:ppp: 
	    55f900 main.somethingElse+0x40 (/tmp/webapp)
`

func TestClassify(t *testing.T) {
	t.Parallel()
	counts, total, err := classify(strings.NewReader(perfScript))
	if err != nil || total != 4 {
		t.Fatalf("classify = %v, %d samples, %v; want 4 samples", counts, total, err)
	}
	for name, want := range map[string]int{
		"sysmon, the runtime's monitor thread":                   1,
		"HTTP response write: kernel (loopback TCP, waking wrk)": 1,
		"session code: id, HMAC, documents, cookie":              1,
		"other": 1,
	} {
		if counts[name] != want {
			t.Errorf("classify: %q = %d; want %d (all: %v)", name, counts[name], want, counts)
		}
	}
}
