package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	// attempt is the tests' Redis attempt timeout: long, so that a loaded
	// machine fails no test that is not about timing. Tests about
	// timeouts set their own.
	attempt = 5 * time.Second
	// wait is WAIT's timeout where no replica answers: each write waits
	// it out.
	wait = 200 * time.Millisecond
	// ackWait is WAIT's timeout where a replica answers: WAIT returns as
	// soon as it has.
	ackWait = 5 * time.Second
)

// newStore returns a store on srv through the client webapp builds, with
// the attempt timeout opt gives, or attempt.
func newStore(t *testing.T, srv *redistest.Server, opt Options) (*Store, *prometheus.Registry) {
	t.Helper()
	if opt.AttemptTimeout == 0 {
		opt.AttemptTimeout = attempt
	}
	client := redisconn.New(redisconn.Config{Addr: srv.Addr, Timeout: opt.AttemptTimeout, WaitTimeout: opt.WaitTimeout})
	t.Cleanup(func() { client.Close() })
	reg := prometheus.NewRegistry()
	opt.Registerer = reg
	s := New(client, opt)
	t.Cleanup(s.Close)
	return s, reg
}

func TestSetWaitsForAReplica(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	r := p.ReplicaOf()
	p.WaitAcked()
	s, _ := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: ackWait})
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
			s, _ := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: wait})
			err := s.Set(context.Background(), "a", []byte("{}"), time.Hour)
			if !errors.Is(err, session.ErrNotReplicated) {
				t.Fatalf("Set without a replica = %v; want ErrNotReplicated", err)
			}
			if got := p.Do("EXISTS", "sess:a").(int64); (got == 1) != tt.onPrimary {
				t.Errorf("EXISTS sess:a on the primary = %d; want %v", got, tt.onPrimary)
			}
			// One attempt, bounded by WAIT's timeout: no budget, no retry.
			if n := counterValue(t, s.errors.WithLabelValues("set", KindNotReplicated)); n != 1 {
				t.Errorf("errors{set,not_replicated} = %v; want 1", n)
			}
		})
	}
}

func TestRedisDownFailsFast(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{})
	p.Kill()
	for _, op := range []struct {
		name, label string // label: the op in the store's metrics; "" for Ping
		do          func() error
	}{
		{"Get", "get", func() error { _, err := s.Get(context.Background(), "a"); return err }},
		{"Set", "set", func() error { return s.Set(context.Background(), "a", []byte("{}"), time.Hour) }},
		{"Ping", "", func() error { return s.Ping(context.Background()) }},
	} {
		err := op.do()
		if err == nil {
			t.Errorf("%s with Redis down succeeded", op.name)
		}
		if k := Kind(err); k != KindConnection {
			t.Errorf("Kind(%v) = %q; want %q", err, k, KindConnection)
		}
		if op.label == "" {
			continue
		}
		// Without a budget, one attempt: that is what bounds it.
		if n := counterValue(t, s.errors.WithLabelValues(op.label, KindConnection)); n != 1 {
			t.Errorf("%s with Redis down: %v failed attempts; want 1", op.name, n)
		}
		if n := counterValue(t, s.retries.WithLabelValues(op.label)); n != 0 {
			t.Errorf("%s with Redis down: %v retries; want none without a budget", op.name, n)
		}
	}
	// It comes back by itself once Redis does.
	p.Restart()
	waitUntil(t, 20*time.Second, "Ping to succeed after Redis restarted", func() bool { return s.Ping(context.Background()) == nil })
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
			s, _ := newStore(t, p, Options{AttemptTimeout: 200 * time.Millisecond})
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			go p.Client(&goredis.Options{ReadTimeout: 5 * time.Second}).Do(context.Background(), tt.pause...)
			time.Sleep(100 * time.Millisecond) // let the pause begin
			// Had Get waited for Redis, it would have found no key and
			// succeeded: its timeout shows the attempt timeout bounds it.
			_, err := s.Get(context.Background(), "a")
			if Kind(err) != KindTimeout {
				t.Errorf("Get on a stalled Redis = %v (kind %q); want a timeout", err, Kind(err))
			}
			if n := counterValue(t, s.errors.WithLabelValues("get", KindTimeout)); n != 1 {
				t.Errorf("errors{get,timeout} = %v; want 1: one attempt", n)
			}
		})
	}
}

func TestRetryBudgetOutlastsAnOutage(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	// A budget no restart on a loaded machine outlasts: the test proves
	// that Set waits for Redis, not how fast.
	s, _ := newStore(t, p, Options{RetryBudget: 30 * time.Second})
	p.Kill()
	done := make(chan error, 1)
	go func() { done <- s.Set(context.Background(), "a", []byte("{}"), time.Hour) }()
	waitUntil(t, 20*time.Second, "Set to retry while Redis is down", func() bool {
		select {
		case err := <-done:
			t.Fatalf("Set with Redis down and a 30 s budget returned %v before Redis came back; want it retrying", err)
		default:
		}
		return counterValue(t, s.retries.WithLabelValues("set")) > 0
	})
	p.Restart()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Set across an outage within its budget: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("Set still running 40 s after Redis restarted, with a 30 s budget")
	}
	if got, _ := p.Do("GET", "sess:a").(string); got != "{}" {
		t.Errorf("GET sess:a = %q after Set succeeded; want the document", got)
	}
}

// skewClock makes s's outages look older by the returned skew.
func skewClock(s *Store) *atomic.Int64 {
	var skew atomic.Int64
	s.now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	return &skew
}

func TestLongOutageFailsFast(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{RetryBudget: 600 * time.Millisecond})
	skew := skewClock(s)
	p.Kill()
	if _, err := s.Get(context.Background(), "a"); err == nil {
		t.Fatal("Get with Redis down succeeded")
	}
	retried := counterValue(t, s.retries.WithLabelValues("get"))
	if retried == 0 {
		t.Error("first Get in an outage made no retry; want it to retry for the budget")
	}
	// The outage has now lasted longer than the budget: one attempt only.
	skew.Store(int64(time.Hour))
	attempts := counterValue(t, s.errors.WithLabelValues("get", KindConnection))
	if _, err := s.Get(context.Background(), "a"); err == nil {
		t.Fatal("Get with Redis down succeeded")
	}
	if n := counterValue(t, s.retries.WithLabelValues("get")); n != retried {
		t.Errorf("Get after an outage longer than the budget retried %v times; want a single attempt", n-retried)
	}
	if n := counterValue(t, s.errors.WithLabelValues("get", KindConnection)); n != attempts+1 {
		t.Errorf("Get after an outage longer than the budget made %v attempts; want 1", n-attempts)
	}
	p.Restart()
	waitUntil(t, 20*time.Second, "Get to succeed after Redis restarted", func() bool {
		_, err := s.Get(context.Background(), "a")
		return err == nil
	})
	// Healthy again: the full budget applies to the next outage.
	if s.reads.since.Load() != 0 {
		t.Error("the outage is not over after a success")
	}
}

// TestOutagesArePerOpKind: a long outage of one kind of operation (say,
// writes without a replica) does not make the other kind fail fast, nor
// does the other's success end it.
func TestOutagesArePerOpKind(t *testing.T) {
	t.Parallel()
	get := func(s *Store, ctx context.Context) error { _, err := s.Get(ctx, "a"); return err }
	set := func(s *Store, ctx context.Context) error { return s.Set(ctx, "a", []byte("{}"), time.Hour) }
	tests := []struct {
		name                 string
		failing, other       string // op labels
		failingDo, otherDo   func(*Store, context.Context) error
		failingOut, otherOut func(*Store) *outage
	}{
		{"failing writes leave reads their budget", "set", "get", set, get,
			func(s *Store) *outage { return &s.writes }, func(s *Store) *outage { return &s.reads }},
		{"failing reads leave writes their budget", "get", "set", get, set,
			func(s *Store) *outage { return &s.reads }, func(s *Store) *outage { return &s.writes }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := redistest.Start(t)
			s, _ := newStore(t, p, Options{RetryBudget: 30 * time.Second})
			skew := skewClock(s)
			p.Kill()

			// An outage of one kind, older than the budget.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			err := tt.failingDo(s, ctx)
			cancel()
			if err == nil {
				t.Fatalf("%s with Redis down succeeded", tt.failing)
			}
			if tt.failingOut(s).since.Load() == 0 || tt.otherOut(s).since.Load() != 0 {
				t.Fatalf("after a failed %s: outages %s %d, %s %d; want only %s's", tt.failing,
					tt.failing, tt.failingOut(s).since.Load(), tt.other, tt.otherOut(s).since.Load(), tt.failing)
			}
			skew.Store(int64(time.Hour))
			retried := counterValue(t, s.retries.WithLabelValues(tt.failing))
			if err := tt.failingDo(s, context.Background()); err == nil {
				t.Fatalf("%s with Redis down succeeded", tt.failing)
			}
			if n := counterValue(t, s.retries.WithLabelValues(tt.failing)); n != retried {
				t.Errorf("%s in its long outage retried %v times; want a single attempt", tt.failing, n-retried)
			}

			// The other kind still retries for its budget, and so
			// outlasts the outage.
			done := make(chan error, 1)
			go func() { done <- tt.otherDo(s, context.Background()) }()
			waitUntil(t, 20*time.Second, tt.other+" to retry while Redis is down", func() bool {
				select {
				case err := <-done:
					t.Fatalf("%s returned %v at once, failing fast in %s's outage; want it retrying", tt.other, err, tt.failing)
				default:
				}
				return counterValue(t, s.retries.WithLabelValues(tt.other)) > 0
			})
			p.Restart()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s across the outage: %v", tt.other, err)
				}
			case <-time.After(40 * time.Second):
				t.Fatalf("%s still running 40 s after Redis restarted, with a 30 s budget", tt.other)
			}
			if tt.failingOut(s).since.Load() == 0 {
				t.Errorf("a %s ended %s's outage; want each kind to end its own", tt.other, tt.failing)
			}
			if err := tt.failingDo(s, context.Background()); err != nil {
				t.Fatalf("%s with Redis back: %v", tt.failing, err)
			}
			if tt.failingOut(s).since.Load() != 0 {
				t.Errorf("%s's outage not over after it succeeded", tt.failing)
			}
		})
	}
}

// TestCloseAnswersQueuedOps: ops still queued when the store closes get
// ErrClosed at once, never sent; the one in flight gets its answer.
func TestCloseAnswersQueuedOps(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}, 1), make(chan struct{})
	var execs atomic.Int32
	b := newBatcher(func(_ context.Context, batch []*op) {
		execs.Add(1)
		started <- struct{}{}
		<-release
	})
	inFlight := make(chan error, 1)
	later := time.Now().Add(time.Hour)
	go func() { inFlight <- do(b, "in-flight", later) }()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the first op did not start within 20 s")
	}
	const queued = 3
	errs := make(chan error, queued)
	for range queued {
		go func() { errs <- do(b, "queued", later) }()
	}
	waitUntil(t, 20*time.Second, "ops to queue", func() bool { return b.queued() == queued })

	closed := make(chan struct{})
	go func() { b.close(); close(closed) }()
	waitUntil(t, 20*time.Second, "close to stop the workers", func() bool {
		select {
		case <-b.quit:
			return true
		default:
			return false
		}
	})
	close(release)

	for range queued {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("queued op at close = %v; want ErrClosed", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a queued op still waiting 20 s after close")
		}
	}
	if err := <-inFlight; err != nil {
		t.Errorf("op in flight at close = %v; want its own answer", err)
	}
	<-closed
	if n := execs.Load(); n != 1 {
		t.Errorf("%d pipelines ran; want only the one in flight at close", n)
	}
	if err := do(b, "after", later); !errors.Is(err, ErrClosed) {
		t.Errorf("op after close = %v; want ErrClosed", err)
	}
}

// do sends an op for key through b, as the store does.
func do(b *batcher, key string, deadline time.Time) error {
	o := getOp()
	o.key, o.deadline = key, deadline
	_, err := b.do(context.Background(), o)
	return err
}

// queued is how many ops wait for b's next pipeline.
func (b *batcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

// TestQueuedOpsKeepTheirDeadlines: an op that waited in the queue past
// its deadline is answered with a timeout and never sent; a pipeline's
// context ends at the earliest deadline among its ops.
func TestQueuedOpsKeepTheirDeadlines(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}, 1), make(chan struct{})
	var sent []string
	var ends []time.Time
	var mu sync.Mutex
	b := newBatcher(func(ctx context.Context, batch []*op) {
		mu.Lock()
		for _, o := range batch {
			sent = append(sent, o.key)
		}
		d, _ := ctx.Deadline()
		ends = append(ends, d)
		mu.Unlock()
		if batch[0].key == "first" {
			started <- struct{}{}
			<-release
		}
	})
	defer b.close()
	now := time.Now()
	first := make(chan error, 1)
	go func() { first <- do(b, "first", now.Add(time.Hour)) }()
	<-started
	// Queued behind the first pipeline: one expires there, two go out
	// together once it is done.
	expired, early, late := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { expired <- do(b, "expired", now) }() // past by the time it is taken
	earlyDeadline := now.Add(30 * time.Minute)
	go func() { early <- do(b, "early", earlyDeadline) }()
	go func() { late <- do(b, "late", now.Add(time.Hour)) }()
	waitUntil(t, 20*time.Second, "three ops to queue", func() bool { return b.queued() == 3 })
	close(release)
	for name, ch := range map[string]chan error{"first": first, "early": early, "late": late} {
		if err := <-ch; err != nil {
			t.Errorf("op %s = %v; want it sent and answered", name, err)
		}
	}
	if err := <-expired; Kind(err) != KindTimeout {
		t.Errorf("op queued past its deadline = %v (kind %q); want a timeout", err, Kind(err))
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(sent)
	if want := []string{"early", "first", "late"}; !slices.Equal(sent, want) {
		t.Errorf("sent %q; want %q: the expired op unsent", sent, want)
	}
	if len(ends) != 2 || !ends[1].Equal(earlyDeadline) {
		t.Errorf("pipeline deadlines %v; want the second to end at its earliest op's, %v", ends, earlyDeadline)
	}
}

// TestClosedStoreDoesNotRetry: a closed store's ErrClosed is final, even
// with a budget.
func TestClosedStoreDoesNotRetry(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{RetryBudget: time.Minute})
	s.Close()
	_, getErr := s.Get(context.Background(), "a")
	setErr := s.Set(context.Background(), "a", []byte("{}"), time.Hour)
	for op, err := range map[string]error{"get": getErr, "set": setErr} {
		if !errors.Is(err, ErrClosed) || Kind(err) != KindClosed {
			t.Errorf("%s on a closed store = %v (kind %q); want ErrClosed", op, err, Kind(err))
		}
		if n := counterValue(t, s.retries.WithLabelValues(op)); n != 0 {
			t.Errorf("%s on a closed store retried %v times; want none", op, n)
		}
	}
}

// TestRetryUntilStopsRetries: past the deadline RetryUntil sets, a failing
// operation makes its attempt and no retry, whatever its budget.
func TestRetryUntilStopsRetries(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	s, _ := newStore(t, p, Options{RetryBudget: time.Minute})
	p.Kill()
	s.RetryUntil(time.Now())
	if err := s.Set(context.Background(), "a", []byte("{}"), time.Hour); err == nil {
		t.Fatal("Set with Redis down succeeded")
	}
	if n := counterValue(t, s.retries.WithLabelValues("set")); n != 0 {
		t.Errorf("Set past the retry deadline retried %v times; want none", n)
	}
	if n := counterValue(t, s.errors.WithLabelValues("set", KindConnection)); n != 1 {
		t.Errorf("Set past the retry deadline made %v attempts; want 1", n)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
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
		{fmt.Errorf("redis SETEX: %w", session.ErrNotReplicated), KindNotReplicated},
		{errors.New("READONLY You can't write against a read only replica."), KindReadOnly},
		{ErrClosed, KindClosed},
		{fmt.Errorf("redis GET: %w", goredis.ErrClosed), KindClosed},
		{io.EOF, KindConnection},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), KindConnection},
		{syscall.ECONNREFUSED, KindConnection},
		{fmt.Errorf("redis: %s: %w", sentinelsUnreachable, errors.Join(errors.New("dial tcp: refused"))), KindConnection},
		{errors.New("redis: no sentinels configured"), KindOther},
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
	if calls := p.CommandCalls("wait"); calls != 0 {
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
	p.WaitAcked()
	before := p.CommandCalls("wait") // WaitAcked's
	s, _ := newStore(t, p, Options{WaitReplicas: 1, WaitTimeout: ackWait})
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
	sets, waits := p.CommandCalls("setex"), p.CommandCalls("wait")-before
	if sets != n || waits >= n || waits == 0 {
		t.Errorf("primary ran %d SETEX and %d WAIT; want %d SETEX sharing fewer WAITs", sets, waits, n)
	}
	t.Logf("%d writes, %d WAITs", sets, waits)
}
