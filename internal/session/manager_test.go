package session_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/js"
	"github.com/appstack/appstack/internal/nodetest"
	"github.com/appstack/appstack/internal/redistest"
	"github.com/appstack/appstack/internal/session"
	sessionredis "github.com/appstack/appstack/internal/session/redis"
)

// now is a fixed clock for comparing with connect under a patched
// Date.now.
var now = time.UnixMilli(1_800_000_000_123)

// connectSave runs connect 2.8.8 and connect-redis 1.4.7 in node on stored
// session documents (nil for a new session) with Date.now fixed at now,
// and returns what connect-redis passes to SETEX and the Set-Cookie value
// connect would send.
type connectSave struct {
	Key       string `json:"key"`
	TTL       int64  `json:"ttl"`
	Value     string `json:"value"`
	SetCookie string `json:"setCookie"`
}

func connect(t *testing.T, id, secret string, stored []*string) []connectSave {
	t.Helper()
	in := map[string]any{"now": now.UnixMilli(), "id": id, "secret": secret, "stored": stored}
	var out []connectSave
	nodetest.Eval(t, `
const connect = require('connect');
const Session = require('connect/lib/middleware/session/session');
const Cookie = require('connect/lib/middleware/session/cookie');
const signature = require('cookie-signature');
const RedisStore = require('connect-redis')(connect);
Date.now = () => input.now;
let saved;
const store = new RedisStore({client: {on() {}, setex(key, ttl, value, cb) { saved = {key, ttl, value}; cb(null); }}});
print(input.stored.map((doc) => {
  const req = {sessionID: input.id, sessionStore: store};
  let setCookie = '';
  if (doc === null) {
    req.session = new Session(req);
    req.session.cookie = new Cookie({expires: false, maxAge: 30 * 24 * 60 * 60 * 1000});
  } else {
    store.createSession(req, JSON.parse(doc));
  }
  req.session.resetMaxAge();
  req.session.save(() => {});
  if (doc === null) setCookie = req.session.cookie.serialize('connect.sid', 's:' + signature.sign(input.id, input.secret));
  return {...saved, setCookie};
}));`, in, &out)
	return out
}

func ptr(s string) *string { return &s }

// newStore returns a store on srv, closed when the test ends.
func newStore(t *testing.T, srv *redistest.Server) *sessionredis.Store {
	t.Helper()
	store := sessionredis.New(srv.Client(nil), sessionredis.Options{})
	t.Cleanup(store.Close)
	return store
}

func TestCommitWritesWhatConnectWrites(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	store := newStore(t, srv)
	signer, err := session.NewSigner("keyboard-cat")
	if err != nil {
		t.Fatal(err)
	}
	m := &session.Manager{Store: store, Signer: signer, Now: func() time.Time { return now }}

	stored := []struct {
		name string
		doc  string
	}{
		{"a session connect wrote", `{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`},
		{"other fields keep their place and order", `{"views":3,"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"},"user":{"b":1,"a":[1.0,"x"]},"2":true,"1":null}`},
		{"a browser-session cookie", `{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}}`},
		{"no originalMaxAge", `{"cookie":{"httpOnly":true,"path":"/"}}`},
		{"secure, domain and a path", `{"cookie":{"originalMaxAge":3600000,"expires":"2026-12-25T20:04:30.204Z","secure":true,"httpOnly":false,"domain":"example.com","path":"/x"}}`},
		{"a one-hour maxAge", `{"cookie":{"originalMaxAge":3600000,"expires":"2000-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}}`},
		{"a fractional maxAge", `{"cookie":{"originalMaxAge":1500.7,"expires":"2000-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}}`},
		{"a maxAge whose seconds overflow int32", `{"cookie":{"originalMaxAge":2500000000000000,"httpOnly":true,"path":"/"}}`},
		{"a string maxAge", `{"cookie":{"originalMaxAge":"soon","httpOnly":true,"path":"/"}}`},
		{"unknown cookie fields are dropped", `{"cookie":{"originalMaxAge":2592000000,"sameSite":"lax","path":"/"}}`},
	}
	var docs []*string
	for _, s := range stored {
		docs = append(docs, ptr(s.doc))
	}
	ctx := context.Background()
	// The id only names the key, which each case replaces with its own.
	want := connect(t, "replaced-below", "keyboard-cat", docs)

	t.Run("a new session is saved and gets connect's cookie", func(t *testing.T) {
		s, err := m.Load(ctx, nil)
		if err != nil || !s.New {
			t.Fatalf("Load without a cookie = %+v, %v; want a new session", s, err)
		}
		w := connect(t, s.ID, "keyboard-cat", []*string{nil})[0]
		cookie, err := m.Commit(ctx, s)
		if err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if cookie != w.SetCookie {
			t.Errorf("Set-Cookie = %q\n connect sends %q", cookie, w.SetCookie)
		}
		checkStored(t, srv, "sess:"+s.ID, w)
	})
	for i, s := range stored {
		t.Run(s.name, func(t *testing.T) {
			id := session.NewID()
			srv.Do("SET", "sess:"+id, s.doc)
			sess, err := m.Load(ctx, []string{"connect.sid=" + "s%3A" + signer.Sign(id)})
			if err != nil || sess.New || sess.ID != id {
				t.Fatalf("Load(%s) = %+v, %v; want the stored session", id, sess, err)
			}
			w := want[i]
			w.Key = "sess:" + id
			cookie, err := m.Commit(ctx, sess)
			if w.TTL <= 0 {
				// connect-redis sends SETEX with a TTL Redis refuses.
				if err == nil {
					t.Errorf("Commit succeeded; connect-redis sends SETEX %d, which Redis refuses", w.TTL)
				}
				return
			}
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if cookie != "" {
				t.Errorf("Commit of a returning session = Set-Cookie %q; connect sends none", cookie)
			}
			checkStored(t, srv, w.Key, w)
		})
	}
}

// TestNewSessionsAcrossSeconds: new sessions made a millisecond, then a
// second, then an hour apart (and back) each store their own expiry and
// send it in their cookie.
func TestNewSessionsAcrossSeconds(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	signer, _ := session.NewSigner("keyboard-cat")
	var at time.Time
	m := &session.Manager{Store: newStore(t, srv), Signer: signer, Now: func() time.Time { return at }}
	ctx := context.Background()
	base := time.UnixMilli(1_800_000_000_998)
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, time.Second, time.Hour, 0, 24 * time.Hour * 365 * 200} {
		at = base.Add(d)
		s, err := m.Load(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		cookie, err := m.Commit(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		expires := at.Add(session.MaxAge).UTC()
		wantDoc := `{"cookie":{"originalMaxAge":2592000000,"expires":"` + string(js.AppendISOString(nil, expires)) + `","httpOnly":true,"path":"/"}}`
		if got, _ := srv.Do("GET", "sess:"+s.ID).(string); got != wantDoc {
			t.Errorf("at %v: stored %s; want %s", at, got, wantDoc)
		}
		if want := "; Expires=" + expires.Format(http.TimeFormat) + ";"; !strings.Contains(cookie, want) {
			t.Errorf("at %v: Set-Cookie %q; want it to contain %q", at, cookie, want)
		}
	}
}

func checkStored(t *testing.T, srv *redistest.Server, key string, want connectSave) {
	t.Helper()
	got, _ := srv.Do("GET", key).(string)
	if got != want.Value {
		t.Errorf("GET %s = %s\n connect-redis writes %s", key, got, want.Value)
	}
	ttl, _ := srv.Do("TTL", key).(int64)
	if ttl != want.TTL && ttl != want.TTL-1 {
		t.Errorf("TTL %s = %d; connect-redis writes %d", key, ttl, want.TTL)
	}
}

func TestLoadGivesANewSessionForBadCookies(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	signer, _ := session.NewSigner("keyboard-cat", "old-secret")
	oldSigner, _ := session.NewSigner("old-secret")
	m := &session.Manager{Store: newStore(t, srv), Signer: signer}
	ctx := context.Background()

	id := session.NewID()
	srv.Do("SET", "sess:"+id, `{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`)
	for key, doc := range map[string]string{
		"notjson": `{"cookie":`, "array": `[1]`, "nocookie": `{"views":1}`, "cookiestring": `{"cookie":"x"}`, "badutf8": "{\"cookie\":{\"path\":\"\xff\"}}",
	} {
		srv.Do("SET", "sess:"+key, doc)
	}
	// One byte over the store's default cap, 1 MiB: a valid session padded.
	srv.Do("SET", "sess:huge", `{"cookie":{"path":"/"},"pad":"`+strings.Repeat("x", sessionredis.DefaultMaxValueBytes)+`"}`)
	signed := "s%3A" + signer.Sign(id)

	tests := []struct {
		name   string
		cookie string
		want   string // the id Load must return; "" for a new session
		// discarded is what the new session's Discarded must wrap: the
		// stored session's flaw; nil if it has none.
		discarded error
	}{
		{"a validly signed cookie loads the session", "connect.sid=" + signed, id, nil},
		{"a cookie signed with a rotated-out secret still loads it", "connect.sid=s%3A" + oldSigner.Sign(id), id, nil},
		{"no cookie", "", "", nil},
		{"another cookie only", "other=1", "", nil},
		{"a tampered id", "connect.sid=s%3AX" + signer.Sign(id)[1:], "", nil},
		{"a tampered signature", "connect.sid=" + signed[:len(signed)-2] + "xx", "", nil},
		{"an unsigned id, which connect would accept", "connect.sid=" + id, "", nil},
		{"a JSON cookie, on which connect fails with 500", "connect.sid=j%3A%7B%7D", "", nil},
		{"a malformed percent-encoding", "connect.sid=%ZZ" + signed, "", nil},
		{"an oversized cookie", "connect.sid=s%3A" + string(make([]byte, 8000)), "", nil},
		{"a signed id that is not stored", "connect.sid=s%3A" + signer.Sign("expired"), "", nil},
		{"a stored value that is not JSON", "connect.sid=s%3A" + signer.Sign("notjson"), "", session.ErrCorrupt},
		{"a stored value that is not an object", "connect.sid=s%3A" + signer.Sign("array"), "", session.ErrCorrupt},
		{"a stored session without a cookie", "connect.sid=s%3A" + signer.Sign("nocookie"), "", session.ErrCorrupt},
		{"a stored cookie that is not an object", "connect.sid=s%3A" + signer.Sign("cookiestring"), "", session.ErrCorrupt},
		{"a stored value that is not UTF-8", "connect.sid=s%3A" + signer.Sign("badutf8"), "", session.ErrCorrupt},
		{"a stored session over the cap", "connect.sid=s%3A" + signer.Sign("huge"), "", session.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []string
			if tt.cookie != "" {
				fields = []string{tt.cookie}
			}
			s, err := m.Load(ctx, fields)
			if err != nil {
				t.Fatalf("Load(%.60q): %v", tt.cookie, err)
			}
			if tt.want == "" {
				if !s.New || len(s.ID) != 24 {
					t.Errorf("Load(%.60q) = %+v; want a new session", tt.cookie, s)
				}
				if !errors.Is(s.Discarded, tt.discarded) {
					t.Errorf("Load(%.60q).Discarded = %v; want %v", tt.cookie, s.Discarded, tt.discarded)
				}
				return
			}
			if s.New || s.ID != tt.want {
				t.Errorf("Load(%.60q) = %+v; want stored session %s", tt.cookie, s, tt.want)
			}
		})
	}
}

func TestLoadReportsStoreFailure(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	signer, _ := session.NewSigner("keyboard-cat")
	m := &session.Manager{Store: newStore(t, srv), Signer: signer}
	srv.Kill()
	if s, err := m.Load(context.Background(), []string{"connect.sid=s%3A" + signer.Sign(session.NewID())}); err == nil {
		t.Errorf("Load with Redis down = %+v, nil; want an error", s)
	}
	// A request without a cookie needs no store: it still gets a session.
	if s, err := m.Load(context.Background(), nil); err != nil || !s.New {
		t.Errorf("Load without a cookie, Redis down = %+v, %v; want a new session", s, err)
	}
}
