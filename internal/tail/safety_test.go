package tail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/registry"
)

// keyAt returns the registry key of the file at path.
func keyAt(tb testing.TB, path string) registry.Key {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return keyOf(fi)
}

// savedEntries reads the registry as saved on disk.
func (h *harness) savedEntries() []registry.Entry {
	h.t.Helper()
	reg, err := registry.Open(h.data, slog.New(slog.DiscardHandler))
	if err != nil {
		h.t.Fatal(err)
	}
	defer reg.Stop()
	return reg.All()
}

// TestAFingerprintCoversTheSavedOffset opens a file while it is empty,
// so its fingerprint starts empty, and checks that what is saved covers
// the offset: rewriting the same inode with other lines must then be told
// apart and read from its start.
func TestAFingerprintCoversTheSavedOffset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", "")
	h.start()
	h.waitLog(`"how":"new file, from its start"`)
	h.appendTo("app.log", join(lines("first", 0, 3)))
	h.waitFor(lines("first", 0, 3)...)
	h.stop()
	for _, e := range h.savedEntries() {
		if want := min(e.Offset, FingerprintBytes); e.FingerprintLen < want {
			t.Errorf("saved %s at offset %d with a %d-byte fingerprint; want at least %d bytes", e.Path, e.Offset, e.FingerprintLen, want)
		}
	}
	// Same inode, other first bytes, longer than the saved offset: as a
	// reused inode looks.
	if err := os.WriteFile(h.path("app.log"), []byte(join(lines("second generation", 0, 4))), 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor(append(lines("first", 0, 3), lines("second generation", 0, 4)...)...)
}

// TestAnEntryWithAShortFingerprintIsReadFromTheStart loads a registry
// entry, as an older logship saved it, whose fingerprint is shorter than
// its offset: it cannot prove the file is the same, so the file is read
// from its start (duplicates, never a gap).
func TestAnEntryWithAShortFingerprintIsReadFromTheStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.appendTo("app.log", join(lines("a", 0, 3)))
	reg, err := registry.Open(h.data, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	reg.Put(registry.Entry{Key: keyAt(t, h.path("app.log")), FingerprintLen: 0, Fingerprint: fnvOffset,
		Offset: int64(len("a 0\n")), Path: h.path("app.log")})
	if err := reg.Stop(); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.waitFor(lines("a", 0, 3)...)
}

// TestAFileRotatedBeforeItsFirstAcknowledgementIsFoundAfterRestart reads
// a file without acknowledging it, stops, rotates it by rename while
// stopped (an exact path no longer matches it) and restarts: its lines
// must still come.
func TestAFileRotatedBeforeItsFirstAcknowledgementIsFoundAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Paths = []string{filepath.Join(filepath.Dir(c.Paths[0]), "app.log")} })
	h.appendTo("app.log", join(lines("a", 0, 3)))
	h.hold = true
	h.start()
	h.waitFor(lines("a", 0, 3)...)
	h.stop()
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	h.appendTo("app.log", join(lines("b", 0, 2)))
	h.mu.Lock()
	h.lines, h.hold = nil, false
	h.mu.Unlock()
	h.start()
	h.waitForSet(append(lines("a", 0, 3), lines("b", 0, 2)...)...)
}

// TestTheLastLineOfARotatedFileIsSent: a rotated file whose last line has
// no newline sends that line when it is closed, instead of dropping it.
func TestTheLastLineOfARotatedFileIsSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) {
		c.Paths = []string{filepath.Join(filepath.Dir(c.Paths[0]), "app.log")}
		c.Metrics = NewMetrics()
	})
	h.appendTo("app.log", "whole\npartial")
	h.start()
	h.waitFor("whole")
	if err := os.Rename(h.path("app.log"), h.path("app.log.1")); err != nil {
		t.Fatal(err)
	}
	h.appendTo("app.log", "new\n")
	h.waitForSet("whole", "new", "partial")
	h.waitLog("without a newline")
	// Acknowledged past its end: a restart does not send it again.
	h.stop()
	h.mu.Lock()
	h.lines = nil
	h.mu.Unlock()
	h.start()
	h.appendTo("app.log", "later\n")
	h.waitFor("later")
}

// TestTruncationIsCheckedBeforeReading steps a reader by hand: a file
// truncated and rewritten past the offset is read from its start, never
// from the middle of the new content.
func TestTruncationIsCheckedBeforeReading(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, before, after, want string }{
		{"rewritten past the offset", "aaa\nbbb\n", "ccc\nddd\neee\nfff\n", "ccc,ddd,eee,fff"},
		{"rewritten shorter than the offset", "aaa\nbbb\n", "x\n", "x"},
		{"rewritten to the same length", "aaa\nbbb\n", "ccc\nddd\n", "ccc,ddd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "app.log")
			if err := os.WriteFile(path, []byte(tt.before), 0o644); err != nil {
				t.Fatal(err)
			}
			tl, err := New(Config{Paths: []string{path}, Offsets: noOffsets{}})
			if err != nil {
				t.Fatal(err)
			}
			r := newReader(tl, path, keyAt(t, path))
			if why := r.open(context.Background()); why != exitClosed {
				t.Fatalf("open(%s) = exit %d, %v; want the file open", path, why, r.err)
			}
			defer r.close()
			out := make(chan Chunk, 16)
			step := func() string {
				t.Helper()
				r.step(context.Background(), out)
				var got []string
				for len(out) > 0 {
					c := <-out
					for _, l := range c.Lines {
						got = append(got, strings.Clone(l.Text)) // the text is reused once acknowledged
					}
					ack(c)
				}
				r.release()
				return strings.Join(got, ",")
			}
			if got := step(); got != "aaa,bbb" {
				t.Fatalf("first read = %q; want aaa,bbb", got)
			}
			if err := os.WriteFile(path, []byte(tt.after), 0o644); err != nil { // O_TRUNC: same inode
				t.Fatal(err)
			}
			if got := step(); got != tt.want {
				t.Errorf("after the rewrite read %q; want %q", got, tt.want)
			}
		})
	}
}

// TestABudgetBoundsChunksAcrossFiles follows many files with a budget of
// two chunks and acknowledges nothing: two chunks come, no more, however
// many files have lines. Acknowledging lets every line through.
func TestABudgetBoundsChunksAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const files, perFile = 8, 3000 // each file holds about three chunks
	want := map[string]bool{}
	for f := 0; f < files; f++ {
		var b strings.Builder
		for i := 0; i < perFile; i++ {
			fmt.Fprintf(&b, "file %d line %d\n", f, i)
			want[fmt.Sprintf("file %d line %d", f, i)] = true
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.log", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const slots = 2
	tl, err := New(Config{Paths: []string{filepath.Join(dir, "*.log")}, Offsets: noOffsets{}, Budget: NewBudget(slots)})
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

	var held []Chunk
	seen := map[string]int{}
	take := func(c Chunk) {
		for _, l := range c.Lines {
			seen[strings.Clone(l.Text)]++
		}
		held = append(held, c)
	}
	deadline := time.After(10 * time.Second)
	for len(held) < slots {
		select {
		case c := <-out:
			take(c)
		case <-deadline:
			t.Fatalf("received %d chunks in 10 s; want %d", len(held), slots)
		}
	}
	// Nothing is acknowledged: another chunk would break the bound. Give
	// a violation time to show.
	select {
	case c := <-out:
		t.Fatalf("received chunk %d (%d lines of %s) while %d unacknowledged chunks fill a budget of %d",
			len(held)+1, len(c.Lines), c.Path, len(held), slots)
	case <-time.After(300 * time.Millisecond):
	}
	for _, c := range held {
		ack(c)
	}
	deadline = time.After(20 * time.Second)
	for len(seen) < len(want) {
		select {
		case c := <-out:
			take(c)
			ack(c)
		case <-deadline:
			t.Fatalf("received %d of %d lines after acknowledging", len(seen), len(want))
		}
	}
	for line, n := range seen {
		if !want[line] || n != 1 {
			t.Errorf("line %q received %d times; want once", line, n)
		}
	}
}
