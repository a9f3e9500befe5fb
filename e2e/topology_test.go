//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/seedref"
)

// TestSeedTopology runs the seed's plain topology (compose.yaml alone):
// no Sentinel, webapp talks to redis_primary.
func TestSeedTopology(t *testing.T) {
	s := StartStack(t, Options{Seed: true})
	t.Logf("compose up → all healthy: %s", s.UpTime.Round(100*time.Millisecond))

	t.Run("it has no Sentinel and webapp talks to redis_primary", func(t *testing.T) {
		for _, svc := range s.Services(t) {
			if strings.Contains(svc, "sentinel") {
				t.Errorf("service %s in the seed topology", svc)
			}
		}
		env, err := Docker("inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", s.Container(t, "webapp"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(env, "REDIS_SENTINELS=") || !strings.Contains(env, "REDIS_HOST=redis_primary\n") {
			t.Errorf("webapp's environment:\n%s\nwant REDIS_HOST=redis_primary and no REDIS_SENTINELS", env)
		}
	})
	checkBasics(t, s)
	t.Run("both replicas report master_link_status up", func(t *testing.T) {
		checkReplicasLinked(t, s, "redis_primary")
	})
	t.Run("the stack is hardened", func(t *testing.T) {
		checkHardening(t, s)
	})
	t.Run("requests and Redis log lines are searchable in the log store", func(t *testing.T) {
		checkLogStore(t, s)
	})
}

// TestComposeV2 is a smoke run of the default stack with `docker compose`
// v2, started by `make up COMPOSE="docker compose"`.
func TestComposeV2(t *testing.T) {
	s := StartStack(t, Options{Compose: ComposeV2, ViaMake: true})
	t.Logf("make up (compose v2) → all healthy: %s", s.UpTime.Round(100*time.Millisecond))
	checkBasics(t, s)
	t.Run("the Sentinels agree on redis_primary", func(t *testing.T) {
		if m, err := s.AgreedMaster(t); err != nil || m != "redis_primary:6379" {
			t.Errorf("AgreedMaster = %q, %v; want redis_primary:6379", m, err)
		}
	})
	t.Run("compose exec redis-cli is admin", func(t *testing.T) {
		if out, err := s.Compose("exec", "-T", "redis_replica1", "redis-cli", "acl", "whoami"); err != nil || strings.TrimSpace(out) != "admin" {
			t.Errorf("compose exec redis_replica1 redis-cli acl whoami = %q, %v; want admin", out, err)
		}
	})
}

// images are every image `make images` builds, with the user each runs as.
var images = []struct{ name, user string }{
	{"redis", "999:999"},
	{"redis-primary", "999:999"},
	{"redis-replica", "999:999"},
	{"redis-sentinel", "999:999"},
	{"webapp", "10001:10001"},
	{"logship", "10002:10002"},
	{"logstore", "10003:10003"},
}

// TestImages checks what the images are, and prints their sizes.
func TestImages(t *testing.T) {
	t.Parallel()
	var sizes []string
	for _, img := range images {
		tag := "appstack/" + img.name + ":latest"
		out, err := Docker("image", "inspect", "-f", `{{.Size}} {{.Config.User}} {{index .Config.Labels "appstack.input"}}`, tag)
		if err != nil {
			t.Errorf("%s: %v (make images builds it)", tag, err)
			continue
		}
		f := strings.Fields(out)
		size, _ := strconv.ParseInt(f[0], 10, 64)
		sizes = append(sizes, tag+" "+strconv.FormatFloat(float64(size)/1e6, 'f', 1, 64)+" MB")
		if len(f) < 3 || f[1] != img.user {
			t.Errorf("%s: user and build label %q; want user %s and an appstack.input label", tag, out, img.user)
		}
		if img.name == "webapp" && size >= 15e6 {
			t.Errorf("%s is %d bytes; want under 15 MB", tag, size)
		}
	}
	t.Logf("image sizes:\n%s", strings.Join(sizes, "\n"))

	t.Run("logship's default pipeline is the seed's logstash.conf, unchanged", func(t *testing.T) {
		shared, err := seedref.Dir(os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile(filepath.Join(shared, "seed", "logstash.conf"))
		if err != nil {
			t.Fatalf("the seed's logstash.conf: %v", err)
		}
		repo, err := os.ReadFile(filepath.Join("..", "images", "logship", "logstash.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(repo, seed) {
			t.Errorf("images/logship/logstash.conf differs from the seed's:\n%s\nwant:\n%s", repo, seed)
		}
		if got := fileInImage(t, "appstack/logship:latest", "/etc/logstash.conf"); !bytes.Equal(got, seed) {
			t.Errorf("/etc/logstash.conf in appstack/logship differs from the seed's:\n%s", got)
		}
	})
}

// fileInImage reads one file out of an image without running it (scratch
// images have no cat): docker create, then docker cp to a tar stream.
func fileInImage(t *testing.T, image, path string) []byte {
	t.Helper()
	out, err := Docker("create", image)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	defer Docker("rm", "-v", id)
	tarball, err := Docker("cp", id+":"+path, "-")
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(strings.NewReader(tarball))
	if _, err := tr.Next(); err != nil {
		t.Fatalf("docker cp %s: %v", path, err)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
