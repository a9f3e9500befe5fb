// Package event is the Logstash event logship ships, and its codecs.
//
// An Event is an ordered set of fields. Codecs print the fields in the
// order Logstash 5 does: the iteration order of the java.util.HashMap that
// holds a Logstash event, which depends on the keys and their insertion
// order (see hashMapOrder).
package event

import (
	"math"
	"sync/atomic"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds of values an event can hold.
const (
	Nil Kind = iota
	StringKind
	TimeKind
	IntKind
	FloatKind
	BoolKind
	ListKind
	MapKind
)

// Value is one field value. The zero Value is nil. It is kept small
// (48 bytes): a batch holds thousands of events.
type Value struct {
	kind Kind
	i    int64  // integers; float64 bits; 1 for true; Unix ms of a timestamp
	s    string // strings
	x    any    // []Value of a list, []Field of a map
}

// String returns a string value.
func String(s string) Value { return Value{kind: StringKind, s: s} }

// Time returns a timestamp value with millisecond precision, printed as
// ISO 8601 UTC like LogStash::Timestamp.
func Time(t time.Time) Value { return Value{kind: TimeKind, i: t.UnixMilli()} }

// Int returns an integer value.
func Int(i int64) Value { return Value{kind: IntKind, i: i} }

// Float returns a floating-point value.
func Float(f float64) Value { return Value{kind: FloatKind, i: int64(math.Float64bits(f))} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{kind: BoolKind, i: 1}
	}
	return Value{kind: BoolKind}
}

// List returns an array value.
func List(vs ...Value) Value { return Value{kind: ListKind, x: vs} }

// Strings returns an array of strings.
func Strings(ss ...string) Value {
	vs := make([]Value, len(ss))
	for i, s := range ss {
		vs[i] = String(s)
	}
	return List(vs...)
}

// Map returns a hash value; its keys print in Java HashMap order.
func Map(fs ...Field) Value { return Value{kind: MapKind, x: fs} }

// Kind reports the value's kind.
func (v Value) Kind() Kind { return v.kind }

// Str returns a string value's text.
func (v Value) Str() string { return v.s }

// List returns an array value's items.
func (v Value) List() []Value { l, _ := v.x.([]Value); return l }

// Map returns a hash value's fields.
func (v Value) Map() []Field { m, _ := v.x.([]Field); return m }

// Time returns a timestamp value's time.
func (v Value) Time() time.Time { return time.UnixMilli(v.i).UTC() }

// Field is one key and its value.
type Field struct {
	Key   string
	Value Value
}

// Event is a Logstash event: fields in insertion order.
type Event struct {
	Fields []Field
	// Metadata is [@metadata]: seen by filters, conditionals and sprintf,
	// never printed by a codec.
	Metadata []Field
	// order caches the Java HashMap iteration order of Fields; nil means
	// compute it when encoding.
	order []int
}

// Get returns the value of key and whether the event has it.
func (e *Event) Get(key string) (Value, bool) {
	for i := range e.Fields {
		if e.Fields[i].Key == key {
			return e.Fields[i].Value, true
		}
	}
	return Value{}, false
}

// Set sets key to v, appending the key if it is new.
func (e *Event) Set(key string, v Value) {
	for i := range e.Fields {
		if e.Fields[i].Key == key {
			e.Fields[i].Value = v
			return
		}
	}
	e.Fields = append(e.Fields, Field{Key: key, Value: v})
	e.order = nil
}

// Order returns the indexes of Fields in the order Logstash prints them.
func (e *Event) Order() []int {
	if e.order == nil || len(e.order) != len(e.Fields) {
		e.order = hashMapOrder(e.Fields)
	}
	return e.order
}

// Decoration is what the file input adds to each line, as Logstash's
// input does: type, add_field, tags (in that order, after message,
// @version and @timestamp), then host and path. Its zero value adds only
// the mandatory fields. A Decoration is safe for concurrent use.
type Decoration struct {
	Type     string
	AddField []AddField
	Tags     []string
	Host     string

	// cache holds the key order of the last event built, which is the
	// order of nearly every event since keys rarely vary.
	cache atomic.Pointer[orderCache]
}

// AddField is one add_field entry. Key and values may use sprintf
// references (%{field}, %{+yyyy.MM.dd}).
type AddField struct {
	Key    string
	Values []string
}

type orderCache struct {
	keys  []string
	order []int
}

// Build makes e the event for one line read from path at ts, reusing
// e's memory. extraTags are appended to the configured tags (e.g.
// "_linetoolong").
func (d *Decoration) Build(e *Event, message, path string, ts time.Time, extraTags ...string) {
	if n := 6 + len(d.AddField); cap(e.Fields) < n {
		e.Fields = make([]Field, 0, n)
	}
	e.Fields = e.Fields[:0]
	e.Fields = append(e.Fields,
		Field{"message", String(message)},
		Field{"@version", String("1")},
		Field{"@timestamp", Time(ts)},
	)
	if d.Type != "" {
		e.Fields = append(e.Fields, Field{"type", String(d.Type)})
	}
	for _, af := range d.AddField {
		key := e.Sprintf(af.Key)
		for _, raw := range af.Values {
			v := String(e.Sprintf(raw))
			old, ok := e.Get(key)
			switch {
			case !ok:
				e.Fields = append(e.Fields, Field{key, v})
			case old.kind == ListKind:
				e.Set(key, List(append(append([]Value(nil), old.List()...), v)...))
			default:
				e.Set(key, List(old, v))
			}
		}
	}
	if len(d.Tags)+len(extraTags) > 0 {
		var tags []Value
		if old, ok := e.Get("tags"); ok {
			tags = append(tags, asList(old)...)
		}
		for _, group := range [][]string{d.Tags, extraTags} {
			for _, t := range group {
				tags = appendUnique(tags, String(e.Sprintf(t)))
			}
		}
		e.Set("tags", List(tags...))
	}
	if _, ok := e.Get("host"); !ok && d.Host != "" {
		e.Fields = append(e.Fields, Field{"host", String(d.Host)})
	}
	if _, ok := e.Get("path"); !ok {
		e.Fields = append(e.Fields, Field{"path", String(path)})
	}
	e.order = d.orderFor(e.Fields)
}

func (d *Decoration) orderFor(fs []Field) []int {
	if c := d.cache.Load(); c != nil && sameKeys(c.keys, fs) {
		return c.order
	}
	c := &orderCache{keys: make([]string, len(fs)), order: hashMapOrder(fs)}
	for i, f := range fs {
		c.keys[i] = f.Key
	}
	d.cache.Store(c)
	return c.order
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

func asList(v Value) []Value {
	if v.kind == ListKind {
		return v.List()
	}
	return []Value{v}
}

func appendUnique(vs []Value, v Value) []Value {
	for _, x := range vs {
		if x.kind == v.kind && x.s == v.s {
			return vs
		}
	}
	return append(vs, v)
}
