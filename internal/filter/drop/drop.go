// Package drop is Logstash's drop filter (logstash-filter-drop 3.0.5, as
// in Logstash 5.6): it cancels the events that reach it, or a random
// percentage of them.
package drop

import (
	"math/rand/v2"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one drop block.
type Filter struct {
	percentage float64
	rand       func() float64 // uniform in [0, 1)
}

// New reads the drop options from o: percentage (default 100).
func New(o *plugin.Options) *Filter {
	p := o.Float("percentage", 100)
	if p < 0 || p > 100 {
		// Logstash takes any number: above 100 drops everything, below 0
		// nothing. Such a value is a mistake, so it is refused.
		o.Errorf("percentage", "want a number from 0 to 100, got %v", p)
	}
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	return &Filter{percentage: p, rand: r.Float64}
}

// Apply drops e, or, with a percentage below 100, drops it with that
// probability. Like Logstash's, it never reports a match: an event it
// keeps does not get the common options (add_field, add_tag, …).
func (f *Filter) Apply(*event.Event) plugin.Result {
	if f.percentage == 100 || f.rand() < f.percentage/100 {
		return plugin.Drop
	}
	return plugin.NoMatch
}
