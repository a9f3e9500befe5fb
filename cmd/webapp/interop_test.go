package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
)

// stack is one Redis primary with a replica (so WAIT succeeds), the seed's
// Node app and webapp, both on that Redis with the seed's secret.
type stack struct {
	redis, replica *redistest.Server
	node, webapp   *app
}

func startStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	s := &stack{redis: redistest.Start(t)}
	s.replica = s.redis.ReplicaOf()
	s.redis.WaitAcked()
	s.node = startNode(t, s.redis.Port)
	// A retry budget, so that a write whose WAIT a loaded machine made
	// miss its 250 ms is tried again rather than answered without a
	// session: these tests compare answers, not timings.
	e := map[string]string{"SESSION_SECRET": "keyboard-cat", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(s.redis.Port),
		"SESSION_RETRY_BUDGET": "10s"}
	for k, v := range env {
		e[k] = v
	}
	s.webapp = startWebapp(t, e)
	return s
}

// diffCase is one request sent to both apps. Unless deviation says why
// webapp answers differently on purpose, the responses (status line,
// every header, body), the access log lines and the sessions stored in
// Redis must match.
type diffCase struct {
	name, req string
	deviation string
	// wantStatus is webapp's status code for a deviation.
	wantStatus int
}

func get(target string, headers ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: t\r\nUser-Agent: interop-test\r\n" + strings.Join(headers, "") + "\r\n"
}

var (
	longName    = strings.Repeat("n", 1010) // body over 1024 bytes: Express adds an ETag
	longerName  = strings.Repeat("%C3%A9", 1000)
	tooLongName = strings.Repeat("x", 17000) // request header over Node's 16 KiB
)

func diffCases() []diffCase {
	return []diffCase{
		{name: "GET /", req: get("/")},
		{name: "HEAD /", req: strings.Replace(get("/"), "GET", "HEAD", 1)},
		{name: "a query string", req: get("/?a=b&c")},
		{name: "a double slash is Express's /", req: get("//")},
		{name: "a plain name", req: get("/hello/world")},
		{name: "a name and a query", req: get("/hello/world?x=1&y")},
		{name: "a trailing slash", req: get("/hello/world/")},
		{name: "an upper-case path", req: get("/HELLO/World")},
		{name: "unicode, percent-encoded", req: get("/hello/%E2%82%AC%F0%9F%98%80%C3%A9")},
		{name: "raw <>&", req: get("/hello/<>&")},
		{name: "encoded <>&", req: get("/hello/%3C%3E%26")},
		{name: "quotes", req: get("/hello/%22double%22'single'")},
		{name: "an encoded backslash", req: get("/hello/back%5Cslash")},
		{name: "control characters", req: get("/hello/%01%08%09%0A%0D%1F%7F")},
		{name: "an encoded slash", req: get("/hello/a%2Fb")},
		{name: "a NUL", req: get("/hello/%00")},
		{name: "dot segments", req: get("/hello/..")},
		{name: "encoded dot segments", req: get("/hello/%2e%2e")},
		{name: "a plus sign", req: get("/hello/a+b")},
		{name: "a name of 1000 bytes", req: get("/hello/" + longName[:1000])},
		{name: "a name over 1024 bytes gets an ETag", req: get("/hello/" + longName)},
		{name: "a 2000-byte name", req: get("/hello/" + longerName)},
		{name: "HEAD with a long name has no ETag", req: strings.Replace(get("/hello/"+longName), "GET", "HEAD", 1)},
		{name: "If-None-Match: * is fresh", req: get("/", "If-None-Match: *\r\n")},
		{name: "If-None-Match with the ETag is fresh", req: get("/hello/"+longName, "If-None-Match: \"x\", {etag}\r\n")},
		{name: "Cache-Control: no-cache is never fresh", req: get("/hello/"+longName, "If-None-Match: {etag}\r\nCache-Control: no-cache\r\n")},
		{name: "If-Modified-Since alone is never fresh", req: get("/", "If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT\r\n")},
		{name: "referrer and user agent are logged as Node logs them", req: "GET / HTTP/1.1\r\nHost: t\r\nReferer: http://a/\xe9\r\nReferer: http://second/\r\nUser-Agent: caf\xc3\xa9 \xa0\r\nUser-Agent: second\r\n\r\n"},
		{name: "Referrer fields are joined", req: "GET / HTTP/1.1\r\nHost: t\r\nReferrer: x\r\nReferrer: y\r\nUser-Agent: \r\n\r\n"},
		{name: "Connection: close", req: get("/hello/c", "Connection: close\r\n")},
		{name: "HTTP/1.0", req: "GET /hello/old HTTP/1.0\r\n\r\n"},
		{name: "HTTP/1.0 with keep-alive", req: "GET /hello/ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
		{name: "an absolute-form target gets no session", req: "GET http://t/hello/abs?x HTTP/1.1\r\nHost: t\r\n\r\n"},
		{name: "a tampered cookie gets a new session", req: get("/", "Cookie: connect.sid=s%3AAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n")},
		{name: "an unknown unsigned id gets a new session", req: get("/", "Cookie: connect.sid=nosuchsession\r\n")},

		{name: "an invalid escape", req: get("/hello/%zz"), wantStatus: 400,
			deviation: "Express answers 500 with a stack trace (URIError); webapp answers 400 JSON"},
		{name: "an escape that is not UTF-8", req: get("/hello/%FF"), wantStatus: 400,
			deviation: "Express answers 500 with a stack trace (URIError); webapp answers 400 JSON"},
		{name: "a truncated UTF-8 escape", req: get("/hello/%E2%82"), wantStatus: 400,
			deviation: "Express answers 500 with a stack trace (URIError); webapp answers 400 JSON"},
		{name: "a request header over 16 KiB", req: get("/hello/" + tooLongName), wantStatus: 431,
			deviation: "both answer a bare 431 and close; webapp's adds Date and Content-Length: 0"},
		{name: "an unknown path", req: get("/nope"), wantStatus: 404,
			deviation: "Express answers \"Cannot GET /nope\" as text and creates a session; webapp answers 404 JSON and touches no session"},
		{name: "a backslash is a slash to Express", req: get(`/hello/raw\back`), wantStatus: 404,
			deviation: "both find no route; the 404 body differs as for every unknown path"},
		{name: "/hello without a name", req: get("/hello/"), wantStatus: 404, deviation: "404 as JSON"},
		{name: "a name with a slash", req: get("/hello/a/b"), wantStatus: 404, deviation: "404 as JSON"},
		{name: "POST /", req: "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", wantStatus: 405,
			deviation: "Express answers 404 \"Cannot POST /\"; webapp answers 405 JSON with Allow"},
		{name: "OPTIONS /", req: "OPTIONS / HTTP/1.1\r\nHost: t\r\n\r\n", wantStatus: 405,
			deviation: "Express answers 200 \"GET\" with Allow: GET; webapp answers 405 JSON with Allow"},
		{name: "a JSON cookie", req: get("/", "Cookie: connect.sid=j%3A%7B%7D\r\n"), wantStatus: 200,
			deviation: "connect fails with 500 (TypeError); webapp gives a new session"},
		{name: "raw UTF-8 in the path", req: get("/hello/\xe2\x82\xac"), wantStatus: 400,
			deviation: "both answer a bare 400, close and log nothing; webapp's adds Date and Content-Length: 0"},
	}
}

// normalize replaces what differs between any two runs: the session id,
// its signature and the dates.
var (
	sidRe     = regexp.MustCompile(`connect\.sid=s%3A[A-Za-z0-9_-]{24}\.[A-Za-z0-9%]{43,60};`)
	expiresRe = regexp.MustCompile(`Expires=[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`)
	isoRe     = regexp.MustCompile(`"expires":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`)
	logDateRe = regexp.MustCompile(`\[[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\]`)
)

func normalizeHeader(k, v string) string {
	if strings.EqualFold(k, "Set-Cookie") {
		v = sidRe.ReplaceAllString(v, "connect.sid=s%3A<id>.<signature>;")
		v = expiresRe.ReplaceAllString(v, "Expires=<date>")
	}
	return k + ": " + v
}

// headerSet is a response's header fields, normalized, sorted, without Date.
func headerSet(r rawResponse) []string {
	var out []string
	for _, h := range r.Header {
		if h[0] == "Date" {
			continue
		}
		out = append(out, normalizeHeader(h[0], h[1]))
	}
	slices.Sort(out)
	return out
}

func TestWebappAnswersAsTheNodeApp(t *testing.T) {
	s := startStack(t, nil)
	etag := ""
	orderDiffers := 0
	for _, c := range diffCases() {
		t.Run(c.name, func(t *testing.T) {
			req := strings.ReplaceAll(c.req, "{etag}", etag)
			nodeLines := len(logLines(t, s.node.LogFile, 0))
			goLines := len(logLines(t, s.webapp.LogFile, 0))
			nr := roundTrip(t, s.node.Addr, req)
			gr := roundTrip(t, s.webapp.Addr, req)
			if c.name == "a name over 1024 bytes gets an ETag" {
				etag = nr.Get("ETag")
			}
			if c.deviation != "" {
				t.Logf("deliberate difference: %s\n--- node:\n%.600s\n--- webapp:\n%.600s", c.deviation, nr, gr)
				if code := strings.Fields(gr.StatusLine)[1]; code != strconv.Itoa(c.wantStatus) {
					t.Errorf("webapp status line %q; want %d", gr.StatusLine, c.wantStatus)
				}
				return
			}
			if nr.StatusLine != gr.StatusLine {
				t.Errorf("status line: node %q, webapp %q", nr.StatusLine, gr.StatusLine)
			}
			if n, g := headerSet(nr), headerSet(gr); !slices.Equal(n, g) {
				t.Errorf("headers differ:\n node   %q\n webapp %q", n, g)
			}
			if string(nr.Body) != string(gr.Body) {
				t.Errorf("body: node %.200q, webapp %.200q", nr.Body, gr.Body)
			}
			checkDate(t, "node", nr)
			checkDate(t, "webapp", gr)
			if names(nr) != names(gr) {
				orderDiffers++
			}
			checkCookie(t, nr)
			checkCookie(t, gr)
			if nv, gv := storedSession(t, s.redis, nr), storedSession(t, s.redis, gr); nv != gv {
				t.Errorf("stored session: node %s, webapp %s", nv, gv)
			}
			nl, gl := logLines(t, s.node.LogFile, nodeLines+1), logLines(t, s.webapp.LogFile, goLines+1)
			if len(nl) != nodeLines+1 || len(gl) != goLines+1 {
				t.Fatalf("log lines: node wrote %d, webapp %d; want 1 each", len(nl)-nodeLines, len(gl)-goLines)
			}
			n, g := logDateRe.ReplaceAllString(nl[nodeLines], "[<date>]"), logDateRe.ReplaceAllString(gl[goLines], "[<date>]")
			if n != g {
				t.Errorf("access log line:\n node   %q\n webapp %q", n, g)
			}
		})
	}
	t.Logf("header order differed in %d responses: fasthttp writes Date, Content-Type and Content-Length first and Set-Cookie last, Node in the order they were set (RFC 9110 gives the order of different fields no meaning)", orderDiffers)
}

func names(r rawResponse) string {
	var b strings.Builder
	for _, h := range r.Header {
		b.WriteString(h[0] + ",")
	}
	return b.String()
}

func checkDate(t *testing.T, who string, r rawResponse) {
	t.Helper()
	d, err := http.ParseTime(r.Get("Date"))
	if err != nil || time.Since(d).Abs() > 10*time.Second {
		t.Errorf("%s Date %q: want the time now in IMF-fixdate (%v)", who, r.Get("Date"), err)
	}
}

// checkCookie checks a Set-Cookie's Expires: 30 days from now.
func checkCookie(t *testing.T, r rawResponse) {
	t.Helper()
	sc := r.Get("Set-Cookie")
	if sc == "" {
		return
	}
	m := expiresRe.FindString(sc)
	exp, err := http.ParseTime(strings.TrimPrefix(m, "Expires="))
	if want := time.Now().Add(session.MaxAge); err != nil || exp.Sub(want).Abs() > 10*time.Second {
		t.Errorf("Set-Cookie %q: Expires %v; want about %v", sc, exp, want)
	}
}

// storedSession returns the Redis value and TTL of the session a response
// set a cookie for, normalized; "" if it set none.
func storedSession(t *testing.T, srv *redistest.Server, r rawResponse) string {
	t.Helper()
	sc := r.Get("Set-Cookie")
	if sc == "" {
		return ""
	}
	id := sessionID(sc)
	val, _ := srv.Do("GET", "sess:"+id).(string)
	ttl, _ := srv.Do("TTL", "sess:"+id).(int64)
	if ttl < 2591990 || ttl > 2592000 {
		t.Errorf("TTL sess:%s = %d; want 30 days (2592000 s)", id, ttl)
	}
	// connect reads the clock twice when it sets maxAge, so Node stores
	// 2591999999 when a millisecond ticks in between.
	val = strings.Replace(val, `"originalMaxAge":2591999999,`, `"originalMaxAge":2592000000,`, 1)
	return isoRe.ReplaceAllString(val, `"expires":"<date>"`)
}

// TestSessionsInteroperate is the acceptance test: on the same Redis with
// the same secret, a session either app creates is accepted by the other.
func TestSessionsInteroperate(t *testing.T) {
	s := startStack(t, nil)
	ctx := context.Background()
	keys := func() []string {
		v, _ := s.redis.Do("KEYS", "sess:*").([]any)
		out := make([]string, len(v))
		for i, k := range v {
			out[i] = k.(string)
		}
		slices.Sort(out)
		return out
	}

	for _, dir := range []struct{ from, to *app }{{s.node, s.webapp}, {s.webapp, s.node}} {
		t.Run("a session "+dir.from.Name+" created is accepted by "+dir.to.Name, func(t *testing.T) {
			first := roundTrip(t, dir.from.Addr, get("/"))
			sc := first.Get("Set-Cookie")
			if sc == "" {
				t.Fatalf("%s set no cookie:\n%s", dir.from.Name, first)
			}
			cookie := sc[:strings.IndexByte(sc, ';')]
			key := "sess:" + sessionID(cookie)
			// Age the session so that a rolled TTL shows.
			s.redis.Do("EXPIRE", key, 1000)
			before := keys()
			value := s.redis.Do("GET", key).(string)

			time.Sleep(5 * time.Millisecond) // so the rolled expiry differs
			second := roundTrip(t, dir.to.Addr, get("/hello/again", "Cookie: "+cookie+"\r\n"))
			if !strings.HasPrefix(second.StatusLine, "HTTP/1.1 200") || second.Get("Set-Cookie") != "" {
				t.Fatalf("%s answered the returning session with\n%s\nwant 200 without Set-Cookie", dir.to.Name, second)
			}
			if after := keys(); !slices.Equal(before, after) {
				t.Errorf("keys after the returning request = %q; want no new key (%q)", after, before)
			}
			if ttl, _ := s.redis.Do("TTL", key).(int64); ttl < 2591990 {
				t.Errorf("TTL %s = %d after the returning request; want it rolled back to 30 days\n%s", key, ttl, dir.to.Stderr)
			}
			rolled := s.redis.Do("GET", key).(string)
			if rolled == value || isoRe.ReplaceAllString(rolled, "") != isoRe.ReplaceAllString(value, "") {
				t.Errorf("%s wrote %s over %s; want the same session with a later expires", dir.to.Name, rolled, value)
			}
			var doc struct {
				Cookie struct {
					OriginalMaxAge int64     `json:"originalMaxAge"`
					Expires        time.Time `json:"expires"`
				} `json:"cookie"`
			}
			// Node stores 2591999999 when a millisecond ticks between its
			// two clock reads, and a rolled session keeps it.
			if err := json.Unmarshal([]byte(rolled), &doc); err != nil ||
				doc.Cookie.OriginalMaxAge != 2592000000 && doc.Cookie.OriginalMaxAge != 2591999999 ||
				time.Until(doc.Cookie.Expires) < 29*24*time.Hour {
				t.Errorf("rolled session %s: %+v, %v; want originalMaxAge 2592000000 and expires in 30 days", rolled, doc, err)
			}
			// And the app that made it still accepts it after the other rewrote it.
			third := roundTrip(t, dir.from.Addr, get("/", "Cookie: "+cookie+"\r\n"))
			if !strings.HasPrefix(third.StatusLine, "HTTP/1.1 200") || third.Get("Set-Cookie") != "" {
				t.Errorf("%s no longer accepts the session after %s rolled it:\n%s", dir.from.Name, dir.to.Name, third)
			}
		})
	}
	_ = ctx
}

// sessionID is the id in a connect.sid cookie or Set-Cookie value.
func sessionID(cookie string) string {
	v := strings.TrimPrefix(cookie, "connect.sid=s%3A")
	return v[:strings.IndexByte(v, '.')]
}
