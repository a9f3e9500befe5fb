package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/syncbuf"
)

// TestManyFilesUnderALowDescriptorLimit runs the real binary as an
// unprivileged user with RLIMIT_NOFILE 256 (set by prlimit, soft and hard,
// so Go cannot raise it) on a glob of 2,000 files of 10 lines: every line
// must be delivered by the one process, without a restart, and no file may
// be taken for gone nor a registry save fail for want of descriptors.
func TestManyFilesUnderALowDescriptorLimit(t *testing.T) {
	t.Parallel()
	const files, perFile = 2000, 10
	dir := t.TempDir()
	for p := dir; p != os.TempDir() && p != "/"; p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	logs, out := filepath.Join(dir, "logs"), filepath.Join(dir, "out", "out.json")
	for _, d := range []string{logs, filepath.Dir(out), filepath.Join(dir, "data")} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	for f := 0; f < files; f++ {
		var b strings.Builder
		for i := 0; i < perFile; i++ {
			fmt.Fprintf(&b, "file %04d line %d\n", f, i)
		}
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("f%04d.log", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`input { file { path => %q } } output { file { path => %q } }`, filepath.Join(logs, "*.log"), out)
	cmd := exec.Command("prlimit", "--nofile=256:256", "--", binary, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start logship under prlimit: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		seen, _ := counts(t, out)
		if len(seen) == files*perFile {
			break
		}
		select {
		case <-exited:
			t.Fatalf("logship exited (%v) after delivering %d of %d lines\n%s", waitErr, len(seen), files*perFile, tailOf(stderr.String()))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 min, %d of %d lines delivered\n%s", len(seen), files*perFile, tailOf(stderr.String()))
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-exited
	if waitErr != nil {
		t.Errorf("logship after SIGTERM: %v\n%s", waitErr, tailOf(stderr.String()))
	}
	seen, total := counts(t, out)
	if total != files*perFile {
		t.Errorf("output holds %d lines for %d distinct; want each line once", total, len(seen))
	}
	for _, bad := range []string{"too many open files", "rotated away or deleted"} {
		if n := strings.Count(stderr.String(), bad); n > 0 {
			t.Errorf("stderr says %q %d times; want never\n%s", bad, n, tailOf(stderr.String()))
		}
	}
}

// tailOf returns the last lines of a log, enough to diagnose.
func tailOf(s string) string {
	lines := bytes.Split([]byte(s), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
