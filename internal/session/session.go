package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/jsjson"
)

// Store keeps session documents by id, as connect-redis does. It is defined
// here, by its consumer; adapters such as internal/session/redis implement
// it. Implementations are safe for concurrent use and return by the
// context's deadline.
type Store interface {
	// Get returns the document stored for id, or nil and no error if there
	// is none.
	Get(ctx context.Context, id string) ([]byte, error)
	// Set stores doc for id, expiring after ttl (whole seconds). An error
	// wrapping ErrNotReplicated means the primary took the write but no
	// replica confirmed it in time: it may not survive a failover.
	Set(ctx context.Context, id string, doc []byte, ttl time.Duration) error
}

// ErrNotReplicated is wrapped by Store.Set errors for writes that the
// primary took but that no replica confirmed.
var ErrNotReplicated = errors.New("session write not confirmed by a replica")

// The seed app's session settings: express.session's cookie name and the
// maxAge it configures (30 days).
const (
	CookieName = "connect.sid"
	MaxAge     = 30 * 24 * time.Hour
)

// oneDay is connect-redis's TTL for sessions without a numeric maxAge.
const oneDay = 24 * time.Hour

// Manager loads and saves sessions as connect's session middleware does.
// Its zero value is not usable: Store and Signer are required. A Manager
// is safe for concurrent use.
type Manager struct {
	Store  Store
	Signer *Signer
	// Now defaults to time.Now.
	Now func() time.Time
}

// Session is one visitor's session for the length of a request.
type Session struct {
	// ID is the session id, the Redis key without its "sess:" prefix.
	ID string
	// New reports whether the session was created by this request.
	New bool
	// doc is the stored document; the zero Value for new sessions.
	doc jsjson.Value
}

// Load returns the session named by the request's cookie: the stored one
// when the cookie is validly signed and the store has it, otherwise a new
// one. A missing, malformed, tampered or unsigned cookie and a stored
// document that is not a session all give a new session. An error means
// the store failed: connect would answer 500, webapp serves the request
// without a session.
func (m *Manager) Load(ctx context.Context, h http.Header) (*Session, error) {
	raw, ok := CookieValue(h["Cookie"], CookieName)
	if !ok || !strings.HasPrefix(raw, "s:") {
		return m.newSession(), nil
	}
	id, ok := m.Signer.Unsign(raw[2:])
	if !ok || id == "" {
		return m.newSession(), nil
	}
	b, err := m.Store.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if b == nil {
		return m.newSession(), nil
	}
	doc, err := jsjson.Parse(b)
	if err != nil {
		return m.newSession(), nil
	}
	if c, ok := doc.Get("cookie"); doc.Kind != jsjson.Object || !ok || c.Kind != jsjson.Object {
		return m.newSession(), nil
	}
	return &Session{ID: id, doc: doc}, nil
}

func (m *Manager) newSession() *Session {
	return &Session{ID: NewID(), New: true}
}

// Commit saves s as connect does when the response ends: it resets the
// cookie's expiry to now + originalMaxAge and writes the session with a
// TTL of that many seconds, so a returning session's TTL rolls. It returns
// the Set-Cookie value to send, which is empty unless s is new and was
// saved: with the seed's 30-day maxAge (over connect's four weeks,
// hasLongExpires) connect sends the cookie only for new sessions, and it
// would for a short maxAge only if the session data changed, which the
// seed's routes never do.
func (m *Manager) Commit(ctx context.Context, s *Session) (setCookie string, err error) {
	now := m.now()
	if s.New {
		// The document connect writes for a new session, without building
		// it as a generic value: this is every first visit.
		maxAge := MaxAge.Milliseconds()
		expires := time.UnixMilli(now.UnixMilli() + maxAge).UTC()
		doc := make([]byte, 0, 112)
		doc = append(doc, `{"cookie":{"originalMaxAge":`...)
		doc = strconv.AppendInt(doc, maxAge, 10)
		doc = append(doc, `,"expires":"`...)
		doc = appendISO(doc, expires)
		doc = append(doc, `","httpOnly":true,"path":"/"}}`...)
		if err := m.Store.Set(ctx, s.ID, doc, time.Duration(maxAge/1000)*time.Second); err != nil {
			return "", fmt.Errorf("save session: %w", err)
		}
		return serializeCookie(CookieName, "s:"+m.Signer.Sign(s.ID), expires), nil
	}
	doc := s.doc
	stored, _ := doc.Get("cookie")
	c := resetMaxAge(stored, now)
	doc.Set("cookie", c.json())
	if c.ttl <= 0 {
		return "", fmt.Errorf("save session %s: invalid expire time %d s", s.ID, c.ttl)
	}
	if err := m.Store.Set(ctx, s.ID, doc.Append(nil), time.Duration(c.ttl)*time.Second); err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return "", nil
}

// cookie is connect's session Cookie of a returning session after
// resetMaxAge, reduced to what its toJSON writes and connect-redis's TTL.
type cookie struct {
	originalMaxAge, expires *jsjson.Value // nil: undefined
	secure, domain          *jsjson.Value // nil: undefined
	httpOnly, path          jsjson.Value
	ttl                     int64 // connect-redis SETEX seconds
}

// resetMaxAge rebuilds connect's Cookie from its stored JSON (new Cookie
// defaults path '/' and httpOnly true, then merges the stored fields) and
// applies resetMaxAge: a numeric originalMaxAge puts expires at now +
// originalMaxAge; anything else becomes expires itself.
func resetMaxAge(stored jsjson.Value, now time.Time) cookie {
	c := cookie{
		path:     jsjson.Value{Kind: jsjson.String, Str: "/"},
		httpOnly: jsjson.Value{Kind: jsjson.Bool, Bool: true},
		ttl:      int64(oneDay / time.Second),
	}
	if v, ok := stored.Get("path"); ok {
		c.path = v
	}
	if v, ok := stored.Get("httpOnly"); ok {
		c.httpOnly = v
	}
	if v, ok := stored.Get("secure"); ok {
		c.secure = &v
	}
	if v, ok := stored.Get("domain"); ok {
		c.domain = &v
	}
	orig, ok := stored.Get("originalMaxAge")
	if !ok {
		return c
	}
	if orig.Kind != jsjson.Number {
		c.originalMaxAge, c.expires = &orig, &orig
		return c
	}
	// A Date holds whole milliseconds: originalMaxAge, read back from
	// expires, loses any fraction.
	nowMs := float64(now.UnixMilli())
	ms := math.Trunc(nowMs + orig.Num)
	if math.Abs(ms) > maxDateMillis {
		// An Invalid Date: JSON null, and maxAge NaN gives SETEX 0.
		c.originalMaxAge, c.expires = &jsjson.Value{}, &jsjson.Value{}
		c.ttl = 0
		return c
	}
	maxAge := ms - nowMs
	c.originalMaxAge = &jsjson.Value{Kind: jsjson.Number, Num: maxAge}
	c.expires = &jsjson.Value{Kind: jsjson.String, Str: isoString(time.UnixMilli(int64(ms)).UTC())}
	// connect-redis: maxAge / 1000 | 0, a truncation to int32.
	c.ttl = int64(int32(uint32(int64(math.Trunc(maxAge / 1000)))))
	return c
}

// maxDateMillis is the range of a JavaScript Date.
const maxDateMillis = 8.64e15

// json is Cookie.prototype.data: originalMaxAge, expires, secure,
// httpOnly, domain, path, leaving out the undefined ones.
func (c cookie) json() jsjson.Value {
	v := jsjson.Value{Kind: jsjson.Object, Obj: make([]jsjson.Member, 0, 6)}
	add := func(k string, val jsjson.Value) { v.Obj = append(v.Obj, jsjson.Member{Key: k, Value: val}) }
	if c.originalMaxAge != nil {
		add("originalMaxAge", *c.originalMaxAge)
	}
	if c.expires != nil {
		add("expires", *c.expires)
	}
	if c.secure != nil {
		add("secure", *c.secure)
	}
	add("httpOnly", c.httpOnly)
	if c.domain != nil {
		add("domain", *c.domain)
	}
	add("path", c.path)
	return v
}

// serializeCookie is cookie.serialize(name, val, data) as connect calls it for
// a new session, whose cookie has connect's defaults (path '/', httpOnly)
// and the configured maxAge: no Domain and no Secure.
func serializeCookie(name, val string, expires time.Time) string {
	b := make([]byte, 0, 160)
	b = append(b, name...)
	b = append(b, '=')
	b = appendURIComponent(b, val)
	b = append(b, "; Path=/; Expires="...)
	b = expires.AppendFormat(b, http.TimeFormat)
	b = append(b, "; HttpOnly"...)
	return string(b)
}

// isoString is Date.prototype.toISOString.
func isoString(t time.Time) string { return string(appendISO(nil, t)) }

func appendISO(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		sign := byte('+')
		if y < 0 {
			sign, y = '-', -y
		}
		b = fmt.Appendf(b, "%c%06d", sign, y)
		return t.AppendFormat(b, "-01-02T15:04:05.000Z")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}
