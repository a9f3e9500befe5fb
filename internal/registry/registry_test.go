package registry

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(tb testing.TB, dir string) *Registry {
	tb.Helper()
	r, err := Open(dir, discard())
	if err != nil {
		tb.Fatalf("Open(%s) = %v", dir, err)
	}
	return r
}

func TestEntriesSurviveStopAndOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	r := open(t, dir)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	a := Entry{Key: Key{Dev: 1, Ino: 2}, FingerprintLen: 10, Fingerprint: 99, Offset: 1234, Path: "/a", Updated: ts}
	b := Entry{Key: Key{Dev: 1, Ino: 3}, Offset: 5, Path: "/b", Updated: ts}
	r.Put(a)
	r.Put(b)
	r.Put(Entry{Key: Key{Dev: 9, Ino: 9}, Path: "/gone", Updated: ts})
	r.Forget(Key{Dev: 9, Ino: 9})
	if got, ok := r.Get(a.Key); !ok || got != a {
		t.Errorf("Get(%v) = %v, %v; want %v, true", a.Key, got, ok, a)
	}
	if err := r.Stop(); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	r2 := open(t, dir)
	defer r2.Stop()
	if d := cmp.Diff([]Entry{a, b}, r2.All()); d != "" {
		t.Errorf("entries after reopen (-want +got):\n%s", d)
	}
}

func TestSavesPeriodicallyWithoutStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := open(t, dir)
	defer r.Stop()
	r.Put(Entry{Key: Key{Dev: 1, Ino: 1}, Offset: 42, Path: "/x"})
	// Generous: this checks that it is saved without Stop, not how fast.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, FileName))
		if strings.Contains(string(b), `"offset": 42`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry not saved after 10 s without Stop: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("data dir holds %d files; want only %s (temp files must not linger)", len(ents), FileName)
	}
}

func TestOpenRejectsACorruptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version":1,"entries":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, discard()); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Open(corrupt) = %v; want a corrupt-registry error", err)
	}
}

func TestOpenFailsOnAnUnwritableDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A path below a regular file cannot be created, even by root.
	if _, err := Open(filepath.Join(blocker, "data"), discard()); err == nil {
		t.Errorf("Open(under a file) = nil; want an error")
	}
}
