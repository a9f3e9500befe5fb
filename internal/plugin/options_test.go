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
		ref => "[a][b]" empty => ""
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
	if got := o.Ref("ref", ""); !slices.Equal(got, event.Ref{"a", "b"}) {
		t.Errorf("Ref(ref) = %q; want [a b]", got)
	}
	if got := o.Ref("unset", "message"); !slices.Equal(got, event.Ref{"message"}) {
		t.Errorf("Ref(unset, message) = %q; want [message]", got)
	}
	if got := o.Ref("empty", "x"); got != nil {
		t.Errorf(`Ref(empty) = %q; want nil for ""`, got)
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
		{`x { r => "[a" }`, func(o *Options) { o.Ref("r", "") }, `test.conf:1:19: x filter option "r": field reference "[a": missing ']'`},
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

// TestCommonApplyIsFilterMatched follows Logstash 5's filter_matched:
// add_tag appends even a tag already there, and a string tags field
// becomes an array whenever the filter matched.
func TestCommonApplyIsFilterMatched(t *testing.T) {
	tests := []struct {
		name  string
		block string
		tags  event.Value // the event's tags before; Nil for none
		want  string      // tags after, as JSON; "" for none
	}{
		{"add_tag appends a tag already there", `x { add_tag => ["a", "b"] }`, event.Strings("a"), `["a","a","b"]`},
		{"add_tag starts the tags", `x { add_tag => "a" }`, event.Value{}, `["a"]`},
		{"a string tags field becomes an array", `x { }`, event.String("s"), `["s"]`},
		{"an array stays as it is without remove_tag", `x { }`, event.Strings("s", "s"), `["s","s"]`},
		{"remove_tag removes every copy", `x { remove_tag => "s" }`, event.Strings("s", "t", "s"), `["t"]`},
		{"remove_tag leaves an empty array", `x { remove_tag => ["s", "%{k}"] }`, event.Strings("s", "v"), `[]`},
		{"no tags, no tags field", `x { remove_tag => "s" }`, event.Value{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(t, tt.block)
			c := ReadCommon(o)
			if err := o.Err(); err != nil {
				t.Fatal(err)
			}
			e := &event.Event{Fields: []event.Field{{Key: "k", Value: event.String("v")}}}
			if tt.tags.Kind() != event.Nil {
				e.Set("tags", tt.tags)
			}
			c.Apply(e)
			got := ""
			if v, ok := e.Get("tags"); ok {
				one := event.Event{Fields: []event.Field{{Key: "t", Value: v}}}
				got = strings.TrimSuffix(strings.TrimPrefix(string(event.JSON{}.Append(nil, &one)), `{"t":`), "}")
			}
			if got != tt.want {
				t.Errorf("tags = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestCommonOptionsOfEveryKind(t *testing.T) {
	tests := []struct {
		name  string
		read  func(o *Options)
		block string
		want  string // substring of Err; "" for none
	}{
		{"filter: all common options", func(o *Options) { ReadCommon(o) },
			`x { id => "a" enable_metric => false periodic_flush => true add_field => { "k" => "v" } remove_field => "f" add_tag => "t" remove_tag => "u" }`, ""},
		{"filter: type is obsolete", func(o *Options) { ReadCommon(o) }, `x { type => "t" }`,
			`x filter option "type": is obsolete: use a conditional instead, like: if [type] == "sometype" { x { ... } }`},
		{"filter: exclude_tags is obsolete", func(o *Options) { ReadCommon(o) }, `x { exclude_tags => "t" }`, `"exclude_tags": is obsolete`},
		{"input: all common options", func(o *Options) { ReadInputCommon(o) },
			`x { id => "a" enable_metric => true type => "t" tags => ["a"] add_field => { "k" => ["v", "w"] } }`, ""},
		{"input: charset is obsolete", func(o *Options) { ReadInputCommon(o) }, `x { charset => "UTF-8" }`,
			`"charset": is obsolete: use the codec option instead, like: codec => plain { charset => "UTF-8" }`},
		{"input: tags must be strings", func(o *Options) { ReadInputCommon(o) }, `x { tags => { "a" => "b" } }`, `want a string or an array of strings`},
		{"output: all common options", func(o *Options) { ReadOutputCommon(o) }, `x { id => "a" enable_metric => false workers => 1 }`, ""},
		{"output: tags is obsolete", func(o *Options) { ReadOutputCommon(o) }, `x { tags => "a" }`, `"tags": is obsolete`},
		{"output: workers below 1", func(o *Options) { ReadOutputCommon(o) }, `x { workers => 0 }`, `want an integer from 1 to 65536`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(t, tt.block)
			tt.read(o)
			err := o.Err()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Err = %v; want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Err = %v; want it to contain %q", err, tt.want)
			}
		})
	}
	o := options(t, `x { type => "web" tags => ["a", "%{type}"] add_field => { "k" => "v" } }`)
	c := ReadInputCommon(o)
	if c.Type != "web" || !slices.Equal(c.Tags, []string{"a", "%{type}"}) ||
		len(c.AddField) != 1 || c.AddField[0].Key != "k" || !slices.Equal(c.AddField[0].Values, []string{"v"}) {
		t.Errorf("ReadInputCommon = %+v; want type web, tags a %%{type}, k => v", c)
	}
}

func TestOutputCodec(t *testing.T) {
	tests := []struct {
		block string
		def   string
		want  event.Codec
		err   string
	}{
		{`x { }`, "line", event.Line{}, ""},
		{`x { codec => rubydebug }`, "line", event.Rubydebug{}, ""},
		{`x { codec => "json_lines" }`, "line", event.JSON{Delimiter: "\n"}, ""},
		{`x { codec => json_lines { delimiter => "\t" } }`, "line", event.JSON{Delimiter: "\t"}, ""},
		{`x { codec => line { format => "%{message}" } }`, "line", event.Line{Format: "%{message}"}, ""},
		{`x { codec => dots }`, "line", event.Dots{}, ""},
		{`x { codec => plain { format => "x" } }`, "line", event.Plain{Format: "x"}, ""},
		{`x { codec => msgpack { format => "x" } }`, "line", event.Line{}, `x filter option "codec": codec "msgpack" is not supported by the x output`},
		{`x { codec => json { charset => "latin1" } }`, "line", event.JSON{}, `json codec option "charset": logship writes UTF-8 only, got "latin1"`},
		{`x { codec => ["json"] }`, "line", event.JSON{}, ""},
		{`x { codec => { "a" => "b" } }`, "line", event.Line{}, `want a codec name or block, got a hash`},
	}
	for _, tt := range tests {
		o := options(t, tt.block)
		got := OutputCodec(o, tt.def, OutputCodecs...)
		err := o.Err()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: Err = %v; want nil", tt.block, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: Err = %v; want it to contain %q", tt.block, err, tt.err)
		}
		if got != tt.want {
			t.Errorf("%s: codec = %#v; want %#v", tt.block, got, tt.want)
		}
	}
}

func TestSubReportsItsErrorsAndWarningsThroughItsParent(t *testing.T) {
	o := options(t, `x { codec => json { charset => "UTF-8" typo => 1 } }`)
	sub, ok := o.Sub("codec", "codec")
	if !ok {
		t.Fatal("Sub(codec) = false; want the block")
	}
	sub.String("charset", "")
	sub.Ignore("charset", "always UTF-8")
	err := o.Err()
	if err == nil || !strings.Contains(err.Error(), `test.conf:1:49: unknown option "typo" for codec plugin "json" (known: charset)`) {
		t.Errorf("Err = %v; want the codec's unknown option", err)
	}
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], `json codec option "charset" is accepted and ignored`) {
		t.Errorf("Warnings = %q; want the codec's", w)
	}
	if _, ok := o.Sub("missing", "codec"); ok {
		t.Error("Sub(missing) = true; want false")
	}
}
