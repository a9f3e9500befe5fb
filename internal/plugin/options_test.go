package plugin

import (
	"slices"
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
)

// options parses one filter block and returns its Options.
func options(t *testing.T, block string) *Options {
	t.Helper()
	cfg, err := lsconf.Parse("test.conf", []byte("filter { "+block+" }"))
	if err != nil {
		t.Fatalf("parse %q: %v", block, err)
	}
	return New("filter", "test.conf", &cfg.Sections[0].Plugins[0])
}

func TestGetters(t *testing.T) {
	o := options(t, `x {
		s => "str" n => 3 f => 0.5 b => true e => "b" l => ["a", "b"] one => "x"
		h => { "k" => "v" "k2" => ["v2", "v3"] }
		pairs => ["k", "v", "k", "w"]
		c => json { charset => "UTF-8" }
		bare => json_lines
	}`)
	if got := o.String("s", ""); got != "str" {
		t.Errorf("String = %q; want str", got)
	}
	if got := o.Int("n", 0, 0, 10); got != 3 {
		t.Errorf("Int = %d; want 3", got)
	}
	if got := o.Float("f", 0); got != 0.5 {
		t.Errorf("Float = %v; want 0.5", got)
	}
	if got := o.Bool("b", false); !got {
		t.Errorf("Bool = false; want true")
	}
	if got := o.Enum("e", "a", "a", "b"); got != "b" {
		t.Errorf("Enum = %q; want b", got)
	}
	if got := o.StringList("l", nil); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("StringList = %q; want [a b]", got)
	}
	if got := o.StringList("one", nil); !slices.Equal(got, []string{"x"}) {
		t.Errorf("StringList(one) = %q; want [x]", got)
	}
	h := o.Hash("h")
	if len(h) != 2 || h[0].Key != "k" || !slices.Equal(h[1].Values, []string{"v2", "v3"}) {
		t.Errorf("Hash = %+v; want k=[v], k2=[v2 v3]", h)
	}
	p := o.Hash("pairs")
	if len(p) != 1 || !slices.Equal(p[0].Values, []string{"v", "w"}) {
		t.Errorf("Hash(pairs) = %+v; want k=[v w]", p)
	}
	if pl, ok := o.Plugin("c"); !ok || pl.Name != "json" || len(pl.Settings) != 1 {
		t.Errorf("Plugin(c) = %+v, %v; want json with one setting", pl, ok)
	}
	if pl, ok := o.Plugin("bare"); !ok || pl.Name != "json_lines" {
		t.Errorf("Plugin(bare) = %+v, %v; want json_lines", pl, ok)
	}
	if got := o.String("missing", "def"); got != "def" {
		t.Errorf("String(missing) = %q; want def", got)
	}
	if err := o.Err(); err != nil {
		t.Errorf("Err = %v; want nil", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		block string
		read  func(o *Options)
		want  string // substring of the error; "" for none
	}{
		{`x { n => "abc" }`, func(o *Options) { o.Int("n", 0, 0, 9) }, `test.conf:1:19: x filter option "n": want an integer from 0 to 9, got "abc"`},
		{`x { n => 10 }`, func(o *Options) { o.Int("n", 0, 0, 9) }, `want an integer from 0 to 9, got "10"`},
		{`x { b => "yes" }`, func(o *Options) { o.Bool("b", false) }, `want true or false, got "yes"`},
		{`x { f => [1, 2] }`, func(o *Options) { o.Float("f", 0) }, `want a number, got an array`},
		{`x { e => "c" }`, func(o *Options) { o.Enum("e", "a", "a", "b") }, `want one of a, b, got "c"`},
		{`x { s => { "a" => "b" } }`, func(o *Options) { o.String("s", "") }, `want a string, got a hash`},
		{`x { h => ["a", "b", "c"] }`, func(o *Options) { o.Hash("h") }, `got an array of 3 items`},
		{`x { l => [["a"]] }`, func(o *Options) { o.StringList("l", nil) }, `nested array`},
		{`x { typo => 1 }`, func(o *Options) { o.String("known", "") }, `test.conf:1:14: unknown option "typo" for filter plugin "x" (known: known)`},
		{`x { }`, func(o *Options) { o.Require("path") }, `test.conf:1:10: filter plugin "x" is missing required option "path"`},
		{`x { remove_field => "[a" }`, func(o *Options) { ReadCommon(o) }, `missing ']'`},
		{`x { remove_field => "%{[a}" }`, func(o *Options) { ReadCommon(o) }, ``},
	}
	for _, tt := range tests {
		o := options(t, tt.block)
		tt.read(o)
		err := o.Err()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Err = %v; want nil", tt.block, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Err = %v; want it to contain %q", tt.block, err, tt.want)
		}
	}
}

func TestIgnoreWarns(t *testing.T) {
	o := options(t, `x { manage_template => false }`)
	o.Ignore("manage_template", "there is no template to manage")
	o.Ignore("template", "there is no template to manage")
	if err := o.Err(); err != nil {
		t.Fatalf("Err = %v; want nil", err)
	}
	w := o.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], `test.conf:1:14: x filter option "manage_template" is accepted and ignored: there is no template to manage`) {
		t.Errorf("Warnings = %q; want one about manage_template", w)
	}
}

func TestCommonApply(t *testing.T) {
	o := options(t, `x {
		add_field => { "new" => "v-%{message}" "message" => "second" }
		remove_field => ["gone", "[nested][x]"]
		add_tag => ["t1", "t-%{message}"]
		remove_tag => ["old"]
	}`)
	c := ReadCommon(o)
	if err := o.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	e := &event.Event{Fields: []event.Field{
		{Key: "message", Value: event.String("m")},
		{Key: "gone", Value: event.Int(1)},
		{Key: "nested", Value: event.Map(event.Field{Key: "x", Value: event.Int(1)}, event.Field{Key: "y", Value: event.Int(2)})},
		{Key: "tags", Value: event.Strings("old", "keep")},
	}}
	c.Apply(e)
	for _, tt := range []struct{ ref, want string }{
		{"new", "v-m"},
		{"message", "m,second"},
		// add_field made message an array before add_tag expanded it.
		{"tags", "keep,t1,t-m,second"},
		{"nested", `{"y":2}`},
	} {
		v, _ := e.Lookup(event.MustRef(tt.ref))
		if got := v.Text(); got != tt.want {
			t.Errorf("%s = %q; want %q", tt.ref, got, tt.want)
		}
	}
	if _, ok := e.Get("gone"); ok {
		t.Errorf("remove_field left gone")
	}
}
