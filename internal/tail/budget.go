package tail

import "context"

// DefaultBudgetChunks is how many chunks, each with a read buffer, all
// files of a Budget may hold at once (about 5 MiB of lines).
const DefaultBudgetChunks = 16

// Budget bounds the memory of all files sharing it: each chunk being
// built or awaiting acknowledgement, with its file's read buffer, holds
// one slot. A nil *Budget bounds nothing.
type Budget struct{ slots semaphore }

// NewBudget returns a budget of n chunks (DefaultBudgetChunks if n <= 0).
func NewBudget(n int) *Budget {
	if n <= 0 {
		n = DefaultBudgetChunks
	}
	return &Budget{slots: make(semaphore, n)}
}

func (b *Budget) tryAcquire() bool { return b == nil || b.slots.tryAcquire() }

func (b *Budget) acquire(ctx context.Context) bool { return b == nil || b.slots.acquire(ctx) }

func (b *Budget) release() {
	if b != nil {
		b.slots.release()
	}
}

// semaphore is a counting semaphore of cap(s) slots.
type semaphore chan struct{}

func (s semaphore) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

// acquire takes a slot, waiting for one until ctx is done.
func (s semaphore) acquire(ctx context.Context) bool {
	select {
	case s <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s semaphore) release() { <-s }
