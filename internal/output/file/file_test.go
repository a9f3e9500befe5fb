package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
)

func TestConformance(t *testing.T) {
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		path := filepath.Join(t.TempDir(), "sub", "out.json")
		return New(path, event.JSON{Delimiter: "\n"}), func() []map[string]any {
			b, err := os.ReadFile(path)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return outputtest.DecodeLines(t, bytes.Split(b, []byte("\n")))
		}
	}})
}

func TestReopensARotatedFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	o := New(path, event.Line{Format: "%{message}"})
	defer o.Close()
	d := &outputtest.Decoration{}
	write := func(msg string) {
		t.Helper()
		if err := o.Write(context.Background(), []event.Event{outputtest.Event(d, msg, "/p", time.Unix(0, 0))}); err != nil {
			t.Fatalf("Write(%q) = %v", msg, err)
		}
	}
	write("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write("after")
	for p, want := range map[string]string{path + ".1": "before\n", path: "after\n"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s holds %q; want %q", p, b, want)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("output file mode = %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestUnwritablePathIsAnError(t *testing.T) {
	t.Parallel()
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := New(filepath.Join(blocker, "out.log"), event.JSON{})
	if err := o.Write(context.Background(), []event.Event{outputtest.Event(&outputtest.Decoration{}, "m", "/p", time.Unix(0, 0))}); err == nil {
		t.Error("Write under a regular file = nil; want an error")
	}
}

// TestOnlyATornRecordOfOursIsCut opens files that end inside a line:
// only a torn json_lines record at the output's first open is cut; any
// other tail is kept whole, and the new records start on a line of their
// own.
func TestOnlyATornRecordOfOursIsCut(t *testing.T) {
	t.Parallel()
	jsonLines := event.JSON{Delimiter: "\n"}
	next := `{"message":"next"}`
	tests := []struct {
		name     string
		codec    event.Codec
		existing string
		reopen   bool // the tail appears at a reopen after rotation, not at the first open
		want     string
	}{
		{"a torn json_lines record", jsonLines, "{\"message\":\"a\"}\n{\"message\":\"to", false,
			"{\"message\":\"a\"}\n" + next + "\n"},
		{"a file of one torn record", jsonLines, "{\"message\":\"to", false, next + "\n"},
		{"whole lines", jsonLines, "{\"message\":\"a\"}\n", false, "{\"message\":\"a\"}\n" + next + "\n"},
		{"a complete JSON object without a newline", jsonLines, "{\"a\":1}\n{\"b\":2}", false,
			"{\"a\":1}\n{\"b\":2}\n" + next + "\n"},
		{"someone else's text", jsonLines, "plain 1\nplain tail", false, "plain 1\nplain tail\n" + next + "\n"},
		{"a torn record appearing after a rotation", jsonLines, "{\"message\":\"to", true,
			"{\"message\":\"to\n" + next + "\n"},
		{"the line codec", event.Line{Format: "%{message}"}, "whole 1\ntorn rec", false, "whole 1\ntorn rec\nnext\n"},
		{"the json codec, without newlines", event.JSON{}, "{\"a\":1}{\"b\":", false, "{\"a\":1}{\"b\":" + next},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "out.log")
			o := New(path, tt.codec)
			defer o.Close()
			if tt.reopen {
				write(t, o, "before")
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
				t.Fatal(err)
			}
			write(t, o, "next")
			if b, _ := os.ReadFile(path); string(b) != tt.want {
				t.Errorf("file holds %q; want %q", b, tt.want)
			}
		})
	}
}

func write(tb testing.TB, o *Output, msg string) {
	tb.Helper()
	var e event.Event
	e.Set("message", event.String(msg))
	if err := o.Write(context.Background(), []event.Event{e}); err != nil {
		tb.Fatalf("Write(%q) = %v", msg, err)
	}
}

// TestAFullDiskLeavesNoTornRecordAndNoDuplicate writes batches to a real
// filesystem that fills up (a 64 KiB tmpfs), retries the failed batch as
// the pipeline does, then frees space: the file must hold whole records
// only, each exactly once.
func TestAFullDiskLeavesNoTornRecordAndNoDuplicate(t *testing.T) {
	t.Parallel()
	mnt := smallFS(t, "64k")
	// A filler takes space that is given back later.
	if err := os.WriteFile(filepath.Join(mnt, "filler"), bytes.Repeat([]byte{'f'}, 24<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(mnt, "out.json")
	o := New(path, event.JSON{Delimiter: "\n"})
	defer o.Close()
	batch := func(n int) []event.Event {
		events := make([]event.Event, 40)
		for i := range events {
			events[i].Set("message", event.String(fmt.Sprintf("batch %d event %d %s", n, i, strings.Repeat("x", 80))))
		}
		return events
	}
	var failed []event.Event
	written := 0
	for n := 0; failed == nil; n++ {
		if n == 100 {
			t.Fatalf("wrote %d batches into a 64 KiB filesystem without an error", n)
		}
		b := batch(n)
		if err := o.Write(context.Background(), b); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Write(batch %d) = %v; want ENOSPC", n, err)
			}
			failed = b
			break
		}
		written += len(b)
	}
	checkWhole(t, path, written)
	// The pipeline retries the batch while the disk is still full.
	if err := o.Write(context.Background(), failed); err == nil {
		t.Fatal("Write on a still-full disk = nil; want an error")
	}
	checkWhole(t, path, written)
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(context.Background(), failed); err != nil {
		t.Fatalf("Write after space returned = %v", err)
	}
	checkWhole(t, path, written+len(failed))
}

// checkWhole checks that path holds want whole json_lines records, each
// message once.
func checkWhole(tb testing.TB, path string, want int) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		tb.Errorf("file ends with a torn record: %q", b[max(0, len(b)-60):])
	}
	seen := map[string]int{}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 && len(b) == 0 {
			break
		}
		var e struct{ Message string }
		if err := json.Unmarshal(line, &e); err != nil {
			tb.Fatalf("line %d is not a whole record: %q", i+1, line)
		}
		seen[e.Message]++
	}
	total := 0
	for m, n := range seen {
		if n != 1 {
			tb.Errorf("%q written %d times; want once", m, n)
		}
		total += n
	}
	if total != want {
		tb.Errorf("file holds %d records; want %d", total, want)
	}
}

// smallFS mounts a tmpfs of the given size for the test (we run as root)
// and unmounts it at the end.
func smallFS(tb testing.TB, size string) string {
	tb.Helper()
	mnt := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		tb.Fatalf("mount a %s tmpfs (the test needs root): %v\n%s", size, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			tb.Errorf("umount %s: %v\n%s", mnt, err, out)
		}
	})
	return mnt
}
