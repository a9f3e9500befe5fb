package session

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/appstack/appstack/internal/nodetest"
)

// cookieHeaders are Cookie header values (raw bytes) that we parse as the
// cookie module's parse does.
var cookieHeaders = []string{
	"connect.sid=s%3Aabc.def",
	"a=1; connect.sid=s%3Afirst.x; connect.sid=s%3Asecond.y",
	"a=1,connect.sid=comma",
	"a=1;connect.sid=nospace",
	"  connect.sid  =  spaced  ",
	"connect.sid=\"quoted\"",
	"connect.sid=\"",
	"connect.sid=\"unterminated",
	"connect.sid=",
	"connect.sid",
	"connect.sid==x=y",
	"Connect.sid=case",
	"connect.sid=%E2%82%AC%F0%9F%98%80",
	"connect.sid=%ZZ",
	"connect.sid=%FF",
	"connect.sid=%ED%A0%80",
	"connect.sid=%C0%AF",
	"connect.sid=%F4%90%80%80",
	"connect.sid=%E2%82",
	"connect.sid=100%",
	"connect.sid=a+b%20c",
	"connect.sid=j%3A%7B%7D",
	"connect.sid=\xe9t\xe9",
	"connect.sid=\xa0nbsp\xa0",
	"\xa0connect.sid=lead",
	"connect.sid=\ttab\t",
	"x=\"a;connect.sid=inquotes\"",
	";;; ,, connect.sid=after-empties",
	"",
	"other=1",
	strings.Repeat("a=b; ", 200) + "connect.sid=late",
}

func TestCookieValueMatchesCookieParse(t *testing.T) {
	t.Parallel()
	in := make([][]byte, len(cookieHeaders))
	for i, h := range cookieHeaders {
		in[i] = []byte(h)
	}
	var want []*string
	nodetest.Eval(t, `const cookie = require('cookie');
print(input.map((b) => { const v = cookie.parse(Buffer.from(b, 'base64').toString('latin1'))['connect.sid']; return v === undefined ? null : v; }));`, in, &want)
	for i, h := range cookieHeaders {
		got, ok := CookieValue([]string{h}, "connect.sid")
		switch {
		case want[i] == nil && ok:
			t.Errorf("CookieValue(%q) = %q, true; cookie.parse finds none", h, got)
		case want[i] != nil && (!ok || got != *want[i]):
			t.Errorf("CookieValue(%q) = %q, %v; cookie.parse gives %q", h, got, ok, *want[i])
		}
	}
}

func TestCookieValueJoinsFieldsAsNode(t *testing.T) {
	t.Parallel()
	got, ok := CookieValue([]string{"a=1", "connect.sid=second-field", "connect.sid=third"}, "connect.sid")
	if !ok || got != "second-field" {
		t.Errorf("CookieValue over three fields = %q, %v; want the first occurrence %q", got, ok, "second-field")
	}
}

func FuzzCookieValue(f *testing.F) {
	for _, h := range cookieHeaders {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		v, ok := CookieValue([]string{header}, "connect.sid")
		if !ok {
			if strings.Contains(header, "connect.sid=") && !strings.ContainsAny(header, "\t\n\v\f\r\xa0") {
				// A plain "connect.sid=" pair is always found, unless a
				// split character cuts it or another pair precedes it.
				if first := strings.Index(header, "connect.sid="); first == 0 {
					t.Fatalf("CookieValue(%q) found nothing", header)
				}
			}
			return
		}
		if !utf8.ValidString(v) {
			t.Fatalf("CookieValue(%q) = %q: not UTF-8", header, v)
		}
	})
}
