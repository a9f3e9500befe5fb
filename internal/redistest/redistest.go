// Package redistest starts real redis-server processes for tests.
//
// Every server gets its own port, its own temporary directory and a
// t.Cleanup that stops it, so tests can run in parallel.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/proctest"
)

// startTimeout bounds how long a server may take to answer PING.
const startTimeout = 10 * time.Second

// Server is one redis-server process owned by a test.
type Server struct {
	// Addr is host:port on the loopback interface.
	Addr string
	// Port is the TCP port of Addr.
	Port int
	// Dir holds the server's data and log file.
	Dir string
	// LogFile is the server's log file, inside Dir.
	LogFile string

	tb   testing.TB
	args []string
	proc *proctest.Process
	// sentinelConf is the config file of a Sentinel, "" for a server.
	sentinelConf string
}

// Start starts redis-server with the given extra directives, each a
// "--name value" pair as redis-server takes them on its command line, and
// waits until it answers PING. It fails the test if redis-server is not on
// PATH: integration tests must not pass by skipping.
func Start(tb testing.TB, directives ...string) *Server {
	tb.Helper()
	s := &Server{tb: tb, Dir: tb.TempDir(), args: directives}
	s.LogFile = filepath.Join(s.Dir, "redis.log")
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.start(freeport.Get(tb)); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: start redis-server: %v", err)
	return nil
}

// Restart starts the server again on the same port, with the same data
// directory, after Stop or Kill.
func (s *Server) Restart() {
	s.tb.Helper()
	if err := s.start(s.Port); err != nil {
		s.tb.Fatalf("redistest: restart redis-server: %v", err)
	}
}

func (s *Server) start(port int) error {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server is required (apt-get install redis-server): %w", err)
	}
	s.Port = port
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", s.Dir,
		"--logfile", s.LogFile,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
	}
	if s.sentinelConf != "" {
		// Sentinel rewrites its config file, so it comes first and stays.
		args = []string{s.sentinelConf, "--sentinel",
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", s.Dir,
			"--logfile", s.LogFile,
			"--daemonize", "no",
		}
	}
	args = append(args, s.args...)
	cmd := exec.Command(path, args...)
	proc, err := proctest.Start(cmd)
	if err != nil {
		return err
	}
	s.proc = proc

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.proc.Exited():
			return fmt.Errorf("redis-server exited early: %s", tail(s.LogFile))
		default:
		}
		if ping(s.Addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on %s not ready after %s: %s", s.Addr, startTimeout, tail(s.LogFile))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down gracefully (SIGTERM) and waits for it. It is
// safe to call more than once.
func (s *Server) Stop() { s.signal(os.Interrupt) }

// Kill stops the server with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() { s.signal(os.Kill) }

func (s *Server) signal(sig os.Signal) { s.proc.Signal(sig, startTimeout) }

// Client returns a go-redis client for the server, closed at cleanup.
// opts may be nil; its Addr is always overwritten.
func (s *Server) Client(opts *redis.Options) *redis.Client {
	s.tb.Helper()
	if opts == nil {
		opts = &redis.Options{}
	}
	o := *opts
	o.Addr = s.Addr
	c := redis.NewClient(&o)
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Do runs one command on a fresh admin connection and fails the test on
// error. It is for setting up fixtures.
func (s *Server) Do(args ...any) any {
	s.tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		s.tb.Fatalf("redistest: %v: %v", args, err)
	}
	return v
}

// CommandCalls returns how many times the server has run cmd (lower
// case, as INFO commandstats names it).
func (s *Server) CommandCalls(cmd string) int {
	s.tb.Helper()
	info, _ := s.Do("INFO", "commandstats").(string)
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// ReplicaOf starts a second server replicating from s and waits until the
// link is up.
func (s *Server) ReplicaOf(directives ...string) *Server {
	s.tb.Helper()
	r := Start(s.tb, append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(s.Port)}, directives...)...)
	deadline := time.Now().Add(startTimeout)
	for {
		info, _ := r.Do("INFO", "replication").(string)
		if strings.Contains(info, "master_link_status:up") {
			return r
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("redistest: replica %s never linked to %s: %s", r.Addr, s.Addr, tail(r.LogFile))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitAcked waits until a replica acknowledges the primary s's writes
// (WAIT 1): a replica that has just synced acknowledges nothing for up to
// a second, so a test that needs WAIT to succeed waits for this first.
func (s *Server) WaitAcked() {
	s.tb.Helper()
	s.Do("SET", "redistest:replication-probe", "1")
	deadline := time.Now().Add(20 * time.Second)
	for {
		// WAIT returns as soon as a replica acknowledges, or after 1 s.
		if n, _ := s.Do("WAIT", "1", "1000").(int64); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("redistest: no replica of %s acknowledged a write within 20 s", s.Addr)
		}
	}
	s.Do("DEL", "redistest:replication-probe")
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	// -NOAUTH also proves the server is up and serving.
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
