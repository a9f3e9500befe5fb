package session

import (
	"testing"
	"time"

	"github.com/appstack/appstack/internal/jsjson"
)

// FuzzStoredSession feeds Redis values through what Commit does to a
// returning session: whatever is stored, webapp either treats it as no
// session or writes back a document that parses again, with a cookie
// object, and sane Set-Cookie material.
func FuzzStoredSession(f *testing.F) {
	for _, s := range []string{
		`{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`,
		`{"a":1,"cookie":{"originalMaxAge":null,"expires":null},"2":[]}`,
		`{"cookie":{"originalMaxAge":-1e308,"secure":{"x":1},"domain":7}}`,
		`{"cookie":{}}`, `{"cookie":1}`, `[]`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	now := time.UnixMilli(1_800_000_000_000)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := jsjson.Parse(b)
		if err != nil || doc.Kind != jsjson.Object {
			return
		}
		stored, ok := doc.Get("cookie")
		if !ok || stored.Kind != jsjson.Object {
			return
		}
		c := resetMaxAge(stored, now)
		doc.Set("cookie", c.json())
		out := doc.Append(nil)
		back, err := jsjson.Parse(out)
		if err != nil {
			t.Fatalf("written document %q does not parse: %v", out, err)
		}
		if got, ok := back.Get("cookie"); !ok || got.Kind != jsjson.Object {
			t.Fatalf("written document %q has no cookie object", out)
		}
		if v, ok := stored.Get("originalMaxAge"); ok && v.Kind == jsjson.Number && c.ttl > 0 &&
			(c.expires == nil || c.expires.Kind != jsjson.String) {
			t.Fatalf("numeric originalMaxAge %v gave a TTL without an expiry date", v.Num)
		}
	})
}
