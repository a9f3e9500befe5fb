package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/syncbuf"
)

func noEnv(string) string { return "" }

// started runs logship in-process and returns its streams and a stop
// function that cancels it (as SIGTERM does) and returns run's error.
func started(tb testing.TB, args ...string) (stdout, stderr *syncbuf.Buffer, stop func() error) {
	tb.Helper()
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"logship"}, args...), noEnv, stdout, stderr) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = fmt.Errorf("run did not return 30s after cancel")
			}
		})
		return err
	}
	tb.Cleanup(func() { _ = stop() })
	return stdout, stderr, stop
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigTest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("input {\n  file {\n    path => \"/x\"\n    colour => \"red\"\n  }\n}\noutput { stdout {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"the seed config passes unchanged", []string{"-t", "-f", "../../internal/lsconf/testdata/seed-logstash.conf"}, "", "Configuration OK\n"},
		{"an unknown option names file, line and column", []string{"-t", "-f", bad}, bad + ":4:5: unknown option \"colour\"", ""},
		{"an inline config is checked too", []string{"-t", "-e", "input { file { path => \"/x\" } } output { nope {} }"}, "config string:1:42: output plugin \"nope\" is not supported by logship (supported outputs: elasticsearch, file, redis, stdout)", ""},
		{"inline config without output defaults to stdout", []string{"-t", "-e", "input { file { path => \"/x\" } }"}, "", "Configuration OK\n"},
		{"a missing config file is an error", []string{"-t", "-f", filepath.Join(dir, "none.conf")}, "no such file", ""},
		{"unknown flags are errors", []string{"--nope"}, "flag provided but not defined", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"logship"}, tt.args...), noEnv, &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("run(%q) = %v; want nil", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("run(%q) = %v; want an error containing %q", tt.args, err, tt.wantErr)
			}
			if stdout.String() != tt.wantOut {
				t.Errorf("stdout = %q; want %q", stdout.String(), tt.wantOut)
			}
		})
	}
}

// TestSeedConfigRunsUnchanged runs the seed's logstash.conf as is: its
// files do not exist on this machine, which is reported, not fatal.
func TestSeedConfigRunsUnchanged(t *testing.T) {
	t.Parallel()
	port := freeport.Get(t)
	_, stderr, stop := started(t, "-f", "../../internal/lsconf/testdata/seed-logstash.conf",
		"--path.data", t.TempDir(), "--http.port", strconv.Itoa(port))
	waitFor(t, "healthcheck to pass", func() bool {
		return run(context.Background(), []string{"logship", "healthcheck", "--http.port", strconv.Itoa(port)}, noEnv, &bytes.Buffer{}, &bytes.Buffer{}) == nil
	})
	if _, err := os.Stat("/var/log/nodeapp/nodeapp.log"); err != nil {
		waitFor(t, "the missing file to be reported", func() bool {
			return strings.Contains(stderr.String(), `"path":"/var/log/nodeapp/nodeapp.log","reason":"missing"`)
		})
	}
	if err := stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	if err := run(context.Background(), []string{"logship", "healthcheck", "--http.port", strconv.Itoa(port)}, noEnv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("healthcheck after stop = nil; want an error")
	}
}

func TestShipsLinesToStdoutAsRubydebugAndDiagnosticsToStderrAsJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	if err := os.WriteFile(logFile, []byte("first \"line\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cfg := fmt.Sprintf(`input { file { path => %q type => "syslog" } } output { stdout { codec => rubydebug } }`, logFile)
	stdout, stderr, stop := started(t, "-e", cfg, "--path.data", data)
	waitFor(t, "the first event", func() bool { return strings.Count(stdout.String(), "\n}\n") == 1 })
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "second")
	f.Close()
	waitFor(t, "the second event", func() bool { return strings.Count(stdout.String(), "\n}\n") == 2 })
	if err := stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
	host, _ := os.Hostname()
	out := stdout.String()
	for _, want := range []string{
		`          "path" => "` + logFile + `",`,
		`       "message" => "first \"line\"",`,
		`       "message" => "second",`,
		`      "@version" => "1",`,
		`          "host" => "` + host + `",`,
		`          "type" => "syslog"` + "\n}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, block := range strings.SplitAfter(out, "}\n") {
		if block != "" && !strings.HasPrefix(block, "{\n") {
			t.Errorf("stdout holds something other than events: %q", block)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["level"] == nil || m["msg"] == nil {
			t.Errorf("stderr line is not slog JSON: %q", sc.Text())
		}
	}
	reg, err := os.ReadFile(filepath.Join(data, "registry.json"))
	if err != nil || !strings.Contains(string(reg), `"offset": 20`) {
		t.Errorf("registry after stop = %s, %v; want offset 20 saved", reg, err)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	if err := os.WriteFile(logFile, []byte("a\nb\npartial"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeport.Get(t)
	cfg := fmt.Sprintf(`input { file { path => %q } } output { file { path => %q } }`, logFile, filepath.Join(dir, "out.json"))
	_, _, _ = started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"), "--http.port", strconv.Itoa(port))
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var body string
	waitFor(t, "metrics", func() bool {
		body = httpGet(url)
		return strings.Contains(body, `logship_events_sent_total{output="file.0"} 2`)
	})
	for _, want := range []string{
		"logship_events_read_total 2",
		fmt.Sprintf(`logship_file_bytes_behind{path=%q} 7`, logFile),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "logship_") {
			t.Errorf("metric without the logship_ prefix: %q", line)
		}
	}
}

func TestBusyAPIPortFailsAtStartup(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	cfg := fmt.Sprintf(`input { file { path => %q } }`, filepath.Join(dir, "*.log"))
	err = run(context.Background(), []string{"logship", "-e", cfg, "--path.data", filepath.Join(dir, "data"), "--http.port", strconv.Itoa(port)},
		noEnv, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("run on a busy port = %v; want a listen error", err)
	}
}
