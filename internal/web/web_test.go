package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
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
	URL       string
	client    *http.Client
	redis     *redistest.Server
	accessLog *syncbuf.Buffer
	log       *syncbuf.Buffer
	signer    *session.Signer
	// clock is the server's clock, in unix nanos; it stands still unless
	// a test moves it.
	clock atomic.Int64
}

// newTestServer is webapp's handler on a new Redis started with
// directives, whose writes wait for waitReplicas replicas for 200 ms. A
// Redis attempt may take 5 s, so that a loaded machine fails no test that
// is not about timing.
func newTestServer(t *testing.T, waitReplicas int, directives ...string) *testServer {
	t.Helper()
	return newTestServerTimeout(t, 5*time.Second, waitReplicas, directives...)
}

// newTestServerTimeout is newTestServer with attempt as a Redis attempt's
// timeout.
func newTestServerTimeout(t *testing.T, attempt time.Duration, waitReplicas int, directives ...string) *testServer {
	t.Helper()
	srv := redistest.Start(t, directives...)
	client := redisconn.New(redisconn.Config{Addr: srv.Addr, Timeout: attempt, WaitTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	reg := prometheus.NewRegistry()
	signer, _ := session.NewSigner("keyboard-cat")
	ts := &testServer{redis: srv, accessLog: &syncbuf.Buffer{}, log: &syncbuf.Buffer{}, signer: signer}
	ts.clock.Store(time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC).UnixNano())
	log := slog.New(slog.NewJSONHandler(ts.log, nil))
	store := sessionredis.New(client, sessionredis.Options{
		WaitReplicas: waitReplicas, WaitTimeout: 200 * time.Millisecond, AttemptTimeout: attempt, Registerer: reg,
	})
	t.Cleanup(store.Close)
	reg.MustRegister(redisconn.NewPoolCollector(client))
	h := web.NewHandler(web.Deps{
		Sessions:  &session.Manager{Store: store, Signer: signer},
		Ready:     store,
		Registry:  reg,
		AccessLog: ts.accessLog,
		Log:       log,
		Now:       func() time.Time { return time.Unix(0, ts.clock.Load()) },
	})
	hs, err := web.Listen("127.0.0.1:0", h, log)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve() }()
	t.Cleanup(func() {
		if err := hs.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	ts.URL = "http://" + hs.Addr().String()
	// Long enough for any bounded request: a request fails only if it hangs.
	ts.client = &http.Client{Timeout: 20 * time.Second}
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
	resp, err := ts.client.Do(req)
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
	ts := newTestServerTimeout(t, 200*time.Millisecond, 0, "--enable-debug-command", "yes")
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

// storedSession stores a connect session under a new id, with a TTL of
// 1000 s so that a rolled TTL shows the session was loaded and saved,
// and returns the cookie that names it.
func (ts *testServer) storedSession(t *testing.T, doc string) (id, cookie string) {
	t.Helper()
	id = session.NewID()
	ts.redis.Do("SETEX", "sess:"+id, 1000, doc)
	return id, "connect.sid=s%3A" + ts.signer.Sign(id)
}

const connectDoc = `{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`

// TestAHugeSessionHoldsUpNoOne: one session of 100 MB, asked for 10
// times among 190 requests for ordinary sessions: every ordinary request
// gets its session (loaded and saved back), the huge one is replaced by a
// new session, counted and logged.
func TestAHugeSessionHoldsUpNoOne(t *testing.T) {
	t.Parallel()
	// webapp's longest attempt, so that 200 requests at once on a loaded
	// machine (and the race detector) do not time out on their own.
	ts := newTestServerTimeout(t, time.Second, 0)
	// 100 MB made by Redis itself, so the test need not hold it.
	hugeID := session.NewID()
	ts.redis.Do("SETRANGE", "sess:"+hugeID, 100<<20-1, "}")
	huge := "connect.sid=s%3A" + ts.signer.Sign(hugeID)
	const ordinary, hugeAsks = 190, 10
	ids := make([]string, ordinary)
	cookies := make([]string, 0, ordinary+hugeAsks)
	for i := range ids {
		var c string
		ids[i], c = ts.storedSession(t, connectDoc)
		cookies = append(cookies, c)
	}
	for range hugeAsks {
		cookies = append(cookies, huge)
	}
	rand.Shuffle(len(cookies), func(i, j int) { cookies[i], cookies[j] = cookies[j], cookies[i] })

	start := make(chan struct{})
	results := make(chan response, len(cookies))
	for _, c := range cookies {
		go func() {
			<-start
			results <- ts.do(t, "GET", "/", "Cookie", c)
		}()
	}
	close(start)
	newSessions := 0
	for range cookies {
		r := <-results
		if r.status != 200 {
			t.Errorf("status %d; want 200", r.status)
		}
		if r.header.Get("Set-Cookie") != "" {
			newSessions++
		}
	}
	lost := 0
	for _, id := range ids {
		if ttl := ts.redis.Do("TTL", "sess:"+id).(int64); ttl < 2591000 {
			lost++
		}
	}
	if lost > 0 || newSessions != hugeAsks {
		t.Errorf("%d of %d ordinary sessions not loaded and saved back, %d new sessions; want none lost and %d new (the huge one's)", lost, ordinary, newSessions, hugeAsks)
	}
	m := ts.do(t, "GET", "/metrics").body
	for _, want := range []string{
		`webapp_session_discarded_total{reason="too_large"} 10`,
		`webapp_session_degraded_total{reason="load_failed"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(ts.log.String(), `"reason":"too_large"`) {
		t.Errorf("log:\n%s\nwant a line about the discarded session", ts.log)
	}
}

// TestDiscardedSessionsAreCounted: a stored session that is not one, or
// is over the cap, gives a new session, counted by reason and logged;
// one of 80,000 keys, under the cap, is served and saved back whole.
func TestDiscardedSessionsAreCounted(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	manyKeys := func(n int) string {
		b := []byte(connectDoc[:len(connectDoc)-1])
		for i := range n {
			b = append(b, `,"key`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `":1`...)
		}
		return string(append(b, '}'))
	}
	tests := []struct {
		name    string
		doc     string
		kept    bool   // the stored session is served
		counted string // its discarded reason, if not
	}{
		{"an ordinary session", connectDoc, true, ""},
		{"80,000 keys (0.9 MB) are under the cap", manyKeys(80_000), true, ""},
		{"300,000 keys (3.4 MB) are over it", manyKeys(300_000), false, "too_large"},
		{"not JSON", `{"cookie":`, false, "corrupt"},
		{"no cookie", `{"views":1}`, false, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.do(t, "GET", "/metrics").body
			id, cookie := ts.storedSession(t, tt.doc)
			r := ts.do(t, "GET", "/", "Cookie", cookie)
			if r.status != 200 || r.body != "{\n  \"status\": \"ok\"\n}" {
				t.Fatalf("GET / = %d %q; want 200 and the status", r.status, r.body)
			}
			if got := r.header.Get("Set-Cookie") == ""; got != tt.kept {
				t.Errorf("stored session kept = %v (Set-Cookie %q); want %v", got, r.header.Get("Set-Cookie"), tt.kept)
			}
			after := ts.do(t, "GET", "/metrics").body
			for _, reason := range []string{"corrupt", "too_large"} {
				want := 0.0
				if reason == tt.counted {
					want = 1
				}
				series := `webapp_session_discarded_total{reason="` + reason + `"}`
				if d := metricValue(t, after, series) - metricValue(t, before, series); d != want {
					t.Errorf("%s grew by %v; want %v", series, d, want)
				}
			}
			if !tt.kept {
				return
			}
			stored := ts.redis.Do("GET", "sess:"+id).(string)
			ttl := ts.redis.Do("TTL", "sess:"+id).(int64)
			if len(stored) != len(tt.doc) || stored[len(stored)-20:] != tt.doc[len(tt.doc)-20:] || ttl < 2591000 {
				t.Errorf("session saved back as %d bytes ending %q, TTL %d; want %d bytes ending %q, TTL rolled to 30 days",
					len(stored), stored[len(stored)-20:], ttl, len(tt.doc), tt.doc[len(tt.doc)-20:])
			}
		})
	}
}

// metricValue is the value of one series in a /metrics body; 0 if absent.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// TestRequestBodiesAreNotRead: the seed's routes take no body. A small
// one is skipped and the connection serves the next request; one too
// large to skip closes the connection after the answer, as net/http did,
// without holding it in memory.
func TestRequestBodiesAreNotRead(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	addr := strings.TrimPrefix(ts.URL, "http://")
	for _, tt := range []struct {
		name   string
		body   int
		second bool // the pipelined second request is answered
	}{
		{"a small body", 100, true},
		{"a body over 256 KiB", 1 << 20, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			go func() {
				req := "GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: " + strconv.Itoa(tt.body) + "\r\n\r\n" + strings.Repeat("x", tt.body) +
					"GET /hello/second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
				_, _ = io.WriteString(c, req)
			}()
			b, _ := io.ReadAll(c)
			got := string(b)
			if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") {
				t.Fatalf("answer to a GET with a %d-byte body:\n%.300s\nwant 200", tt.body, got)
			}
			if second := strings.Contains(got, `"hello": "second"`); second != tt.second {
				t.Errorf("second request answered: %v; want %v\n%.600s", second, tt.second, got)
			}
		})
	}
}

// TestSlowHeadersAreCutOff: a client that sends its headers a byte at a
// time (slowloris) has its connection closed once the request has taken
// web.ReadTimeout, unanswered.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, 0)
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: t\r\n"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c)
		closed <- b
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(web.ReadTimeout + 30*time.Second)
	for {
		select {
		case <-giveUp:
			t.Fatalf("slow request still open %v after it began; want it closed after web.ReadTimeout", time.Since(start))
		case b := <-closed:
			took := time.Since(start)
			if took < web.ReadTimeout || took > web.ReadTimeout+10*time.Second {
				t.Errorf("connection closed after %v; want about web.ReadTimeout (%v)", took, web.ReadTimeout)
			}
			if strings.Contains(string(b), " 200 ") {
				t.Errorf("slow request answered:\n%s\nwant it cut off", b)
			}
			return
		case <-tick.C:
			_, _ = io.WriteString(c, "X")
		}
	}
}
