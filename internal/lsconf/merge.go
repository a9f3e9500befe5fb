package lsconf

import (
	"slices"
	"strconv"
)

// mergeSettings merges the settings of one plugin block whose key is
// written more than once, as Logstash 5 does (LogStash::Util.hash_merge_many
// over the attributes in order):
//
//   - two hashes merge key by key (a key in both: its values merge as
//     below, except that arrays are joined without duplicates);
//   - an array after an array or a scalar: the arrays are concatenated
//     (`tags => "a" tags => ["b", "c"]` is ["a", "b", "c"]);
//   - a scalar after a scalar: an array of both, or the one value if they
//     are equal; after an array: appended unless already in it.
//
// So `path => "/a" path => "/b"` is ["/a", "/b"], which a plugin taking a
// single string then refuses. The merged setting keeps the position of
// the first.
func mergeSettings(settings []Setting) []Setting {
	if len(settings) < 2 {
		return settings
	}
	var out []Setting
	index := map[string]int{}
	for _, s := range settings {
		i, seen := index[s.Key]
		if !seen {
			index[s.Key] = len(out)
			out = append(out, s)
			continue
		}
		out[i].Value = merge(out[i].Value, s.Value, false)
	}
	return out
}

// merge merges src into dst: hash_merge_with_dups at the top level,
// hash_merge (union for arrays) inside hashes, when nested is set.
func merge(dst, src Value, nested bool) Value {
	switch {
	case dst.Kind == Hash && src.Kind == Hash:
		out := dst
		out.Entries = slices.Clone(dst.Entries)
		for _, se := range src.Entries {
			i := slices.IndexFunc(out.Entries, func(e Entry) bool { return e.Key == se.Key })
			if i < 0 {
				out.Entries = append(out.Entries, se)
				continue
			}
			out.Entries[i].Value = merge(out.Entries[i].Value, se.Value, true)
		}
		return out
	case src.Kind == Array:
		out := Value{Kind: Array, Pos: dst.Pos}
		if dst.Kind == Array {
			out.Items = slices.Clone(dst.Items)
		} else {
			out.Items = []Value{dst}
		}
		for _, it := range src.Items {
			if nested && slices.ContainsFunc(out.Items, func(x Value) bool { return rubyEqual(x, it) }) {
				continue
			}
			out.Items = append(out.Items, it)
		}
		if nested { // Ruby's | also drops duplicates already in dst
			out.Items = uniq(out.Items)
		}
		return out
	case dst.Kind == Array:
		if slices.ContainsFunc(dst.Items, func(x Value) bool { return rubyEqual(x, src) }) {
			return dst
		}
		out := dst
		out.Items = append(slices.Clone(dst.Items), src)
		return out
	case rubyEqual(dst, src):
		return dst
	}
	return Value{Kind: Array, Pos: dst.Pos, Items: []Value{dst, src}}
}

func uniq(items []Value) []Value {
	var out []Value
	for _, it := range items {
		if !slices.ContainsFunc(out, func(x Value) bool { return rubyEqual(x, it) }) {
			out = append(out, it)
		}
	}
	return out
}

// rubyEqual is Ruby's == on the values Logstash compiles config values
// to: strings and barewords are strings, numbers compare by value, hashes
// regardless of order, plugins never (each is its own object).
func rubyEqual(a, b Value) bool {
	str := func(k Kind) bool { return k == String || k == Bareword }
	switch {
	case str(a.Kind) && str(b.Kind):
		return a.Text == b.Text
	case a.Kind == Number && b.Kind == Number:
		x, errx := strconv.ParseFloat(a.Text, 64)
		y, erry := strconv.ParseFloat(b.Text, 64)
		return errx == nil && erry == nil && x == y
	case a.Kind == Array && b.Kind == Array:
		return slices.EqualFunc(a.Items, b.Items, rubyEqual)
	case a.Kind == Hash && b.Kind == Hash:
		if len(a.Entries) != len(b.Entries) {
			return false
		}
		for _, ea := range a.Entries {
			i := slices.IndexFunc(b.Entries, func(eb Entry) bool { return eb.Key == ea.Key })
			if i < 0 || !rubyEqual(ea.Value, b.Entries[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}
