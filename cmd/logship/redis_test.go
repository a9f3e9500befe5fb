package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/redistest"
)

// TestRedisOutputDownThenBackUp ships through the real binary's wiring to
// a real redis-server, kills the server, keeps writing, restarts it, and
// checks that the lines written meanwhile arrive once it is back.
func TestRedisOutputDownThenBackUp(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--requirepass", "pw")
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	appendLines := func(lines ...string) {
		t.Helper()
		f, err := os.OpenFile(logFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			fmt.Fprintln(f, l)
		}
	}
	appendLines("before 1", "before 2")
	cfg := fmt.Sprintf(`input { file { path => %q } }
output { redis { host => ["127.0.0.1"] port => %d password => "pw" key => "logstash" data_type => "list" } }`, logFile, srv.Port)
	_, stderr, stop := started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	client := func() *goredis.Client { return srv.Client(&goredis.Options{Password: "pw"}) }
	llen := func() int64 {
		v, _ := client().LLen(context.Background(), "logstash").Result()
		return v
	}
	waitFor(t, "the first lines in redis", func() bool { return llen() == 2 })
	srv.Kill()
	appendLines("during 1", "during 2", "during 3")
	waitFor(t, "the failure to be reported", func() bool { return strings.Contains(stderr.String(), "output failed, retrying") })
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("stderr line is not slog JSON: %q", line)
		}
	}
	time.Sleep(200 * time.Millisecond)
	srv.Restart() // an empty server: nothing was persisted
	waitFor(t, "the lines written while redis was down", func() bool { return llen() == 3 })
	got, err := client().LRange(context.Background(), "logstash", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if want := fmt.Sprintf(`"message":"during %d"`, i+1); !strings.Contains(v, want) {
			t.Errorf("list item %d = %s; want %s", i, v, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run = %v", err)
	}
}
