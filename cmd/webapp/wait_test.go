package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/redistest"
)

// TestPlainRedisGivesSessions is the seed's development set-up: one
// redis-server, webapp pointed at it with the default settings. Sessions
// come at once: no write waits for a replica there is not.
func TestPlainRedisGivesSessions(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port)})
	var took []time.Duration
	for i := range 9 {
		start := time.Now()
		r := roundTrip(t, a.Addr, get("/"))
		took = append(took, time.Since(start))
		if !strings.HasPrefix(r.StatusLine, "HTTP/1.1 200") || r.Get("Set-Cookie") == "" {
			t.Fatalf("request %d on a plain Redis:\n%s\nwant 200 with a session cookie\n%s", i, r, a.Stderr)
		}
	}
	slices.Sort(took)
	t.Logf("a new session on a plain Redis: median %v, slowest %v of %d", took[len(took)/2], took[len(took)-1], len(took))
	if n := srv.CommandCalls("wait"); n != 0 {
		t.Errorf("%d WAITs on a plain Redis; want none", n)
	}
	// Well under WAIT's 250 ms, which every request used to wait out.
	if m := took[len(took)/2]; m >= 100*time.Millisecond {
		t.Errorf("median time to a new session %v; want well under 100 ms", m)
	}
	if !strings.Contains(a.Stderr.String(), `"wait_replicas":"auto: 1 once the primary has a replica"`) ||
		!strings.Contains(a.Stderr.String(), "do not wait for replicas") {
		t.Errorf("stderr:\n%s\nwant the startup line to give the mode, and a line saying writes do not wait", a.Stderr)
	}
}

// TestAReplicaTurnsWaitOn: with a replica, the default settings wait
// for it, and losing it is handled as with SESSION_WAIT_REPLICAS=1: 200,
// no cookie, counted.
func TestAReplicaTurnsWaitOn(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	replica := srv.ReplicaOf()
	srv.WaitAcked()
	waits := srv.CommandCalls("wait")
	a := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port)})
	r := roundTrip(t, a.Addr, get("/"))
	sc := r.Get("Set-Cookie")
	if sc == "" {
		t.Fatalf("GET / with a replica:\n%s\nwant a session cookie\n%s", r, a.Stderr)
	}
	if n := srv.CommandCalls("wait") - waits; n < 1 {
		t.Errorf("%d WAITs from webapp; want the session write to have waited for the replica", n)
	}
	id := sessionID(sc[:strings.IndexByte(sc, ';')])
	if v, _ := replica.Do("EXISTS", "sess:"+id).(int64); v != 1 {
		t.Errorf("sess:%s is not on the replica when its cookie was sent", id)
	}

	replica.Kill()
	for range 3 {
		if r := roundTrip(t, a.Addr, get("/")); !strings.HasPrefix(r.StatusLine, "HTTP/1.1 200") || r.Get("Set-Cookie") != "" {
			t.Errorf("GET / after the replica was lost:\n%s\nwant 200 without a cookie", r)
		}
	}
	// Counted as unreplicated; on a loaded machine WAIT's answer may come
	// after the attempt's deadline, which counts as a failed save.
	m := string(roundTrip(t, a.Addr, get("/metrics")).Body)
	notReplicated := metricValue(t, m, `webapp_session_degraded_total{reason="not_replicated"}`)
	failed := metricValue(t, m, `webapp_session_degraded_total{reason="save_failed"}`)
	if notReplicated < 1 || notReplicated+failed != 3 {
		t.Errorf("after losing the replica: %v writes counted not replicated, %v failed; want the 3 counted, mostly not replicated\n%s", notReplicated, failed, a.Stderr)
	}
}

// metricValue is the value of one series in a /metrics body; 0 if absent.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}
