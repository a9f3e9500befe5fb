package event

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"unicode/utf16"
)

// javaStringHash is java.lang.String.hashCode: s[0]*31^(n-1) + ... over
// UTF-16 code units, in int32 arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			h = 31*h + int32(c)
			continue
		}
		// Rare: decode the rest as runes and hash their UTF-16 units.
		for _, r := range s[i:] {
			if r >= 0x10000 {
				hi, lo := utf16.EncodeRune(r)
				h = 31*h + int32(hi)
				h = 31*h + int32(lo)
			} else {
				h = 31*h + int32(r)
			}
		}
		break
	}
	return h
}

// spread is java.util.HashMap.hash: the high half folded into the low.
func spread(h int32) uint32 {
	u := uint32(h)
	return u ^ u>>16
}

// hashMapOrder returns the iteration order of a java.util.HashMap (Java 8)
// created with the default capacity (16) into which fs's keys were put in
// order: buckets in index order, insertion order within a bucket. The
// table doubles when the size exceeds 3/4 of the capacity, or when a
// bucket reaches 9 entries while the capacity is below 64; a split keeps
// the relative order of entries, as Java's does. Java turns buckets of 9+
// entries into trees once the capacity is 64 or more; that case (an event
// with dozens of colliding keys) keeps list order here.
func hashMapOrder(fs []Field) []int {
	const (
		treeifyThreshold = 8
		minTreeCapacity  = 64
	)
	capacity := 16
	hashes := make([]uint32, len(fs))
	for i, f := range fs {
		hashes[i] = spread(javaStringHash(f.Key))
	}
	table := make([][]int, capacity)
	resize := func() {
		capacity *= 2
		next := make([][]int, capacity)
		for _, bucket := range table {
			for _, i := range bucket {
				b := hashes[i] & uint32(capacity-1)
				next[b] = append(next[b], i)
			}
		}
		table = next
	}
	size := 0
	for i := range fs {
		b := hashes[i] & uint32(capacity-1)
		table[b] = append(table[b], i)
		if len(table[b]) > treeifyThreshold && capacity < minTreeCapacity {
			resize()
		}
		size++
		if size > capacity*3/4 {
			resize()
		}
	}
	order := make([]int, 0, len(fs))
	for _, bucket := range table {
		order = append(order, bucket...)
	}
	return order
}

// The order of a key sequence is memoised: the events of one input and
// filter chain share a handful of key sequences, and hashMapOrder builds
// a table per call (4 µs for a grok + date event, a sixth of that
// pipeline's CPU; 0.1 µs from the cache: go test -bench Order). The cache
// is a fixed array of slots, direct-mapped by a hash of the keys, so it
// is bounded and lock-free; a collision replaces the slot. It is package
// state because the order is a pure function of the keys: every codec of
// the process gains from one cache.
const (
	orderSlots = 256
	// maxCachedKeys leaves unusually wide events out: their entries would
	// hold the most memory and be the least likely to repeat.
	maxCachedKeys = 64
)

type orderEntry struct {
	hash  uint64
	keys  []string // copies: an event's keys may share an input's buffer
	order []int    // read-only once stored
}

var (
	orderCache [orderSlots]atomic.Pointer[orderEntry]
	lastOrder  atomic.Pointer[orderEntry] // the entry used last
	orderSeed  = maphash.MakeSeed()
)

// cachedOrder is hashMapOrder(fs), from the cache when fs's keys were seen
// before. The slice it returns is shared: callers must not modify it.
func cachedOrder(fs []Field) []int {
	if len(fs) > maxCachedKeys {
		return hashMapOrder(fs)
	}
	// Consecutive events nearly always have the keys of the one before:
	// comparing them costs less than hashing them.
	if e := lastOrder.Load(); e != nil && sameKeys(e.keys, fs) {
		return e.order
	}
	h := keysHash(fs)
	slot := &orderCache[h%orderSlots]
	e := slot.Load()
	if e == nil || e.hash != h || !sameKeys(e.keys, fs) {
		e = &orderEntry{hash: h, keys: make([]string, len(fs)), order: hashMapOrder(fs)}
		for i := range fs {
			e.keys[i] = strings.Clone(fs[i].Key)
		}
		slot.Store(e)
	}
	lastOrder.Store(e)
	return e.order
}

// keysHash hashes the key sequence; a length byte before each key makes
// ("ab", "c") and ("a", "bc") differ.
func keysHash(fs []Field) uint64 {
	var h maphash.Hash
	h.SetSeed(orderSeed)
	for i := range fs {
		h.WriteByte(byte(len(fs[i].Key)))
		h.WriteString(fs[i].Key)
	}
	return h.Sum64()
}

func sameKeys(keys []string, fs []Field) bool {
	if len(keys) != len(fs) {
		return false
	}
	for i := range fs {
		if keys[i] != fs[i].Key {
			return false
		}
	}
	return true
}
