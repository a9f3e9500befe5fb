// Package grok is Logstash 5's grok filter (logstash-filter-grok 3.4, with
// jls-grok and logstash-patterns-core 4.1.2, as in Logstash 5.6): it
// matches fields against patterns built from named regular expressions
// and stores what the named groups captured in fields.
//
// Patterns are Ruby (Onigmo) regular expressions, which use lookaround,
// atomic groups and possessive quantifiers that Go's RE2 lacks; they run
// on regexp2, a backtracking engine with those features, after a
// rewrite of the few points where Ruby's dialect differs (compile.go).
// README's grok section has the measurements behind that choice.
package grok

import (
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one grok block. Apply is not safe for concurrent use.
type Filter struct {
	fields       []fieldPatterns
	breakOnMatch bool
	keepEmpty    bool
	overwrite    map[string]bool
	tagOnFailure []string
	tagOnTimeout string
	m            matcher
}

// fieldPatterns is one key of match: a field and its patterns.
type fieldPatterns struct {
	ref      event.Ref
	patterns []*pattern
}

// builtin is Logstash's pattern set, read once from the embedded files.
var builtin = sync.OnceValues(coreLibrary)

// New reads the grok options from o, loads the pattern files they name
// and compiles every pattern; problems are recorded on o.
func New(o *plugin.Options) *Filter {
	f := &Filter{
		breakOnMatch: o.Bool("break_on_match", true),
		keepEmpty:    o.Bool("keep_empty_captures", false),
		tagOnFailure: o.StringList("tag_on_failure", []string{"_grokparsefailure"}),
		tagOnTimeout: o.String("tag_on_timeout", "_groktimeout"),
		overwrite:    map[string]bool{},
	}
	namedOnly := o.Bool("named_captures_only", true)
	for _, name := range o.StringList("overwrite", nil) {
		f.overwrite[name] = true
	}
	// Patterns run on a backtracking engine, so a bound is kept, as in
	// Logstash: a match running longer is abandoned and tagged.
	timeout := time.Duration(o.Int("timeout_millis", 30000, 0, 1<<31-1)) * time.Millisecond
	dirs := o.StringList("patterns_dir", nil)
	glob := o.String("patterns_files_glob", "*")
	defs := o.Hash("pattern_definitions")
	match := o.Hash("match")

	core, err := builtin()
	if err != nil { // the embedded files are tested; this is a build defect
		o.Fail("built-in patterns: %v", err)
		return f
	}
	files, err := patternFiles(dirs, glob)
	if err != nil {
		o.Errorf("patterns_dir", "%v", err)
		return f
	}
	lib, err := core.withFiles(files)
	if err != nil {
		o.Errorf("patterns_dir", "%v", err)
		return f
	}
	if len(defs) > 0 {
		lib = maps.Clone(lib)
		for _, d := range defs {
			if len(d.Values) != 1 {
				o.Errorf("pattern_definitions", "pattern %q: want one regular expression, got %d", d.Key, len(d.Values))
				continue
			}
			lib[d.Key] = d.Values[0]
		}
	}
	if len(match) == 0 {
		o.Warn("match", "no patterns: every event will be tagged %v", f.tagOnFailure)
	}
	for _, entry := range match {
		ref, err := event.ParseRef(entry.Key)
		if err != nil {
			o.Errorf("match", "%v", err)
			continue
		}
		fp := fieldPatterns{ref: ref}
		for _, src := range entry.Values {
			p, err := compile(src, lib, namedOnly, timeout)
			if err != nil {
				o.Errorf("match", "field %q, pattern %q: %v", entry.Key, src, err)
				continue
			}
			fp.patterns = append(fp.patterns, p)
		}
		f.fields = append(f.fields, fp)
	}
	return f
}

// Apply matches e's fields against their patterns and stores the
// captures. It returns Match if a pattern matched; otherwise it adds
// tag_on_failure (or, when a match was abandoned, tag_on_timeout).
func (f *Filter) Apply(e *event.Event) plugin.Result {
	// The text may live in memory the input reuses after this event:
	// forget it, or the next event could find stale runes under the same
	// address.
	defer f.m.forget()
	matched := false
	for i := range f.fields {
		ok, err := f.matchField(e, &f.fields[i])
		if err != nil {
			e.AddTag(f.tagOnTimeout)
			return plugin.NoMatch
		}
		if ok {
			matched = true
			if f.breakOnMatch {
				break
			}
		}
	}
	if matched {
		return plugin.Match
	}
	for _, t := range f.tagOnFailure {
		e.AddTag(t)
	}
	return plugin.NoMatch
}

// matchField matches one field: each item of an array, or the field's
// text; a missing field is matched as "", as Logstash does.
func (f *Filter) matchField(e *event.Event, fp *fieldPatterns) (bool, error) {
	v, _ := e.Lookup(fp.ref)
	if v.Kind() != event.ListKind {
		return f.matchText(e, fp, text(v))
	}
	success := false
	for _, item := range v.List() {
		ok, err := f.matchText(e, fp, text(item))
		if err != nil {
			return false, err
		}
		success = success || ok
	}
	return success, nil
}

// matchText runs fp's patterns on s. As in Logstash 5, the result is
// the last pattern's: with break_on_match => false, a field whose first
// pattern matched and second did not counts as not matched.
func (f *Filter) matchText(e *event.Event, fp *fieldPatterns, s string) (bool, error) {
	matched := false
	for _, p := range fp.patterns {
		ok, err := f.m.match(p, s)
		if err != nil {
			return false, err
		}
		matched = ok
		if ok {
			f.store(e, p, s)
			if f.breakOnMatch {
				break
			}
		}
	}
	return matched, nil
}

// store sets the fields p's captures name, from the spans of the match
// just made on s.
func (f *Filter) store(e *event.Event, p *pattern, s string) {
	for i := range p.captures {
		c := &p.captures[i]
		for _, g := range c.groups {
			sp := f.m.spans[g]
			var v event.Value // nil: the group did not take part
			if sp.ok {
				v = coerce(s[sp.start:sp.end], c.coerce)
			}
			if !f.keepEmpty && (!sp.ok || v.Kind() == event.StringKind && v.Str() == "") {
				continue
			}
			f.handle(e, c, v)
		}
	}
}

// handle is Logstash's: overwrite sets; otherwise a new field takes the
// value, an array gets it appended, a string becomes an array of both,
// and any other existing value is left as it is.
func (f *Filter) handle(e *event.Event, c *capture, v event.Value) {
	overwrite := len(f.overwrite) > 0 && f.overwrite[c.field]
	if len(c.ref) == 1 && c.ref[0] != event.MetadataKey {
		// A top-level field, the common case: one scan of the fields.
		for i := range e.Fields {
			if fd := &e.Fields[i]; fd.Key == c.ref[0] {
				fd.Value = merged(fd.Value, v, overwrite)
				return
			}
		}
		e.Fields = append(e.Fields, event.Field{Key: c.ref[0], Value: v})
		return
	}
	old, _ := e.Lookup(c.ref)
	e.Put(c.ref, merged(old, v, overwrite))
}

// merged is what a field holding old (Nil if none) holds once grok adds v.
func merged(old, v event.Value, overwrite bool) event.Value {
	switch {
	case overwrite || old.Kind() == event.Nil:
		return v
	case old.Kind() == event.ListKind:
		return event.List(append(append([]event.Value(nil), old.List()...), v)...)
	case old.Kind() == event.StringKind:
		return event.List(old, v)
	}
	return old
}

func coerce(s string, to byte) event.Value {
	switch to {
	case 'i':
		if n, ok := rubytext.ToI(s); ok {
			return event.Int(n)
		}
		return event.Float(rubytext.ToF(s)) // beyond int64: Ruby's Bignum, held as a float, as mutate does
	case 'f':
		return event.Float(rubytext.ToF(s))
	}
	return event.String(s)
}

// text is Ruby's to_s of a field value, what grok matches against.
func text(v event.Value) string {
	switch v.Kind() {
	case event.Nil:
		return ""
	case event.StringKind:
		return v.Str()
	case event.IntKind:
		return strconv.FormatInt(v.Int(), 10)
	case event.TimeKind: // ISO 8601, as LogStash::Timestamp#to_s
		return strings.Trim(v.Text(), `"`)
	}
	return v.Text()
}
