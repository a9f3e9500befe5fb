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
	if err := o.Write(context.Background(), []event.Event{outputtest.Event(&event.Decoration{}, "m", "/p", time.Unix(0, 0))}); err == nil {
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
