// Package rubytext has the Ruby 1.9 (JRuby 1.7, Logstash 5) behaviour
// filters must reproduce: String methods (case changes touch ASCII
// letters only, strip removes ASCII white space and NUL, to_i, to_f),
// to_s and inspect of event values (inspect.go), and Regexp.new on a
// backtracking engine (regexp.go).
package rubytext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Downcase is String#downcase.
func Downcase(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Upcase is String#upcase.
func Upcase(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// Capitalize is String#capitalize: the first character upcased, the
// rest downcased.
func Capitalize(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return Upcase(s[:n]) + Downcase(s[n:])
}

// Strip is String#strip: leading white space and trailing white space
// or NUL removed.
func Strip(s string) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	return strings.TrimRight(s, " \t\n\v\f\r\x00")
}

// ToI is String#to_i: leading white space, a sign, then decimal digits
// (single underscores between them) up to the first other character; 0
// when there are none. ok is false when the number exceeds int64.
func ToI(s string) (n int64, ok bool) {
	digits, neg := leadingNumber(s, false)
	if digits == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// ToF is String#to_f: like ToI, with a fraction and an exponent.
func ToF(s string) float64 {
	text, neg := leadingNumber(s, true)
	f, _ := strconv.ParseFloat(text, 64)
	if neg {
		f = -f
	}
	return f
}

// leadingNumber returns the digits (without underscores) of the number
// s starts with, after white space and a sign.
func leadingNumber(s string, float bool) (string, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var b strings.Builder
	digits := func() int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= '0' && c <= '9' {
				b.WriteByte(c)
				n++
				continue
			}
			if c == '_' && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				continue
			}
			s = s[i:]
			return n
		}
		s = ""
		return n
	}
	if digits() == 0 && !float {
		return "", neg
	}
	if !float {
		return b.String(), neg
	}
	if b.Len() == 0 {
		b.WriteByte('0')
	}
	if len(s) > 1 && s[0] == '.' && s[1] >= '0' && s[1] <= '9' {
		b.WriteByte('.')
		s = s[1:]
		digits()
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		rest := s[1:]
		sign := ""
		if rest != "" && (rest[0] == '+' || rest[0] == '-') {
			sign, rest = rest[:1], rest[1:]
		}
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			mark := b.Len()
			b.WriteString("e" + sign)
			s = rest
			if digits() == 0 {
				str := b.String()[:mark]
				b.Reset()
				b.WriteString(str)
			}
		}
	}
	return b.String(), neg
}
