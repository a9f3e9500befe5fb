package seedref

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.MkdirAll(filepath.Join(shared, "seed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, marker), []byte("input {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == Env {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		env     string
		want    string
		wantErr string
	}{
		{"the variable names the shared folder", shared, shared, ""},
		{"a variable naming another folder is an error", t.TempDir(), "", "is not the shared folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dir(env(tt.env))
			if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Dir(%s=%q) = %q, %v; want %q, error containing %q", Env, tt.env, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDirWalksUpFromTheWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	shared := filepath.Join(root, "shared")
	repo := filepath.Join(root, "main", "internal", "pkg")
	for _, d := range []string{filepath.Join(shared, "seed"), repo} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(shared, marker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	got, err := Dir(func(string) string { return "" })
	if err != nil || got != shared {
		t.Errorf("Dir from %s = %q, %v; want %q", repo, got, err, shared)
	}
	t.Chdir(t.TempDir())
	if got, err := Dir(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), Env) {
		t.Errorf("Dir with no shared folder above = %q, %v; want an error naming %s", got, err, Env)
	}
}
