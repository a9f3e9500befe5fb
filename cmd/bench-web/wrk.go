package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type wrkConfig struct {
	duration, warmup time.Duration
	conns, threads   int
}

type result struct {
	scenario, app string
	rps           float64
	p50, p99      time.Duration
	errors        int
	requests      int64
	newKeys       int64
}

// measure runs wrk for sc against a, after a warm-up run, and checks that
// a new-session run really created sessions.
func (b *bench) measure(a *app, sc scenario, redisPort string) (result, error) {
	script, err := b.script(a, sc)
	if err != nil {
		return result{}, err
	}
	if b.wrk.warmup > 0 {
		if _, err := b.runWrk(a, script, b.wrk.warmup); err != nil {
			return result{}, err
		}
	}
	before := dbsize(redisPort)
	fmt.Fprintf(b.stderr, "%-14s %s\n", a.name, sc.name)
	r, err := b.runWrk(a, script, b.wrk.duration)
	if err != nil {
		return result{}, err
	}
	r.scenario, r.app = sc.name, a.name
	r.newKeys = dbsize(redisPort) - before
	switch {
	case sc.path == "/" && !sc.cookie && r.newKeys < r.requests*9/10:
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d requests but %d new sessions in Redis", a.name, sc.name, r.requests, r.newKeys))
	case sc.path != "/" && r.newKeys != 0:
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d new keys in Redis; want none", a.name, sc.name, r.newKeys))
	}
	if r.errors > 0 {
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d errors", a.name, sc.name, r.errors))
	}
	return r, nil
}

// script writes the wrk Lua script for sc: the request target and, for a
// returning session, a cookie the app itself issued.
func (b *bench) script(a *app, sc scenario) (string, error) {
	var lua strings.Builder
	fmt.Fprintf(&lua, "wrk.method = \"GET\"\nwrk.path = %q\nwrk.headers[\"User-Agent\"] = \"wrk\"\n", sc.path)
	if sc.cookie {
		resp, err := http.Get("http://" + a.addr + "/")
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		c := resp.Header.Get("Set-Cookie")
		if c == "" {
			return "", fmt.Errorf("%s issued no cookie", a.name)
		}
		fmt.Fprintf(&lua, "wrk.headers[\"Cookie\"] = %q\n", c[:strings.IndexByte(c, ';')])
	}
	path := filepath.Join(b.dir, fmt.Sprintf("%s-%d.lua", a.name, len(b.procs)*100+len(sc.name)))
	return path, os.WriteFile(path, []byte(lua.String()), 0o644)
}

var (
	rpsRe      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reqsRe     = regexp.MustCompile(`(\d+) requests in`)
	percentRe  = regexp.MustCompile(`^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)`)
	non2xxRe   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	socketErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (b *bench) runWrk(a *app, script string, d time.Duration) (result, error) {
	cmd := exec.CommandContext(b.ctx, "wrk", "-t"+strconv.Itoa(b.wrk.threads), "-c"+strconv.Itoa(b.wrk.conns),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, "http://"+a.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(out)
}

// parseWrk reads wrk --latency output: Requests/sec, the 50% and 99%
// latencies, and errors (non-2xx/3xx responses and socket errors).
func parseWrk(out []byte) (result, error) {
	var r result
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return result{}, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := reqsRe.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		m := percentRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		if m[1] == "50" {
			r.p50 = time.Duration(v * float64(unit))
		} else {
			r.p99 = time.Duration(v * float64(unit))
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return result{}, fmt.Errorf("no 50%%/99%% latencies in wrk output (run with --latency):\n%s", out)
	}
	if m := non2xxRe.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		r.errors += n
	}
	if m := socketErrs.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			r.errors += n
		}
	}
	return r, nil
}

func dbsize(port string) int64 {
	out, err := exec.Command("redis-cli", "-p", port, "DBSIZE").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	return n
}
