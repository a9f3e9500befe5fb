package main

import (
	"strings"
	"testing"
)

// TestAccessLogDropsAreLogged: on a full disk webapp says once that it
// has begun dropping access log lines, not once per line, and at exit how
// many it dropped in all.
func TestAccessLogDropsAreLogged(t *testing.T) {
	t.Parallel()
	// Redis is not needed: 404s touch no session.
	a := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "1", "LOG_FILE": "/dev/full"})
	path := "/" + strings.Repeat("x", 8000)
	// 40 lines of 8 KB: more than the 256 KiB a failing log holds.
	for range 40 {
		if r := roundTrip(t, a.Addr, get(path)); !strings.Contains(r.StatusLine, " 404 ") {
			t.Fatalf("GET /xxx...:\n%.300s\nwant 404", r)
		}
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("webapp exit: %v", err)
	}
	stderr := a.Stderr.String()
	if n := strings.Count(stderr, "access log: dropping the oldest lines"); n != 1 {
		t.Errorf("stderr says %d times that lines are being dropped; want once\n%.3000s", n, stderr)
	}
	if !strings.Contains(stderr, `"msg":"access log lines dropped"`) {
		t.Errorf("stderr:\n%.3000s\nwant the total dropped at exit", stderr)
	}
}
