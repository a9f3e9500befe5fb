package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/nodetest"
	"github.com/appstack/appstack/internal/syncbuf"
)

// app is a running web app under test: webapp in-process, or the seed's
// Node app.
type app struct {
	Name    string
	Addr    string
	LogFile string
	Stderr  *syncbuf.Buffer
	done    chan struct{} // closed once the app has exited, with err
	err     error
	stop    func()
}

// Stop stops the app and waits for it; it returns run's error.
func (a *app) Stop() error {
	a.stop()
	select {
	case <-a.done:
		return a.err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not stop within 30s", a.Name)
	}
}

// startWebapp runs webapp's run in-process with env (HTTP_PORT defaults
// to 0, LOG_FILE to a temporary file) and waits until it listens.
func startWebapp(tb testing.TB, env map[string]string) *app {
	tb.Helper()
	e := map[string]string{"HTTP_PORT": "0", "LOG_FILE": filepath.Join(tb.TempDir(), "log", "webapp.log")}
	for k, v := range env {
		e[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &app{Name: "webapp", LogFile: e["LOG_FILE"], Stderr: &syncbuf.Buffer{}, done: make(chan struct{}), stop: cancel}
	port := make(chan string, 1)
	stdout := &lineWriter{fn: func(line string) {
		if p, ok := strings.CutPrefix(line, "Listening on port "); ok {
			port <- p
		}
	}}
	go func() {
		a.err = run(ctx, []string{"webapp"}, func(k string) string { return e[k] }, stdout, a.Stderr)
		close(a.done)
	}()
	select {
	case p := <-port:
		a.Addr = "127.0.0.1:" + p
	case <-a.done:
		cancel()
		tb.Fatalf("webapp exited at start: %v\n%s", a.err, a.Stderr)
	case <-time.After(10 * time.Second):
		cancel()
		tb.Fatalf("webapp did not listen within 10s\n%s", a.Stderr)
	}
	tb.Cleanup(func() {
		cancel()
		<-a.done
	})
	return a
}

// startNode runs the seed's server.js on Redis at redisPort.
func startNode(tb testing.TB, redisPort int) *app {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("node is required for the interop tests: %v", err)
	}
	port := freeport.Get(tb)
	a := &app{Name: "node", Addr: "127.0.0.1:" + strconv.Itoa(port), LogFile: filepath.Join(tb.TempDir(), "node.log"), Stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd := exec.Command(node, "server.js")
	cmd.Dir = nodetest.SeedApp(tb)
	cmd.Env = append(os.Environ(), "REDIS_HOST=127.0.0.1", "REDIS_PORT="+strconv.Itoa(redisPort),
		"HTTP_PORT="+strconv.Itoa(port), "LOG_FILE="+a.LogFile)
	cmd.Stdout, cmd.Stderr = a.Stderr, a.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start node: %v", err)
	}
	go func() {
		a.err = cmd.Wait()
		close(a.done)
	}()
	a.stop = func() { _ = cmd.Process.Kill() }
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-a.done
	})
	waitListening(tb, a)
	return a
}

func waitListening(tb testing.TB, a *app) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", a.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not listening on %s after 15s: %v\n%s", a.Name, a.Addr, err, a.Stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawResponse is an HTTP response as it came off the wire.
type rawResponse struct {
	StatusLine string
	Header     [][2]string // in wire order and case
	Body       []byte
}

func (r rawResponse) Get(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func (r rawResponse) String() string {
	var b strings.Builder
	b.WriteString(r.StatusLine + "\n")
	for _, h := range r.Header {
		b.WriteString(h[0] + ": " + h[1] + "\n")
	}
	b.WriteString("\n" + strconv.Quote(string(r.Body)))
	return b.String()
}

// roundTrip sends req, raw bytes, on a fresh connection and reads one
// response. Bodies are read by Content-Length, or to EOF without one;
// HEAD, 204 and 304 responses have none.
func roundTrip(tb testing.TB, addr, req string) rawResponse {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		tb.Fatalf("write request: %v", err)
	}
	br := bufio.NewReader(c)
	var resp rawResponse
	line, err := br.ReadString('\n')
	if err != nil {
		tb.Fatalf("read status line from %s for %q: %v", addr, req, err)
	}
	resp.StatusLine = strings.TrimRight(line, "\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			tb.Fatalf("read header: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		resp.Header = append(resp.Header, [2]string{k, strings.TrimSpace(v)})
	}
	code := strings.Fields(resp.StatusLine)[1]
	if strings.HasPrefix(req, "HEAD ") || code == "304" || code == "204" {
		return resp
	}
	if cl := resp.Get("Content-Length"); cl != "" {
		n, _ := strconv.Atoi(cl)
		resp.Body = make([]byte, n)
		if _, err := io.ReadFull(br, resp.Body); err != nil {
			tb.Fatalf("read body: %v", err)
		}
		return resp
	}
	resp.Body, _ = io.ReadAll(br)
	return resp
}

// lineWriter calls fn for each complete line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// logLines returns the lines of path, waiting up to 2 s for at least n.
func logLines(tb testing.TB, path string, n int) []string {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(b) == 0 {
			lines = nil
		}
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}
