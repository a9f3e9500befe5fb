package js

import (
	"strings"
	"unicode/utf8"
)

// Trim trims what String.prototype.trim trims from a string read as
// Latin-1 (as Node reads header bytes): tab, LF, VT, FF, CR, space and
// NBSP (0xA0).
func Trim(s string) string {
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

// Latin1 returns s with each byte read as a Latin-1 character, as Node
// reads header bytes, in UTF-8.
func Latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return string(AppendLatin1(make([]byte, 0, len(s)+8), []byte(s)))
		}
	}
	return s
}

// AppendLatin1 appends b, each byte read as a Latin-1 character, in UTF-8.
func AppendLatin1(dst, b []byte) []byte {
	for _, c := range b {
		if c < utf8.RuneSelf {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// SplitCommaSpaces is s.split(/ *, */).
func SplitCommaSpaces(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if i > 0 {
			p = strings.TrimLeft(p, " ")
		}
		if i < len(parts)-1 {
			p = strings.TrimRight(p, " ")
		}
		parts[i] = p
	}
	return parts
}
