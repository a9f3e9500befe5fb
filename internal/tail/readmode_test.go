package tail

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadModeCompletesFilesOnceAcknowledged reads files to their end,
// the last line without its newline too, and does the completed action
// only once every line is acknowledged; a restart does not do it again.
func TestReadModeCompletesFilesOnceAcknowledged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		log, delete   bool
		wantRemaining bool
	}{
		{"log", true, false, true},
		{"delete", false, true, false},
		{"log and delete", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			completed := filepath.Join(t.TempDir(), "completed.log")
			h := newHarness(t, func(c *Config) {
				c.ReadMode, c.CompletedDelete = true, tt.delete
				if tt.log {
					c.CompletedLog = completed
				}
			})
			h.appendTo("a.log", "a1\na2\n")
			h.appendTo("b.log", "b1\nb2 without newline")
			h.hold = true
			h.start()
			h.waitForSet("a1", "a2", "b1", "b2 without newline")
			// Nothing is acknowledged: nothing is completed.
			for _, f := range []string{"a.log", "b.log"} {
				if _, err := os.Stat(h.path(f)); err != nil {
					t.Errorf("%s before its lines are acknowledged: %v; want it there", f, err)
				}
			}
			if b, _ := os.ReadFile(completed); len(b) > 0 {
				t.Errorf("completed log before acknowledgement: %q; want nothing", b)
			}
			h.stop()
			// Read again after the restart, and acknowledged this time.
			h.mu.Lock()
			h.lines, h.hold = nil, false
			h.mu.Unlock()
			h.start()
			h.waitForSet("a1", "a2", "b1", "b2 without newline")
			want := h.path("a.log") + "\n" + h.path("b.log") + "\n"
			waitUntil(t, "both files completed", func() bool {
				done := true
				if tt.log {
					b, _ := os.ReadFile(completed)
					done = len(b) == len(want)
				}
				if tt.delete {
					_, errA := os.Stat(h.path("a.log"))
					_, errB := os.Stat(h.path("b.log"))
					done = done && os.IsNotExist(errA) && os.IsNotExist(errB)
				}
				return done
			})
			if tt.log {
				b, _ := os.ReadFile(completed)
				if got := sortedLines(string(b)); got != sortedLines(want) {
					t.Errorf("completed log = %q; want %q", b, want)
				}
			}
			h.stop()
			// A restart neither reads nor completes anything again.
			h.mu.Lock()
			h.lines = nil
			h.mu.Unlock()
			h.start()
			// Read mode takes a file for whole when it appears: move it in.
			if err := os.WriteFile(h.path("c.tmp"), []byte("c1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(h.path("c.tmp"), h.path("c.log")); err != nil {
				t.Fatal(err)
			}
			h.waitFor("c1")
			if tt.log {
				waitUntil(t, "c.log completed", func() bool {
					b, _ := os.ReadFile(completed)
					return strings.Contains(string(b), "c.log")
				})
				b, _ := os.ReadFile(completed)
				if got := strings.Count(string(b), "\n"); got != 3 {
					t.Errorf("completed log after a restart = %q; want a.log and b.log once, then c.log", b)
				}
			}
			_, err := os.Stat(h.path("a.log"))
			if remaining := err == nil; remaining != tt.wantRemaining {
				t.Errorf("a.log remains = %v; want %v", remaining, tt.wantRemaining)
			}
		})
	}
}

func sortedLines(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(ls)
	return strings.Join(ls, "\n")
}
