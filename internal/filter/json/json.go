// Package json is Logstash's json filter (logstash-filter-json 3.0.6, as
// in Logstash 5.6): it parses JSON held in a field into the event.
package json

import (
	"errors"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/date/joda"
	"github.com/appstack/appstack/internal/filter/rubytext"
	"github.com/appstack/appstack/internal/lsjson"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one json block.
type Filter struct {
	source       event.Ref
	target       event.Ref // nil: the event's root
	tagOnFailure []string
	skipInvalid  bool
	now          func() time.Time
}

// New reads the json options from o: source (required), target,
// tag_on_failure (["_jsonparsefailure"]), skip_on_invalid_json (false).
func New(o *plugin.Options) *Filter {
	o.Require("source")
	f := &Filter{
		source:       o.Ref("source", ""),
		target:       o.Ref("target", ""),
		tagOnFailure: o.StringList("tag_on_failure", []string{"_jsonparsefailure"}),
		skipInvalid:  o.Bool("skip_on_invalid_json", false),
		now:          time.Now,
	}
	return f
}

// Timestamp failures, as Logstash's Event names them.
const (
	timestampFailureTag   = "_timestampparsefailure"
	timestampFailureField = "_@timestamp"
)

// Apply parses the source field. A missing (or null/false) source does
// nothing; text that is not JSON, or a source that is not a string, gets
// the failure tags (unless skip_on_invalid_json); without a target, JSON
// that is not an object gets them too. Otherwise the value goes to the
// target, or its keys to the root, with an "@timestamp" key becoming the
// event's timestamp, and Apply reports a match.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	src, ok := e.Lookup(f.source)
	if !ok || src.Kind() == event.Nil || src.Kind() == event.BoolKind && !src.Bool() {
		return plugin.NoMatch
	}
	var parsed event.Value
	err := errNotString
	if src.Kind() == event.StringKind {
		parsed, err = lsjson.Parse(src.Str())
	}
	if err != nil {
		if !f.skipInvalid {
			f.fail(e)
		}
		return plugin.NoMatch
	}
	if f.target != nil {
		e.Put(f.target, parsed)
		return plugin.Match
	}
	if parsed.Kind() != event.MapKind {
		f.fail(e)
		return plugin.NoMatch
	}
	var ts event.Value
	for _, fl := range parsed.Map() {
		if fl.Key == "@timestamp" {
			ts = fl.Value
			continue
		}
		r, err := event.ParseRef(fl.Key)
		if err != nil {
			r = event.Ref{fl.Key}
		}
		e.Put(r, fl.Value)
	}
	// As Logstash: a null or false @timestamp is dropped; one that is not
	// an ISO 8601 string makes the timestamp now, tagged, with the
	// original in _@timestamp.
	if ts.Kind() == event.Nil || ts.Kind() == event.BoolKind && !ts.Bool() {
		return plugin.Match
	}
	if ts.Kind() == event.StringKind {
		if t, err := joda.ParseISO8601(ts.Str(), time.UTC); err == nil {
			e.Set("@timestamp", event.Time(t))
			return plugin.Match
		}
	}
	e.Set("@timestamp", event.Time(f.now()))
	e.AddTag(timestampFailureTag)
	e.Set(timestampFailureField, event.String(rubytext.ToS(ts)))
	return plugin.Match
}

var errNotString = errors.New("the source field is not a string")

func (f *Filter) fail(e *event.Event) {
	for _, t := range f.tagOnFailure {
		e.AddTag(t)
	}
}
