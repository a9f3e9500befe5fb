package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"sync"
)

// Signer signs and verifies cookie values as cookie-signature does:
// value + "." + base64(HMAC-SHA256(secret, value)) without '=' padding.
// It signs with the first secret and accepts any, so secrets can be rotated.
// A Signer is safe for concurrent use.
type Signer struct {
	// macs pool an HMAC per secret, in order, with a buffer: hmac.New
	// costs more than the MAC of a session id, and what goes through the
	// hash.Hash interface would be allocated on every call.
	macs []sync.Pool
}

// macState is a pooled HMAC and its scratch buffer.
type macState struct {
	h   hash.Hash
	buf []byte
}

// NewSigner returns a Signer for secrets, the first of which signs.
func NewSigner(secrets ...string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no secret")
	}
	s := &Signer{macs: make([]sync.Pool, len(secrets))}
	for i, sec := range secrets {
		if sec == "" {
			return nil, errors.New("empty secret")
		}
		key := []byte(sec)
		s.macs[i].New = func() any { return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 64)} }
	}
	return s, nil
}

// mac appends HMAC-SHA256(key i, val) to dst.
func (s *Signer) mac(dst []byte, i int, val string) []byte {
	m := s.macs[i].Get().(*macState)
	m.h.Reset()
	m.buf = append(m.buf[:0], val...)
	m.h.Write(m.buf)
	m.buf = m.h.Sum(m.buf[:0])
	dst = append(dst, m.buf...)
	s.macs[i].Put(m)
	return dst
}

// Sign returns val + "." + its signature under the first secret.
func (s *Signer) Sign(val string) string {
	b := make([]byte, 0, len(val)+1+base64.RawStdEncoding.EncodedLen(sha256.Size))
	b = append(b, val...)
	b = append(b, '.')
	return string(s.appendSignature(b, val))
}

// appendSignature appends val's signature under the first secret:
// base64(HMAC-SHA256) without padding.
func (s *Signer) appendSignature(dst []byte, val string) []byte {
	var sum [sha256.Size]byte
	return base64.RawStdEncoding.AppendEncode(dst, s.mac(sum[:0], 0, val))
}

// Unsign returns the value signed in signed and true if its signature is
// valid under any of the secrets. Signatures are compared in constant time.
func (s *Signer) Unsign(signed string) (string, bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 {
		return "", false
	}
	val, sig := signed[:dot], signed[dot+1:]
	if len(sig) != base64.RawStdEncoding.EncodedLen(sha256.Size) {
		return "", false
	}
	var want [44]byte
	var sum [sha256.Size]byte
	ok := 0
	for i := range s.macs {
		enc := base64.RawStdEncoding.AppendEncode(want[:0], s.mac(sum[:0], i, val))
		// Check every secret, so timing does not tell which one matched.
		ok |= subtle.ConstantTimeCompare(enc, []byte(sig))
	}
	if ok != 1 {
		return "", false
	}
	return val, true
}
