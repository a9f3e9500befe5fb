package js

import (
	"strings"
	"unicode/utf8"
)

// DecodeURIComponent decodes %XX escapes as JavaScript's decodeURIComponent
// does: escaped bytes must form valid UTF-8 (no overlong forms, no
// surrogates), '+' stays '+', and any malformed escape fails the whole
// string (where JavaScript throws a URIError).
func DecodeURIComponent(s string) (string, bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for i < len(s) {
		if s[i] != '%' {
			b = append(b, s[i])
			i++
			continue
		}
		// A run of escapes: decode the bytes, then check that they are
		// whole UTF-8 sequences, each starting at an escape.
		c, ok := unhex2(s, i)
		if !ok {
			return "", false
		}
		n := 1
		switch {
		case c < 0x80:
		case c&0xE0 == 0xC0:
			n = 2
		case c&0xF0 == 0xE0:
			n = 3
		case c&0xF8 == 0xF0:
			n = 4
		default:
			return "", false
		}
		var seq [4]byte
		seq[0] = c
		for k := 1; k < n; k++ {
			cc, ok := unhex2(s, i+3*k)
			if !ok || cc&0xC0 != 0x80 {
				return "", false
			}
			seq[k] = cc
		}
		if r, _ := utf8.DecodeRune(seq[:n]); r == utf8.RuneError {
			return "", false // overlong, surrogate or above U+10FFFF
		}
		b = append(b, seq[:n]...)
		i += 3 * n
	}
	return string(b), true
}

func unhex2(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// AppendEncodeURIComponent appends s with every UTF-8 byte but
// A-Z a-z 0-9 - _ . ! ~ * ' ( ) escaped, as JavaScript's
// encodeURIComponent does.
func AppendEncodeURIComponent[S ~string | ~[]byte](b []byte, s S) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperhex[c>>4], upperhex[c&15])
	}
	return b
}
