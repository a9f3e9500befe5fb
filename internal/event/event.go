// Package event is the Logstash event logship ships, and its codecs.
//
// An Event is an ordered set of fields. Codecs print the fields in the
// order Logstash 5 does: the iteration order of the java.util.HashMap that
// holds a Logstash event, which depends on the keys and their insertion
// order (see hashMapOrder).
package event

import (
	"math"
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
	// printed by no codec but rubydebug with metadata => true.
	Metadata []Field
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
}

// Order returns the indexes of Fields in the order Logstash prints them.
// The slice is shared with other events of the same keys: do not modify
// it.
func (e *Event) Order() []int { return cachedOrder(e.Fields) }

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
