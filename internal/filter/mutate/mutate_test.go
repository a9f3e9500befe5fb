package mutate

import (
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

func TestOperations(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, block string
		fields      []any
		want        map[string]string
	}{
		{"the docs' convert example", `mutate { convert => { "fieldname" => "integer" "booleanfield" => "boolean" } }`,
			[]any{"fieldname", "1,234", "booleanfield", "yes"}, map[string]string{"fieldname": "1234", "booleanfield": "true"}},
		{"the docs' copy example", `mutate { copy => { "source_field" => "dest_field" } }`,
			[]any{"source_field", "x"}, map[string]string{"source_field": `"x"`, "dest_field": `"x"`}},
		{"the docs' gsub example", `mutate { gsub => [ "fieldname", "/", "_", "fieldname2", "[\\?#-]", "." ] }`,
			[]any{"fieldname", "a/b/c", "fieldname2", `a?b#c-d`}, map[string]string{"fieldname": `"a_b_c"`, "fieldname2": `"a.b.c.d"`}},
		// logship always processes string escapes (README: Config
		// language), so the docs' "\\" reaches the regex as "\": a
		// backslash takes "\\\\" in the config.
		{"gsub of a backslash", `mutate { gsub => [ "f", "[\\\\?]", "." ] }`,
			[]any{"f", `a\b?c`}, map[string]string{"f": `"a.b.c"`}},
		{"the docs' join example", `mutate { join => { "fieldname" => "," } }`,
			[]any{"fieldname", event.List(event.String("a"), event.Int(1), event.List(event.String("b")))}, map[string]string{"fieldname": `"a,1,b"`}},
		{"the docs' lowercase example", `mutate { lowercase => [ "fieldname" ] }`,
			[]any{"fieldname", "HeLLo ÉCOLE"}, map[string]string{"fieldname": `"hello École"`}},
		{"the docs' merge example, strings", `mutate { merge => { "dest_field" => "added_field" } }`,
			[]any{"dest_field", "a", "added_field", "b"}, map[string]string{"dest_field": `["a","b"]`}},
		{"merge hashes", `mutate { merge => { "d" => "a" } }`,
			[]any{"[d][x]", "1", "[a][y]", "2"}, map[string]string{"d": `{"x":"1","y":"2"}`}},
		{"merge refuses a hash into an array", `mutate { merge => { "d" => "a" } }`,
			[]any{"d", "1", "[a][y]", "2"}, map[string]string{"d": `"1"`}},
		{"the docs' coerce example", `mutate { coerce => { "field1" => "default_value" } }`,
			[]any{"field1", event.Value{}}, map[string]string{"field1": `"default_value"`}},
		{"coerce leaves set and missing fields", `mutate { coerce => { "field1" => "d" "field2" => "d" } }`,
			[]any{"field1", "v"}, map[string]string{"field1": `"v"`, "field2": filtertest.Absent}},
		{"the docs' rename example", `mutate { rename => { "HOSTORIP" => "client_ip" } }`,
			[]any{"HOSTORIP", "1.2.3.4"}, map[string]string{"HOSTORIP": filtertest.Absent, "client_ip": `"1.2.3.4"`}},
		{"rename into a nested field, with sprintf", `mutate { rename => { "a" => "[b][%{k}]" } }`,
			[]any{"a", "1", "k", "c"}, map[string]string{"a": filtertest.Absent, "[b][c]": `"1"`}},
		{"the docs' replace example", `mutate { replace => { "message" => "%{source_host}: My new message" } }`,
			[]any{"message", "old", "source_host", "web1"}, map[string]string{"message": `"web1: My new message"`}},
		{"the docs' split example", `mutate { split => { "fieldname" => "," } }`,
			[]any{"fieldname", "a,b,,c,,"}, map[string]string{"fieldname": `["a","b","","c"]`}},
		{"split on a space like awk", `mutate { split => { "f" => " " } }`,
			[]any{"f", "  a  b "}, map[string]string{"f": `["a","b"]`}},
		{"the docs' strip example", `mutate { strip => ["field1", "field2"] }`,
			[]any{"field1", "  a \t", "field2", event.Strings(" b ", "c ")}, map[string]string{"field1": `"a"`, "field2": `["b","c"]`}},
		{"the docs' update example", `mutate { update => { "sample" => "My new message" "absent" => "x" } }`,
			[]any{"sample", "old"}, map[string]string{"sample": `"My new message"`, "absent": filtertest.Absent}},
		{"uppercase and capitalize", `mutate { uppercase => ["u"] capitalize => ["c"] }`,
			[]any{"u", "abc", "c", "hELLO"}, map[string]string{"u": `"ABC"`, "c": `"Hello"`}},
		{"convert to float, EU formats and strings", `mutate { convert => { "f" => "float" "eu" => "float_eu" "ieu" => "integer_eu" "s" => "string" "b" => "boolean" "n" => "integer" } }`,
			[]any{"f", "1,234.5", "eu", "1.234,5", "ieu", "1.234", "s", event.Float(1e20), "b", "maybe", "n", " 12abc"},
			map[string]string{"f": "1234.5", "eu": "1234.5", "ieu": "1234", "s": `"1.0e+20"`, "b": `"maybe"`, "n": "12"}},
		{"convert arrays element by element", `mutate { convert => { "a" => "integer" } }`,
			[]any{"a", event.Strings("1", "x", "3.9")}, map[string]string{"a": "[1,0,3]"}},
		{"convert booleans are line-anchored and case-free", `mutate { convert => { "a" => "boolean" "b" => "boolean" "c" => "boolean" } }`,
			[]any{"a", "FALSE", "b", "", "c", "yes\nno"}, map[string]string{"a": "false", "b": "false", "c": "true"}},
		{"gsub with groups and a dynamic pattern", `mutate { gsub => [ "m", "(\\w+)@(\\w+)", "\\2 at \\1", "n", "%{pat}", "-" ] }`,
			[]any{"m", "me@host you@there", "n", "a1b22", "pat", "[0-9]+"}, map[string]string{"m": `"host at me there at you"`, "n": `"a-b-"`}},
		{"gsub on arrays skips non-strings", `mutate { gsub => [ "a", "x", "y" ] }`,
			[]any{"a", event.List(event.String("xx"), event.Int(1))}, map[string]string{"a": `["yy",1]`}},
		{"order: rename runs before replace, convert after update", `mutate { replace => { "b" => "%{a}!" } rename => { "a" => "b" } update => { "n" => "42" } convert => { "n" => "integer" } }`,
			[]any{"a", "1", "n", "0"}, map[string]string{"a": filtertest.Absent, "b": `"%{a}!"`, "n": "42"}},
		{"order: split before join, copy last", `mutate { join => { "f" => "+" } split => { "f" => "," } copy => { "f" => "g" } }`,
			[]any{"f", "a,b"}, map[string]string{"f": `"a+b"`, "g": `"a+b"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, New)
			e := filtertest.Event(c.fields...)
			if got := f.Apply(e); got != plugin.Match {
				t.Errorf("Apply = %v; want Match", got)
			}
			filtertest.Check(t, e, c.want)
		})
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ block, want string }{
		{`mutate { convert => { "a" => "int" } }`, "invalid conversion type"},
		{`mutate { gsub => [ "a", "b" ] }`, "triples"},
		{`mutate { gsub => [ "a", "(", "x" ] }`, "pattern"},
		{`mutate { remove => [ "a" ] }`, "remove_field"},
		{`mutate { rename => "a" }`, "rename"},
		{`mutate { uppercase => { "a" => "b" } }`, "uppercase"},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
}
