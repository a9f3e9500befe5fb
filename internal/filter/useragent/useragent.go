// Package useragent is Logstash's useragent filter
// (logstash-filter-useragent 3.2.3, as in Logstash 5.6.16): it parses a
// user agent string into the browser's name and version, the operating
// system and the device, with ua-parser's regexes.
//
// Parsing is github.com/ua-parser/uap-go over the regexes.yaml Logstash
// 5.6.16 ships (embedded), or the file the regexes option names, with a
// prefilter that skips the expressions that cannot match (prefilter.go).
// On that file it gives the values of ua-parser's own test data, the data
// Logstash's parser was tested against, for all of its 30,630 cases (the
// tests check them). The fields are Logstash 5's: name, os, os_name,
// os_major, os_minor, device, major, minor, patch and build, build
// always "" (the version of uap-java Logstash 5 uses has no value for it).
// As in Logstash, an LRU cache keeps what recent agents parse to.
package useragent

import (
	"math"
	"os"
	"strings"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one useragent block.
type Filter struct {
	source event.Ref
	target event.Ref // nil: the event's root
	// removeSource: target is source, which Logstash removes before
	// setting the fields in its place.
	removeSource bool
	names        names
	parser       *parser
	cache        *lru
}

// names are the names of the fields the filter sets, prefix applied.
type names struct {
	name, os, osName, osMajor, osMinor, device, major, minor, patch, build string
}

// New reads the useragent options from o: source (required), target,
// prefix, regexes (a ua-parser regexes.yaml; default the one Logstash
// 5.6.16 ships) and lru_cache_size (100000, as in Logstash; the cache is
// per filter instance, not shared by all as Logstash's is; an entry takes
// some 400 bytes).
func New(o *plugin.Options) *Filter {
	o.Require("source")
	f := &Filter{source: o.Ref("source", "")}
	// Logstash 5 puts the fields at the root when target is written in
	// brackets ("[ua]"), a bug; here "[ua]" is "ua", as any field
	// reference.
	if f.target = o.Ref("target", ""); f.target != nil {
		f.removeSource = f.source != nil && f.target.String() == f.source.String()
	}
	pre := o.String("prefix", "")
	f.names = names{pre + "name", pre + "os", pre + "os_name", pre + "os_major", pre + "os_minor",
		pre + "device", pre + "major", pre + "minor", pre + "patch", pre + "build"}
	f.cache = newLRU(o.Int("lru_cache_size", 100_000, 1, math.MaxInt32))

	src, name := defaultRegexes, "the embedded regexes.yaml"
	if path := o.String("regexes", ""); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			o.Errorf("regexes", "%v", err)
			return f
		}
		src, name = b, path
	}
	p, err := newParser(src)
	if err != nil {
		o.Errorf("regexes", "%s: %v", name, err)
		return f
	}
	f.parser = p
	return f
}

// Apply parses the source field (the first item of an array) and sets the
// fields. A missing, empty or null source does nothing, as in Logstash;
// so does one that is not a string (Logstash raises an error there).
func (f *Filter) Apply(e *event.Event) plugin.Result {
	v, ok := e.Lookup(f.source)
	if ok && v.Kind() == event.ListKind {
		l := v.List()
		ok = len(l) > 0
		if ok {
			v = l[0]
		}
	}
	if !ok || v.Kind() != event.StringKind || v.Str() == "" {
		return plugin.NoMatch
	}
	r, hit := f.cache.get(v.Str())
	if !hit {
		// The cache keeps the key: a copy, not the event's memory, which
		// the input reuses.
		ua := strings.Clone(v.Str())
		r = f.parser.parse(ua)
		f.cache.add(ua, r)
	}
	if f.removeSource {
		e.Remove(f.source)
	}
	f.set(e, r)
	return plugin.Match
}

// set sets the fields as Logstash's set_fields does, in its order,
// leaving out the versions the user agent does not have. Into a target
// they go in one Put, which copies the target's map once, not per field.
func (f *Filter) set(e *event.Event, r *result) {
	var fs []event.Field
	if f.target != nil {
		if old, ok := e.Lookup(f.target); ok && old.Kind() == event.MapKind {
			fs = append(make([]event.Field, 0, len(old.Map())+10), old.Map()...)
		} else {
			fs = make([]event.Field, 0, 10)
		}
	}
	put := func(name, s string) {
		if s == "" && name != f.names.build {
			return
		}
		if f.target == nil {
			e.Put(event.Ref{name}, event.String(s))
			return
		}
		for i := range fs {
			if fs[i].Key == name {
				fs[i].Value = event.String(s)
				return
			}
		}
		fs = append(fs, event.Field{Key: name, Value: event.String(s)})
	}
	put(f.names.name, r.name)
	put(f.names.os, r.os)
	put(f.names.osName, r.os)
	put(f.names.osMajor, r.osMajor)
	put(f.names.osMinor, r.osMinor)
	put(f.names.device, r.device)
	put(f.names.major, r.major)
	put(f.names.minor, r.minor)
	put(f.names.patch, r.patch)
	put(f.names.build, "") // always empty in Logstash 5
	if f.target != nil {
		e.Put(f.target, event.Map(fs...))
	}
}
