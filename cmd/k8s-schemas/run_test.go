package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const swagger = `{"definitions": {
  "io.k8s.api.core.v1.Service": {"type": "object", "properties": {"kind": {"type": "string"}},
    "x-kubernetes-group-version-kind": [{"group": "", "kind": "Service", "version": "v1"}]},
  "io.k8s.api.apps.v1.Deployment": {"type": "object", "properties": {"kind": {"type": "string"}},
    "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment", "version": "v1"}]}}}`

func TestRunWritesExactlyTheKindsNamed(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "swagger.json")
	out := filepath.Join(dir, "schemas")
	if err := os.WriteFile(spec, []byte(swagger), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// A schema left from an earlier run, for a kind no longer named.
	if err := os.WriteFile(filepath.Join(out, "ingress-networking-v1.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"k8s-schemas", "-spec", spec, "-out", out, "v1/Service", "apps/v1/Deployment"},
		os.Getenv, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if want := []string{"deployment-apps-v1.json", "service-v1.json"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 2 {
		t.Errorf("stdout = %q, want one line per file written", stdout.String())
	}
}

func TestRunFails(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "swagger.json")
	if err := os.WriteFile(spec, []byte(swagger), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without kinds", []string{"-spec", spec, "-out", dir}, "usage"},
		{"without -spec", []string{"-out", dir, "v1/Service"}, "usage"},
		{"on a malformed kind", []string{"-spec", spec, "-out", dir, "Service"}, "want APIVERSION/KIND"},
		{"on a kind the document lacks", []string{"-spec", spec, "-out", dir, "v1/Pod"}, "v1 Pod: not in the OpenAPI document"},
		{"on a missing document", []string{"-spec", filepath.Join(dir, "none.json"), "-out", dir, "v1/Service"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"k8s-schemas"}, tt.args...), os.Getenv, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%v) = %v; want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
