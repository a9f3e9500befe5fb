package js

import (
	"cmp"
	"slices"
)

// scanLimit is how many members an object may have before objectBuilder
// indexes its keys in a map; up to it, a scan is cheaper than a map.
const scanLimit = 8

// objectBuilder builds an object's members as JSON.parse creates its
// properties, in source order: a repeated key takes the new value at its
// first position; array-index keys come first in ascending numeric order,
// then the other keys in order of first appearance. Calling Set per
// member would scan the members for every key, and move them for every
// index key: quadratic. The builder takes time linear in the members,
// plus sorting the index keys if they arrive out of order.
type objectBuilder struct {
	indexed []indexedMember // array-index keys, in order of first appearance
	named   []Member        // the other keys, in order of first appearance
	// pos finds a key's member once there are more than scanLimit:
	// i >= 0 is named[i], i < 0 is indexed[-i-1].
	pos      map[string]int
	unsorted bool // an index key arrived below an earlier one
}

type indexedMember struct {
	n uint64 // the array index the key names
	Member
}

// add sets key to val, and returns the work it took: keys compared, map
// operations and members indexed.
func (ob *objectBuilder) add(key string, val Value) (work int) {
	if m := ob.find(key, &work); m != nil {
		m.Value = val
		return work
	}
	var at int
	if n, ok := arrayIndex(key); ok {
		if k := len(ob.indexed); k > 0 && n < ob.indexed[k-1].n {
			ob.unsorted = true
		}
		ob.indexed = append(ob.indexed, indexedMember{n, Member{Key: key, Value: val}})
		at = -len(ob.indexed)
	} else {
		ob.named = append(ob.named, Member{Key: key, Value: val})
		at = len(ob.named) - 1
	}
	switch size := len(ob.named) + len(ob.indexed); {
	case ob.pos != nil:
		ob.pos[key] = at
		work++
	case size > scanLimit:
		ob.pos = make(map[string]int, 2*size)
		for i, m := range ob.named {
			ob.pos[m.Key] = i
		}
		for i, m := range ob.indexed {
			ob.pos[m.Key] = -i - 1
		}
		work += size
	}
	return work
}

// find returns key's member, or nil, counting the work into *work.
func (ob *objectBuilder) find(key string, work *int) *Member {
	if ob.pos != nil {
		*work++
		switch i, ok := ob.pos[key]; {
		case !ok:
			return nil
		case i >= 0:
			return &ob.named[i]
		default:
			return &ob.indexed[-i-1].Member
		}
	}
	for i := range ob.named {
		*work++
		if ob.named[i].Key == key {
			return &ob.named[i]
		}
	}
	for i := range ob.indexed {
		*work++
		if ob.indexed[i].Key == key {
			return &ob.indexed[i].Member
		}
	}
	return nil
}

// members returns the object's members in property order, and the work
// it took: comparisons to sort the index keys and members moved.
func (ob *objectBuilder) members() ([]Member, int) {
	if len(ob.indexed) == 0 {
		return ob.named, 0
	}
	work := 0
	if ob.unsorted {
		// Two keys never name the same index: a canonical index has one
		// spelling, and repeats were merged.
		slices.SortFunc(ob.indexed, func(a, b indexedMember) int {
			work++
			return cmp.Compare(a.n, b.n)
		})
	}
	obj := make([]Member, 0, len(ob.indexed)+len(ob.named))
	for _, m := range ob.indexed {
		obj = append(obj, m.Member)
	}
	obj = append(obj, ob.named...)
	return obj, work + len(obj)
}
