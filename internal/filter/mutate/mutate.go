// Package mutate is Logstash's mutate filter (logstash-filter-mutate
// 3.3.4, as in Logstash 5.6): renames, replaces, converts and otherwise
// edits fields, in the plugin's fixed order.
package mutate

import (
	"regexp"
	"slices"
	"strings"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one mutate block. Field references are parsed once, here,
// except rename's, which may hold %{…}.
type Filter struct {
	coerce, rename, update, replace, convert []pair
	gsubs                                    []gsub
	uppercase, capitalize, lowercase, strip  []event.Ref
	split, join                              []pair
	merge                                    []mergeOp
	copy                                     []copyOp
}

// pair is one key => value of a hash option; ref is the key as a field
// reference.
type pair struct {
	key, value string
	ref        event.Ref
}

// mergeOp merges the fields of added into dest.
type mergeOp struct {
	dest  event.Ref
	added []event.Ref
}

// copyOp copies the field from to the field to.
type copyOp struct{ from, to event.Ref }

var conversions = []string{"string", "integer", "float", "boolean", "integer_eu", "float_eu"}

// New reads the mutate options from o: coerce, rename, update, replace,
// convert, split, join, merge, copy (hashes), gsub (field, regex,
// replacement triples), uppercase, capitalize, lowercase, strip (field
// lists).
func New(o *plugin.Options) *Filter {
	pairs := func(name string) []pair {
		var out []pair
		for _, e := range o.Hash(name) {
			if len(e.Values) == 0 {
				o.Errorf(name, "key %q has no value", e.Key)
				continue
			}
			// A key written twice keeps its last value, as a Ruby hash.
			out = append(out, pair{e.Key, e.Values[len(e.Values)-1], ref(e.Key)})
		}
		return out
	}
	f := &Filter{
		coerce:     pairs("coerce"),
		rename:     pairs("rename"),
		update:     pairs("update"),
		replace:    pairs("replace"),
		convert:    pairs("convert"),
		uppercase:  refs(o.StringList("uppercase", nil)),
		capitalize: refs(o.StringList("capitalize", nil)),
		lowercase:  refs(o.StringList("lowercase", nil)),
		strip:      refs(o.StringList("strip", nil)),
		split:      pairs("split"),
		join:       pairs("join"),
	}
	for _, m := range o.Hash("merge") {
		f.merge = append(f.merge, mergeOp{dest: ref(m.Key), added: refs(m.Values)})
	}
	for _, c := range pairs("copy") {
		f.copy = append(f.copy, copyOp{from: c.ref, to: ref(c.value)})
	}
	for _, c := range f.convert {
		if !slices.Contains(conversions, c.value) {
			o.Errorf("convert", "field %q: invalid conversion type %q, want one of %s", c.key, c.value, strings.Join(conversions, ", "))
		}
	}
	if o.Has("remove") {
		o.Errorf("remove", "mutate's remove was removed in Logstash 5: use the common option remove_field")
	}
	g := o.StringList("gsub", nil)
	if len(g)%3 != 0 {
		o.Errorf("gsub", "want field, pattern, replacement triples; got %d items", len(g))
	}
	for i := 0; i+2 < len(g); i += 3 {
		gs := gsub{ref: ref(g[i]), needle: g[i+1], replacement: g[i+2]}
		if !strings.Contains(gs.needle, "%{") {
			re, err := rubytext.Regexp(gs.needle)
			if err != nil {
				o.Errorf("gsub", "pattern %q: %v", gs.needle, err)
			}
			gs.re = re
		}
		f.gsubs = append(f.gsubs, gs)
	}
	return f
}

// ref parses a field reference; what does not parse names a top-level
// field as written.
func ref(s string) event.Ref {
	r, err := event.ParseRef(s)
	if err != nil {
		return event.Ref{s}
	}
	return r
}

func refs(names []string) []event.Ref {
	out := make([]event.Ref, len(names))
	for i, n := range names {
		out[i] = ref(n)
	}
	return out
}

// Apply runs the operations in Logstash's order: coerce, rename, update,
// replace, convert, gsub, uppercase, capitalize, lowercase, strip,
// split, join, merge, copy. It always reports a match.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	for _, c := range f.coerce {
		if v, ok := e.Lookup(c.ref); ok && v.Kind() == event.Nil {
			e.Put(c.ref, event.String(e.Sprintf(c.value)))
		}
	}
	for _, r := range f.rename {
		from, to := ref(e.Sprintf(r.key)), ref(e.Sprintf(r.value))
		if v, ok := e.Remove(from); ok {
			e.Put(to, v)
		}
	}
	for _, u := range f.update {
		if _, ok := e.Lookup(u.ref); ok {
			e.Put(u.ref, event.String(e.Sprintf(u.value)))
		}
	}
	for _, r := range f.replace {
		e.Put(r.ref, event.String(e.Sprintf(r.value)))
	}
	for _, c := range f.convert {
		convertField(e, c.ref, c.value)
	}
	for _, g := range f.gsubs {
		g.apply(e)
	}
	mapStrings(e, f.uppercase, rubytext.Upcase)
	mapStrings(e, f.capitalize, rubytext.Capitalize)
	mapStrings(e, f.lowercase, rubytext.Downcase)
	mapStrings(e, f.strip, rubytext.Strip)
	for _, s := range f.split {
		if v, ok := e.Lookup(s.ref); ok && v.Kind() == event.StringKind {
			e.Put(s.ref, event.Strings(rubySplit(v.Str(), s.value)...))
		}
	}
	for _, j := range f.join {
		if v, ok := e.Lookup(j.ref); ok && v.Kind() == event.ListKind {
			e.Put(j.ref, event.String(rubyJoin(v.List(), j.value)))
		}
	}
	for _, m := range f.merge {
		merge(e, m.dest, m.added)
	}
	for _, c := range f.copy {
		if v, ok := e.Lookup(c.from); ok && v.Kind() != event.Nil {
			e.Put(c.to, v)
		}
	}
	return plugin.Match
}

// mapStrings applies fn to each field that is a string, or to the
// strings of an array; other values stay as they are.
func mapStrings(e *event.Event, fields []event.Ref, fn func(string) string) {
	for _, r := range fields {
		v, ok := e.Lookup(r)
		switch {
		case !ok:
		case v.Kind() == event.StringKind:
			e.Put(r, event.String(fn(v.Str())))
		case v.Kind() == event.ListKind:
			out := make([]event.Value, len(v.List()))
			for i, it := range v.List() {
				if it.Kind() == event.StringKind {
					it = event.String(fn(it.Str()))
				}
				out[i] = it
			}
			e.Put(r, event.List(out...))
		}
	}
}

// rubySplit is Ruby's String#split(sep): trailing empty strings dropped,
// " " splits on runs of white space (leading white space ignored), ""
// splits into characters.
func rubySplit(s, sep string) []string {
	var parts []string
	switch sep {
	case " ":
		parts = strings.Fields(strings.Map(func(r rune) rune {
			if r == '\v' {
				return ' '
			}
			return r
		}, s))
	case "":
		for _, r := range s {
			parts = append(parts, string(r))
		}
	default:
		parts = strings.Split(s, sep)
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// rubyJoin is Ruby's Array#join(sep): nested arrays joined in place,
// nil as "", other values as to_s.
func rubyJoin(vs []event.Value, sep string) string {
	var b strings.Builder
	first := true
	var walk func([]event.Value)
	walk = func(vs []event.Value) {
		for _, v := range vs {
			if v.Kind() == event.ListKind {
				walk(v.List())
				continue
			}
			if !first {
				b.WriteString(sep)
			}
			first = false
			b.WriteString(rubyToS(v))
		}
	}
	walk(vs)
	return b.String()
}

// rubyToS is Ruby's to_s of an event value; a hash or an array is its
// JSON text.
func rubyToS(v event.Value) string {
	if v.Kind() == event.MapKind || v.Kind() == event.ListKind {
		return v.Text()
	}
	return rubytext.ToS(v)
}

// The boolean spellings convert accepts, as line-anchored regexes like
// Ruby's /^(true|t|yes|y|1)$/i.
var (
	trueRE  = regexp.MustCompile(`(?im)^(true|t|yes|y|1)$`)
	falseRE = regexp.MustCompile(`(?im)^(false|f|no|n|0)$`)
)

func convertField(e *event.Event, r event.Ref, kind string) {
	v, ok := e.Lookup(r)
	if !ok {
		return
	}
	switch v.Kind() {
	case event.MapKind, event.Nil:
		return
	case event.ListKind:
		out := make([]event.Value, len(v.List()))
		for i, it := range v.List() {
			if it.Kind() != event.Nil {
				it = convertValue(it, kind)
			}
			out[i] = it
		}
		e.Put(r, event.List(out...))
	default:
		e.Put(r, convertValue(v, kind))
	}
}

// convertValue is mutate's convert_<kind>.
func convertValue(v event.Value, kind string) event.Value {
	if strings.HasSuffix(kind, "_eu") && v.Kind() == event.StringKind {
		// 1.234,5 → 1,234.5: swap the separators, then convert as US.
		v = event.String(strings.Map(func(r rune) rune {
			switch r {
			case ',':
				return '.'
			case '.':
				return ','
			}
			return r
		}, v.Str()))
		kind = strings.TrimSuffix(kind, "_eu")
	}
	switch kind {
	case "string":
		if v.Kind() == event.MapKind {
			return event.String(rubytext.Inspect(v))
		}
		return event.String(rubyToS(v))
	case "boolean":
		if v.Kind() != event.StringKind {
			return v
		}
		switch s := v.Str(); {
		case trueRE.MatchString(s):
			return event.Bool(true)
		case s == "" || falseRE.MatchString(s):
			return event.Bool(false)
		}
		return v
	case "integer":
		switch v.Kind() {
		case event.BoolKind:
			if v.Bool() {
				return event.Int(1)
			}
			return event.Int(0)
		case event.IntKind:
			return v
		case event.FloatKind:
			return event.Int(int64(v.Float()))
		case event.TimeKind:
			return event.Int(v.Time().Unix())
		case event.StringKind:
			n, ok := rubytext.ToI(strings.ReplaceAll(v.Str(), ",", ""))
			if !ok { // beyond int64: Ruby's Bignum, held as a float here
				return event.Float(rubytext.ToF(strings.ReplaceAll(v.Str(), ",", "")))
			}
			return event.Int(n)
		}
	case "float":
		switch v.Kind() {
		case event.BoolKind:
			if v.Bool() {
				return event.Float(1)
			}
			return event.Float(0)
		case event.IntKind:
			return event.Float(float64(v.Int()))
		case event.FloatKind:
			return v
		case event.TimeKind:
			return event.Float(float64(v.Time().UnixMilli()) / 1000)
		case event.StringKind:
			return event.Float(rubytext.ToF(strings.ReplaceAll(v.Str(), ",", "")))
		}
	}
	return v
}

// merge is mutate's merge: hashes merge into a hash; anything else
// becomes an array with the added values appended (a missing field
// counts as an empty array); a hash and a non-hash do not merge.
func merge(e *event.Event, dest event.Ref, added []event.Ref) {
	d, _ := e.Lookup(dest)
	for _, r := range added {
		a, _ := e.Lookup(r)
		if (d.Kind() == event.MapKind) != (a.Kind() == event.MapKind) {
			continue
		}
		if d.Kind() == event.MapKind {
			fs := append([]event.Field(nil), d.Map()...)
		next:
			for _, af := range a.Map() {
				for i := range fs {
					if fs[i].Key == af.Key {
						fs[i].Value = af.Value
						continue next
					}
				}
				fs = append(fs, af)
			}
			d = event.Map(fs...)
		} else {
			d = event.List(append(asArray(d), asArray(a)...)...)
		}
		e.Put(dest, d)
	}
}

// asArray is Ruby's Array(): nil → [], an array as is, else [v].
func asArray(v event.Value) []event.Value {
	switch v.Kind() {
	case event.Nil:
		return nil
	case event.ListKind:
		return append([]event.Value(nil), v.List()...)
	}
	return []event.Value{v}
}
