//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// seedBody is what the seed's Express app answers on GET /: res.json with
// Express's default two-space indentation.
const seedBody = "{\n  \"status\": \"ok\"\n}"

// checkBasics runs, as subtests, the checks every topology passes on a
// fresh stack: the seed's answer, replication of the session, events in
// logship's output. It returns the session cookie of the first request.
func checkBasics(t *testing.T, s *Stack) string {
	t.Helper()
	var cookie string
	t.Run("GET / answers the seed's body and starts a session", func(t *testing.T) {
		cookie = checkRoot(t, s)
	})
	if cookie == "" {
		t.FailNow()
	}
	t.Run("the session is on the primary and within 1 s on both replicas", func(t *testing.T) {
		checkSessionReplicated(t, s, "redis_primary")
	})
	t.Run("access-log and Redis log lines reach logship within 2 s", func(t *testing.T) {
		checkLogEvents(t, s)
	})
	return cookie
}

// checkRoot requests / without a cookie and checks the seed's answer; it
// returns the session cookie webapp set.
func checkRoot(t *testing.T, s *Stack) string {
	t.Helper()
	r, err := s.Get("/", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.Body != seedBody {
		t.Fatalf("GET / = %d %q; want 200 %q", r.Status, r.Body, seedBody)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("GET / Content-Type = %q; want %q", ct, "application/json; charset=utf-8")
	}
	c := r.SessionCookie()
	if c == "" {
		t.Fatalf("GET / set no connect.sid cookie; headers %v", r.Header)
	}
	return c
}

// checkSessionReplicated starts a session and checks that it is on primary
// when webapp answers and on both replicas within 1 s, looking inside the
// containers.
func checkSessionReplicated(t *testing.T, s *Stack, primary string) {
	t.Helper()
	watches := map[string]*KeyWatch{}
	for _, svc := range RedisServices {
		if svc != primary {
			watches[svc] = s.WatchKey(t, svc)
		}
	}
	r, err := s.Get("/", "")
	answered := time.Now()
	if err != nil || r.SessionCookie() == "" {
		t.Fatalf("GET / = %d, %v; want a new session", r.Status, err)
	}
	key := "sess:" + SessionID(t, r.SessionCookie())
	for _, w := range watches {
		w.Look(key)
	}
	if got := s.MustRedisCLI(t, primary, "exists", key); got != "1" {
		t.Fatalf("%s: EXISTS %s = %q after the response; want 1", primary, key, got)
	}
	for svc, w := range watches {
		seen, err := w.Seen(key)
		if err != nil {
			t.Error(err)
			continue
		}
		lag := seen.Sub(answered)
		if lag > time.Second {
			t.Errorf("%s had %s %s after the response; want within 1 s", svc, key, lag)
		}
		t.Logf("%s had the session at most %s after the response", svc, lag.Round(time.Millisecond))
	}
}

// checkLogEvents checks that access-log lines for unique paths, and a Redis
// log line, reach logship's output within 2 s, and reports the latency from
// request to event. It also checks they are in `compose logs logship`.
func checkLogEvents(t *testing.T, s *Stack) {
	t.Helper()
	es := s.FollowEvents(t)
	const n = 10
	var lat []time.Duration
	var paths []string
	for i := 0; i < n; i++ {
		path := "/hello/e2e-" + randomHex(t, 6)
		start := time.Now()
		if r, err := s.Get(path, ""); err != nil || r.Status != 200 {
			t.Fatalf("GET %s = %d, %v", path, r.Status, err)
		}
		ev, err := es.WaitFor(2*time.Second-time.Since(start), func(e Event) bool {
			return e.Path() == "/var/log/nodeapp/nodeapp.log" && strings.Contains(e.Message(), `"GET `+path+` HTTP/1.1" 200`)
		})
		if err != nil {
			t.Fatalf("access-log line of GET %s: %v", path, err)
		}
		for _, k := range []string{"@timestamp", "@version", "host", "type"} {
			if ev.Fields[k] == "" {
				t.Errorf("event %v has no %q field", ev.Fields, k)
			}
		}
		lat = append(lat, ev.Seen.Sub(start))
		paths = append(paths, path)
		time.Sleep(50 * time.Millisecond)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("request→log-event latency over %d requests: min %s, median %s, max %s",
		n, lat[0].Round(time.Millisecond), lat[n/2].Round(time.Millisecond), lat[n-1].Round(time.Millisecond))

	// A Redis log line: BGSAVE makes the primary log one. Its latency is
	// timed from the line's own timestamp (Redis logs in UTC), not from
	// the docker exec that asked for it.
	if out := s.MustRedisCLI(t, "redis_primary", "bgsave"); !strings.Contains(out, "Background saving started") {
		t.Fatalf("BGSAVE answered %q", out)
	}
	ev, err := es.WaitFor(5*time.Second, func(e Event) bool {
		return e.Path() == "/var/log/redis/redis-server.log" && strings.Contains(e.Message(), "Background saving started")
	})
	if err != nil {
		t.Fatalf("Redis log line: %v", err)
	}
	f := strings.Fields(ev.Message()) // 1:M 25 Nov 2026 21:04:49.141 * Background saving started by pid 199
	if len(f) < 5 {
		t.Fatalf("Redis log line %q: want PID:ROLE DAY MONTH YEAR TIME", ev.Message())
	}
	logged, err := time.Parse("2 Jan 2006 15:04:05.000", strings.Join(f[1:5], " "))
	if err != nil {
		t.Fatalf("Redis log line %q: %v", ev.Message(), err)
	}
	if lat := ev.Seen.Sub(logged); lat > 2*time.Second {
		t.Errorf("Redis log line %q reached logship's output %s after Redis wrote it; want within 2 s", ev.Message(), lat)
	} else {
		t.Logf("Redis log line → event: %s (%q)", lat.Round(time.Millisecond), ev.Message())
	}

	// The same events, as a user reads them.
	got := map[string]int{}
	for _, e := range s.Events(t) {
		for _, p := range paths {
			if strings.Contains(e.Message(), `"GET `+p+` `) {
				got[p]++
			}
		}
	}
	for _, p := range paths {
		if got[p] != 1 {
			t.Errorf("compose logs logship: GET %s appears %d times; want 1", p, got[p])
		}
	}
}

// checkReplicasLinked checks that both replicas of primary report their
// link up.
func checkReplicasLinked(t *testing.T, s *Stack, primary string) {
	t.Helper()
	for _, svc := range RedisServices {
		if svc == primary {
			continue
		}
		err := WaitFor(10*time.Second, func() error {
			if got := s.InfoField(t, svc, "replication", "master_link_status"); got != "up" {
				return fmt.Errorf("%s: master_link_status:%s", svc, got)
			}
			if got := s.InfoField(t, svc, "replication", "master_host"); got != primary {
				return fmt.Errorf("%s: master_host:%s, want %s", svc, got, primary)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

// checkHardening checks what the compose file promises for every container
// and what the kernel says about each container's main process: only
// webapp's port published, non-root, read-only root, no capabilities, no
// privilege gain; and Redis's own access control.
func checkHardening(t *testing.T, s *Stack) {
	t.Helper()
	for _, svc := range s.Services(t) {
		id := s.Container(t, svc)
		t.Run(svc, func(t *testing.T) {
			out, err := Docker("inspect", "-f",
				`{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}|{{.HostConfig.CapDrop}}|{{.HostConfig.SecurityOpt}}|{{.State.Pid}}|{{range $p, $b := .NetworkSettings.Ports}}{{range $b}}{{$p}}->{{.HostPort}} {{end}}{{end}}`, id)
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Split(strings.TrimSpace(out), "|")
			user, ro, capDrop, secOpt, pid, published := f[0], f[1], f[2], f[3], f[4], strings.TrimSpace(f[5])
			if user == "" || user == "root" || strings.HasPrefix(user, "0:") || user == "0" {
				t.Errorf("image user = %q; want a non-root user", user)
			}
			if ro != "true" {
				t.Errorf("ReadonlyRootfs = %s; want true", ro)
			}
			if capDrop != "[ALL]" {
				t.Errorf("CapDrop = %s; want [ALL]", capDrop)
			}
			if !strings.Contains(secOpt, "no-new-privileges:true") {
				t.Errorf("SecurityOpt = %s; want no-new-privileges:true", secOpt)
			}
			// Docker lists a binding per address family: compare the set.
			var got []string
			for _, p := range strings.Fields(published) {
				if !slices.Contains(got, p) {
					got = append(got, p)
				}
			}
			var want []string
			if svc == "webapp" {
				want = []string{"3000/tcp->" + strconv.Itoa(s.Port)}
			}
			if !slices.Equal(got, want) {
				t.Errorf("published ports = %q; want %q", got, want)
			}
			status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct{ field, re string }{
				{"Uid", `^[1-9][0-9]*\s`},
				{"Gid", `^[1-9][0-9]*\s`},
				{"CapEff", `^0000000000000000$`},
				{"CapPrm", `^0000000000000000$`},
				{"NoNewPrivs", `^1$`},
			} {
				v := procField(string(status), w.field)
				if !regexp.MustCompile(w.re).MatchString(v) {
					t.Errorf("/proc/%s/status %s: %q; want %s", pid, w.field, v, w.re)
				}
			}
			mounts, err := os.ReadFile(filepath.Join("/proc", pid, "mountinfo"))
			if err != nil {
				t.Fatal(err)
			}
			if opts := rootMountOptions(string(mounts)); !slices.Contains(strings.Split(opts, ","), "ro") {
				t.Errorf("root filesystem mounted %q; want ro", opts)
			}
		})
	}

	t.Run("Redis and Sentinel refuse the default user and let admin in through plain exec redis-cli", func(t *testing.T) {
		for _, svc := range s.Services(t) {
			port := ""
			switch {
			case strings.Contains(svc, "sentinel"):
				port = "26379"
			case strings.HasPrefix(svc, "redis_"):
				port = "6379"
			default:
				continue
			}
			if out, _ := s.Exec(t, svc, "/usr/bin/redis-cli", "-p", port, "ping"); !strings.Contains(out, "NOAUTH") {
				t.Errorf("%s: unauthenticated PING answered %q; want NOAUTH", svc, strings.TrimSpace(out))
			}
			out, err := s.Compose("exec", "-T", svc, "redis-cli", "acl", "whoami")
			if err != nil || strings.TrimSpace(out) != "admin" {
				t.Errorf("%s: compose exec redis-cli acl whoami = %q, %v; want admin", svc, strings.TrimSpace(out), err)
			}
		}
	})

	t.Run("webapp's Redis user is confined to sess:* keys", func(t *testing.T) {
		pw := s.Secret(t, "redis_webapp_password")
		cli := func(args ...string) string {
			out, _ := Docker(append([]string{"exec", "-e", "REDISCLI_AUTH=" + pw, s.Container(t, "redis_primary"),
				"/usr/bin/redis-cli", "--user", "webapp"}, args...)...)
			return strings.TrimSpace(out)
		}
		// What webapp sends (images/redis/webapp.acl): STRLEN and GETRANGE
		// on sess:* keys are allowed, on any other key refused, and
		// commands it does not send (GET among them) refused outright.
		if got := cli("strlen", "sess:e2e-nonexistent"); got != "0" {
			t.Errorf("webapp: STRLEN sess:e2e-nonexistent = %q; want 0", got)
		}
		if got := cli("getrange", "sess:e2e-nonexistent", "0", "-1"); got != "" {
			t.Errorf("webapp: GETRANGE sess:e2e-nonexistent 0 -1 = %q; want empty", got)
		}
		for _, args := range [][]string{{"strlen", "e2e-other"}, {"getrange", "e2e-other", "0", "-1"}, {"get", "sess:e2e-nonexistent"},
			{"set", "e2e-other", "x"}, {"keys", "*"}, {"config", "get", "*"}, {"flushall"}} {
			if got := cli(args...); !strings.HasPrefix(got, "NOPERM") {
				t.Errorf("webapp: %s = %q; want NOPERM", strings.Join(args, " "), got)
			}
		}
	})
}

// procField returns the value of one "Name:\tvalue" line of /proc/PID/status.
func procField(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// rootMountOptions returns the mount options of "/" in a mountinfo file.
func rootMountOptions(mountinfo string) string {
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[4] == "/" {
			return f[5]
		}
	}
	return ""
}

// metricSum adds up the samples of a webapp metric whose labels contain
// every one of match (e.g. `code="500"`), from GET /metrics.
func metricSum(t *testing.T, s *Stack, name string, match ...string) float64 {
	t.Helper()
	r, err := s.Get("/metrics", "")
	if err != nil || r.Status != 200 {
		t.Fatalf("GET /metrics = %d, %v", r.Status, err)
	}
	var sum float64
	for _, line := range strings.Split(r.Body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// appErrors is webapp's count of answers that failed a user: 5xx statuses
// and requests served without a working session.
func appErrors(t *testing.T, s *Stack) float64 {
	t.Helper()
	var n float64
	for _, code := range []string{"500", "502", "503", "504"} {
		n += metricSum(t, s, "webapp_http_requests_total", `code="`+code+`"`)
	}
	return n + metricSum(t, s, "webapp_session_degraded_total")
}
