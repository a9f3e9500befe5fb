package event

import (
	"fmt"
	"math"
	"strings"
)

// MetadataKey is the top-level key of an event's @metadata: fields that
// filters and conditionals see but codecs do not print.
const MetadataKey = "@metadata"

// Ref is a parsed Logstash field reference: "message" is Ref{"message"},
// "[http][status]" is Ref{"http", "status"}. A Ref whose first key is
// @metadata addresses the event's metadata.
type Ref []string

// ParseRef parses a field reference as Logstash 5 does: a bare name (which
// may contain any character but '[' and ']') or a sequence of [key]
// selectors, each non-empty.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return nil, fmt.Errorf("empty field reference")
	}
	if !strings.HasPrefix(s, "[") {
		if strings.ContainsAny(s, "[]") {
			return nil, fmt.Errorf("field reference %q: brackets must enclose every key, as in [a][b]", s)
		}
		return Ref{s}, nil
	}
	var r Ref
	for rest := s; rest != ""; {
		if rest[0] != '[' {
			return nil, fmt.Errorf("field reference %q: want '[' at %q", s, rest)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("field reference %q: missing ']'", s)
		}
		key := rest[1:end]
		if key == "" || strings.ContainsRune(key, '[') {
			return nil, fmt.Errorf("field reference %q: empty or malformed key", s)
		}
		r = append(r, key)
		rest = rest[end+1:]
	}
	return r, nil
}

// MustRef is ParseRef for references known to be valid.
func MustRef(s string) Ref {
	r, err := ParseRef(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the reference in bracket form, or the bare name for a
// single key.
func (r Ref) String() string {
	if len(r) == 1 {
		return r[0]
	}
	var b strings.Builder
	for _, k := range r {
		b.WriteByte('[')
		b.WriteString(k)
		b.WriteByte(']')
	}
	return b.String()
}

// top returns the field list r starts in and the rest of the path.
func (e *Event) top(r Ref) (*[]Field, Ref) {
	if r[0] == MetadataKey {
		return &e.Metadata, r[1:]
	}
	return &e.Fields, r
}

// Lookup returns the value r refers to. [@metadata] alone is the whole
// metadata as a map.
func (e *Event) Lookup(r Ref) (Value, bool) {
	if len(r) == 0 {
		return Value{}, false
	}
	fs, path := e.top(r)
	if len(path) == 0 {
		return Map(*fs...), len(*fs) > 0
	}
	v, ok := get(*fs, path[0])
	for _, k := range path[1:] {
		if !ok || v.kind != MapKind {
			return Value{}, false
		}
		v, ok = get(v.Map(), k)
	}
	return v, ok
}

// Put sets the value r refers to, creating the maps on the way; a
// non-map value on the way is replaced by a map, as Logstash does.
func (e *Event) Put(r Ref, v Value) {
	if len(r) == 0 {
		return
	}
	fs, path := e.top(r)
	if len(path) == 0 {
		if v.kind == MapKind {
			*fs = append((*fs)[:0:0], v.Map()...)
		}
		return
	}
	put(fs, path, v)
}

// put sets path in *fs.
func put(fs *[]Field, path Ref, v Value) {
	for i := range *fs {
		f := &(*fs)[i]
		if f.Key != path[0] {
			continue
		}
		if len(path) == 1 {
			f.Value = v
			return
		}
		// Copy the nested map: values may be shared between events.
		var inner []Field
		if f.Value.kind == MapKind {
			inner = append([]Field(nil), f.Value.Map()...)
		}
		put(&inner, path[1:], v)
		f.Value = Map(inner...)
		return
	}
	if len(path) == 1 {
		*fs = append(*fs, Field{Key: path[0], Value: v})
		return
	}
	var inner []Field
	put(&inner, path[1:], v)
	*fs = append(*fs, Field{Key: path[0], Value: Map(inner...)})
}

// Remove deletes the field r refers to and returns its value.
func (e *Event) Remove(r Ref) (Value, bool) {
	if len(r) == 0 {
		return Value{}, false
	}
	fs, path := e.top(r)
	if len(path) == 0 {
		old := Map(*fs...)
		*fs = nil
		return old, len(old.Map()) > 0
	}
	return remove(fs, path)
}

func remove(fs *[]Field, path Ref) (Value, bool) {
	for i := range *fs {
		f := &(*fs)[i]
		if f.Key != path[0] {
			continue
		}
		if len(path) == 1 {
			v := f.Value
			*fs = append((*fs)[:i:i], (*fs)[i+1:]...)
			return v, true
		}
		if f.Value.kind != MapKind {
			return Value{}, false
		}
		inner := append([]Field(nil), f.Value.Map()...)
		v, ok := remove(&inner, path[1:])
		if ok {
			f.Value = Map(inner...)
		}
		return v, ok
	}
	return Value{}, false
}

func get(fs []Field, key string) (Value, bool) {
	for i := range fs {
		if fs[i].Key == key {
			return fs[i].Value, true
		}
	}
	return Value{}, false
}

// TagsKey is where Logstash keeps an event's tags: an array of strings.
const TagsKey = "tags"

// HasTag reports whether the event carries tag.
func (e *Event) HasTag(tag string) bool {
	v, ok := e.Get(TagsKey)
	if !ok {
		return false
	}
	for _, t := range asList(v) {
		if t.kind == StringKind && t.s == tag {
			return true
		}
	}
	return false
}

// AddTag appends tag to the event's tags unless it is there already.
func (e *Event) AddTag(tag string) {
	var tags []Value
	if old, ok := e.Get(TagsKey); ok {
		tags = append(tags, asList(old)...)
	}
	if n := len(tags); len(appendUnique(tags, String(tag))) == n {
		return
	}
	e.Set(TagsKey, List(append(tags, String(tag))...))
}

// RemoveTag removes tag from the event's tags; the tags field stays, as
// an empty array, when the last one goes, as in Logstash.
func (e *Event) RemoveTag(tag string) {
	old, ok := e.Get(TagsKey)
	if !ok {
		return
	}
	var tags []Value
	for _, t := range asList(old) {
		if !(t.kind == StringKind && t.s == tag) {
			tags = append(tags, t)
		}
	}
	e.Set(TagsKey, List(tags...))
}

// Int returns an integer value's number.
func (v Value) Int() int64 { return v.i }

// Float returns a floating-point value's number.
func (v Value) Float() float64 { return math.Float64frombits(uint64(v.i)) }

// Bool returns a boolean value's truth.
func (v Value) Bool() bool { return v.i != 0 }

// Text is the text Logstash's sprintf gives for v: strings as they are,
// arrays joined with ",", other values as JSON.
func (v Value) Text() string { return textOf(v) }
