package joda

import (
	"time"
)

// Parse parses text as Logstash's date filter does with this pattern
// (JodaParser): in zone unless the text names an offset or zone; a
// pattern without a year (no y or Y) takes now's year, except that a
// December date read in January is last year's and a January date read
// in December next year's.
func (p *Parser) Parse(text string, zone *time.Location, now time.Time) (time.Time, error) {
	b := bucket{zone: zone}
	b.fields = b.buf[:0]
	if end := p.match(p.elems, text, 0, &b); end != len(text) {
		return time.Time{}, mismatch(text)
	}
	local, err := b.compute(now.Year())
	if err != nil {
		return time.Time{}, err
	}
	if p.hasYear {
		ms, err := b.instant(local, zone)
		return time.UnixMilli(ms).UTC(), err
	}
	// parseAndGuessYear: with Z in the pattern the parsed offset or zone
	// places the instant, which is then read in zone; without, the local
	// fields are read in zone directly.
	if p.hasZone {
		ms, err := b.instant(local, zone)
		if err != nil {
			return time.Time{}, err
		}
		local = toLocal(ms, zone)
	}
	c := toCivil(local)
	year := now.Year()
	switch nowMonth := now.In(zone).Month(); {
	case c.month == 12 && nowMonth == time.January:
		year--
	case c.month == 1 && nowMonth == time.December:
		year++
	}
	if local, err = setYear(local, year); err != nil {
		return time.Time{}, err
	}
	ms, err := fromLocal(local, zone, false)
	return time.UnixMilli(ms).UTC(), err
}

// instant places local time through the parsed offset, else the parsed
// zone, else zone; a local time in a gap is an error, as in Joda.
func (b *bucket) instant(local int64, zone *time.Location) (int64, error) {
	switch {
	case b.hasOffset:
		return local - b.offset, nil
	case b.zone != nil:
		return fromLocal(local, b.zone, true)
	}
	return fromLocal(local, zone, true)
}

// The ISO 8601 grammar of Joda's ISODateTimeFormat.dateTimeParser:
//
//	datetime       = time | date-opt-time
//	time           = 'T' time-element [offset]
//	date-opt-time  = date-element ['T' [time-element] [offset]]
//	date-element   = yyyy ['-' MM ['-' dd]] | xxxx '-W' ww ['-' e] | yyyy '-' DDD
//	time-element   = HH [minute-element] | [fraction]
//	minute-element = ':' mm [second-element] | [fraction]
//	second-element = ':' ss [fraction]
//	fraction       = ('.' | ',') digit+
//	offset         = 'Z' | (('+' | '-') HH [':' mm [':' ss [('.' | ',') SSS]]])
var isoParser = func() *Parser {
	lit := func(s string) elem { return elem{kind: eLiteral, text: s} }
	num := func(f field, maxDigits int, signed bool) elem {
		return elem{kind: eNumber, field: f, max: maxDigits, signed: signed}
	}
	seq := func(es ...elem) []elem { return es }
	alt := func(alts ...[]elem) elem { return elem{kind: eAlternatives, alts: alts} }
	opt := func(es ...elem) elem { return elem{kind: eOptional, alts: [][]elem{es}} }
	point := alt(seq(lit(".")), seq(lit(",")))
	frac := func(f field) elem { return elem{kind: eFraction, field: f, max: 9} }
	offset := elem{kind: eOffset, text: "Z"}
	timeElement := seq(num(fHourOfDay, 2, false), alt(
		seq(lit(":"), num(fMinute, 2, false), alt(
			seq(lit(":"), num(fSecond, 2, false), opt(point, frac(fMillisOfSecond))),
			seq(point, frac(fMillisOfMinute)),
			nil)),
		seq(point, frac(fMillisOfHour)),
		nil))
	dateElement := alt(
		seq(num(fYear, 9, true), opt(lit("-"), num(fMonth, 2, false), opt(lit("-"), num(fDayOfMonth, 2, false)))),
		seq(num(fWeekyear, 9, true), lit("-W"), num(fWeekOfWeekyear, 2, false), opt(lit("-"), num(fDayOfWeek, 1, false))),
		seq(num(fYear, 9, true), lit("-"), num(fDayOfYear, 3, false)),
	)
	timeOnly := append(append(seq(lit("T")), timeElement...), opt(offset))
	dateOptTime := seq(dateElement, opt(lit("T"), opt(timeElement...), opt(offset)))
	return &Parser{elems: seq(alt(timeOnly, dateOptTime)), locale: English}
}()

// ParseISO8601 parses text with Joda's ISODateTimeFormat.dateTimeParser,
// as LogStash::Timestamp does for strings: a date, a date and time, or a
// time ("T10:30"), with an optional offset; without one, in zone.
func ParseISO8601(text string, zone *time.Location) (time.Time, error) {
	b := bucket{zone: zone}
	b.fields = b.buf[:0]
	if end := isoParser.match(isoParser.elems, text, 0, &b); end != len(text) {
		return time.Time{}, mismatch(text)
	}
	local, err := b.compute(2000) // Joda's default year
	if err != nil {
		return time.Time{}, err
	}
	ms, err := b.instant(local, zone)
	return time.UnixMilli(ms).UTC(), err
}
