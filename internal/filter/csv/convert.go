package csv

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func isRubySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// rubyDigits checks digits of base with Ruby's underscores (single, and
// only between digits) and returns them without underscores.
func rubyDigits(s string, base int) (string, bool) {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", false
	}
	d := strings.ReplaceAll(s, "_", "")
	for i := 0; i < len(d); i++ {
		if v := digitValue(d[i]); v < 0 || v >= base {
			return "", false
		}
	}
	return d, true
}

func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// rubyInteger is Ruby's Kernel#Integer on a string: white space around,
// a sign, 0x/0b/0o/0d prefixes or a leading 0 for octal, underscores
// between digits. Values beyond int64 do not convert here.
func rubyInteger(s string) (int64, bool) {
	s = strings.TrimLeftFunc(strings.TrimRightFunc(s, isSpaceRune), isSpaceRune)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, s = 16, s[2:]
		case 'b', 'B':
			base, s = 2, s[2:]
		case 'o', 'O':
			base, s = 8, s[2:]
		case 'd', 'D':
			base, s = 10, s[2:]
		default:
			base, s = 8, s[1:]
		}
	}
	d, ok := rubyDigits(s, base)
	if !ok {
		return 0, false
	}
	if neg {
		d = "-" + d
	}
	n, err := strconv.ParseInt(d, base, 64)
	return n, err == nil
}

func isSpaceRune(r rune) bool { return r < 0x80 && isRubySpace(byte(r)) }

var rubyFloatSyntax = regexp.MustCompile(`^[+-]?(?:[0-9][0-9_]*)?(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9][0-9_]*)?$`)

// rubyFloat is Ruby's Kernel#Float on a string: white space around, a
// sign, digits with underscores between them, a fraction (digits after
// the point required), an exponent; or a hexadecimal integer.
func rubyFloat(s string) (float64, bool) {
	s = strings.TrimLeftFunc(strings.TrimRightFunc(s, isSpaceRune), isSpaceRune)
	if n, ok := rubyInteger(s); ok && strings.ContainsAny(s, "xX") {
		return float64(n), true
	}
	if !rubyFloatSyntax.MatchString(s) || strings.Contains(s, "__") || strings.Contains(s, "_.") ||
		strings.Contains(s, "_e") || strings.Contains(s, "_E") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if body == "" || body[0] == 'e' || body[0] == 'E' || body[0] == '.' && len(body) == 1 {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Ruby 1.9 CSV's DateMatcher and DateTimeMatcher: only text that matches
// them is handed to Date.parse / DateTime.parse.
var (
	dateMatcher     = regexp.MustCompile(`^(?:(?:[A-Za-z0-9_]+,?\s+)?([A-Za-z0-9_]+)\s+(\d{1,2}),?\s+(\d{2,4})|(\d{4})-(\d{2})-(\d{2}))$`)
	dateTimeMatcher = regexp.MustCompile(`^(?:(?:[A-Za-z0-9_]+,?\s+)?([A-Za-z0-9_]+)\s+(\d{1,2})\s+(\d{1,2}):(\d{1,2}):(\d{1,2}),?\s+(\d{2,4})|(\d{4})-(\d{2})-(\d{2})\s(\d{2}):(\d{2}):(\d{2}))$`)
	monthAbbrevs    = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
)

// rubyDate converts what Ruby's CSV date (or date_time) converter does:
// "2017-07-19" (and "2017-07-19 15:34:57"), or "[Weekday,] Month D[,]
// YYYY" (and "[Weekday] Month D H:M:S[,] YYYY"), as a UTC time (Ruby's
// to_time is local time; Logstash's image runs in UTC). Invalid dates
// stay strings.
func rubyDate(s string, withTime bool) (time.Time, bool) {
	re := dateMatcher
	if withTime {
		re = dateTimeMatcher
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	var y, mo, d, h, mi, sec int
	switch {
	case !withTime && m[4] != "":
		y, mo, d = atoi(m[4]), atoi(m[5]), atoi(m[6])
	case withTime && m[7] != "":
		y, mo, d, h, mi, sec = atoi(m[7]), atoi(m[8]), atoi(m[9]), atoi(m[10]), atoi(m[11]), atoi(m[12])
	default:
		name := strings.ToLower(m[1])
		mo = 0
		for i, a := range monthAbbrevs {
			if strings.HasPrefix(name, a) {
				mo = i + 1
			}
		}
		if mo == 0 {
			return time.Time{}, false
		}
		d = atoi(m[2])
		yText := m[3]
		if withTime {
			h, mi, sec, yText = atoi(m[3]), atoi(m[4]), atoi(m[5]), m[6]
		}
		y = atoi(yText)
		if len(yText) <= 2 { // Date.parse completes two-digit years
			if y >= 69 {
				y += 1900
			} else {
				y += 2000
			}
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if mo < 1 || mo > 12 || t.Day() != d || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return t, true
}
