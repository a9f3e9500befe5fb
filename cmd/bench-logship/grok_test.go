package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/filter/grok"
	"github.com/appstack/appstack/internal/plugin"
)

// TestGenerateApacheLinesMatchCombinedApacheLog: every generated line is
// one grok's %{COMBINEDAPACHELOG} parses, with its timestamp in the
// date filter's format.
func TestGenerateApacheLinesMatchCombinedApacheLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "apache.log")
	const n = 2000
	if _, err := generateApache(path, n); err != nil {
		t.Fatal(err)
	}
	f := filtertest.Build(t, `grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }`, grok.New)
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	lines := 0
	for sc.Scan() {
		lines++
		e := &event.Event{Fields: []event.Field{{Key: "message", Value: event.String(sc.Text())}}}
		if f.Apply(e) != plugin.Match {
			t.Fatalf("line %d does not match COMBINEDAPACHELOG: %q", lines, sc.Text())
		}
		ts := filtertest.JSON(e, "timestamp")
		if _, err := time.Parse(`"02/Jan/2006:15:04:05 -0700"`, ts); err != nil {
			t.Fatalf("line %d: timestamp %s: %v", lines, ts, err)
		}
	}
	if lines != n {
		t.Errorf("generated %d lines; want %d", lines, n)
	}
}

// TestRsyslogParsesLikeGrokAndDate runs the benchmark's rsyslog side
// (imfile → mmnormalize → parse_time → omfile) on a few thousand lines
// and checks its output as the benchmark does: every line parsed, every
// 100th @timestamp equal to the line's time in UTC.
func TestRsyslogParsesLikeGrokAndDate(t *testing.T) {
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Fatalf("rsyslogd is required (apt-get install rsyslog): %v", err)
	}
	dir := t.TempDir()
	o := options{lines: 3000, waitTimeout: time.Minute}
	input := filepath.Join(dir, "apache.log")
	if _, err := generateApache(input, o.lines); err != nil {
		t.Fatal(err)
	}
	r, err := parseRsyslog(context.Background(), o, rsyslogd, dir, input)
	if err != nil {
		t.Fatal(err)
	}
	if r.elapsed <= 0 || r.peakRSS <= 0 {
		t.Errorf("run = %+v; want a duration and a peak RSS", r)
	}
}

func TestCheckParsedFindsFailures(t *testing.T) {
	t.Parallel()
	good := `{"@timestamp":"2017-07-19T13:34:57.000Z","clientip":"1.2.3.4","timestamp":"19/Jul/2017:15:34:57 +0200"}`
	tests := []struct {
		name, text, want string
	}{
		{"a parsed line", good + "\n", ""},
		{"a line without fields", `{"message":"x"}` + "\n", "was not parsed"},
		{"a failure tag", strings.Replace(good, `}`, `,"tags":["_grokparsefailure"]}`, 1) + "\n", "_grokparsefailure"},
		{"a wrong @timestamp", strings.Replace(good, "13:34", "15:34", 1) + "\n", "@timestamp"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "out.json")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		err := checkParsed(path, "x", "2006-01-02T15:04:05.000Z", "_grokparsefailure")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: checkParsed = %v; want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: checkParsed = %v; want an error about %q", tt.name, err, tt.want)
		}
	}
}
