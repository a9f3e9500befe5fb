//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTestDepsSaysInOneLineWhatToInstall runs scripts/test-deps.sh (what
// `make test` runs first) as user nobody, who cannot install, on a PATH
// with some tools taken off: it must name exactly the packages missing, in
// one line, and fail; with nothing missing it must pass.
func TestTestDepsSaysInOneLineWhatToInstall(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		hide    []string
		want    string // the whole of stderr; "" means exit 0
		wantErr bool
	}{
		{"nothing missing", nil, "", false},
		{"redis and wrk taken off PATH", []string{"redis-server", "redis-cli", "wrk"},
			"make test needs: apt-get install redis-server redis-tools wrk\n", true},
		{"node taken off PATH", []string{"node"}, "make test needs: apt-get install nodejs\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := pathWithout(t, tt.hide)
			cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				"/usr/bin/env", "HOME="+bin, "PATH="+bin, "bash", filepath.Join(root, "scripts", "test-deps.sh"))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			if (err != nil) != tt.wantErr || stderr.String() != tt.want {
				t.Errorf("test-deps.sh with %v off PATH: err %v, stderr %q; want error %v, stderr %q", tt.hide, err, stderr.String(), tt.wantErr, tt.want)
			}
		})
	}
}

// pathWithout returns a folder, readable by anyone, of links to every
// command on PATH except hide: a PATH on which those are missing.
func pathWithout(t *testing.T, hide []string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "path-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range filepath.SplitList(os.Getenv("PATH") + ":/usr/sbin:/sbin") {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			name := e.Name()
			if slices.Contains(hide, name) {
				continue
			}
			// The first of a name on PATH wins, as for the shell.
			if err := os.Symlink(filepath.Join(d, name), filepath.Join(dir, name)); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
		}
	}
	return dir
}
