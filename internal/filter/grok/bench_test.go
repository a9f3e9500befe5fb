package grok

import (
	"testing"

	gogrok "github.com/elastic/go-grok"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// BenchmarkEngines parses the Apache example line with COMBINEDAPACHELOG
// on each engine considered, side by side (run with -count to
// interleave rounds):
//   - go-grok: Elastic's go-grok v0.3.1 with its own (ECS) patterns, on
//     Go's regexp (RE2), the engine the issue suggested building on;
//   - grok: this filter (Logstash's legacy patterns on regexp2), the
//     whole Apply with the fields stored.
func BenchmarkEngines(b *testing.B) {
	b.Run("engine=go-grok", func(b *testing.B) {
		g, err := gogrok.NewComplete()
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Compile("%{COMBINEDAPACHELOG}", true); err != nil {
			b.Fatal(err)
		}
		if m, err := g.ParseString(apacheLine); err != nil || m["http.request.method"] != "GET" {
			b.Fatalf("go-grok ParseString = %v, %v; want a match", m, err)
		}
		b.ReportAllocs()
		for b.Loop() {
			g.ParseString(apacheLine)
		}
	})
	b.Run("engine=grok", func(b *testing.B) {
		f := filtertest.Build(b, `grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }`, New)
		e := &event.Event{}
		b.ReportAllocs()
		for b.Loop() {
			e.Fields = append(e.Fields[:0], event.Field{Key: "message", Value: event.String(apacheLine)})
			if f.Apply(e) != plugin.Match {
				b.Fatal("no match")
			}
		}
	})
}
