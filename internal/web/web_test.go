package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
	sessionredis "github.com/appstack/appstack/internal/session/redis"
	"github.com/appstack/appstack/internal/syncbuf"
	"github.com/appstack/appstack/internal/web"
)

// testServer is webapp's handler on a real Redis, as cmd/webapp wires it.
type testServer struct {
	*httptest.Server
	redis     *redistest.Server
	accessLog *syncbuf.Buffer
	log       *syncbuf.Buffer
	signer    *session.Signer
	// clock is the server's clock, in unix nanos; it stands still unless
	// a test moves it.
	clock atomic.Int64
}

func newTestServer(t *testing.T, waitReplicas int, directives ...string) *testServer {
	t.Helper()
	srv := redistest.Start(t, directives...)
	client := redisconn.New(redisconn.Config{Addr: srv.Addr, Timeout: 200 * time.Millisecond, WaitTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	reg := prometheus.NewRegistry()
	signer, _ := session.NewSigner("keyboard-cat")
	ts := &testServer{redis: srv, accessLog: &syncbuf.Buffer{}, log: &syncbuf.Buffer{}, signer: signer}
	ts.clock.Store(time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC).UnixNano())
	log := slog.New(slog.NewJSONHandler(ts.log, nil))
	store := sessionredis.New(client, sessionredis.Options{
		WaitReplicas: waitReplicas, WaitTimeout: 200 * time.Millisecond, AttemptTimeout: 200 * time.Millisecond, Registerer: reg,
	})
	t.Cleanup(store.Close)
	reg.MustRegister(redisconn.NewPoolCollector(client))
	ts.Server = httptest.NewServer(web.NewServer(web.Deps{
		Sessions:  &session.Manager{Store: store, Signer: signer},
		Ready:     store,
		Registry:  reg,
		AccessLog: ts.accessLog,
		Log:       log,
		Now:       func() time.Time { return time.Unix(0, ts.clock.Load()) },
	}))
	t.Cleanup(ts.Close)
	// Long enough for any bounded request: a request fails only if it hangs.
	ts.Client().Timeout = 20 * time.Second
	return ts
}

type response struct {
	status int
	header http.Header
	body   string
}

func (ts *testServer) do(t *testing.T, method, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	tests := []struct {
		name, method, path string
		status             int
		body               string
		session, logged    bool
	}{
		{"GET / is the seed's status", "GET", "/", 200, "{\n  \"status\": \"ok\"\n}", true, true},
		{"GET /hello/:name greets", "GET", "/hello/w%C3%B6rld", 200, "{\n  \"hello\": \"wörld\"\n}", true, true},
		{"HEAD has no body", "HEAD", "/hello/x", 200, "", true, true},
		{"a bad escape is a 400, from the router", "GET", "/hello/%FF", 400, "{\n  \"error\": \"Bad Request\"\n}", false, true},
		{"healthz answers", "GET", "/healthz", 200, "{\n  \"status\": \"ok\"\n}", false, false},
		{"readyz answers while Redis does", "GET", "/readyz", 200, "{\n  \"status\": \"ok\"\n}", false, false},
		{"an unknown path is a JSON 404", "GET", "/nope", 404, "{\n  \"error\": \"Not Found\"\n}", false, true},
		{"another method is a JSON 405", "DELETE", "/hello/x", 405, "{\n  \"error\": \"Method Not Allowed\"\n}", false, true},
		{"POST to a probe is a JSON 405", "POST", "/healthz", 405, "{\n  \"error\": \"Method Not Allowed\"\n}", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(t, tt.method, tt.path)
			if r.status != tt.status || r.body != tt.body {
				t.Errorf("%s %s = %d %q; want %d %q", tt.method, tt.path, r.status, r.body, tt.status, tt.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("%s %s Content-Type = %q; want JSON", tt.method, tt.path, ct)
			}
			if got := r.header.Get("Set-Cookie") != ""; got != tt.session {
				t.Errorf("%s %s sets a cookie: %v; want %v", tt.method, tt.path, got, tt.session)
			}
			if tt.status == 405 && r.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("405 Allow = %q; want %q", r.header.Get("Allow"), "GET, HEAD")
			}
			if r.header.Get("X-Powered-By") != "Express" {
				t.Errorf("X-Powered-By = %q; want Express, as the seed sends", r.header.Get("X-Powered-By"))
			}
		})
	}
	if keys := ts.redis.Do("DBSIZE").(int64); keys != 3 {
		t.Errorf("DBSIZE = %d; want one session per seed-route request (3), none for probes and errors", keys)
	}
	m := ts.do(t, "GET", "/metrics")
	for _, want := range []string{
		`webapp_http_requests_total{code="200",route="/hello/:name"} 2`,
		`webapp_http_requests_total{code="400",route="/hello/:name"} 1`,
		`webapp_http_requests_total{code="404",route="unmatched"} 1`,
		`webapp_http_requests_total{code="405",route="/healthz"} 1`,
		`webapp_http_request_duration_seconds_bucket{route="/",le=`,
		`webapp_redis_pool_connections{pool="main"}`,
		`webapp_redis_pool_hits_total{pool="pipeline"}`,
		`webapp_session_degraded_total{reason="save_failed"} 0`,
	} {
		if !strings.Contains(m.body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	want := 0
	for _, tt := range tests {
		if tt.logged {
			want++
		}
	}
	if log := ts.accessLog.String(); strings.Count(log, "\n") != want || strings.Contains(log, "/healthz") || strings.Contains(log, "/readyz") || strings.Contains(log, "/metrics") {
		t.Errorf("access log:\n%s\nwant one line per request (%d) except probes and /metrics", log, want)
	}
}

func TestReturningSessionGetsNoCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	first := ts.do(t, "GET", "/")
	sc := first.header.Get("Set-Cookie")
	if sc == "" {
		t.Fatal("no Set-Cookie for a new session")
	}
	cookie := sc[:strings.IndexByte(sc, ';')]
	ts.redis.Do("FLUSHDB")
	id := strings.TrimPrefix(cookie, "connect.sid=s%3A")
	id = id[:strings.IndexByte(id, '.')]
	ts.redis.Do("SET", "sess:"+id, `{"cookie":{"originalMaxAge":2592000000,"expires":"2020-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}}`)
	again := ts.do(t, "GET", "/hello/again", "Cookie", cookie)
	if again.status != 200 || again.header.Get("Set-Cookie") != "" {
		t.Errorf("returning session = %d, Set-Cookie %q; want 200 without a cookie", again.status, again.header.Get("Set-Cookie"))
	}
	if ttl := ts.redis.Do("TTL", "sess:"+id).(int64); ttl < 2591990 {
		t.Errorf("TTL after the returning request = %d; want it rolled to 30 days", ttl)
	}
}

func TestBadCookiesGetAFreshSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	for name, cookie := range map[string]string{
		"malformed percent-encoding": "connect.sid=%E0%A4%A",
		"tampered":                   "connect.sid=s%3Aabc.ZZZZ",
		"unsigned":                   "connect.sid=abc",
		"a JSON cookie":              "connect.sid=j%3A%7B%22a%22%3A1%7D",
		"oversized":                  "connect.sid=s%3A" + strings.Repeat("A", 8000),
		"Latin-1 bytes":              "connect.sid=\xe9t\xe9\xa0\xff",
		"empty":                      "connect.sid=",
		"many pairs":                 strings.Repeat("x=y;", 1000),
	} {
		t.Run(name, func(t *testing.T) {
			r := ts.do(t, "GET", "/", "Cookie", cookie)
			if r.status != 200 || r.body != "{\n  \"status\": \"ok\"\n}" || !strings.HasPrefix(r.header.Get("Set-Cookie"), "connect.sid=s%3A") {
				t.Errorf("GET / with a %s cookie = %d %q, Set-Cookie %q; want 200 and a fresh session", name, r.status, r.body, r.header.Get("Set-Cookie"))
			}
		})
	}
}

// TestRedisDownServesWithoutSession: the answer still comes, after one
// attempt at each store operation, as connect answers while its store is
// disconnected, and metrics count it.
func TestRedisDownServesWithoutSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	cookie := "connect.sid=s%3A" + ts.signer.Sign(session.NewID())
	ts.redis.Kill()
	for _, c := range []string{"", cookie} {
		var r response
		if c == "" {
			r = ts.do(t, "GET", "/hello/down")
		} else {
			r = ts.do(t, "GET", "/hello/down", "Cookie", c)
		}
		if r.status != 200 || r.body != "{\n  \"hello\": \"down\"\n}" || r.header.Get("Set-Cookie") != "" {
			t.Errorf("GET with Redis down = %d %q, Set-Cookie %q; want 200, the JSON, no cookie", r.status, r.body, r.header.Get("Set-Cookie"))
		}
	}
	if r := ts.do(t, "GET", "/readyz"); r.status != 503 || !strings.Contains(r.body, `"status": "unavailable"`) {
		t.Errorf("/readyz with Redis down = %d %q; want 503 JSON", r.status, r.body)
	}
	m := ts.do(t, "GET", "/metrics").body
	// The new session's save, then the returning one's load: one
	// attempt each, which is what bounds the requests.
	for _, want := range []string{
		`webapp_session_degraded_total{reason="save_failed"} 1`,
		`webapp_session_degraded_total{reason="load_failed"} 1`,
		`webapp_session_store_errors_total{kind="connection",op="set"} 1`,
		`webapp_session_store_errors_total{kind="connection",op="get"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(m, "webapp_session_store_retries_total{") {
		t.Error("/metrics counts retries; want none without a retry budget")
	}
	ts.redis.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for ts.do(t, "GET", "/readyz").status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz not 200 within 20 s of Redis coming back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := ts.do(t, "GET", "/"); r.header.Get("Set-Cookie") == "" {
		t.Error("no session once Redis is back")
	}
}

// TestSlowRedisNeverHangsARequest: while Redis is stalled, requests are
// answered, without a session, once the store's attempt times out; had
// they waited for Redis, their sessions would have loaded and saved.
func TestSlowRedisNeverHangsARequest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0, "--enable-debug-command", "yes")
	cookie := "connect.sid=s%3A" + ts.signer.Sign(session.NewID())
	go ts.redis.Client(&goredis.Options{ReadTimeout: time.Minute}).Do(context.Background(), "DEBUG", "SLEEP", "30")
	probe := ts.redis.Client(&goredis.Options{MaxRetries: -1})
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := probe.Ping(ctx).Err()
		cancel()
		var netErr net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
			break // stalled
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis not stalled 20 s after DEBUG SLEEP 30: PING = %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, path := range []string{"/", "/readyz"} {
		r := ts.do(t, "GET", path, "Cookie", cookie)
		if want := map[string]int{"/": 200, "/readyz": 503}[path]; r.status != want {
			t.Errorf("GET %s on a stalled Redis = %d; want %d", path, r.status, want)
		}
	}
	m := ts.do(t, "GET", "/metrics").body
	for _, want := range []string{
		`webapp_session_degraded_total{reason="load_failed"} 1`,
		`webapp_session_store_errors_total{kind="timeout",op="get"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestNoReplicaMeansNoCookie: with WAIT on and no replica, a new session
// is written but not acknowledged: the client gets its JSON without a
// cookie, a metric counts it and a (sampled) log line says why.
func TestNoReplicaMeansNoCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 1)
	for range 3 {
		r := ts.do(t, "GET", "/")
		if r.status != 200 || r.header.Get("Set-Cookie") != "" {
			t.Errorf("GET / without a replica = %d, Set-Cookie %q; want 200 without a cookie", r.status, r.header.Get("Set-Cookie"))
		}
	}
	if m := ts.do(t, "GET", "/metrics").body; !strings.Contains(m, `webapp_session_degraded_total{reason="not_replicated"} 3`) {
		t.Error(`/metrics lacks webapp_session_degraded_total{reason="not_replicated"} 3`)
	}
	// The server's clock stands still: the three fall in one second.
	if n := strings.Count(ts.log.String(), "no replica confirmed"); n != 1 {
		t.Errorf("%d log lines about unreplicated writes in 3 requests within a second; want 1 (sampled)\n%s", n, ts.log)
	}
	ts.clock.Add(int64(time.Second))
	ts.do(t, "GET", "/")
	lines := strings.Split(strings.TrimSpace(ts.log.String()), "\n")
	if n := strings.Count(ts.log.String(), "no replica confirmed"); n != 2 || !strings.Contains(lines[len(lines)-1], `"similar_since_last":2`) {
		t.Errorf("log after a fourth request a second later:\n%s\nwant a second line counting the 2 held back", ts.log)
	}
	// Once a replica is linked (and has acknowledged its first offset,
	// which can take Redis a moment after a full sync), cookies come back.
	ts.redis.ReplicaOf()
	deadline := time.Now().Add(20 * time.Second)
	for ts.do(t, "GET", "/").header.Get("Set-Cookie") == "" {
		if time.Now().After(deadline) {
			t.Fatal("no cookie 20 s after a replica linked")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
