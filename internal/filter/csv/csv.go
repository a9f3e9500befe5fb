// Package csv is Logstash's csv filter (logstash-filter-csv 3.0.8, as in
// Logstash 5.6): it parses one CSV row held in a field into fields.
package csv

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one csv block. Apply is called by one goroutine at a time;
// it keeps the columns autodetect_column_names reads from the first row.
type Filter struct {
	source        event.Ref
	target        event.Ref
	columns       []string
	sep, quote    string
	autogenerate  bool
	skipEmptyCols bool
	skipEmptyRows bool
	skipHeader    bool
	autodetect    bool
	convert       map[string]string
}

// The conversions csv's convert option knows.
var conversions = []string{"integer", "float", "date", "date_time", "boolean"}

// New reads the csv options from o: source ("message"), target, columns,
// separator (","), quote_char ("\""), autogenerate_column_names (true),
// autodetect_column_names, skip_header, skip_empty_columns,
// skip_empty_rows (false), convert ({column => type}).
func New(o *plugin.Options) *Filter {
	f := &Filter{
		columns:       o.StringList("columns", nil),
		sep:           o.String("separator", ","),
		quote:         o.String("quote_char", `"`),
		autogenerate:  o.Bool("autogenerate_column_names", true),
		skipEmptyCols: o.Bool("skip_empty_columns", false),
		skipEmptyRows: o.Bool("skip_empty_rows", false),
		skipHeader:    o.Bool("skip_header", false),
		autodetect:    o.Bool("autodetect_column_names", false),
		convert:       map[string]string{},
		target:        o.Ref("target", ""),
	}
	if src, err := event.ParseRef(o.String("source", "message")); err != nil {
		o.Errorf("source", "%v", err)
	} else {
		f.source = src
	}
	if f.quote == `\x00` { // as Logstash: the config's way to write NUL
		f.quote = "\x00"
	}
	if utf8.RuneCountInString(f.quote) != 1 {
		// Ruby's CSV raises this on every event; refuse it up front.
		o.Errorf("quote_char", "want a single character, got %q", f.quote)
	}
	if f.sep == "" {
		o.Errorf("separator", "want a non-empty separator")
	}
	for _, c := range o.Hash("convert") {
		if len(c.Values) != 1 || !slices.Contains(conversions, c.Values[0]) {
			o.Errorf("convert", "column %q: want one of %s, got %q", c.Key, strings.Join(conversions, ", "), c.Values)
			continue
		}
		f.convert[c.Key] = c.Values[0]
	}
	return f
}

// Apply parses the source field as one CSV row into columns named by
// columns (then column1, column2, … unless autogenerate_column_names is
// false). As in Logstash: a missing or null source does nothing; text
// that is not CSV, empty text or a source that is not a string gets
// _csvparsefailure; with autodetect_column_names the first row names the
// columns and is dropped; with skip_header a row equal to the columns is
// dropped; with skip_empty_rows an empty row gets _csvskippedemptyfield.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	src, ok := e.Lookup(f.source)
	if !ok || src.Kind() == event.Nil || src.Kind() == event.BoolKind && !src.Bool() {
		return plugin.NoMatch
	}
	if src.Kind() != event.StringKind {
		e.AddTag("_csvparsefailure")
		return plugin.NoMatch
	}
	row, err := parseLine(src.Str(), f.sep, f.quote)
	if err == errNoRow && f.skipEmptyRows {
		e.AddTag("_csvskippedemptyfield")
		return plugin.NoMatch
	}
	if err != nil {
		e.AddTag("_csvparsefailure")
		return plugin.NoMatch
	}
	if f.autodetect && len(f.columns) == 0 {
		f.columns = make([]string, len(row))
		for i, c := range row {
			f.columns[i] = c.text
		}
		return plugin.Drop
	}
	if f.skipHeader && len(f.columns) > 0 && f.isHeader(row) {
		return plugin.Drop
	}
	for i, c := range row {
		if f.skipEmptyCols && c.text == "" {
			continue
		}
		if i >= len(f.columns) && !f.autogenerate {
			continue
		}
		var name string
		if i < len(f.columns) {
			name = f.columns[i]
		} else {
			name = "column" + strconv.Itoa(i+1)
		}
		v, ok := convert(f.convert[name], c)
		if !ok {
			// Logstash's boolean conversion fails on an empty column:
			// the columns before it stay set.
			e.AddTag("_csvparsefailure")
			return plugin.NoMatch
		}
		e.Put(f.ref(name), v)
	}
	return plugin.Match
}

func (f *Filter) isHeader(row []field) bool {
	if len(row) != len(f.columns) {
		return false
	}
	for i, c := range row {
		if c.null || c.text != f.columns[i] {
			return false
		}
	}
	return true
}

// ref is Logstash's field_ref: the column under the target; a column
// name written as a reference ("[a][b]") is a path.
func (f *Filter) ref(name string) event.Ref {
	col := event.Ref{name}
	if strings.HasPrefix(name, "[") {
		if r, err := event.ParseRef(name); err == nil {
			col = r
		}
	}
	if len(f.target) == 0 {
		return col
	}
	return append(append(event.Ref(nil), f.target...), col...)
}

// convert applies a conversion as Logstash's csv does (Ruby's CSV
// converters): a value that does not convert stays a string; ok is false
// only for boolean on an empty (nil) column, which fails the event.
func convert(kind string, c field) (event.Value, bool) {
	if c.null {
		return event.Value{}, kind != "boolean"
	}
	s := c.text
	switch kind {
	case "integer":
		if n, ok := rubyInteger(s); ok {
			return event.Int(n), true
		}
	case "float":
		if x, ok := rubyFloat(s); ok {
			return event.Float(x), true
		}
	case "date":
		if t, ok := rubyDate(s, false); ok {
			return event.Time(t), true
		}
	case "date_time":
		if t, ok := rubyDate(s, true); ok {
			return event.Time(t), true
		}
	case "boolean":
		b := strings.ToLower(strings.TrimSpace(s))
		switch b {
		case "true":
			return event.Bool(true), true
		case "false":
			return event.Bool(false), true
		}
		return event.String(b), true
	}
	return event.String(s), true
}
