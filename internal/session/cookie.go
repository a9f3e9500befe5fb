package session

import (
	"strings"
	"unicode/utf8"
)

// CookieValue returns the value of the first cookie called name in a
// request's Cookie header fields, read as connect's cookieParser reads it
// (cookie 0.1.0's parse): Node joins repeated Cookie fields with "; " and
// decodes header bytes as Latin-1; pairs are split at ';' or ',' and the
// spaces after them; name and value are trimmed; a value starting with '"'
// loses its first and last characters; the value is percent-decoded as
// decodeURIComponent does, and kept raw if that fails.
func CookieValue(fields []string, name string) (string, bool) {
	for _, f := range fields {
		for len(f) > 0 {
			i := strings.IndexAny(f, ";,")
			pair := f
			if i >= 0 {
				pair, f = f[:i], f[i+1:]
				f = strings.TrimLeft(f, " ")
			} else {
				f = ""
			}
			eq := strings.IndexByte(pair, '=')
			if eq < 0 || jsTrim(pair[:eq]) != name {
				continue
			}
			val := jsTrim(pair[eq+1:])
			if len(val) > 0 && val[0] == '"' {
				if len(val) < 2 {
					val = ""
				} else {
					val = val[1 : len(val)-1]
				}
			}
			val = latin1(val)
			if dec, ok := DecodeURIComponent(val); ok {
				return dec, true
			}
			return val, true
		}
	}
	return "", false
}

// jsTrim trims what String.prototype.trim trims from a Latin-1 string:
// tab, LF, VT, FF, CR, space and NBSP (0xA0).
func jsTrim(s string) string {
	isSpace := func(c byte) bool {
		return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0
	}
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// latin1 returns s with each byte read as a Latin-1 character, as Node
// reads header bytes, in UTF-8.
func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			b := make([]byte, 0, len(s)+8)
			for j := 0; j < len(s); j++ {
				b = utf8.AppendRune(b, rune(s[j]))
			}
			return string(b)
		}
	}
	return s
}

// DecodeURIComponent decodes %XX escapes as JavaScript's decodeURIComponent
// does: escaped bytes must form valid UTF-8 (no overlong forms, no
// surrogates), '+' stays '+', and any malformed escape fails the whole
// string.
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
		seq := []byte{c}
		for k := 1; k < n; k++ {
			cc, ok := unhex2(s, i+3*k)
			if !ok || cc&0xC0 != 0x80 {
				return "", false
			}
			seq = append(seq, cc)
		}
		if r, _ := utf8.DecodeRune(seq); r == utf8.RuneError {
			return "", false // overlong, surrogate or above U+10FFFF
		}
		b = append(b, seq...)
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

// appendURIComponent appends s with every UTF-8 byte but
// A-Z a-z 0-9 - _ . ! ~ * ' ( ) escaped, as JavaScript's encodeURIComponent
// does.
func appendURIComponent(b []byte, s string) []byte {
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
