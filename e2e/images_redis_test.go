//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRedisRootfsNeedsNoMmdebstrapNorRoot builds the Redis base tree the
// way `make images` does (images/redis/rootfs.sh), with mmdebstrap nowhere
// on PATH and as user nobody, then runs every binary in it through the
// tree's own dynamic loader and libraries only.
func TestRedisRootfsNeedsNoMmdebstrapNorRoot(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "mmdebstrap")); err != nil {
			path = append(path, dir)
		}
	}
	env := append(os.Environ(), "PATH="+strings.Join(path, ":"))

	// A folder user nobody can reach and write to (t.TempDir's parent is
	// root's alone), for the tree and rootfs.sh's own work folder (TMPDIR).
	work, err := os.MkdirTemp("", "rootfs-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o777); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(work, "tree")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		filepath.Join(root, "images", "redis", "rootfs.sh"), tree)
	build.Env = append(env, "TMPDIR="+work, "HOME="+work)
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("rootfs.sh as nobody without mmdebstrap: %v\n%s", err, out)
	}
	t.Logf("rootfs.sh as nobody, without mmdebstrap: %s", time.Since(start).Round(10*time.Millisecond))

	// Each binary through the tree's loader, which searches the tree's
	// library folders only (no ld.so.cache, no host folder on the list).
	loader := filepath.Join(tree, "lib64", "ld-linux-x86-64.so.2")
	libs := filepath.Join(tree, "lib/x86_64-linux-gnu") + ":" + filepath.Join(tree, "usr/lib/x86_64-linux-gnu")
	runInTree := func(argv0, bin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(loader, append([]string{"--inhibit-cache", "--library-path", libs, "--argv0", argv0, filepath.Join(tree, bin)}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s (%s) %v: %v\n%s", argv0, bin, args, err, out)
		}
		return string(out)
	}
	for _, tc := range []struct{ argv0, bin, want string }{
		{"redis-server", "usr/bin/redis-server", "Redis server v=7.0."},
		{"redis-sentinel", "usr/bin/redis-sentinel", "Redis server v=7.0."},
		{"redis-check-rdb", "usr/bin/redis-check-rdb", "redis-check-rdb 7.0."},
		{"redis-cli", "usr/bin/redis-cli", "redis-cli 7.0."},
	} {
		if out := runInTree(tc.argv0, tc.bin, "--version"); !strings.Contains(out, tc.want) {
			t.Errorf("%s --version = %q; want %q", tc.argv0, out, tc.want)
		}
	}
	if out := runInTree("sh", "bin/sh", "-c", "echo ok; sha256sum /dev/null | cut -c1-8"); out != "ok\ne3b0c442\n" {
		t.Errorf("busybox sh = %q; want ok and the empty SHA-256", out)
	}
	for _, bin := range []string{"usr/bin/redis-check-rdb", "usr/bin/redis-cli", "bin/busybox"} {
		out, err := exec.Command(loader, "--inhibit-cache", "--library-path", libs, "--list", filepath.Join(tree, bin)).CombinedOutput()
		if err != nil {
			t.Fatalf("loader --list %s: %v\n%s", bin, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[1] == "=>" && !strings.HasPrefix(f[2], tree+"/") {
				t.Errorf("%s: %q resolves outside the tree", bin, line)
			}
		}
	}
	for name, mode := range map[string]os.FileMode{"run/redis": os.ModeDir | os.ModeSticky | 0o777, "var/lib/redis": os.ModeDir | 0o750, "tmp": os.ModeDir | os.ModeSticky | 0o777} {
		if fi, err := os.Stat(filepath.Join(tree, name)); err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v, %v; want mode %v", name, fi.Mode(), err, mode)
		}
	}

	// Without apt-get: one line saying what is missing.
	bin := t.TempDir()
	for _, tool := range []string{"bash", "dirname"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	noApt := exec.Command(filepath.Join(bin, "bash"), filepath.Join(root, "images", "redis", "rootfs.sh"), filepath.Join(work, "none"))
	noApt.Env = []string{"PATH=" + bin}
	var stderr bytes.Buffer
	noApt.Stderr = &stderr
	err = noApt.Run()
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); err == nil || len(lines) != 1 || !strings.Contains(lines[0], "apt-get not found") {
		t.Errorf("rootfs.sh without apt-get: %v, stderr %q; want a failure and one line saying apt-get is missing", err, stderr.String())
	}
}
