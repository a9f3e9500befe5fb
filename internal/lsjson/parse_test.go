package lsjson

import (
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
)

func TestParseIsStrictJSON(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{`{'a':1}`, `{"a":1,}`, `[01]`, `1.`, `.5`, `+1`, `NaN`, `truex`, `"a` + "\x01" + `"`, `"\x"`, `{"a" 1}`, `12abc`, `{} x`, `[1 2]`} {
		if v, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %s; want an error", bad, v.Text())
		}
	}
	for in, want := range map[string]string{
		`"\u00e9\ud83d\ude00\n"`: "é😀\n",
		` 12 `:                   "12",
		`-0.5e1`:                 "-5.0",
		`{"a":1,"a":2}`:          `{"a":2}`,
		`[true,false,null]`:      "[true,false,null]",
	} {
		v, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		one := event.Event{Fields: []event.Field{{Key: "v", Value: v}}}
		got := strings.TrimSuffix(strings.TrimPrefix(string(event.JSON{}.Append(nil, &one)), `{"v":`), "}")
		if v.Kind() == event.StringKind {
			got = v.Str()
		}
		if got != want {
			t.Errorf("Parse(%q) = %s; want %s", in, got, want)
		}
	}
}

func TestParseFirstStopsAfterTheFirstValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":1} trailing words`: `{"a":1}`,
		`[1] [2]`:                `[1]`,
		"  ":                     `null`,
	} {
		v, err := ParseFirst(in)
		if err != nil {
			t.Errorf("ParseFirst(%q): %v", in, err)
			continue
		}
		one := event.Event{Fields: []event.Field{{Key: "v", Value: v}}}
		if got := strings.TrimSuffix(strings.TrimPrefix(string(event.JSON{}.Append(nil, &one)), `{"v":`), "}"); got != want {
			t.Errorf("ParseFirst(%q) = %s; want %s", in, got, want)
		}
	}
	if v, err := ParseFirst(`{"a":`); err == nil {
		t.Errorf("ParseFirst of a cut object = %s; want an error", v.Text())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\ud83d\ude00"`, `12 34`, `{}{}`, ``, `[[[[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := Parse(text)
		if err != nil {
			return
		}
		// What parses must print as JSON that parses to the same.
		one := event.Event{Fields: []event.Field{{Key: "v", Value: v}}}
		out := string(event.JSON{}.Append(nil, &one))
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) printed %s, which does not parse: %v", text, out, err)
		}
		again := event.Event{Fields: []event.Field{{Key: "v", Value: back.Map()[0].Value}}}
		if out2 := string(event.JSON{}.Append(nil, &again)); out2 != out {
			t.Errorf("Parse(%q): printed %s, reparsed and printed %s", text, out, out2)
		}
	})
}
