// Package kv is Logstash's kv filter (logstash-filter-kv 4.1.2, as in
// Logstash 5.6): it reads key=value pairs from a field.
//
// The pairs are found with the plugin's own regular expression, built
// the same way from the options and run by a backtracking engine
// (dlclark/regexp2), since it needs lazy quantifiers and lookahead that
// Go's RE2 lacks, and users' field_split_pattern / value_split_pattern
// are Ruby regular expressions.
package kv

import (
	"errors"
	"slices"
	"strings"

	"github.com/dlclark/regexp2/v2"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
	"github.com/appstack/appstack/internal/plugin"
)

// TimeoutTag marks an event whose parsing hit rubytext.MatchTimeout
// (Logstash 5's kv has no bound).
const TimeoutTag = "_kv_filter_timeout"

// Filter is one kv block.
type Filter struct {
	source, target       event.Ref
	scan, valueSplit     *regexp2.Regexp
	trimKey, trimValue   *regexp2.Regexp
	removeKey, removeVal *regexp2.Regexp
	transformKey         string
	transformValue       string
	prefix               string
	include, exclude     []string
	defaults             []plugin.Entry
	allowDuplicates      bool
	recursive            bool
}

var transforms = []string{"lowercase", "uppercase", "capitalize"}

// New reads the kv options from o (see the README for the list and
// defaults).
func New(o *plugin.Options) *Filter {
	for old, renamed := range map[string]string{"trim": "trim_value", "trimkey": "trim_key"} {
		if o.Has(old) {
			o.Errorf(old, "renamed %q in logstash-filter-kv 4.0 (Logstash 5.x)", renamed)
		}
	}
	f := &Filter{
		prefix:          o.String("prefix", ""),
		include:         o.StringList("include_keys", nil),
		exclude:         o.StringList("exclude_keys", nil),
		defaults:        o.Hash("default_keys"),
		allowDuplicates: o.Bool("allow_duplicate_values", true),
		recursive:       o.Bool("recursive", false),
		transformKey:    o.Enum("transform_key", "", transforms...),
		transformValue:  o.Enum("transform_value", "", transforms...),
	}
	f.source = ref(o, "source", "message")
	if o.Has("target") {
		f.target = ref(o, "target", "")
	}
	for _, d := range f.defaults {
		if len(d.Values) != 1 {
			o.Errorf("default_keys", "key %q: want one value, got %d", d.Key, len(d.Values))
		}
	}
	compile := func(option, expr string) *regexp2.Regexp {
		re, err := rubytext.Regexp(expr)
		if err != nil {
			o.Errorf(option, "bad regular expression %q: %v", expr, err)
		}
		return re
	}
	// trim_* and remove_char_* are character classes' contents, as in
	// Logstash: "<>\[\]," is [<>\[\],].
	if s := o.String("trim_key", ""); o.Has("trim_key") {
		f.trimKey = compile("trim_key", "^["+s+"]+|["+s+"]+$")
	}
	if s := o.String("trim_value", ""); o.Has("trim_value") {
		f.trimValue = compile("trim_value", "^["+s+"]+|["+s+"]+$")
	}
	if s := o.String("remove_char_key", ""); o.Has("remove_char_key") {
		f.removeKey = compile("remove_char_key", "["+s+"]")
	}
	if s := o.String("remove_char_value", ""); o.Has("remove_char_value") {
		f.removeVal = compile("remove_char_value", "["+s+"]")
	}

	fieldSplit := "[" + o.String("field_split", " ") + "]"
	if o.Has("field_split_pattern") {
		if fieldSplit = o.String("field_split_pattern", ""); fieldSplit == "" {
			o.Errorf("field_split_pattern", "want a non-empty regular expression")
		}
	}
	valueSplitChars := o.String("value_split", "=")
	if valueSplitChars == "" {
		o.Errorf("value_split", "want a non-empty string")
	}
	valueSplit := "[" + valueSplitChars + "]"
	if o.Has("value_split_pattern") {
		if valueSplit = o.String("value_split_pattern", ""); valueSplit == "" {
			o.Errorf("value_split_pattern", "want a non-empty regular expression")
		}
	}
	// The plugin's register, with Ruby's Regexp.union written as (?:a|b).
	group := func(s string) string { return "(?:" + s + ")" }
	eof := "$"
	splitOrEOF := group(group(fieldSplit) + "|" + eof)
	quoted := func(open, close string) string {
		return regexp2.Escape(open) + "([^" + regexp2.Escape(close) + "]*)" + regexp2.Escape(close)
	}
	values := []string{quoted(`"`, `"`), quoted(`'`, `'`)}
	if o.Bool("include_brackets", true) {
		values = append(values, quoted("(", ")"), quoted("[", "]"), quoted("<", ">"))
	}
	values = append(values, `((?:\\ |.)*?)(?=`+splitOrEOF+`)`)
	for i := range values {
		values[i] = group(values[i])
	}
	valuePattern := group(strings.Join(values, "|"))
	keyPattern := `((?:\\ |.)+?)(?=\s*` + group(group(valueSplit)+"|"+group(fieldSplit)+"|"+eof) + `)`
	scan := group(fieldSplit) + `?` + keyPattern + `\s*(?:` + group(valueSplit) + `\s*` + valuePattern + `)?(?=` + splitOrEOF + `)`
	f.scan = compile("field_split", scan)
	f.valueSplit = compile("value_split", valueSplit)
	return f
}

func ref(o *plugin.Options, name, def string) event.Ref {
	r, err := event.ParseRef(o.String(name, def))
	if err != nil {
		o.Errorf(name, "%v", err)
	}
	return r
}

// pairs is an ordered hash, as Ruby's.
type pairs []event.Field

func (p pairs) index(key string) int {
	for i := range p {
		if p[i].Key == key {
			return i
		}
	}
	return -1
}

var errTimeout = errors.New("kv: match timeout")

// Apply reads the pairs of the source field (a string, or each string of
// an array), adds default_keys for keys not found, and sets them at the
// root or under target; it reports a match when there is at least one.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	if f.scan == nil {
		return plugin.NoMatch
	}
	var kv pairs
	var err error
	v, _ := e.Lookup(f.source)
	switch v.Kind() {
	case event.StringKind:
		kv, err = f.parse(v.Str(), e, kv)
	case event.ListKind:
		for _, it := range v.List() {
			if it.Kind() == event.StringKind && err == nil {
				kv, err = f.parse(it.Str(), e, kv)
			}
		}
	}
	if err != nil {
		e.AddTag(TimeoutTag)
		return plugin.NoMatch
	}
	merged := make(pairs, 0, len(f.defaults)+len(kv))
	for _, d := range f.defaults {
		if len(d.Values) == 1 {
			merged = append(merged, event.Field{Key: d.Key, Value: event.String(d.Values[0])})
		}
	}
	for _, p := range kv {
		if i := merged.index(p.Key); i >= 0 {
			merged[i].Value = p.Value
		} else {
			merged = append(merged, p)
		}
	}
	if len(merged) == 0 {
		return plugin.NoMatch
	}
	if f.target != nil {
		e.Put(f.target, event.Map(merged...))
		return plugin.Match
	}
	for _, p := range merged {
		r, err := event.ParseRef(p.Key)
		if err != nil {
			r = event.Ref{p.Key}
		}
		e.Put(r, p.Value)
	}
	return plugin.Match
}

func (f *Filter) parse(text string, e *event.Event, kv pairs) (pairs, error) {
	if ok, err := f.valueSplit.MatchString(text); err != nil {
		return kv, errTimeout
	} else if !ok {
		return kv, nil
	}
	include := sprintfAll(e, f.include)
	exclude := sprintfAll(e, f.exclude)
	prefix := e.Sprintf(f.prefix)
	m, err := f.scan.FindStringMatch(text)
	for ; m != nil && err == nil; m, err = f.scan.FindNextMatch(m) {
		groups := m.Groups()
		key := groups[1].String()
		value, found := "", false
		for _, g := range groups[2:] {
			if len(g.Captures) > 0 {
				value, found = g.String(), true
				break
			}
		}
		if !found || value == "" {
			continue
		}
		if key, err = f.clean(key, f.trimKey, f.removeKey, f.transformKey); err != nil {
			return kv, err
		}
		if len(include) > 0 && !slices.Contains(include, key) || slices.Contains(exclude, key) {
			continue
		}
		key = prefix + key
		if value, err = f.clean(value, f.trimValue, f.removeVal, f.transformValue); err != nil {
			return kv, err
		}
		i := kv.index(key)
		if !f.allowDuplicates && i >= 0 && includes(kv[i].Value, value) {
			continue
		}
		val := event.String(value)
		if f.recursive {
			inner, err := f.parse(value, e, nil)
			if err != nil {
				return kv, err
			}
			if len(inner) > 0 {
				val = event.Map(inner...)
			}
		}
		switch {
		case i < 0:
			kv = append(kv, event.Field{Key: key, Value: val})
		case kv[i].Value.Kind() == event.ListKind:
			kv[i].Value = event.List(append(append([]event.Value(nil), kv[i].Value.List()...), val)...)
		default:
			kv[i].Value = event.List(kv[i].Value, val)
		}
	}
	if err != nil {
		return kv, errTimeout
	}
	return kv, nil
}

// includes is Ruby's include? on what a key holds: a substring test on a
// string, membership in an array.
func includes(have event.Value, value string) bool {
	switch have.Kind() {
	case event.StringKind:
		return strings.Contains(have.Str(), value)
	case event.ListKind:
		for _, it := range have.List() {
			if it.Kind() == event.StringKind && it.Str() == value {
				return true
			}
		}
	}
	return false
}

func (f *Filter) clean(s string, trim, remove *regexp2.Regexp, transform string) (string, error) {
	var err error
	if trim != nil {
		if s, err = trim.Replace(s, "", -1, -1); err != nil {
			return s, errTimeout
		}
	}
	if remove != nil {
		if s, err = remove.Replace(s, "", -1, -1); err != nil {
			return s, errTimeout
		}
	}
	switch transform {
	case "lowercase":
		s = rubytext.Downcase(s)
	case "uppercase":
		s = rubytext.Upcase(s)
	case "capitalize":
		s = rubytext.Capitalize(s)
	}
	return s, nil
}

func sprintfAll(e *event.Event, list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = e.Sprintf(s)
	}
	return out
}
