package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/appstack/appstack/internal/js"
)

// Store keeps session documents by id, as connect-redis does. It is defined
// here, by its consumer; adapters such as internal/session/redis implement
// it. Implementations are safe for concurrent use and return by the
// context's deadline.
type Store interface {
	// Get returns the document stored for id, or nil and no error if there
	// is none. An error wrapping ErrTooLarge means the document is larger
	// than the store's cap and was not read: the session is lost, not the
	// store.
	Get(ctx context.Context, id string) ([]byte, error)
	// Set stores doc for id, expiring after ttl (whole seconds). An error
	// wrapping ErrNotReplicated means the primary took the write but no
	// replica confirmed it in time: it may not survive a failover.
	Set(ctx context.Context, id string, doc []byte, ttl time.Duration) error
}

// ErrNotReplicated is wrapped by Store.Set errors for writes that the
// primary took but that no replica confirmed.
var ErrNotReplicated = errors.New("session write not confirmed by a replica")

// Why Load discarded a stored session for a new one (Session.Discarded).
var (
	// ErrTooLarge: the stored document is larger than the store's cap. A
	// Store's Get wraps it too.
	ErrTooLarge = errors.New("stored session larger than the cap")
	// ErrCorrupt: the stored value is not a session document.
	ErrCorrupt = errors.New("stored session is not a session document")
)

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

	expiry atomic.Pointer[expiryText]
}

// expiryText is a new session's expiry, to the second, as its document
// and its cookie write it. Formatting dates is most of the work of a new
// session, and a busy server makes thousands a second with the same
// expiry second.
type expiryText struct {
	sec  int64
	iso  []byte // toISOString up to the milliseconds: "2006-01-02T15:04:05."
	http []byte // the cookie's Expires: "Mon, 02 Jan 2006 15:04:05 GMT"
}

// expiryOf returns the text of t's second.
func (m *Manager) expiryOf(t time.Time) *expiryText {
	sec := t.Unix()
	if e := m.expiry.Load(); e != nil && e.sec == sec {
		return e
	}
	t = time.Unix(sec, 0).UTC()
	e := &expiryText{sec: sec, http: t.AppendFormat(nil, http.TimeFormat)}
	iso := js.AppendISOString(nil, t)
	e.iso = iso[:len(iso)-len("000Z")]
	m.expiry.Store(e)
	return e
}

// Session is one visitor's session for the length of a request.
type Session struct {
	// ID is the session id, the Redis key without its "sess:" prefix.
	ID string
	// New reports whether the session was created by this request.
	New bool
	// Discarded, for a new session, is why the stored session its cookie
	// named could not be used: it wraps ErrTooLarge or ErrCorrupt. nil
	// otherwise.
	Discarded error
	// A returning session's stored document: doc, or, for the document
	// connect writes (plain), only its originalMaxAge.
	doc    js.Value
	plain  bool
	maxAge int64
}

// Load returns the session named by a request's cookie, given its Cookie
// header fields in order: the stored one when the cookie is validly
// signed and the store has it, otherwise a new one. A missing, malformed,
// tampered or unsigned cookie and a stored document that is not a session
// or is too large all give a new session; for the last two its Discarded
// says why. An error means the store failed: connect would answer 500,
// webapp serves the request without a session.
func (m *Manager) Load(ctx context.Context, cookieFields []string) (*Session, error) {
	raw, ok := CookieValue(cookieFields, CookieName)
	if !ok || !strings.HasPrefix(raw, "s:") {
		return m.newSession(), nil
	}
	id, ok := m.Signer.Unsign(raw[2:])
	if !ok || id == "" {
		return m.newSession(), nil
	}
	b, err := m.Store.Get(ctx, id)
	switch {
	case errors.Is(err, ErrTooLarge):
		s := m.newSession()
		s.Discarded = err
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("load session: %w", err)
	case b == nil:
		return m.newSession(), nil
	}
	if maxAge, ok := connectDoc(b); ok {
		return &Session{ID: id, maxAge: maxAge, plain: true}, nil
	}
	doc, err := js.Parse(b)
	if err != nil {
		s := m.newSession()
		s.Discarded = fmt.Errorf("%w (%d bytes): %w", ErrCorrupt, len(b), err)
		return s, nil
	}
	if c, ok := doc.Get("cookie"); doc.Kind != js.Object || !ok || c.Kind != js.Object {
		s := m.newSession()
		s.Discarded = fmt.Errorf("%w (%d bytes): no cookie object", ErrCorrupt, len(b))
		return s, nil
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
		expires := time.UnixMilli(now.UnixMilli() + maxAge)
		doc := m.appendDoc(make([]byte, 0, 112), maxAge, expires)
		if err := m.Store.Set(ctx, s.ID, doc, time.Duration(maxAge/1000)*time.Second); err != nil {
			return "", fmt.Errorf("save session: %w", err)
		}
		return m.setCookie(s.ID, m.expiryOf(expires)), nil
	}
	doc, ttl := m.rolled(s, now)
	if ttl <= 0 {
		return "", fmt.Errorf("save session %s: invalid expire time %d s", s.ID, ttl)
	}
	if err := m.Store.Set(ctx, s.ID, doc, time.Duration(ttl)*time.Second); err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return "", nil
}

// rolled returns the document of a returning session with its cookie's
// expiry reset at now, and connect-redis's TTL for it.
func (m *Manager) rolled(s *Session, now time.Time) ([]byte, int64) {
	if s.plain {
		// resetMaxAge on connect's document: whole milliseconds both, so
		// originalMaxAge stays as it is and expires is now + originalMaxAge,
		// unless that is no Date (then the generic path says how).
		nowMs := now.UnixMilli()
		if ms := nowMs + s.maxAge; -js.MaxDateMillis <= ms && ms <= js.MaxDateMillis {
			// connect-redis: maxAge / 1000 | 0, a truncation to int32.
			ttl := int64(int32(uint32(s.maxAge / 1000)))
			return m.appendDoc(make([]byte, 0, 112), s.maxAge, time.UnixMilli(ms)), ttl
		}
		s = &Session{doc: js.Value{Kind: js.Object, Obj: []js.Member{{Key: "cookie", Value: plainCookie(s.maxAge)}}}}
	}
	doc := s.doc
	stored, _ := doc.Get("cookie")
	c := resetMaxAge(stored, now)
	doc.Set("cookie", c.json())
	return doc.Append(nil), c.ttl
}

// appendDoc appends the document connect writes for a session with the
// seed's cookie settings: the maxAge (whole milliseconds, non-negative),
// its expiry, httpOnly, path "/".
func (m *Manager) appendDoc(dst []byte, maxAge int64, expires time.Time) []byte {
	text := m.expiryOf(expires)
	dst = append(dst, `{"cookie":{"originalMaxAge":`...)
	dst = strconv.AppendInt(dst, maxAge, 10)
	dst = append(dst, `,"expires":"`...)
	dst = append(dst, text.iso...)
	ms := expires.Nanosecond() / 1e6
	dst = append(dst, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return append(dst, `","httpOnly":true,"path":"/"}}`...)
}

// connectDoc recognises the document connect writes for every session of
// the seed's, {"cookie":{"originalMaxAge":N,"expires":"...","httpOnly":true,
// "path":"/"}} with N a plain integer and an expiry without escapes, and
// returns N: such a session is rolled without parsing it into a generic
// value, with the same result (FuzzPlainDocument compares them).
func connectDoc(b []byte) (maxAge int64, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(`{"cookie":{"originalMaxAge":`))
	if !ok {
		return 0, false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	// Up to 15 digits, no leading zero: the number is exact as a double.
	if n == 0 || n > 15 || (rest[0] == '0' && n > 1) {
		return 0, false
	}
	for _, c := range rest[:n] {
		maxAge = maxAge*10 + int64(c-'0')
	}
	rest, ok = bytes.CutPrefix(rest[n:], []byte(`,"expires":"`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return 0, false
	}
	for _, c := range rest[:end] {
		if c < 0x20 || c == '\\' || c >= 0x80 {
			return 0, false
		}
	}
	if !bytes.Equal(rest[end:], []byte(`","httpOnly":true,"path":"/"}}`)) {
		return 0, false
	}
	return maxAge, true
}

// plainCookie is the cookie object of a document connectDoc recognised,
// without its expiry, which resetMaxAge replaces: for the rare maxAge the
// plain path leaves to the generic one.
func plainCookie(maxAge int64) js.Value {
	return js.Value{Kind: js.Object, Obj: []js.Member{
		{Key: "originalMaxAge", Value: js.Value{Kind: js.Number, Num: float64(maxAge)}},
		{Key: "httpOnly", Value: js.Value{Kind: js.Bool, Bool: true}},
		{Key: "path", Value: js.Value{Kind: js.String, Str: "/"}},
	}}
}

// cookie is connect's session Cookie of a returning session after
// resetMaxAge, reduced to what its toJSON writes and connect-redis's TTL.
type cookie struct {
	originalMaxAge, expires *js.Value // nil: undefined
	secure, domain          *js.Value // nil: undefined
	httpOnly, path          js.Value
	ttl                     int64 // connect-redis SETEX seconds
}

// resetMaxAge rebuilds connect's Cookie from its stored JSON (new Cookie
// defaults path '/' and httpOnly true, then merges the stored fields) and
// applies resetMaxAge: a numeric originalMaxAge puts expires at now +
// originalMaxAge; anything else becomes expires itself.
func resetMaxAge(stored js.Value, now time.Time) cookie {
	c := cookie{
		path:     js.Value{Kind: js.String, Str: "/"},
		httpOnly: js.Value{Kind: js.Bool, Bool: true},
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
	if orig.Kind != js.Number {
		c.originalMaxAge, c.expires = &orig, &orig
		return c
	}
	// A Date holds whole milliseconds: originalMaxAge, read back from
	// expires, loses any fraction.
	nowMs := float64(now.UnixMilli())
	ms := math.Trunc(nowMs + orig.Num)
	if math.Abs(ms) > js.MaxDateMillis {
		// An Invalid Date: JSON null, and maxAge NaN gives SETEX 0.
		c.originalMaxAge, c.expires = &js.Value{}, &js.Value{}
		c.ttl = 0
		return c
	}
	maxAge := ms - nowMs
	c.originalMaxAge = &js.Value{Kind: js.Number, Num: maxAge}
	c.expires = &js.Value{Kind: js.String, Str: string(js.AppendISOString(nil, time.UnixMilli(int64(ms))))}
	// connect-redis: maxAge / 1000 | 0, a truncation to int32.
	c.ttl = int64(int32(uint32(int64(math.Trunc(maxAge / 1000)))))
	return c
}

// json is Cookie.prototype.data: originalMaxAge, expires, secure,
// httpOnly, domain, path, leaving out the undefined ones.
func (c cookie) json() js.Value {
	v := js.Value{Kind: js.Object, Obj: make([]js.Member, 0, 6)}
	add := func(k string, val js.Value) { v.Obj = append(v.Obj, js.Member{Key: k, Value: val}) }
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

// setCookie is cookie.serialize(CookieName, "s:" + signed id, data) as
// connect calls it for a new session, whose cookie has connect's defaults
// (path '/', httpOnly) and the configured maxAge: no Domain and no Secure.
// encodeURIComponent leaves the id alone (uid2's alphabet) and escapes
// the rest.
func (m *Manager) setCookie(id string, expires *expiryText) string {
	b := make([]byte, 0, 160)
	b = append(b, CookieName...)
	b = append(b, "=s%3A"...)
	b = js.AppendEncodeURIComponent(b, id)
	b = append(b, '.')
	var sig [44]byte
	b = js.AppendEncodeURIComponent(b, m.Signer.appendSignature(sig[:0], id))
	b = append(b, "; Path=/; Expires="...)
	b = append(b, expires.http...)
	b = append(b, "; HttpOnly"...)
	return string(b)
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}
