package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// results holds each round's sample by scenario key and app name.
type results map[string]map[string][]sample

func (r results) add(sc, app string, s sample) {
	if r[sc] == nil {
		r[sc] = map[string][]sample{}
	}
	r[sc][app] = append(r[sc][app], s)
}

// figure is one measure of one scenario and app: its median over the
// rounds and each round's value, in round order.
type figure struct {
	median float64
	rounds []float64
}

func (r results) figure(sc, app string, of func(sample) float64) (figure, bool) {
	samples := r[sc][app]
	if len(samples) == 0 {
		return figure{}, false
	}
	f := figure{}
	for _, s := range samples {
		f.rounds = append(f.rounds, of(s))
	}
	f.median = median(f.rounds)
	return f, true
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func appCPU(s sample) float64   { return float64(s.appCPU) / float64(time.Microsecond) }
func redisCPU(s sample) float64 { return float64(s.redisCPU) / float64(time.Microsecond) }
func p99(s sample) float64      { return float64(s.p99) / float64(time.Millisecond) }

// report is what one run prints.
type report struct {
	wrk       wrkConfig
	rounds    int
	rate      int
	load      []string // 1-minute load average before the first round and after each
	scenarios []scenario
	apps      []*app
	res       results
	rss       map[string]int64
	// profiles of webapp, or why there are none.
	profiles    []profiled
	profileNote string
}

func (rep report) print(w io.Writer) {
	fmt.Fprintf(w, "wrk -t%d -c%d -d%s per run, after a %s warm-up (%s in the first round), %d interleaved rounds, one app at a time; Redis primary + 1 replica on the same host.\n",
		rep.wrk.threads, rep.wrk.conns, rep.wrk.duration, rep.wrk.warmup, 3*rep.wrk.warmup, rep.rounds)
	fmt.Fprintf(w, "CPU per request = utime+stime from /proc/PID/stat before and after each run ÷ requests completed; medians, each round's figure in parentheses. Load average (1 min) before and after each round: %s.\n\n",
		strings.Join(rep.load, ", "))
	fmt.Fprintln(w, "| scenario | app | app CPU µs/req | Redis CPU µs/req | req/s | p50 | p99 ms | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, sc := range rep.scenarios {
		for _, a := range rep.apps {
			samples := rep.res[sc.key][a.name]
			if len(samples) == 0 {
				continue
			}
			cpu, _ := rep.res.figure(sc.key, a.name, appCPU)
			rcpu, _ := rep.res.figure(sc.key, a.name, redisCPU)
			tail, _ := rep.res.figure(sc.key, a.name, p99)
			rps, _ := rep.res.figure(sc.key, a.name, func(s sample) float64 { return s.rps })
			p50, _ := rep.res.figure(sc.key, a.name, func(s sample) float64 { return float64(s.p50) })
			errs := 0
			for _, s := range samples {
				errs += s.errors
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %s | %s | %d |\n", sc.name, a.name,
				fmtFigure(cpu, 1), fmtFigure(rcpu, 1), rps.median, fmtDur(time.Duration(p50.median)), fmtFigure(tail, 2), errs)
		}
	}
	fmt.Fprintln(w)
	for _, a := range rep.apps {
		if n, ok := rep.rss[a.name]; ok {
			fmt.Fprintf(w, "%s peak RSS (VmHWM) over the whole run: %.1f MB\n", a.name, float64(n)/1e6)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Targets (issue 13):")
	for _, t := range rep.targets() {
		fmt.Fprintln(w, "- "+t)
	}
	printProfiles(w, rep.profiles)
	if rep.profileNote != "" {
		fmt.Fprintln(w, "\n"+rep.profileNote)
	}
}

// targets checks the figures against issue 13's targets, one line each.
// Rounds are interleaved, so each round's pair of figures ran under the
// same conditions: a ratio is judged by the median of the rounds' ratios,
// which the machine's load moves less than either figure. The ratio of
// the medians is shown too.
func (rep report) targets() []string {
	var out []string
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	for _, sc := range []string{scNew, scReturning} {
		n, okN := rep.res.figure(sc, "node", appCPU)
		g, okG := rep.res.figure(sc, "webapp", appCPU)
		if !okN || !okG {
			out = append(out, fmt.Sprintf("app CPU Node / webapp, %s session ≥ 8×: not measured (needs the Node app)", sc))
			continue
		}
		r := pairedRatio(n, g)
		out = append(out, fmt.Sprintf("app CPU Node / webapp, %s session: %.1f× (per round %s; medians %.1f / %.1f µs = %.1f×); target ≥ 8×: %s",
			sc, r.median, r.rounds, n.median, g.median, n.median/g.median, verdict(r.median >= 8)))
	}
	if s, ok := rep.res.figure(scNew, "webapp", appCPU); ok {
		if h, ok := rep.res.figure(scHealthz, "webapp", appCPU); ok {
			r := pairedRatio(s, h)
			out = append(out, fmt.Sprintf("webapp new session / its /healthz, app CPU: %.2f× (per round %s; medians %.1f / %.1f µs = %.2f×); target ≤ 1.5×: %s",
				r.median, r.rounds, s.median, h.median, s.median/h.median, verdict(r.median <= 1.5)))
		}
	}
	for _, sc := range []string{scNew, scReturning} {
		g, okG := rep.res.figure(sc, "webapp", redisCPU)
		b, okB := rep.res.figure(sc, baselineName, redisCPU)
		if !okG || !okB {
			out = append(out, fmt.Sprintf("Redis CPU per %s session no higher than today: not measured (run with -baseline)", sc))
			continue
		}
		r := pairedRatio(g, b)
		out = append(out, fmt.Sprintf("Redis CPU per %s session, webapp / %s: %.2f× (per round %s; medians %.1f / %.1f µs); target ≤ 1×: %s",
			sc, baselineName, r.median, r.rounds, g.median, b.median, verdict(r.median <= 1)))
	}
	g, okG := rep.res.figure(scRate, "webapp", p99)
	b, okB := rep.res.figure(scRate, baselineName, p99)
	if okG && okB {
		r := pairedRatio(g, b)
		out = append(out, fmt.Sprintf("p99 of new sessions at %d req/s, webapp / %s: %.2f× (per round %s; medians %s / %s); target ≤ 1×: %s",
			rep.rate, baselineName, r.median, r.rounds, fmtDur(time.Duration(g.median*float64(time.Millisecond))), fmtDur(time.Duration(b.median*float64(time.Millisecond))), verdict(r.median <= 1)))
	} else {
		out = append(out, fmt.Sprintf("p99 at the same offered load (%d req/s) no worse than today: not measured (run with -baseline)", rep.rate))
	}
	if n, ok := rep.rss["webapp"]; ok {
		out = append(out, fmt.Sprintf("webapp peak RSS %.1f MB; target ≤ 25 MB: %s", float64(n)/1e6, verdict(n <= 25e6)))
	}
	return out
}

// ratio is a/b: the median of its rounds' ratios, and each round's.
type ratio struct {
	median float64
	rounds string
}

// pairedRatio is a/b round by round, and the median of those.
func pairedRatio(a, b figure) ratio {
	var v []float64
	var s []string
	for i := range min(len(a.rounds), len(b.rounds)) {
		v = append(v, a.rounds[i]/b.rounds[i])
		s = append(s, fmt.Sprintf("%.2f", a.rounds[i]/b.rounds[i]))
	}
	return ratio{median: median(v), rounds: strings.Join(s, ", ")}
}

// fmtFigure prints a median and each round's value.
func fmtFigure(f figure, decimals int) string {
	var s []string
	for _, v := range f.rounds {
		s = append(s, fmt.Sprintf("%.*f", decimals, v))
	}
	return fmt.Sprintf("%.*f (%s)", decimals, f.median, strings.Join(s, ", "))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
}
