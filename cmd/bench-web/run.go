package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/seedref"
)

// scenario is one kind of wrk run.
type scenario struct {
	key, name string
	path      string // request target; absolute-form skips connect's session
	cookie    bool   // a returning session: send a cookie the app issued
	rate      int    // requests/s over all connections; 0: as fast as it answers
	node      bool   // the Node app runs it too
}

// createsSessions reports whether every request of sc makes a session.
func (sc scenario) createsSessions() bool { return sc.path == "/" && !sc.cookie }

// Scenario keys, which the targets refer to.
const (
	scNew       = "new"
	scReturning = "returning"
	scHealthz   = "healthz"
	scRate      = "rate"
)

func scenarios(rate int) []scenario {
	return []scenario{
		{key: scNew, name: "new session (no cookie)", path: "/", node: true},
		{key: scReturning, name: "returning session", path: "/", cookie: true, node: true},
		{key: "absolute", name: "no session (absolute-form GET /, which connect serves without one)", path: "http://127.0.0.1/", node: true},
		{key: scHealthz, name: "/healthz (no session work)", path: "/healthz"},
		{key: scRate, name: fmt.Sprintf("new session at %d req/s", rate), path: "/", rate: rate},
	}
}

// variant is a webapp built from another checkout, measured beside this one.
type variant struct {
	name, dir string
	env       map[string]string
}

// baselineName is the variant that -baseline builds: "today", for the
// targets that compare against it.
const baselineName = "webapp-before"

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("d", 5*time.Second, "duration of each measured wrk run")
	warmup := fs.Duration("warmup", time.Second, "unmeasured wrk run before each measured one")
	rounds := fs.Int("rounds", 5, "interleaved rounds; the report gives medians")
	conns := fs.Int("c", 32, "wrk connections")
	threads := fs.Int("t", 1, "wrk threads")
	rate := fs.Int("rate", 2000, "offered load (req/s) of the fixed-rate scenario, the same for every webapp")
	withNode := fs.Bool("node", true, "measure the seed's Node app too")
	withPerf := fs.Bool("perf", true, "after the rounds, profile webapp's new session, returning session and /healthz with perf (if installed)")
	seed := fs.String("seed", "", "directory of the seed's Node app (default: found by internal/seedref)")
	var variants []variant
	fs.Func("baseline", "a checkout (directory) of webapp as it was, built and measured as "+baselineName, func(dir string) error {
		variants = append(variants, variant{name: baselineName, dir: dir})
		return nil
	})
	fs.Func("variant", "`name=DIR [KEY=VALUE...]`: another webapp, built from DIR and run with the environment given (repeatable)", func(s string) error {
		v, err := parseVariant(s)
		variants = append(variants, v)
		return err
	})
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *rounds < 1 || *rate < 1 || *conns < 1 {
		return errors.New("-rounds, -rate and -c must be at least 1")
	}
	if *withNode && *seed == "" {
		dir, err := seedref.NodeApp(getenv)
		if err != nil {
			return err
		}
		*seed = dir
	}
	for _, tool := range []string{"wrk", "redis-server", "redis-cli", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required: %w", tool, err)
		}
	}
	if *withNode {
		if _, err := exec.LookPath("node"); err != nil {
			return fmt.Errorf("node is required (or -node=false): %w", err)
		}
		if _, err := os.Stat(filepath.Join(*seed, "server.js")); err != nil {
			return fmt.Errorf("seed app (set -seed or APPSTACK_SHARED): %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "bench-web")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{ctx: ctx, dir: dir, stderr: stderr, wrk: wrkConfig{duration: *duration, warmup: *warmup, conns: *conns, threads: *threads}}
	defer b.stopAll()

	builds := append([]variant{{name: "webapp", dir: "."}}, variants...)
	for i, v := range builds {
		fmt.Fprintf(stderr, "building %s from %s\n", v.name, v.dir)
		bin := filepath.Join(dir, fmt.Sprintf("webapp-%d", i))
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/webapp")
		cmd.Dir = v.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s from %s: %w\n%s", v.name, v.dir, err, out)
		}
		builds[i].dir = bin // from here on, the binary
	}

	primary, err := b.startRedis("primary")
	if err != nil {
		return err
	}
	replica, err := b.startRedis("replica", "--replicaof", "127.0.0.1", primary.port)
	if err != nil {
		return err
	}
	if err := waitReplica(ctx, primary.port); err != nil {
		return err
	}
	b.redisPort, b.redisPids = primary.port, []int{primary.pid, replica.pid}

	var apps []*app
	if *withNode {
		node, err := b.startApp("node", *seed, "node", []string{"server.js"}, map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": primary.port})
		if err != nil {
			return err
		}
		apps = append(apps, node)
	}
	for _, v := range builds {
		env := map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": primary.port, "SESSION_SECRET": "keyboard-cat"}
		for k, val := range v.env {
			env[k] = val
		}
		a, err := b.startApp(v.name, "", v.dir, nil, env)
		if err != nil {
			return err
		}
		apps = append(apps, a)
	}

	scs := scenarios(*rate)
	res := results{}
	load := []string{loadAverage()}
	for round := range *rounds {
		for _, sc := range scs {
			var runs []*app
			for _, a := range apps {
				if sc.node || a.name != "node" {
					runs = append(runs, a)
				}
			}
			// Interleaved: each round starts with another app, so that
			// none is always measured first after a scenario change.
			for i := range runs {
				a := runs[(i+round)%len(runs)]
				fmt.Fprintf(stderr, "round %d/%d  %-14s %s\n", round+1, *rounds, a.name, sc.name)
				// Node's JIT needs longer than a warm-up run the first time.
				warmup := b.wrk.warmup
				if round == 0 {
					warmup *= 3
				}
				s, err := b.measure(a, sc, warmup)
				if err != nil {
					return err
				}
				res.add(sc.key, a.name, s)
			}
		}
		load = append(load, loadAverage())
	}

	var profiles []profiled
	var profileNote string
	if _, err := exec.LookPath("perf"); !*withPerf || err != nil {
		profileNote = "no profile: run with -perf and perf installed (apt-get install linux-perf)"
	} else {
		for _, sc := range scs {
			if sc.key != scNew && sc.key != scReturning && sc.key != scHealthz {
				continue
			}
			fmt.Fprintf(stderr, "profile   %-14s %s\n", "webapp", sc.name)
			p, err := b.profile(apps[webappIndex(apps)], sc)
			if err != nil {
				profileNote = fmt.Sprintf("no profile: %v", err)
				break
			}
			profiles = append(profiles, p)
		}
	}

	rss := map[string]int64{}
	for _, a := range apps {
		if n, err := a.peakRSS(); err == nil {
			rss[a.name] = n
		}
	}
	rep := report{
		wrk: b.wrk, rounds: *rounds, rate: *rate, load: load,
		scenarios: scs, apps: apps, res: res, rss: rss,
		profiles: profiles, profileNote: profileNote,
	}
	rep.print(stdout)
	if len(b.errs) > 0 {
		return errors.Join(b.errs...)
	}
	return nil
}

// webappIndex is the index of this checkout's webapp among apps.
func webappIndex(apps []*app) int {
	for i, a := range apps {
		if a.name == "webapp" {
			return i
		}
	}
	panic("no webapp among the apps")
}

// parseVariant reads -variant's "name=DIR KEY=VALUE...".
func parseVariant(s string) (variant, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return variant{}, errors.New("want name=DIR [KEY=VALUE...]")
	}
	name, dir, ok := strings.Cut(f[0], "=")
	if !ok || name == "" || dir == "" || name == "node" || name == "webapp" {
		return variant{}, fmt.Errorf("%q: want name=DIR, name not node or webapp", f[0])
	}
	v := variant{name: name, dir: dir, env: map[string]string{}}
	for _, kv := range f[1:] {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return variant{}, fmt.Errorf("%q: want KEY=VALUE", kv)
		}
		v.env[k] = val
	}
	return v, nil
}
