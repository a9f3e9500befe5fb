package dissect

import (
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

const absent = filtertest.Absent

func msg(s string) *event.Event { return filtertest.Event("message", s) }

func onMessage(m string) string {
	return `dissect { mapping => { "message" => "` + strings.ReplaceAll(m, `"`, `\"`) + `" } }`
}

// TestDocumentationExamples runs the examples of the dissect filter's
// documentation (docs/index.asciidoc), with the fields they show.
func TestDocumentationExamples(t *testing.T) {
	filtertest.Run(t, New, []filtertest.Example{
		{
			Name:   "append fields in declared order, a skip field",
			Config: `dissect { mapping => { "message" => "%{ts} %{+ts} %{+ts} %{src} %{} %{prog}[%{pid}]: %{msg}" } }`,
			Event:  msg("Mar 16 00:01:25 evita skip-this postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]"),
			Result: plugin.Match,
			Want: map[string]string{"ts": `"Mar 16 00:01:25"`, "src": `"evita"`, "prog": `"postfix/smtpd"`, "pid": `"1713"`,
				"msg": `"connect from camomile.cloud9.net[168.100.1.3]"`, "tags": absent},
		},
		{
			Name:   "an order modifier reorders the appends",
			Config: onMessage("%{+a/2} %{+a/1} %{+a/4} %{+a/3}"),
			Event:  msg("1 2 3 go"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"2 1 go 3"`},
		},
		{
			Name:   "appends without a modifier come in declared order",
			Config: onMessage("%{a} %{b} %{+a}"),
			Event:  msg("1 2 3 go"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"1 3 go"`, "b": `"2"`},
		},
		{
			Name:   "an indirect field takes its name from a skipped field",
			Config: onMessage("error: %{?err}, %{&err}"),
			Event:  msg("error: some_error, some_description"),
			Result: plugin.Match,
			Want:   map[string]string{"some_error": `"some_description"`, "err": absent},
		},
		{
			Name:   "an indirect field, the google example",
			Config: onMessage("%{?a}: %{&a}"),
			Event:  msg("google: 77.98"),
			Result: plugin.Match,
			Want:   map[string]string{"google": `"77.98"`, "a": absent},
		},
		{
			Name:   "empty data between delimiters gives empty fields",
			Config: onMessage("%{name},%{addr1},%{addr2},%{addr3},%{city},%{zip}"),
			Event:  msg("Jane Doe,4321 Fifth Avenue,,,New York,87432"),
			Result: plugin.Match,
			Want: map[string]string{"name": `"Jane Doe"`, "addr1": `"4321 Fifth Avenue"`, "addr2": `""`, "addr3": `""`,
				"city": `"New York"`, "zip": `"87432"`},
		},
		{
			Name:   "padding to the right",
			Config: onMessage("%{id} %{function->} %{server}"),
			Event:  msg("00000043 ViewReceive     machine-321"),
			Result: plugin.Match,
			Want:   map[string]string{"id": `"00000043"`, "function": `"ViewReceive"`, "server": `"machine-321"`},
		},
		{
			Name:   "padding to the left",
			Config: onMessage("%{id->} %{function} %{server}"),
			Event:  msg("f3000a3b            Calc machine-123"),
			Result: plugin.Match,
			Want:   map[string]string{"id": `"f3000a3b"`, "function": `"Calc"`, "server": `"machine-123"`},
		},
		{
			Name: "a later mapping dissects what an earlier one found",
			Config: `dissect { mapping => {
				"message" => "%{field1} %{field2} %{description}"
				"description" => "%{field3} %{field4} %{field5}"
			} }`,
			Event:  msg("a b c d e"),
			Result: plugin.Match,
			Want:   map[string]string{"field1": `"a"`, "description": `"c d e"`, "field3": `"c"`, "field5": `"e"`},
		},
		{
			Name:   "convert_datatype on its own",
			Config: `dissect { convert_datatype => { cpu => "float" code => "int" } }`,
			Event:  filtertest.Event("cpu", "95.43", "code", "00000001"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"cpu": `95.43`, "code": `1`, "tags": absent},
		},
	})
}

// TestSpecExamples runs cases of the plugin's spec and Java tests.
func TestSpecExamples(t *testing.T) {
	filtertest.Run(t, New, []filtertest.Example{
		{
			Name:   "padding with ->",
			Config: onMessage("[%{occurred_at}] %{code} %{service->} %{ic} %{svc_message}"),
			Event:  msg("[25/05/16 09:10:38:425 BST] 00000001 SystemOut     O java.lang:type=MemoryPool,name=class storage"),
			Result: plugin.Match,
			Want: map[string]string{"occurred_at": `"25/05/16 09:10:38:425 BST"`, "code": `"00000001"`, "service": `"SystemOut"`,
				"ic": `"O"`, "svc_message": `"java.lang:type=MemoryPool,name=class storage"`, "tags": absent},
		},
		{
			Name:   "like CSV with missing fields",
			Config: `dissect { mapping => { message => '[%{occurred_at}] %{code} %{service} values: "%{v1}","%{v2}","%{v3}"%{rest}' } }`,
			Event:  msg(`[25/05/16 09:10:38:425 BST] 00000001 SystemOut values: "f1","","f3"`),
			Result: plugin.Match,
			Want:   map[string]string{"v1": `"f1"`, "v2": `""`, "v3": `"f3"`, "rest": `""`, "tags": absent},
		},
		{
			Name: "datatype conversion and an indirect field",
			Config: `dissect {
				mapping => { message => "[%{occurred_at}] %{code} %{service} %{?ic}=%{&ic}% %{svc_message}" }
				convert_datatype => { cpu => "float" code => "int" }
			}`,
			Event:  msg("[25/05/16 09:10:38:425 BST] 00000001 SystemOut cpu=95.43% java.lang:type=MemoryPool,name=class storage"),
			Result: plugin.Match,
			Want:   map[string]string{"code": `1`, "cpu": `95.43`, "service": `"SystemOut"`, "svc_message": `"java.lang:type=MemoryPool,name=class storage"`},
		},
		{
			Name: "multi-byte delimiters",
			Config: `dissect {
				mapping => { message => "[%{occurred_at}]྿྿྿%{code}྿%{service}྿྿྿྿%{?ic}=%{&ic}%྿྿%{svc_message}" }
				convert_datatype => { cpu => "float" code => "int" }
			}`,
			Event:  msg("[25/05/16 09:10:38:425 BST]྿྿྿00000001྿SystemOut྿྿྿྿cpu=95.43%྿྿java.lang:type=MemoryPool,name=class storage"),
			Result: plugin.Match,
			Want:   map[string]string{"occurred_at": `"25/05/16 09:10:38:425 BST"`, "code": `1`, "service": `"SystemOut"`, "cpu": `95.43`},
		},
		{
			Name: "failing conversions are tagged",
			Config: `dissect {
				mapping => { message => "[%{occurred_at}] %{code} %{service} %{?ic}=%{&ic}% %{svc_message}" }
				convert_datatype => { ccu => "float" other => "int" }
			}`,
			Event:  filtertest.Event("message", "[25/05/16 09:10:38:425 BST] 00000001 SystemOut cpu=95.43% java.lang:type=MemoryPool,name=class storage", "other", event.Map()),
			Result: plugin.Match,
			Want:   map[string]string{"code": `"00000001"`, "tags": `["_dataconversionnullvalue_ccu_float","_dataconversionuncoercible_other_int"]`},
		},
		{
			Name:   "a missing source field is skipped without a tag",
			Config: `dissect { mapping => { "msg" => "%{a} %{b}" } }`,
			Event:  msg("foo"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"a": absent, "tags": absent},
		},
		{
			Name:   "an empty source field is a failure",
			Config: onMessage("%{a} %{b}"),
			Event:  msg(""),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["_dissectfailure"]`},
		},
		{
			Name:   "delimiters with braces",
			Config: onMessage("{%{a}}{%{b}}%{rest}"),
			Event:  msg("{foo}{bar}"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"foo"`, "b": `"bar"`, "rest": `""`, "tags": absent},
		},
		{
			Name:   "repeated padding on two fields",
			Config: onMessage("%{a->}   %{b->}---%{c}"),
			Event:  msg("foo            bar------------baz"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"foo"`, "b": `"bar"`, "c": `"baz"`},
		},
		{
			Name:   "padding before the first field",
			Config: onMessage("%{?->}-%{a}"),
			Event:  msg("-----666"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"666"`},
		},
		{
			Name:   "-> with a single delimiter",
			Config: onMessage("%{a} %{b->} %{c}"),
			Event:  msg("foo bar baz"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"foo"`, "b": `"bar"`, "c": `"baz"`},
		},
		{
			Name:   "a delimiter that is not found fails the dissection, and nothing is stored",
			Config: onMessage("%{a} - %{b} - %{c}"),
			Event:  msg("x - y"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"a": absent, "b": absent, "tags": `["_dissectfailure"]`},
		},
		{
			Name:   "a trailing delimiter must be found",
			Config: onMessage("%{a} %{b}."),
			Event:  msg("x y"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"a": absent, "tags": `["_dissectfailure"]`},
		},
		{
			Name:   "a trailing delimiter ends the last field",
			Config: onMessage("%{a} %{b}."),
			Event:  msg("x y.z"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"x"`, "b": `"y"`},
		},
		{
			Name:   "a leading delimiter must start the text",
			Config: onMessage("[%{a}] %{b}"),
			Event:  msg("x [y] z"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["_dissectfailure"]`},
		},
		{
			Name:   "an append to a field the event has, and nested field references",
			Config: onMessage("%{+[log][ts]} %{[log][level]}"),
			Event:  filtertest.Event("message", "12:00 INFO", "[log][ts]", "2017-07-19"),
			Result: plugin.Match,
			Want:   map[string]string{"[log][ts]": `"2017-07-19 12:00"`, "[log][level]": `"INFO"`},
		},
		{
			Name:   "int conversion cuts toward zero; a non-number is tagged and kept",
			Config: `dissect { convert_datatype => { a => "int" b => "int" c => "float" } }`,
			Event:  filtertest.Event("a", "-3.9", "b", "12abc", "c", "1e3"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"a": `-3`, "b": `"12abc"`, "c": `1000.0`, "tags": `["_dataconversionuncoercible_b_int"]`},
		},
		{
			Name:   "an integer beyond 64 bits is tagged and kept",
			Config: `dissect { convert_datatype => { big_number => "int" } }`,
			Event:  filtertest.Event("big_number", "43947404257507186289"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"big_number": `"43947404257507186289"`, "tags": `["_dataconversionuncoercible_big_number_int"]`},
		},
		{
			Name:   "adjacent fields never match, as in the plugin",
			Config: onMessage("%{a}%{b}"),
			Event:  msg("ab"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["_dissectfailure"]`},
		},
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		config string
		want   string
	}{
		{onMessage("%{+&timestamp}"), `test.conf:2:22: dissect filter option "mapping": field "message": field %{+&timestamp}: a field cannot be both append (+) and indirect (&)`},
		{onMessage("%{&+timestamp}"), `cannot be both append`},
		{onMessage("%{+}"), `a prefix needs a name after it`},
		{onMessage("%{&->}"), `a prefix needs a name after it`},
		{onMessage("no fields"), `has no %{field}`},
		{onMessage(""), `the dissection is empty`},
		{onMessage("%{[a}"), `missing ']'`},
		{`dissect { convert_datatype => { code => "integer" } }`, `field "code": want int or float, got ["integer"]`},
		{`dissect { mapping => { "message" => "%{a}" } typo => 1 }`, `unknown option "typo"`},
	}
	for _, tt := range tests {
		filtertest.Refused(t, tt.config, New, tt.want)
	}
}
