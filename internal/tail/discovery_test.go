package tail

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWhatIsNotAFileIsSkippedWithOneWarning puts a directory, a named pipe
// and a symbolic link at watched paths: each is skipped with one warning,
// however many scans see it, and the regular file beside them is read.
func TestWhatIsNotAFileIsSkippedWithOneWarning(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := h.path("dir.log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(h.path("pipe.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("not for shipping\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, h.path("link.log")); err != nil {
		t.Fatal(err)
	}
	h.appendTo("app.log", "regular\n")
	h.cfg.Paths = append(h.cfg.Paths, dir) // also named exactly
	h.start()
	h.waitFor("regular")
	h.waitLog("skipping a symbolic link")
	time.Sleep(300 * time.Millisecond) // several scans at 50 ms
	logs := h.logs.String()
	for _, want := range []string{"skipping a directory", "skipping what is not a regular file", "skipping a symbolic link"} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("log says %q %d times; want once:\n%s", want, n, logs)
		}
	}
	h.waitFor("regular")
}

func TestSymlinksAreFollowedOnlyWhenAskedTo(t *testing.T) {
	t.Parallel()
	for _, follow := range []bool{false, true} {
		t.Run(map[bool]string{false: "by default, not", true: "with FollowSymlinks"}[follow], func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, func(c *Config) { c.FollowSymlinks = follow })
			target := filepath.Join(t.TempDir(), "target")
			if err := os.WriteFile(target, []byte("through the link\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, h.path("link.log")); err != nil {
				t.Fatal(err)
			}
			h.appendTo("app.log", "direct\n")
			h.start()
			if follow {
				h.waitForSet("direct", "through the link")
			} else {
				h.waitLog("skipping a symbolic link")
				h.waitFor("direct")
			}
		})
	}
}

// TestIgnoreOlderSkipsTheOldContentOfOldFiles: an old file unknown to
// the registry is not read until it grows, and then only what it grew
// by; a recent file is read whole.
func TestIgnoreOlderSkipsTheOldContentOfOldFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.IgnoreOlder = time.Hour })
	h.appendTo("old.log", "old content\n")
	long := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(h.path("old.log"), long, long); err != nil {
		t.Fatal(err)
	}
	h.appendTo("recent.log", "recent content\n")
	h.start()
	h.waitLog("ignoring file older than ignore_older")
	h.waitFor("recent content")
	h.appendTo("old.log", "new line\n")
	h.waitFor("recent content", "new line")
}

func TestGlobsWithDoubleStarMatchAnyDepth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.cfg.Paths = []string{filepath.Join(h.dir, "logs", "**", "*.log")}
	for _, d := range []string{"logs/a/b", "logs/c"} {
		if err := os.MkdirAll(h.path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.appendTo("logs/top.log", "top\n")
	h.appendTo("logs/a/b/deep.log", "deep\n")
	h.appendTo("logs/c/mid.log", "mid\n")
	h.appendTo("logs/c/other.txt", "not matched\n")
	h.start()
	h.waitForSet("top", "deep", "mid")
}

func TestMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/var/log/app.log", "/var/log/app.log", true},
		{"/var/log/*.log", "/var/log/app.log", true},
		{"/var/log/*.log", "/var/log/sub/app.log", false},
		{"/var/log/**/*.log", "/var/log/app.log", true},
		{"/var/log/**/*.log", "/var/log/a/b/app.log", true},
		{"/var/log/**/*.log", "/var/log/a/b/app.txt", false},
		{"/var/**/app.log", "/var/app.log", true},
		{"/var/log/app.log*", "/var/log/app.log.1", true},
		{"/var/log/[ab].log", "/var/log/c.log", false},
	}
	for _, tt := range tests {
		if got := matches(tt.pattern, tt.path); got != tt.want {
			t.Errorf("matches(%q, %q) = %v; want %v", tt.pattern, tt.path, got, tt.want)
		}
		// glob agrees with matches on what it finds.
		if got, _ := glob(tt.pattern); slices.Contains(got, tt.path) && !tt.want {
			t.Errorf("glob(%q) found %q; matches says it does not match", tt.pattern, tt.path)
		}
	}
}
