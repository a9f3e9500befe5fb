//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/logstoretest"
	"github.com/appstack/appstack/internal/seedref"
)

// LogStoreUser is the store's basic-auth user (compose.yaml); its password
// is the logstore_password secret.
const LogStoreUser = "appstack"

// LogStore returns a LogsQL client of the stack's logstore. The store is
// not published on the host: the client goes to the container's address
// on the stack's network, which the host reaches. Ask again after the
// container restarts: its address may change.
func (s *Stack) LogStore(tb testing.TB) *logstoretest.Client {
	tb.Helper()
	out, err := Docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", s.Container(tb, "logstore"))
	ips := strings.Fields(out)
	if err != nil || len(ips) == 0 {
		tb.Fatalf("logstore's address: %q, %v", out, err)
	}
	return &logstoretest.Client{URL: "http://" + ips[0] + ":9428", User: LogStoreUser, Password: s.Secret(tb, "logstore_password")}
}

// StoreRows polls the store until query returns at least one row, and
// returns the rows and when they were seen.
func StoreRows(c *logstoretest.Client, query string, timeout time.Duration) ([]logstoretest.Row, time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		rows, err := c.Query(ctx, query)
		if err == nil && len(rows) > 0 {
			return rows, time.Now(), nil
		}
		if ctx.Err() != nil {
			return nil, time.Time{}, fmt.Errorf("no row for %s after %s (last error: %v)", query, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkLogStore checks that the store answers LogsQL with what logship
// read: access-log lines for unique paths within 2 s of the request, each
// once, with the event's fields; and a Redis log line.
func checkLogStore(t *testing.T, s *Stack) {
	t.Helper()
	c := s.LogStore(t)
	const n = 5
	var lat []time.Duration
	var paths []string
	for i := 0; i < n; i++ {
		path := "/hello/e2e-store-" + randomHex(t, 6)
		start := time.Now()
		if r, err := s.Get(path, ""); err != nil || r.Status != 200 {
			t.Fatalf("GET %s = %d, %v", path, r.Status, err)
		}
		rows, seen, err := StoreRows(c, logstoretest.Quote("GET "+path+" HTTP/1.1"), 2*time.Second)
		if err != nil {
			t.Fatalf("access-log line of GET %s in the store: %v", path, err)
		}
		r := rows[0]
		ts, err := time.Parse(time.RFC3339Nano, r["_time"])
		if err != nil || ts.Before(start.Add(-time.Second)) || ts.After(seen) {
			t.Errorf("_time %q (%v); want the event's @timestamp, between the request (%s) and now", r["_time"], err, start.UTC().Format(time.RFC3339Nano))
		}
		if r["path"] != "/var/log/nodeapp/nodeapp.log" || r["type"] != "syslog" || r["host"] == "" || r["@version"] != "1" ||
			!strings.Contains(r["_msg"], `"GET `+path+` HTTP/1.1" 200`) {
			t.Errorf("stored entry %v; want the access-log line as _msg, path, type syslog, host, @version", r)
		}
		lat = append(lat, seen.Sub(start))
		paths = append(paths, path)
	}
	slices.Sort(lat)
	t.Logf("request → queryable in the log store (LogsQL, polled every 20 ms), %d requests: min %s, median %s, max %s",
		n, lat[0].Round(time.Millisecond), lat[n/2].Round(time.Millisecond), lat[n-1].Round(time.Millisecond))

	// A Redis log line: BGSAVE makes the primary log one. Its latency is
	// timed from the line's own timestamp (Redis logs in UTC), not from the
	// docker exec that asked for it.
	asked := time.Now()
	if out := s.MustRedisCLI(t, "redis_primary", "bgsave"); !strings.Contains(out, "Background saving started") {
		t.Fatalf("BGSAVE answered %q", out)
	}
	query := logstoretest.Quote("Background saving started") + ` path:="/var/log/redis/redis-server.log"`
	var logged, seen time.Time
	var line string
	if err := WaitFor(10*time.Second, func() error {
		rows, err := c.Query(context.Background(), query)
		if err != nil {
			return err
		}
		seen = time.Now()
		for _, r := range rows {
			f := strings.Fields(r["_msg"]) // 1:M 02 Dec 2026 03:54:38.628 * Background saving started by pid 230
			if len(f) < 5 {
				return fmt.Errorf("Redis log line %q: want PID:ROLE DAY MONTH YEAR TIME", r["_msg"])
			}
			ts, err := time.Parse("02 Jan 2006 15:04:05.000", strings.Join(f[1:5], " "))
			if err == nil && !ts.Before(asked.Add(-time.Second)) {
				logged, line = ts, r["_msg"]
				return nil
			}
		}
		return fmt.Errorf("%d older lines", len(rows))
	}); err != nil {
		t.Fatalf("Redis's BGSAVE line in the store: %v", err)
	}
	if lat := seen.Sub(logged); lat > 2*time.Second {
		t.Errorf("Redis log line %q queryable %s after Redis wrote it; want within 2 s", line, lat)
	} else {
		t.Logf("Redis log line → queryable: %s (%q)", lat.Round(time.Millisecond), line)
	}

	for _, p := range paths {
		if got, err := c.Count(context.Background(), logstoretest.Quote("GET "+p+" HTTP/1.1")); err != nil || got != 1 {
			t.Errorf("GET %s is in the store %d times (%v); want once", p, got, err)
		}
	}
}

// TestLogStore runs the default stack with its log store: what logship
// reads is searchable; the store stopped for a minute under load, then
// started, ends with every line exactly once, while logship stays within
// its memory budget (it stops reading; the backlog waits in the files).
func TestLogStore(t *testing.T) {
	s := StartStack(t, Options{})
	t.Run("logship's stack pipeline is the seed's logstash.conf plus the store's output", func(t *testing.T) {
		shared, err := seedref.Dir(os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := os.ReadFile(filepath.Join(shared, "seed", "logstash.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if got := fileInImage(t, "appstack/logship:latest", "/etc/logship/stack/logstash.conf"); !bytes.Equal(got, seed) {
			t.Errorf("/etc/logship/stack/logstash.conf differs from the seed's:\n%s", got)
		}
		cmd, err := Docker("inspect", "-f", "{{json .Config.Cmd}}", s.Container(t, "logship"))
		if err != nil || !strings.Contains(cmd, `"-f","/etc/logship/stack"`) {
			t.Errorf("logship runs %s (%v); want -f /etc/logship/stack", cmd, err)
		}
	})
	t.Run("requests and Redis log lines are searchable with LogsQL", func(t *testing.T) {
		checkLogStore(t, s)
	})
	t.Run("the store needs its password, except for /health", func(t *testing.T) {
		c := s.LogStore(t)
		c.Password = "wrong"
		if _, err := c.Query(context.Background(), "*"); err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("query with a wrong password = %v; want 401", err)
		}
	})
	t.Run("the store stopped 60 s under load, then started: every line once, logship's memory bounded", func(t *testing.T) {
		testStoreOutage(t, s)
	})
}

func testStoreOutage(t *testing.T, s *Stack) {
	prefix := "/hello/e2e-outage-" + randomHex(t, 4) + "-"
	logship := pidOf(t, s, "logship")
	webapp := pidOf(t, s, "webapp")
	accessLog := filepath.Join("/proc", strconv.Itoa(webapp), "root", "var", "log", "nodeapp", "nodeapp.log")
	rssBefore := procKB(t, logship, "VmRSS")

	flood := startPathFlood(s, prefix, 4)
	time.Sleep(3 * time.Second)
	sizeAtStop := fileSize(t, accessLog)
	s.MustCompose(t, "stop", "-t", "10", "logstore")
	stopped := time.Now()
	peak := 0
	for time.Since(stopped) < 60*time.Second {
		peak = max(peak, procKB(t, logship, "VmRSS"))
		time.Sleep(500 * time.Millisecond)
	}
	backlog := fileSize(t, accessLog) - sizeAtStop
	s.MustCompose(t, "start", "logstore")
	started := time.Now()
	time.Sleep(3 * time.Second)
	sent := flood.stop()
	t.Logf("%d requests with unique paths (%d failed) in %s; the access log grew %.1f MiB while the store was down",
		len(sent), flood.failed(), time.Since(stopped.Add(-3*time.Second)).Round(time.Second), float64(backlog)/(1<<20))
	t.Logf("logship VmRSS: %.1f MiB before, peak %.1f MiB during the outage", float64(rssBefore)/1024, float64(peak)/1024)
	if peak > 64*1024 {
		t.Errorf("logship's peak VmRSS during the outage = %.1f MiB; want within its budget (< 64 MiB)", float64(peak)/1024)
	}
	// logship's buffers hold about 5 MiB of lines (16 chunks of 256 KiB):
	// a smaller backlog would not show that it stops reading.
	if backlog < 8<<20 {
		t.Errorf("the access log grew only %.1f MiB while the store was down; want more than logship buffers (8 MiB)", float64(backlog)/(1<<20))
	}

	c := s.LogStore(t)
	filter := logstoretest.Quote(prefix)
	var n int
	if err := WaitFor(2*time.Minute, func() error {
		var err error
		if n, err = c.Count(context.Background(), filter); err != nil || n < len(sent) {
			return fmt.Errorf("%d of %d lines in the store (%v)", n, len(sent), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("store started → all %d lines queryable: %s", len(sent), time.Since(started).Round(100*time.Millisecond))
	// Every path is one request's: no line twice, none missing (a request
	// that failed on the client's side may still have been logged).
	rows, err := c.Query(context.Background(), filter+" | stats count() n, count_uniq(_msg) u")
	if err != nil || len(rows) != 1 {
		t.Fatalf("stats of the outage lines: %v, %v", rows, err)
	}
	total, _ := strconv.Atoi(rows[0]["n"])
	uniq, _ := strconv.Atoi(rows[0]["u"])
	if uniq != total || total < len(sent) || total > len(sent)+flood.failed() {
		t.Errorf("the store holds %d lines, %d different, for %d requests answered (%d failed); want each exactly once", total, uniq, len(sent), flood.failed())
	}
}

// pathFlood sends GET prefix+N from clients goroutines back to back, N
// unique, until stop or maxFlood requests, and keeps the paths answered
// 200.
// maxFlood bounds a pathFlood: about 13 MiB of access log, more than
// logship buffers, few enough for the rubydebug copy of each line to go
// through `docker logs` in seconds.
const maxFlood = 120_000

type pathFlood struct {
	stopCh chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	ok     []string
	bad    int
}

func startPathFlood(s *Stack, prefix string, clients int) *pathFlood {
	f := &pathFlood{stopCh: make(chan struct{})}
	var next sync.Mutex
	i := 0
	for range clients {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for {
				select {
				case <-f.stopCh:
					return
				default:
				}
				next.Lock()
				n := i
				i++
				next.Unlock()
				if n >= maxFlood {
					return
				}
				path := prefix + strconv.Itoa(n)
				r, err := s.Get(path, "")
				f.mu.Lock()
				if err == nil && r.Status == 200 {
					f.ok = append(f.ok, path)
				} else {
					f.bad++
				}
				f.mu.Unlock()
			}
		}()
	}
	return f
}

func (f *pathFlood) stop() []string {
	close(f.stopCh)
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ok)
}

func (f *pathFlood) failed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bad
}

func pidOf(t *testing.T, s *Stack, service string) int {
	t.Helper()
	out, err := Docker("inspect", "-f", "{{.State.Pid}}", s.Container(t, service))
	pid, perr := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || perr != nil || pid == 0 {
		t.Fatalf("pid of %s: %q, %v", service, out, err)
	}
	return pid
}

// procKB reads a "Name: N kB" field of /proc/PID/status.
func procKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(procField(string(b), field))
	if len(f) == 0 {
		t.Fatalf("/proc/%d/status has no %s", pid, field)
	}
	kb, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
