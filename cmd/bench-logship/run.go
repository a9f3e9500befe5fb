package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	lines       int
	rate        int
	latencyFor  time.Duration
	logship     string
	keep        bool
	waitTimeout time.Duration
	storeRounds int
	parseRounds int
}

func run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench-logship", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.lines, "lines", 1_000_000, "access-log lines for the throughput run")
	fs.IntVar(&o.rate, "rate", 10_000, "lines per second for the latency run")
	fs.DurationVar(&o.latencyFor, "latency-duration", 10*time.Second, "length of the latency run")
	fs.StringVar(&o.logship, "logship", "", "logship binary (default: build ./cmd/logship)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory")
	fs.DurationVar(&o.waitTimeout, "timeout", 5*time.Minute, "give up on an agent after this long")
	fs.IntVar(&o.storeRounds, "store-rounds", 3, "interleaved rounds of each shipper into VictoriaLogs (0: none)")
	fs.IntVar(&o.parseRounds, "parse-rounds", 3, "interleaved rounds of each shipper parsing Apache lines with grok + date (0: none)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		return fmt.Errorf("rsyslogd is required (apt-get install rsyslog): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-logship")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(stderr, "work directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if o.logship == "" {
		o.logship = filepath.Join(dir, "logship")
		fmt.Fprintln(stderr, "building logship…")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", o.logship, "./cmd/logship")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build logship (run from the repository root): %v\n%s", err, out)
		}
	}

	input := filepath.Join(dir, "access.log")
	fmt.Fprintf(stderr, "generating %d lines…\n", o.lines)
	size, err := generate(input, o.lines)
	if err != nil {
		return err
	}

	fmt.Fprintln(stderr, "running logship…")
	ls, err := throughputLogship(ctx, o, dir, input)
	if err != nil {
		return fmt.Errorf("logship: %w", err)
	}
	fmt.Fprintln(stderr, "running rsyslog…")
	rs, err := throughputRsyslog(ctx, o, rsyslogd, dir, input)
	if err != nil {
		return fmt.Errorf("rsyslog: %w", err)
	}
	// The throughput runs left ~0.5 GB of output being written back; drop
	// it and let the disk settle, or the next runs measure writeback.
	for _, f := range []string{"logship-out.json", "rsyslog-out.json"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	syscall.Sync()
	var store storeRuns
	if o.storeRounds > 0 {
		if store, err = storeBench(ctx, o, rsyslogd, dir, input, stderr); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		syscall.Sync()
	}
	var parseLS, parseRS []parseRun
	var parseSize int64
	if o.parseRounds > 0 {
		if parseLS, parseRS, parseSize, err = parseBench(ctx, o, rsyslogd, dir, stderr); err != nil {
			return fmt.Errorf("parse: %w", err)
		}
		syscall.Sync()
	}
	fmt.Fprintf(stderr, "measuring latency at %d lines/s for %s…\n", o.rate, o.latencyFor)
	lat, err := latency(ctx, o, dir)
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}

	mib := float64(size) / (1 << 20)
	fmt.Fprintf(stdout, "Input: %d Express access-log lines, %.1f MiB (%.0f bytes/line); %d CPUs, %s, %s.\n\n",
		o.lines, mib, float64(size)/float64(o.lines), runtime.NumCPU(), runtime.Version(), rsyslogVersion(rsyslogd))
	fmt.Fprintln(stdout, "| agent (file → JSON lines file) | time | lines/s | MiB/s | peak RSS |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|")
	for _, r := range []result{ls, rs} {
		fmt.Fprintf(stdout, "| %s | %.2f s | %.0f | %.1f | %.1f MiB |\n", r.name, r.elapsed.Seconds(),
			float64(o.lines)/r.elapsed.Seconds(), mib/r.elapsed.Seconds(), float64(r.peakRSS)/(1<<20))
	}
	fmt.Fprintf(stdout, "\nlogship throughput: %.2f× rsyslog's.\n\n", rs.elapsed.Seconds()/ls.elapsed.Seconds())
	if o.parseRounds > 0 {
		printParse(stdout, o, parseSize, parseLS, parseRS)
	}
	if o.storeRounds > 0 {
		printStore(stdout, o, store)
	}
	fmt.Fprintf(stdout, "| logship append → emit, %d lines/s for %s | samples | p50 | p99 | max |\n", o.rate, o.latencyFor)
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|")
	fmt.Fprintf(stdout, "| file input → file output (json_lines) | %d | %s | %s | %s |\n", len(lat), pct(lat, 50), pct(lat, 99), pct(lat, 100))
	return nil
}

type result struct {
	name    string
	elapsed time.Duration
	peakRSS int64
}

// Express's default log format (connect's logger, as the seed app uses).
var (
	paths  = []string{"/", "/hello/world", "/hello/alice", "/favicon.ico", "/static/app.js", "/api/v1/items?page=2"}
	agents = []string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"curl/8.4.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Gecko/20100101 Firefox/121.0",
		"Go-http-client/1.1",
	}
	statuses  = []int{200, 200, 200, 304, 404}
	referrers = []string{"-", "-", "http://localhost:3000/", "https://www.example.com/?q=docker"}
)

func appendLine(b []byte, rng *rand.Rand, ts time.Time) []byte {
	return fmt.Appendf(b, "::ffff:10.%d.%d.%d - - [%s] \"GET %s HTTP/1.1\" %d %d \"%s\" \"%s\"\n",
		rng.Intn(256), rng.Intn(256), rng.Intn(256), ts.UTC().Format(http.TimeFormat), paths[rng.Intn(len(paths))],
		statuses[rng.Intn(len(statuses))], rng.Intn(5000), referrers[rng.Intn(len(referrers))], agents[rng.Intn(len(agents))])
}

func generate(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(1))
	ts := time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC)
	var b []byte
	var size int64
	for i := 0; i < n; i++ {
		b = appendLine(b[:0], rng, ts.Add(time.Duration(i)*time.Millisecond))
		size += int64(len(b))
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return size, f.Close()
}

// waitLines polls path until it holds n lines, counting only new bytes.
func waitLines(ctx context.Context, path string, n int, proc *os.Process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var off int64
	count := 0
	buf := make([]byte, 1<<20)
	for {
		if f, err := os.Open(path); err == nil {
			for {
				k, err := f.ReadAt(buf, off)
				count += bytes.Count(buf[:k], []byte{'\n'})
				off += int64(k)
				if err != nil {
					break
				}
			}
			f.Close()
		}
		if count >= n {
			return nil
		}
		if err := proc.Signal(syscallZero); err != nil {
			return fmt.Errorf("exited after %d of %d lines", count, n)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d lines after %s", count, n, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func startLogship(ctx context.Context, o options, dir, input, out string) (*exec.Cmd, *tailBuffer, error) {
	cfg := fmt.Sprintf("input { file { path => %q } }\noutput { file { path => %q codec => json_lines } }\n", input, out)
	conf := filepath.Join(dir, "logship.conf")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, nil, err
	}
	data := filepath.Join(dir, "logship-data-"+filepath.Base(out))
	cmd := exec.CommandContext(ctx, o.logship, "-f", conf, "--path.data", data)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	return cmd, stderr, cmd.Start()
}

func throughputLogship(ctx context.Context, o options, dir, input string) (result, error) {
	out := filepath.Join(dir, "logship-out.json")
	start := time.Now()
	cmd, stderr, err := startLogship(ctx, o, dir, input, out)
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	if err := waitLines(ctx, out, o.lines, cmd.Process, o.waitTimeout); err != nil {
		return result{}, fmt.Errorf("stderr:\n%s\n%w", stderr, err)
	}
	return result{"logship", time.Since(start), peakRSS(cmd.Process.Pid)}, nil
}

// rsyslogConf makes rsyslog do the same job: imfile (inotify) → omfile
// with a JSON template carrying Logstash's fields.
const rsyslogConf = `global(workDirectory="%[1]s")
module(load="imfile" mode="inotify")
template(name="logstash" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  constant(outname="@version" value="1" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="path" name="$!metadata!filename" format="jsonf")
  constant(outname="type" value="syslog" format="jsonf")
}
ruleset(name="ship") {
  action(type="omfile" file="%[3]s" template="logstash")
}
input(type="imfile" file="%[2]s" tag="nodeapp" addMetadata="on" ruleset="ship" freshStartTail="off")
`

func throughputRsyslog(ctx context.Context, o options, rsyslogd, dir, input string) (result, error) {
	work := filepath.Join(dir, "rsyslog-work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return result{}, err
	}
	out := filepath.Join(dir, "rsyslog-out.json")
	conf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, rsyslogConf, work, input, out), 0o644); err != nil {
		return result{}, err
	}
	check := exec.CommandContext(ctx, rsyslogd, "-N1", "-f", conf)
	if b, err := check.CombinedOutput(); err != nil {
		return result{}, fmt.Errorf("config check: %v\n%s", err, b)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslog.pid"))
	stderr := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer stop(cmd)
	if err := waitLines(ctx, out, o.lines, cmd.Process, o.waitTimeout); err != nil {
		return result{}, fmt.Errorf("stderr:\n%s\n%w", stderr, err)
	}
	return result{"rsyslog imfile → omfile", time.Since(start), peakRSS(cmd.Process.Pid)}, nil
}

func rsyslogVersion(rsyslogd string) string {
	b, _ := exec.Command(rsyslogd, "-v").Output()
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.Join(strings.Fields(line)[:min(2, len(strings.Fields(line)))], " ")
}

// latency appends lines at a steady rate, each tagged with a sequence
// number, and times each from its write to its appearance in logship's
// output. The first second is warm-up and not counted.
func latency(ctx context.Context, o options, dir string) ([]time.Duration, error) {
	input := filepath.Join(dir, "latency.log")
	out := filepath.Join(dir, "latency-out.json")
	if err := os.WriteFile(input, nil, 0o644); err != nil {
		return nil, err
	}
	cmd, stderr, err := startLogship(ctx, o, dir, input, out)
	if err != nil {
		return nil, err
	}
	defer stop(cmd)
	time.Sleep(500 * time.Millisecond) // let it open the file

	total := int(o.latencyFor.Seconds() * float64(o.rate))
	sent := make([]atomic.Int64, total) // Unix ns when the line's write returned
	got := make([]time.Duration, 0, total)
	readerDone := make(chan error, 1)
	go func() { readerDone <- readLatencies(ctx, out, sent, &got, total) }()

	f, err := os.OpenFile(input, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rng := rand.New(rand.NewSource(2))
	begin := time.Now()
	var b []byte
	for seq := 0; seq < total; {
		due := min(total, int(time.Since(begin).Seconds()*float64(o.rate)))
		if due == seq {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		b = b[:0]
		first := seq
		for ; seq < due; seq++ {
			b = fmt.Appendf(b, "seq=%d ", seq)
			b = appendLine(b, rng, time.Now())
		}
		// A line is appended once write returns: the clock starts then, so
		// the writer's own stalls (dirty-page throttling) are not counted.
		if _, err := f.Write(b); err != nil {
			return nil, err
		}
		now := time.Now().UnixNano()
		for i := first; i < seq; i++ {
			sent[i].Store(now)
		}
	}
	select {
	case err := <-readerDone:
		if err != nil {
			return nil, fmt.Errorf("stderr:\n%s\n%w", stderr, err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	warm := min(len(got), o.rate)
	lat := slices.Clone(got[warm:])
	slices.Sort(lat)
	return lat, nil
}

// readLatencies follows the output file, polling every 0.5 ms.
func readLatencies(ctx context.Context, path string, sent []atomic.Int64, got *[]time.Duration, total int) error {
	deadline := time.Now().Add(time.Duration(total/1000+60) * time.Second)
	var off int64
	var pending []byte
	buf := make([]byte, 1<<20)
	for len(*got) < total {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d lines came out", len(*got), total)
		}
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				time.Sleep(500 * time.Microsecond)
				continue
			}
			return err
		}
		for {
			n, err := f.ReadAt(buf, off)
			off += int64(n)
			pending = append(pending, buf[:n]...)
			if err != nil {
				break
			}
		}
		f.Close()
		now := time.Now()
		for {
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			line := pending[:i]
			pending = pending[i+1:]
			j := bytes.Index(line, []byte(`"message":"seq=`))
			if j < 0 {
				continue
			}
			rest := line[j+len(`"message":"seq=`):]
			k := bytes.IndexByte(rest, ' ')
			seq, err := strconv.Atoi(string(rest[:k]))
			if err != nil || seq >= len(sent) {
				return fmt.Errorf("bad line %q", line)
			}
			// The writer stamps a line right after its write returns; logship
			// may be faster than that stamp.
			at := sent[seq].Load()
			for ; at == 0; at = sent[seq].Load() {
				runtime.Gosched()
			}
			*got = append(*got, max(0, now.Sub(time.Unix(0, at))))
		}
		pending = slices.Clone(pending)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Microsecond):
		}
	}
	return nil
}

func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := min(len(sorted)-1, len(sorted)*p/100)
	return fmt.Sprintf("%.1f ms", float64(sorted[i])/float64(time.Millisecond))
}
