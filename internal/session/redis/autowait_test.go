package redis

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
	"github.com/appstack/appstack/internal/syncbuf"
)

// TestAutoWaitWaitsOnceThePrimaryHasAReplica: on a lone Redis, writes go
// without WAIT; once a replica connects, every write waits for it, and
// losing it is not silently tolerated.
func TestAutoWaitWaitsOnceThePrimaryHasAReplica(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	log := &syncbuf.Buffer{}
	// WAIT waits a second: long enough for a replica on a loaded machine,
	// short enough to wait out twice once it is lost.
	s, _ := newStore(t, p, Options{WaitReplicas: 1, AutoWait: true, WaitTimeout: time.Second, Log: slog.New(slog.NewJSONHandler(log, nil))})
	// A clock that stands still unless the test moves it.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	s.now = func() time.Time { return time.Unix(0, clock.Load()) }
	ctx := context.Background()

	for i := range 3 {
		if err := s.Set(ctx, "alone", []byte("{}"), time.Hour); err != nil {
			t.Fatalf("Set %d on a lone Redis: %v; want it acknowledged without a replica", i, err)
		}
	}
	if n := p.CommandCalls("wait"); n != 0 {
		t.Errorf("%d WAITs on a lone Redis; want none", n)
	}
	if n := p.CommandCalls("role"); n != 1 {
		t.Errorf("%d ROLEs for 3 writes within a second; want 1", n)
	}
	if g := gaugeValue(t, s.waitGauge); g != 0 {
		t.Errorf("webapp_session_wait_replicas = %v on a lone Redis; want 0", g)
	}
	if !strings.Contains(log.String(), "do not wait for replicas") {
		t.Errorf("log:\n%s\nwant a line saying writes do not wait", log)
	}

	// A replica connects; the next check, a second later, sees it.
	r := p.ReplicaOf()
	p.WaitAcked()
	clock.Add(int64(recheckReplicas))
	waits := p.CommandCalls("wait") // WaitAcked's
	if err := s.Set(ctx, "replicated", []byte(`{"r":1}`), time.Hour); err != nil {
		t.Fatalf("Set once the primary has a replica: %v", err)
	}
	if n := p.CommandCalls("wait") - waits; n != 1 {
		t.Errorf("%d WAITs for the write after a replica connected; want 1", n)
	}
	if got, _ := r.Do("GET", "sess:replicated").(string); got != `{"r":1}` {
		t.Errorf("replica GET sess:replicated = %q right after Set; want the document: WAIT confirmed it", got)
	}
	if g := gaugeValue(t, s.waitGauge); g != 1 {
		t.Errorf("webapp_session_wait_replicas = %v with a replica; want 1", g)
	}
	if !strings.Contains(log.String(), "now wait for replicas") {
		t.Errorf("log:\n%s\nwant a line saying writes now wait", log)
	}

	// Losing the replica fails writes, however long it stays lost.
	r.Kill()
	for _, after := range []time.Duration{0, time.Hour} {
		clock.Add(int64(after))
		if err := s.Set(ctx, "lost", []byte("{}"), time.Hour); !errors.Is(err, session.ErrNotReplicated) {
			t.Errorf("Set %v after the replica was lost = %v; want ErrNotReplicated", after, err)
		}
	}
	if n := p.CommandCalls("role"); n != 2 {
		t.Errorf("%d ROLEs; want 2: none once a replica was seen", n)
	}
}

// TestAutoWaitWithoutROLEKeepsWaiting: a user that may not send ROLE
// cannot tell whether the primary has replicas, so its writes wait, and
// the log says what to allow.
func TestAutoWaitWithoutROLEKeepsWaiting(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t, "--user", "norole", "on", ">pw", "~sess:*", "+@all", "-role")
	client := redisconn.New(redisconn.Config{Addr: p.Addr, Username: "norole", Password: "pw", Timeout: attempt, WaitTimeout: wait})
	t.Cleanup(func() { client.Close() })
	log := &syncbuf.Buffer{}
	s := New(client, Options{WaitReplicas: 1, AutoWait: true, WaitTimeout: wait, AttemptTimeout: attempt, Log: slog.New(slog.NewJSONHandler(log, nil))})
	t.Cleanup(s.Close)
	if err := s.Set(context.Background(), "a", []byte("{}"), time.Hour); !errors.Is(err, session.ErrNotReplicated) {
		t.Errorf("Set without ROLE and without a replica = %v; want ErrNotReplicated: it waited", err)
	}
	if !strings.Contains(log.String(), "allow ROLE") {
		t.Errorf("log:\n%s\nwant a warning saying to allow ROLE", log)
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
