package useragent

import (
	"testing"

	"github.com/ua-parser/uap-go/uaparser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// BenchmarkParse parses agents in turn, side by side (run with -count to
// interleave rounds), with:
//   - uap-go: the library's ParseUserAgent, ParseOs and ParseDevice (its
//     cache made too small to hit);
//   - prefiltered: this filter's parser, uncached;
//   - cached: the whole Apply when the agent is in the filter's cache.
//
// The agents: "all" is the 1,267 of uap-core's test_ua.yaml, mostly
// robots and rare clients; "browsers" those of them that the common
// browsers send (Chrome, Firefox, Safari, IE, Edge, Opera, desktop and
// mobile), as most of a web site's traffic is.
func BenchmarkParse(b *testing.B) {
	sets := map[string][]string{}
	for _, c := range loadCases(b, "test_ua.yaml") {
		sets["all"] = append(sets["all"], c.UA)
		switch c.Family {
		case "Chrome", "Chrome Mobile", "Firefox", "Firefox Mobile", "Safari", "Mobile Safari", "IE", "IE Mobile", "Edge", "Edge Mobile", "Opera", "Opera Mobile":
			sets["browsers"] = append(sets["browsers"], c.UA)
		}
	}
	for _, set := range []string{"all", "browsers"} {
		agents := sets[set]
		b.Run("agents="+set, func(b *testing.B) { benchmarkParsers(b, agents) })
	}
	b.Run("parser=cached", func(b *testing.B) {
		f := filtertest.Build(b, `useragent { source => "message" target => "ua" }`, New)
		e := &event.Event{}
		b.ReportAllocs()
		for b.Loop() {
			e.Fields = append(e.Fields[:0], event.Field{Key: "message", Value: event.String(chrome26)})
			if f.Apply(e) != plugin.Match {
				b.Fatal("no match")
			}
		}
	})
}

func benchmarkParsers(b *testing.B, agents []string) {
	b.Logf("%d agents", len(agents))
	b.Run("parser=uap-go", func(b *testing.B) {
		var def uaparser.RegexDefinitions
		if err := yaml.Unmarshal(defaultRegexes, &def); err != nil {
			b.Fatal(err)
		}
		u, err := uaparser.New(uaparser.WithRegexDefinitions(def), uaparser.WithCacheSize(1))
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			ua := agents[i%len(agents)]
			u.ParseUserAgent(ua)
			u.ParseOs(ua)
			u.ParseDevice(ua)
			i++
		}
	})
	b.Run("parser=prefiltered", func(b *testing.B) {
		p, err := newParser(defaultRegexes)
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			p.parse(agents[i%len(agents)])
			i++
		}
	})
}

// BenchmarkNew is the cost of building a filter (reading and compiling
// the embedded regexes), paid by each pipeline worker and by -t.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		filtertest.Build(b, `useragent { source => "message" }`, New)
	}
}
