package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/syncbuf"
)

var binary string // the real logship binary, built once by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "logship-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "logship")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build logship: %v\n%s", err, out)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writer appends numbered lines to dir/app.log in bursts and rotates the
// file by rename every rotateEvery lines, as logrotate without
// copytruncate does (the writer reopens right away).
func writer(tb testing.TB, dir string, total, burst, rotateEvery int, pause time.Duration, done chan<- struct{}) {
	defer close(done)
	path := filepath.Join(dir, "app.log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		tb.Error(err)
		return
	}
	rotations := 0
	var b strings.Builder
	for i := 0; i < total; {
		b.Reset()
		for j := 0; j < burst && i < total; j++ {
			fmt.Fprintf(&b, "line %06d %s\n", i, strings.Repeat("x", i%50))
			i++
			if i%rotateEvery == 0 {
				if _, err := f.WriteString(b.String()); err != nil {
					tb.Error(err)
				}
				b.Reset()
				f.Close()
				rotations++
				if err := os.Rename(path, fmt.Sprintf("%s.%d", path, rotations)); err != nil {
					tb.Error(err)
				}
				if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
					tb.Error(err)
					return
				}
			}
		}
		if _, err := f.WriteString(b.String()); err != nil {
			tb.Error(err)
		}
		time.Sleep(pause)
	}
	f.Close()
}

// registered reports whether the registry saved in data holds the file
// now at path (or there is none).
func registered(tb testing.TB, data, path string) bool {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		return true
	}
	b, err := os.ReadFile(filepath.Join(data, registry.FileName))
	if err != nil {
		return false
	}
	var saved struct {
		Entries []struct {
			Ino uint64 `json:"ino"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		return false // being replaced: read it again
	}
	ino := fi.Sys().(*syscall.Stat_t).Ino
	for _, e := range saved.Entries {
		if e.Ino == ino {
			return true
		}
	}
	return false
}

// counts reads the json_lines output and counts each message.
func counts(tb testing.TB, path string) (map[string]int, int) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	m := map[string]int{}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct{ Message string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatalf("output line %d is not a JSON event: %q", total+1, sc.Text())
		}
		m[e.Message]++
		total++
	}
	return m, total
}

// TestCrashLosesNothing kills the real binary with SIGKILL at random
// moments while a writer appends and rotates, restarts it each time, and
// checks that the output holds every line; duplicates come only from
// replaying what was not yet saved as acknowledged.
func TestCrashLosesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
	}{
		// The glob also matches rotated files, so a file rotated away while
		// logship is down is found by the glob.
		{"glob", "app.log*"},
		// The seed's config names exact paths: a file rotated away while
		// logship is down matches no more and is found through the registry.
		{"exact path", "app.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			crashLosesNothing(t, tt.path)
		})
	}
}

func crashLosesNothing(t *testing.T, pattern string) {
	dir := t.TempDir()
	logs, data, out := filepath.Join(dir, "logs"), filepath.Join(dir, "data"), filepath.Join(dir, "out", "out.json")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`input { file { path => %q } } output { file { path => %q } }`, filepath.Join(logs, pattern), out)
	// Every run's log, kept so that a failure shows the whole history.
	history, kills := &syncbuf.Buffer{}, 0
	start := func() *exec.Cmd {
		cmd := exec.Command(binary, "-e", cfg, "--path.data", data)
		fmt.Fprintf(history, "--- run %d\n", kills+1)
		cmd.Stderr = history
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	const total = 40_000
	done := make(chan struct{})
	go writer(t, logs, total, 200, 6_000, 20*time.Millisecond, done)

	rng := rand.New(rand.NewSource(1))
	for writing := true; writing; {
		cmd := start()
		select {
		case <-done:
			writing = false
		case <-time.After(time.Duration(50+rng.Intn(400)) * time.Millisecond):
		}
		if !strings.ContainsAny(pattern, "*?[") {
			// An exact path finds a file rotated away while logship is down
			// only through the registry: a file created and rotated away
			// before its entry was ever saved is out of reach, as README's
			// "Delivery" says. Kill once the file at the path is saved.
			waitFor(t, "the registry to hold the file at "+pattern, func() bool { return registered(t, data, filepath.Join(logs, pattern)) })
		}
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
		kills++
	}
	cmd := start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen, _ := counts(t, out)
		if len(seen) == total {
			break
		}
		if time.Now().After(deadline) {
			missing := []string{}
			for i := 0; i < total && len(missing) < 5; i++ {
				if m := fmt.Sprintf("line %06d %s", i, strings.Repeat("x", i%50)); seen[m] == 0 {
					missing = append(missing, m)
				}
			}
			reg, _ := os.ReadFile(filepath.Join(data, registry.FileName))
			t.Fatalf("after %d kills, output holds %d of %d lines; first missing: %q\nregistry: %s\nlogs of every run:\n%s", kills, len(seen), total, missing, reg, history)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logship after SIGTERM: %v\n%s", err, history)
	}
	seen, lines := counts(t, out)
	dups := lines - total
	for m, n := range seen {
		if n > kills+1 {
			t.Errorf("%q delivered %d times after %d kills; a line is replayed at most once per kill", m, n, kills)
		}
	}
	t.Logf("%d kills, %d lines, %d duplicates (replayed unacknowledged tails)", kills, total, dups)
	if kills < 5 {
		t.Errorf("only %d kills: the test did not exercise crashes", kills)
	}
}

// TestUnreadableFileIsRetried runs logship as an unprivileged user (root
// reads any file) on a file it may not read: it reports the file, ships
// the others, and ships this one too once it becomes readable.
func TestUnreadableFileIsRetried(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for p := dir; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	okLog, secret := filepath.Join(dir, "ok.log"), filepath.Join(dir, "secret.log")
	if err := os.WriteFile(okLog, []byte("readable\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("hidden\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`input { file { path => %q stat_interval => 0.1 } } output { stdout { codec => json_lines } }`, filepath.Join(dir, "*.log"))
	cmd := exec.Command(binary, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	stdout, stderr := &syncbuf.Buffer{}, &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitFor(t, "the readable file's line", func() bool { return strings.Contains(stdout.String(), `"message":"readable"`) })
	waitFor(t, "the unreadable file reported", func() bool {
		return strings.Contains(stderr.String(), `"path":"`+secret+`","reason":"open"`) && strings.Contains(stderr.String(), "permission denied")
	})
	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file's line once readable", func() bool { return strings.Contains(stdout.String(), `"message":"hidden"`) })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("logship after SIGTERM: %v\n%s", err, stderr)
	}
}
