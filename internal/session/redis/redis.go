// Package redis is the Redis adapter of session.Store, with
// connect-redis's layout: the key "sess:<id>" holds the session JSON,
// written with SETEX. Each write is pipelined with WAIT so that it is
// acknowledged only once a replica holds it, and failing operations are
// retried for a bounded budget so that a Sentinel failover costs latency,
// not errors. Reads are capped, so that one huge value delays no other.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/backoff"
	"github.com/appstack/appstack/internal/session"
)

// keyPrefix is connect-redis's key prefix.
const keyPrefix = "sess:"

// Options tune a Store. The zero value is usable: one 250 ms attempt per
// operation, no WAIT, values up to DefaultMaxValueBytes.
type Options struct {
	// WaitReplicas is how many replicas must confirm a write (WAIT's
	// numreplicas); 0 sends no WAIT.
	WaitReplicas int
	// AutoWait, with WaitReplicas > 0, sends WAIT only once the primary
	// has reported a replica (ROLE), so that a lone Redis, as in
	// development, gives sessions at once. Until it has, writes ask again
	// at most once a second. From then on every write waits, for the life
	// of the Store: a replica lost later fails writes with
	// session.ErrNotReplicated, as without AutoWait, rather than being
	// silently done without.
	AutoWait bool
	// WaitTimeout is WAIT's timeout.
	WaitTimeout time.Duration
	// AttemptTimeout bounds one attempt of one operation; a write's
	// attempt gets WaitTimeout on top. Defaults to 250 ms.
	AttemptTimeout time.Duration
	// RetryBudget is how long an operation keeps retrying retryable
	// failures (connection errors, timeouts, READONLY, LOADING, no
	// replica). Zero means one attempt. Once reads (or writes) have been
	// failing for longer than the budget, each read (or write) makes one
	// attempt until one succeeds, so an outage does not hold every request
	// for the budget.
	RetryBudget time.Duration
	// MaxValueBytes caps a session document: Get reads no more than that
	// of a value, and reports a longer one as session.ErrTooLarge.
	// Defaults to DefaultMaxValueBytes.
	MaxValueBytes int
	// Registerer receives the store's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Log hears what AutoWait decides; nil logs nothing.
	Log *slog.Logger
}

// DefaultMaxValueBytes is the default cap of a session document, 1 MiB:
// connect's sessions are about 110 bytes, and a cookie-borne session
// would have to fit in 4 KiB; a stored session far beyond it is an attack
// or a bug, and reading, parsing and writing it back on every request
// would cost every other user.
const DefaultMaxValueBytes = 1 << 20

// recheckReplicas is how often AutoWait asks a primary without replicas
// whether it has one now.
const recheckReplicas = time.Second

// Store implements session.Store on a go-redis client. It is safe for
// concurrent use. Close stops its pipeline workers; it does not own the
// client, which the caller closes after.
type Store struct {
	client *goredis.Client
	opt    Options

	gets, sets *batcher

	// Reads and writes fail apart (no replica fails only writes), so
	// each kind has its own outage.
	reads, writes outage
	// retryDeadline, unix nanos, is when retries must be over (see
	// RetryUntil); 0 for none.
	retryDeadline atomic.Int64
	// now tells the age of an outage and of AutoWait's last ROLE; tests
	// move it.
	now func() time.Time

	// AutoWait's state: whether a replica was seen, and when ROLE last
	// answered (unix nanos; 0 before it has).
	replicaSeen  atomic.Bool
	roleAnswered atomic.Int64

	errors    *prometheus.CounterVec
	retries   *prometheus.CounterVec
	waitGauge prometheus.Gauge
}

// outage is one kind of operation's current run of failures.
type outage struct {
	since atomic.Int64 // unix nanos of the first failure; 0 while healthy
}

// withDefaults fills in the zero fields that have defaults.
func (o Options) withDefaults() Options {
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 250 * time.Millisecond
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = DefaultMaxValueBytes
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Bounds are how long a Store's operations may take, retries aside.
type Bounds struct {
	// Get and Set bound one attempt of each: a session's load, and its
	// save with the WAIT after it.
	Get, Set time.Duration
}

// Bounds reports how long operations of a Store made with o may take.
// An operation that retries may take its RetryBudget more.
func (o Options) Bounds() Bounds {
	o = o.withDefaults()
	b := Bounds{Get: o.AttemptTimeout, Set: o.AttemptTimeout}
	if o.WaitReplicas > 0 {
		b.Set += o.WaitTimeout
	}
	return b
}

// Request is what one request may wait on the store when nothing is
// retried: a load, then a save.
func (b Bounds) Request() time.Duration { return b.Get + b.Set }

// New returns a Store that keeps sessions through client.
func New(client *goredis.Client, opt Options) *Store {
	opt = opt.withDefaults()
	s := &Store{
		client: client,
		opt:    opt,
		now:    time.Now,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_store_errors_total",
			Help: "Failed session store attempts, by operation and kind of error.",
		}, []string{"op", "kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_store_retries_total",
			Help: "Session store attempts repeated after a retryable failure.",
		}, []string{"op"}),
		waitGauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "webapp_session_wait_replicas",
			Help: "Replicas each session write waits for (WAIT); 0 while writes do not wait.",
		}),
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(s.errors, s.retries, s.waitGauge)
	}
	if !opt.AutoWait {
		s.waitGauge.Set(float64(opt.WaitReplicas))
	}
	s.gets = newBatcher(execGets(client, s.inlineRead()))
	s.sets = newBatcher(execSets(client, s.waitReplicas, opt.WaitTimeout))
	return s
}

// Bounds reports how long the store's operations may take, retries aside.
func (s *Store) Bounds() Bounds { return s.opt.Bounds() }

// Close stops the store's pipeline workers: operations still queued, and
// any made after, fail with ErrClosed. It does not close the client.
func (s *Store) Close() {
	s.gets.close()
	s.sets.close()
}

// RetryUntil makes the store stop retrying by deadline: a retry that
// could not finish by then is not made, and the operation returns its
// last error. webapp calls it when it starts shutting down, so that a
// dead Redis cannot hold a request past the shutdown timeout.
func (s *Store) RetryUntil(deadline time.Time) {
	s.retryDeadline.Store(deadline.UnixNano())
}

// Get returns the session document stored for id, or nil if there is
// none; an error wrapping session.ErrTooLarge if it is longer than
// MaxValueBytes. The shared pipeline reads only the first inlineRead
// bytes of each value; of a longer value Get asks the length (STRLEN)
// and, if it is within the cap, reads it again on a connection of its
// own, within the same attempt, so that its transfer delays no other
// request's read.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	key := keyPrefix + id
	var val []byte
	tooLarge := false
	err := s.retry(ctx, "get", &s.reads, s.opt.AttemptTimeout, func(ctx context.Context, deadline time.Time) error {
		o := getOp()
		o.key, o.deadline = key, deadline
		answered, err := s.gets.do(ctx, o)
		if !answered {
			return err // o may still be in flight: leave it be
		}
		val, tooLarge = o.val, false
		putOp(o)
		if err != nil {
			return err
		}
		if len(val) < s.inlineRead() || len(val) > s.opt.MaxValueBytes {
			return nil
		}
		// A long value: its length first, so that one over the cap is
		// never transferred; then the value, on a connection of its own.
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		n, err := s.client.StrLen(ctx, key).Result()
		if err != nil || n > int64(s.opt.MaxValueBytes) {
			val, tooLarge = nil, n > int64(s.opt.MaxValueBytes)
			return err
		}
		// One byte past the cap tells a value that grew over it since.
		val, err = s.client.GetRange(ctx, key, 0, int64(s.opt.MaxValueBytes)).Bytes()
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("redis GETRANGE: %w", err)
	case tooLarge || len(val) > s.opt.MaxValueBytes:
		return nil, fmt.Errorf("redis GETRANGE: value over %d bytes: %w", s.opt.MaxValueBytes, session.ErrTooLarge)
	case len(val) == 0:
		// GETRANGE answers "" for a missing key; an empty value is no
		// session either.
		return nil, nil
	}
	return val, nil
}

// inlineRead is how much of a value the shared read pipeline fetches:
// enough for any ordinary session (connect's are about 110 bytes), little
// enough that a full pipeline (maxBatch reads) moves at most 8 MiB. A
// value this long or longer is read again, alone.
func (s *Store) inlineRead() int {
	return min(16<<10, s.opt.MaxValueBytes+1)
}

// Set writes doc for id with SETEX and, when it waits for replicas (see
// WaitReplicas and AutoWait), a WAIT in the same round trip. It wraps
// session.ErrNotReplicated when WAIT counted fewer replicas than asked,
// or the primary refused the write for want of replicas (NOREPLICAS,
// min-replicas-to-write).
func (s *Store) Set(ctx context.Context, id string, doc []byte, ttl time.Duration) error {
	key := keyPrefix + id
	err := s.retry(ctx, "set", &s.writes, s.opt.AttemptTimeout+s.opt.WaitTimeout, func(ctx context.Context, deadline time.Time) error {
		o := getOp()
		o.key, o.doc, o.ttl, o.deadline = key, doc, ttl, deadline
		answered, err := s.sets.do(ctx, o)
		if answered {
			putOp(o)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("redis SETEX: %w", err)
	}
	return nil
}

// Ping reports whether Redis answers, within one attempt's timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.AttemptTimeout)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis PING: %w", err)
	}
	return nil
}

// retry runs fn, each attempt with its own deadline, timeout from its
// start, until it succeeds, fails for good, or the retry budget is spent.
// out is the outage of fn's kind of operation. No timer runs on the way
// that works: fn's deadline bounds it (see batcher).
func (s *Store) retry(ctx context.Context, op string, out *outage, timeout time.Duration, fn func(ctx context.Context, deadline time.Time) error) error {
	start := time.Now()
	var delays *backoff.Backoff // from the first failure on
	budget := s.opt.RetryBudget
	for attempt := start; ; attempt = time.Now() {
		err := fn(ctx, attempt.Add(timeout))
		if err == nil {
			if out.since.Load() != 0 {
				out.since.Store(0)
			}
			return nil
		}
		kind := Kind(err)
		s.errors.WithLabelValues(op, kind).Inc()
		if !retryable(kind) || ctx.Err() != nil {
			return err
		}
		if delays == nil {
			now := s.now()
			if !out.since.CompareAndSwap(0, now.UnixNano()) && now.Sub(time.Unix(0, out.since.Load())) > budget {
				budget = 0 // a long outage: answer fast until Redis is back
			}
			// Jitter keeps a crowd of waiting requests from retrying in step.
			delays = &backoff.Backoff{Min: 25 * time.Millisecond, Max: 500 * time.Millisecond, Jitter: true}
		}
		sleep := delays.Next()
		if time.Since(start)+sleep >= budget {
			return err
		}
		if d := s.retryDeadline.Load(); d != 0 && time.Now().Add(sleep+timeout).UnixNano() > d {
			return err // shutting down: this retry could end too late
		}
		if backoff.Wait(ctx, sleep) != nil {
			return err
		}
		s.retries.WithLabelValues(op).Inc()
	}
}
