package joda

import (
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
)

var now = time.Date(2017, 7, 20, 12, 0, 0, 0, time.UTC)

func TestISO8601(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"2011-04-19T03:44:01.103Z", "2011-04-19T03:44:01.103Z"},
		{"2017-07-19", "2017-07-19T00:00:00Z"},
		{"2017-07", "2017-07-01T00:00:00Z"},
		{"2017-07-19T15", "2017-07-19T15:00:00Z"},
		{"2017-07-19T15:34:57,5+05:30", "2017-07-19T10:04:57.5Z"},
		{"2017-07-19t15:34:57z", "2017-07-19T15:34:57Z"},
		{"2017-07-19T15.5", "2017-07-19T15:30:00Z"},
		{"2017-07-19T15:30.5", "2017-07-19T15:30:30Z"},
		{"2017-W29-3", "2017-07-19T00:00:00Z"},
		{"2017-200", "2017-07-19T00:00:00Z"},
		{"T10:30", "1970-01-01T10:30:00Z"},
		{"2017-07-19T15:34:57.123456789-0800", "2017-07-19T23:34:57.123Z"},
		{"-0044-03-15", "-0044-03-15T00:00:00Z"},
		// Joda reads up to 9 year digits: a basic-format date is a year.
		{"20170719", "20170719-01-01T00:00:00Z"},
	} {
		got, err := ParseISO8601(c.in, time.UTC)
		if err != nil || got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("ParseISO8601(%q) = %v, %v; want %s", c.in, got.Format(time.RFC3339Nano), err, c.want)
		}
	}
	for _, in := range []string{"", "2017-07-19 15:34:57", "2017-13-01", "2017-07-19T25:00", "2017-07-19T15:34:57+24:00", "x", "2017-02-29"} {
		if got, err := ParseISO8601(in, time.UTC); err == nil {
			t.Errorf("ParseISO8601(%q) = %v; want an error", in, got)
		}
	}
}

func TestZone(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		id     string
		offset int // seconds east at now
	}{{"UTC", 0}, {"Europe/Paris", 7200}, {"+05:30", 19800}, {"-08", -28800}, {"+0530", 19800}, {"EST", -18000}, {"Etc/GMT+2", -7200}} {
		loc, err := Zone(c.id)
		if err != nil {
			t.Errorf("Zone(%q): %v", c.id, err)
			continue
		}
		if _, off := now.In(loc).Zone(); off != c.offset {
			t.Errorf("Zone(%q) offset = %d; want %d", c.id, off, c.offset)
		}
	}
	for _, id := range []string{"", "Local", "utc", "europe/paris", "+25:00", "+05:3", "Mars/Olympus"} {
		if _, err := Zone(id); err == nil {
			t.Errorf("Zone(%q) = nil error; want one (Joda's forID refuses it)", id)
		}
	}
}

// TestRoundTrip formats times with the Joda printer logship's sprintf
// uses and parses them back.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	patterns := []string{
		"yyyy-MM-dd HH:mm:ss.SSS", "dd/MMM/yyyy:HH:mm:ss Z", "EEE MMM dd HH:mm:ss.SSS yyyy",
		"yyyy.MM.dd'T'hh:mm:ss.SSS a", "yyyy-DDD HH:mm:ss.SSS", "EEEE, d MMMM yyyy kk:mm:ss.SSS",
	}
	for _, pat := range patterns {
		p, err := Compile(pat, English, now)
		if err != nil {
			t.Fatalf("Compile(%q): %v", pat, err)
		}
		for ms := int64(-5e11); ms < 4e12; ms += 9_876_543_211 {
			want := time.UnixMilli(ms).UTC()
			if !strings.Contains(pat, "S") {
				want = want.Truncate(time.Second)
			}
			text := event.FormatJoda(want, pat)
			got, err := p.Parse(text, time.UTC, now)
			if err != nil || !got.Equal(want) {
				t.Errorf("%q: Parse(%q) = %v, %v; want %v", pat, text, got, err, want)
			}
		}
	}
}

func TestCompileRejectsUnknownLetters(t *testing.T) {
	t.Parallel()
	for _, pat := range []string{"uuuu", "yyyy-MM-dd X", "W", "F"} {
		if _, err := Compile(pat, English, now); err == nil {
			t.Errorf("Compile(%q) = nil error; want Joda's illegal pattern component", pat)
		}
	}
	for _, pat := range []string{"", "'literal only'", "yyyy''MM", "G C Y x y M d a h H k K m s S e E D w z Z ZZ ZZZ"} {
		if _, err := Compile(pat, English, now); err != nil {
			t.Errorf("Compile(%q): %v", pat, err)
		}
	}
}

func FuzzCompileAndParse(f *testing.F) {
	for _, s := range [][2]string{
		{"dd/MMM/yyyy:HH:mm:ss Z", "19/Jul/2017:15:34:57 +0000"},
		{"MMM dd HH:mm:ss", "Dec 31 23:59:59"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZZ", "2017-07-19T15:34:57.123+02:00"},
		{"yy-M-d h:mm a G", "17-7-9 3:04 PM AD"},
		{"xxxx-'W'ww-e ZZZ", "2017-W29-3 Europe/Paris"},
		{"C Y D z", "20 17 200 PST"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		p, err := Compile(pattern, English, now)
		if err != nil {
			return
		}
		got, err := p.Parse(text, time.UTC, now)
		if err == nil && got.Location() != time.UTC {
			t.Errorf("Parse(%q, %q) = %v not in UTC", pattern, text, got)
		}
	})
}

func FuzzISO8601(f *testing.F) {
	for _, s := range []string{"2011-04-19T03:44:01.103Z", "2017-W29-3", "2017-200", "T10:30+05:30", "2017-07-19T15.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseISO8601(text, time.UTC)
		if err != nil {
			return
		}
		// What parses must also parse with a zone, to the same instant
		// when the text has an offset.
		if _, err := ParseISO8601(text, time.FixedZone("x", 3600)); err != nil {
			t.Errorf("ParseISO8601(%q) = %v in UTC but fails at +01:00: %v", text, got, err)
		}
	})
}

func TestCivilMatchesTime(t *testing.T) {
	t.Parallel()
	for days := int64(-800_000); days < 800_000; days += 37 {
		ms := days*msPerDay + 12_345_678
		want := time.UnixMilli(ms).UTC()
		c := toCivil(ms)
		if c.year != want.Year() || c.month != int(want.Month()) || c.day != want.Day() || c.millis() != ms {
			t.Fatalf("toCivil(%d) = %+v (back %d); want %v", ms, c, c.millis(), want)
		}
	}
}
