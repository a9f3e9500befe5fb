package tail

import "context"

// DefaultBudgetChunks is how many chunks, each with a read buffer, all
// files of a Budget may hold at once (about 5 MiB of lines).
const DefaultBudgetChunks = 16

// Budget bounds the memory of all files sharing it: each chunk being
// built or awaiting acknowledgement, with its file's read buffer, holds
// one slot. A nil *Budget bounds nothing.
type Budget struct{ slots chan struct{} }

// NewBudget returns a budget of n chunks (DefaultBudgetChunks if n <= 0).
func NewBudget(n int) *Budget {
	if n <= 0 {
		n = DefaultBudgetChunks
	}
	return &Budget{slots: make(chan struct{}, n)}
}

func (b *Budget) tryAcquire() bool {
	if b == nil {
		return true
	}
	select {
	case b.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (b *Budget) acquire(ctx context.Context) bool {
	if b == nil {
		return true
	}
	select {
	case b.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (b *Budget) release() {
	if b != nil {
		<-b.slots
	}
}
