package event

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"unsafe"
)

// fieldsOf returns fields with the given keys.
func fieldsOf(keys ...string) []Field {
	fs := make([]Field, len(keys))
	for i, k := range keys {
		fs[i] = Field{Key: k, Value: Int(int64(i))}
	}
	return fs
}

// TestCachedOrderIsHashMapOrder asks the cache for many key sequences,
// more than it has slots, twice each and from several goroutines: every
// answer is what hashMapOrder computes for those keys.
func TestCachedOrderIsHashMapOrder(t *testing.T) {
	t.Parallel()
	var seqs [][]Field
	base := []string{"message", "@version", "@timestamp", "host", "path", "type", "tags"}
	for n := range 3 * orderSlots {
		keys := slices.Clone(base[:1+n%len(base)])
		keys = append(keys, fmt.Sprintf("k%d", n), fmt.Sprintf("k%d", n/2))
		if n%5 == 0 {
			slices.Reverse(keys)
		}
		seqs = append(seqs, fieldsOf(keys...))
	}
	seqs = append(seqs, fieldsOf(), fieldsOf("ab", "c"), fieldsOf("a", "bc"))
	wide := make([]string, maxCachedKeys+3)
	for i := range wide {
		wide[i] = fmt.Sprintf("f%02d", i)
	}
	seqs = append(seqs, fieldsOf(wide...))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 2 {
				for i, fs := range seqs {
					if i%4 != g && round == 0 {
						continue
					}
					if got, want := cachedOrder(fs), hashMapOrder(fs); !slices.Equal(got, want) {
						t.Errorf("cachedOrder(%v) = %v; want %v", keysOf(fs), got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestCachedOrderKeepsCopiesOfTheKeys: keys that share an input's buffer
// (a JSON document's, reused for the next batch) must not change a cached
// entry when the buffer is overwritten.
func TestCachedOrderKeepsCopiesOfTheKeys(t *testing.T) {
	t.Parallel()
	buf := []byte("zq1xzq2x")
	fs := []Field{{Key: unsafe.String(&buf[0], 4)}, {Key: unsafe.String(&buf[4], 4)}}
	want := hashMapOrder(fs)
	cachedOrder(fs)
	copy(buf, "zq2xzq1x") // the same keys, swapped: a different sequence
	if got, want2 := cachedOrder(fs), hashMapOrder(fs); !slices.Equal(got, want2) {
		t.Errorf("after the buffer changed, cachedOrder = %v; want %v (was %v)", got, want2, want)
	}
}

// TestOrderFollowsChangesToTheEvent: the order is read from the keys the
// event has when it is encoded, whatever changed them.
func TestOrderFollowsChangesToTheEvent(t *testing.T) {
	t.Parallel()
	e := Event{Fields: fieldsOf("message", "@version", "@timestamp", "host", "path")}
	check := func(step string) {
		t.Helper()
		if got, want := e.Order(), hashMapOrder(e.Fields); !slices.Equal(got, want) {
			t.Errorf("after %s: Order() = %v; want %v (keys %v)", step, got, want, keysOf(e.Fields))
		}
	}
	check("building")
	e.Set("clientip", String("1.2.3.4"))
	check("Set")
	e.Put(MustRef("[geo][city]"), String("x"))
	check("Put")
	e.Remove(MustRef("host"))
	check("Remove")
	e.Fields[0].Key = "renamed" // a filter writing Fields directly, same length
	check("a rename in place")
}

func keysOf(fs []Field) []string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.Key
	}
	return keys
}

// BenchmarkOrder compares computing the order of a grok + date event
// (16 keys) with reading it from the cache.
func BenchmarkOrder(b *testing.B) {
	fs := fieldsOf("message", "@version", "@timestamp", "path", "host", "clientip", "ident", "auth",
		"timestamp", "verb", "request", "httpversion", "response", "bytes", "referrer", "agent")
	b.Run("computed", func(b *testing.B) {
		for b.Loop() {
			hashMapOrder(fs)
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			cachedOrder(fs)
		}
	})
}
