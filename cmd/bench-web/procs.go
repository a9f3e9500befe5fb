package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appstack/appstack/internal/procstat"
)

// bench owns the processes of one run.
type bench struct {
	ctx    context.Context
	dir    string
	stderr io.Writer
	wrk    wrkConfig
	procs  []*exec.Cmd
	errs   []error
	// redisPort is the primary's; redisPids are the primary's and the
	// replica's processes, whose CPU time is measured.
	redisPort string
	redisPids []int
	scripts   int // Lua scripts written, to name the next
}

type redisProc struct {
	port string
	pid  int
}

type app struct {
	name string
	addr string
	cmd  *exec.Cmd
}

func (b *bench) start(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	b.procs = append(b.procs, cmd)
	return nil
}

func (b *bench) stopAll() {
	for i := len(b.procs) - 1; i >= 0; i-- {
		p := b.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
}

func (b *bench) startRedis(name string, args ...string) (*redisProc, error) {
	port := strconv.Itoa(freePort())
	dir := filepath.Join(b.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log")}, args...)...)
	if err := b.start(cmd); err != nil {
		return nil, err
	}
	if err := waitTCP(b.ctx, "127.0.0.1:"+port); err != nil {
		return nil, fmt.Errorf("redis %s: %w", name, err)
	}
	return &redisProc{port: port, pid: cmd.Process.Pid}, nil
}

// waitReplica waits until the primary on port has a replica online.
func waitReplica(ctx context.Context, port string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.CommandContext(ctx, "redis-cli", "-p", port, "INFO", "replication").Output()
		if strings.Contains(string(out), "state=online") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no replica online after 10s: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startApp starts an app listening on a free port given as HTTP_PORT.
func (b *bench) startApp(name, dir, bin string, args []string, env map[string]string) (*app, error) {
	port := strconv.Itoa(freePort())
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HTTP_PORT="+port, "LOG_FILE="+filepath.Join(b.dir, name+".log"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logf, err := os.Create(filepath.Join(b.dir, name+".stderr"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := b.start(cmd); err != nil {
		return nil, err
	}
	a := &app{name: name, addr: "127.0.0.1:" + port, cmd: cmd}
	if err := waitTCP(b.ctx, a.addr); err != nil {
		out, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s (log:\n%s): %w", name, out, err)
	}
	return a, nil
}

// peakRSS is the process's VmHWM.
func (a *app) peakRSS() (int64, error) {
	n, err := procstat.PeakRSS(a.cmd.Process.Pid)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", a.name, err)
	}
	return n, nil
}

func waitTCP(ctx context.Context, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after 15s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
