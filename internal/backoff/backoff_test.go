package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestNextDoublesUpToMax(t *testing.T) {
	t.Parallel()
	b := Backoff{Min: 25 * time.Millisecond, Max: 500 * time.Millisecond}
	want := []time.Duration{25, 50, 100, 200, 400, 500, 500}
	for i, w := range want {
		if got := b.Next(); got != w*time.Millisecond {
			t.Errorf("Next() #%d = %v; want %v", i+1, got, w*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 25*time.Millisecond {
		t.Errorf("Next() after Reset = %v; want Min again", got)
	}
}

func TestJitterStaysInTheUpperHalf(t *testing.T) {
	t.Parallel()
	seen := map[time.Duration]bool{}
	for range 200 {
		b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Jitter: true}
		for _, full := range []time.Duration{100, 200, 400, 800, 1000} {
			full *= time.Millisecond
			d := b.Next()
			if d < full/2 || d > full {
				t.Fatalf("jittered delay %v; want within [%v, %v]", d, full/2, full)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("%d distinct delays in 1000 draws; want them spread", len(seen))
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	if err := Wait(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Wait(1ms) = %v; want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a cancelled context = %v; want context.Canceled at once", err)
	}
}
