package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/appstack/appstack/internal/syncbuf"
)

// TestManyFilesThroughFewDescriptors follows 60 files with 3 descriptors:
// files read to their end give their descriptor up to those waiting, and
// are opened again, by identity, when they grow.
func TestManyFilesThroughFewDescriptors(t *testing.T) {
	t.Parallel()
	const files, bound = 60, 3
	h := newHarness(t, func(c *Config) { c.MaxOpenFiles = bound; c.Metrics = NewMetrics() })
	var want []string
	for f := 0; f < files; f++ {
		h.appendTo(fmt.Sprintf("f%02d.log", f), join(lines(fmt.Sprintf("f%02d first", f), 0, 10)))
		want = append(want, lines(fmt.Sprintf("f%02d first", f), 0, 10)...)
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the gauge of open files never passes the bound
		defer close(sampled)
		for {
			if n := int64(openFiles(t, h.cfg.Metrics)); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	h.start()
	h.waitForSet(want...)
	// Every file grows again, closed or not.
	for f := 0; f < files; f++ {
		h.appendTo(fmt.Sprintf("f%02d.log", f), fmt.Sprintf("f%02d second\n", f))
		want = append(want, fmt.Sprintf("f%02d second", f))
	}
	h.waitForSet(want...)
	close(stop)
	<-sampled
	if p := peak.Load(); p > bound || p == 0 {
		t.Errorf("at most %d files were open at once; want 1 to %d", p, bound)
	}
}

// TestCloseOlderClosesAnIdleFileAndReopensIt: a file idle for CloseOlder
// is closed, and read on from where it was once it grows.
func TestCloseOlderClosesAnIdleFileAndReopensIt(t *testing.T) {
	t.Parallel()
	for _, polling := range []bool{false, true} {
		t.Run(fmt.Sprintf("polling only %v", polling), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) {
				c.CloseOlder = 100 * time.Millisecond
				c.DisableNotify = polling
				c.Metrics = NewMetrics()
			})
			h.appendTo("app.log", "one\npart")
			h.start()
			h.waitFor("one")
			waitUntil(t, "the idle file closed", func() bool { return openFiles(t, h.cfg.Metrics) == 0 })
			h.appendTo("app.log", "ial\ntwo\n")
			h.waitFor("one", "partial", "two")
		})
	}
}

// TestAClosedFileRotatedAwayIsReadToItsEnd closes an idle file, renames
// it while a writer still appends to it, and checks that the lines
// written after the rename still come: the file is found by identity.
func TestAClosedFileRotatedAwayIsReadToItsEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) {
		c.Paths = []string{filepath.Join(filepath.Dir(c.Paths[0]), "app.log")}
		c.CloseOlder = 100 * time.Millisecond
		c.Metrics = NewMetrics()
	})
	writer, err := os.OpenFile(h.path("app.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	fmt.Fprint(writer, "before\n")
	h.start()
	h.waitFor("before")
	waitUntil(t, "the idle file closed", func() bool { return openFiles(t, h.cfg.Metrics) == 0 })
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(writer, "after the rename\n")
	h.waitFor("before", "after the rename")
}

// TestAScanOutOfDescriptorsTakesNoFileForGone runs in a child process
// that uses up its descriptors after the tailer found its files: globs
// fail with EMFILE, and no file may be taken for rotated away or deleted
// (the files were all still there). Once descriptors are back every line
// comes, without a restart.
func TestAScanOutOfDescriptorsTakesNoFileForGone(t *testing.T) {
	if os.Getenv("TAIL_EMFILE_CHILD") == "" {
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestAScanOutOfDescriptorsTakesNoFileForGone$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TAIL_EMFILE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 128, Max: 128}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.log", i)), []byte("line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncbuf.Buffer{}
	tl, err := New(Config{
		Paths:        []string{filepath.Join(dir, "*", "*.log")}, // the directory level needs a ReadDir too
		PollInterval: 20 * time.Millisecond, DisableNotify: true,
		Offsets: noOffsets{}, Log: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Chunk)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tl.Run(ctx, out)
	}()
	defer func() { cancel(); <-done }()
	got := 0
	for got < 4 {
		c := <-out
		got += len(c.Lines)
		ack(c)
	}
	// Use up every descriptor; the readers hold theirs.
	var hogs []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("open %s: %v; want EMFILE in the end", os.DevNull, err)
			}
			break
		}
		hogs = append(hogs, f)
	}
	waitUntil(t, "a failed glob reported", func() bool { return strings.Contains(logs.String(), `"reason":"glob"`) })
	for _, f := range hogs {
		f.Close()
	}
	if s := logs.String(); strings.Contains(s, "rotated away or deleted") {
		t.Errorf("files taken for gone while descriptors ran out:\n%s", s)
	}
	for i := 0; i < 4; i++ {
		f, err := os.OpenFile(filepath.Join(sub, fmt.Sprintf("f%d.log", i)), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "more")
		f.Close()
	}
	for got < 8 {
		select {
		case c := <-out:
			got += len(c.Lines)
			ack(c)
		case <-time.After(10 * time.Second):
			t.Fatalf("received %d of 8 lines after descriptors came back\n%s", got, logs)
		}
	}
}

func TestTheDefaultBoundLeavesDescriptorsForTheRest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit uint64
		want  int
	}{{1 << 20, 4095}, {4159, 4095}, {1024, 960}, {256, 192}, {100, 50}, {1, 1}} {
		if got := maxOpenFilesUnder(tt.limit); got != tt.want {
			t.Errorf("maxOpenFilesUnder(%d) = %d; want %d", tt.limit, got, tt.want)
		}
	}
}

func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("after 10s: %s: not yet", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openFiles reads the gauge of open files.
func openFiles(tb testing.TB, m *Metrics) float64 {
	var d dto.Metric
	if err := m.openFiles.Write(&d); err != nil {
		tb.Fatal(err)
	}
	return d.GetGauge().GetValue()
}
