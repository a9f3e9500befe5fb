package lsconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func compile(tb testing.TB, src string) (*Pipeline, error) {
	tb.Helper()
	cfg, err := Parse("test.conf", []byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(cfg)
}

func TestSeedConfigLoadsUnchanged(t *testing.T) {
	t.Parallel()
	p, err := Load("testdata/seed-logstash.conf")
	if err != nil {
		t.Fatalf("Load(seed) = %v", err)
	}
	want := &Pipeline{
		Inputs: []FileInput{{
			Pos:           Pos{2, 3},
			Paths:         []string{"/var/log/nodeapp/nodeapp.log", "/var/log/redis/redis-server.log"},
			Type:          "syslog",
			StartPosition: "beginning",
			StatInterval:  1,
		}},
		Outputs: []Output{&StdoutOutput{Pos: Pos{8, 3}, Codec: Codec{Name: "rubydebug"}}},
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("Load(seed) mismatch (-want +got):\n%s", d)
	}
}

func TestCompileAcceptsEveryPluginAndValueKind(t *testing.T) {
	t.Parallel()
	src := `# a comment on its own line
input {
  file {
    path => [ "/var/log/*.log", '/srv/app.log' ]   # trailing comment
    exclude => "*.gz"
    type => syslog
    tags => ["a", "b"]
    add_field => { "env" => "prod" "multi" => ["x", "y"] 'n' => 42 }
    start_position => "end"
    sincedb_path => "/dev/null"
    stat_interval => 0.5
    codec => plain
  }
}
filter {
}
output {
  stdout { codec => line { format => "%{message}\t\"q\"" } }
  file { path => "/tmp/out.json" codec => json_lines }
  redis { host => ["10.0.0.1"] port => "6380" password => "s3cret" db => 2 key => "logstash" data_type => "list" batch => true batch_events => 100 }
  elasticsearch {
    hosts => ["http://es:9200"]
    index => "app-%{+yyyy.MM.dd}"
    user => elastic
    password => "pw"
    retry_initial_interval => 1
    retry_max_interval => 8
    flush_size => 10
  }
}
`
	p, err := compile(t, src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	wantIn := FileInput{
		Pos:           Pos{3, 3},
		Paths:         []string{"/var/log/*.log", "/srv/app.log"},
		Exclude:       []string{"*.gz"},
		Type:          "syslog",
		Tags:          []string{"a", "b"},
		AddField:      []Field{{"env", []string{"prod"}}, {"multi", []string{"x", "y"}}, {"n", []string{"42"}}},
		StartPosition: "end",
		SincedbPath:   "/dev/null",
		StatInterval:  0.5,
	}
	if d := cmp.Diff([]FileInput{wantIn}, p.Inputs); d != "" {
		t.Errorf("inputs mismatch (-want +got):\n%s", d)
	}
	wantOut := []Output{
		&StdoutOutput{Pos: Pos{18, 3}, Codec: Codec{Name: "line", Format: "%{message}\t\"q\""}},
		&FileOutput{Pos: Pos{19, 3}, Path: "/tmp/out.json", Codec: Codec{Name: "json_lines"}},
		&RedisOutput{Pos: Pos{20, 3}, Hosts: []string{"10.0.0.1"}, Port: 6380, Password: "s3cret", DB: 2, Key: "logstash", DataType: "list", BatchEvents: 100},
		&ElasticsearchOutput{Pos: Pos{21, 3}, Hosts: []string{"http://es:9200"}, Index: "app-%{+yyyy.MM.dd}", User: "elastic", Password: "pw",
			FlushSize: 10, RetryInitialInterval: 1, RetryMaxInterval: 8},
	}
	if d := cmp.Diff(wantOut, p.Outputs); d != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", d)
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
			p, err := compile(t, `input { file { path => "/x" type => `+tt.lit+` } } output { stdout {} }`)
			if err != nil {
				t.Fatalf("compile(%s) = %v", tt.lit, err)
			}
			if got := p.Inputs[0].Type; got != tt.want {
				t.Errorf("type => %s gave %q; want %q", tt.lit, got, tt.want)
			}
		})
	}
}

func TestErrorsNameTheirPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"an unknown input plugin", "input {\n  stdin {}\n}\noutput { stdout {} }", `test.conf:2:3: unknown input plugin "stdin"`},
		{"an unknown output plugin", "input { file { path => \"/x\" } }\noutput {\n  kafka {}\n}", `test.conf:3:3: unknown output plugin "kafka"`},
		{"an unknown option", "input {\n  file {\n    path => \"/x\"\n    paths => \"/y\"\n  }\n}\noutput { stdout {} }", `test.conf:4:5: unknown option "paths" for input plugin "file"`},
		{"a wrong type", "input { file { path => \"/x\"\n  tags => { \"a\" => \"b\" } } }\noutput { stdout {} }", `test.conf:2:11: file input option "tags": want a string or an array of strings, got hash`},
		{"a relative path", "input { file { path => \"x.log\" } }\noutput { stdout {} }", `test.conf:1:24: file input option "path": path "x.log" is relative`},
		{"a missing required option", "input { file { type => \"x\" } }\noutput { stdout {} }", `test.conf:1:9: input plugin "file" is missing required option "path"`},
		{"an invalid start_position", "input { file { path => \"/x\" start_position => middle } }\noutput { stdout {} }", `test.conf:1:47: file input option "start_position": want one of beginning, end, got "middle"`},
		{"a conditional", "input { file { path => \"/x\" } }\noutput {\n  if [type] == \"x\" {\n    stdout {}\n  }\n}", `test.conf:3:3: conditionals (if/else if/else) are not supported`},
		{"a filter", "input { file { path => \"/x\" } }\nfilter {\n  grok {}\n}\noutput { stdout {} }", `test.conf:3:3: unknown filter plugin "grok"`},
		{"an unknown codec", "input { file { path => \"/x\" } }\noutput { stdout { codec => msgpack } }", `test.conf:2:28: stdout output option "codec": unknown codec "msgpack"`},
		{"an unclosed string", "input { file { path => \"/x } }", `test.conf:1:24: string is not closed`},
		{"an unclosed section", "input { file { path => \"/x\" }", `test.conf:1:1: input section is not closed`},
		{"a missing arrow", "input { file { path \"/x\" } }", `test.conf:1:21: expected "=>" after "path"`},
		{"an unknown section", "inputs { }", `test.conf:1:1: unknown section "inputs"`},
		{"a bad number", "input { file { path => \"/x\" stat_interval => 1x } }", `test.conf:1:46: invalid number "1x"`},
		{"a comma in a hash", "input { file { path => \"/x\" add_field => { \"a\" => \"b\", \"c\" => \"d\" } } }", `test.conf:1:54: expected a hash key or "}", found ','`},
		{"an option set twice", "input { file { path => \"/x\" path => \"/y\" } }\noutput { stdout {} }", `test.conf:1:29: option "path" is set twice`},
		{"no output", "input { file { path => \"/x\" } }", `test.conf:1:1: no output plugin configured`},
		{"no input", "output { stdout {} }", `test.conf:1:1: no input plugin configured`},
		{"a column counted in characters", "input { file { path => \"/x\" type => \"é\" tags => {} } }", `test.conf:1:49: file input option "tags"`},
		{"invalid UTF-8", "input { file { path => \"/\xff\" } }", `test.conf:1:26: invalid UTF-8 in config`},
		{"nesting deeper than the limit", "input { file { path => " + strings.Repeat("[", 200), `test.conf:1:123: nesting deeper than 100 levels`},
		{"a sprintf file output path", "input { file { path => \"/x\" } }\noutput { file { path => \"/out/%{type}.log\" } }", `test.conf:2:25: file output option "path": path "/out/%{type}.log" uses %{...}: per-event file paths are not supported`},
		{"a port out of range", "input { file { path => \"/x\" } }\noutput { redis { key => kk data_type => list port => 70000 } }", `test.conf:2:54: redis output option "port": want an integer from 1 to 65535, got 70000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compile(t, tt.src)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("compile(%q) = %v; want an *Error", tt.src, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("compile(%q) = %q; want prefix %q", tt.src, err, tt.want)
			}
		})
	}
}

func TestLoadReadsADirectoryInNameOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("10-in.conf", `input { file { path => "/a" } }`)
	write("20-out.conf", `output { stdout { codec => json_lines } }`)
	p, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(dir) = %v", err)
	}
	if len(p.Inputs) != 1 || len(p.Outputs) != 1 {
		t.Fatalf("Load(dir) = %d inputs, %d outputs; want 1, 1", len(p.Inputs), len(p.Outputs))
	}
	write("30-bad.conf", "output {\n  nope {}\n}")
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "30-bad.conf:2:3:") {
		t.Errorf("Load(dir with bad file) = %v; want an error naming 30-bad.conf:2:3", err)
	}
}

// TestLoadNamesTheFileOfAnError: with -f DIR, a compile error names the
// file it is in, not the last file read.
func TestLoadNamesTheFileOfAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"an error in the first file", map[string]string{
			"10-in.conf":  "input {\n  file { path => \"/a\" typo => 1 }\n}",
			"20-out.conf": `output { stdout {} }`,
		}, "10-in.conf:2:23: unknown option \"typo\""},
		{"an error in a middle file", map[string]string{
			"10-in.conf":  `input { file { path => "/a" } }`,
			"20-out.conf": "output {\n  kafka {}\n}",
			"30-out.conf": `output { stdout {} }`,
		}, "20-out.conf:2:3: unknown output plugin \"kafka\""},
		{"no output in any file", map[string]string{
			"10-in.conf": `input { file { path => "/a" } }`,
		}, ":1:1: no output plugin configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, src := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(dir) = %v; want an error containing %q", err, tt.want)
			}
			if tt.name == "no output in any file" && (err == nil || !strings.HasPrefix(err.Error(), dir+":1:1:")) {
				t.Errorf("Load(dir) = %v; want the directory named for an error of no file", err)
			}
		})
	}
}

// FuzzParse checks that no input crashes the parser, that errors carry a
// position inside the source, and that a config that compiles parses the
// same way twice.
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-logstash.conf")
	if err == nil {
		f.Add(seed)
	}
	f.Add([]byte(`input { file { path => ["/a", '/b'] add_field => { "k" => ["v", 1] } } } output { stdout { codec => line { format => "%{message}" } } }`))
	f.Add([]byte("input {\n # c\n file { path => \"\\\"/x\\\\\" start_position => end stat_interval => -1.5 } }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("f.conf", src)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse error %v is not an *Error", err)
			}
			lines := strings.Count(string(src), "\n") + 1
			if ce.Pos.Line < 1 || ce.Pos.Line > lines || ce.Pos.Col < 1 {
				t.Fatalf("Parse error position %v outside a %d-line source", ce.Pos, lines)
			}
			return
		}
		p1, err1 := Compile(cfg)
		p2, err2 := Compile(cfg)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Compile is not deterministic: %v vs %v", err1, err2)
		}
		if err1 == nil && !cmp.Equal(p1, p2) {
			t.Fatalf("Compile is not deterministic:\n%s", cmp.Diff(p1, p2))
		}
	})
}
