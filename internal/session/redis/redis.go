// Package redis is the Redis adapter of session.Store, with
// connect-redis's layout: the key "sess:<id>" holds the session JSON,
// written with SETEX. Each write is pipelined with WAIT so that it is
// acknowledged only once a replica holds it, and failing operations are
// retried for a bounded budget so that a Sentinel failover costs latency,
// not errors.
package redis

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// Options tune a Store. The zero value is usable: one 250 ms attempt per
// operation and no WAIT.
type Options struct {
	// Prefix of keys; connect-redis's "sess:" when empty.
	Prefix string
	// WaitReplicas is how many replicas must confirm a write (WAIT's
	// numreplicas); 0 sends no WAIT.
	WaitReplicas int
	// WaitTimeout is WAIT's timeout.
	WaitTimeout time.Duration
	// AttemptTimeout bounds one attempt of one operation; a write's
	// attempt gets WaitTimeout on top. Defaults to 250 ms.
	AttemptTimeout time.Duration
	// RetryBudget is how long an operation keeps retrying retryable
	// failures (connection errors, timeouts, READONLY, LOADING, no
	// replica). Zero means one attempt. Once Redis has been failing for
	// longer than the budget, operations make one attempt each until one
	// succeeds, so an outage does not hold every request for the budget.
	RetryBudget time.Duration
	// Registerer receives the store's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Store implements session.Store on a go-redis client. It is safe for
// concurrent use. Close stops its pipeline workers; it does not own the
// client, which the caller closes after.
type Store struct {
	client *goredis.Client
	opt    Options

	gets, sets *batcher

	failingSince atomic.Int64 // unix nanos of the first failure of the current outage; 0 when healthy

	errors  *prometheus.CounterVec
	retries *prometheus.CounterVec
}

// New returns a Store that keeps sessions through client.
func New(client *goredis.Client, opt Options) *Store {
	if opt.Prefix == "" {
		opt.Prefix = "sess:"
	}
	if opt.AttemptTimeout <= 0 {
		opt.AttemptTimeout = 250 * time.Millisecond
	}
	s := &Store{
		client: client,
		opt:    opt,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_store_errors_total",
			Help: "Failed session store attempts, by operation and kind of error.",
		}, []string{"op", "kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_store_retries_total",
			Help: "Session store attempts repeated after a retryable failure.",
		}, []string{"op"}),
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(s.errors, s.retries)
	}
	s.gets = newBatcher(opt.AttemptTimeout, execGets(client))
	s.sets = newBatcher(opt.AttemptTimeout+opt.WaitTimeout, execSets(client, opt.WaitReplicas, opt.WaitTimeout))
	return s
}

// Close stops the store's pipeline workers. It does not close the client.
func (s *Store) Close() {
	s.gets.close()
	s.sets.close()
}

// Get returns the session document stored for id, or nil if there is none.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	var val []byte
	err := s.retry(ctx, "get", s.opt.AttemptTimeout+queueGrace, func(ctx context.Context) error {
		o := &op{key: s.opt.Prefix + id}
		if err := s.gets.do(ctx, o); err != nil {
			return err // o may still be in flight: do not read it
		}
		val = o.val
		return nil
	})
	return val, err
}

// Set writes doc for id with SETEX and, when WaitReplicas > 0, a WAIT in
// the same round trip. It wraps session.ErrNotReplicated when WAIT counted
// fewer replicas than asked, or the primary refused the write for want of
// replicas (NOREPLICAS, min-replicas-to-write).
func (s *Store) Set(ctx context.Context, id string, doc []byte, ttl time.Duration) error {
	return s.retry(ctx, "set", s.opt.AttemptTimeout+s.opt.WaitTimeout+queueGrace, func(ctx context.Context) error {
		return s.sets.do(ctx, &op{key: s.opt.Prefix + id, doc: doc, ttl: ttl})
	})
}

// Ping reports whether Redis answers, within one attempt's timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.AttemptTimeout)
	defer cancel()
	return s.client.Ping(ctx).Err()
}

// retry runs op, each attempt under its own timeout, until it succeeds,
// fails for good, or the retry budget is spent.
func (s *Store) retry(ctx context.Context, op string, timeout time.Duration, fn func(context.Context) error) error {
	start := time.Now()
	budget := s.opt.RetryBudget
	if since := s.failingSince.Load(); since != 0 && start.Sub(time.Unix(0, since)) > budget {
		budget = 0 // a long outage: answer fast until Redis is back
	}
	backoff := 25 * time.Millisecond
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := fn(actx)
		cancel()
		if err == nil {
			s.failingSince.Store(0)
			return nil
		}
		kind := Kind(err)
		s.errors.WithLabelValues(op, kind).Inc()
		if !retryable(kind) || ctx.Err() != nil {
			return err
		}
		s.failingSince.CompareAndSwap(0, start.UnixNano())
		// Full jitter keeps a crowd of waiting requests from retrying in step.
		sleep := backoff/2 + rand.N(backoff/2+1)
		if time.Since(start)+sleep >= budget {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(sleep):
		}
		backoff = min(2*backoff, 500*time.Millisecond)
		s.retries.WithLabelValues(op).Inc()
	}
}
