package kv

import (
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

func TestDocsExamples(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, block, message string
		want                 map[string]string
	}{
		{"the docs' first example", `kv { }`, "ip=1.2.3.4 error=REFUSED",
			map[string]string{"ip": `"1.2.3.4"`, "error": `"REFUSED"`}},
		{"query strings with field_split", `kv { field_split => "&?" }`, "?pin=12345~0&d=123&e=foo@bar.com&oq=bobo&ss=12345",
			map[string]string{"pin": `"12345~0"`, "d": `"123"`, "e": `"foo@bar.com"`, "oq": `"bobo"`, "ss": `"12345"`}},
		{"field_split_pattern", `kv { field_split_pattern => ":+" }`, "k1=v1:k2=v2::k3=v3:::k4=v4",
			map[string]string{"k1": `"v1"`, "k2": `"v2"`, "k3": `"v3"`, "k4": `"v4"`}},
		{"field_split_pattern with escapes", `kv { field_split_pattern => "\\+\\+" }`, "k1=v1++k2=v2++k3=v3++k4=v4",
			map[string]string{"k1": `"v1"`, "k4": `"v4"`}},
		{"brackets", `kv { }`, "bracketsone=(hello world) bracketstwo=[hello world] bracketsthree=<hello world>",
			map[string]string{"bracketsone": `"hello world"`, "bracketstwo": `"hello world"`, "bracketsthree": `"hello world"`}},
		{"without brackets", `kv { include_brackets => false }`, "bracketsone=(hello world) bracketstwo=[hello world]",
			map[string]string{"bracketsone": `"(hello"`, "bracketstwo": `"[hello"`}},
		{"duplicates become an array", `kv { }`, "from=me from=me",
			map[string]string{"from": `["me","me"]`}},
		{"allow_duplicate_values => false", `kv { allow_duplicate_values => false }`, "from=me from=me",
			map[string]string{"from": `"me"`}},
		{"exclude_keys", `kv { exclude_keys => [ "from", "to" ] }`, "Hey, from=<abc>, to=def foo=bar",
			map[string]string{"from": filtertest.Absent, "to": filtertest.Absent, "foo": `"bar"`}},
		{"include_keys", `kv { include_keys => [ "from", "to" ] }`, "Hey, from=<abc>, to=def foo=bar",
			map[string]string{"from": `"<abc>,"`, "to": `"def"`, "foo": filtertest.Absent}},
		{"prefix", `kv { prefix => "arg_" }`, "a=1",
			map[string]string{"arg_a": `"1"`, "a": filtertest.Absent}},
		{"default_keys fill what is missing", `kv { default_keys => [ "from", "logstash@example.com", "to", "default@dev.null" ] }`, "to=me@x",
			map[string]string{"from": `"logstash@example.com"`, "to": `"me@x"`}},
		{"recursive", `kv { recursive => true }`, `a="b=c d=e" f=g`,
			map[string]string{"[a][b]": `"c"`, "[a][d]": `"e"`, "f": `"g"`}},
		{"remove_char_key", `kv { remove_char_key => "<>\[\]," }`, "<k,ey>=v",
			map[string]string{"key": `"v"`}},
		{"trim_value and trim_key", `kv { trim_value => "<>\[\]," trim_key => "_" }`, "__k__=<<v,> x=[y]",
			map[string]string{"k": `"v"`, "x": `"y"`}},
		{"transforms change ASCII only", `kv { transform_key => "uppercase" transform_value => "capitalize" }`, "név=ÉLAN",
			map[string]string{"NéV": `"Élan"`}},
		{"target", `kv { target => "kv" value_split => ":" }`, "a:1 b:2",
			map[string]string{"[kv][a]": `"1"`, "[kv][b]": `"2"`, "a": filtertest.Absent}},
		{"quoted values keep spaces", `kv { }`, `a="x y" b='z'`,
			map[string]string{"a": `"x y"`, "b": `"z"`}},
		{"empty values are skipped (the plugin's spec)", `kv { field_split => "|" }`, `a=1|b=|c=3`,
			map[string]string{"a": `"1"`, "b": filtertest.Absent, "c": `"3"`}},
		{"white space after the value separator is skipped, as the plugin's regex does", `kv { }`, `c= d=1`,
			map[string]string{"c": `"d=1"`, "d": filtertest.Absent}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, New)
			e := filtertest.Event("message", c.message)
			if got := f.Apply(e); got != plugin.Match {
				t.Fatalf("Apply(%q) = %v; want Match (event %s)", c.message, got, filtertest.Show(e))
			}
			filtertest.Check(t, e, c.want)
		})
	}
}

func TestNoPairsIsNoMatch(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `kv { source => "msg" }`, New)
	for _, e := range []*event.Event{filtertest.Event("msg", "no pairs here"), filtertest.Event("other", "a=b"), filtertest.Event("msg", event.Int(3))} {
		before := filtertest.Show(e)
		if got := f.Apply(e); got != plugin.NoMatch || filtertest.Show(e) != before {
			t.Errorf("Apply(%s) = %v, event now %s; want NoMatch, unchanged", before, got, filtertest.Show(e))
		}
	}
	arr := filtertest.Event("msg", event.Strings("a=1", "b=2"))
	if got := f.Apply(arr); got != plugin.Match {
		t.Fatalf("array source: Apply = %v; want Match", got)
	}
	filtertest.Check(t, arr, map[string]string{"a": `"1"`, "b": `"2"`})
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ block, want string }{
		{`kv { value_split => "" }`, "value_split"},
		{`kv { field_split_pattern => "" }`, "field_split_pattern"},
		{`kv { field_split_pattern => "(" }`, "bad regular expression"},
		{`kv { transform_key => "reverse" }`, "transform_key"},
		{`kv { trim => "<>" }`, "renamed \"trim_value\""},
		{`kv { trimkey => "<>" }`, "renamed \"trim_key\""},
		{`kv { default_keys => { "a" => ["1", "2"] } }`, "default_keys"},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
}
