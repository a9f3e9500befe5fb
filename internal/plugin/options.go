// Package plugin decodes one plugin block of a Logstash config into the
// options its plugin declares, and holds the contract every filter
// honours.
//
// Each plugin owns its option schema and defaults: its constructor asks
// Options for every option it knows, by name, with its default and type,
// and Err then reports, at file:line:col, what the block set that nobody
// asked for and every value that had the wrong type or failed a check.
// The config grammar (internal/lsconf) knows no plugin.
package plugin

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
)

// Options is one plugin block's settings, read by the plugin's
// constructor. It is not safe for concurrent use.
type Options struct {
	kind     string // "input", "filter", "output" or "codec"
	name     string
	file     string
	pos      lsconf.Pos
	settings []lsconf.Setting
	known    map[string]bool
	errs     []error
	warnings []string
	subs     []*Options // blocks held by options (codecs), checked by Err
}

// New returns the options of pl, a plugin of kind ("input", "filter",
// "output" or "codec") read from file. Repeated settings must already be
// merged (lsconf does that).
func New(kind, file string, pl *lsconf.Plugin) *Options {
	return &Options{kind: kind, name: pl.Name, file: file, pos: pl.Pos, settings: pl.Settings, known: map[string]bool{}}
}

// Kind is the plugin's kind: "input", "filter", "output" or "codec".
func (o *Options) Kind() string { return o.kind }

// Name is the plugin's name, e.g. "grok".
func (o *Options) Name() string { return o.name }

// File is the config file the block comes from.
func (o *Options) File() string { return o.file }

// Pos is the block's position.
func (o *Options) Pos() lsconf.Pos { return o.pos }

// setting returns name's setting and marks name as known.
func (o *Options) setting(name string) (*lsconf.Setting, bool) {
	o.known[name] = true
	for i := range o.settings {
		if o.settings[i].Key == name {
			return &o.settings[i], true
		}
	}
	return nil, false
}

// Has reports whether the block sets name (and declares name as known).
func (o *Options) Has(name string) bool {
	_, ok := o.setting(name)
	return ok
}

// Raw returns name's value as written, for options of a shape the typed
// getters do not cover.
func (o *Options) Raw(name string) (lsconf.Value, bool) {
	s, ok := o.setting(name)
	if !ok {
		return lsconf.Value{}, false
	}
	return s.Value, true
}

// Errorf records an error about option name, at its value's position (or
// the block's, when name is not set). The message should not repeat the
// plugin or option name: Err adds them.
func (o *Options) Errorf(name, format string, args ...any) {
	pos := o.pos
	if s, ok := o.setting(name); ok {
		pos = s.Value.Pos
	}
	o.errs = append(o.errs, &lsconf.Error{File: o.file, Pos: pos,
		Msg: fmt.Sprintf("%s %s option %q: %s", o.name, o.kind, name, fmt.Sprintf(format, args...))})
}

// Fail records an error about the whole block, at its position.
func (o *Options) Fail(format string, args ...any) {
	o.errs = append(o.errs, &lsconf.Error{File: o.file, Pos: o.pos,
		Msg: fmt.Sprintf("%s %s: %s", o.name, o.kind, fmt.Sprintf(format, args...))})
}

// Require records an error for each name the block does not set.
func (o *Options) Require(names ...string) {
	for _, n := range names {
		if !o.Has(n) {
			o.errs = append(o.errs, &lsconf.Error{File: o.file, Pos: o.pos,
				Msg: fmt.Sprintf("%s plugin %q is missing required option %q", o.kind, o.name, n)})
		}
	}
}

// Ignore declares name as accepted with no effect: when the block sets
// it, a warning says why (Warnings).
func (o *Options) Ignore(name, why string) {
	if s, ok := o.setting(name); ok {
		o.warnings = append(o.warnings, fmt.Sprintf("%s:%d:%d: %s %s option %q is accepted and ignored: %s",
			o.file, s.Pos.Line, s.Pos.Col, o.name, o.kind, name, why))
	}
}

// Warn records a warning about option name.
func (o *Options) Warn(name, format string, args ...any) {
	pos := o.pos
	if s, ok := o.setting(name); ok {
		pos = s.Pos
	}
	o.warnings = append(o.warnings, fmt.Sprintf("%s:%d:%d: %s %s option %q: %s",
		o.file, pos.Line, pos.Col, o.name, o.kind, name, fmt.Sprintf(format, args...)))
}

// Warnings returns what Ignore and Warn recorded, for the caller to log
// (and `-t` to print), those of Sub's blocks included.
func (o *Options) Warnings() []string {
	w := slices.Clone(o.warnings)
	for _, s := range o.subs {
		w = append(w, s.Warnings()...)
	}
	return w
}

// Err returns every error recorded, and one for each setting no getter
// asked for, naming the options the plugin knows, then those of Sub's
// blocks. Call it after the constructor has asked for all its options.
func (o *Options) Err() error {
	errs := slices.Clone(o.errs)
	for _, s := range o.settings {
		if !o.known[s.Key] {
			errs = append(errs, &lsconf.Error{File: o.file, Pos: s.Pos,
				Msg: fmt.Sprintf("unknown option %q for %s plugin %q (known: %s)", s.Key, o.kind, o.name, o.knownList())})
		}
	}
	for _, s := range o.subs {
		if err := s.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *Options) knownList() string {
	names := make([]string, 0, len(o.known))
	for n := range o.known {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// String returns name's value as a string (a string, bareword or number,
// or an array of exactly one, as Logstash's :string validation accepts),
// or def.
func (o *Options) String(name, def string) string {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	v, err := scalar(s.Value)
	if err != nil {
		o.Errorf(name, "want a string, got %s", describe(s.Value))
		return def
	}
	return v
}

// Ref returns name's value (or def) as a field reference; nil when it
// is empty.
func (o *Options) Ref(name, def string) event.Ref {
	s := o.String(name, def)
	if s == "" {
		return nil
	}
	r, err := event.ParseRef(s)
	if err != nil {
		o.Errorf(name, "%v", err)
	}
	return r
}

// StringList returns name's value as a list: an array of strings, or a
// single string as a list of one (Logstash's :array), or def.
func (o *Options) StringList(name string, def []string) []string {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	out, err := stringList(s.Value)
	if err != nil {
		o.Errorf(name, "%v", err)
		return def
	}
	return out
}

// Bool returns name's value (true or false), or def.
func (o *Options) Bool(name string, def bool) bool {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	switch v, err := scalar(s.Value); {
	case err == nil && v == "true":
		return true
	case err == nil && v == "false":
		return false
	}
	o.Errorf(name, "want true or false, got %s", describe(s.Value))
	return def
}

// Float returns name's value as a number, or def.
func (o *Options) Float(name string, def float64) float64 {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	v, err := scalar(s.Value)
	f, perr := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || perr != nil {
		o.Errorf(name, "want a number, got %s", describe(s.Value))
		return def
	}
	return f
}

// Int returns name's value as an integer in [lo, hi], or def.
func (o *Options) Int(name string, def, lo, hi int) int {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	v, err := scalar(s.Value)
	n, perr := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || perr != nil || n < lo || n > hi {
		o.Errorf(name, "want an integer from %d to %d, got %s", lo, hi, describe(s.Value))
		return def
	}
	return n
}

// Enum returns name's value, which must be one of allowed, or def.
func (o *Options) Enum(name, def string, allowed ...string) string {
	s, ok := o.setting(name)
	if !ok {
		return def
	}
	v, err := scalar(s.Value)
	if err != nil || !slices.Contains(allowed, v) {
		o.Errorf(name, "want one of %s, got %s", strings.Join(allowed, ", "), describe(s.Value))
		return def
	}
	return v
}

// Entry is one key of a hash option and its values, in config order.
type Entry struct {
	Key    string
	Values []string
	Pos    lsconf.Pos
}

// Hash returns name's value as ordered entries: a hash whose values are
// strings or arrays of strings, or, as Logstash 5 accepts, an array of an
// even number of strings read as key, value, key, value. A key given twice
// keeps its first position and gathers the values of both.
func (o *Options) Hash(name string) []Entry {
	s, ok := o.setting(name)
	if !ok {
		return nil
	}
	out, err := hash(s.Value)
	if err != nil {
		o.Errorf(name, "%v", err)
		return nil
	}
	return out
}

// Plugin returns name's value as a plugin block: `codec => json { … }`,
// or a bare name (`codec => json`, `codec => "json"`) as a block with no
// settings; ok is false when the block does not set name.
func (o *Options) Plugin(name string) (pl *lsconf.Plugin, ok bool) {
	s, set := o.setting(name)
	if !set {
		return nil, false
	}
	if s.Value.Kind == lsconf.PluginValue {
		return s.Value.Plugin, true
	}
	n, err := scalar(s.Value)
	if err != nil {
		o.Errorf(name, "want a plugin name or block, got %s", describe(s.Value))
		return nil, false
	}
	return &lsconf.Plugin{Name: n, Pos: s.Value.Pos}, true
}

// Sub returns the options of the plugin block option name holds, as a
// plugin of kind (e.g. "codec" for `codec => json { charset => "UTF-8" }`;
// a bare `codec => json` is a block with no settings); ok is false when
// the block does not set name or sets it to something else. The block's
// errors and warnings are reported by o's Err and Warnings.
func (o *Options) Sub(name, kind string) (sub *Options, ok bool) {
	pl, ok := o.Plugin(name)
	if !ok {
		return nil, false
	}
	sub = New(kind, o.file, pl)
	o.subs = append(o.subs, sub)
	return sub, true
}

func scalar(v lsconf.Value) (string, error) {
	if v.Kind == lsconf.Array && len(v.Items) == 1 {
		v = v.Items[0]
	}
	switch v.Kind {
	case lsconf.String, lsconf.Bareword, lsconf.Number:
		return v.Text, nil
	}
	return "", fmt.Errorf("want a string, got %s", describe(v))
}

func stringList(v lsconf.Value) ([]string, error) {
	if v.Kind != lsconf.Array {
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("want a string or an array of strings, got %s", describe(v))
		}
		return []string{s}, nil
	}
	out := make([]string, 0, len(v.Items))
	for _, it := range v.Items {
		if it.Kind == lsconf.Array {
			return nil, fmt.Errorf("want an array of strings, got a nested array")
		}
		s, err := scalar(it)
		if err != nil {
			return nil, fmt.Errorf("want an array of strings, got %s in it", describe(it))
		}
		out = append(out, s)
	}
	return out, nil
}

func hash(v lsconf.Value) ([]Entry, error) {
	var out []Entry
	add := func(key string, pos lsconf.Pos, vals []string) {
		for i := range out {
			if out[i].Key == key {
				out[i].Values = append(out[i].Values, vals...)
				return
			}
		}
		out = append(out, Entry{Key: key, Values: vals, Pos: pos})
	}
	switch v.Kind {
	case lsconf.Hash:
		for _, e := range v.Entries {
			vals, err := stringList(e.Value)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", e.Key, err)
			}
			add(e.Key, e.Pos, vals)
		}
	case lsconf.Array:
		if len(v.Items)%2 != 0 {
			return nil, fmt.Errorf("want a hash, or an array of key, value pairs; got an array of %d items", len(v.Items))
		}
		for i := 0; i < len(v.Items); i += 2 {
			k, err := scalar(v.Items[i])
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", i/2+1, err)
			}
			val, err := scalar(v.Items[i+1])
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			add(k, v.Items[i].Pos, []string{val})
		}
	default:
		return nil, fmt.Errorf("want a hash, got %s", describe(v))
	}
	return out, nil
}

func describe(v lsconf.Value) string {
	switch v.Kind {
	case lsconf.String, lsconf.Bareword, lsconf.Number:
		return strconv.Quote(v.Text)
	case lsconf.Array:
		return "an array"
	case lsconf.Hash:
		return "a hash"
	case lsconf.PluginValue:
		return "a plugin block"
	}
	return "a " + v.Kind.String()
}
