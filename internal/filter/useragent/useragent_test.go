package useragent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// chrome26 is the user agent of the plugin's spec (and docs' era).
const chrome26 = "Mozilla/5.0 (X11; Linux i686) AppleWebKit/537.31 (KHTML, like Gecko) Chrome/26.0.1410.63 Safari/537.31"

// TestSpecExamples runs the examples of logstash-filter-useragent 3.2.3's
// spec (its docs show no example), checking every field Logstash 5 sets.
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	chrome := func(prefix string) map[string]string {
		return map[string]string{
			prefix + "[name]": `"Chrome"`, prefix + "[os]": `"Linux"`, prefix + "[os_name]": `"Linux"`,
			prefix + "[os_major]": filtertest.Absent, prefix + "[os_minor]": filtertest.Absent,
			prefix + "[device]": `"Other"`, prefix + "[major]": `"26"`, prefix + "[minor]": `"0"`,
			prefix + "[patch]": `"1410"`, prefix + "[build]": `""`,
		}
	}
	withMessage := func(m map[string]string, msg string) map[string]string {
		m["message"] = msg
		return m
	}
	for _, c := range []struct {
		name, block string
		want        map[string]string
	}{
		{"defaults, with a target", `useragent { source => "message" target => "ua" }`,
			withMessage(chrome("[ua]"), `"`+chrome26+`"`)},
		{"a regexes file named", `useragent { source => "message" target => "ua" regexes => "uapcore/regexes.yaml" }`,
			chrome("[ua]")},
		{"without a target, at the root", `useragent { source => "message" }`, withMessage(chrome(""), `"`+chrome26+`"`)},
		{"target is source: the fields replace it", `useragent { source => "message" target => "message" }`,
			chrome("[message]")},
		{"a target in brackets is the same field", `useragent { source => "message" target => "[ua]" }`, chrome("[ua]")},
		{"prefix", `useragent { source => "message" target => "ua" prefix => "ua_" }`,
			map[string]string{"[ua][ua_name]": `"Chrome"`, "[ua][ua_os_name]": `"Linux"`, "[ua][ua_build]": `""`, "[ua][name]": filtertest.Absent}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, New)
			e := filtertest.Event("message", chrome26)
			if got := f.Apply(e); got != plugin.Match {
				t.Fatalf("Apply = %v; want Match (event %s)", got, filtertest.Show(e))
			}
			filtertest.Check(t, e, c.want)
		})
	}
}

func TestSourceValues(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `useragent { source => "agent" target => "ua" }`, New)
	for _, c := range []struct {
		name  string
		event *event.Event
		want  plugin.Result
	}{
		{"no source field (the spec's \"Without user agent\")", filtertest.Event("foo", "bar"), plugin.NoMatch},
		{"an empty source", filtertest.Event("agent", ""), plugin.NoMatch},
		{"a null source", filtertest.Event("agent", event.Value{}), plugin.NoMatch},
		{"a number", filtertest.Event("agent", event.Int(3)), plugin.NoMatch},
		{"an empty array", filtertest.Event("agent", event.List()), plugin.NoMatch},
		{"an array: its first item", filtertest.Event("agent", event.Strings(chrome26, "curl/7.52.1")), plugin.Match},
		{"an unknown agent is Other", filtertest.Event("agent", "zzz"), plugin.Match},
	} {
		before := filtertest.Show(c.event)
		got := f.Apply(c.event)
		if got != c.want {
			t.Errorf("%s: Apply(%s) = %v; want %v", c.name, before, got, c.want)
		}
		if got == plugin.NoMatch && filtertest.Show(c.event) != before {
			t.Errorf("%s: NoMatch changed the event: %s; was %s", c.name, filtertest.Show(c.event), before)
		}
	}
	e := filtertest.Event("agent", event.Strings(chrome26, "curl/7.52.1"))
	f.Apply(e)
	filtertest.Check(t, e, map[string]string{"[ua][name]": `"Chrome"`, "[ua][major]": `"26"`})
	e = filtertest.Event("agent", "zzz")
	f.Apply(e)
	filtertest.Check(t, e, map[string]string{"[ua][name]": `"Other"`, "[ua][os]": `"Other"`, "[ua][device]": `"Other"`,
		"[ua][major]": filtertest.Absent, "[ua][os_major]": filtertest.Absent, "[ua][build]": `""`})
}

func TestCacheGivesTheSameFields(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `useragent { source => "message" lru_cache_size => 1 }`, New)
	var shown []string
	for _, ua := range []string{chrome26, chrome26, "curl/7.52.1", chrome26} {
		e := filtertest.Event("message", ua)
		f.Apply(e)
		shown = append(shown, filtertest.Show(e))
	}
	if shown[0] != shown[1] || shown[0] != shown[3] {
		t.Errorf("the same agent gave different events:\n%s", strings.Join(shown, "\n"))
	}
}

func TestLRU(t *testing.T) {
	t.Parallel()
	c := newLRU(2)
	a, b, d := &result{name: "a"}, &result{name: "b"}, &result{name: "d"}
	c.add("a", a)
	c.add("b", b)
	if r, ok := c.get("a"); !ok || r != a { // a is now the most recent
		t.Fatalf("get(a) = %v, %v; want a", r, ok)
	}
	c.add("d", d) // evicts b, the least recently used
	for key, want := range map[string]*result{"a": a, "b": nil, "d": d} {
		if r, ok := c.get(key); r != want || ok != (want != nil) {
			t.Errorf("get(%s) = %v, %v; want %v", key, r, ok, want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lists := "user_agent_parsers:\n  - regex: 'a'\nos_parsers:\n  - regex: 'b'\ndevice_parsers:\n  - regex: 'c'\n"
	for _, c := range []struct{ block, want string }{
		{`useragent { }`, `missing required option "source"`},
		{`useragent { source => "[a" }`, "source"},
		{`useragent { source => "m" target => "a]" }`, "target"},
		{`useragent { source => "m" lru_cache_size => 0 }`, "lru_cache_size"},
		{`useragent { source => "m" regexes => "` + filepath.Join(dir, "absent.yaml") + `" }`, "no such file"},
		{`useragent { source => "m" regexes => "` + file("bad.yaml", "user_agent_parsers: [") + `" }`, "bad.yaml"},
		{`useragent { source => "m" regexes => "` + file("nodevice.yaml", "user_agent_parsers:\n  - regex: 'a'\nos_parsers:\n  - regex: 'b'\n") + `" }`,
			"device_parsers is missing"},
		{`useragent { source => "m" regexes => "` + file("noregex.yaml", strings.Replace(lists, "regex: 'b'", "os_replacement: 'b'", 1)) + `" }`,
			"os_parsers entry 1 has no regex"},
		// Java's regex has look-ahead, RE2 has not: the entry is named.
		{`useragent { source => "m" regexes => "` + file("lookahead.yaml", strings.Replace(lists, "regex: 'c'", `regex: 'x(?=y)'`, 1)) + `" }`,
			"device_parsers entry 1: error parsing regexp"},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
}
