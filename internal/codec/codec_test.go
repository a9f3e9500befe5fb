package codec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

var testNow = time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)

// build reads `input { stdin { codec => … } }` (block is what follows
// codec =>, empty for the default def) into a Codec, failing on errors.
func build(tb testing.TB, block, def string) *Codec {
	tb.Helper()
	c, err := buildErr(tb, block, def)
	if err != nil {
		tb.Fatalf("codec %s: %v", block, err)
	}
	return c
}

func buildErr(tb testing.TB, block, def string, allowed ...string) (*Codec, error) {
	tb.Helper()
	src := "input { stdin { } }"
	if block != "" {
		src = "input { stdin { codec => " + block + " } }"
	}
	o := plugintest.Options(tb, src)
	c := Read(o, def, Env{Now: func() time.Time { return testNow }}, allowed...)
	return c, o.Err()
}

// show prints an event's fields as JSON with sorted keys, metadata
// after "|".
func show(e *event.Event) string {
	s := canon(string(event.JSON{}.Append(nil, e)))
	if len(e.Metadata) > 0 {
		s += " |" + canon(string(event.JSON{}.Append(nil, &event.Event{Fields: e.Metadata})))
	}
	return s
}

// canon returns the JSON object s with its keys sorted.
func canon(s string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(fmt.Sprintf("%q: %v", s, err))
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// canonAll canonicalizes expected events ("fields |metadata").
func canonAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		fields, meta, ok := strings.Cut(s, " |")
		s = canon(fields)
		if ok {
			s += " |" + canon(meta)
		}
		out = append(out, s)
	}
	return out
}

func showAll(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i := range evs {
		out[i] = show(&evs[i])
	}
	return out
}

// decodeLines decodes each line as a unit (End: its index + 1), then
// flushes, and returns the events.
func decodeLines(c *Codec, lines ...string) []event.Event {
	d := c.NewDecoder()
	var evs []event.Event
	for i, l := range lines {
		evs = d.Decode(evs, Unit{Text: l, End: int64(i + 1)})
	}
	return d.Flush(evs)
}

// field returns the JSON of an event's field, "" when absent.
func field(e *event.Event, key string) string {
	r, _ := event.ParseRef(key)
	v, ok := e.Lookup(r)
	if !ok {
		return ""
	}
	b := event.JSON{}.Append(nil, &event.Event{Fields: []event.Field{{Key: "v", Value: v}}})
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return string(m["v"])
}

const ts = `"2017-07-19T15:34:57.884Z"`

func TestPlainAndLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		in          string
		want        string // the message, as JSON
	}{
		{"plain keeps the text", `plain`, "hello world", `"hello world"`},
		{"line keeps the text", `line`, "hello world", `"hello world"`},
		{"invalid UTF-8 bytes become U+FFFD", `plain`, "a\xffb\xc3", `"a\ufffdb\ufffd"`},
		{"ISO-8859-1 is converted", `plain { charset => "ISO-8859-1" }`, "\xe0 Montr\xe9al", `"à Montréal"`},
		{"Ruby's alias of a charset", `line { charset => "ISO8859-1" }`, "caf\xe9", `"café"`},
		{"CP1252 has the euro sign", `plain { charset => "CP1252" }`, "\x80 5", `"€ 5"`},
		{"ASCII-8BIT bytes above 127 are replaced", `plain { charset => "ASCII-8BIT" }`, "\xe0 Montr\xe9al", `"� Montr�al"`},
		{"UTF-16LE", `plain { charset => "UTF-16LE" }`, "h\x00i\x00", `"hi"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs := decodeLines(build(t, tt.block, "plain"), tt.in)
			want := canon(`{"message":` + tt.want + `,"@version":"1","@timestamp":` + ts + `}`)
			if len(evs) != 1 || show(&evs[0]) != want {
				t.Errorf("decode %q = %q; want [%s]", tt.in, showAll(evs), want)
			}
		})
	}
}

func TestTruncatedUnitsAreTagged(t *testing.T) {
	t.Parallel()
	for _, block := range []string{"plain", "json", `multiline { pattern => "^\s" what => "previous" }`} {
		d := build(t, block, "plain").NewDecoder()
		evs := d.Decode(nil, Unit{Text: "cut here", Truncated: true})
		evs = d.Flush(evs)
		if len(evs) != 1 || !evs[0].HasTag(TruncatedTag) {
			t.Errorf("%s: a truncated unit gave %q; want one event tagged %s", block, showAll(evs), TruncatedTag)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	failure := func(msg string) string {
		b, _ := json.Marshal(msg)
		return `{"message":` + string(b) + `,"tags":["_jsonparsefailure"],"@version":"1","@timestamp":` + ts + `}`
	}
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"an object is an event", `{"a":1,"b":"x"}`, []string{`{"a":1,"b":"x","@version":"1","@timestamp":` + ts + `}`}},
		{"an array of objects is an event each", `[{"n":1},{"n":2}]`, []string{
			`{"n":1,"@version":"1","@timestamp":` + ts + `}`, `{"n":2,"@version":"1","@timestamp":` + ts + `}`}},
		{"an empty array is no event", `[]`, nil},
		{"blank text is no event", " \t\x0b", nil},
		{"@timestamp is read", `{"@timestamp":"2015-05-28T23:02:05.350Z","foo":"bar"}`, []string{
			`{"@timestamp":"2015-05-28T23:02:05.350Z","foo":"bar","@version":"1"}`}},
		{"an offset is applied", `{"@timestamp":"2015-05-28T23:02:05.350+02:00"}`, []string{
			`{"@timestamp":"2015-05-28T21:02:05.350Z","@version":"1"}`}},
		{"a null @timestamp is now", `{"@timestamp":null}`, []string{`{"@timestamp":` + ts + `,"@version":"1"}`}},
		{"a bad @timestamp is kept in _@timestamp", `{"@timestamp":"yesterday"}`, []string{
			`{"@timestamp":` + ts + `,"@version":"1","_@timestamp":"yesterday","tags":["_timestampparsefailure"]}`}},
		{"a numeric @timestamp keeps its type", `{"@timestamp":12}`, []string{
			`{"@timestamp":` + ts + `,"@version":"1","_@timestamp":12,"tags":["_timestampparsefailure"]}`}},
		{"@version is kept", `{"@version":"2"}`, []string{`{"@version":"2","@timestamp":` + ts + `}`}},
		{"@metadata is the metadata", `{"a":1,"@metadata":{"beat":"filebeat"}}`, []string{
			`{"a":1,"@version":"1","@timestamp":` + ts + `} |{"beat":"filebeat"}`}},
		{"keys are not field references", `{"[a][b]":1}`, []string{`{"@version":"1","[a][b]":1,"@timestamp":` + ts + `}`}},
		{"what follows the first value is ignored, as Jackson", `{"a":1} trailing`, []string{`{"a":1,"@version":"1","@timestamp":` + ts + `}`}},
		{"invalid JSON is the message, tagged", `{"a":`, []string{failure(`{"a":`)}},
		{"a scalar is a failure", `42`, []string{failure(`42`)}},
		{"null is a failure", `null`, []string{failure(`null`)}},
		{"an array holding a scalar is one failure", `[{"a":1},2]`, []string{failure(`[{"a":1},2]`)}},
		{"a non-object @metadata is a failure", `{"@metadata":1}`, []string{failure(`{"@metadata":1}`)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, block := range []string{"json", "json_lines"} {
				got := showAll(decodeLines(build(t, block, "plain"), tt.in))
				if want := canonAll(tt.want); !slices.Equal(got, want) {
					t.Errorf("%s: decode %q =\n%q\nwant\n%q", block, tt.in, got, want)
				}
			}
		})
	}
}

// TestMultilineDocs runs the examples of the multiline codec's
// documentation and spec (logstash-codec-multiline 3.0.10).
func TestMultilineDocs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		lines       []string
		want        []string // messages
		tags        []string // tags of each event, as JSON ("" when none)
	}{
		{"Java stack traces: indented lines belong to the previous one",
			`multiline { pattern => "^\s" what => "previous" }`,
			[]string{"Exception in thread \"main\" java.lang.NullPointerException", "        at com.example.myproject.Book.getTitle(Book.java:16)",
				"        at com.example.myproject.Author.getBookTitles(Author.java:25)", "next event"},
			[]string{"Exception in thread \"main\" java.lang.NullPointerException\n        at com.example.myproject.Book.getTitle(Book.java:16)\n        at com.example.myproject.Author.getBookTitles(Author.java:25)", "next event"},
			[]string{`["multiline"]`, ""}},
		{"lines not starting with a timestamp (a grok pattern) go with the previous one",
			`multiline { pattern => "^%{TIMESTAMP_ISO8601} " negate => true what => "previous" }`,
			[]string{"2017-07-19 10:00:00,123 ERROR boom", "  detail", "caused by x", "2017-07-19 10:00:01,000 INFO ok"},
			[]string{"2017-07-19 10:00:00,123 ERROR boom\n  detail\ncaused by x", "2017-07-19 10:00:01,000 INFO ok"},
			[]string{`["multiline"]`, ""}},
		// lsconf applies escapes: "\\\\$" is the regexp \\$.
		{"C line continuations: a line ending in a backslash goes with the next",
			`multiline { pattern => "\\\\$" what => "next" }`,
			[]string{`printf("hello \`, `world");`, "return 0;"},
			[]string{"printf(\"hello \\\nworld\");", "return 0;"},
			[]string{`["multiline"]`, ""}},
		{"the spec: custom multiline_tag",
			`multiline { pattern => "^\s" what => "previous" multiline_tag => "hurray" }`,
			[]string{"hello world", "   second line", "another first line"},
			[]string{"hello world\n   second line", "another first line"},
			[]string{`["hurray"]`, ""}},
		{"the spec: grok patterns", `multiline { pattern => "^%{NUMBER} %{TIME}" negate => true what => "previous" }`,
			[]string{"120913 12:04:33 first line", "second line", "third line"},
			[]string{"120913 12:04:33 first line\nsecond line\nthird line"},
			[]string{`["multiline"]`}},
		{"the spec: new lines in a unit", `multiline { pattern => "\D" what => "previous" }`,
			[]string{"1234567890\nA234567890\nB234567890\n0987654321\n"},
			[]string{"1234567890\nA234567890\nB234567890", "0987654321"},
			[]string{`["multiline"]`, ""}},
		{"empty lines are no lines, as Ruby's split", `multiline { pattern => "^\s" what => "previous" }`,
			[]string{"a", "", " b", "", "c"},
			[]string{"a\n b", "c"},
			[]string{`["multiline"]`, ""}},
		{"an empty multiline_tag tags nothing", `multiline { pattern => "^\s" what => "previous" multiline_tag => "" }`,
			[]string{"a", " b"}, []string{"a\n b"}, []string{""}},
		{"max_lines: more lines than it flush, tagged", `multiline { pattern => "^-" what => "previous" max_lines => 2 }`,
			[]string{"start", "- 1", "- 2", "- 3", "- 4"},
			[]string{"start\n- 1\n- 2", "- 3\n- 4"},
			[]string{`["multiline","multiline_codec_max_lines_reached"]`, `["multiline"]`}},
		{"max_bytes: at least that many bytes flush, tagged", `multiline { pattern => "^-" what => "previous" max_bytes => 10 }`,
			[]string{"start", "- 1234", "- 5"},
			[]string{"start\n- 1234", "- 5"},
			[]string{`["multiline","multiline_codec_max_bytes_reached"]`, ""}},
		{"max_bytes in units", `multiline { pattern => "^-" what => "next" max_bytes => "1 kb" }`,
			[]string{"-" + strings.Repeat("x", 999), "-y", "z"},
			[]string{"-" + strings.Repeat("x", 999), "-y\nz"},
			[]string{`["multiline_codec_max_bytes_reached"]`, `["multiline"]`}},
		{"ISO-8859-1 is converted", `multiline { charset => "ISO-8859-1" pattern => "^\s" what => "previous" }`,
			[]string{"\xe0 Montr\xe9al", " \xe9"}, []string{"à Montréal\n é"}, []string{`["multiline"]`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			evs := decodeLines(build(t, tt.block, "plain"), tt.lines...)
			var msgs, tags []string
			for i := range evs {
				v, _ := evs[i].Get("message")
				msgs = append(msgs, v.Str())
				tags = append(tags, field(&evs[i], "tags"))
				if got := field(&evs[i], "@timestamp"); got != ts {
					t.Errorf("event %d: @timestamp %s; want %s", i, got, ts)
				}
			}
			if !slices.Equal(msgs, tt.want) || !slices.Equal(tags, tt.tags) {
				t.Errorf("messages %q, tags %q; want %q, %q", msgs, tags, tt.want, tt.tags)
			}
		})
	}
}

// TestMultilineSettled checks the place a restart resumes from: the End
// of the last line of the last event returned, never past a held line.
func TestMultilineSettled(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		lines       []string
		settled     []int64 // after each line
	}{
		{"previous: a held event settles when the next one starts", `multiline { pattern => "^\s" what => "previous" }`,
			[]string{"a", " b", "c", " d", ""}, []int64{0, 0, 2, 2, 2}},
		{"next: an event settles with its last line", `multiline { pattern => "\\\\$" what => "next" }`,
			[]string{`a\`, "b", "c", `d\`}, []int64{0, 2, 3, 3}},
		{"plain settles every line", `plain`, []string{"a", "b"}, []int64{1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := build(t, tt.block, "plain").NewDecoder()
			var got []int64
			for i, l := range tt.lines {
				d.Decode(nil, Unit{Text: l, End: int64(i + 1)})
				got = append(got, d.Settled())
			}
			if !slices.Equal(got, tt.settled) {
				t.Errorf("Settled after each line = %v; want %v", got, tt.settled)
			}
			d.Flush(nil)
			if last := int64(len(tt.lines)); tt.block != "plain" && d.Settled() < last-1 {
				t.Errorf("after Flush, Settled = %d; want the End of the last line held", d.Settled())
			}
		})
	}
}

func TestMultilineAutoFlush(t *testing.T) {
	t.Parallel()
	now := testNow
	c := build(t, `multiline { pattern => "^\s" what => "previous" auto_flush_interval => 2 }`, "plain")
	c.now = func() time.Time { return now }
	s := c.NewStream(1 << 20)
	if at := s.FlushAt(); !at.IsZero() {
		t.Fatalf("FlushAt with nothing held = %v; want zero", at)
	}
	evs := s.Decode(nil, "first\n  more\n")
	if len(evs) != 0 {
		t.Fatalf("events before the flush: %q", showAll(evs))
	}
	if at, want := s.FlushAt(), now.Add(2*time.Second); !at.Equal(want) {
		t.Fatalf("FlushAt = %v; want %v (2 s after the last line)", at, want)
	}
	if evs = s.AutoFlush(nil, now.Add(time.Second)); len(evs) != 0 {
		t.Fatalf("AutoFlush before it is due gave %q", showAll(evs))
	}
	evs = s.AutoFlush(nil, now.Add(2*time.Second))
	if len(evs) != 1 || field(&evs[0], "message") != `"first\n  more"` {
		t.Fatalf("AutoFlush when due = %q; want the held event", showAll(evs))
	}
	if at := s.FlushAt(); !at.IsZero() {
		t.Errorf("FlushAt after the flush = %v; want zero", at)
	}
	if got := build(t, `multiline { pattern => "x" what => "next" }`, "plain").NewDecoder(); !got.FlushAt().IsZero() {
		t.Errorf("without auto_flush_interval, FlushAt = %v; want zero", got.FlushAt())
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		block, def string
		allowed    []string
		want       string
	}{
		{`rubydebug`, "line", nil, `codec "rubydebug" is an output codec: it cannot decode`},
		{`netflow`, "line", nil, `codec "netflow" is not supported by logship (supported: json, json_lines, line, multiline, plain)`},
		{`multiline { pattern => "x" what => "previous" }`, "plain", []string{"plain", "json"}, `codec "multiline" is not supported by the stdin input (supported: plain, json)`},
		{`multiline { }`, "line", nil, `missing required option "pattern"`},
		{`multiline { pattern => "x" }`, "line", nil, `missing required option "what"`},
		{`multiline { pattern => "x" what => "up" }`, "line", nil, `option "what": want one of previous, next`},
		{`multiline { pattern => "%{NOPE}" what => "next" }`, "line", nil, `pattern %{NOPE} not defined`},
		{`multiline { pattern => "(" what => "next" }`, "line", nil, `option "pattern"`},
		{`multiline { pattern => "x" what => "next" max_bytes => "lots" }`, "line", nil, `option "max_bytes": want a positive size`},
		{`multiline { pattern => "x" what => "next" auto_flush_interval => 0 }`, "line", nil, `option "auto_flush_interval": want a positive number`},
		{`plain { charset => "KLINGON" }`, "line", nil, `unknown or unsupported charset "KLINGON"`},
		{`line { delimiter => "" }`, "line", nil, `option "delimiter": must not be empty`},
		{`json { delimiter => "\n" }`, "line", nil, `unknown option "delimiter" for codec plugin "json"`},
	} {
		_, err := buildErr(t, tt.block, tt.def, tt.allowed...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("codec => %s: error %v; want one containing %q", tt.block, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "test.conf:1:") {
			t.Errorf("codec => %s: error %q does not start with file:line:col", tt.block, err)
		}
	}
}

func TestDefaultsAndStreaming(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		block, def        string
		name, delim       string
		streaming, sdelim string
	}{
		{"", "line", "line", "\n", "line", "\n"},
		{"", "plain", "plain", "", "line", "\n"},
		{`json`, "line", "json", "", "json_lines", "\n"},
		{`json_lines { delimiter => "\r\n" }`, "line", "json_lines", "\r\n", "json_lines", "\r\n"},
		{`multiline { pattern => "x" what => "next" }`, "line", "multiline", "\n", "multiline", "\n"},
	} {
		c := build(t, tt.block, tt.def)
		s := c.Streaming()
		if c.Name() != tt.name || c.Delimiter() != tt.delim || s.Name() != tt.streaming || s.Delimiter() != tt.sdelim {
			t.Errorf("codec => %q (default %s): %s %q, streaming %s %q; want %s %q, %s %q", tt.block, tt.def,
				c.Name(), c.Delimiter(), s.Name(), s.Delimiter(), tt.name, tt.delim, tt.streaming, tt.sdelim)
		}
	}
}

func TestParseBytes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"1048576": 1048576, "10 MiB": 10 << 20, "10MiB": 10 << 20, "2 mb": 2_000_000, "64kb": 64_000,
		"1 KiB": 1024, "512b": 512, "1.5 KiB": 1536, "1 GiB": 1 << 30,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "10 XB", "MiB", "-1 kb"} {
		if got, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) = %d; want an error", bad, got)
		}
	}
}

// TestStreamFraming checks the framing of a stream against splitting the
// whole of it at once, for every way of cutting it into reads.
func TestStreamFraming(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, delim string
		max         int
		in          string
		want        []string // units; a trailing "!" marks a truncated one
	}{
		{"lines, empty ones kept", "\n", 100, "a\n\nbc\nd", []string{"a", "", "bc", "d"}},
		{"a two-byte delimiter", "\r\n", 100, "a\r\nb\rc\r\n\r\nd", []string{"a", "b\rc", "", "d"}},
		{"a long unit is cut and the rest skipped", "\n", 4, "abcdefgh\nij\n", []string{"abcd!", "ij"}},
		{"a unit of exactly the cap is whole", "\r\n", 3, "abc\r\nde", []string{"abc", "de"}},
		{"a cut does not split a character", "\n", 4, "abcé\n", []string{"abc!"}},
		{"a repeated-byte delimiter", "||", 100, "a|||b||", []string{"a", "|b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for size := 1; size <= len(tt.in); size++ {
				l := &lines{delim: tt.delim, max: tt.max}
				var got []string
				emit := func(s string, cut bool) {
					if cut {
						s += "!"
					}
					got = append(got, s)
				}
				for i := 0; i < len(tt.in); i += size {
					l.write(tt.in[i:min(i+size, len(tt.in))], emit)
				}
				l.flush(emit)
				if !slices.Equal(got, tt.want) {
					t.Errorf("reads of %d bytes: units %q; want %q", size, got, tt.want)
				}
			}
		})
	}
}

// TestStreamDecode runs a stream through each codec and checks that the
// events are what the units give, the last one flushed at the end.
func TestStreamDecode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		block string
		reads []string
		want  []string // messages (or JSON of field a)
	}{
		{`line`, []string{"one\ntw", "o\nthree"}, []string{"one", "two", "three"}},
		{`json_lines`, []string{`{"a":1}` + "\n" + `{"a"`, `:2}` + "\n"}, []string{"1", "2"}},
		{`multiline { pattern => "^\s" what => "previous" }`, []string{"a\n b\n", "c\n d"}, []string{"a\n b", "c\n d"}},
		{`plain`, []string{"one read\nis one event"}, []string{"one read\nis one event"}},
	} {
		s := build(t, tt.block, "line").NewStream(1 << 20)
		var evs []event.Event
		for _, r := range tt.reads {
			evs = s.Decode(evs, r)
		}
		evs = s.Flush(evs)
		var got []string
		for i := range evs {
			if v, ok := evs[i].Get("a"); ok {
				got = append(got, fmt.Sprint(v.Int()))
				continue
			}
			v, _ := evs[i].Get("message")
			got = append(got, v.Str())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: reads %q gave %q; want %q", tt.block, tt.reads, got, tt.want)
		}
	}
}

// TestMultilinePatternsDir: patterns_dir adds pattern files (every file
// of a directory, or a file) to Logstash's own for the pattern.
func TestMultilinePatternsDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app"), []byte("# my patterns\nAPPSTART \\[%{INT:pid}\\] START\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, where := range []string{dir, filepath.Join(dir, "app")} {
		c := build(t, fmt.Sprintf(`multiline { patterns_dir => [%q] pattern => "^%%{APPSTART}" negate => true what => "previous" }`, where), "plain")
		got := showAll(decodeLines(c, "[12] START job", "step 1", "[13] START next"))
		if len(got) != 2 || !strings.Contains(got[0], `"message":"[12] START job\nstep 1"`) {
			t.Errorf("patterns_dir %s: events %q; want the job's two lines, then the next", where, got)
		}
	}
}

func TestFlushTimer(t *testing.T) {
	t.Parallel()
	var timer FlushTimer
	if c := timer.C(time.Time{}); c != nil {
		t.Fatal("C(zero) is a channel; want nil, which never receives")
	}
	far := timer.C(time.Now().Add(time.Hour))
	due := time.Now().Add(-time.Second)
	if got := <-timer.C(due); got.Before(due) {
		t.Errorf("rearmed for %v, fired at %v; want no earlier", due, got)
	}
	if far != timer.C(due) {
		t.Error("C made a new channel; want the timer's own, rearmed")
	}
}
