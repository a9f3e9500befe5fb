package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/js"
)

// storedDocs seed the fuzzers of stored session documents.
var storedDocs = []string{
	`{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`,
	`{"cookie":{"originalMaxAge":0,"expires":"x","httpOnly":true,"path":"/"}}`,
	`{"cookie":{"originalMaxAge":999999999999999,"expires":"","httpOnly":true,"path":"/"}}`,
	`{"cookie":{"originalMaxAge":02592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`,
	`{"cookie":{"originalMaxAge":2592000000,"expires":"a\"b","httpOnly":true,"path":"/"}}`,
	`{"a":1,"cookie":{"originalMaxAge":null,"expires":null},"2":[]}`,
	`{"cookie":{"originalMaxAge":-1e308,"secure":{"x":1},"domain":7}}`,
	`{"cookie":{}}`, `{"cookie":1}`, `[]`, `"x"`,
}

// FuzzStoredSession feeds Redis values through what Commit does to a
// returning session: whatever is stored, webapp either treats it as no
// session or writes back a document that parses again, with a cookie
// object, and sane Set-Cookie material.
func FuzzStoredSession(f *testing.F) {
	for _, s := range storedDocs {
		f.Add([]byte(s))
	}
	now := time.UnixMilli(1_800_000_000_000)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := js.Parse(b)
		if err != nil || doc.Kind != js.Object {
			return
		}
		stored, ok := doc.Get("cookie")
		if !ok || stored.Kind != js.Object {
			return
		}
		c := resetMaxAge(stored, now)
		doc.Set("cookie", c.json())
		out := doc.Append(nil)
		back, err := js.Parse(out)
		if err != nil {
			t.Fatalf("written document %q does not parse: %v", out, err)
		}
		if got, ok := back.Get("cookie"); !ok || got.Kind != js.Object {
			t.Fatalf("written document %q has no cookie object", out)
		}
		if v, ok := stored.Get("originalMaxAge"); ok && v.Kind == js.Number && c.ttl > 0 &&
			(c.expires == nil || c.expires.Kind != js.String) {
			t.Fatalf("numeric originalMaxAge %v gave a TTL without an expiry date", v.Num)
		}
	})
}

// FuzzPlainDocument: a document connectDoc recognises is rolled exactly
// as the generic path rolls it, and connectDoc recognises only valid
// session documents.
func FuzzPlainDocument(f *testing.F) {
	for _, s := range storedDocs {
		f.Add([]byte(s), int64(1_800_000_000_123))
	}
	// Expiries past a Date's range, and before the year 0.
	f.Add([]byte(storedDocs[2]), int64(8_000_000_000_000_000))
	f.Add([]byte(storedDocs[0]), int64(-63_000_000_000_000))
	f.Add([]byte(storedDocs[0]), int64(-8_700_000_000_000_000))
	f.Fuzz(func(t *testing.T, b []byte, nowMs int64) {
		maxAge, ok := connectDoc(b)
		if !ok {
			return
		}
		doc, err := js.Parse(b)
		if err != nil {
			t.Fatalf("connectDoc(%q) = %d, true; but it does not parse: %v", b, maxAge, err)
		}
		now := time.UnixMilli(nowMs % 9e15)
		var m Manager
		fast, fastTTL := m.rolled(&Session{plain: true, maxAge: maxAge}, now)
		slow, slowTTL := m.rolled(&Session{doc: doc}, now)
		if !bytes.Equal(fast, slow) || fastTTL != slowTTL {
			t.Fatalf("rolling %q at %v: plain %q TTL %d; generic %q TTL %d", b, now, fast, fastTTL, slow, slowTTL)
		}
	})
}
