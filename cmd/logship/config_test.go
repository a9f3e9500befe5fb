package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// check runs `logship -t -e cfg` with env as the environment.
func check(cfg string, env map[string]string) (stdout, stderr string, err error) {
	var out, errs bytes.Buffer
	err = run(context.Background(), []string{"logship", "-t", "-e", cfg}, func(k string) string { return env[k] }, &out, &errs)
	return out.String(), errs.String(), err
}

// TestConfigTestRefusesWhatStartupRefuses: -t builds every plugin as
// startup does, so what startup would refuse, -t refuses, at
// file:line:col (issue 9 item 9 and issue 12).
func TestConfigTestRefusesWhatStartupRefuses(t *testing.T) {
	t.Parallel()
	const in = `input { file { path => "/x" } } `
	tests := []struct{ name, cfg, want string }{
		{"an empty path list", `input { file { path => [] } } output { stdout {} }`,
			`config string:1:24: file input option "path": is empty`},
		{"an elasticsearch host that is not a URL", in + `output { elasticsearch { hosts => ["ht!tp://::::"] } }`,
			`config string:1:67: elasticsearch output option "hosts": bad host "ht!tp://::::"`},
		{"an elasticsearch port out of range", in + `output { elasticsearch { hosts => ["127.0.0.1:-1"] } }`,
			`config string:1:67: elasticsearch output option "hosts": bad host "127.0.0.1:-1"`},
		{"a redis port that is not a number", in + `output { redis { host => ["127.0.0.1:abc"] key => "k" data_type => "list" } }`,
			`config string:1:58: redis output option "host": host "127.0.0.1:abc": port "abc" is not a number from 1 to 65535`},
		{"ruby, which cannot be supported", in + `filter { ruby { code => "event.cancel" } } output { stdout {} }`,
			`config string:1:42: filter plugin "ruby" cannot be supported by logship: it runs Ruby code`},
		{"a geoip filter without its database", in + `filter { geoip { source => "ip" } } output { stdout {} }`,
			`config string:1:42: geoip filter option "database": is required: logship ships no GeoIP database`},
		{"an unsupported filter", in + "filter {\n  if [a] {\n    frobnicate { }\n  }\n} output { stdout {} }",
			`config string:3:5: filter plugin "frobnicate" is not supported by logship (supported filters: `},
		{"an unsupported input", `input { kafka { topics => ["x"] } } output { stdout {} }`,
			`config string:1:9: input plugin "kafka" is not supported by logship (supported inputs: beats, file, stdin, tcp, udp)`},
		{"a codec where it is not supported blames the codec", in + `output { stdout { codec => multiline { pattern => "x" } } }`,
			`config string:1:60: stdout output option "codec": codec "multiline" is not supported by the stdout output`},
		{"an unknown codec option names the codec", in + `output { stdout { codec => line { formt => "x" } } }`,
			`config string:1:67: unknown option "formt" for codec plugin "line"`},
		{"an unset variable", in + `output { file { path => "${OUT_DIR}/x.json" } }`,
			`config string:1:57: cannot evaluate ${OUT_DIR}: environment variable OUT_DIR is not set`},
		{"a regexp RE2 cannot run", in + `output { if [a] =~ /(?=x)/ { stdout {} } }`,
			`config string:1:52: regexp /(?=x)/: not supported by Go's RE2 engine`},
		{"a method call in a condition", in + `output { if foo([a]) { stdout {} } }`,
			`config string:1:45: method calls such as foo(…) in conditions are not supported`},
		{"a repeated option merged into what the plugin refuses", in + `output { file { path => "/a" path => "/b" } }`,
			`config string:1:57: file output option "path": want a string, got an array`},
		{"an obsolete option", in + `filter { drop { type => "x" } } output { stdout {} }`,
			`config string:1:57: drop filter option "type": is obsolete: use a conditional instead`},
		{"every error, not only the first", in + `output { stdout { codec => nope } redis { } }`,
			"config string:1:60: stdout output option \"codec\": codec \"nope\" is not supported by the stdout output (supported: dots, json, json_lines, line, plain, rubydebug)\n" +
				"config string:1:67: redis output: key and data_type are required"},
		{"no output", `input { file { path => "/x" } } filter { }`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := check(tt.cfg, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("-t = %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("-t = %v; want an error starting %q", err, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q; want nothing on an error", stdout)
			}
		})
	}
}

func TestConfigTestAcceptsWhatLogstashAccepts(t *testing.T) {
	t.Parallel()
	cfg := `input {
  file { path => ["/var/log/*.log"] type => "${LOG_TYPE:syslog}" tags => ["a"] add_field => { "env" => "${ENV}" } id => "in" }
}
filter {
  drop { percentage => 0 add_tag => ["kept"] id => "never" }
  if [type] == "syslog" and "a" in [tags] or [message] =~ /^#/ {
    drop { }
  } else if ![env] {
    drop { percentage => 50 }
  }
}
output {
  "stdout" { codec => "json_lines" { } }
  if [@metadata][target] == "file" {
    file { path => "/tmp/${ENV}.json" codec => line { format => "%{message}" } }
  } else {
    redis { host => ["127.0.0.1", "10.0.0.2:6380"] key => "logs-%{type}" data_type => list }
    elasticsearch { hosts => ["http://127.0.0.1:9200"] index => "x-%{+YYYY.MM.dd}" }
  }
}`
	stdout, stderr, err := check(cfg, map[string]string{"ENV": "prod"})
	if err != nil {
		t.Fatalf("-t = %v\nstderr: %s", err, stderr)
	}
	if stdout != "Configuration OK\n" {
		t.Errorf("stdout = %q; want Configuration OK", stdout)
	}
}

func TestConfigTestPrintsWarnings(t *testing.T) {
	t.Parallel()
	_, stderr, err := check(`input { file { path => "/x" sincedb_path => "/dev/null" } } output { stdout { workers => 4 } }`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`config string:1:29: file input option \"sincedb_path\" is accepted and ignored`,
		`config string:1:79: stdout output option \"workers\": logship writes to each output from one goroutine`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr)
		}
	}
}

func TestConfigFileThatIsNotARegularFileIsRefused(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"logship", "-t", "-f", "/dev/zero"}, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "read config /dev/zero: not a regular file (device)") {
		t.Errorf("-f /dev/zero = %v; want a refusal before reading", err)
	}
}

// TestConditionalsRouteEventsEndToEnd follows a real file through
// filters with conditionals into two file outputs behind conditionals.
func TestConditionalsRouteEventsEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	lines := []string{"GET /a 200", "# a comment", "GET /b 500", "POST /c 503", "DEBUG x"}
	if err := os.WriteFile(logFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errs, rest := filepath.Join(dir, "errors.json"), filepath.Join(dir, "rest.json")
	cfg := fmt.Sprintf(`input { file { path => %q type => "web" } }
filter {
  if [message] =~ /^#/ or [message] =~ "^DEBUG" {
    drop { }
  } else if [message] =~ / 5\d\d$/ {
    drop { percentage => 0 add_tag => ["never"] }
  }
}
output {
  if [message] =~ / 5\d\d$/ and [type] == "web" {
    file { path => "${OUT}/errors.json" }
  } else if "web" in [type] {
    file { path => "${OUT}/rest.json" codec => line { format => "%%{message}|%%{type}" } }
  }
}`, logFile)
	getenv := func(k string) string { return map[string]string{"OUT": dir}[k] }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"logship", "-e", cfg, "--path.data", filepath.Join(dir, "data")}, getenv, &bytes.Buffer{}, &stderr)
	}()
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	waitFor(t, "both outputs written", func() bool {
		return strings.Count(read(errs), "\n") == 2 && strings.Count(read(rest), "\n") == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run = %v\n%s", err, stderr.String())
	}
	if got := read(rest); got != "GET /a 200|web\n" {
		t.Errorf("rest.json = %q; want the one 2xx line, formatted", got)
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(read(errs)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if _, tagged := m["tags"]; tagged {
			t.Errorf("%v carries tags; want none (drop never matches, so add_tag does not apply)", m)
		}
		msgs = append(msgs, m["message"].(string))
	}
	if got := strings.Join(msgs, ","); got != "GET /b 500,POST /c 503" {
		t.Errorf("errors.json messages = %s; want the 5xx lines in order", got)
	}
}

// TestTheApacheExampleThroughGrokDateAndConditionals runs the getting
// started guide's Apache line through the real wiring: grok with
// %{COMBINEDAPACHELOG}, date, and a conditional mutate, into json_lines.
func TestTheApacheExampleThroughGrokDateAndConditionals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile, out := filepath.Join(dir, "access.log"), filepath.Join(dir, "out.json")
	line := `127.0.0.1 - - [11/Dec/2013:00:01:45 -0800] "GET /xampp/status.php HTTP/1.1" 200 3891 "http://cadenza/xampp/navi.php" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:25.0) Gecko/20100101 Firefox/25.0"`
	if err := os.WriteFile(logFile, []byte(line+"\nnot an access log line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`input { file { path => %q } }
filter {
  grok { match => { "message" => "%%{COMBINEDAPACHELOG}" } }
  date { match => [ "timestamp", "dd/MMM/yyyy:HH:mm:ss Z" ] }
  if [response] == "200" {
    mutate { convert => { "bytes" => "integer" } add_tag => "ok" }
  }
}
output { file { path => %q } }`, logFile, out)
	_, stderr, stop := started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	read := func() string { b, _ := os.ReadFile(out); return string(b) }
	waitFor(t, "both events", func() bool { return strings.Count(read(), "\n") == 2 })
	if err := stop(); err != nil {
		t.Fatalf("run = %v\n%s", err, stderr.String())
	}
	events := strings.Split(strings.TrimSpace(read()), "\n")
	var got map[string]any
	if err := json.Unmarshal([]byte(events[0]), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"clientip": "127.0.0.1", "verb": "GET", "request": "/xampp/status.php", "httpversion": "1.1",
		"response": "200", "bytes": 3891.0, "timestamp": "11/Dec/2013:00:01:45 -0800",
		"@timestamp": "2013-12-11T08:01:45.000Z", "tags": []any{"ok"},
		"referrer": `"http://cadenza/xampp/navi.php"`, "agent": `"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:25.0) Gecko/20100101 Firefox/25.0"`,
	} {
		if fmt.Sprint(got[k]) != fmt.Sprint(want) {
			t.Errorf("%s = %#v; want %#v", k, got[k], want)
		}
	}
	if !strings.Contains(events[1], `"tags":["_grokparsefailure"]`) || strings.Contains(events[1], `"ok"`) {
		t.Errorf("the other line = %s; want it tagged _grokparsefailure only", events[1])
	}
}

// TestInlineConfigDefaults: -e without an input reads stdin, as
// Logstash's -e does (without an output, see TestConfigTest).
func TestInlineConfigDefaults(t *testing.T) {
	t.Parallel()
	if stdout, stderr, err := check(`filter { }`, nil); err != nil || stdout != "Configuration OK\n" {
		t.Errorf("-t -e 'filter { }' = %q, %v; want Configuration OK (stdin in, rubydebug out)\n%s", stdout, err, stderr)
	}
}
