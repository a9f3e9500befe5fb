package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// category is where a perf sample's CPU went, told by the functions on
// its call chain; the first category that matches wins.
type category struct {
	name  string
	match func(chain []string) bool
}

func anyFrame(chain []string, pred func(string) bool) bool {
	for _, f := range chain {
		if pred(f) {
			return true
		}
	}
	return false
}

func has(sub string) func(string) bool {
	return func(f string) bool { return strings.Contains(f, sub) }
}
func prefix(p ...string) func(string) bool {
	return func(f string) bool {
		for _, x := range p {
			if strings.HasPrefix(f, x) {
				return true
			}
		}
		return false
	}
}

const mod = "github.com/appstack/appstack/internal/"

var categories = []category{
	{"GC and allocation", func(c []string) bool {
		return anyFrame(c, prefix("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcAssist", "runtime.mallocgc", "runtime.gcStart", "runtime.gcMarkDone", "runtime.gcDrain"))
	}},
	{"sysmon, the runtime's monitor thread", func(c []string) bool { return anyFrame(c, prefix("runtime.sysmon")) }},
	{"Redis round trips: kernel (write, read, waking Redis)", func(c []string) bool {
		return anyFrame(c, has("go-redis")) && anyFrame(c, prefix("entry_SYSCALL", "do_syscall", "syscall.", "internal/runtime/syscall"))
	}},
	{"Redis client: go-redis encoding and parsing", func(c []string) bool { return anyFrame(c, has("go-redis")) }},
	{"hand-off to the pipeline goroutine and back", func(c []string) bool {
		return anyFrame(c, prefix(mod+"session/redis.(*batcher)", mod+"session/redis.(*Store)"))
	}},
	{"HTTP response write: kernel (loopback TCP, waking wrk)", func(c []string) bool {
		return anyFrame(c, prefix("syscall.write")) && anyFrame(c, has("fasthttp"))
	}},
	{"HTTP request read: kernel", func(c []string) bool {
		return anyFrame(c, prefix("syscall.read")) && anyFrame(c, has("fasthttp"))
	}},
	{"session code: id, HMAC, documents, cookie", func(c []string) bool {
		return anyFrame(c, prefix(mod+"session.", mod+"js."))
	}},
	{"access log", func(c []string) bool { return anyFrame(c, prefix(mod+"accesslog.")) }},
	{"webapp's handler: routing, headers, metrics", func(c []string) bool { return anyFrame(c, prefix(mod+"web.")) }},
	{"fasthttp: parsing, serving loop", func(c []string) bool { return anyFrame(c, has("fasthttp")) }},
	{"Go scheduler: parking, waking, idle (futex, epoll, context switches)", func(c []string) bool {
		return anyFrame(c, prefix("runtime.schedule", "runtime.findRunnable", "runtime.park_m", "runtime.mcall", "runtime.futex",
			"runtime.notewakeup", "runtime.wakep", "runtime.netpoll", "runtime.mstart", "runtime.goexit", "runtime.startm", "runtime.stopm"))
	}},
}

// classify reads `perf script` output and counts its samples by category
// ("other" last).
func classify(r io.Reader) (map[string]int, int, error) {
	counts := map[string]int{}
	total := 0
	var chain []string
	flush := func() {
		if chain == nil {
			return
		}
		name := "other"
		for _, c := range categories {
			if c.match(chain) {
				name = c.name
				break
			}
		}
		counts[name]++
		total++
		chain = nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] != ' ' && line[0] != '\t':
			flush()
			chain = []string{} // a sample's header line; its frames follow
		case chain != nil:
			// "\t    55d1c0 runtime.mcall+0x4e (/path/webapp)"
			f := strings.Fields(line)
			if len(f) >= 2 {
				sym := f[1]
				if i := strings.LastIndex(sym, "+0x"); i > 0 {
					sym = sym[:i]
				}
				chain = append(chain, sym)
			}
		}
	}
	flush()
	return counts, total, sc.Err()
}

// profiled is one scenario's profile: its CPU per request (with perf
// attached, which costs some) and its samples by category.
type profiled struct {
	scenario string
	cpu      float64 // µs per request
	counts   map[string]int
	total    int
}

// profile runs sc against a once more with perf sampling the app's call
// chains, and classifies the samples.
func (b *bench) profile(a *app, sc scenario) (profiled, error) {
	data := filepath.Join(b.dir, "perf-"+sc.key+".data")
	perf := exec.CommandContext(b.ctx, "perf", "record", "-F", "999", "-g", "-o", data, "-p", fmt.Sprint(a.cmd.Process.Pid))
	var perfErr bytes.Buffer
	perf.Stderr = &perfErr
	if err := perf.Start(); err != nil {
		return profiled{}, fmt.Errorf("perf record: %w", err)
	}
	s, err := b.measure(a, sc, b.wrk.warmup)
	_ = perf.Process.Signal(os.Interrupt)
	werr := perf.Wait()
	if err != nil {
		return profiled{}, err
	}
	if _, statErr := os.Stat(data); statErr != nil {
		return profiled{}, fmt.Errorf("perf record: %v: %w\n%s", werr, statErr, perfErr.String())
	}
	out, err := exec.CommandContext(b.ctx, "perf", "script", "-i", data).Output()
	if err != nil {
		return profiled{}, fmt.Errorf("perf script: %w", err)
	}
	counts, total, err := classify(bytes.NewReader(out))
	if err != nil || total == 0 {
		return profiled{}, fmt.Errorf("perf script: %d samples: %v", total, err)
	}
	return profiled{scenario: sc.name, cpu: float64(s.appCPU) / float64(time.Microsecond), counts: counts, total: total}, nil
}

// printProfiles writes the profiles side by side: each category's µs per
// request (its share of the samples times the CPU per request).
func printProfiles(w io.Writer, ps []profiled) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWhere webapp's CPU goes (perf record -g on one more run of each, samples classified by call chain; perf's own cost included):\n\n| |")
	for _, p := range ps {
		fmt.Fprintf(w, " %s |", p.scenario)
	}
	fmt.Fprintf(w, "\n|---|")
	for range ps {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	names := []string{}
	for _, c := range categories {
		names = append(names, c.name)
	}
	for _, name := range append(names, "other") {
		fmt.Fprintf(w, "| %s |", name)
		for _, p := range ps {
			fmt.Fprintf(w, " %.1f µs |", p.cpu*float64(p.counts[name])/float64(p.total))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| **all** (samples) |")
	for _, p := range ps {
		fmt.Fprintf(w, " **%.1f µs** (%d) |", p.cpu, p.total)
	}
	fmt.Fprintln(w)
}
