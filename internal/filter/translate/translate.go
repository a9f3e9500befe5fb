// Package translate is Logstash's translate filter
// (logstash-filter-translate 3.1.0, as in Logstash 5.6.16): it looks a
// field's value up in a dictionary, given in the config or read from a
// YAML, JSON or CSV file that it reloads, and sets the translation in
// another field.
package translate

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one translate block.
type Filter struct {
	field, destination event.Ref
	// inPlace: destination is field, which then matches even without a
	// translation, as in Logstash.
	inPlace         bool
	override        bool
	exact, regex    bool
	fallback        string
	hasFallback     bool
	m               *matcher
	replaceOnReload bool

	// Reloading dictionary_path, every refresh seconds, when the file
	// changed since the last load that succeeded.
	path    string
	refresh time.Duration
	next    time.Time
	loaded  os.FileInfo
	now     func() time.Time
	log     *slog.Logger
}

// Env is what cmd/logship gives every translate filter.
type Env struct {
	// Log gets what happens after startup: a dictionary file that fails
	// to reload (the old dictionary stays). Nil discards it.
	Log *slog.Logger
}

// New reads the translate options from o: field (required; source, its
// later name, accepted), destination ("translation"; target, its later
// name, accepted), dictionary (a hash) or dictionary_path (a .yml, .yaml,
// .json or .csv file), exact (true), regex (false), fallback, override
// (false), refresh_interval (300 seconds) and refresh_behaviour ("merge"
// or "replace"). It reads the dictionary file.
func New(o *plugin.Options, env Env) *Filter {
	f := &Filter{now: time.Now, log: env.Log}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	f.field = aliased(o, "field", "source", "")
	f.destination = aliased(o, "destination", "target", "translation")
	f.inPlace = f.field != nil && f.field.String() == f.destination.String()
	f.override = o.Bool("override", false)
	f.exact = o.Bool("exact", true)
	f.regex = o.Bool("regex", false)
	f.fallback = o.String("fallback", "")
	f.hasFallback = o.Has("fallback")
	f.replaceOnReload = o.Enum("refresh_behaviour", "merge", "merge", "replace") == "replace"
	if secs := o.Float("refresh_interval", 300); secs > 0 {
		f.refresh = time.Duration(secs * float64(time.Second))
	}
	if o.Has("iterate_on") {
		o.Errorf("iterate_on", "came with translate 3.2 (Logstash 6); logship's translate is Logstash 5.6's (3.1), which has no such option")
	}
	dict := configDictionary(o)
	f.path = o.String("dictionary_path", "")
	if f.path != "" && len(dict.keys) > 0 {
		o.Fail("the options 'dictionary' and 'dictionary_path' are mutually exclusive")
		return f
	}
	if f.path != "" {
		fi, err := os.Stat(f.path)
		if err == nil {
			var skipped []string
			if dict, skipped, err = loadFile(f.path); err == nil {
				warnSkipped(o, skipped)
				f.loaded = fi
			}
		}
		if err != nil {
			o.Errorf("dictionary_path", "%v", err)
			return f
		}
		f.next = f.now().Add(f.refresh)
	}
	m, err := compile(dict, f.exact, f.regex)
	if err != nil {
		name := "dictionary"
		if f.path != "" {
			name = "dictionary_path"
		}
		o.Errorf(name, "%v", err)
		return f
	}
	f.m = m
	return f
}

// aliased reads a field-reference option set under its Logstash 5 name
// or its later one, not both.
func aliased(o *plugin.Options, name, later, def string) event.Ref {
	if o.Has(name) && o.Has(later) {
		o.Errorf(later, "is another name for %q: set one of them", name)
	}
	s := o.String(name, "")
	if s == "" {
		s = o.String(later, def)
	}
	if s == "" {
		o.Require(name)
		return nil
	}
	r, err := event.ParseRef(s)
	if err != nil {
		o.Errorf(name, "%v", err)
	}
	return r
}

// configDictionary reads the dictionary option: a hash, or an array of
// keys and values (Logstash reads both); values keep their type (a
// number is a number), an array of values is an array.
func configDictionary(o *plugin.Options) *dictionary {
	d := newDictionary()
	v, ok := o.Raw("dictionary")
	if !ok {
		return d
	}
	switch v.Kind {
	case lsconf.Hash:
		for _, e := range v.Entries {
			d.set(e.Key, configValue(e.Value))
		}
	case lsconf.Array:
		if len(v.Items)%2 != 0 {
			o.Errorf("dictionary", "want a hash, or an array of key, value pairs; got an array of %d items", len(v.Items))
			return d
		}
		for i := 0; i < len(v.Items); i += 2 {
			if v.Items[i].Kind == lsconf.Array || v.Items[i].Kind == lsconf.Hash {
				o.Errorf("dictionary", "key %d is a %s; want a string", i/2+1, v.Items[i].Kind)
				continue
			}
			d.set(v.Items[i].Text, configValue(v.Items[i+1]))
		}
	default:
		o.Errorf("dictionary", "want a hash, got a %s", v.Kind)
	}
	return d
}

func configValue(v lsconf.Value) event.Value {
	switch v.Kind {
	case lsconf.Number:
		if n, ok := number(v.Text); ok {
			return n
		}
	case lsconf.Array:
		items := make([]event.Value, len(v.Items))
		for i, it := range v.Items {
			items[i] = configValue(it)
		}
		return event.List(items...)
	case lsconf.Hash:
		fs := make([]event.Field, 0, len(v.Entries))
		for _, e := range v.Entries {
			fs = setField(fs, e.Key, configValue(e.Value))
		}
		return event.Map(fs...)
	}
	return event.String(v.Text)
}

// number reads a config number: an integer, or a float with a point.
func number(text string) (event.Value, bool) {
	if strings.Contains(text, ".") {
		f, err := strconv.ParseFloat(text, 64)
		return event.Float(f), err == nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	return event.Int(i), err == nil
}

func warnSkipped(o *plugin.Options, skipped []string) {
	if len(skipped) > 0 {
		o.Warn("dictionary_path", "keys that are not strings in YAML never match, as in Logstash 5 (quote them): %s", strings.Join(skipped, ", "))
	}
}

// Apply translates the field's value (the first item of an array, as
// Ruby's to_s writes it) into the destination, unless the destination is
// there and override is false. It matches when it sets the destination
// (a translation or the fallback), and always when destination is field,
// as Logstash's filter_matched calls go.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	f.reload()
	v, ok := e.Lookup(f.field)
	if !ok {
		return plugin.NoMatch
	}
	if _, ok := e.Lookup(f.destination); ok && !f.override {
		return plugin.NoMatch
	}
	if v.Kind() == event.ListKind {
		l := v.List()
		v = event.Value{}
		if len(l) > 0 {
			v = l[0]
		}
	}
	source := rubytext.ToS(v)
	var tr event.Value
	switch {
	case f.exact && f.regex:
		tr, ok = f.m.firstMatching(source)
	case f.exact:
		tr, ok = f.m.exactly(source)
	default:
		s := f.m.substitute(source)
		tr, ok = event.String(s), s != source
	}
	switch {
	case ok:
		e.Put(f.destination, tr)
	case f.hasFallback:
		e.Put(f.destination, event.String(e.Sprintf(f.fallback)))
		ok = true
	}
	if ok || f.inPlace {
		return plugin.Match
	}
	return plugin.NoMatch
}

// reload reloads dictionary_path when refresh is due and the file
// changed (Logstash reloads it every time; an unchanged file gives the
// same dictionary). On failure the dictionary stays as it was, as in
// Logstash, and the next refresh tries again.
func (f *Filter) reload() {
	if f.path == "" {
		return
	}
	now := f.now()
	if !now.After(f.next) {
		return
	}
	f.next = now.Add(f.refresh)
	fi, err := os.Stat(f.path)
	if err == nil && f.loaded != nil && fi.ModTime().Equal(f.loaded.ModTime()) && fi.Size() == f.loaded.Size() {
		return
	}
	var m *matcher
	if err == nil {
		var d *dictionary
		var skipped []string
		if d, skipped, err = loadFile(f.path); err == nil {
			if !f.replaceOnReload {
				d = f.m.dict.merged(d)
			}
			if m, err = compile(d, f.exact, f.regex); err == nil && len(skipped) > 0 {
				f.log.Warn("translate: dictionary keys that are not strings in YAML never match (quote them)",
					"path", f.path, "keys", strings.Join(skipped, ", "))
			}
		}
	}
	if err != nil {
		f.log.Warn("translate: dictionary reload failed; the old dictionary stays", "path", f.path, "error", err)
		return
	}
	f.m, f.loaded = m, fi
}
