// Package backoff computes the delays between the attempts of a retried
// operation: exponential, capped, and jittered so that many callers that
// failed together do not retry in step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff hands out the delays of one run of retries. Its zero value is
// not usable: Min and Max are required. A Backoff is not safe for
// concurrent use: each retrying caller has its own.
type Backoff struct {
	// Min is the first delay; each next one doubles, up to Max.
	Min, Max time.Duration
	// Jitter draws each delay uniformly from [d/2, d] rather than d.
	Jitter bool

	next time.Duration
}

// Next returns the delay to wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	if b.next == 0 {
		b.next = b.Min
	}
	d := b.next
	b.next = min(2*b.next, b.Max)
	if b.Jitter {
		d = d/2 + rand.N(d/2+1)
	}
	return d
}

// Reset starts over from Min, after an attempt that worked.
func (b *Backoff) Reset() { b.next = 0 }

// Wait waits d, or until ctx is done: it returns ctx.Err() then, and nil
// after d.
func Wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
