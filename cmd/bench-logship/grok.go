package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// The parse scenario (issue 12): the same Apache combined-log lines
// through grok %{COMBINEDAPACHELOG} + date into a JSON-lines file, with
// logship and with rsyslog (imfile → mmnormalize → omfile), in
// interleaved rounds.

// parseRun is one shipper's run over the whole file.
type parseRun struct {
	elapsed time.Duration
	cpu     time.Duration // user+system, from /proc
	peakRSS int64
}

const parseLogshipConf = `input { file { path => %q } }
filter {
  grok { match => { "message" => "%%{COMBINEDAPACHELOG}" } }
  date { match => [ "timestamp", "dd/MMM/yyyy:HH:mm:ss Z" ] }
}
output { file { path => %q codec => json_lines } }
`

// The same parse for rsyslog: a liblognorm rule for the combined format
// (quoted-string keeps the quotes, as grok's QS does), then the
// timestamp rewritten as RFC 3339 with its offset and read by
// parse_time, which is what the date filter does.
const (
	parseRulebase = `version=2
rule=:%clientip:word% %ident:word% %auth:word% [%timestamp:char-to{"extradata":"]"}%] "%verb:word% %request:word% HTTP/%httpversion:char-to{"extradata":"\""}%" %response:number% %bytes:number% %referrer:quoted-string% %agent:quoted-string%
`
	parseMonths = `{"version":1,"nomatch":"","type":"string","table":[` +
		`{"index":"Jan","value":"01"},{"index":"Feb","value":"02"},{"index":"Mar","value":"03"},{"index":"Apr","value":"04"},` +
		`{"index":"May","value":"05"},{"index":"Jun","value":"06"},{"index":"Jul","value":"07"},{"index":"Aug","value":"08"},` +
		`{"index":"Sep","value":"09"},{"index":"Oct","value":"10"},{"index":"Nov","value":"11"},{"index":"Dec","value":"12"}]}`
	parseRsyslogConf = `global(workDirectory="%[1]s")
module(load="imfile" mode="inotify")
module(load="mmnormalize")
lookup_table(name="months" file="%[4]s")
template(name="logstash" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="$!ts" format="jsonf")
  constant(outname="@version" value="1" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="path" name="$!metadata!filename" format="jsonf")
  property(outname="clientip" name="$!clientip" format="jsonf")
  property(outname="ident" name="$!ident" format="jsonf")
  property(outname="auth" name="$!auth" format="jsonf")
  property(outname="timestamp" name="$!timestamp" format="jsonf")
  property(outname="verb" name="$!verb" format="jsonf")
  property(outname="request" name="$!request" format="jsonf")
  property(outname="httpversion" name="$!httpversion" format="jsonf")
  property(outname="response" name="$!response" format="jsonf")
  property(outname="bytes" name="$!bytes" format="jsonf")
  property(outname="referrer" name="$!referrer" format="jsonf")
  property(outname="agent" name="$!agent" format="jsonf")
}
ruleset(name="ship") {
  action(type="mmnormalize" rulebase="%[5]s" useRawMsg="on")
  set $!ts = format_time(parse_time(substring($!timestamp, 7, 4) & "-" & lookup("months", substring($!timestamp, 3, 3)) & "-" & substring($!timestamp, 0, 2) & "T" & substring($!timestamp, 12, 8) & substring($!timestamp, 21, 3) & ":" & substring($!timestamp, 24, 2)), "date-rfc3339");
  action(type="omfile" file="%[3]s" template="logstash")
}
input(type="imfile" file="%[2]s" tag="apache" addMetadata="on" ruleset="ship" freshStartTail="off")
`
)

// parseBench runs rounds of logship and rsyslog, alternating, on n
// generated Apache lines.
func parseBench(ctx context.Context, o options, rsyslogd, dir string, stderr io.Writer) (ls, rs []parseRun, size int64, err error) {
	input := filepath.Join(dir, "apache.log")
	fmt.Fprintf(stderr, "parse: generating %d Apache lines…\n", o.lines)
	if size, err = generateApache(input, o.lines); err != nil {
		return nil, nil, 0, err
	}
	for round := 1; round <= o.parseRounds; round++ {
		fmt.Fprintf(stderr, "parse round %d/%d: logship…\n", round, o.parseRounds)
		r, err := parseLogship(ctx, o, dir, input)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("logship: %w", err)
		}
		ls = append(ls, r)
		fmt.Fprintf(stderr, "parse round %d/%d: rsyslog…\n", round, o.parseRounds)
		if r, err = parseRsyslog(ctx, o, rsyslogd, dir, input); err != nil {
			return nil, nil, 0, fmt.Errorf("rsyslog: %w", err)
		}
		rs = append(rs, r)
	}
	for _, out := range []string{"parse-logship.json", "parse-rsyslog.json", "apache.log"} {
		_ = os.Remove(filepath.Join(dir, out))
	}
	return ls, rs, size, nil
}

// generateApache writes n Apache combined-log lines (two time zones, so
// the date filter has offsets to apply).
func generateApache(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(3))
	zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600)}
	ts := time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC)
	users := []string{"-", "-", "-", "frank"}
	var b []byte
	var size int64
	for i := 0; i < n; i++ {
		t := ts.Add(time.Duration(i) * time.Millisecond).In(zones[rng.Intn(len(zones))])
		b = fmt.Appendf(b[:0], "%d.%d.%d.%d - %s [%s] \"GET %s HTTP/1.1\" %d %d \"%s\" \"%s\"\n",
			1+rng.Intn(223), rng.Intn(256), rng.Intn(256), rng.Intn(256), users[rng.Intn(len(users))],
			t.Format("02/Jan/2006:15:04:05 -0700"), paths[rng.Intn(len(paths))], statuses[rng.Intn(len(statuses))],
			rng.Intn(5000), referrers[rng.Intn(len(referrers))], agents[rng.Intn(len(agents))])
		size += int64(len(b))
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return size, f.Close()
}

func parseLogship(ctx context.Context, o options, dir, input string) (parseRun, error) {
	out := filepath.Join(dir, "parse-logship.json")
	data := filepath.Join(dir, "parse-logship-data")
	for _, p := range []string{out, data} {
		if err := os.RemoveAll(p); err != nil {
			return parseRun{}, err
		}
	}
	conf := filepath.Join(dir, "parse-logship.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, parseLogshipConf, input, out), 0o644); err != nil {
		return parseRun{}, err
	}
	if b, err := exec.CommandContext(ctx, o.logship, "-t", "-f", conf).CombinedOutput(); err != nil {
		return parseRun{}, fmt.Errorf("config check: %v\n%s", err, b)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, o.logship, "-f", conf, "--path.data", data)
	log := &tailBuffer{}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return parseRun{}, err
	}
	defer stop(cmd)
	if err := waitLines(ctx, out, o.lines, cmd.Process, o.waitTimeout); err != nil {
		return parseRun{}, fmt.Errorf("stderr:\n%s\n%w", log, err)
	}
	r := parseRun{time.Since(start), cpuTime(cmd.Process.Pid), peakRSS(cmd.Process.Pid)}
	return r, checkParsed(out, "logship", "2006-01-02T15:04:05.000Z", "_grokparsefailure", "_dateparsefailure")
}

func parseRsyslog(ctx context.Context, o options, rsyslogd, dir, input string) (parseRun, error) {
	work := filepath.Join(dir, "parse-rsyslog-work")
	out := filepath.Join(dir, "parse-rsyslog.json")
	for _, p := range []string{out, work} {
		if err := os.RemoveAll(p); err != nil {
			return parseRun{}, err
		}
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return parseRun{}, err
	}
	months, rules, conf := filepath.Join(dir, "months.json"), filepath.Join(dir, "apache.rb"), filepath.Join(dir, "parse-rsyslog.conf")
	for path, text := range map[string]string{months: parseMonths, rules: parseRulebase,
		conf: fmt.Sprintf(parseRsyslogConf, work, input, out, months, rules)} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return parseRun{}, err
		}
	}
	if b, err := exec.CommandContext(ctx, rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		return parseRun{}, fmt.Errorf("config check (the mmnormalize module is in Debian's rsyslog package): %v\n%s", err, b)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "parse-rsyslog.pid"))
	log := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return parseRun{}, err
	}
	defer stop(cmd)
	if err := waitLines(ctx, out, o.lines, cmd.Process, o.waitTimeout); err != nil {
		return parseRun{}, fmt.Errorf("stderr:\n%s\n%w", log, err)
	}
	r := parseRun{time.Since(start), cpuTime(cmd.Process.Pid), peakRSS(cmd.Process.Pid)}
	return r, checkParsed(out, "rsyslog", "2006-01-02T15:04:05Z", "unparsed-data")
}

// checkParsed checks that every line of out was parsed (it has
// clientip) without a failure marker, and, on every 100th line, that
// @timestamp is the line's own timestamp in UTC, printed with layout:
// both shippers did the whole parse, date included.
func checkParsed(out, who, layout string, failures ...string) error {
	f, err := os.Open(out)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"clientip":"`)) {
			return fmt.Errorf("%s: line %d was not parsed: %s", who, n+1, line)
		}
		for _, bad := range failures {
			if bytes.Contains(line, []byte(bad)) {
				return fmt.Errorf("%s: line %d has %s: %s", who, n+1, bad, line)
			}
		}
		if n%100 != 0 {
			continue
		}
		var ev struct {
			Timestamp string `json:"@timestamp"`
			Raw       string `json:"timestamp"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("%s: line %d: %w: %s", who, n+1, err, line)
		}
		t, err := time.Parse("02/Jan/2006:15:04:05 -0700", ev.Raw)
		if err != nil {
			return fmt.Errorf("%s: line %d: timestamp: %w", who, n+1, err)
		}
		if want := t.UTC().Format(layout); ev.Timestamp != want {
			return fmt.Errorf("%s: line %d: @timestamp %q; want %q (from %q)", who, n+1, ev.Timestamp, want, ev.Raw)
		}
	}
	return sc.Err()
}

func medianParse(runs []parseRun, f func(parseRun) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func printParse(w io.Writer, o options, size int64, ls, rs []parseRun) {
	mib := float64(size) / (1 << 20)
	fmt.Fprintf(w, "Parse: %d Apache combined-log lines, %.1f MiB, through grok %%{COMBINEDAPACHELOG} + date into a JSON-lines file; "+
		"median of %d interleaved rounds.\n\n", o.lines, mib, o.parseRounds)
	fmt.Fprintln(w, "| agent (file → parse → JSON lines file) | time | lines/s | CPU | CPU µs/line | peak RSS |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	row := func(name string, runs []parseRun) float64 {
		el := medianParse(runs, func(r parseRun) float64 { return r.elapsed.Seconds() })
		cpu := medianParse(runs, func(r parseRun) float64 { return r.cpu.Seconds() })
		rss := medianParse(runs, func(r parseRun) float64 { return float64(r.peakRSS) })
		fmt.Fprintf(w, "| %s | %.2f s | %.0f | %.2f s | %.1f | %.1f MiB |\n", name, el, float64(o.lines)/el, cpu,
			cpu*1e6/float64(o.lines), rss/(1<<20))
		return el
	}
	lsEl := row("logship: grok + date", ls)
	rsEl := row("rsyslog: imfile → mmnormalize + parse_time → omfile", rs)
	fmt.Fprintf(w, "\nlogship throughput with the parse: %.2f× rsyslog's (rounds, logship/rsyslog seconds: %s).\n\n", rsEl/lsEl, parseRounds(ls, rs))
}

func parseRounds(ls, rs []parseRun) string {
	var b bytes.Buffer
	for i := range ls {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%.2f/%.2f", ls[i].elapsed.Seconds(), rs[i].elapsed.Seconds())
	}
	return b.String()
}
