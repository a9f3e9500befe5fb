package plugin

import (
	"slices"
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
//	func New(o *plugin.Options) *Filter
//	func (f *Filter) Apply(e *event.Event) plugin.Result
//
// New asks o for every option the filter knows (not the common ones,
// which the caller reads with ReadCommon) and records every problem on o
// (Errorf, Fail, Require); the caller then checks o.Err(), so that
// `logship -t` refuses what startup would. New does no I/O beyond reading
// files its options name. Apply is called from one goroutine at a time
// per filter instance, and must not keep e after it returns. A filter
// holding resources also implements io.Closer.

// Common is the options Logstash gives every filter, applied after a
// successful Apply as Logstash 5's filter_matched does, in its order:
// add_field, remove_field, add_tag, remove_tag. Names and values may use
// %{field} references.
type Common struct {
	AddField    []Entry
	RemoveField []string
	AddTag      []string
	RemoveTag   []string
}

// obsolete are options Logstash 5 refuses on every filter and output,
// with the message it gives.
var obsolete = map[string]string{
	"type":         `use a conditional instead, like: if [type] == "sometype" { %s { ... } }`,
	"tags":         `use a conditional instead, like: if "sometag" in [tags] { %s { ... } }`,
	"exclude_tags": `use a conditional instead, like: if ("sometag" not in [tags]) { %s { ... } }`,
}

func refuseObsolete(o *Options, names ...string) {
	for _, n := range names {
		if o.Has(n) {
			o.Errorf(n, "is obsolete: "+obsolete[n], o.Name())
		}
	}
}

// ReadCommon reads the common filter options from o (and refuses the
// obsolete type, tags and exclude_tags as Logstash 5 does).
func ReadCommon(o *Options) Common {
	o.String("id", "") // the name cmd/logship gives the plugin
	c := Common{
		AddField:    o.Hash("add_field"),
		RemoveField: o.StringList("remove_field", nil),
		AddTag:      o.StringList("add_tag", nil),
		RemoveTag:   o.StringList("remove_tag", nil),
	}
	o.Bool("enable_metric", true)
	o.Bool("periodic_flush", false)
	refuseObsolete(o, "type", "tags", "exclude_tags")
	for _, f := range c.RemoveField {
		if _, err := event.ParseRef(f); err != nil && !strings.Contains(f, "%{") {
			o.Errorf("remove_field", "%v", err)
		}
	}
	return c
}

// Apply applies the common options to e, as filter_matched does:
// add_field (a field set twice becomes an array); remove_field; add_tag
// (appended even when already there: Logstash 5 does not deduplicate
// here); then, whenever the event has tags, remove_tag, which also leaves
// tags an array.
func (c *Common) Apply(e *event.Event) {
	for _, f := range c.AddField {
		AddField(e, e.Sprintf(f.Key), f.Values)
	}
	for _, f := range c.RemoveField {
		if r, err := event.ParseRef(e.Sprintf(f)); err == nil {
			e.Remove(r)
		}
	}
	if len(c.AddTag) > 0 {
		tags := tagList(e)
		for _, t := range c.AddTag {
			tags = append(tags, event.String(e.Sprintf(t)))
		}
		e.Set(event.TagsKey, event.List(tags...))
	}
	old, ok := e.Get(event.TagsKey)
	if !ok || old.Kind() == event.Nil {
		return
	}
	if len(c.RemoveTag) == 0 && old.Kind() == event.ListKind {
		return
	}
	tags := tagList(e)
	for _, t := range c.RemoveTag {
		t := e.Sprintf(t)
		tags = slices.DeleteFunc(tags, func(v event.Value) bool { return v.Kind() == event.StringKind && v.Str() == t })
	}
	e.Set(event.TagsKey, event.List(tags...))
}

// tagList returns a copy of e's tags as Ruby's Array() sees them: none,
// the array's items, or the one value.
func tagList(e *event.Event) []event.Value {
	v, ok := e.Get(event.TagsKey)
	switch {
	case !ok || v.Kind() == event.Nil:
		return nil
	case v.Kind() == event.ListKind:
		return slices.Clone(v.List())
	}
	return []event.Value{v}
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
