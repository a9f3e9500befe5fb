package redis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
)

const (
	attempt = 200 * time.Millisecond
	wait    = 200 * time.Millisecond
)

// newStore returns a store on srv through the client webapp builds.
func newStore(t *testing.T, srv *redistest.Server, opt Options) (*Store, *prometheus.Registry) {
	t.Helper()
	client := redisconn.New(redisconn.Config{Addr: srv.Addr, Timeout: attempt, WaitTimeout: opt.WaitTimeout})
	t.Cleanup(func() { client.Close() })
	reg := prometheus.NewRegistry()
	opt.Registerer = reg
	opt.AttemptTimeout = attempt
	s := New(client, opt)
	t.Cleanup(s.Close)
	return s, reg
}

func TestSetWaitsForAReplica(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	r := p.ReplicaOf()
	s, _ := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: wait})
	ctx := context.Background()
	if err := s.Set(ctx, "a", []byte(`{"cookie":{}}`), time.Hour); err != nil {
		t.Fatalf("Set with a replica: %v", err)
	}
	// WAIT returned 1: the replica holds the write already.
	if got, _ := r.Do("GET", "sess:a").(string); got != `{"cookie":{}}` {
		t.Errorf("replica GET sess:a = %q right after Set; want the document", got)
	}
	if ttl, _ := r.Do("TTL", "sess:a").(int64); ttl < 3590 || ttl > 3600 {
		t.Errorf("replica TTL sess:a = %d; want 3600", ttl)
	}
	got, err := s.Get(ctx, "a")
	if err != nil || string(got) != `{"cookie":{}}` {
		t.Errorf("Get(a) = %q, %v; want the document", got, err)
	}
	if got, err := s.Get(ctx, "missing"); got != nil || err != nil {
		t.Errorf("Get(missing) = %q, %v; want nil, nil", got, err)
	}
}

func TestSetWithoutReplicaIsNotReplicated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		directives []string
		onPrimary  bool
	}{
		{"WAIT counts no replica: the write stays on the primary, unacknowledged", nil, true},
		{"min-replicas-to-write refuses the write (NOREPLICAS)", []string{"--min-replicas-to-write", "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := redistest.Start(t, tt.directives...)
			s, reg := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: wait})
			start := time.Now()
			err := s.Set(context.Background(), "a", []byte("{}"), time.Hour)
			if !errors.Is(err, session.ErrNotReplicated) {
				t.Fatalf("Set without a replica = %v after %v; want ErrNotReplicated", err, time.Since(start))
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Set took %v; want WAIT's timeout (%v), well under a second", d, wait)
			}
			if got := p.Do("EXISTS", "sess:a").(int64); (got == 1) != tt.onPrimary {
				t.Errorf("EXISTS sess:a on the primary = %d; want %v", got, tt.onPrimary)
			}
			if n := counterValue(t, s.errors.WithLabelValues("set", KindNotReplicated)); n != 1 {
				t.Errorf("errors{set,not_replicated} = %v; want 1", n)
			}
			_ = reg
		})
	}
}

func TestRedisDownFailsFast(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{})
	p.Kill()
	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"Get", func() error { _, err := s.Get(context.Background(), "a"); return err }},
		{"Set", func() error { return s.Set(context.Background(), "a", []byte("{}"), time.Hour) }},
		{"Ping", func() error { return s.Ping(context.Background()) }},
	} {
		start := time.Now()
		err := op.do()
		if err == nil {
			t.Errorf("%s with Redis down succeeded", op.name)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s with Redis down took %v; want under 1 s", op.name, d)
		}
		if k := Kind(err); k != KindConnection {
			t.Errorf("Kind(%v) = %q; want %q", err, k, KindConnection)
		}
	}
	// It comes back by itself once Redis does.
	p.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for s.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Ping still failing 5 s after Redis restarted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Set(context.Background(), "a", []byte("{}"), time.Hour); err != nil {
		t.Errorf("Set after Redis came back: %v", err)
	}
}

func TestSlowRedisTimesOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pause []any
	}{
		{"DEBUG SLEEP blocks the server", []any{"DEBUG", "SLEEP", "2"}},
		{"CLIENT PAUSE holds every client", []any{"CLIENT", "PAUSE", "2000", "ALL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := redistest.Start(t, "--enable-debug-command", "yes")
			s, _ := newStore(t, p, Options{})
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			go p.Client(&goredis.Options{ReadTimeout: 5 * time.Second}).Do(context.Background(), tt.pause...)
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			_, err := s.Get(context.Background(), "a")
			if d := time.Since(start); d > time.Second {
				t.Errorf("Get on a stalled Redis took %v; want about the attempt timeout %v", d, attempt)
			}
			if Kind(err) != KindTimeout {
				t.Errorf("Get on a stalled Redis = %v (kind %q); want a timeout", err, Kind(err))
			}
		})
	}
}

func TestRetryBudgetOutlastsAnOutage(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{RetryBudget: 4 * time.Second})
	p.Kill()
	go func() {
		time.Sleep(time.Second)
		p.Restart()
	}()
	start := time.Now()
	if err := s.Set(context.Background(), "a", []byte("{}"), time.Hour); err != nil {
		t.Fatalf("Set across a 1 s outage with a 4 s budget: %v", err)
	}
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Errorf("Set took %v; want it to wait for Redis (1 s) within the budget (4 s)", d)
	}
	if n := counterValue(t, s.retries.WithLabelValues("set")); n == 0 {
		t.Error("retries{set} = 0; want the retries counted")
	}
}

func TestLongOutageFailsFast(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	budget := 600 * time.Millisecond
	s, _ := newStore(t, p, Options{RetryBudget: budget})
	p.Kill()
	start := time.Now()
	if _, err := s.Get(context.Background(), "a"); err == nil {
		t.Fatal("Get with Redis down succeeded")
	}
	if d := time.Since(start); d < budget/2 || d > budget+2*attempt {
		t.Errorf("first Get in an outage took %v; want it to retry for the budget %v", d, budget)
	}
	time.Sleep(budget)
	// The outage has lasted longer than the budget: one attempt only.
	start = time.Now()
	if _, err := s.Get(context.Background(), "a"); err == nil {
		t.Fatal("Get with Redis down succeeded")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Get after an outage longer than the budget took %v; want a single fast attempt", d)
	}
	p.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := s.Get(context.Background(), "a"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Get still failing 5 s after Redis restarted")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Healthy again: the full budget applies to the next outage.
	if s.failingSince.Load() != 0 {
		t.Error("the outage is not over after a success")
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t, "--user", "limited", "on", ">pw", "~x", "+get", "+hello")
	c := p.Client(&goredis.Options{Username: "limited", Password: "pw", Protocol: 2, DisableIdentity: true})
	ctx := context.Background()
	denied := c.Set(ctx, "x", 1, 0).Err()
	tests := []struct {
		err  error
		want string
	}{
		{denied, KindDenied},
		{context.DeadlineExceeded, KindTimeout},
		{context.Canceled, KindCanceled},
		{goredis.ErrPoolTimeout, KindTimeout},
		{session.ErrNotReplicated, KindNotReplicated},
		{errors.New("READONLY You can't write against a read only replica."), KindReadOnly},
		{errors.New("something else"), KindOther},
	}
	for _, tt := range tests {
		if got := Kind(tt.err); got != tt.want {
			t.Errorf("Kind(%v) = %q; want %q", tt.err, got, tt.want)
		}
	}
	if !strings.HasPrefix(denied.Error(), "NOPERM") {
		t.Errorf("limited SET = %v; want NOPERM", denied)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestWaitOffWritesWithoutAReplica(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{WaitReplicas: 0})
	if err := s.Set(context.Background(), "a", []byte("{}"), time.Hour); err != nil {
		t.Fatalf("Set with WAIT off and no replica: %v", err)
	}
	if calls := commandCalls(t, p, "wait"); calls != 0 {
		t.Errorf("%d WAIT calls with WAIT off; want none", calls)
	}
}

// TestConcurrentWritesShareAWait: writes that arrive together go out in
// shared pipelines with one WAIT each (group commit), and every one of
// them is on the replica when Set returns.
func TestConcurrentWritesShareAWait(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	r := p.ReplicaOf()
	s, _ := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: wait})
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- s.Set(context.Background(), "k"+strconv.Itoa(i), []byte("{}"), time.Hour) }()
	}
	var failed int
	for range n {
		if err := <-errs; err != nil {
			failed++
			t.Log(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d concurrent writes failed", failed, n)
	}
	if got := r.Do("DBSIZE").(int64); got != n {
		t.Errorf("replica DBSIZE = %d right after the writes returned; want %d", got, n)
	}
	sets, waits := commandCalls(t, p, "setex"), commandCalls(t, p, "wait")
	if sets != n || waits >= n || waits == 0 {
		t.Errorf("primary ran %d SETEX and %d WAIT; want %d SETEX sharing fewer WAITs", sets, waits, n)
	}
	t.Logf("%d writes, %d WAITs", sets, waits)
}

// commandCalls reads a command's call count from INFO commandstats.
func commandCalls(t *testing.T, srv *redistest.Server, cmd string) int {
	t.Helper()
	info, _ := srv.Do("INFO", "commandstats").(string)
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}
