package drop

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

func TestDropWithoutPercentageDropsEveryEvent(t *testing.T) {
	t.Parallel()
	// The docs' example: `if [loglevel] == "debug" { drop { } }`.
	f := filtertest.Build(t, `drop { }`, New)
	for i := range 1000 {
		if got := f.Apply(filtertest.Event("loglevel", "debug")); got != plugin.Drop {
			t.Fatalf("event %d: Apply = %v; want Drop", i, got)
		}
	}
}

func TestPercentageDropsThatShare(t *testing.T) {
	t.Parallel()
	for _, pct := range []float64{0, 40, 99.5} {
		f := filtertest.Build(t, `drop { percentage => `+strconv.FormatFloat(pct, 'f', -1, 64)+` }`, New)
		f.rand = rand.New(rand.NewPCG(1, 2)).Float64 // reproducible
		const n = 100_000
		dropped := 0
		for range n {
			switch f.Apply(filtertest.Event("loglevel", "debug")) {
			case plugin.Drop:
				dropped++
			case plugin.Match:
				t.Fatalf("percentage %v: Apply = Match; drop never matches", pct)
			}
		}
		// 5 standard deviations of a binomial(n, p).
		p := pct / 100
		if got, tol := float64(dropped), 5*math.Sqrt(n*p*(1-p))+1; math.Abs(got-n*p) > tol {
			t.Errorf("percentage %v: dropped %d of %d; want %.0f ± %.0f", pct, dropped, n, n*p, tol)
		}
	}
}

func TestBadPercentageIsRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ block, want string }{
		{`drop { percentage => 150 }`, `option "percentage"`},
		{`drop { percentage => -1 }`, `option "percentage"`},
		{`drop { percentage => "lots" }`, `option "percentage"`},
		{`drop { percent => 40 }`, `unknown option "percent"`},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
}
