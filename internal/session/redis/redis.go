// Package redis is the Redis adapter of session.Store, with
// connect-redis's layout: the key "sess:<id>" holds the session JSON,
// written with SETEX. Each write is pipelined with WAIT so that it is
// acknowledged only once a replica holds it, and failing operations are
// retried for a bounded budget so that a Sentinel failover costs latency,
// not errors.
package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// keyPrefix is connect-redis's key prefix.
const keyPrefix = "sess:"

// Options tune a Store. The zero value is usable: one 250 ms attempt per
// operation and no WAIT.
type Options struct {
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
	// replica). Zero means one attempt. Once reads (or writes) have been
	// failing for longer than the budget, each read (or write) makes one
	// attempt until one succeeds, so an outage does not hold every request
	// for the budget.
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

	// Reads and writes fail apart (no replica fails only writes), so
	// each kind has its own outage.
	reads, writes outage
	// retryDeadline, unix nanos, is when retries must be over (see
	// RetryUntil); 0 for none.
	retryDeadline atomic.Int64
	// now tells the age of an outage; tests move it.
	now func() time.Time

	errors  *prometheus.CounterVec
	retries *prometheus.CounterVec
}

// outage is one kind of operation's current run of failures.
type outage struct {
	since atomic.Int64 // unix nanos of the first failure; 0 while healthy
}

// New returns a Store that keeps sessions through client.
func New(client *goredis.Client, opt Options) *Store {
	if opt.AttemptTimeout <= 0 {
		opt.AttemptTimeout = 250 * time.Millisecond
	}
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
	}
	if opt.Registerer != nil {
		opt.Registerer.MustRegister(s.errors, s.retries)
	}
	s.gets = newBatcher(opt.AttemptTimeout, execGets(client))
	s.sets = newBatcher(opt.AttemptTimeout+opt.WaitTimeout, execSets(client, opt.WaitReplicas, opt.WaitTimeout))
	return s
}

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

// Get returns the session document stored for id, or nil if there is none.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	var val []byte
	err := s.retry(ctx, "get", &s.reads, s.opt.AttemptTimeout+QueueGrace, func(ctx context.Context) error {
		o := &op{key: keyPrefix + id}
		if err := s.gets.do(ctx, o); err != nil {
			return err // o may still be in flight: do not read it
		}
		val = o.val
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis GET: %w", err)
	}
	return val, nil
}

// Set writes doc for id with SETEX and, when WaitReplicas > 0, a WAIT in
// the same round trip. It wraps session.ErrNotReplicated when WAIT counted
// fewer replicas than asked, or the primary refused the write for want of
// replicas (NOREPLICAS, min-replicas-to-write).
func (s *Store) Set(ctx context.Context, id string, doc []byte, ttl time.Duration) error {
	err := s.retry(ctx, "set", &s.writes, s.opt.AttemptTimeout+s.opt.WaitTimeout+QueueGrace, func(ctx context.Context) error {
		return s.sets.do(ctx, &op{key: keyPrefix + id, doc: doc, ttl: ttl})
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

// retry runs fn, each attempt under its own timeout, until it succeeds,
// fails for good, or the retry budget is spent. out is the outage of fn's
// kind of operation.
func (s *Store) retry(ctx context.Context, op string, out *outage, timeout time.Duration, fn func(context.Context) error) error {
	start := time.Now()
	budget := s.opt.RetryBudget
	now := s.now()
	if since := out.since.Load(); since != 0 && now.Sub(time.Unix(0, since)) > budget {
		budget = 0 // a long outage: answer fast until Redis is back
	}
	backoff := 25 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := fn(actx)
		cancel()
		if err == nil {
			out.since.Store(0)
			return nil
		}
		kind := Kind(err)
		s.errors.WithLabelValues(op, kind).Inc()
		if !retryable(kind) || ctx.Err() != nil {
			return err
		}
		out.since.CompareAndSwap(0, now.UnixNano())
		// Full jitter keeps a crowd of waiting requests from retrying in step.
		sleep := backoff/2 + rand.N(backoff/2+1)
		if time.Since(start)+sleep >= budget {
			return err
		}
		if d := s.retryDeadline.Load(); d != 0 && time.Now().Add(sleep+timeout).UnixNano() > d {
			return err // shutting down: this retry could end too late
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
