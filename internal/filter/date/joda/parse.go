package joda

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// bucket collects what the elements parsed, as Joda's
// DateTimeParserBucket.
type bucket struct {
	buf       [12]saved // fields' first backing array, to spare an allocation
	fields    []saved
	offset    int64 // ms east of UTC
	hasOffset bool
	zone      *time.Location
}

type saved struct {
	f field
	v int
}

type state struct {
	n         int
	offset    int64
	hasOffset bool
	zone      *time.Location
}

func (b *bucket) save() state { return state{len(b.fields), b.offset, b.hasOffset, b.zone} }

func (b *bucket) restore(s state, fields []saved) {
	b.fields = append(b.fields[:0], fields[:s.n]...)
	b.offset, b.hasOffset, b.zone = s.offset, s.hasOffset, s.zone
}

// match runs elems on s from pos and returns the position after them,
// or -1.
func (p *Parser) match(elems []elem, s string, pos int, b *bucket) int {
	for i := range elems {
		if pos = p.matchOne(&elems[i], s, pos, b); pos < 0 {
			return -1
		}
	}
	return pos
}

func (p *Parser) matchOne(e *elem, s string, pos int, b *bucket) int {
	switch e.kind {
	case eLiteral:
		return matchFold(s, pos, e.text)
	case eNumber:
		return parseNumber(e, s, pos, b)
	case eTwoDigit:
		return parseTwoDigitYear(e, s, pos, b)
	case eFraction:
		return parseFraction(e, s, pos, b)
	case eText:
		return p.parseText(e.field, s, pos, b)
	case eOffset:
		return parseOffset(s, pos, e.text, b)
	case eZoneID:
		return p.zones.parseID(s, pos, b)
	case eZoneName:
		return parseZoneName(s, pos, b)
	case eAlternatives, eOptional:
		return p.matchAlternatives(e, s, pos, b)
	}
	return -1
}

// matchAlternatives is Joda's MatchingParser: the alternative that reads
// the most wins (the first on a tie, at once if it reads to the end); a
// nil alternative matches nothing, and only when nothing else matched.
// eOptional is an alternative and nil.
func (p *Parser) matchAlternatives(e *elem, s string, pos int, b *bucket) int {
	alts := e.alts
	if e.kind == eOptional {
		alts = [][]elem{e.alts[0], nil}
	}
	start := b.save()
	base := slices.Clone(b.fields)
	best, bestFields, bestState := pos, []saved(nil), state{}
	found := false
	for i, alt := range alts {
		if alt == nil {
			if best <= pos {
				b.restore(start, base)
				return pos
			}
			break
		}
		end := p.match(alt, s, pos, b)
		if end > best {
			if end >= len(s) || i+1 >= len(alts) || alts[i+1] == nil {
				return end
			}
			best, bestFields, bestState, found = end, slices.Clone(b.fields), b.save(), true
		}
		b.restore(start, base)
	}
	if found {
		b.restore(bestState, bestFields)
		return best
	}
	return -1
}

// matchFold matches lit at pos ignoring case, as Joda's literals do.
func matchFold(s string, pos int, lit string) int {
	i := pos
	for _, lr := range lit {
		if i >= len(s) {
			return -1
		}
		sr, size := utf8.DecodeRuneInString(s[i:])
		if sr != lr && !strings.EqualFold(string(sr), string(lr)) {
			return -1
		}
		i += size
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseNumber is Joda's NumberFormatter: up to max digits (a leading
// sign when signed, followed by a digit), at least one.
func parseNumber(e *elem, s string, pos int, b *bucket) int {
	limit := min(e.max, len(s)-pos)
	neg := false
	i := pos
	if e.signed && limit > 0 && (s[i] == '-' || s[i] == '+') {
		if limit < 2 || !isDigit(s[i+1]) {
			return -1
		}
		neg = s[i] == '-'
		i++
		limit = min(limit, len(s)-i)
	}
	start := i
	for i < len(s) && i-start < limit && isDigit(s[i]) {
		i++
	}
	if i == start {
		return -1
	}
	v, ok := atoi(s[start:i])
	if !ok {
		return -1
	}
	if neg {
		v = -v
	}
	b.fields = append(b.fields, saved{e.field, v})
	return i
}

// atoi parses digits into an int32-range value, as Java's parseInt.
func atoi(d string) (int, bool) {
	v := 0
	for i := 0; i < len(d); i++ {
		v = v*10 + int(d[i]-'0')
		if v > 1<<31-1 {
			return 0, false
		}
	}
	return v, true
}

// parseTwoDigitYear is Joda's TwoDigitYear: two digits map into the
// century starting 80 years before the pivot's year + 50; when lenient,
// a sign or another number of digits is a full year.
func parseTwoDigitYear(e *elem, s string, pos int, b *bucket) int {
	if e.lenient {
		i := pos
		neg, sign := false, false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			sign, neg = true, s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return -1
		}
		if sign || i-start != 2 {
			v, ok := atoi(s[start:i])
			if !ok {
				return -1
			}
			if neg {
				v = -v
			}
			b.fields = append(b.fields, saved{e.field, v})
			return i
		}
	}
	if len(s)-pos < 2 || !isDigit(s[pos]) || !isDigit(s[pos+1]) {
		return -1
	}
	year := int(s[pos]-'0')*10 + int(s[pos+1]-'0')
	low := e.pivot - 50
	var t int
	if low >= 0 {
		t = low % 100
	} else {
		t = 99 + (low+1)%100
	}
	if year < t {
		year += 100
	}
	year += low - t
	b.fields = append(b.fields, saved{e.field, year})
	return pos + 2
}

// fractionUnit is the unit, in ms, of the field a fraction divides.
var fractionUnit = map[field]int64{fMillisOfSecond: 1000, fMillisOfMinute: 60_000, fMillisOfHour: 3_600_000}

// parseFraction is Joda's Fraction: up to max digits, truncated to
// milliseconds.
func parseFraction(e *elem, s string, pos int, b *bucket) int {
	limit := min(e.max, len(s)-pos)
	var value int64
	n := fractionUnit[e.field] * 10
	i := pos
	for i-pos < limit && isDigit(s[i]) {
		n /= 10
		value += int64(s[i]-'0') * n
		i++
	}
	value /= 10
	if i == pos || value > 1<<31-1 {
		return -1
	}
	b.fields = append(b.fields, saved{e.field, int(value)})
	return i
}

// parseText matches the longest month, day, am/pm or era name at pos:
// each name as the locale spells it, in lower case or in upper case.
func (p *Parser) parseText(f field, s string, pos int, b *bucket) int {
	t := p.names[f]
	names, maxLen := t.m, t.maxLen
	rest := s[pos:]
	// Try the longest candidate first, in runes.
	var buf [32]int
	ends := buf[:0]
	for i := range rest {
		if len(ends) > maxLen {
			break
		}
		ends = append(ends, i)
	}
	if len(ends) <= maxLen {
		ends = append(ends, len(rest))
	}
	for n := min(maxLen, len(ends)-1); n > 0; n-- {
		if v, ok := names[rest[:ends[n]]]; ok {
			b.fields = append(b.fields, saved{f, v})
			return pos + ends[n]
		}
	}
	return -1
}

// nameTable is a field's text → value table and its longest text in
// runes.
type nameTable struct {
	m      map[string]int
	maxLen int
}

// names returns the nameTable of a field in locale l.
func (l *Locale) names(f field) nameTable {
	m := map[string]int{}
	add := func(text string, v int) {
		for _, t := range []string{text, strings.ToLower(text), strings.ToUpper(text)} {
			if _, dup := m[t]; !dup {
				m[t] = v
			}
		}
	}
	maxLen := 0
	switch f {
	case fMonth:
		for i := range 12 {
			add(l.ShortMonths[i], i+1)
			add(l.Months[i], i+1)
		}
	case fDayOfWeek:
		for i := range 7 {
			add(l.ShortDays[i], i+1)
			add(l.Days[i], i+1)
		}
	case fHalfday:
		add(l.AmPm[0], 0)
		add(l.AmPm[1], 1)
	case fEra:
		add(l.Eras[0], 0)
		add(l.Eras[1], 1)
		if strings.HasPrefix(l.Tag, "en") || l.Tag == "" {
			add("BCE", 0)
			add("CE", 1)
		}
	}
	for t := range m {
		maxLen = max(maxLen, utf8.RuneCountInString(t))
	}
	return nameTable{m, maxLen}
}

// parseOffset is Joda's TimeZoneOffset parser: zero (e.g. "Z", any case)
// or a sign, two hour digits, then optionally minutes, seconds and
// milliseconds, with ':' (and '.' or ',') separators throughout or none.
func parseOffset(s string, pos int, zero string, b *bucket) int {
	if zero != "" {
		if end := matchFold(s, pos, zero); end >= 0 {
			b.offset, b.hasOffset = 0, true
			return end
		}
	}
	if len(s)-pos <= 1 || s[pos] != '-' && s[pos] != '+' {
		return -1
	}
	neg := s[pos] == '-'
	i := pos + 1
	digits := func(n int) int {
		c := 0
		for c < n && i+c < len(s) && isDigit(s[i+c]) {
			c++
		}
		return c
	}
	two := func() int {
		v := int(s[i]-'0')*10 + int(s[i+1]-'0')
		i += 2
		return v
	}
	if digits(2) < 2 {
		return -1
	}
	h := two()
	if h > 23 {
		return -1
	}
	off := int64(h) * 3_600_000
	// Each later part is optional; a part that starts but is incomplete
	// fails the whole offset, as in Joda.
	parts := []struct {
		sep      func(byte) bool
		unit     int64
		digits   int
		maxValue int
	}{
		{func(c byte) bool { return c == ':' }, 60_000, 2, 59},
		{func(c byte) bool { return c == ':' }, 1000, 2, 59},
		{func(c byte) bool { return c == '.' || c == ',' }, 1, 3, 999},
	}
	sep := false
	for k, part := range parts {
		if i >= len(s) {
			break
		}
		if k == 0 {
			if s[i] == ':' {
				sep = true
				i++
			} else if !isDigit(s[i]) {
				break
			}
		} else if sep {
			if !part.sep(s[i]) {
				break
			}
			i++
		}
		n := digits(part.digits)
		if n == 0 && !sep {
			break
		}
		if k < 2 && n < 2 || n == 0 {
			return -1
		}
		if k < 2 {
			v := two()
			if v > part.maxValue {
				return -1
			}
			off += int64(v) * part.unit
			continue
		}
		for w := int64(100); n > 0; n, w = n-1, w/10 {
			off += int64(s[i]-'0') * w
			i++
		}
	}
	if neg {
		off = -off
	}
	b.offset, b.hasOffset = off, true
	return i
}

// zoneNames is Joda's default short time zone names (DateTimeUtils).
var zoneNames = map[string]string{
	"UT": "UTC", "UTC": "UTC", "GMT": "UTC",
	"EST": "America/New_York", "EDT": "America/New_York",
	"CST": "America/Chicago", "CDT": "America/Chicago",
	"MST": "America/Denver", "MDT": "America/Denver",
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
}

func parseZoneName(s string, pos int, b *bucket) int {
	best := ""
	for name := range zoneNames {
		if strings.HasPrefix(s[pos:], name) && len(name) > len(best) {
			best = name
		}
	}
	if best == "" {
		return -1
	}
	loc, err := time.LoadLocation(zoneNames[best])
	if err != nil {
		return -1
	}
	b.zone = loc
	return pos + len(best)
}

func mismatch(text string) error { return fmt.Errorf("invalid format: %q", text) }
