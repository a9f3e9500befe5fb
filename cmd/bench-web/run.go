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
	"time"

	"github.com/appstack/appstack/internal/seedref"
)

// scenario is one wrk run against one app.
type scenario struct {
	name string
	path string // request target; absolute-form skips connect's session
	// cookie makes it a returning session.
	cookie bool
}

var scenarios = []scenario{
	{name: "new session (no cookie)", path: "/"},
	{name: "returning session", path: "/", cookie: true},
	{name: "no Redis work (absolute-form GET /, which connect serves without a session)", path: "http://127.0.0.1/"},
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("d", 10*time.Second, "duration of each wrk run")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured wrk run before each measured one")
	conns := fs.Int("c", 32, "wrk connections")
	threads := fs.Int("t", 1, "wrk threads")
	seed := fs.String("seed", "", "directory of the seed's Node app (default: found by internal/seedref)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *seed == "" {
		dir, err := seedref.NodeApp(getenv)
		if err != nil {
			return err
		}
		*seed = dir
	}
	for _, tool := range []string{"wrk", "redis-server", "node", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required: %w", tool, err)
		}
	}
	if _, err := os.Stat(filepath.Join(*seed, "server.js")); err != nil {
		return fmt.Errorf("seed app (set -seed or APPSTACK_SHARED): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-web")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{ctx: ctx, dir: dir, stderr: stderr, wrk: wrkConfig{duration: *duration, warmup: *warmup, conns: *conns, threads: *threads}}
	defer b.stopAll()

	fmt.Fprintln(stderr, "building webapp")
	webappBin := filepath.Join(dir, "webapp")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", webappBin, "./cmd/webapp").CombinedOutput(); err != nil {
		return fmt.Errorf("build webapp: %v\n%s", err, out)
	}
	primary, err := b.startRedis("primary")
	if err != nil {
		return err
	}
	if _, err := b.startRedis("replica", "--replicaof", "127.0.0.1", primary.port); err != nil {
		return err
	}
	if err := waitReplica(ctx, primary.port); err != nil {
		return err
	}

	node, err := b.startApp("node", *seed, "node", []string{"server.js"}, map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": primary.port})
	if err != nil {
		return err
	}
	webEnv := map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": primary.port, "SESSION_SECRET": "keyboard-cat"}
	web, err := b.startApp("webapp", "", webappBin, nil, webEnv)
	if err != nil {
		return err
	}
	noWaitEnv := map[string]string{"SESSION_WAIT_REPLICAS": "0"}
	for k, v := range webEnv {
		noWaitEnv[k] = v
	}
	noWait, err := b.startApp("webapp-nowait", "", webappBin, nil, noWaitEnv)
	if err != nil {
		return err
	}

	var results []result
	// One app at a time, never concurrently: they share two cores.
	for _, sc := range scenarios {
		for _, a := range []*app{node, web} {
			r, err := b.measure(a, sc, primary.port)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	r, err := b.measure(noWait, scenario{name: scenarios[0].name, path: "/"}, primary.port)
	if err != nil {
		return err
	}
	r.app = "webapp, WAIT off"
	results = append(results, r)
	r, err = b.measure(web, scenario{name: "webapp's /healthz", path: "/healthz"}, primary.port)
	if err != nil {
		return err
	}
	results = append(results, r)

	rss, err := web.peakRSS()
	if err != nil {
		return err
	}
	nodeRSS, _ := node.peakRSS()
	printTable(stdout, results, rss, nodeRSS, b.wrk)
	if len(b.errs) > 0 {
		return errors.Join(b.errs...)
	}
	return nil
}

// printTable writes the Markdown report.
func printTable(w io.Writer, results []result, rss, nodeRSS int64, cfg wrkConfig) {
	fmt.Fprintf(w, "wrk -t%d -c%d -d%s (after a %s warm-up), one app at a time; Redis primary + 1 replica on the same host\n\n", cfg.threads, cfg.conns, cfg.duration, cfg.warmup)
	fmt.Fprintln(w, "| scenario | app | req/s | p50 | p99 | req/s vs Node | p99 vs Node | errors |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	base := map[string]result{}
	for _, r := range results {
		if r.app == "node" {
			base[r.scenario] = r
		}
	}
	for _, r := range results {
		ratio, p99 := "", ""
		if n, ok := base[r.scenario]; ok && r.app != "node" {
			ratio = fmt.Sprintf("%.1f×", r.rps/n.rps)
			p99 = fmt.Sprintf("1/%.0f", float64(n.p99)/float64(r.p99))
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d |\n", r.scenario, r.app, r.rps, fmtDur(r.p50), fmtDur(r.p99), ratio, p99, r.errors)
	}
	fmt.Fprintf(w, "\nwebapp peak RSS (VmHWM) over the whole run: %.1f MB; Node's: %.1f MB\n", float64(rss)/1e6, float64(nodeRSS)/1e6)
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
