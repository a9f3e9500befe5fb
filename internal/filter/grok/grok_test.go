package grok

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// apacheLine is the Apache access-log line of Logstash's getting-started
// guide ("Parsing Logs with Logstash").
const apacheLine = `83.149.9.216 - - [04/Jan/2015:05:13:42 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"`

const absent = filtertest.Absent

func msg(s string) *event.Event { return filtertest.Event("message", s) }

// TestDocumentationExamples runs the examples of the grok filter's
// documentation (docs/index.asciidoc), with the fields they show.
func TestDocumentationExamples(t *testing.T) {
	patterns := t.TempDir()
	if err := os.WriteFile(filepath.Join(patterns, "postfix"), []byte("POSTFIX_QUEUEID [0-9A-F]{10,11}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	filtertest.Run(t, New, []filtertest.Example{
		{
			Name:   "the Apache example line with COMBINEDAPACHELOG gives the legacy field names",
			Config: `grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }`,
			Event:  msg(apacheLine),
			Result: plugin.Match,
			Want: map[string]string{
				"clientip":    `"83.149.9.216"`,
				"ident":       `"-"`,
				"auth":        `"-"`,
				"timestamp":   `"04/Jan/2015:05:13:42 +0000"`,
				"verb":        `"GET"`,
				"request":     `"/presentations/logstash-monitorama-2013/images/kibana-search.png"`,
				"httpversion": `"1.1"`,
				"response":    `"200"`,
				"bytes":       `"203023"`,
				"referrer":    `"\"http://semicomplete.com/presentations/logstash-monitorama-2013/\""`,
				"agent":       `"\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36\""`,
				"rawrequest":  absent,
				"tags":        absent,
			},
		},
		{
			Name:   "the http request log example",
			Config: `grok { match => { "message" => "%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes} %{NUMBER:duration}" } }`,
			Event:  msg("55.3.244.1 GET /index.html 15824 0.043"),
			Result: plugin.Match,
			Want: map[string]string{"client": `"55.3.244.1"`, "method": `"GET"`, "request": `"/index.html"`,
				"bytes": `"15824"`, "duration": `"0.043"`},
		},
		{
			Name:   "an Oniguruma named capture",
			Config: `grok { match => { "message" => "(?<queue_id>[0-9A-F]{10,11})" } }`,
			Event:  msg("BEF25A72965: message-id"),
			Result: plugin.Match,
			Want:   map[string]string{"queue_id": `"BEF25A72965"`},
		},
		{
			Name: "a pattern from patterns_dir, with SYSLOGBASE",
			Config: `grok {
				patterns_dir => ["` + patterns + `"]
				match => { "message" => "%{SYSLOGBASE} %{POSTFIX_QUEUEID:queue_id}: %{GREEDYDATA:syslog_message}" }
			}`,
			Event:  msg("Jan  1 06:25:43 mailserver14 postfix/cleanup[21403]: BEF25A72965: message-id=<20130101142543.5828399CCAF@mailserver14.example.com>"),
			Result: plugin.Match,
			Want: map[string]string{
				"timestamp": `"Jan  1 06:25:43"`, "logsource": `"mailserver14"`, "program": `"postfix/cleanup"`,
				"pid": `"21403"`, "queue_id": `"BEF25A72965"`,
				"syslog_message": `"message-id=<20130101142543.5828399CCAF@mailserver14.example.com>"`,
			},
		},
		{
			Name:   "match a field",
			Config: `grok { match => { "message" => "Duration: %{NUMBER:duration}" } }`,
			Event:  msg("Duration: 31.7"),
			Result: plugin.Match,
			Want:   map[string]string{"duration": `"31.7"`},
		},
		{
			Name:   "several patterns for one field: the second matches",
			Config: `grok { match => { "message" => [ "Duration: %{NUMBER:duration}", "Speed: %{NUMBER:speed}" ] } }`,
			Event:  msg("Speed: 12"),
			Result: plugin.Match,
			Want:   map[string]string{"speed": `"12"`, "duration": absent},
		},
		{
			Name:   "several fields",
			Config: `grok { match => { "speed" => "Speed: %{NUMBER:speed}" "duration" => "Duration: %{NUMBER:duration}" } }`,
			Event:  filtertest.Event("duration", "Duration: 5"),
			Result: plugin.Match,
			Want:   map[string]string{"duration": `["Duration: 5","5"]`, "speed": absent},
		},
		{
			Name:   "overwrite replaces the message (DATA is lazy: at the end of a pattern it captures nothing, which is not stored)",
			Config: `grok { match => { "message" => "%{SYSLOGBASE} %{DATA:message}" } overwrite => [ "message" ] }`,
			Event:  msg("May 29 16:37:11 sadness logger: hello world"),
			Result: plugin.Match,
			Want:   map[string]string{"message": `"May 29 16:37:11 sadness logger: hello world"`, "program": `"logger"`},
		},
		{
			Name:   "overwrite replaces the message",
			Config: `grok { match => { "message" => "%{SYSLOGBASE} %{GREEDYDATA:message}" } overwrite => [ "message" ] }`,
			Event:  msg("May 29 16:37:11 sadness logger: hello world"),
			Result: plugin.Match,
			Want:   map[string]string{"message": `"hello world"`, "logsource": `"sadness"`},
		},
		{
			Name:   "overwrite of a nested field named by a field reference",
			Config: `grok { match => { "somefield" => "%{NUMBER} %{GREEDYDATA:[nested][field][test]}" } overwrite => [ "[nested][field][test]" ] }`,
			Event:  filtertest.Event("somefield", "12 new", "[nested][field][test]", "old"),
			Result: plugin.Match,
			Want:   map[string]string{"[nested][field][test]": `"new"`, "NUMBER": absent},
		},
	})
}

func TestSpecExamples(t *testing.T) {
	filtertest.Run(t, New, []filtertest.Example{
		{
			Name:   "SYSLOGLINE with overwrite",
			Config: `grok { match => { "message" => "%{SYSLOGLINE}" } overwrite => [ "message" ] }`,
			Event:  msg("Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]"),
			Result: plugin.Match,
			Want: map[string]string{"tags": absent, "logsource": `"evita"`, "timestamp": `"Mar 16 00:01:25"`,
				"message": `"connect from camomile.cloud9.net[168.100.1.3]"`, "program": `"postfix/smtpd"`, "pid": `"1713"`},
		},
		{
			Name:   "SYSLOG5424LINE with a missing process id",
			Config: `grok { match => { "message" => "%{SYSLOG5424LINE}" } }`,
			Event:  msg(`<191>1 2009-06-30T18:30:00+02:00 paxton.local grokdebug - - [id1 foo="bar"] No process ID.`),
			Result: plugin.Match,
			Want: map[string]string{"syslog5424_pri": `"191"`, "syslog5424_ts": `"2009-06-30T18:30:00+02:00"`,
				"syslog5424_host": `"paxton.local"`, "syslog5424_app": `"grokdebug"`, "syslog5424_proc": absent,
				"syslog5424_msgid": absent, "syslog5424_sd": `"[id1 foo=\"bar\"]"`, "syslog5424_msg": `"No process ID."`},
		},
		{
			Name:   "an array message with named_captures_only => false",
			Config: `grok { match => { "message" => "(?:hello|world) %{NUMBER}" } named_captures_only => false }`,
			Event:  filtertest.Event("message", event.Strings("hello 12345", "world 23456")),
			Result: plugin.Match,
			Want:   map[string]string{"NUMBER": `["12345","23456"]`, "BASE10NUM": `["12345","23456"]`},
		},
		{
			Name:   "coercion to int and float",
			Config: `grok { match => { "message" => "%{NUMBER:foo:int} %{NUMBER:bar:float}" } }`,
			Event:  msg("400 454.33"),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `400`, "bar": `454.33`},
		},
		{
			Name:   "coercion is Ruby's to_i: a fraction is cut",
			Config: `grok { match => { "message" => "%{NUMBER:foo:int}" } }`,
			Event:  msg("-3.9"),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `-3`},
		},
		{
			Name:   "an integer beyond int64 is held as a float, as mutate's convert does",
			Config: `grok { match => { "message" => "%{NUMBER:foo:int}" } }`,
			Event:  msg("99999999999999999999"),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `1.0E20`},
		},
		{
			Name:   "an in-line pattern definition",
			Config: `grok { match => { "message" => "%{FIZZLE=\\d+}" } named_captures_only => false }`,
			Event:  msg("hello 1234"),
			Result: plugin.Match,
			Want:   map[string]string{"FIZZLE": `"1234"`},
		},
		{
			Name:   "a repeated match option is merged; break_on_match => false matches both",
			Config: `grok { match => { "message" => "%{WORD:word}" } match => { "examplefield" => "%{NUMBER:num}" } break_on_match => false }`,
			Event:  filtertest.Event("message", "hello world", "examplefield", "12345"),
			Result: plugin.Match,
			Want:   map[string]string{"examplefield": `"12345"`, "word": `"hello"`, "num": `"12345"`},
		},
		{
			Name:   "no match tags _grokparsefailure",
			Config: `grok { match => { "message" => "matchme %{NUMBER:fancy}" } }`,
			Event:  msg("this will not be matched"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["_grokparsefailure"]`, "fancy": absent},
		},
		{
			Name:   "tag_on_failure replaces the tag",
			Config: `grok { match => { "message" => "matchme %{NUMBER:fancy}" } tag_on_failure => not_a_match }`,
			Event:  msg("this will not be matched"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["not_a_match"]`},
		},
		{
			Name:   "a group that did not take part is not stored",
			Config: `grok { match => { "message" => "1=%{WORD:foo1} *(2=%{WORD:foo2})?" } }`,
			Event:  msg("1=test"),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent, "foo1": `"test"`, "foo2": absent},
		},
		{
			Name:   "keep_empty_captures stores it as null",
			Config: `grok { match => { "message" => "1=%{WORD:foo1} *(2=%{WORD:foo2})?" } keep_empty_captures => true }`,
			Event:  msg("1=test"),
			Result: plugin.Match,
			Want:   map[string]string{"foo1": `"test"`, "foo2": `null`},
		},
		{
			Name:   "keep_empty_captures stores an empty capture",
			Config: `grok { match => { "message" => "a%{DATA:empty}b" } keep_empty_captures => true }`,
			Event:  msg("ab"),
			Result: plugin.Match,
			Want:   map[string]string{"empty": `""`},
		},
		{
			Name:   "named_captures_only => false stores unnamed patterns under their name",
			Config: `grok { match => { "message" => "Hello %{WORD}. %{WORD:foo}" } named_captures_only => false }`,
			Event:  msg("Hello World, yo!"),
			Result: plugin.Match,
			Want:   map[string]string{"WORD": `"World"`, "foo": `"yo"`},
		},
		{
			Name:   "a named capture around grok patterns",
			Config: `grok { match => { "message" => "(?<timestamp>%{DATE_EU} %{TIME})" } }`,
			Event:  msg("fancy 12-12-12 12:12:12"),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent, "timestamp": `"12-12-12 12:12:12"`},
		},
		{
			Name:   "an integer field is matched as its text",
			Config: `grok { match => { "status" => "^403$" } }`,
			Event:  filtertest.Event("status", event.Int(403)),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent},
		},
		{
			Name:   "a float field is matched as its text",
			Config: `grok { match => { "version" => "^1.0$" } }`,
			Event:  filtertest.Event("version", event.Float(1)),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent},
		},
		{
			Name:   "timeout_millis abandons a catastrophic match and tags it",
			Config: `grok { match => { message => "(.*a){30}" } timeout_millis => 100 }`,
			Event:  msg(strings.Repeat("a", 68)),
			Result: plugin.NoMatch,
			Want:   map[string]string{"tags": `["_groktimeout"]`},
		},
		{
			Name:   "dashes in capture names",
			Config: `grok { match => { "message" => "%{WORD:foo-bar}" } }`,
			Event:  msg("hello world"),
			Result: plugin.Match,
			Want:   map[string]string{"foo-bar": `"hello"`},
		},
		{
			Name:   "duplicate-named fields: the one that took part",
			Config: `grok { match => { "message" => "%{INT:foo}|%{WORD:foo}" } }`,
			Event:  msg("hello world"),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `"hello"`},
		},
		{
			Name:   "break_on_match (default) stops at the first field that matches",
			Config: `grok { match => { "message" => "%{INT:foo}" "somefield" => "%{INT:bar}" } }`,
			Event:  filtertest.Event("message", "hello world 123", "somefield", "testme abc 999"),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `"123"`, "bar": absent},
		},
		{
			Name:   "break_on_match => false with two patterns: both capture",
			Config: `grok { match => { "message" => ["%{GREEDYDATA:name1}beard", "tree%{GREEDYDATA:name2}"] } break_on_match => false }`,
			Event:  msg("treebeard"),
			Result: plugin.Match,
			Want:   map[string]string{"name1": `"tree"`, "name2": `"beard"`},
		},
		{
			Name:   "break_on_match => false: only the last pattern's result counts, as in Logstash 5",
			Config: `grok { match => { "message" => ["%{GREEDYDATA:name1}beard", "tree%{GREEDYDATA:name2}"] } break_on_match => false }`,
			Event:  msg("bushbeard"),
			Result: plugin.NoMatch,
			Want:   map[string]string{"name1": `"bush"`, "tags": `["_grokparsefailure"]`},
		},
		{
			Name:   "an array input: each item is matched",
			Config: `grok { match => { "message" => "%{INT:foo}"} }`,
			Event:  filtertest.Event("message", event.Strings("hello world 123", "line 23")),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `["123","23"]`, "tags": absent},
		},
		{
			Name:   "an array input: one item matching is a match",
			Config: `grok { match => { "message" => "%{INT:foo}"} }`,
			Event:  filtertest.Event("message", event.Strings("hello world 123", "abc")),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `"123"`, "tags": absent},
		},
		{
			Name:   "an array input, two patterns, break_on_match => false",
			Config: `grok { match => { "message" => ["%{INT:foo}", "%{WORD:bar}"] } break_on_match => false }`,
			Event:  filtertest.Event("message", event.Strings("hello world 123", "line 23")),
			Result: plugin.Match,
			Want:   map[string]string{"foo": `["123","23"]`, "bar": `["hello","line"]`, "tags": absent},
		},
		{
			Name:   "unicode text",
			Config: `grok { match => { "message" => "<%{POSINT:syslog_pri}>%{SPACE}%{SYSLOGTIMESTAMP:syslog_timestamp} %{SYSLOGHOST:syslog_hostname} %{PROG:syslog_program}(:?)(?:\\[%{GREEDYDATA:syslog_pid}\\])?(:?) %{GREEDYDATA:syslog_message}" } }`,
			Event:  msg("<22>Jan  4 07:50:46 mailmaster postfix/policy-spf[9454]: : SPF permerror (Junk encountered in record 'v=spf1 mx a:mail.domain.no ip4:192.168.0.4 �all'): Envelope-from: email@domain.no"),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent, "syslog_pri": `"22"`, "syslog_program": `"postfix/policy-spf"`, "syslog_pid": `"9454"`},
		},
	})
}

// TestSemantics covers what the examples leave out.
func TestSemantics(t *testing.T) {
	filtertest.Run(t, New, []filtertest.Example{
		{
			Name:   "a capture into an existing string field makes an array",
			Config: `grok { match => { "message" => "%{WORD:w}" } }`,
			Event:  filtertest.Event("message", "new", "w", "old"),
			Result: plugin.Match,
			Want:   map[string]string{"w": `["old","new"]`},
		},
		{
			Name:   "a capture into an existing array appends",
			Config: `grok { match => { "message" => "%{WORD:w}" } }`,
			Event:  filtertest.Event("message", "new", "w", event.Strings("a", "b")),
			Result: plugin.Match,
			Want:   map[string]string{"w": `["a","b","new"]`},
		},
		{
			Name:   "a capture into an existing number leaves it",
			Config: `grok { match => { "message" => "%{WORD:w}" } }`,
			Event:  filtertest.Event("message", "new", "w", event.Int(7)),
			Result: plugin.Match,
			Want:   map[string]string{"w": `7`},
		},
		{
			Name:   "@timestamp is matched as its ISO 8601 text",
			Config: `grok { match => { "@timestamp" => "^%{YEAR:y}-.*T%{HOUR:h}:.*\\.%{INT:ms}Z$" } }`,
			Event:  msg("x"),
			Result: plugin.Match,
			Want:   map[string]string{"y": `"2017"`, "h": `"15"`, "ms": `"884"`},
		},
		{
			Name:   "a missing field is matched as empty text",
			Config: `grok { match => { "nothere" => "^$" } }`,
			Event:  msg("x"),
			Result: plugin.Match,
			Want:   map[string]string{"tags": absent},
		},
		{
			Name:   "a nested field as the source, a nested field as the target, and a sub-field of @metadata",
			Config: `grok { match => { "[http][line]" => "%{WORD:[http][verb]} %{NUMBER:[@metadata][n]:int}" } }`,
			Event:  filtertest.Event("[http][line]", "GET 42"),
			Result: plugin.Match,
			Want:   map[string]string{"[http][verb]": `"GET"`, "[@metadata][n]": `42`},
		},
		{
			Name:   "pattern_definitions override the built-in patterns",
			Config: `grok { pattern_definitions => { "WORD" => "[2-5]" } match => { "message" => "%{WORD:w}" } }`,
			Event:  msg("hello 3"),
			Result: plugin.Match,
			Want:   map[string]string{"w": `"3"`},
		},
		{
			Name:   "the old array form of match",
			Config: `grok { match => [ "message", "%{WORD:a} %{WORD:b}" ] }`,
			Event:  msg("x y"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"x"`, "b": `"y"`},
		},
		{
			Name:   "Ruby's (?m) is dot-all; ^ and $ match at line breaks",
			Config: `grok { match => { "message" => "(?m)^first$(?<rest>.*)" } }`,
			Event:  msg("first\nsecond\nthird"),
			Result: plugin.Match,
			Want:   map[string]string{"rest": `"\nsecond\nthird"`},
		},
		{
			Name:   "\\h is a hex digit; a POSIX class; {,n}",
			Config: `grok { match => { "message" => "(?<hex>\\h+)-(?<alpha>[[:alpha:]]+)-(?<few>a{,2})" } }`,
			Event:  msg("beef-cafe-aaa"),
			Result: plugin.Match,
			Want:   map[string]string{"hex": `"beef"`, "alpha": `"cafe"`, "few": `"aa"`},
		},
		{
			Name:   "lookbehind and atomic groups: NUMBER does not start inside a number",
			Config: `grok { match => { "message" => "x%{NUMBER:n}" } }`,
			Event:  msg("1x2 x3.5"),
			Result: plugin.Match,
			Want:   map[string]string{"n": `"2"`},
		},
		{
			Name:   "QUOTEDSTRING keeps escaped quotes",
			Config: `grok { match => { "message" => "%{QUOTEDSTRING:q}" } }`,
			Event:  msg(`say "a \"b\" c" now`),
			Result: plugin.Match,
			Want:   map[string]string{"q": `"\"a \\\"b\\\" c\""`},
		},
		{
			Name:   "a backreference by name",
			Config: `grok { match => { "message" => "(?<q>['\"])(?<s>.*?)\\k<q>" } }`,
			Event:  msg(`'it"s'`),
			Result: plugin.Match,
			Want:   map[string]string{"s": `"it\"s"`},
		},
		{
			Name:   "captures of multi-byte text are cut at the right bytes",
			Config: `grok { match => { "message" => "%{NOTSPACE:a} %{GREEDYDATA:b}" } }`,
			Event:  msg("héllo wörld ✓"),
			Result: plugin.Match,
			Want:   map[string]string{"a": `"héllo"`, "b": `"wörld ✓"`},
		},
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		config string
		want   string
	}{
		{`grok { match => { "message" => "%{NOPE:x}" } }`, `test.conf:2:17: grok filter option "match": field "message", pattern "%{NOPE:x}": pattern %{NOPE:x} not defined`},
		{`grok { pattern_definitions => { "A" => "%{B}" "B" => "x%{A}" } match => { "message" => "%{A}" } }`, `pattern %{A} refers to itself (through A → B)`},
		{`grok { match => { "message" => "(unclosed" } }`, `compile:`},
		{`grok { match => { "message" => "%{WORD:[bad}" } }`, `capture "WORD:[bad": field reference "[bad": missing ']'`},
		{`grok { match => { "message" => "(?<a>x)\\1" } }`, `numbered back-references (\1) are not supported`},
		{`grok { match => { "message" => "[a[b]]" } }`, `nested character classes are not supported`},
		{`grok { match => { "message" => "(?P<a>x)" } }`, `(?P<name>…) is not Ruby syntax`},
		{`grok { match => { "[bad" => "x" } }`, `missing ']'`},
		{`grok { patterns_dir => ["/nonexistent/dir"] match => { "message" => "%{MISSING}" } }`, `pattern %{MISSING} not defined`},
		{`grok { match => { "message" => "x" } timeout_millis => -1 }`, `want an integer from 0`},
		{`grok { match => { "message" => "x" } patterns_files_glob => "[" }`, `syntax error in pattern`},
		{`grok { match => { "message" => "x" } typo => 1 }`, `unknown option "typo"`},
	}
	for _, tt := range tests {
		filtertest.Refused(t, tt.config, New, tt.want)
	}
}

func TestNoMatchOptionWarns(t *testing.T) {
	o := filtertest.Options(t, `grok { }`)
	New(o)
	if err := o.Err(); err != nil {
		t.Fatalf("Err = %v; want nil", err)
	}
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], "no patterns") {
		t.Errorf("Warnings = %q; want one saying there are no patterns", w)
	}
}

// TestEveryBuiltinPatternCompiles compiles each built-in pattern alone,
// named and unnamed.
func TestEveryBuiltinPatternCompiles(t *testing.T) {
	lib, err := builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib) < 300 {
		t.Fatalf("%d built-in patterns; want Logstash's 300 or more", len(lib))
	}
	for name := range lib {
		for _, namedOnly := range []bool{true, false} {
			if _, err := compile("%{"+name+":x}", lib, namedOnly, 0); err != nil {
				t.Errorf("%%{%s:x} (named_captures_only %v): %v", name, namedOnly, err)
			}
		}
	}
}

// TestReusedInputMemory: the file input's lines are strings over a
// buffer it reuses once a batch is acknowledged. A line at the same
// address with other bytes must be matched afresh.
func TestReusedInputMemory(t *testing.T) {
	f := filtertest.Build(t, `grok { match => { "message" => "%{INT:n}" } }`, New)
	buf := []byte("x 123")
	line := unsafe.String(&buf[0], len(buf))
	for _, text := range []string{"x 123", "123 x"} {
		copy(buf, text)
		e := msg(line)
		if got := f.Apply(e); got != plugin.Match {
			t.Fatalf("Apply(%q) = %v; want Match", text, got)
		}
		if got := filtertest.JSON(e, "n"); got != `"123"` {
			t.Errorf("n = %s after the buffer became %q; want \"123\"", got, text)
		}
	}
}

// TestPatternFiles: patterns_dir takes directories (their files matching
// patterns_files_glob) and files; later definitions win, and
// pattern_definitions win over files, as in Logstash.
func TestPatternFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.pat":   "# a comment\nTHING [a-z]+\n\nNOPATTERN\n",
		"b.pat":   "THING [0-9]+\n",
		"skip.me": "THING never\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		options string
		text    string
		want    string
	}{
		{`patterns_dir => ["` + dir + `"] patterns_files_glob => "*.pat"`, "abc 123", `"123"`},
		{`patterns_dir => ["` + filepath.Join(dir, "a.pat") + `"]`, "abc 123", `"abc"`},
		{`patterns_dir => ["` + dir + `"] patterns_files_glob => "*.pat" pattern_definitions => { "THING" => "b+" }`, "abbb", `"bbb"`},
	}
	for _, tt := range tests {
		f := filtertest.Build(t, `grok { `+tt.options+` match => { "message" => "%{THING:x}" } }`, New)
		e := msg(tt.text)
		f.Apply(e)
		if got := filtertest.JSON(e, "x"); got != tt.want {
			t.Errorf("%s on %q: x = %s; want %s", tt.options, tt.text, got, tt.want)
		}
	}
}

// TestDefinitionsStayInTheirFilter: pattern_definitions and inline
// definitions change no other filter's patterns.
func TestDefinitionsStayInTheirFilter(t *testing.T) {
	filtertest.Build(t, `grok { pattern_definitions => { "WORD" => "[2-5]" } match => { "message" => "%{WORD:w}" } }`, New)
	filtertest.Build(t, `grok { match => { "message" => "%{WORD=[0-9]}%{WORD:w}" } }`, New)
	f := filtertest.Build(t, `grok { match => { "message" => "%{WORD:w}" } }`, New)
	e := msg("hello 3")
	f.Apply(e)
	if got := filtertest.JSON(e, "w"); got != `"hello"` {
		t.Errorf("w = %s; want \"hello\": another filter's definition of WORD leaked", got)
	}
}
