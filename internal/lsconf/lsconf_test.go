package lsconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parse(tb testing.TB, src string) *Config {
	tb.Helper()
	cfg, err := Parse("test.conf", []byte(src))
	if err != nil {
		tb.Fatalf("Parse(%q) = %v", src, err)
	}
	return cfg
}

// setting returns the value of key in the first plugin of the first
// section.
func setting(tb testing.TB, cfg *Config, key string) Value {
	tb.Helper()
	for _, s := range cfg.Sections[0].Plugins[0].Settings {
		if s.Key == key {
			return s.Value
		}
	}
	tb.Fatalf("no setting %q in %+v", key, cfg.Sections[0].Plugins[0])
	return Value{}
}

func TestSeedConfigParses(t *testing.T) {
	t.Parallel()
	cfg, err := Load("testdata/seed-logstash.conf")
	if err != nil {
		t.Fatalf("Load(seed) = %v", err)
	}
	want := []Section{
		{Kind: "input", File: "testdata/seed-logstash.conf", Pos: Pos{1, 1}, Plugins: []Plugin{{Name: "file", Pos: Pos{2, 3}, Settings: []Setting{
			{Key: "type", Pos: Pos{3, 9}, Value: Value{Kind: String, Pos: Pos{3, 17}, Text: "syslog"}},
			{Key: "path", Pos: Pos{4, 9}, Value: Value{Kind: Array, Pos: Pos{4, 17}, Items: []Value{
				{Kind: String, Pos: Pos{4, 18}, Text: "/var/log/nodeapp/nodeapp.log"},
				{Kind: String, Pos: Pos{4, 50}, Text: "/var/log/redis/redis-server.log"},
			}}},
		}}}},
		{Kind: "output", File: "testdata/seed-logstash.conf", Pos: Pos{7, 1}, Plugins: []Plugin{{Name: "stdout", Pos: Pos{8, 3}, Settings: []Setting{
			{Key: "codec", Pos: Pos{9, 9}, Value: Value{Kind: Bareword, Pos: Pos{9, 18}, Text: "rubydebug"}},
		}}}},
	}
	if d := cmp.Diff(want, cfg.Sections, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Body" }, cmp.Ignore())); d != "" {
		t.Errorf("Load(seed) mismatch (-want +got):\n%s", d)
	}
	for _, s := range cfg.Sections {
		if len(s.Body) != 1 || s.Body[0].Plugin != &s.Plugins[0] {
			t.Errorf("section %s: Body = %+v; want one statement pointing at Plugins[0]", s.Kind, s.Body)
		}
	}
}

func TestValueKinds(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `# a comment on its own line
input {
  file {
    path => [ "/var/log/*.log", '/srv/app.log' ]   # trailing comment
    type => syslog
    add_field => { "env" => "prod" "multi" => ["x", "y"] 'n' => 42 bare => -1.5 }
    codec => line { format => "%{message}" }
    quoted => "json_lines" { }
  }
}`)
	for _, tt := range []struct{ key, want string }{
		{"path", `["/var/log/*.log", "/srv/app.log"]`},
		{"type", "syslog"},
		{"add_field", `{"env" => "prod" "multi" => ["x", "y"] "n" => 42 "bare" => -1.5}`},
		{"codec", "line {…}"},
		{"quoted", "json_lines {…}"},
	} {
		if got := formatValue(setting(t, cfg, tt.key)); got != tt.want {
			t.Errorf("%s => %s; want %s", tt.key, got, tt.want)
		}
	}
}

func TestStringEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, lit, want string }{
		{"double quotes keep plain text", `"abc"`, "abc"},
		{"escaped double quote", `"a\"b"`, `a"b`},
		{"escaped single quote in single quotes", `'a\'b'`, `a'b`},
		{"escaped backslash", `"a\\b"`, `a\b`},
		{"newline tab and carriage return", `"\n\t\r"`, "\n\t\r"},
		{"unknown escapes stay as written", `"\d\e"`, `\d\e`},
		{"single quotes keep double quotes", `'say "hi"'`, `say "hi"`},
		{"unicode passes through", `"héllo ✓"`, "héllo ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, `input { file { type => `+tt.lit+` } }`)
			if got := setting(t, cfg, "type").Text; got != tt.want {
				t.Errorf("type => %s gave %q; want %q", tt.lit, got, tt.want)
			}
		})
	}
}

func TestQuotedPluginNames(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `output { "stdout" { codec => "json_lines" { } } 'file' { path => "/x" } }`)
	names := []string{}
	for _, p := range cfg.Sections[0].Plugins {
		names = append(names, p.Name)
	}
	if !cmp.Equal(names, []string{"stdout", "file"}) {
		t.Errorf("plugins = %q; want stdout, file", names)
	}
	if c := setting(t, cfg, "codec"); c.Kind != PluginValue || c.Plugin.Name != "json_lines" {
		t.Errorf(`codec => "json_lines" { } = %+v; want the plugin json_lines`, c)
	}
}

func TestErrorsNameTheirPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"an unclosed string", "input { file { path => \"/x } }", `test.conf:1:24: string is not closed`},
		{"an unclosed section", "input { file { path => \"/x\" }", `test.conf:1:1: input section is not closed`},
		{"a missing arrow", "input { file { path \"/x\" } }", `test.conf:1:21: expected "=>" after "path"`},
		{"an unknown section", "inputs { }", `test.conf:1:1: unknown section "inputs"`},
		{"a bad number", "input { file { path => \"/x\" stat_interval => 1x } }", `test.conf:1:46: invalid number "1x"`},
		{"a comma in a hash", "input { file { path => \"/x\" add_field => { \"a\" => \"b\", \"c\" => \"d\" } } }", `test.conf:1:54: expected a hash key or "}", found ','`},
		{"a column counted in characters", "input { file { type => \"é\" tags => { \"a\" => 1, } } }", `test.conf:1:46: expected a hash key or "}", found ','`},
		{"invalid UTF-8", "input { file { path => \"/\xff\" } }", `test.conf:1:26: invalid UTF-8 in config`},
		{"nesting deeper than the limit", "input { file { path => " + strings.Repeat("[", 200), `test.conf:1:123: nesting deeper than 100 levels`},
		{"conditions nested deeper than the limit", "filter { if " + strings.Repeat("(", 200), `test.conf:1:`},
		{"a duplicate hash key", "input { x {\n  match => {\n    \"message\" => \"p1\"\n    \"message\" => \"p2\"\n  }\n} }", `test.conf:4:5: duplicate key "message" in hash (first at 3:5)`},
		{"a duplicate key in a nested hash", "input { x { match => { \"more\" => { \"cool\" => true \"cool\" => true } } } }", `test.conf:1:51: duplicate key "cool"`},
		{"a key with doubled quotes", "input { x { match => { \"\"more\"\" => 1 } } }", `test.conf:1:26: expected "=>" after ""`},
		{"a conditional in an input section", "input {\n  if [a] { file {} }\n}", `test.conf:2:3: conditionals are not allowed in an input section`},
		{"an else without if", "filter {\n  else { }\n}", `test.conf:2:3: "else" without "if" before it`},
		{"an if without a condition", "filter { if { } }", `test.conf:1:13: expected a value in the condition`},
		{"an unclosed if block", "filter { if [a] { x {} ", `test.conf:1:10: if block is not closed`},
		{"an unclosed parenthesis", "filter { if ([a] { } }", `test.conf:1:18: expected ")" or a boolean operator`},
		{"a bareword operand", "filter { if [a] == b { } }", `test.conf:1:20: expected a value in the condition`},
		{"a boolean literal", "filter { if [a] == true { } }", `test.conf:1:20: expected a value in the condition`},
		{"a regexp operator without a pattern", "filter { if [a] =~ [b] { } }", `test.conf:1:20: expected a /regexp/ or a string after =~`},
		{"an unclosed regexp", "filter { if [a] =~ /x { } }", `test.conf:1:20: regexp is not closed`},
		{"not without in", "filter { if [a] not [b] { } }", `test.conf:1:21: expected "in" after "not"`},
		{"a dangling boolean operator", "filter { if [a] and { } }", `test.conf:1:21: expected a value in the condition`},
		{"a negated string", `filter { if !"a" { } }`, `test.conf:1:14: expected a [field] or "(" after "!"`},
		{"else followed by neither { nor if", "filter { if [a] { } else x { } }", `test.conf:1:26: expected "{" to open the else block`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.conf", []byte(tt.src))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse(%q) = %v; want an *Error", tt.src, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %q; want prefix %q", tt.src, err, tt.want)
			}
		})
	}
}

// shape prints a section body: plugins by name, conditionals with their
// conditions fully parenthesized.
func shape(body []Statement) string {
	var parts []string
	for _, st := range body {
		if st.Plugin != nil {
			parts = append(parts, st.Plugin.Name)
			continue
		}
		var arms []string
		for _, b := range st.If.Branches {
			cond := "else"
			if b.Cond != nil {
				cond = "if " + b.Cond.String()
			}
			arms = append(arms, cond+" {"+shape(b.Body)+"}")
		}
		parts = append(parts, strings.Join(arms, " "))
	}
	return strings.Join(parts, "; ")
}

func TestConditionals(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"if, else if and else", `filter {
			mutate { }
			if [foo] == "bar" { a { } } else if [bar] == "baz" { b { } } else { c { } }
			d { }
		}`, `mutate; if ([foo] == "bar") {a} if ([bar] == "baz") {b} else {c}; d`},
		{"nested", `output { if [nest] == 123 { if [foo] { x {} } else { y {} } z {} } }`,
			`if ([nest] == 123) {if [foo] {x} else {y}; z}`},
		{"Logstash's multiline conditionals", "filter {\n  if [something]\n     or [anotherthing]\n     or [onemorething] {\n  }\n}",
			`if (([something] or [anotherthing]) or [onemorething]) {}`},
		{"multiline else if", "filter {\n if [notathing] {\n } else if [something]\n   or [anotherthing] {\n }\n}",
			`if [notathing] {} if ([something] or [anotherthing]) {}`},
		{"and and or grouped from the left", `filter { if [a] or [b] and [c] xor [d] nand [e] { } }`,
			`if (((([a] or [b]) and [c]) xor [d]) nand [e]) {}`},
		{"parentheses", `filter { if [a] or ([b] and ![c]) { } }`, `if ([a] or ([b] and ![c])) {}`},
		{"negations", `filter { if !([a] == 1) and ! [b] { } }`, `if (!([a] == 1) and ![b]) {}`},
		{"every comparison", `filter { if [a] != 1 and [a] < 1.5 and [a] > -2 and [a] <= "x" and [a] >= 'y' { } }`,
			`if ((((([a] != 1) and ([a] < 1.5)) and ([a] > -2)) and ([a] <= "x")) and ([a] >= "y")) {}`},
		{"regexps", `filter { if [a] =~ /x\/y/ or [a] !~ "z" { } }`, `if (([a] =~ /x\/y/) or ([a] !~ "z")) {}`},
		{"in and not in", `filter { if "x" in [tags] and [a] not  in ["b", "c"] { } }`,
			`if (("x" in [tags]) and ([a] not in ["b", "c"])) {}`},
		{"a one-element array is a selector", `filter { if [a] in ["b"] { } }`, `if ([a] in ["b"]) {}`},
		{"selectors with spaces and metadata", `filter { if [field with space][@metadata] and [@metadata][x] { } }`,
			`if ([field with space][@metadata] and [@metadata][x]) {}`},
		{"no space where Logstash needs none", `filter { if[a]=="b"{x{}}else if[b]{}else{} }`, `if ([a] == "b") {x} if [b] {} else {}`},
		{"elseif in one word", `filter { if [a] { } elseif [b] { } }`, `if [a] {} if [b] {}`},
		{"comments inside conditions", "filter { if [a] # why\n and [b] { } # done\n }", `if ([a] and [b]) {}`},
		{"a method call parses", `filter { if foo([a], "b") { } }`, `if foo([a], "b") {}`},
		{"plugins named like keywords", `filter { iffy { } elsewhere { } }`, `iffy; elsewhere`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, tt.src)
			if got := shape(cfg.Sections[0].Body); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPluginsListsEveryPluginInSourceOrder(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `filter { a {} if [x] { b {} if [y] { c {} } } else { d {} } e {} }`)
	s := cfg.Sections[0]
	var names []string
	for _, p := range s.Plugins {
		names = append(names, p.Name)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !cmp.Equal(names, want) {
		t.Fatalf("Plugins = %q; want %q", names, want)
	}
	inner := s.Body[1].If.Branches[0].Body[1].If.Branches[0].Body[0].Plugin
	if inner != &s.Plugins[2] {
		t.Errorf("the plugin in the nested if is not &Plugins[2]")
	}
}

func TestRepeatedOptionsMergeAsLogstash(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, block, want string }{
		{"two strings become an array", `path => "/a" path => "/b"`, `["/a", "/b"]`},
		{"an equal string stays one", `type => "xx" type => xx`, `"xx"`},
		{"arrays concatenate, duplicates kept", `tags => ["a", "b"] tags => ["b", "c"]`, `["a", "b", "b", "c"]`},
		{"a string then an array", `tags => "a" tags => ["b", "c"]`, `["a", "b", "c"]`},
		{"an array then a string", `tags => ["a", "b"] tags => "c"`, `["a", "b", "c"]`},
		{"an array then a string in it", `tags => ["a", "b"] tags => "b"`, `["a", "b"]`},
		{"three scalars", `x => 1 x => 2 x => 3`, `[1, 2, 3]`},
		{"numbers compare by value", `x => 1 x => 1.0`, `1`},
		{"hashes merge key by key", `add_field => { "a" => "1" } add_field => { "b" => "2" }`, `{"a" => "1" "b" => "2"}`},
		{"a key in both hashes gathers its values", `add_field => { "a" => "1" } add_field => { "a" => "2" }`, `{"a" => ["1", "2"]}`},
		{"arrays in both hashes are joined without duplicates", `match => { "m" => ["p", "q"] } match => { "m" => ["q", "r"] }`, `{"m" => ["p", "q", "r"]}`},
		{"a hash then a string", `h => { "a" => "1" } h => "s"`, `[{"a" => "1"}, "s"]`},
		{"plugin names are strings", `codec => json codec => "json"`, `json`},
		{"blocks never equal each other", `codec => json {} codec => json {}`, `[json {…}, json {…}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, "filter { x { "+tt.block+" } }")
			pl := cfg.Sections[0].Plugins[0]
			if len(pl.Settings) != 1 {
				t.Fatalf("%s: %d settings; want 1 merged", tt.block, len(pl.Settings))
			}
			if got := formatValue(pl.Settings[0].Value); got != tt.want {
				t.Errorf("%s merged to %s; want %s", tt.block, got, tt.want)
			}
			if pl.Settings[0].Pos != (Pos{1, 14}) {
				t.Errorf("merged setting at %v; want the first's, 1:14", pl.Settings[0].Pos)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOST": "es1", "PORT": "9200", "TAG": "prod", "a.b_C": "dots"}
	getenv := func(k string) string { return env[k] }
	tests := []struct{ name, block, want string }{
		{"a whole value", `hosts => "${HOST}"`, `"es1"`},
		{"inside a string", `hosts => "http://${HOST}:${PORT}/"`, `"http://es1:9200/"`},
		{"a default when unset", `hosts => "${NOPE:localhost}:${PORT}"`, `"localhost:9200"`},
		{"an empty default", `hosts => "a${NOPE:}b"`, `"ab"`},
		{"the variable wins over its default", `hosts => "${HOST:other}"`, `"es1"`},
		{"inside arrays", `hosts => ["${HOST}", ["${TAG}"]]`, `["es1", ["prod"]]`},
		{"hash values, not keys", `add_field => { "${TAG}" => "${TAG}" }`, `{"${TAG}" => "prod"}`},
		{"a codec's options", `codec => line { format => "${TAG}" }`, `line {…}`},
		{"names with dots", `hosts => "${a.b_C}"`, `"dots"`},
		{"$VAR alone is not a placeholder", `hosts => "$HOST"`, `"$HOST"`},
		{"a default with a colon", `hosts => "${NOPE:http://x:1}"`, `"http://x:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, "output { x { "+tt.block+" } }")
			if err := cfg.Substitute(getenv); err != nil {
				t.Fatalf("Substitute = %v", err)
			}
			got := formatValue(cfg.Sections[0].Plugins[0].Settings[0].Value)
			if got != tt.want {
				t.Errorf("%s gave %s; want %s", tt.block, got, tt.want)
			}
		})
	}
	cfg := parse(t, "output { x { codec => line { format => \"${TAG}\" } } }")
	if err := cfg.Substitute(getenv); err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sections[0].Plugins[0].Settings[0].Value.Plugin.Settings[0].Value.Text; got != "prod" {
		t.Errorf("codec format = %q; want prod", got)
	}
	cfg = parse(t, "output {\n  x { a => \"ok\" b => [\"${HOST}\", \"${MISSING}\"] }\n}")
	err := cfg.Substitute(getenv)
	want := "test.conf:2:34: cannot evaluate ${MISSING}: environment variable MISSING is not set and there is no default value"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Substitute with an unset variable = %v; want %q", err, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("20-out.conf", `output { stdout { } }`)
	write("10-in.conf", `input { file { path => "/a" } }`)
	write(".hidden.conf", `nonsense`)
	write("20-out.conf~", `nonsense`)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	kinds := func(cfg *Config) string {
		var out []string
		for _, s := range cfg.Sections {
			out = append(out, s.Kind+"@"+filepath.Base(s.File))
		}
		return strings.Join(out, " ")
	}
	for _, path := range []string{dir, filepath.Join(dir, "*.conf")} {
		cfg, err := Load(path)
		if err != nil {
			t.Fatalf("Load(%s) = %v", path, err)
		}
		if got, want := kinds(cfg), "input@10-in.conf output@20-out.conf"; got != want {
			t.Errorf("Load(%s) = %s; want %s (name order; hidden, ~, FIFO and directories skipped)", path, got, want)
		}
	}

	big := write("big.conf", "# "+strings.Repeat("x", MaxConfigBytes))
	tests := []struct{ name, path, want string }{
		{"a device", "/dev/zero", "read config /dev/zero: not a regular file (device)"},
		{"a FIFO", filepath.Join(dir, "fifo"), "not a regular file (named pipe)"},
		{"a file above the cap", big, "config too big"},
		{"a missing file", filepath.Join(dir, "none.conf"), "no such file"},
		{"a glob matching nothing", filepath.Join(dir, "*.nope"), "no config files in"},
		{"an error names its file", write("30-bad.conf", "output {\n  nope {\n"), "30-bad.conf:2:3: plugin \"nope\" is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s) = %v; want an error containing %q", tt.path, err, tt.want)
			}
		})
	}
}

// FuzzParse checks that no input crashes the parser, that errors carry a
// position inside the source, and that parsing is deterministic.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-logstash.conf")
	if err == nil {
		f.Add(seed)
	}
	f.Add([]byte(`input { file { path => ["/a", '/b'] add_field => { "k" => ["v", 1] } } } output { stdout { codec => line { format => "%{message}" } } }`))
	f.Add([]byte("input {\n # c\n file { path => \"\\\"/x\\\\\" start_position => end stat_interval => -1.5 } }"))
	f.Add([]byte(`filter { if [a] == "b" and ([c] in ["d", 1] or ![e]) { x { t => "${V:d}" t => 2 } } else if [f] =~ /g\/h/ { } else { } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("f.conf", src)
		if err != nil {
			checkErrPos(t, src, err)
			return
		}
		again, err := Parse("f.conf", src)
		if err != nil || !cmp.Equal(cfg, again) {
			t.Fatalf("Parse is not deterministic: %v", err)
		}
		_ = cfg.Substitute(func(string) string { return "" })
	})
}

// FuzzCondition parses arbitrary conditions.
func FuzzCondition(f *testing.F) {
	for _, c := range []string{
		`[a] == "b"`, `[a][b] in ["x", 2, [3]]`, `!([a] =~ /x\/y/) xor [b] nand 1.5`,
		`"x" not in [tags]`, `foo([a], "b")`, `[a] <= 'x' or ([b] and ([c] or [d]))`,
	} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		src := []byte("filter { if " + cond + " { } }")
		cfg, err := Parse("f.conf", src)
		if err != nil {
			checkErrPos(t, src, err)
			return
		}
		for _, st := range cfg.Sections[0].Body {
			if st.If != nil {
				_ = st.If.Branches[0].Cond.String()
			}
		}
	})
}

func checkErrPos(t *testing.T, src []byte, err error) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse error %v is not an *Error", err)
	}
	lines := strings.Count(string(src), "\n") + 1
	if ce.Pos.Line < 1 || ce.Pos.Line > lines || ce.Pos.Col < 1 {
		t.Fatalf("Parse error position %v outside a %d-line source", ce.Pos, lines)
	}
}

// TestLogstashSpecSnippets parses the valid configs of Logstash 5's
// config_ast_spec.rb and conditionals_spec.rb (the invalid ones are in
// TestErrorsNameTheirPosition).
func TestLogstashSpecSnippets(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"\n          input {\n            example {\n              'foo' => 'bar'\n              test => { 'bar' => 'baz' }\n            }\n          }\n          ",
		"\n          filter {\n          }\n          ",
		"\n          input{\n            example {\n              match => {\n                \"message\"=> [\"pattern1\", \"pattern2\", \"pattern3\"]\n              }\n            }\n          }",
		"input { generator { } }\n         filter { filter1 { } }\n         filter { filter1 { } }\n         output { output1 { } }",
		"input { generator { } }\n       filter {\n         if [type] == 'test' { filter1 { } }\n       }\n       output {\n         output1 { }\n       }",
		"input {\n        generator {\n          message => '{\"foo\":{\"bar\"},\"baz\": \"quux\"}'\n          count => 1\n        }\n      }\n      output {\n        if [foo] == \"bar\" {\n          dummynull { }\n        }\n      }",
		"filter {\n        if [foo] in [foobar] {\n          mutate { add_tag => \"field in field\" }\n        }\n        if [foo] in \"foo\" {\n          mutate { add_tag => \"field in string\" }\n        }\n        if !(\"foo\" in [\"hello\", \"world\"]) {\n          mutate { add_tag => \"shouldexist\" }\n        }\n        if \"foo\" not in [somelist] { mutate { add_tag => \"notsomelist\" } }\n        if !(\"foo\" not in \"foo\") { mutate { add_tag => \"notfoo\" } }\n      }",
		"filter {\n        if [type] == \"original\" {\n          clone {\n            clones => [\"clone1\", \"clone2\"]\n          }\n        }\n        if [type] == \"clone1\" {\n          mutate { add_field => { \"cond1\" => \"true\" } }\n        } else if [type] == \"clone2\" {\n          mutate { add_field => { \"cond2\" => \"true\" } }\n        }\n      }",
	} {
		if _, err := Parse("spec.conf", []byte(src)); err != nil {
			t.Errorf("Parse(%q) = %v", src, err)
		}
	}
}
