package date

import (
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

// build makes a filter whose clock reads now.
func build(t *testing.T, block string, now time.Time) *Filter {
	t.Helper()
	f := filtertest.Build(t, block, New)
	f.now = func() time.Time { return now }
	return f
}

var july2017 = time.Date(2017, 7, 20, 12, 0, 0, 0, time.UTC)

func TestDocsExamples(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, block string
		value       event.Value
		now         time.Time
		want        string // @timestamp as JSON, or "fail"
	}{
		{"syslog date without a year takes this year (the docs' Apr 17 09:32:01)",
			`date { match => ["logdate", "MMM dd HH:mm:ss"] }`, event.String("Apr 17 09:32:01"), july2017, `"2017-04-17T09:32:01.000Z"`},
		{"the docs' multi-format match: first format",
			`date { match => [ "logdate", "MMM dd yyyy HH:mm:ss", "MMM  d yyyy HH:mm:ss", "ISO8601" ] }`, event.String("Aug 13 2010 00:03:44"), july2017, `"2010-08-13T00:03:44.000Z"`},
		{"the docs' multi-format match: padded day",
			`date { match => [ "logdate", "MMM dd yyyy HH:mm:ss", "MMM  d yyyy HH:mm:ss", "ISO8601" ] }`, event.String("Aug  3 2010 00:03:44"), july2017, `"2010-08-03T00:03:44.000Z"`},
		{"the docs' multi-format match: ISO8601",
			`date { match => [ "logdate", "MMM dd yyyy HH:mm:ss", "MMM  d yyyy HH:mm:ss", "ISO8601" ] }`, event.String("2011-04-19T03:44:01.103Z"), july2017, `"2011-04-19T03:44:01.103Z"`},
		{"the docs' UNIX with decimals", `date { match => ["logdate", "UNIX"] }`, event.String("1326149001.132"), july2017, `"2012-01-09T22:43:21.132Z"`},
		{"the docs' UNIX integer", `date { match => ["logdate", "UNIX"] }`, event.Int(1326149001), july2017, `"2012-01-09T22:43:21.000Z"`},
		{"the docs' UNIX float", `date { match => ["logdate", "UNIX"] }`, event.Float(1326149001.132), july2017, `"2012-01-09T22:43:21.132Z"`},
		{"the docs' UNIX_MS", `date { match => ["logdate", "UNIX_MS"] }`, event.Int(1366125117000), july2017, `"2013-04-16T15:11:57.000Z"`},
		{"UNIX_MS string", `date { match => ["logdate", "UNIX_MS"] }`, event.String("1366125117000"), july2017, `"2013-04-16T15:11:57.000Z"`},
		{"TAI64N (Logstash's spec value)", `date { match => ["logdate", "TAI64N"] }`, event.String("@4000000050d506482dbdf024"), july2017, `"2012-12-22T01:00:46.767Z"`},
		{"the docs' literal T", `date { match => ["logdate", "yyyy-MM-dd'T'HH:mm:ss"] }`, event.String("2015-01-01T01:12:23"), july2017, `"2015-01-01T01:12:23.000Z"`},
		{"Apache access log with an offset", `date { match => ["timestamp", "dd/MMM/yyyy:HH:mm:ss Z"] }`, event.String("10/Oct/2000:13:55:36 -0700"), july2017, `"2000-10-10T20:55:36.000Z"`},
		{"timezone applies without an offset", `date { match => ["logdate", "yyyy-MM-dd HH:mm:ss"] timezone => "Europe/Paris" }`, event.String("2017-07-19 15:34:57"), july2017, `"2017-07-19T13:34:57.000Z"`},
		{"an offset in the text wins over timezone", `date { match => ["logdate", "yyyy-MM-dd HH:mm:ssZZ"] timezone => "Europe/Paris" }`, event.String("2017-07-19 15:34:57+00:00"), july2017, `"2017-07-19T15:34:57.000Z"`},
		{"an offset as timezone", `date { match => ["logdate", "yyyy-MM-dd HH:mm:ss"] timezone => "-05:00" }`, event.String("2017-07-19 15:34:57"), july2017, `"2017-07-19T20:34:57.000Z"`},
		{"fractions are truncated to ms", `date { match => ["logdate", "yyyy-MM-dd HH:mm:ss.SSSSSS"] }`, event.String("2017-07-19 15:34:57.123999"), july2017, `"2017-07-19T15:34:57.123Z"`},
		{"ISO8601 with a comma fraction and a space", `date { match => ["logdate", "ISO8601"] }`, event.String("2017-07-19 15:34:57,123"), july2017, `"2017-07-19T15:34:57.123Z"`},
		{"ISO8601 with nanoseconds", `date { match => ["logdate", "ISO8601"] }`, event.String("2017-07-19T15:34:57.123456789+02:00"), july2017, `"2017-07-19T13:34:57.123Z"`},
		{"12-hour clock", `date { match => ["logdate", "MM/dd/yy hh:mm:ss a"] }`, event.String("07/19/17 03:34:57 PM"), july2017, `"2017-07-19T15:34:57.000Z"`},
		{"12 AM is midnight", `date { match => ["logdate", "MM/dd/yy hh:mm a"] }`, event.String("07/19/17 12:05 AM"), july2017, `"2017-07-19T00:05:00.000Z"`},
		{"full month and day names", `date { match => ["logdate", "EEEE, MMMM d, yyyy"] }`, event.String("Wednesday, July 19, 2017"), july2017, `"2017-07-19T00:00:00.000Z"`},
		{"names in lower or upper case", `date { match => ["logdate", "EEE MMM dd yyyy"] }`, event.String("WED jul 19 2017"), july2017, `"2017-07-19T00:00:00.000Z"`},
		{"French names", `date { match => ["logdate", "dd MMMM yyyy"] locale => "fr" }`, event.String("19 juillet 2017"), july2017, `"2017-07-19T00:00:00.000Z"`},
		{"German short names", `date { match => ["logdate", "dd. MMM yyyy"] locale => "de-DE" }`, event.String("19. Mär 2017"), july2017, `"2017-03-19T00:00:00.000Z"`},
		{"zone ids with ZZZ", `date { match => ["logdate", "yyyy-MM-dd HH:mm ZZZ"] }`, event.String("2017-07-19 15:34 America/New_York"), july2017, `"2017-07-19T19:34:00.000Z"`},
		{"zone names with z", `date { match => ["logdate", "yyyy-MM-dd HH:mm z"] }`, event.String("2017-01-19 15:34 PST"), july2017, `"2017-01-19T23:34:00.000Z"`},
		{"a December date read in January is last year's", `date { match => ["logdate", "MMM dd HH:mm:ss"] }`, event.String("Dec 31 23:59:59"), time.Date(2018, 1, 1, 0, 0, 5, 0, time.UTC), `"2017-12-31T23:59:59.000Z"`},
		{"a January date read in December is next year's", `date { match => ["logdate", "MMM dd HH:mm:ss"] }`, event.String("Jan 01 00:00:01"), time.Date(2017, 12, 31, 23, 59, 0, 0, time.UTC), `"2018-01-01T00:00:01.000Z"`},
		{"a time alone is on January 1st of this year", `date { match => ["logdate", "HH:mm:ss"] }`, event.String("10:30:00"), july2017, `"2017-01-01T10:30:00.000Z"`},
		{"Feb 30 fails", `date { match => ["logdate", "yyyy-MM-dd"] }`, event.String("2017-02-30"), july2017, "fail"},
		{"hour 24 fails with H", `date { match => ["logdate", "yyyy-MM-dd HH:mm"] }`, event.String("2017-02-03 24:00"), july2017, "fail"},
		{"trailing text fails", `date { match => ["logdate", "yyyy-MM-dd"] }`, event.String("2017-02-03 junk"), july2017, "fail"},
		{"a local time in a DST gap fails", `date { match => ["logdate", "yyyy-MM-dd HH:mm"] timezone => "Europe/Paris" }`, event.String("2017-03-26 02:30"), july2017, "fail"},
		{"an overlap takes the earlier instant", `date { match => ["logdate", "yyyy-MM-dd HH:mm"] timezone => "Europe/Paris" }`, event.String("2017-10-29 02:30"), july2017, `"2017-10-29T00:30:00.000Z"`},
		{"UNIX beyond 2^31-1 fails", `date { match => ["logdate", "UNIX"] }`, event.Int(1 << 31), july2017, "fail"},
		{"text patterns refuse numbers", `date { match => ["logdate", "yyyy"] }`, event.Int(2017), july2017, "fail"},
		{"two-digit years pivot around now-30", `date { match => ["logdate", "dd/MM/yy"] }`, event.String("19/07/45"), july2017, `"2045-07-19T00:00:00.000Z"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := build(t, c.block, c.now)
			src := c.block[strings.Index(c.block, `["`)+2:]
			src = src[:strings.Index(src, `"`)]
			if strings.Contains(c.block, `[ "logdate"`) {
				src = "logdate"
			}
			e := filtertest.Event(src, c.value)
			res := f.Apply(e)
			if c.want == "fail" {
				if res != plugin.NoMatch || !e.HasTag("_dateparsefailure") {
					t.Errorf("Apply(%s) = %v, event %s; want NoMatch and _dateparsefailure", c.value.Text(), res, filtertest.Show(e))
				}
				return
			}
			if res != plugin.Match {
				t.Fatalf("Apply(%s) = %v, event %s; want Match", c.value.Text(), res, filtertest.Show(e))
			}
			filtertest.Check(t, e, map[string]string{"@timestamp": c.want, "tags": filtertest.Absent})
		})
	}
}

func TestTargetTimezoneFromEventAndTags(t *testing.T) {
	t.Parallel()
	f := build(t, `date { match => ["[log][when]", "yyyy-MM-dd HH:mm"] target => "[log][at]" timezone => "%{tz}" tag_on_failure => ["bad_date"] }`, july2017)
	e := filtertest.Event("[log][when]", "2017-07-19 15:34", "tz", "Asia/Tokyo")
	if got := f.Apply(e); got != plugin.Match {
		t.Fatalf("Apply = %v; want Match (%s)", got, filtertest.Show(e))
	}
	filtertest.Check(t, e, map[string]string{"[log][at]": `"2017-07-19T06:34:00.000Z"`, "@timestamp": `"2017-07-19T15:34:57.884Z"`})

	bad := filtertest.Event("[log][when]", "2017-07-19 15:34", "tz", "Mars/Olympus")
	if got := f.Apply(bad); got != plugin.NoMatch || !bad.HasTag("bad_date") || bad.HasTag("_dateparsefailure") {
		t.Errorf("unknown zone: Apply = %v, event %s; want NoMatch tagged bad_date only", got, filtertest.Show(bad))
	}
	missing := filtertest.Event("other", "x")
	if got := f.Apply(missing); got != plugin.NoMatch || missing.HasTag("bad_date") {
		t.Errorf("missing source: Apply = %v, event %s; want NoMatch, untagged", got, filtertest.Show(missing))
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ block, want string }{
		{`date { }`, `"match"`},
		{`date { match => ["logdate"] }`, "at least one date format"},
		{`date { match => ["logdate", "yyyy-MM-dd uuu"] }`, "illegal pattern component"},
		{`date { match => ["logdate", "ISO8601"] timezone => "Mars/Olympus" }`, "not recognised"},
		{`date { match => ["logdate", "ISO8601"] timezone => "+25:00" }`, "timezone"},
		{`date { match => ["logdate", "dd MMM yyyy"] locale => "ja" }`, "month and day names are known for"},
		{`date { match => ["logdate", "ISO8601"] target => "[a" }`, "target"},
		{`date { match => ["logdate", "ISO8601"] tag_on_failure => { "a" => "b" } }`, "tag_on_failure"},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
	// A numeric pattern works in any locale, as in Java.
	if err := filtertest.BuildErr(t, `date { match => ["logdate", "yyyy-MM-dd"] locale => "ja-JP" }`, New); err != nil {
		t.Errorf("numeric pattern with locale ja-JP: %v; want no error", err)
	}
}

// BenchmarkApacheTimestamp measures the date filter on the Apache
// access-log timestamp the bench-logship pipeline parses.
func BenchmarkApacheTimestamp(b *testing.B) {
	o := filtertest.Options(b, `date { match => ["timestamp", "dd/MMM/yyyy:HH:mm:ss Z"] }`)
	f := New(o)
	if err := o.Err(); err != nil {
		b.Fatal(err)
	}
	e := filtertest.Event("timestamp", "10/Oct/2000:13:55:36 -0700")
	b.ReportAllocs()
	for b.Loop() {
		if f.Apply(e) != plugin.Match {
			b.Fatal("no match")
		}
	}
}
