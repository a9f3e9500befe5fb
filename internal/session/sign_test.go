package session

import (
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/nodetest"
)

func TestNewIDIsUID2(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 24 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			t.Fatalf("NewID() = %q; want 24 characters of uid2's alphabet", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

// signCases are (value, secret) pairs signed by cookie-signature in node.
var signCases = [][2]string{
	{"_tLBvtCeDjvFZRte_Q2vWNMd", "keyboard-cat"},
	{"SqR0UIJQSoQj1c5INPXrLV8h", "keyboard-cat"},
	{"", "keyboard-cat"},
	{"a.b.c", "keyboard-cat"},
	{"id", "é secret with unicode 😀"},
	{"ünïcödé value", "s"},
}

func TestSignMatchesCookieSignature(t *testing.T) {
	t.Parallel()
	var want []string
	nodetest.Eval(t, `const sig = require('cookie-signature'); print(input.map(([v, s]) => sig.sign(v, s)));`, signCases, &want)
	for i, c := range signCases {
		s, err := NewSigner(c[1])
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Sign(c[0]); got != want[i] {
			t.Errorf("Sign(%q) with %q = %q; cookie-signature gives %q", c[0], c[1], got, want[i])
		}
		if got, ok := s.Unsign(want[i]); !ok || got != c[0] {
			t.Errorf("Unsign(%q) = %q, %v; want %q, true", want[i], got, ok, c[0])
		}
	}
}

func TestUnsign(t *testing.T) {
	t.Parallel()
	old, _ := NewSigner("old")
	signer, err := NewSigner("new", "old")
	if err != nil {
		t.Fatal(err)
	}
	good := signer.Sign("abc")
	tests := []struct {
		name   string
		signed string
		want   string
		ok     bool
	}{
		{"a value signed with the first secret is accepted", good, "abc", true},
		{"a value signed with a later secret is accepted", old.Sign("abc"), "abc", true},
		{"new values are signed with the first secret", good, "abc", true},
		{"a changed value is rejected", "abd" + good[3:], "", false},
		{"a changed signature is rejected", good[:len(good)-1] + "A", "", false},
		{"a truncated signature is rejected", good[:len(good)-1], "", false},
		{"a padded signature is rejected", good + "=", "", false},
		{"no dot is rejected", "abc", "", false},
		{"an empty string is rejected", "", "", false},
		{"a signature of another secret is rejected", mustSigner(t, "other").Sign("abc"), "", false},
		{"an oversized value is rejected", strings.Repeat("x", 1<<16) + "." + good[4:], "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := signer.Unsign(tt.signed)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Unsign(%.60q) = %q, %v; want %q, %v", tt.signed, got, ok, tt.want, tt.ok)
			}
		})
	}
	if !strings.HasPrefix(good, "abc.") || good == old.Sign("abc") {
		t.Errorf("Sign(abc) = %q; want it signed with the first secret, not %q", good, old.Sign("abc"))
	}
}

func TestNewSignerNeedsSecrets(t *testing.T) {
	t.Parallel()
	for _, secrets := range [][]string{nil, {""}, {"a", ""}} {
		if _, err := NewSigner(secrets...); err == nil {
			t.Errorf("NewSigner(%q) succeeded; want an error", secrets)
		}
	}
}

func mustSigner(tb testing.TB, secrets ...string) *Signer {
	tb.Helper()
	s, err := NewSigner(secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func FuzzUnsign(f *testing.F) {
	s := mustSigner(f, "keyboard-cat", "older")
	f.Add("s:" + s.Sign(NewID()))
	f.Add(s.Sign("x"))
	f.Add("abc.def")
	f.Add("")
	f.Add(".")
	f.Fuzz(func(t *testing.T, signed string) {
		val, ok := s.Unsign(signed)
		if !ok {
			if val != "" {
				t.Fatalf("Unsign(%q) = %q, false; want no value", signed, val)
			}
			return
		}
		// Only a value this signer (or its older secret) signed is accepted.
		if signed != s.Sign(val) && signed != mustSigner(t, "older").Sign(val) {
			t.Fatalf("Unsign(%q) = %q, true; but that is not its signature", signed, val)
		}
	})
}
