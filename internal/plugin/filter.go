package plugin

import (
	"strings"

	"github.com/appstack/appstack/internal/event"
)

// Result is what a filter did to one event.
type Result uint8

const (
	// NoMatch: the filter did not apply (no match, a parse failure, a
	// missing source field). It has added its own failure tags if any;
	// the common options are not applied, as in Logstash.
	NoMatch Result = iota
	// Match: the filter succeeded; the common options (add_field,
	// remove_field, add_tag, remove_tag) are applied next.
	Match
	// Drop: the event is cancelled and goes no further.
	Drop
)

// A filter plugin is a package exporting
//
//	func New(o *plugin.Options) (*Filter, error)
//	func (f *Filter) Apply(e *event.Event) plugin.Result
//
// New asks o for every option the filter knows (not the common ones,
// which Common reads) and checks them, so that `logship -t` refuses what
// startup would; it does no I/O beyond reading files its options name.
// Apply is called from one goroutine at a time per filter instance, and
// must not keep e after it returns. A filter holding resources also
// implements io.Closer.

// Common is the options Logstash gives every filter, applied after a
// successful Apply, in Logstash's order: add_field, remove_field,
// add_tag, remove_tag. Names and values may use %{field} references.
type Common struct {
	ID          string
	AddField    []Entry
	RemoveField []string
	AddTag      []string
	RemoveTag   []string
}

// ReadCommon reads the common filter options from o.
func ReadCommon(o *Options) Common {
	c := Common{
		ID:          o.String("id", ""),
		AddField:    o.Hash("add_field"),
		RemoveField: o.StringList("remove_field", nil),
		AddTag:      o.StringList("add_tag", nil),
		RemoveTag:   o.StringList("remove_tag", nil),
	}
	o.Bool("enable_metric", true)
	o.Bool("periodic_flush", false)
	for _, f := range c.RemoveField {
		if _, err := event.ParseRef(f); err != nil && !strings.Contains(f, "%{") {
			o.Errorf("remove_field", "%v", err)
		}
	}
	return c
}

// Apply applies the common options to e.
func (c *Common) Apply(e *event.Event) {
	for _, f := range c.AddField {
		AddField(e, e.Sprintf(f.Key), f.Values)
	}
	for _, f := range c.RemoveField {
		if r, err := event.ParseRef(e.Sprintf(f)); err == nil {
			e.Remove(r)
		}
	}
	for _, t := range c.AddTag {
		e.AddTag(e.Sprintf(t))
	}
	for _, t := range c.RemoveTag {
		e.RemoveTag(e.Sprintf(t))
	}
}

// AddField adds values (sprintf formats) to the field named key as
// Logstash's add_field does: a new field takes the value (one value) or
// the array (several); an existing one becomes an array with the values
// appended.
func AddField(e *event.Event, key string, values []string) {
	r, err := event.ParseRef(key)
	if err != nil {
		r = event.Ref{key}
	}
	for _, raw := range values {
		v := event.String(e.Sprintf(raw))
		old, ok := e.Lookup(r)
		switch {
		case !ok:
			e.Put(r, v)
		case old.Kind() == event.ListKind:
			e.Put(r, event.List(append(append([]event.Value(nil), old.List()...), v)...))
		default:
			e.Put(r, event.List(old, v))
		}
	}
}
