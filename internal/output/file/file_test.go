package file

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
	d := &event.Decoration{}
	write := func(msg string) {
		t.Helper()
		if err := o.Write(context.Background(), []event.Event{d.New(msg, "/p", time.Unix(0, 0))}); err != nil {
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
	if err := o.Write(context.Background(), []event.Event{(&event.Decoration{}).New("m", "/p", time.Unix(0, 0))}); err == nil {
		t.Error("Write under a regular file = nil; want an error")
	}
}

func TestATornLastRecordIsDroppedOnOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	if err := os.WriteFile(path, []byte("whole 1\nwhole 2\ntorn rec"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := New(path, event.Line{Format: "%{message}"})
	if err := o.Write(context.Background(), []event.Event{(&event.Decoration{}).New("next", "/p", time.Unix(0, 0))}); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if b, _ := os.ReadFile(path); string(b) != "whole 1\nwhole 2\nnext\n" {
		t.Errorf("file holds %q; want the torn record dropped", b)
	}
}
