package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	cmd.Env = []string{"HTTP_PORT=" + strconv.Itoa(freePort(t))}
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
	start := time.Now()
	if r := roundTrip(t, a.Addr, get("/")); !strings.Contains(r.StatusLine, " 200 ") || r.Get("Set-Cookie") != "" || time.Since(start) > time.Second {
		t.Errorf("GET / before Redis took %v:\n%s\nwant 200 JSON without a session, fast", time.Since(start), r)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(roundTrip(t, a.Addr, get("/readyz")).StatusLine, " 200 ") {
		if time.Now().After(deadline) {
			t.Fatal("/readyz not 200 within 5 s of Redis starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := roundTrip(t, a.Addr, get("/")); r.Get("Set-Cookie") == "" {
		t.Errorf("no session once Redis is up:\n%s", r)
	}
}

// TestShutdownDrainsInFlightRequests sends SIGTERM while a request waits
// for a paused Redis: the listener closes at once, the request completes,
// its access log line is flushed, and webapp exits 0.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	p := startProc(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port),
		"SESSION_WAIT_REPLICAS": "0", "SESSION_RETRY_BUDGET": "5s"})
	if r := roundTrip(t, p.addr, get("/")); r.Get("Set-Cookie") == "" {
		t.Fatalf("warm-up request:\n%s", r)
	}
	srv.Do("CLIENT", "PAUSE", "1500", "WRITE")
	type result struct {
		r rawResponse
		d time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		r := roundTrip(t, p.addr, get("/hello/inflight"))
		done <- result{r, time.Since(start)}
	}()
	time.Sleep(300 * time.Millisecond)
	p.signal(t, syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
		c.Close()
		t.Error("webapp still accepts connections after SIGTERM")
	}
	res := <-done
	if !strings.Contains(res.r.StatusLine, " 200 ") || string(res.r.Body) != "{\n  \"hello\": \"inflight\"\n}" || res.r.Get("Set-Cookie") == "" {
		t.Errorf("in-flight request after SIGTERM:\n%s\nwant it completed with its session", res.r)
	}
	if res.d < time.Second {
		t.Errorf("in-flight request took %v; it should have waited for Redis's pause", res.d)
	}
	if err := p.wait(t, 10*time.Second); err != nil {
		t.Errorf("webapp exit after SIGTERM: %v; want status 0\n%s", err, p.stderr)
	}
	b, _ := os.ReadFile(p.logFile)
	if !strings.Contains(string(b), `"GET /hello/inflight HTTP/1.1" 200 25`) {
		t.Errorf("access log after shutdown lacks the in-flight request:\n%s", b)
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
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.stderr.String(), "reopened access log") {
		if time.Now().After(deadline) {
			t.Fatalf("no reopen after SIGHUP:\n%s", p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	roundTrip(t, p.addr, get("/hello/after"))
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t, 10*time.Second); err != nil {
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
