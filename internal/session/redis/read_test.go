package redis

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
)

// TestGetCapsWhatItReads reads values around the shared pipeline's read
// length and around the cap: up to the cap they come back whole, past it
// Get says ErrTooLarge, which is the session's fault and no store error.
func TestGetCapsWhatItReads(t *testing.T) {
	t.Parallel()
	p := redistest.Start(t)
	ctx := context.Background()
	for _, max := range []int{1 << 10, 40 << 10} { // below and above the inline read
		t.Run("cap "+strconv.Itoa(max), func(t *testing.T) {
			s, _ := newStore(t, p, Options{MaxValueBytes: max})
			inline := s.inlineRead()
			for _, size := range []int{1, 110, inline - 1, inline, inline + 1, max - 1, max, max + 1, 10 * max} {
				key := strconv.Itoa(max) + "-" + strconv.Itoa(size)
				val := value(size)
				p.Do("SET", "sess:"+key, val)
				reads, lengths := p.CommandCalls("getrange"), p.CommandCalls("strlen")
				got, err := s.Get(ctx, key)
				// A value the shared read did not hold whole has its
				// length asked, and is read again, alone, unless it is
				// over the cap.
				wantReads, wantLengths := 1, 0
				if size >= inline && inline <= max {
					wantLengths = 1
					if size <= max {
						wantReads = 2
					}
				}
				if r, l := p.CommandCalls("getrange")-reads, p.CommandCalls("strlen")-lengths; r != wantReads || l != wantLengths {
					t.Errorf("Get of %d bytes, cap %d: %d GETRANGE, %d STRLEN; want %d, %d", size, max, r, l, wantReads, wantLengths)
				}
				switch {
				case size > max:
					if !errors.Is(err, session.ErrTooLarge) || got != nil {
						t.Errorf("Get of %d bytes, cap %d = %d bytes, %v; want ErrTooLarge", size, max, len(got), err)
					}
				case err != nil || !bytes.Equal(got, val):
					t.Errorf("Get of %d bytes, cap %d = %d bytes, %v; want the value whole", size, max, len(got), err)
				}
			}
			if got, err := s.Get(ctx, "missing"); got != nil || err != nil {
				t.Errorf("Get(missing) = %q, %v; want nil, nil", got, err)
			}
			for _, kind := range []string{KindOther, KindTimeout, KindConnection} {
				if n := counterValue(t, s.errors.WithLabelValues("get", kind)); n != 0 {
					t.Errorf("errors{get,%s} = %v; want no store error for values over the cap", kind, n)
				}
			}
		})
	}
}

// value is n bytes that tell where they were cut.
func value(n int) []byte {
	b := make([]byte, 0, n+8)
	for i := 0; len(b) < n; i++ {
		b = strconv.AppendInt(append(b, ','), int64(i), 10)
	}
	return b[:n]
}
