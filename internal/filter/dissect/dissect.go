// Package dissect is Logstash's dissect filter, as
// logstash-filter-dissect 1.2 (which runs on Logstash 5.6) does it: it
// splits a field at fixed delimiters into fields, without regular
// expressions. Its documented syntax: %{a} (stored), %{+a} and %{+a/n}
// (appended, in order n), %{?a} and %{} (skipped), %{&a} (stored under
// the value of a), %{a->} (the delimiter after a may repeat: padding).
package dissect

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one dissect block. Apply is not safe for concurrent use.
type Filter struct {
	mappings     []mapping
	conversions  []conversion
	tagOnFailure []string
	spans        []span
}

type mapping struct {
	ref event.Ref
	d   *dissector
}

type conversion struct {
	field string
	ref   event.Ref
	to    string // "int" or "float"
}

// New reads the dissect options from o: mapping, convert_datatype,
// tag_on_failure; problems are recorded on o.
func New(o *plugin.Options) *Filter {
	f := &Filter{tagOnFailure: o.StringList("tag_on_failure", []string{"_dissectfailure"})}
	for _, m := range o.Hash("mapping") {
		ref, err := event.ParseRef(m.Key)
		if err != nil {
			o.Errorf("mapping", "%v", err)
			continue
		}
		for _, text := range m.Values {
			d, err := compile(text)
			if err != nil {
				o.Errorf("mapping", "field %q: %v", m.Key, err)
				continue
			}
			f.mappings = append(f.mappings, mapping{ref: ref, d: d})
			f.spans = make([]span, max(len(f.spans), len(d.fields)))
		}
	}
	for _, c := range o.Hash("convert_datatype") {
		ref, err := event.ParseRef(c.Key)
		if err != nil {
			o.Errorf("convert_datatype", "%v", err)
			continue
		}
		if len(c.Values) != 1 || (c.Values[0] != "int" && c.Values[0] != "float") {
			o.Errorf("convert_datatype", "field %q: want int or float, got %q", c.Key, c.Values)
			continue
		}
		f.conversions = append(f.conversions, conversion{field: c.Key, ref: ref, to: c.Values[0]})
	}
	return f
}

// Apply dissects each mapped field and then converts the fields of
// convert_datatype. It returns Match if a dissection succeeded; a field
// that is empty or whose delimiters are not all found, in order, adds
// tag_on_failure; a missing field is skipped, as in Logstash.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	matched, failed := false, false
	for i := range f.mappings {
		m := &f.mappings[i]
		v, ok := e.Lookup(m.ref)
		if !ok {
			continue
		}
		s := text(v)
		if s == "" || !m.d.dissect(s, f.spans) {
			failed = true
			continue
		}
		f.store(e, m.d, s)
		matched = true
	}
	if failed {
		for _, t := range f.tagOnFailure {
			e.AddTag(t)
		}
	}
	for _, c := range f.conversions {
		convert(e, c)
	}
	if matched {
		return plugin.Match
	}
	return plugin.NoMatch
}

// store sets the fields of a successful dissection of s: normal fields,
// then appended ones by their order, then indirect ones.
func (f *Filter) store(e *event.Event, d *dissector, s string) {
	for _, i := range d.saved {
		fd := &d.fields[i]
		value := s[f.spans[i].start:f.spans[i].end]
		switch fd.kind {
		case normal:
			e.Put(fd.ref, event.String(value))
		case appended:
			old, ok := e.Lookup(fd.ref)
			if !ok {
				e.Put(fd.ref, event.String(value))
				continue
			}
			join := fd.prev
			if join == "" {
				join = " "
			}
			e.Put(fd.ref, event.String(text(old)+join+value))
		case indirect:
			key := ""
			if old, ok := e.Lookup(fd.ref); ok {
				key = text(old)
			} else {
				for j := range d.fields {
					if j != i && d.fields[j].name == fd.name {
						key = s[f.spans[j].start:f.spans[j].end]
						break
					}
				}
			}
			if key == "" {
				continue
			}
			r, err := event.ParseRef(key)
			if err != nil {
				r = event.Ref{key}
			}
			e.Put(r, event.String(value))
		}
	}
}

// javaDecimal is what Java's BigDecimal(String) accepts.
var javaDecimal = regexp.MustCompile(`^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$`)

// convert converts one field as the plugin does (through BigDecimal): an
// int is cut toward zero. A value that does not convert, or an integer
// beyond 64 bits (Logstash would keep a BigInteger), is tagged
// _dataconversionuncoercible_<field>_<type> and left as it is; a missing
// field is tagged _dataconversionnullvalue_<field>_<type>.
func convert(e *event.Event, c conversion) {
	v, ok := e.Lookup(c.ref)
	if !ok || v.Kind() == event.Nil {
		e.AddTag("_dataconversionnullvalue_" + c.field + "_" + c.to)
		return
	}
	s := text(v)
	var r big.Rat
	if !javaDecimal.MatchString(s) {
		e.AddTag("_dataconversionuncoercible_" + c.field + "_" + c.to)
		return
	}
	if c.to == "float" {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			e.AddTag("_dataconversionuncoercible_" + c.field + "_" + c.to)
			return
		}
		e.Put(c.ref, event.Float(x))
		return
	}
	if _, ok := r.SetString(s); !ok {
		e.AddTag("_dataconversionuncoercible_" + c.field + "_" + c.to)
		return
	}
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if !n.IsInt64() {
		e.AddTag("_dataconversionuncoercible_" + c.field + "_" + c.to)
		return
	}
	e.Put(c.ref, event.Int(n.Int64()))
}

// text is a value as the plugin reads it (Java's toString): a string as
// it is, other values as their text.
func text(v event.Value) string {
	switch v.Kind() {
	case event.Nil:
		return ""
	case event.StringKind:
		return v.Str()
	case event.TimeKind: // ISO 8601, as LogStash::Timestamp#to_s
		return strings.Trim(v.Text(), `"`)
	}
	return v.Text()
}
