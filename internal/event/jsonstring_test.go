package event

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonStringByBytes is appendJSONString without its eight-byte fast
// path: the reference the fast path must agree with.
func jsonStringByBytes(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\uFFFD")
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xF])
		default:
			b.WriteByte(c)
		}
		i++
	}
	b.WriteByte('"')
	return b.String()
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text, longer than eight", `a"b\c`, "tab\there\x01\x1f\x7f",
		"é😀 \xff\xfe mixed", "12345678\"12345678\\", "~~~~~~~~ !!!!!!!!", "\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), jsonStringByBytes(s); got != want {
			t.Errorf("appendJSONString(%q) = %s; want %s", s, got, want)
		}
	})
}

// TestPlain8 checks the word test on every byte value in every position.
func TestPlain8(t *testing.T) {
	t.Parallel()
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			var x uint64
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
			if got := plain8(x); got != want {
				t.Errorf("plain8(%q) = %v; want %v", w, got, want)
			}
		}
	}
}

func BenchmarkAppendJSONString(b *testing.B) {
	s := sampleMessage
	var buf []byte
	for b.Loop() {
		buf = appendJSONString(buf[:0], s)
	}
}
