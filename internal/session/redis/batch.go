package redis

import (
	"context"
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
//
// One pipeline of each kind is in flight at a time: that makes the
// biggest batches, and so the least work for Redis and its replicas per
// request (measured with cmd/bench-web on two cores: one beat two by
// 10-50%, and four and more by more).
//
// Each op carries its deadline. Its caller waits for its answer alone,
// with no timer of its own: a pipeline ends by the earliest deadline among
// its ops, and an op still queued at its deadline is answered with a
// timeout unsent. So every op is answered by its deadline, plus the time
// to hand the answer over.

// maxBatch bounds the commands of one pipeline. With no replica to
// confirm, each write pipeline waits WAIT's whole timeout, so this also
// bounds write throughput then: 512 per 250 ms.
const maxBatch = 512

// errExpired answers an op whose deadline passed while it was queued.
var errExpired = fmt.Errorf("queued until its deadline: %w", context.DeadlineExceeded)

// op is one queued GET or SETEX, answered through done. An op that was
// answered is free again: ops are pooled (see getOp).
type op struct {
	key      string
	doc      []byte        // SETEX value
	ttl      time.Duration // SETEX TTL
	val      []byte        // GET result; nil if none
	deadline time.Time
	err      error
	done     chan struct{} // one token: the answer is in
}

var ops = sync.Pool{New: func() any { return &op{done: make(chan struct{}, 1)} }}

// getOp returns a free op; putOp frees an answered one.
func getOp() *op { return ops.Get().(*op) }

func putOp(o *op) {
	*o = op{done: o.done}
	ops.Put(o)
}

// answer hands o its answer.
func (o *op) answer() { o.done <- struct{}{} }

// batcher feeds queued ops to a worker that runs one pipeline at a time.
type batcher struct {
	exec func(ctx context.Context, batch []*op)

	mu     sync.Mutex
	queue  []*op
	closed bool

	wake chan struct{} // a token: the queue was empty and is not
	quit chan struct{}
	done chan struct{} // closed when the worker has returned
}

func newBatcher(exec func(context.Context, []*op)) *batcher {
	b := &batcher{exec: exec, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go b.work()
	return b
}

// do queues o, made by getOp, and waits for its answer, or for ctx; it
// reports whether o was answered, and so may be freed. An abandoned op
// still runs; its answer is dropped. After close it returns ErrClosed.
func (b *batcher) do(ctx context.Context, o *op) (answered bool, err error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return true, ErrClosed
	}
	b.queue = append(b.queue, o)
	first := len(b.queue) == 1
	b.mu.Unlock()
	if first {
		select {
		case b.wake <- struct{}{}:
		default: // a token is pending already
		}
	}
	select {
	case <-o.done:
		return true, o.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (b *batcher) work() {
	defer close(b.done)
	var batch []*op
	for {
		select {
		case <-b.quit:
			return
		case <-b.wake:
		}
		for {
			b.mu.Lock()
			if b.closed {
				b.mu.Unlock()
				return // close answers what is queued
			}
			batch, b.queue = b.queue, batch[:0]
			b.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := 0; i < len(batch); i += maxBatch {
				b.run(batch[i:min(i+maxBatch, len(batch))])
			}
			clear(batch)
		}
	}
}

// run sends the ops of chunk still within their deadlines in one
// pipeline, ending by the earliest of them, and answers every op.
func (b *batcher) run(chunk []*op) {
	now := time.Now()
	live := chunk[:0]
	var deadline time.Time
	for _, o := range chunk {
		if !o.deadline.After(now) {
			o.err = errExpired
			o.answer()
			continue
		}
		if len(live) == 0 || o.deadline.Before(deadline) {
			deadline = o.deadline
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	b.exec(ctx, live)
	cancel()
	for _, o := range live {
		o.answer()
	}
}

// close stops the worker once its pipeline is done, and answers the ops
// still queued with ErrClosed: they were never sent.
func (b *batcher) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	queued := b.queue
	b.queue = nil
	b.mu.Unlock()
	close(b.quit)
	<-b.done
	for _, o := range queued {
		o.err = ErrClosed
		o.answer()
	}
}

// execGets runs one pipeline of reads of the first n bytes of each value
// (GETRANGE 0 n-1, which answers "" for a missing key): one huge value
// cannot make the pipeline slow for the others in it.
func execGets(client *goredis.Client, n int) func(context.Context, []*op) {
	return func(ctx context.Context, batch []*op) {
		pipe := client.Pipeline()
		cmds := make([]*goredis.StringCmd, len(batch))
		for i, o := range batch {
			cmds[i] = pipe.GetRange(ctx, o.key, 0, int64(n-1))
		}
		_, _ = pipe.Exec(ctx)
		for i, o := range batch {
			o.val, o.err = cmds[i].Bytes()
		}
	}
}

// execSets runs one pipeline of SETEXs and, if waitReplicas says so, one
// WAIT after them: a write the primary took but WAIT did not confirm gets
// session.ErrNotReplicated.
func execSets(client *goredis.Client, waitReplicas func(context.Context) int, waitTimeout time.Duration) func(context.Context, []*op) {
	return func(ctx context.Context, batch []*op) {
		replicas := waitReplicas(ctx)
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
