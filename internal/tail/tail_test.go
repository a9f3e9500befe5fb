package tail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/syncbuf"
)

// harness runs a Tailer on real files with a real registry, and
// acknowledges every chunk as the file input does.
type harness struct {
	t      testing.TB
	dir    string
	data   string
	cfg    Config
	reg    *registry.Registry
	cancel context.CancelFunc
	done   chan struct{}
	logs   *syncbuf.Buffer

	mu    sync.Mutex
	lines []got
	// hold keeps chunks unacknowledged: the registry gets only where
	// files start.
	hold bool
}

type got struct {
	Path, Text string
	Truncated  bool
}

func newHarness(tb testing.TB, mod func(*Config)) *harness {
	tb.Helper()
	h := &harness{t: tb, dir: tb.TempDir(), logs: &syncbuf.Buffer{}}
	h.data = filepath.Join(h.dir, "data")
	h.cfg = Config{
		Paths:         []string{filepath.Join(h.dir, "*.log")},
		PollInterval:  50 * time.Millisecond,
		CloseInactive: 300 * time.Millisecond,
	}
	if mod != nil {
		mod(&h.cfg)
	}
	return h
}

func (h *harness) start() {
	h.t.Helper()
	reg, err := registry.Open(h.data, slog.New(slog.DiscardHandler))
	if err != nil {
		h.t.Fatal(err)
	}
	h.reg = reg
	cfg := h.cfg
	cfg.Offsets = reg
	cfg.Log = slog.New(slog.NewJSONHandler(h.logs, nil))
	tl, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	done := make(chan struct{})
	h.done = done
	out := make(chan Chunk)
	go func() {
		defer close(done)
		_ = tl.Run(ctx, out)
	}()
	go func() {
		for {
			select {
			case c := <-out:
				h.mu.Lock()
				for _, l := range c.Lines {
					h.lines = append(h.lines, got{c.Path, strings.Clone(l.Text), l.Truncated})
				}
				hold := h.hold
				h.mu.Unlock()
				if !hold {
					ack(c)
				}
			case <-done:
				return
			}
		}
	}()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	if err := h.reg.Stop(); err != nil {
		h.t.Errorf("registry Stop() = %v", err)
	}
	h.cancel = nil
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *harness) appendTo(name, s string) {
	h.t.Helper()
	f, err := os.OpenFile(h.path(name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		h.t.Fatal(err)
	}
}

// texts returns the texts received so far.
func (h *harness) texts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.lines))
	for i, l := range h.lines {
		out[i] = l.Text
	}
	return out
}

// waitFor waits until exactly want were received, in order, and checks
// that nothing more arrives for a moment.
func (h *harness) waitFor(want ...string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.texts()
		if len(got) >= len(want) {
			time.Sleep(150 * time.Millisecond) // catch extra lines
			got = h.texts()
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				h.t.Fatalf("received %d lines %q;\nwant %d lines %q", len(got), got, len(want), want)
			}
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after 10s received %d lines %q; want %d lines %q", len(got), got, len(want), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLog waits until the tailer logged s.
func (h *harness) waitLog(s string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(h.logs.String(), s) {
		if time.Now().After(deadline) {
			h.t.Fatalf("after 10s the log does not contain %q: %s", s, h.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForSet waits until want were received, each exactly once, in any
// order across files.
func (h *harness) waitForSet(want ...string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.texts()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond) // catch extra lines
	got := h.texts()
	joined := "\n" + strings.Join(got, "\n") + "\n"
	for _, w := range want {
		if strings.Count(joined, "\n"+w+"\n") != 1 {
			h.t.Errorf("received %q; want %q exactly once", got, w)
		}
	}
	if len(got) != len(want) {
		h.t.Errorf("received %d lines %q; want %d", len(got), got, len(want))
	}
}

// ack acknowledges every line of c at once, as a consumer taking chunks
// one at a time does.
func ack(c Chunk) {
	c.Mark(c.entry.Offset).Done()
	c.Release()
}

func lines(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %d", prefix, i))
	}
	return out
}

func join(ls []string) string { return strings.Join(ls, "\n") + "\n" }

func TestDeliversLinesWithAndWithoutInotify(t *testing.T) {
	t.Parallel()
	for _, polling := range []bool{false, true} {
		t.Run(fmt.Sprintf("polling only %v", polling), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.DisableNotify = polling })
			h.appendTo("app.log", join(lines("old", 0, 3)))
			h.start()
			h.waitFor(lines("old", 0, 3)...)
			h.appendTo("app.log", join(lines("new", 0, 2)))
			h.waitFor(append(lines("old", 0, 3), lines("new", 0, 2)...)...)
		})
	}
}

func TestPartialLastLineWaitsForItsNewline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", "complete\npart")
	h.start()
	h.waitFor("complete")
	h.appendTo("app.log", "ial\n")
	h.waitFor("complete", "partial")
}

func TestDiscoversFilesMatchingTheGlobLater(t *testing.T) {
	t.Parallel()
	for _, polling := range []bool{false, true} {
		t.Run(fmt.Sprintf("polling only %v", polling), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.DisableNotify = polling; c.Exclude = []string{"skip*"} })
			h.start()
			h.appendTo("late.log", "late line\n")
			h.appendTo("skip.log", "excluded\n")
			h.appendTo("other.txt", "not matched\n")
			h.waitFor("late line")
		})
	}
}

func TestRotationByRenameReadsTheOldFileToItsEndAndTheNewFromZero(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Paths = []string{c.Paths[0][:len(c.Paths[0])-len("*.log")] + "app.log"} })
	writer, err := os.OpenFile(h.path("app.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	fmt.Fprint(writer, join(lines("old", 0, 3)))
	h.start()
	h.waitFor(lines("old", 0, 3)...)
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	// The writer has not reopened yet: these land in the renamed file.
	fmt.Fprint(writer, join(lines("old", 3, 5)))
	h.appendTo("app.log", join(lines("new", 0, 2)))
	deadline := time.Now().Add(10 * time.Second)
	for len(h.texts()) < 7 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := h.texts()
	var old, fresh []string
	for _, l := range got {
		if strings.HasPrefix(l, "old") {
			old = append(old, l)
		} else {
			fresh = append(fresh, l)
		}
	}
	if strings.Join(old, ",") != strings.Join(lines("old", 0, 5), ",") || strings.Join(fresh, ",") != strings.Join(lines("new", 0, 2), ",") {
		t.Fatalf("received %q; want old 0..4 then (interleaved) new 0..1, each once", got)
	}
	h.mu.Lock()
	for _, l := range h.lines {
		if l.Path != h.path("app.log") {
			t.Errorf("line %q has path %q; want the discovered path %q", l.Text, l.Path, h.path("app.log"))
		}
	}
	h.mu.Unlock()
}

func TestCopytruncateIsReadAgainFromZero(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", join(lines("before", 0, 5)))
	h.start()
	h.waitFor(lines("before", 0, 5)...)
	if err := os.Truncate(h.path("app.log"), 0); err != nil {
		t.Fatal(err)
	}
	h.waitLog("copytruncate") // seen before the file grows again
	h.appendTo("app.log", join(lines("after", 0, 2)))
	h.waitFor(append(lines("before", 0, 5), lines("after", 0, 2)...)...)
	if !strings.Contains(h.logs.String(), "copytruncate") {
		t.Errorf("log does not report the truncation: %s", h.logs)
	}
}

func TestAFileRewrittenWhileStoppedIsToldApartByItsFingerprint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", join(lines("first", 0, 3)))
	h.start()
	h.waitFor(lines("first", 0, 3)...)
	h.stop()
	// Same inode, new content longer than the saved offset.
	if err := os.WriteFile(h.path("app.log"), []byte(join(lines("second generation", 0, 4))), 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor(append(lines("first", 0, 3), lines("second generation", 0, 4)...)...)
}

func TestRestartResumesAtTheAcknowledgedOffset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", join(lines("a", 0, 3)))
	h.start()
	h.waitFor(lines("a", 0, 3)...)
	h.stop()
	h.appendTo("app.log", join(lines("a", 3, 6)))
	h.start()
	h.waitFor(lines("a", 0, 6)...)
}

func TestRotationWhileStoppedResumesTheRenamedFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Paths = []string{filepath.Join(filepath.Dir(c.Paths[0]), "app.log")} })
	h.appendTo("app.log", join(lines("a", 0, 2)))
	h.start()
	h.waitFor(lines("a", 0, 2)...)
	h.stop()
	h.appendTo("app.log", join(lines("a", 2, 4)))
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	h.appendTo("app.log", join(lines("b", 0, 2)))
	h.start()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.texts()) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := strings.Join(h.texts(), ",")
	for _, want := range append(lines("a", 0, 4), lines("b", 0, 2)...) {
		if strings.Count(got, want) != 1 {
			t.Errorf("received %s; want %q exactly once", got, want)
		}
	}
}

func TestLongLinesAreTruncatedAndFlagged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.MaxLineBytes = 1 << 20 })
	huge := strings.Repeat("x", 3<<20)            // three times the cap: skipped past the buffer
	multi := strings.Repeat("é", 600_000)         // 1.2 MB; the cut must not split a character
	h.appendTo("app.log", "short\n"+huge[:2<<20]) // the long line arrives in two writes
	h.start()
	h.waitFor("short")
	h.appendTo("app.log", huge[2<<20:]+"\n"+multi+"\nafter\n")
	h.waitFor("short", huge[:1<<20], strings.Repeat("é", 1<<19), "after")
	h.mu.Lock()
	flags := []bool{h.lines[0].Truncated, h.lines[1].Truncated, h.lines[2].Truncated, h.lines[3].Truncated}
	h.mu.Unlock()
	if fmt.Sprint(flags) != "[false true true false]" {
		t.Errorf("truncated flags = %v; want [false true true false]", flags)
	}
	// The offset saved is past the long lines: a restart does not replay them.
	h.stop()
	h.start()
	h.appendTo("app.log", "later\n")
	h.waitFor("short", huge[:1<<20], strings.Repeat("é", 1<<19), "after", "later")
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", "a\xffb\xc3\n\xe2\x82\xac ok\r\n")
	h.start()
	h.waitFor("a\uFFFDb\uFFFD", "€ ok\r")
}

func TestVanishingAndReappearingFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", "one\n")
	h.start()
	h.waitFor("one")
	if err := os.Remove(h.path("app.log")); err != nil {
		t.Fatal(err)
	}
	h.waitLog("closing file") // past CloseInactive: closed and forgotten
	h.appendTo("app.log", "two\n")
	h.waitFor("one", "two")
}

func TestAMissingFileIsReportedAndPickedUpWhenItAppears(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) {
		c.Paths = []string{filepath.Join(filepath.Dir(c.Paths[0]), "sub", "app.log")}
		c.Metrics = NewMetrics()
	})
	h.start()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.logs.String(), "missing") {
		if time.Now().After(deadline) {
			t.Fatalf("missing file not reported; log: %s", h.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.Mkdir(h.path("sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.appendTo("sub/app.log", "finally\n")
	h.waitFor("finally")
	if !strings.Contains(h.logs.String(), "file readable again") {
		t.Errorf("recovery not reported; log: %s", h.logs)
	}
}

func TestStartPositionEndSkipsOnlyFilesPresentAtStartup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.StartAtEnd = true })
	h.appendTo("old.log", "before start\n")
	h.start()
	h.waitLog(`"how":"new file, from its end`) // opened before the append
	h.appendTo("old.log", "appended\n")
	h.waitFor("appended")
	h.appendTo("new.log", "new file line\n")
	h.waitFor("appended", "new file line")
}

func TestNewRejectsRelativePaths(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Paths: []string{"rel/*.log"}, Offsets: noOffsets{}}); err == nil {
		t.Error("New(relative path) = nil; want an error")
	}
}

type noOffsets struct{}

func (noOffsets) Get(registry.Key) (registry.Entry, bool) { return registry.Entry{}, false }
func (noOffsets) All() []registry.Entry                   { return nil }
func (noOffsets) Put(registry.Entry)                      {}
func (noOffsets) Forget(registry.Key)                     {}
