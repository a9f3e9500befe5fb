package registry

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestOpenRefusesWhatIsNotAValidRegistry: every registry it cannot trust
// is refused with the same message, which says how to start over; none
// is silently replaced (that would resend everything) or taken at face
// value (a negative offset crashed the reader).
func TestOpenRefusesWhatIsNotAValidRegistry(t *testing.T) {
	t.Parallel()
	entry := func(fields string) string {
		return `{"version":1,"entries":[{"dev":1,"ino":2,"fingerprint_len":10,"fingerprint":3,"offset":5,"path":"/a"` + fields + `}]}`
	}
	tests := []struct{ name, content, reason string }{
		{"truncated JSON", `{"version":1,"entries":[`, "unexpected end of JSON input"},
		{"null", "null", "null, not a registry"},
		{"null with white space", " null\n", "null, not a registry"},
		{"an empty object", "{}", "no version"},
		{"an unknown version", `{"version":99,"entries":[]}`, "version 99, this logship reads version 1"},
		{"version 0", `{"version":0}`, "version 0"},
		{"an array", `[]`, "cannot unmarshal array"},
		{"a negative offset", entry(`,"offset":-5`), "negative offset -5"},
		{"a negative fingerprint length", entry(`,"fingerprint_len":-1`), "fingerprint length -1 is outside 0..1024"},
		{"a fingerprint longer than hashed", entry(`,"fingerprint_len":1025`), "fingerprint length 1025 is outside 0..1024"},
		{"a relative path", entry(`,"path":"a.log"`), `path "a.log" is not absolute`},
		{"no path", `{"version":1,"entries":[{"dev":1,"ino":2}]}`, `path "" is not absolute`},
		{"a key listed twice", `{"version":1,"entries":[{"dev":1,"ino":2,"path":"/a"},{"dev":1,"ino":2,"path":"/b"}]}`, "listed twice"},
		{"trailing garbage", `{"version":1,"entries":[]}x`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, discard())
			want := "open registry " + path + ": corrupt (move it away to start over; every file is then read again as new): "
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Open(%s) = %v; want an error starting %q and saying %q", tt.content, err, want, tt.reason)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Errorf("the refused registry was changed to %q; want it left as %q", b, tt.content)
			}
		})
	}
}

func TestOpenAcceptsAnEmptyRegistry(t *testing.T) {
	t.Parallel()
	for _, content := range []string{`{"version":1}`, `{"version":1,"entries":null}`, `{"version":1,"entries":[]}`} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(dir, discard())
		if err != nil {
			t.Errorf("Open(%s) = %v; want an empty registry", content, err)
			continue
		}
		if got := r.All(); len(got) != 0 {
			t.Errorf("Open(%s) holds %v; want no entries", content, got)
		}
		r.Stop()
	}
}

// FuzzDecode: no input crashes the loader, and whatever it accepts obeys
// the invariants the tailer relies on and survives a save and a load.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"entries":[{"dev":1,"ino":2,"fingerprint_len":10,"fingerprint":3,"offset":5,"path":"/a","updated":"2024-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":1,"entries":[{"dev":1,"ino":2,"offset":-5,"path":"/a"}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":99}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode(b)
		if err != nil {
			return
		}
		for _, e := range m {
			if err := check(e); err != nil {
				t.Fatalf("decode accepted entry %+v: %v", e, err)
			}
		}
		out, err := json.Marshal(file{Version: Version, Entries: sorted(m)})
		if err != nil {
			t.Fatalf("marshal accepted entries: %v", err)
		}
		again, err := decode(out)
		if err != nil {
			t.Fatalf("decode(%s) of saved entries = %v", out, err)
		}
		if d := cmp.Diff(m, again); d != "" {
			t.Errorf("entries changed by a save and a load (-before +after):\n%s", d)
		}
	})
}

// TestASaveOutOfDescriptorsSucceeds runs in a child process whose
// descriptor limit is then used up (a tailer with too many files open):
// saving must still work, on the descriptor the registry keeps.
func TestASaveOutOfDescriptorsSucceeds(t *testing.T) {
	if os.Getenv("REGISTRY_EMFILE_CHILD") == "" {
		t.Parallel()
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestASaveOutOfDescriptorsSucceeds$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "REGISTRY_EMFILE_CHILD="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, FileName)); !strings.Contains(string(b), `"offset": 42`) {
			t.Errorf("registry after the child = %s; want the entry at offset 42\nchild output:\n%s", b, out)
		}
		return
	}
	dir := os.Getenv("REGISTRY_EMFILE_CHILD")
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 64, Max: 64}); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir)
	var hogs []*os.File
	defer func() {
		for _, f := range hogs {
			f.Close()
		}
	}()
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
	r.Put(Entry{Key: Key{Dev: 1, Ino: 1}, Offset: 42, Path: "/x"})
	if err := r.Stop(); err != nil {
		t.Errorf("Stop() with no descriptor left = %v; want the registry saved", err)
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
