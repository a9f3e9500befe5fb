// Package session implements connect 2.8.8's session wire format and
// lifecycle: uid2 session ids, cookie-signature signed cookies, the session
// JSON connect-redis stores, and connect's rules for when to send a cookie.
// Sessions are kept in a Store that this package defines and adapters
// implement.
package session

import (
	"crypto/rand"
	"encoding/base64"
)

// idLen is the length of connect's session ids: uid(24).
const idLen = 24

// urlSafe is uid2's alphabet: base64 with '+' → '_' and '/' → '-'.
var urlSafe = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

// NewID returns a fresh session id as uid2(24) makes one: 18 random bytes,
// base64 with '+' mapped to '_' and '/' to '-'.
func NewID() string {
	var b [idLen * 3 / 4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return urlSafe.EncodeToString(b[:])
}
