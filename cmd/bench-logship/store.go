package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/appstack/appstack/internal/logstoretest"
)

// The store rounds: the same access log shipped by logship's
// elasticsearch output and by rsyslog's omelasticsearch into VictoriaLogs,
// each run into a fresh store (same binary, same flags), the shippers
// interleaved round after round.

// storeRun is one shipper's run into a fresh store.
type storeRun struct {
	accepted  time.Duration // until the store had accepted every line
	queryable time.Duration // until a LogsQL count saw every line
	peakRSS   int64         // the shipper's VmHWM
	cpu       time.Duration // the shipper's user+system CPU time
	storeCPU  time.Duration // the store's
}

// vlogs is one victoria-logs process.
type vlogs struct {
	url string
	cmd *exec.Cmd
}

func startVictoriaLogs(ctx context.Context, bin, dir string) (*vlogs, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "-httpListenAddr="+addr, "-storageDataPath="+filepath.Join(dir, "data"),
		"-retentionPeriod=100y", "-loggerLevel=WARN")
	logf, err := os.Create(filepath.Join(dir, "victoria-logs.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	v := &vlogs{url: "http://" + addr, cmd: cmd}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(v.url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return v, nil
			}
		}
		if time.Now().After(deadline) {
			stop(cmd)
			return nil, fmt.Errorf("victoria-logs on %s not ready after 15s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ingested reads vl_rows_ingested_total of the _bulk API from /metrics.
func (v *vlogs) ingested() (int, error) {
	resp, err := http.Get(v.url + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), `vl_rows_ingested_total{type="elasticsearch_bulk"} `); ok {
			return strconv.Atoi(rest)
		}
	}
	return 0, sc.Err() // not there before the first row
}

// waitStored times a shipper started at start: until the store accepted
// n lines, then until a LogsQL count sees them all.
func waitStored(ctx context.Context, v *vlogs, start time.Time, n int, proc *os.Process, timeout time.Duration) (accepted, queryable time.Duration, err error) {
	deadline := start.Add(timeout)
	for {
		got, err := v.ingested()
		if err != nil {
			return 0, 0, err
		}
		if got >= n {
			accepted = time.Since(start)
			break
		}
		if proc.Signal(syscallZero) != nil {
			return 0, 0, fmt.Errorf("shipper exited after %d of %d lines", got, n)
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("the store accepted %d of %d lines after %s", got, n, timeout)
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
	client := &logstoretest.Client{URL: v.url}
	for {
		got, err := client.Count(ctx, "*")
		if err != nil {
			return 0, 0, err
		}
		if got == n {
			return accepted, time.Since(start), nil
		}
		if got > n {
			return 0, 0, fmt.Errorf("the store holds %d lines; want %d (duplicates)", got, n)
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("%d of %d lines queryable after %s", got, n, timeout)
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// shipper starts one agent shipping input to the store at url.
type shipper struct {
	name  string
	start func(ctx context.Context, dir, input, url string) (*exec.Cmd, func() string, error)
}

// storeRound ships input with sh into a fresh store in its own folder.
func storeRound(ctx context.Context, o options, bin, dir string, sh shipper, input string) (storeRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return storeRun{}, err
	}
	defer os.RemoveAll(dir)
	v, err := startVictoriaLogs(ctx, bin, dir)
	if err != nil {
		return storeRun{}, err
	}
	defer stop(v.cmd)
	storeStart := cpuTime(v.cmd.Process.Pid)
	start := time.Now()
	cmd, logs, err := sh.start(ctx, dir, input, v.url)
	if err != nil {
		return storeRun{}, err
	}
	defer stop(cmd)
	accepted, queryable, err := waitStored(ctx, v, start, o.lines, cmd.Process, o.waitTimeout)
	if err != nil {
		return storeRun{}, fmt.Errorf("%s:\n%s\n%w", sh.name, logs(), err)
	}
	return storeRun{
		accepted: accepted, queryable: queryable,
		peakRSS: peakRSS(cmd.Process.Pid), cpu: cpuTime(cmd.Process.Pid),
		storeCPU: cpuTime(v.cmd.Process.Pid) - storeStart,
	}, nil
}

// storeRuns are each round's runs: the two shippers', and the store's
// alone (its ceiling).
type storeRuns struct {
	logship, rsyslog, ceiling []storeRun
}

// storeBench runs rounds of logship, rsyslog and the ceiling, in that
// order each round.
func storeBench(ctx context.Context, o options, rsyslogd, dir, input string, stderr io.Writer) (storeRuns, error) {
	var runs storeRuns
	bin, err := logstoretest.Binary(os.Getenv)
	if err != nil {
		return runs, err
	}
	shippers := []shipper{
		{"logship", func(ctx context.Context, dir, input, url string) (*exec.Cmd, func() string, error) {
			return startLogshipES(ctx, o, dir, input, url)
		}},
		{"rsyslog", func(ctx context.Context, dir, input, url string) (*exec.Cmd, func() string, error) {
			return startRsyslogES(ctx, rsyslogd, dir, input, url)
		}},
	}
	fmt.Fprintln(stderr, "store: encoding the ceiling's requests…")
	bodies, err := bulkBodies(input, storeFlushSize)
	if err != nil {
		return runs, err
	}
	for round := 1; round <= o.storeRounds; round++ {
		for i, sh := range shippers {
			fmt.Fprintf(stderr, "store round %d/%d: %s…\n", round, o.storeRounds, sh.name)
			r, err := storeRound(ctx, o, bin, filepath.Join(dir, fmt.Sprintf("store-%d-%s", round, sh.name)), sh, input)
			if err != nil {
				return runs, err
			}
			if i == 0 {
				runs.logship = append(runs.logship, r)
			} else {
				runs.rsyslog = append(runs.rsyslog, r)
			}
		}
		fmt.Fprintf(stderr, "store round %d/%d: the store alone…\n", round, o.storeRounds)
		r, err := ceilingRound(ctx, o, bin, filepath.Join(dir, fmt.Sprintf("store-%d-ceiling", round)), bodies)
		if err != nil {
			return runs, fmt.Errorf("ceiling: %w", err)
		}
		runs.ceiling = append(runs.ceiling, r)
	}
	return runs, nil
}

// storeFlushSize is the documents per request of the ceiling, as of both
// shippers: logship's flush_size default and rsyslog's dequeue batch.
const storeFlushSize = 500

// bulkBodies encodes the lines of input as the _bulk requests logship
// sends (its elasticsearch output's documents: message, @version,
// @timestamp, path, host; n a request), for the ceiling to post.
func bulkBodies(input string, n int) ([][]byte, error) {
	f, err := os.Open(input)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	host, _ := os.Hostname()
	path, _ := json.Marshal(input)
	hostJSON, _ := json.Marshal(host)
	now := time.Now().UTC()
	action := fmt.Sprintf(`{"index":{"_index":"logstash-%s"}}`, now.Format("2006.01.02"))
	stamp := now.Format("2006-01-02T15:04:05.000Z")
	var bodies [][]byte
	var b []byte
	docs := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		msg, _ := json.Marshal(sc.Text())
		b = fmt.Appendf(b, "%s\n{\"message\":%s,\"@version\":\"1\",\"@timestamp\":%q,\"path\":%s,\"host\":%s}\n", action, msg, stamp, path, hostJSON)
		if docs++; docs%n == 0 {
			bodies, b = append(bodies, b), nil
		}
	}
	if len(b) > 0 {
		bodies = append(bodies, b)
	}
	return bodies, sc.Err()
}

// ceilingRound posts bodies, encoded beforehand, to a fresh store from
// this process with one request in flight per CPU: how fast the store
// takes logship's documents when the shipper costs next to nothing, the
// rate no shipper can pass on this machine. Its CPU is this process's
// (the HTTP client's) while posting.
func ceilingRound(ctx context.Context, o options, bin, dir string, bodies [][]byte) (storeRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return storeRun{}, err
	}
	defer os.RemoveAll(dir)
	v, err := startVictoriaLogs(ctx, bin, dir)
	if err != nil {
		return storeRun{}, err
	}
	defer stop(v.cmd)
	storeStart, selfStart := cpuTime(v.cmd.Process.Pid), cpuTime(os.Getpid())
	u := v.url + "/insert/elasticsearch/_bulk?_msg_field=message&_time_field=%40timestamp"
	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, runtime.NumCPU())
	for range runtime.NumCPU() {
		go func() {
			for i := int(next.Add(1) - 1); i < len(bodies); i = int(next.Add(1) - 1) {
				if err := postBulk(ctx, u, bodies[i]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range runtime.NumCPU() {
		if err := <-errs; err != nil {
			return storeRun{}, err
		}
	}
	self, _ := os.FindProcess(os.Getpid())
	accepted, queryable, err := waitStored(ctx, v, start, o.lines, self, o.waitTimeout)
	if err != nil {
		return storeRun{}, err
	}
	return storeRun{accepted: accepted, queryable: queryable, cpu: cpuTime(os.Getpid()) - selfStart,
		storeCPU: cpuTime(v.cmd.Process.Pid) - storeStart}, nil
}

func postBulk(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Contains(answer, []byte(`"errors":true`)) {
		return fmt.Errorf("store answered %s: %.300s", resp.Status, answer)
	}
	return nil
}

func startLogshipES(ctx context.Context, o options, dir, input, url string) (*exec.Cmd, func() string, error) {
	cfg := fmt.Sprintf(`input { file { path => %q } }
output {
  elasticsearch {
    hosts => [%q]
    parameters => { "_msg_field" => "message" "_time_field" => "@timestamp" }
  }
}
`, input, url+"/insert/elasticsearch")
	conf := filepath.Join(dir, "logship.conf")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, o.logship, "-f", conf, "--path.data", filepath.Join(dir, "logship-data"))
	logs := &tailBuffer{}
	cmd.Stderr = logs
	return cmd, logs.String, cmd.Start()
}

// rsyslogESConf ships with omelasticsearch in bulk mode, batches of 500
// (logship's flush_size) from a linked-list queue. omelasticsearch keeps
// a path in its server URL but no query, so its template names the
// fields as VictoriaLogs wants them (_msg, _time) rather than passing
// _msg_field and _time_field: the store holds the same entries.
const rsyslogESConf = `global(workDirectory="%[1]s")
module(load="imfile" mode="inotify")
module(load="omelasticsearch")
template(name="logstash" type="list" option.jsonf="on") {
  property(outname="_time" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  constant(outname="@version" value="1" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="_msg" name="msg" format="jsonf")
  property(outname="path" name="$!metadata!filename" format="jsonf")
  constant(outname="type" value="syslog" format="jsonf")
}
ruleset(name="ship") {
  action(type="omelasticsearch" server="%[3]s" template="logstash" searchIndex="logstash"
         bulkmode="on" maxbytes="20m" errorfile="%[4]s"
         queue.type="linkedlist" queue.size="100000" queue.dequeueBatchSize="500"
         action.resumeRetryCount="-1")
}
input(type="imfile" file="%[2]s" tag="nodeapp" addMetadata="on" ruleset="ship" freshStartTail="off")
`

func startRsyslogES(ctx context.Context, rsyslogd, dir, input, url string) (*exec.Cmd, func() string, error) {
	work := filepath.Join(dir, "rsyslog-work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, nil, err
	}
	conf := filepath.Join(dir, "rsyslog.conf")
	errFile := filepath.Join(dir, "rsyslog-es-errors.json")
	if err := os.WriteFile(conf, fmt.Appendf(nil, rsyslogESConf, work, input, url+"/insert/elasticsearch", errFile), 0o644); err != nil {
		return nil, nil, err
	}
	if b, err := exec.CommandContext(ctx, rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("rsyslog config check (is rsyslog-elasticsearch installed?): %v\n%s", err, b)
	}
	cmd := exec.CommandContext(ctx, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslog.pid"))
	logs := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	return cmd, func() string {
		b, _ := os.ReadFile(errFile)
		return logs.String() + string(b)
	}, cmd.Start()
}

// median returns the median of what f picks from runs.
func median[T int64 | time.Duration](runs []storeRun, f func(storeRun) T) T {
	vs := make([]T, len(runs))
	for i, r := range runs {
		vs[i] = f(r)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func printStore(w io.Writer, o options, runs storeRuns) {
	fmt.Fprintf(w, "| shipper (file → VictoriaLogs `_bulk`), median of %d interleaved rounds | lines/s | all accepted | last line queryable | peak RSS | shipper CPU | store CPU |\n", len(runs.logship))
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	row := func(name string, runs []storeRun, rss bool) float64 {
		acc := median(runs, func(r storeRun) time.Duration { return r.accepted })
		rate := float64(o.lines) / acc.Seconds()
		peak := "—"
		if rss {
			peak = fmt.Sprintf("%.1f MiB", float64(median(runs, func(r storeRun) int64 { return r.peakRSS }))/(1<<20))
		}
		fmt.Fprintf(w, "| %s | %.0f | %.2f s | %.2f s | %s | %.2f s | %.2f s |\n", name, rate, acc.Seconds(),
			median(runs, func(r storeRun) time.Duration { return r.queryable }).Seconds(), peak,
			median(runs, func(r storeRun) time.Duration { return r.cpu }).Seconds(),
			median(runs, func(r storeRun) time.Duration { return r.storeCPU }).Seconds())
		return rate
	}
	l := row("logship elasticsearch output", runs.logship, true)
	r := row("rsyslog imfile → omelasticsearch (bulk)", runs.rsyslog, true)
	c := row(fmt.Sprintf("the store alone: logship's requests encoded beforehand, %d in flight", runtime.NumCPU()), runs.ceiling, false)
	fmt.Fprintf(w, "\nlogship into the store: %.2f× rsyslog's rate (each round: %s). The store alone took %.0f lines/s: "+
		"%.1f× rsyslog's rate is as fast as any shipper could go here; logship reached %.0f%% of it.\n\n",
		l/r, rounds(runs.logship, runs.rsyslog), c, c/r, 100*l/c)
}

// rounds lists each round's rates, logship/rsyslog, so the spread shows.
func rounds(ls, rs []storeRun) string {
	var out []string
	for i := range ls {
		out = append(out, fmt.Sprintf("%.2f×", rs[i].accepted.Seconds()/ls[i].accepted.Seconds()))
	}
	return strings.Join(out, ", ")
}
