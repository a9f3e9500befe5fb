package web

import (
	"bytes"
	"strings"
	"testing"
)

// headerBlocks are request header blocks (the lines after the request
// line), each with whether it carries a Transfer-Encoding field or an
// obs-fold line: what fasthttp acts on or joins unseen.
var headerBlocks = []struct {
	name      string
	block     string
	ambiguous bool
}{
	{"plain fields", "Host: t\r\nUser-Agent: x\r\n\r\n", false},
	{"Content-Length and Transfer-Encoding", "Host: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", true},
	{"Transfer-Encoding in another case", "tRANSFER-eNCODING: chunked\r\n\r\n", true},
	{"bare LF line ends", "Host: t\nTransfer-Encoding: chunked\n\n", true},
	{"an obs-fold line", "Host: t\r\nX-Foo: a\r\n b\r\n\r\n", true},
	{"an obs-fold line with a tab", "X-Foo: a\r\n\tb\r\n\r\n", true},
	{"an obs-fold line hiding Transfer-Encoding", "X-Foo: a\r\n Transfer-Encoding: chunked\r\n\r\n", true},
	{"a folded Transfer-Encoding value", "Transfer-Encoding:\r\n chunked\r\n\r\n", true},
	{"a name that only starts alike", "Transfer-Encodin: x\r\nTransfer: y\r\nTransfer-Encodings: z\r\n\r\n", false},
	{"the name inside a value", "X: Transfer-Encoding: chunked\r\n\r\n", false},
	{"a space inside a line", "X: a b\r\n\r\n", false},
	{"a space before the colon", "Transfer-Encoding : chunked\r\n\r\n", true},
}

func TestReadHeadersFindsAmbiguousFraming(t *testing.T) {
	t.Parallel()
	for _, tt := range headerBlocks {
		t.Run(tt.name, func(t *testing.T) {
			if got := readHeaders([]byte(tt.block)).ambiguous; got != tt.ambiguous {
				t.Errorf("readHeaders(%q).ambiguous = %v; want %v", tt.block, got, tt.ambiguous)
			}
		})
	}
}

// TestReadHeadersKeepsWhatNodeKeeps: of repeated fields Node keeps the
// first User-Agent, Referer and If-Modified-Since and joins the others.
func TestReadHeadersKeepsWhatNodeKeeps(t *testing.T) {
	t.Parallel()
	block := "Host: t\r\nuser-agent: first\r\nUser-Agent: second\r\nCookie: a=1\r\nREFERER: r1\r\nReferer: r2\r\n" +
		"Referrer: x\r\nCookie:  connect.sid=s  \r\nReferrer: y\r\nIf-None-Match: \"a\"\r\nif-none-match: \"b\"\r\n" +
		"If-Modified-Since: d1\r\nIf-Modified-Since: d2\r\nCache-Control: max-age=0\r\nCache-Control: no-cache\r\n\r\n"
	h := readHeaders([]byte(block))
	for _, c := range []struct{ what, got, want string }{
		{"User-Agent", string(h.userAgent), "first"},
		{"Referer", string(h.referer), "r1"},
		{"Referrer", string(h.joined(h.referrer, "Referrer", ", ")), "x, y"},
		{"If-None-Match", string(h.joined(h.ifNoneMatch, "If-None-Match", ", ")), `"a", "b"`},
		{"If-Modified-Since", string(h.ifModifiedSince), "d1"},
		{"Cache-Control", string(h.joined(h.cacheControl, "Cache-Control", ", ")), "max-age=0, no-cache"},
		{"Cookie fields", strings.Join(cookieFields(&h), "|"), "a=1|connect.sid=s"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.what, c.got, c.want)
		}
	}
	if h := readHeaders([]byte("Host: t\r\n\r\n")); h.userAgent != nil || h.cookie.n != 0 || cookieFields(&h) != nil || h.joined(h.referrer, "Referrer", ", ") != nil {
		t.Errorf("readHeaders without the fields = %+v; want none of them", h)
	}
}

// referenceAmbiguous is what readHeaders must find, said plainly: a line
// that starts with a space or a tab, or whose name is Transfer-Encoding.
func referenceAmbiguous(block []byte) bool {
	for _, line := range strings.Split(string(block), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			return true
		}
		if name, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimRight(name, " \t"), "transfer-encoding") {
			return true
		}
	}
	return false
}

func FuzzReadHeaders(f *testing.F) {
	for _, tt := range headerBlocks {
		f.Add([]byte(tt.block))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		h := readHeaders(block)
		if want := referenceAmbiguous(block); h.ambiguous != want {
			t.Fatalf("readHeaders(%q).ambiguous = %v; want %v", block, h.ambiguous, want)
		}
		// Every value read is a part of the block, trimmed.
		for _, v := range append(h.values(h.cookie, "Cookie"), h.userAgent, h.referer) {
			if len(v) > 0 && (!bytes.Contains(block, v) || v[0] == ' ' || v[len(v)-1] == ' ') {
				t.Fatalf("readHeaders(%q) read %q", block, v)
			}
		}
	})
}

// BenchmarkReadHeaders is what reading a typical request's fields costs.
func BenchmarkReadHeaders(b *testing.B) {
	block := []byte("Host: localhost:3000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: */*\r\nCookie: connect.sid=s%3A8skG8L-G5QEjGLWajJi2qV4a.G9VoZSowYMNc52CY5Nsgdna%2BDbL1ijK8WC3V4HvmF7k\r\n\r\n")
	b.SetBytes(int64(len(block)))
	for b.Loop() {
		readHeaders(block)
	}
}
