package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/session"
)

// Batching: requests that reach the store while a pipeline is in flight
// queue up and go out together in the next one. Under load, one round
// trip then carries many GETs, or many SETEXs followed by a single WAIT
// (which covers every write the connection made before it), instead of
// one round trip (and one WAIT) per request; alone, a request still goes
// out at once. This is group commit: each write is still acknowledged
// only after WAIT confirmed it.
const (
	// pipelines is how many pipelines of each kind may be in flight. One
	// makes the biggest batches, and so the least work for Redis and its
	// replicas per request: measured with cmd/bench-web on two cores, one
	// beat two by 10-50% and four and more by more. While it is in flight
	// nothing else waits on it but queued requests.
	pipelines = 1
	// maxBatch bounds the commands of one pipeline. With no replica to
	// confirm, each write pipeline waits WAIT's whole timeout, so this
	// also bounds write throughput then: 512 per 250 ms.
	maxBatch = 512
	// QueueGrace is how much longer than its pipeline's timeout a caller
	// waits, so that the pipeline's own answer (a timeout, or WAIT's
	// count) reaches it rather than the caller's deadline.
	QueueGrace = 50 * time.Millisecond
)

// op is one queued GET or SETEX, answered through done.
type op struct {
	key  string
	doc  []byte        // SETEX value
	ttl  time.Duration // SETEX TTL
	val  []byte        // GET result; nil if none
	err  error
	done chan struct{}
}

// batcher feeds queued ops to workers that each run one pipeline at a time.
type batcher struct {
	ops  chan *op
	exec func(ctx context.Context, batch []*op)
	// timeout bounds one pipeline.
	timeout time.Duration
	quit    chan struct{}
	wg      sync.WaitGroup
	// mu guards closed; do queues under its read lock, so that once
	// close holds it no op can be queued that nobody would answer.
	mu     sync.RWMutex
	closed bool
}

func newBatcher(timeout time.Duration, exec func(context.Context, []*op)) *batcher {
	b := &batcher{ops: make(chan *op, maxBatch), exec: exec, timeout: timeout, quit: make(chan struct{})}
	for range pipelines {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

func (b *batcher) work() {
	defer b.wg.Done()
	batch := make([]*op, 0, maxBatch)
	for {
		// Once closing, stop before taking more ops: close answers them.
		select {
		case <-b.quit:
			return
		default:
		}
		select {
		case <-b.quit:
			return
		case o := <-b.ops:
			batch = append(batch[:0], o)
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case o := <-b.ops:
				batch = append(batch, o)
			default:
				break drain
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		b.exec(ctx, batch)
		cancel()
		for _, o := range batch {
			close(o.done)
		}
		clear(batch)
	}
}

// do queues o and waits for its answer or ctx. An abandoned op still
// runs; its answer is dropped. After close it returns ErrClosed.
func (b *batcher) do(ctx context.Context, o *op) error {
	o.done = make(chan struct{})
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.ops <- o:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the workers once their pipelines are done, and answers the
// ops still queued with ErrClosed: they were never sent.
func (b *batcher) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	close(b.quit)
	b.wg.Wait()
	for {
		select {
		case o := <-b.ops:
			o.err = ErrClosed
			close(o.done)
		default:
			return
		}
	}
}

// execGets runs one pipeline of GETs.
func execGets(client *goredis.Client) func(context.Context, []*op) {
	return func(ctx context.Context, batch []*op) {
		pipe := client.Pipeline()
		cmds := make([]*goredis.StringCmd, len(batch))
		for i, o := range batch {
			cmds[i] = pipe.Get(ctx, o.key)
		}
		_, _ = pipe.Exec(ctx)
		for i, o := range batch {
			o.val, o.err = cmds[i].Bytes()
			if errors.Is(o.err, goredis.Nil) {
				o.val, o.err = nil, nil
			}
		}
	}
}

// execSets runs one pipeline of SETEXs and, if replicas > 0, one WAIT
// after them: a write the primary took but WAIT did not confirm gets
// session.ErrNotReplicated.
func execSets(client *goredis.Client, replicas int, waitTimeout time.Duration) func(context.Context, []*op) {
	return func(ctx context.Context, batch []*op) {
		pipe := client.Pipeline()
		cmds := make([]*goredis.StatusCmd, len(batch))
		for i, o := range batch {
			cmds[i] = pipe.SetEx(ctx, o.key, o.doc, o.ttl)
		}
		var wait *goredis.Cmd
		if replicas > 0 {
			wait = pipe.Do(ctx, "wait", replicas, waitTimeout.Milliseconds())
		}
		_, _ = pipe.Exec(ctx)
		var waitErr error
		if wait != nil {
			n, err := wait.Int64()
			switch {
			case err != nil:
				waitErr = err
			case int(n) < replicas:
				waitErr = fmt.Errorf("WAIT %d %d: %d replicas: %w", replicas, waitTimeout.Milliseconds(), n, session.ErrNotReplicated)
			}
		}
		for i, o := range batch {
			if o.err = noReplicas(cmds[i].Err()); o.err == nil {
				o.err = waitErr
			}
		}
	}
}

// noReplicas marks a NOREPLICAS refusal (min-replicas-to-write) as
// session.ErrNotReplicated: the same condition, caught by the primary.
func noReplicas(err error) error {
	if goredis.IsNoReplicasError(err) {
		return fmt.Errorf("%w: %w", session.ErrNotReplicated, err)
	}
	return err
}
