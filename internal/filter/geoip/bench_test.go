package geoip

import (
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// BenchmarkApply looks up the spec's Worcester address in a City
// database, side by side (run with -count to interleave rounds): with its
// record in the cache, and without (the cache full of another record).
func BenchmarkApply(b *testing.B) {
	db := cityDB(b)
	for _, c := range []struct{ name, warm string }{{"cache=hit", "173.9.34.107"}, {"cache=miss", "8.8.8.8"}} {
		b.Run(c.name, func(b *testing.B) {
			f := filtertest.Build(b, `geoip { source => "ip" database => "`+db+`" cache_size => 1 }`, New)
			b.Cleanup(func() { f.Close() })
			f.Apply(filtertest.Event("ip", c.warm))
			e := &event.Event{}
			b.ReportAllocs()
			for b.Loop() {
				e.Fields = append(e.Fields[:0], event.Field{Key: "ip", Value: event.String("173.9.34.107")})
				if f.Apply(e) != plugin.Match {
					b.Fatal("no match")
				}
			}
		})
	}
}
