package translate

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/syncbuf"
)

// writeFile writes text into a file named name in dir and returns its
// path.
func writeFile(tb testing.TB, dir, name, text string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func newFilter(o *plugin.Options) *Filter { return New(o, Env{}) }

// The fixtures of logstash-filter-translate 3.1.0's spec.
const (
	dictYML  = "a : 1\nb : 2\nc : 3\n"
	dictJSON = "{\n  \"a\" : 10,\n  \"b\" : 20,\n  \"c\" : 30\n}\n"
	dictCSV  = "\"a\",100\n\"b\",200\n\"c\",300\n"
)

func TestExamples(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yml := writeFile(t, dir, "dict.yml", dictYML)
	json := writeFile(t, dir, "dict.json", dictJSON)
	csv := writeFile(t, dir, "dict.csv", dictCSV)
	// The docs' YAML example, and one with nested and typed values.
	docsYAML := writeFile(t, dir, "docs.yaml", "\"100\": Continue\n\"101\": Switching Protocols\nmerci: gracias\nold version: new version\n")
	typed := writeFile(t, dir, "typed.yaml", "list: [1, 2.5, true, ~]\nmap: {k: v}\nflag: yes\nquoted: 'yes'\n")
	statuses := `dictionary => [ "200", "OK", "300", "Redirect", "400", "Client Error", "500", "Server Error" ]`
	for _, c := range []struct {
		name, block string
		event       *event.Event
		result      plugin.Result
		want        map[string]string
	}{
		// The spec.
		{"exact translation of a number", `translate { field => "status" destination => "translation" ` + statuses + ` exact => true regex => false }`,
			filtertest.Event("status", event.Int(200)), plugin.Match, map[string]string{"translation": `"OK"`}},
		{"multi translation", `translate { field => "status" destination => "translation" ` + statuses + ` exact => false }`,
			filtertest.Event("status", "200 & 500"), plugin.Match, map[string]string{"translation": `"OK & Server Error"`}},
		{"regex translation", `translate { field => "status" destination => "translation" exact => true regex => true
			dictionary => [ "^2[0-9][0-9]$", "OK", "^3[0-9][0-9]$", "Redirect", "^4[0-9][0-9]$", "Client Error", "^5[0-9][0-9]$", "Server Error" ] }`,
			filtertest.Event("status", "200"), plugin.Match, map[string]string{"translation": `"OK"`}},
		{"static fallback", `translate { field => "status" destination => "translation" fallback => "no match" }`,
			filtertest.Event("status", "200"), plugin.Match, map[string]string{"translation": `"no match"`}},
		{"fallback with sprintf", `translate { field => "status" destination => "translation" fallback => "%{missing_translation}" }`,
			filtertest.Event("status", "200", "missing_translation", "missing no match"), plugin.Match, map[string]string{"translation": `"missing no match"`}},
		{"a YAML file", `translate { field => "status" dictionary_path => "` + yml + `" }`,
			filtertest.Event("status", "a"), plugin.Match, map[string]string{"translation": "1"}},
		{"a JSON file", `translate { field => "status" dictionary_path => "` + json + `" }`,
			filtertest.Event("status", "b"), plugin.Match, map[string]string{"translation": "20"}},
		{"a CSV file", `translate { field => "status" dictionary_path => "` + csv + `" }`,
			filtertest.Event("status", "c"), plugin.Match, map[string]string{"translation": `"300"`}},
		// The docs.
		{"the docs' hash", `translate { field => "f" dictionary => { "100" => "Continue" "101" => "Switching Protocols" "merci" => "thank you" "old version" => "new version" } }`,
			filtertest.Event("f", "old version"), plugin.Match, map[string]string{"translation": `"new version"`}},
		{"the docs' YAML file", `translate { field => "f" dictionary_path => "` + docsYAML + `" }`,
			filtertest.Event("f", "101"), plugin.Match, map[string]string{"translation": `"Switching Protocols"`}},
		{"exact => false: foofing", `translate { field => "data" dictionary => { "foo" => "bar" } exact => false }`,
			filtertest.Event("data", "foofing"), plugin.Match, map[string]string{"translation": `"barfing"`}},
		{"exact => true: foofing is no key", `translate { field => "data" dictionary => { "foo" => "bar" } }`,
			filtertest.Event("data", "foofing"), plugin.NoMatch, map[string]string{"translation": filtertest.Absent}},
		{"the fallback when nothing matches", `translate { field => "foo" dictionary => { "foo" => "bar" } fallback => "no match" }`,
			filtertest.Event("foo", "nope"), plugin.Match, map[string]string{"translation": `"no match"`}},
		// Sources, destinations, override.
		{"an array: its first item", `translate { field => "f" dictionary => { "a" => "A" } }`,
			filtertest.Event("f", event.Strings("a", "b")), plugin.Match, map[string]string{"translation": `"A"`}},
		{"a float as Ruby writes it", `translate { field => "f" dictionary => { "1.0" => "one" } }`,
			filtertest.Event("f", event.Float(1)), plugin.Match, map[string]string{"translation": `"one"`}},
		{"no field: nothing", `translate { field => "f" dictionary => { "a" => "A" } fallback => "x" }`,
			filtertest.Event("g", "a"), plugin.NoMatch, map[string]string{"translation": filtertest.Absent}},
		{"the destination is there: nothing", `translate { field => "f" dictionary => { "a" => "A" } }`,
			filtertest.Event("f", "a", "translation", "old"), plugin.NoMatch, map[string]string{"translation": `"old"`}},
		{"override", `translate { field => "f" dictionary => { "a" => "A" } override => true }`,
			filtertest.Event("f", "a", "translation", "old"), plugin.Match, map[string]string{"translation": `"A"`}},
		{"in place without override: skipped, the field is there", `translate { field => "f" destination => "f" dictionary => { "a" => "A" } }`,
			filtertest.Event("f", "a"), plugin.NoMatch, map[string]string{"f": `"a"`}},
		{"in place always matches", `translate { field => "f" destination => "f" override => true dictionary => { "a" => "A" } }`,
			filtertest.Event("f", "zzz"), plugin.Match, map[string]string{"f": `"zzz"`}},
		{"nested references, later option names", `translate { source => "[a][b]" target => "[c][d]" dictionary => { "x" => "y" } }`,
			filtertest.Event("[a][b]", "x"), plugin.Match, map[string]string{"[c][d]": `"y"`}},
		// Values keep their types.
		{"config numbers are numbers", `translate { field => "f" dictionary => { "a" => 1 "b" => 2.5 } }`,
			filtertest.Event("f", "a"), plugin.Match, map[string]string{"translation": "1"}},
		{"YAML values", `translate { field => "f" dictionary_path => "` + typed + `" }`,
			filtertest.Event("f", "list"), plugin.Match, map[string]string{"translation": `[1,2.5,true,null]`}},
		{"YAML maps", `translate { field => "f" dictionary_path => "` + typed + `" }`,
			filtertest.Event("f", "map"), plugin.Match, map[string]string{"[translation][k]": `"v"`}},
		{"YAML 1.1 booleans, as Ruby reads them", `translate { field => "f" dictionary_path => "` + typed + `" }`,
			filtertest.Event("f", "flag"), plugin.Match, map[string]string{"translation": "true"}},
		{"quoted, a string", `translate { field => "f" dictionary_path => "` + typed + `" }`,
			filtertest.Event("f", "quoted"), plugin.Match, map[string]string{"translation": `"yes"`}},
		{"substitution writes values as Ruby's to_s", `translate { field => "f" dictionary_path => "` + typed + `" exact => false }`,
			filtertest.Event("f", "a list, a flag"), plugin.Match, map[string]string{"translation": `"a [1, 2.5, true, nil], a true"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, newFilter)
			if got := f.Apply(c.event); got != c.result {
				t.Errorf("Apply = %v; want %v (event %s)", got, c.result, filtertest.Show(c.event))
			}
			filtertest.Check(t, c.event, c.want)
		})
	}
}

// TestKeyOrder: a Ruby Hash keeps insertion order, which decides the
// first regex key that matches and the first key of a union at a
// position.
func TestKeyOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct{ name, block, in, want string }{
		{"regex keys in file order", `translate { field => "f" regex => true dictionary_path => "` +
			writeFile(t, dir, "r.json", `{"^a": "first", "^ab": "second", "^a": "first again"}`) + `" }`, "abc", `"first again"`},
		{"union: the first key wins at a position", `translate { field => "f" exact => false dictionary => { "foo" => "1" "foobar" => "2" } }`,
			"foobar", `"1bar"`},
		{"union: keys are literal", `translate { field => "f" exact => false dictionary => { "a.c" => "X" } }`, "abc a.c", `"abc X"`},
		{"regex keys: ^ and $ at lines, as Ruby", `translate { field => "f" regex => true dictionary => { "^b$" => "B" } }`, "a\nb\nc", `"B"`},
	} {
		f := filtertest.Build(t, c.block, newFilter)
		e := filtertest.Event("f", c.in)
		f.Apply(e)
		if got := filtertest.JSON(e, "translation"); got != c.want {
			t.Errorf("%s: translation of %q = %s; want %s", c.name, c.in, got, c.want)
		}
	}
}

// TestRefresh runs the spec's refresh_behaviour cases, and a reload that
// fails, on a clock the test moves.
func TestRefresh(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		behaviour string
		b, c      string // the translations of b and c after the reload
	}{
		{"merge", "4", "3"},
		{"replace", "4", `"no match"`},
	} {
		t.Run(c.behaviour, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := writeFile(t, dir, "dict.yml", "a : 1\nb : 2\nc : 3")
			var logs syncbuf.Buffer
			f := filtertest.Build(t, `translate { field => "status" dictionary_path => "`+path+`" refresh_interval => 60
				fallback => "no match" refresh_behaviour => "`+c.behaviour+`" }`, func(o *plugin.Options) *Filter {
				return New(o, Env{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			})
			clock := time.Now()
			f.now = func() time.Time { return clock }
			translate := func(status string) string {
				t.Helper()
				e := filtertest.Event("status", status)
				f.Apply(e)
				return filtertest.JSON(e, "translation")
			}
			if got := translate("b"); got != "2" {
				t.Fatalf("b = %s before the change; want 2", got)
			}
			writeFile(t, dir, "dict.yml", "a : 1\nb : 4")
			if got := translate("b"); got != "2" {
				t.Errorf("b = %s before refresh_interval has passed; want 2", got)
			}
			clock = clock.Add(61 * time.Second)
			if got := translate("b"); got != c.b {
				t.Errorf("b = %s after the reload; want %s", got, c.b)
			}
			if got := translate("c"); got != c.c {
				t.Errorf("c = %s after the reload; want %s", got, c.c)
			}
			// A file that does not parse: the dictionary stays, and the
			// failure is logged.
			writeFile(t, dir, "dict.yml", "foo: somebody said I should put a colon here: so I did")
			clock = clock.Add(61 * time.Second)
			if got := translate("b"); got != c.b {
				t.Errorf("b = %s after a failed reload; want %s (the old dictionary)", got, c.b)
			}
			if !strings.Contains(logs.String(), "dictionary reload failed") || !strings.Contains(logs.String(), "mapping values are not allowed") {
				t.Errorf("logs %q; want the reload failure with its cause", logs.String())
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	yml := writeFile(t, dir, "dict.yml", dictYML)
	for _, c := range []struct{ block, want string }{
		{`translate { dictionary => { "a" => "b" } }`, `missing required option "field"`},
		{`translate { field => "f" dictionary => { "a" => "b" } dictionary_path => "` + yml + `" }`, "'dictionary' and 'dictionary_path' are mutually exclusive"},
		{`translate { field => "f" dictionary_path => "` + writeFile(t, dir, "dict-wrong.yml", "foo: somebody said I should put a colon here: so I did") + `" }`,
			"mapping values are not allowed in this context"},
		{`translate { field => "f" dictionary_path => "` + writeFile(t, dir, "dict.other", "\"a\" | 400\n") + `" }`, "has a non valid format"},
		{`translate { field => "f" dictionary_path => "` + filepath.Join(dir, "absent.yml") + `" }`, "no such file"},
		{`translate { field => "f" dictionary_path => "` + writeFile(t, dir, "list.json", `["a", "b"]`) + `" }`, "want a JSON object"},
		{`translate { field => "f" dictionary_path => "` + writeFile(t, dir, "bad.csv", "a,\"b\n") + `" }`, "bad.csv"},
		{`translate { field => "f" regex => true dictionary => { "(" => "x" } }`, `key "(" is not a regular expression`},
		{`translate { field => "f" dictionary => [ "a" ] }`, "array of 1 items"},
		{`translate { field => "f" iterate_on => "f" }`, "came with translate 3.2"},
		{`translate { field => "f" source => "g" }`, `is another name for "field"`},
		{`translate { field => "f" refresh_behaviour => "append" }`, "refresh_behaviour"},
	} {
		filtertest.Refused(t, c.block, newFilter, c.want)
	}
}

// TestNonStringYAMLKeys: Ruby reads unquoted 100 or yes as a number or a
// boolean, which never equals the field's text: Logstash 5 never matches
// such keys (its docs say to quote them). They are left out, with a
// warning.
func TestNonStringYAMLKeys(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "d.yml", "100: Continue\n\"101\": Switching Protocols\nyes: y\n")
	o := filtertest.Options(t, `translate { field => "f" dictionary_path => "`+path+`" }`)
	f := New(o, Env{})
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], "100 (line 1), yes (line 3)") {
		t.Errorf("warnings %q; want one naming 100 (line 1) and yes (line 3)", w)
	}
	for in, want := range map[string]plugin.Result{"100": plugin.NoMatch, "101": plugin.Match, "yes": plugin.NoMatch, "true": plugin.NoMatch} {
		if got := f.Apply(filtertest.Event("f", in)); got != want {
			t.Errorf("Apply(%q) = %v; want %v", in, got, want)
		}
	}
}

// TestYAMLAliasBomb: aliases that expand to more values than the bound
// (here 10,000, at run time 10 million) are an error, not a hang.
func TestYAMLAliasBomb(t *testing.T) {
	t.Parallel()
	doc := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e"} {
		doc += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	if _, _, err := parseYAMLWithin([]byte(doc), 10_000); err == nil || !strings.Contains(err.Error(), "once aliases are expanded") {
		t.Errorf("parseYAML(10^5 values) = %v; want the bound's error", err)
	}
	if _, _, err := parseYAMLWithin([]byte(doc), 200_000); err != nil {
		t.Errorf("parseYAML(10^5 values) within 200,000: %v", err)
	}
}
