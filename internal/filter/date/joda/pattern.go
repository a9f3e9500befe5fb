// Package joda parses date-time text as Joda-Time 2.8 (the library
// Logstash 5's date filter and its Timestamp use) does: DateTimeFormat
// patterns, ISODateTimeFormat.dateTimeParser, time zone ids and offsets.
//
// Parsing follows Joda's DateTimeParserBucket: each pattern element saves
// a field; at the end the fields are sorted (largest range first, then
// largest unit) and set, twice, on 1970-01-01T00:00 local time, each set
// checking its range (Feb 30 fails), the last one rounding down. A
// pattern whose first field is a month, week or day gets the default
// year. The local time then becomes an instant through the parsed offset,
// the parsed zone or the parser's zone.
package joda

import (
	"fmt"
	"time"
)

// field is a Joda DateTimeFieldType that patterns can set.
type field uint8

const (
	fEra field = iota
	fCenturyOfEra
	fYearOfEra
	fYear
	fWeekyear
	fWeekOfWeekyear
	fMonth
	fDayOfYear
	fDayOfMonth
	fDayOfWeek
	fHalfday
	fHourOfHalfday
	fClockhourOfHalfday
	fHourOfDay
	fClockhourOfDay
	fMinute
	fSecond
	fMillisOfSecond
	fMillisOfMinute // fraction of a minute (ISO 8601 "10:30.5")
	fMillisOfHour   // fraction of an hour (ISO 8601 "10.5")
)

// Units ranked for Joda's sort: unsupported (eras, none) sorts first.
const (
	uMillis = iota
	uSeconds
	uMinutes
	uHours
	uHalfdays
	uDays
	uWeeks
	uMonths
	uYears
	uCenturies
	uNone
)

// units gives each field's duration and range units.
var units = [...]struct{ duration, rng int }{
	fEra:                {uNone, uNone},
	fCenturyOfEra:       {uCenturies, uNone},
	fYearOfEra:          {uYears, uNone},
	fYear:               {uYears, uNone},
	fWeekyear:           {uYears, uNone},
	fWeekOfWeekyear:     {uWeeks, uYears},
	fMonth:              {uMonths, uYears},
	fDayOfYear:          {uDays, uYears},
	fDayOfMonth:         {uDays, uMonths},
	fDayOfWeek:          {uDays, uWeeks},
	fHalfday:            {uHalfdays, uDays},
	fHourOfHalfday:      {uHours, uHalfdays},
	fClockhourOfHalfday: {uHours, uHalfdays},
	fHourOfDay:          {uHours, uDays},
	fClockhourOfDay:     {uHours, uDays},
	fMinute:             {uMinutes, uHours},
	fSecond:             {uSeconds, uMinutes},
	fMillisOfSecond:     {uMillis, uSeconds},
	fMillisOfMinute:     {uMillis, uMinutes},
	fMillisOfHour:       {uMillis, uHours},
}

type elemKind uint8

const (
	eLiteral      elemKind = iota // text, matched ignoring case
	eNumber                       // up to max digits, a sign if signed
	eTwoDigit                     // yy: two-digit year with Joda's pivot
	eText                         // month, day-of-week, am/pm or era name
	eFraction                     // S…: fraction digits, up to max
	eOffset                       // Z, ZZ: "Z" or ±HH[[:]mm[[:]ss[.SSS]]]
	eZoneID                       // ZZZ: a time zone id
	eZoneName                     // z, zzzz: UTC, GMT, EST, CDT, PST, …
	eAlternatives                 // ISO 8601: the longest of several sequences
	eOptional                     // ISO 8601: a sequence, or nothing
)

// elem is one parser element of a compiled pattern.
type elem struct {
	kind    elemKind
	field   field
	text    string // literal
	max     int    // digits
	signed  bool
	lenient bool // two-digit year: accept other lengths as a full year
	pivot   int
	alts    [][]elem
}

// Parser is a compiled Joda-Time pattern. It is safe for concurrent use.
type Parser struct {
	elems   []elem
	locale  *Locale
	hasYear bool // the pattern mentions y or Y (Logstash's test)
	hasZone bool // the pattern mentions Z (Logstash's test)
	zones   *Zones
	names   map[field]nameTable // for the pattern's text fields
}

// Compile compiles a Joda-Time DateTimeFormat pattern. now sets the
// two-digit-year pivot (now's year − 30, as Joda does when compiling).
// Pattern letters: G C Y x y M d a h H k K m s S e E D w z Z, 'quoted
// text'; other letters are errors, as in Joda.
func Compile(pattern string, loc *Locale, now time.Time) (*Parser, error) {
	if loc == nil {
		loc = English
	}
	p := &Parser{locale: loc, zones: NewZones()}
	for i := 0; i < len(pattern); i++ {
		if c := pattern[i]; c == 'y' || c == 'Y' {
			p.hasYear = true
		} else if c == 'Z' {
			p.hasZone = true
		}
	}
	tokens := tokenize(pattern)
	for i, tok := range tokens {
		c, n := tok[0], len(tok)
		nextNumeric := i+1 < len(tokens) && isNumericToken(tokens[i+1])
		num := func(f field, minDigits, maxDigits int, signed bool) {
			p.elems = append(p.elems, elem{kind: eNumber, field: f, max: max(minDigits, maxDigits), signed: signed})
		}
		switch c {
		case '\'':
			if n > 1 {
				p.elems = append(p.elems, elem{kind: eLiteral, text: tok[1:]})
			}
		case 'G':
			p.elems = append(p.elems, elem{kind: eText, field: fEra})
		case 'C':
			num(fCenturyOfEra, n, n, false)
		case 'x', 'y', 'Y':
			f := map[byte]field{'x': fWeekyear, 'y': fYear, 'Y': fYearOfEra}[c]
			if n == 2 {
				p.elems = append(p.elems, elem{kind: eTwoDigit, field: f, lenient: !nextNumeric, pivot: now.Year() - 30})
				continue
			}
			maxDigits := 9
			if nextNumeric {
				maxDigits = n
			}
			num(f, n, maxDigits, c != 'Y')
		case 'M':
			if n >= 3 {
				p.elems = append(p.elems, elem{kind: eText, field: fMonth})
			} else {
				num(fMonth, n, 2, false)
			}
		case 'd':
			num(fDayOfMonth, n, 2, false)
		case 'a':
			p.elems = append(p.elems, elem{kind: eText, field: fHalfday})
		case 'h':
			num(fClockhourOfHalfday, n, 2, false)
		case 'H':
			num(fHourOfDay, n, 2, false)
		case 'k':
			num(fClockhourOfDay, n, 2, false)
		case 'K':
			num(fHourOfHalfday, n, 2, false)
		case 'm':
			num(fMinute, n, 2, false)
		case 's':
			num(fSecond, n, 2, false)
		case 'S':
			p.elems = append(p.elems, elem{kind: eFraction, field: fMillisOfSecond, max: n})
		case 'e':
			num(fDayOfWeek, n, 1, false)
		case 'E':
			p.elems = append(p.elems, elem{kind: eText, field: fDayOfWeek})
		case 'D':
			num(fDayOfYear, n, 3, false)
		case 'w':
			num(fWeekOfWeekyear, n, 2, false)
		case 'z':
			p.elems = append(p.elems, elem{kind: eZoneName})
		case 'Z':
			if n <= 2 {
				p.elems = append(p.elems, elem{kind: eOffset, text: "Z"})
			} else {
				p.elems = append(p.elems, elem{kind: eZoneID})
			}
		default:
			return nil, fmt.Errorf("pattern %q: illegal pattern component %q", pattern, tok)
		}
	}
	p.names = map[field]nameTable{}
	for _, e := range p.elems {
		if e.kind == eText {
			p.names[e.field] = loc.names(e.field)
		}
	}
	return p, nil
}

func (p *Parser) needsNames() bool {
	for _, e := range p.elems {
		if e.kind == eText {
			return true
		}
	}
	return false
}

// NeedsNames reports whether a pattern parses month, day, am/pm or era
// names, and so depends on the locale. It reports false for patterns
// that do not compile.
func NeedsNames(pattern string) bool {
	p, err := Compile(pattern, English, time.Time{})
	return err == nil && p.needsNames()
}

// tokenize splits a pattern as Joda's DateTimeFormat.parseToken does: a
// run of one letter, or literal text (quotes removed, ” a quote) marked
// by a leading '.
func tokenize(pattern string) []string {
	var tokens []string
	r := []rune(pattern)
	for i := 0; i < len(r); i++ {
		c := r[i]
		if isLetter(c) {
			j := i
			for j+1 < len(r) && r[j+1] == c {
				j++
			}
			tokens = append(tokens, string(r[i:j+1]))
			i = j
			continue
		}
		buf := []rune{'\''}
		inLiteral := false
		for ; i < len(r); i++ {
			c = r[i]
			if c == '\'' {
				if i+1 < len(r) && r[i+1] == '\'' {
					i++
					buf = append(buf, c)
				} else {
					inLiteral = !inLiteral
				}
			} else if !inLiteral && isLetter(c) {
				i--
				break
			} else {
				buf = append(buf, c)
			}
		}
		tokens = append(tokens, string(buf))
	}
	return tokens
}

func isLetter(c rune) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// isNumericToken is Joda's: does the token parse digits?
func isNumericToken(tok string) bool {
	switch tok[0] {
	case 'c', 'C', 'x', 'y', 'Y', 'd', 'h', 'H', 'm', 's', 'S', 'e', 'D', 'F', 'w', 'W', 'k', 'K':
		return true
	case 'M':
		return len(tok) <= 2
	}
	return false
}
