package joda

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

const (
	msPerDay  = 86_400_000
	minYear   = -292_000_000
	maxYear   = 292_000_000
	msPerWeek = 7 * msPerDay
)

// compute turns the saved fields into local milliseconds (UTC-based),
// as Joda's DateTimeParserBucket.computeMillis(true).
func (b *bucket) compute(defaultYear int) (int64, error) {
	fs := b.fields
	sortFields(fs)
	if len(fs) > 0 {
		if d := units[fs[0].f].duration; d >= uDays && d <= uMonths {
			fs = append([]saved{{fYear, defaultYear}}, fs...)
			sortFields(fs)
		}
	}
	var ms int64
	var err error
	for _, s := range fs {
		if ms, err = set(ms, s.f, s.v); err != nil {
			return 0, err
		}
		ms = floor(ms, s.f)
	}
	for i, s := range fs {
		if ms, err = set(ms, s.f, s.v); err != nil {
			return 0, err
		}
		if i == len(fs)-1 {
			ms = floor(ms, s.f)
		}
	}
	return ms, nil
}

// sortFields orders fields as Joda: largest range unit first, then
// largest duration unit; stable.
func sortFields(fs []saved) {
	slices.SortStableFunc(fs, func(a, b saved) int {
		if c := cmp.Compare(units[b.f].rng, units[a.f].rng); c != 0 {
			return c
		}
		return cmp.Compare(units[b.f].duration, units[a.f].duration)
	})
}

type civil struct {
	year, month, day int
	msOfDay          int64
}

// toCivil splits local milliseconds into a proleptic Gregorian date and
// the time of day (Howard Hinnant's civil_from_days).
func toCivil(ms int64) civil {
	days := floorDiv(ms, msPerDay)
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return civil{int(y), int(m), int(d), ms - days*msPerDay}
}

// millis is toCivil's inverse for a valid date (days_from_civil).
func (c civil) millis() int64 {
	y, m, d := int64(c.year), int64(c.month), int64(c.day)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return (era*146097+doe-719468)*msPerDay + c.msOfDay
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) } // also for y <= 0

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysInMonth(y, m int) int {
	if m == 2 && isLeap(y) {
		return 29
	}
	return monthDays[m]
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

func dayOfYear(c civil) int {
	return int((civil{c.year, c.month, c.day, 0}.millis()-civil{c.year, 1, 1, 0}.millis())/msPerDay) + 1
}

// isoWeek returns the ISO weekyear, week and day of week (1 = Monday).
func isoWeek(ms int64) (weekyear, week, dow int) {
	t := time.UnixMilli(ms).UTC()
	weekyear, week = t.ISOWeek()
	return weekyear, week, (int(t.Weekday())+6)%7 + 1
}

// week1Monday returns the day (ms) starting week 1 of an ISO weekyear.
func week1Monday(weekyear int) int64 {
	jan4 := civil{weekyear, 1, 4, 0}.millis()
	_, _, dow := isoWeek(jan4)
	return jan4 - int64(dow-1)*msPerDay
}

func weeksInWeekyear(weekyear int) int {
	return int((week1Monday(weekyear+1) - week1Monday(weekyear)) / msPerWeek)
}

func rangeErr(f field, v, lo, hi int) error {
	return fmt.Errorf("value %d for %s must be in the range [%d,%d]", v, fieldNames[f], lo, hi)
}

var fieldNames = [...]string{
	fEra: "era", fCenturyOfEra: "centuryOfEra", fYearOfEra: "yearOfEra", fYear: "year",
	fWeekyear: "weekyear", fWeekOfWeekyear: "weekOfWeekyear", fMonth: "monthOfYear",
	fDayOfYear: "dayOfYear", fDayOfMonth: "dayOfMonth", fDayOfWeek: "dayOfWeek",
	fHalfday: "halfdayOfDay", fHourOfHalfday: "hourOfHalfday", fClockhourOfHalfday: "clockhourOfHalfday",
	fHourOfDay: "hourOfDay", fClockhourOfDay: "clockhourOfDay", fMinute: "minuteOfHour",
	fSecond: "secondOfMinute", fMillisOfSecond: "millisOfSecond", fMillisOfMinute: "millisOfMinute",
	fMillisOfHour: "millisOfHour",
}

// setYear is Joda's BasicChronology.setYear: the day of the year is
// kept, moved by one across Feb 29 when leapness differs.
func setYear(ms int64, y int) (int64, error) {
	if y < minYear || y > maxYear {
		return 0, rangeErr(fYear, y, minYear, maxYear)
	}
	c := toCivil(ms)
	doy := dayOfYear(c)
	if doy > 31+28 {
		if isLeap(c.year) && !isLeap(y) {
			doy--
		} else if !isLeap(c.year) && isLeap(y) {
			doy++
		}
	}
	return civil{y, 1, 1, c.msOfDay}.millis() + int64(doy-1)*msPerDay, nil
}

// set sets field f of local time ms to v, checking v's range as Joda's
// ISO chronology does.
func set(ms int64, f field, v int) (int64, error) {
	c := toCivil(ms)
	hour := int(c.msOfDay / 3_600_000)
	within := func(lo, hi int) error {
		if v < lo || v > hi {
			return rangeErr(f, v, lo, hi)
		}
		return nil
	}
	withHour := func(h int) int64 { return ms + int64(h-hour)*3_600_000 }
	switch f {
	case fEra:
		if err := within(0, 1); err != nil {
			return 0, err
		}
		if (c.year > 0) != (v == 1) {
			return setYear(ms, 1-c.year)
		}
		return ms, nil
	case fYearOfEra:
		if err := within(1, maxYear); err != nil {
			return 0, err
		}
		if c.year <= 0 {
			return setYear(ms, 1-v)
		}
		return setYear(ms, v)
	case fCenturyOfEra:
		if err := within(0, maxYear/100); err != nil {
			return 0, err
		}
		yoe := c.year
		if yoe <= 0 {
			yoe = 1 - yoe
		}
		return set(ms, fYearOfEra, v*100+yoe%100)
	case fYear:
		return setYear(ms, v)
	case fWeekyear:
		if err := within(minYear, maxYear); err != nil {
			return 0, err
		}
		wy, week, dow := isoWeek(ms)
		if wy == v {
			return ms, nil
		}
		week = min(week, weeksInWeekyear(v), weeksInWeekyear(wy))
		return week1Monday(v) + int64(week-1)*msPerWeek + int64(dow-1)*msPerDay + c.msOfDay, nil
	case fWeekOfWeekyear:
		wy, week, _ := isoWeek(ms)
		if err := within(1, weeksInWeekyear(wy)); err != nil {
			return 0, err
		}
		return ms + int64(v-week)*msPerWeek, nil
	case fMonth:
		if err := within(1, 12); err != nil {
			return 0, err
		}
		return civil{c.year, v, min(c.day, daysInMonth(c.year, v)), c.msOfDay}.millis(), nil
	case fDayOfMonth:
		if err := within(1, daysInMonth(c.year, c.month)); err != nil {
			return 0, err
		}
		return civil{c.year, c.month, v, c.msOfDay}.millis(), nil
	case fDayOfYear:
		if err := within(1, daysInYear(c.year)); err != nil {
			return 0, err
		}
		return ms + int64(v-dayOfYear(c))*msPerDay, nil
	case fDayOfWeek:
		if err := within(1, 7); err != nil {
			return 0, err
		}
		_, _, dow := isoWeek(ms)
		return ms + int64(v-dow)*msPerDay, nil
	case fHalfday:
		if err := within(0, 1); err != nil {
			return 0, err
		}
		return withHour(hour%12 + 12*v), nil
	case fHourOfHalfday:
		if err := within(0, 11); err != nil {
			return 0, err
		}
		return withHour(hour/12*12 + v), nil
	case fClockhourOfHalfday:
		if err := within(1, 12); err != nil {
			return 0, err
		}
		return withHour(hour/12*12 + v%12), nil
	case fHourOfDay:
		if err := within(0, 23); err != nil {
			return 0, err
		}
		return withHour(v), nil
	case fClockhourOfDay:
		if err := within(1, 24); err != nil {
			return 0, err
		}
		return withHour(v % 24), nil
	case fMinute:
		if err := within(0, 59); err != nil {
			return 0, err
		}
		return ms + int64(v-int(c.msOfDay/60_000%60))*60_000, nil
	case fSecond:
		if err := within(0, 59); err != nil {
			return 0, err
		}
		return ms + int64(v-int(c.msOfDay/1000%60))*1000, nil
	case fMillisOfSecond:
		if err := within(0, 999); err != nil {
			return 0, err
		}
		return ms + int64(v-int(c.msOfDay%1000)), nil
	case fMillisOfMinute:
		if err := within(0, 59_999); err != nil {
			return 0, err
		}
		return ms + int64(v-int(c.msOfDay%60_000)), nil
	case fMillisOfHour:
		if err := within(0, 3_599_999); err != nil {
			return 0, err
		}
		return ms + int64(v-int(c.msOfDay%3_600_000)), nil
	}
	return ms, nil
}

// floor rounds ms down to the unit of f's duration.
func floor(ms int64, f field) int64 {
	c := toCivil(ms)
	switch units[f].duration {
	case uNone: // era: the start of year 1 (AD) or of year 0 (BC)
		if c.year > 0 {
			return civil{1, 1, 1, 0}.millis()
		}
		return civil{0, 1, 1, 0}.millis()
	case uCenturies:
		return civil{c.year - ((c.year%100)+100)%100, 1, 1, 0}.millis()
	case uYears:
		if f == fWeekyear {
			wy, _, _ := isoWeek(ms)
			return week1Monday(wy)
		}
		return civil{c.year, 1, 1, 0}.millis()
	case uMonths:
		return civil{c.year, c.month, 1, 0}.millis()
	case uWeeks:
		_, _, dow := isoWeek(ms)
		return ms - c.msOfDay - int64(dow-1)*msPerDay
	case uDays:
		return ms - c.msOfDay
	case uHalfdays:
		return ms - c.msOfDay%(12*3_600_000)
	case uHours:
		return ms - c.msOfDay%3_600_000
	case uMinutes:
		return ms - c.msOfDay%60_000
	case uSeconds:
		return ms - c.msOfDay%1000
	}
	return ms
}

// offsetAt is zone's offset, in ms, at instant ms.
func offsetAt(loc *time.Location, ms int64) int64 {
	_, off := time.UnixMilli(ms).In(loc).Zone()
	return int64(off) * 1000
}

// fromLocal converts local milliseconds in loc to an instant as Joda
// does: in an overlap the earlier instant; a local time in a gap is an
// error when strict, else moved forward by the gap.
func fromLocal(local int64, loc *time.Location, strict bool) (int64, error) {
	if loc == time.UTC {
		return local, nil
	}
	var valid []int64
	for _, probe := range []int64{local - 2*msPerDay, local, local + 2*msPerDay} {
		o := offsetAt(loc, probe)
		if offsetAt(loc, local-o) == o && !slices.Contains(valid, o) {
			valid = append(valid, o)
		}
	}
	if len(valid) > 0 {
		return local - slices.Max(valid), nil
	}
	if strict {
		return 0, fmt.Errorf("illegal instant due to time zone offset transition (%s)", loc)
	}
	return local - offsetAt(loc, local-2*msPerDay), nil
}

// toLocal is the local time of instant ms in loc.
func toLocal(ms int64, loc *time.Location) int64 { return ms + offsetAt(loc, ms) }
