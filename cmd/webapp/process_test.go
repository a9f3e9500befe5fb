package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/syncbuf"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// webappBinary builds cmd/webapp once per test run.
func webappBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "webapp-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "webapp")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build webapp: %v", buildErr)
	}
	return binPath
}

// proc is the webapp binary running as its own process.
type proc struct {
	cmd     *exec.Cmd
	addr    string
	logFile string
	stderr  *syncbuf.Buffer
	exited  chan error
}

func startProc(t *testing.T, env map[string]string) *proc {
	t.Helper()
	p := &proc{stderr: &syncbuf.Buffer{}, exited: make(chan error, 1), logFile: filepath.Join(t.TempDir(), "logs", "nodeapp.log")}
	p.cmd = exec.Command(webappBinary(t))
	p.cmd.Env = []string{"HTTP_PORT=0", "LOG_FILE=" + p.logFile}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	stdout, _ := p.cmd.StdoutPipe()
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Listening on port "); ok {
				port <- v
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	select {
	case v := <-port:
		p.addr = "127.0.0.1:" + v
	case err := <-p.exited:
		t.Fatalf("webapp exited at start: %v\n%s", err, p.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("webapp did not start\n%s", p.stderr)
	}
	return p
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.exited:
		return err
	case <-time.After(d):
		t.Fatalf("webapp still running %v after the signal\n%s", d, p.stderr)
		return nil
	}
}

func TestNoSecretIsAClearStartupError(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(webappBinary(t))
	cmd.Env = []string{"HTTP_PORT=0", "LOG_FILE=" + filepath.Join(t.TempDir(), "x.log")}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("webapp without a secret: %v; want exit status 1", err)
	}
	if !strings.Contains(string(out), "SESSION_SECRET or SESSION_SECRET_FILE is required") {
		t.Errorf("output %q does not say which variable is missing", out)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port)})
	_, port, _ := net.SplitHostPort(a.Addr)
	check := func() error {
		cmd := exec.Command(webappBinary(t), "healthcheck")
		cmd.Env = []string{"HTTP_PORT=" + port}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return errors.New(strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := check(); err != nil {
		t.Errorf("healthcheck of a ready webapp: %v", err)
	}
	srv.Kill()
	if err := check(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("healthcheck with Redis down = %v; want a failure naming the 503", err)
	}
	cmd := exec.Command(webappBinary(t), "healthcheck")
	cmd.Env = []string{"HTTP_PORT=" + strconv.Itoa(freeport.Get(t))}
	if err := cmd.Run(); err == nil {
		t.Error("healthcheck with nothing listening succeeded")
	}
	if err := run(context.Background(), []string{"webapp", "bogus"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("an unknown subcommand succeeded")
	}
}

// TestStartsBeforeRedis: webapp comes up while Redis is down, answers
// without sessions and is not ready; when Redis comes up it is.
func TestStartsBeforeRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	srv.Kill()
	a := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port), "SESSION_WAIT_REPLICAS": "0"})
	if r := roundTrip(t, a.Addr, get("/readyz")); !strings.Contains(r.StatusLine, " 503 ") || !strings.Contains(string(r.Body), "unavailable") {
		t.Errorf("/readyz before Redis:\n%s\nwant 503 JSON", r)
	}
	if r := roundTrip(t, a.Addr, get("/")); !strings.Contains(r.StatusLine, " 200 ") || r.Get("Set-Cookie") != "" {
		t.Errorf("GET / before Redis:\n%s\nwant 200 JSON without a session", r)
	}
	srv.Restart()
	waitFor(t, "/readyz to be 200 after Redis started", func() bool {
		return strings.Contains(roundTrip(t, a.Addr, get("/readyz")).StatusLine, " 200 ")
	})
	if r := roundTrip(t, a.Addr, get("/")); r.Get("Set-Cookie") == "" {
		t.Errorf("no session once Redis is up:\n%s", r)
	}
}

// TestShutdownDrainsInFlightRequests sends SIGTERM while a request waits
// for a paused Redis: the listener closes, the request completes once
// Redis is back, its access log line is flushed, and webapp exits 0.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := startProc(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port),
		"SESSION_WAIT_REPLICAS": "0", "SESSION_RETRY_BUDGET": "30s"})
	if r := roundTrip(t, p.addr, get("/")); r.Get("Set-Cookie") == "" {
		t.Fatalf("warm-up request:\n%s", r)
	}
	srv.Do("CLIENT", "PAUSE", "5000", "WRITE")
	done := getAsync(p.addr, "/hello/inflight")
	waitRetrying(t, p.addr)
	p.signal(t, syscall.SIGTERM)
	waitFor(t, "the listener to close after SIGTERM", func() bool {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	res := <-done
	// Its session was saved: the request waited for Redis's pause.
	if res.err != nil || res.status != 200 || res.body != "{\n  \"hello\": \"inflight\"\n}" || res.setCookie == "" {
		t.Errorf("in-flight request after SIGTERM = %+v; want it completed with its session", res)
	}
	if err := p.wait(t, 20*time.Second); err != nil {
		t.Errorf("webapp exit after SIGTERM: %v; want status 0\n%s", err, p.stderr)
	}
	b, _ := os.ReadFile(p.logFile)
	if !strings.Contains(string(b), `"GET /hello/inflight HTTP/1.1" 200 25`) {
		t.Errorf("access log after shutdown lacks the in-flight request:\n%s", b)
	}
}

// TestShutdownStopsRetries: a request retrying a Redis that stays paused
// gives up in time to be answered (without a session) within
// SHUTDOWN_TIMEOUT, rather than retrying for its budget and being cut off.
func TestShutdownStopsRetries(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := startProc(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port),
		"SESSION_WAIT_REPLICAS": "0", "SESSION_RETRY_BUDGET": "1m", "SHUTDOWN_TIMEOUT": "5s"})
	roundTrip(t, p.addr, get("/")) // a pooled connection to pause
	srv.Do("CLIENT", "PAUSE", "120000", "WRITE")
	done := getAsync(p.addr, "/hello/held")
	waitRetrying(t, p.addr)
	p.signal(t, syscall.SIGTERM)
	res := <-done
	if res.err != nil || res.status != 200 || res.body != "{\n  \"hello\": \"held\"\n}" || res.setCookie != "" {
		t.Errorf("request retrying at SIGTERM = %+v; want 200 without a session, answered before the shutdown timeout", res)
	}
	if err := p.wait(t, 20*time.Second); err != nil {
		t.Errorf("webapp exit after SIGTERM: %v; want status 0\n%s", err, p.stderr)
	}
	if strings.Contains(p.stderr.String(), "cut off") {
		t.Errorf("stderr:\n%s\nwant the request drained, not cut off", p.stderr)
	}
}

// TestSecondSignalForcesExit: while a request holds the drain, a second
// SIGTERM makes webapp exit at once, non-zero, with its access log
// written out.
func TestSecondSignalForcesExit(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := startProc(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port),
		"SESSION_WAIT_REPLICAS": "0", "SESSION_RETRY_BUDGET": "1m", "SHUTDOWN_TIMEOUT": "5m"})
	roundTrip(t, p.addr, get("/hello/before"))
	srv.Do("CLIENT", "PAUSE", "120000", "WRITE")
	getAsync(p.addr, "/hello/held") // retries for a minute: the drain would wait for it
	waitRetrying(t, p.addr)
	p.signal(t, syscall.SIGTERM)
	waitFor(t, "webapp to start shutting down", func() bool { return strings.Contains(p.stderr.String(), "shutting down") })
	p.signal(t, syscall.SIGTERM)
	err := p.wait(t, 20*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("webapp exit after a second SIGTERM: %v; want status 1\n%s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "second signal") {
		t.Errorf("stderr:\n%s\nwant it to say a second signal cut the shutdown short", p.stderr)
	}
	if b, _ := os.ReadFile(p.logFile); !strings.Contains(string(b), `"GET /hello/before HTTP/1.1" 200`) {
		t.Errorf("access log after a forced exit:\n%s\nwant the earlier request's line", b)
	}
}

// result is an HTTP response, or the error that took its place.
type result struct {
	status          int
	body, setCookie string
	err             error
}

// getAsync sends GET path in the background; the channel gets the result.
func getAsync(addr, path string) <-chan result {
	done := make(chan result, 1)
	go func() {
		client := &http.Client{Timeout: 2 * time.Minute}
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: string(b), setCookie: resp.Header.Get("Set-Cookie"), err: err}
	}()
	return done
}

// waitRetrying waits until a request's session save is retrying, as
// webapp's metrics count it.
func waitRetrying(t *testing.T, addr string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	waitFor(t, "a session save to retry", func() bool {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, `webapp_session_store_retries_total{op="set"} `); ok {
				n, _ := strconv.ParseFloat(v, 64)
				return n > 0
			}
		}
		return false
	})
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSIGHUPReopensTheLog is logrotate's rename and HUP on the real
// binary.
func TestSIGHUPReopensTheLog(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := startProc(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port), "SESSION_WAIT_REPLICAS": "0"})
	roundTrip(t, p.addr, get("/hello/before"))
	logLines(t, p.logFile, 1)
	if err := os.Rename(p.logFile, p.logFile+".1"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, p.addr, get("/hello/renamed")) // still goes to the renamed file
	p.signal(t, syscall.SIGHUP)
	waitFor(t, "the log to be reopened after SIGHUP", func() bool { return strings.Contains(p.stderr.String(), "reopened access log") })
	roundTrip(t, p.addr, get("/hello/after"))
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	old, _ := os.ReadFile(p.logFile + ".1")
	cur, _ := os.ReadFile(p.logFile)
	if !strings.Contains(string(old), "/hello/before") || !strings.Contains(string(old), "/hello/renamed") || strings.Contains(string(old), "/hello/after") {
		t.Errorf("rotated file:\n%s\nwant the lines from before the HUP", old)
	}
	if !strings.Contains(string(cur), "/hello/after") || strings.Count(string(cur), "\n") != 1 {
		t.Errorf("new file:\n%s\nwant only the line after the HUP", cur)
	}
	if st, err := os.Stat(p.logFile); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("new log file mode: %v, %v; want 0644", st, err)
	}
}
