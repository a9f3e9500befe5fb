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

// sample is one measured wrk run of one scenario against one app.
type sample struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
	requests int64
	// appCPU and redisCPU are CPU time per completed request: of the app
	// process, and of the Redis primary and replica together.
	appCPU, redisCPU time.Duration
	newKeys          int64
}

// measure runs wrk for sc against a, after a warm-up run, reading the CPU
// time of the app and of Redis just before and just after the measured
// run; it checks that a new-session run really created sessions and that
// the others created none.
func (b *bench) measure(a *app, sc scenario, warmup time.Duration) (sample, error) {
	// Each run starts from an empty Redis: millions of sessions left by
	// earlier runs would make later runs pay for a bigger keyspace.
	if err := b.redisDo("FLUSHALL"); err != nil {
		return sample{}, err
	}
	script, err := b.script(a, sc)
	if err != nil {
		return sample{}, err
	}
	if warmup > 0 {
		if _, err := b.runWrk(a, script, warmup); err != nil {
			return sample{}, err
		}
	}
	keysBefore, err := b.dbsize()
	if err != nil {
		return sample{}, err
	}
	appMeter, redisMeter := cpuMeter{a.cmd.Process.Pid}, cpuMeter(b.redisPids)
	app0, err := appMeter.read()
	if err != nil {
		return sample{}, err
	}
	redis0, err := redisMeter.read()
	if err != nil {
		return sample{}, err
	}
	s, err := b.runWrk(a, script, b.wrk.duration)
	if err != nil {
		return sample{}, err
	}
	app1, err := appMeter.read()
	if err != nil {
		return sample{}, err
	}
	redis1, err := redisMeter.read()
	if err != nil {
		return sample{}, err
	}
	keysAfter, err := b.dbsize()
	if err != nil {
		return sample{}, err
	}
	if s.requests > 0 {
		s.appCPU = (app1 - app0) / time.Duration(s.requests)
		s.redisCPU = (redis1 - redis0) / time.Duration(s.requests)
	}
	s.newKeys = keysAfter - keysBefore
	switch {
	case sc.createsSessions() && s.newKeys < s.requests*9/10:
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d requests but %d new sessions in Redis", a.name, sc.name, s.requests, s.newKeys))
	case !sc.createsSessions() && s.newKeys != 0:
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d new keys in Redis; want none", a.name, sc.name, s.newKeys))
	}
	if s.errors > 0 {
		b.errs = append(b.errs, fmt.Errorf("%s %s: %d errors", a.name, sc.name, s.errors))
	}
	return s, nil
}

// script writes the wrk Lua script for sc: the request target; for a
// returning session, a cookie the app itself issued; for a fixed rate, a
// delay before each request that spreads the rate over the connections.
func (b *bench) script(a *app, sc scenario) (string, error) {
	var lua strings.Builder
	fmt.Fprintf(&lua, "wrk.method = \"GET\"\nwrk.path = %q\nwrk.headers[\"User-Agent\"] = \"wrk\"\n", sc.path)
	if sc.cookie {
		resp, err := http.Get("http://" + a.addr + "/")
		if err != nil {
			return "", fmt.Errorf("get a cookie from %s: %w", a.name, err)
		}
		resp.Body.Close()
		c := resp.Header.Get("Set-Cookie")
		if c == "" {
			return "", fmt.Errorf("%s issued no cookie", a.name)
		}
		fmt.Fprintf(&lua, "wrk.headers[\"Cookie\"] = %q\n", c[:strings.IndexByte(c, ';')])
	}
	if sc.rate > 0 {
		// Each connection waits conns/rate between its requests; the
		// response time comes on top, so the rate is a ceiling, the same
		// for every app.
		fmt.Fprintf(&lua, "function delay()\n  return %d\nend\n", b.wrk.conns*1000/sc.rate)
	}
	b.scripts++
	path := filepath.Join(b.dir, fmt.Sprintf("%s-%d.lua", a.name, b.scripts))
	return path, os.WriteFile(path, []byte(lua.String()), 0o644)
}

var (
	rpsRe      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reqsRe     = regexp.MustCompile(`(\d+) requests in`)
	percentRe  = regexp.MustCompile(`^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)`)
	non2xxRe   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	socketErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (b *bench) runWrk(a *app, script string, d time.Duration) (sample, error) {
	cmd := exec.CommandContext(b.ctx, "wrk", "-t"+strconv.Itoa(b.wrk.threads), "-c"+strconv.Itoa(b.wrk.conns),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, "http://"+a.addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return sample{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(out)
}

// parseWrk reads wrk --latency output: Requests/sec, requests completed,
// the 50% and 99% latencies, and errors (non-2xx/3xx responses and socket
// errors).
func parseWrk(out []byte) (sample, error) {
	var s sample
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return sample{}, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	s.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	m = reqsRe.FindSubmatch(out)
	if m == nil {
		return sample{}, fmt.Errorf("no request count in wrk output:\n%s", out)
	}
	s.requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		m := percentRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		if m[1] == "50" {
			s.p50 = time.Duration(v * float64(unit))
		} else {
			s.p99 = time.Duration(v * float64(unit))
		}
	}
	if s.p50 == 0 || s.p99 == 0 {
		return sample{}, fmt.Errorf("no 50%%/99%% latencies in wrk output (run with --latency):\n%s", out)
	}
	if m := non2xxRe.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		s.errors += n
	}
	if m := socketErrs.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			s.errors += n
		}
	}
	return s, nil
}

// redisDo runs one command on the primary with redis-cli.
func (b *bench) redisDo(args ...string) error {
	out, err := exec.CommandContext(b.ctx, "redis-cli", append([]string{"-p", b.redisPort}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (b *bench) dbsize() (int64, error) {
	out, err := exec.CommandContext(b.ctx, "redis-cli", "-p", b.redisPort, "DBSIZE").Output()
	if err != nil {
		return 0, fmt.Errorf("redis-cli DBSIZE: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redis-cli DBSIZE: %q: %w", out, err)
	}
	return n, nil
}
