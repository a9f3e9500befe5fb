// Package date is Logstash's date filter (logstash-filter-date 3.1.9, as
// in Logstash 5.6): it parses a field with Joda-Time patterns, ISO8601,
// UNIX, UNIX_MS or TAI64N and stores the time in @timestamp or a target.
package date

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/date/joda"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one date block.
type Filter struct {
	source       event.Ref
	target       event.Ref
	parsers      []parser
	tagOnFailure []string
	zone         *time.Location // the timezone option, or UTC
	zoneFormat   string         // a timezone with %{…}: resolved per event
	zones        *joda.Zones
	now          func() time.Time
}

// parser parses a source value into Unix milliseconds.
type parser func(v event.Value, zone *time.Location, now time.Time) (int64, error)

// New reads the date options from o: match (a field, then one or more
// formats; required), target (@timestamp), timezone (an IANA id or an
// offset; %{field} allowed), locale (a BCP 47 tag), tag_on_failure
// (["_dateparsefailure"]).
func New(o *plugin.Options) *Filter {
	f := &Filter{zone: time.UTC, zones: joda.NewZones(), now: time.Now}
	match := o.StringList("match", nil)
	target := o.String("target", "@timestamp")
	f.tagOnFailure = o.StringList("tag_on_failure", []string{"_dateparsefailure"})
	tz, hasTZ := o.String("timezone", ""), o.Has("timezone")
	localeTag := o.String("locale", "")
	if len(match) < 2 {
		o.Errorf("match", "want a field name and at least one date format, got %q", match)
		return f
	}
	var err error
	if f.source, err = event.ParseRef(match[0]); err != nil {
		o.Errorf("match", "%v", err)
	}
	if f.target, err = event.ParseRef(target); err != nil {
		o.Errorf("target", "%v", err)
	}
	switch {
	case strings.Contains(tz, "%{"):
		f.zoneFormat = tz
	case hasTZ:
		if f.zone, err = joda.Zone(tz); err != nil {
			o.Errorf("timezone", "%v", err)
			f.zone = time.UTC
		}
	}
	locale := joda.English
	if localeTag != "" {
		if strings.Contains(localeTag, "_") {
			o.Warn("locale", "Logstash reads locales as BCP 47 tags: %q is read as %q", localeTag, strings.ReplaceAll(localeTag, "_", "-"))
		}
		if l, err := joda.LookupLocale(localeTag); err == nil {
			locale = l
		} else if patternsNeedNames(match[1:]) {
			o.Errorf("locale", "%v", err)
		}
	}
	now := time.Now()
	for _, format := range match[1:] {
		p, err := newParser(format, locale, now)
		if err != nil {
			o.Errorf("match", "%v", err)
			continue
		}
		f.parsers = append(f.parsers, p)
	}
	return f
}

func patternsNeedNames(formats []string) bool {
	for _, p := range formats {
		if joda.NeedsNames(p) {
			return true
		}
	}
	return false
}

// isoPatterns are what Logstash's ISO8601 tries after Joda's ISO 8601
// parser (CasualISO8601Parser).
var isoPatterns = []string{
	"yyyy-MM-dd HH:mm:ss.SSSZ", "yyyy-MM-dd HH:mm:ss.SSS",
	"yyyy-MM-dd HH:mm:ss,SSSZ", "yyyy-MM-dd HH:mm:ss,SSS",
}

func newParser(format string, locale *joda.Locale, now time.Time) (parser, error) {
	switch format {
	case "ISO8601":
		var casual []*joda.Parser
		for _, p := range isoPatterns {
			jp, err := joda.Compile(p, joda.English, now)
			if err != nil {
				return nil, err
			}
			casual = append(casual, jp)
		}
		return func(v event.Value, zone *time.Location, now time.Time) (int64, error) {
			if v.Kind() != event.StringKind {
				return 0, errNotString
			}
			t, err := joda.ParseISO8601(v.Str(), zone)
			for _, p := range casual {
				if err == nil {
					break
				}
				t, err = p.Parse(v.Str(), zone, now)
			}
			return t.UnixMilli(), err
		}, nil
	case "UNIX":
		return parseUnix, nil
	case "UNIX_MS":
		return parseUnixMS, nil
	case "TAI64N":
		return parseTAI64N, nil
	}
	jp, err := joda.Compile(format, locale, now)
	if err != nil {
		return nil, err
	}
	return func(v event.Value, zone *time.Location, now time.Time) (int64, error) {
		if v.Kind() != event.StringKind {
			return 0, errNotString
		}
		t, err := jp.Parse(v.Str(), zone, now)
		return t.UnixMilli(), err
	}, nil
}

var errNotString = fmt.Errorf("the value is not a string")

// maxEpochSeconds is Logstash's limit for UNIX: Integer.MAX_VALUE.
const maxEpochSeconds = math.MaxInt32

// parseUnix is Logstash's UnixEpochParser: seconds, with at most three
// decimals read (more are ignored), up to 2³¹−1.
func parseUnix(v event.Value, _ *time.Location, _ time.Time) (int64, error) {
	switch v.Kind() {
	case event.IntKind:
		if v.Int() > maxEpochSeconds {
			return 0, errTooLarge
		}
		return v.Int() * 1000, nil
	case event.FloatKind:
		if javaLong(v.Float()) > maxEpochSeconds {
			return 0, errTooLarge
		}
		return javaLong(v.Float() * 1000), nil
	case event.StringKind:
	default:
		return 0, errNotNumber
	}
	s := v.Str()
	secText, frac, hasDot := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(secText, 10, 64)
	if err != nil {
		return 0, err
	}
	if secs > maxEpochSeconds {
		return 0, errTooLarge
	}
	ms := secs * 1000
	if !hasDot {
		return ms, nil
	}
	n := min(3, len(frac))
	sub, err := strconv.ParseInt(frac[:n], 10, 64)
	if err != nil {
		return 0, err
	}
	return ms + sub*[]int64{0, 100, 10, 1}[n], nil
}

// parseUnixMS is Logstash's UnixMillisEpochParser.
func parseUnixMS(v event.Value, _ *time.Location, _ time.Time) (int64, error) {
	switch v.Kind() {
	case event.IntKind:
		return v.Int(), nil
	case event.FloatKind:
		// Logstash 5 holds JSON decimals as BigDecimal, for which it
		// checks this limit.
		if ms := javaLong(v.Float()); ms <= maxEpochSeconds*1000 {
			return ms, nil
		}
		return 0, errTooLarge
	case event.StringKind:
		return strconv.ParseInt(v.Str(), 10, 64)
	}
	return 0, errNotNumber
}

// parseTAI64N is Logstash's TAI64NParser: an optional '@', 16 hex digits
// of seconds since 2⁶² (minus 10 leap seconds), 8 of nanoseconds; what
// follows is ignored.
func parseTAI64N(v event.Value, _ *time.Location, _ time.Time) (int64, error) {
	if v.Kind() != event.StringKind {
		return 0, errNotString
	}
	s := strings.TrimPrefix(v.Str(), "@")
	if len(s) < 24 {
		return 0, fmt.Errorf("TAI64N %q: want 24 hex digits", v.Str())
	}
	secs, err := strconv.ParseInt(s[:16], 16, 64)
	if err != nil {
		return 0, err
	}
	nanos, err := strconv.ParseInt(s[16:24], 16, 32)
	if err != nil {
		return 0, err
	}
	secs = secs&(1<<62-1) - 10
	return secs*1000 + nanos/1_000_000, nil
}

var (
	errTooLarge  = fmt.Errorf("value larger than the UNIX epoch maximum seconds")
	errNotNumber = fmt.Errorf("the value is neither a number nor a string")
)

// javaLong is Java's (long) cast: toward zero, NaN 0, saturating.
func javaLong(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// Apply parses the source field with each format in turn. The first
// that succeeds sets the target and Apply reports a match; when none
// does, the event gets the failure tags. A missing or null source does
// nothing.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	v, ok := e.Lookup(f.source)
	if !ok || v.Kind() == event.Nil {
		return plugin.NoMatch
	}
	zone := f.zone
	var zoneErr error
	if f.zoneFormat != "" {
		zone, zoneErr = f.zones.Lookup(e.Sprintf(f.zoneFormat))
	}
	now := f.now()
	for _, p := range f.parsers {
		if zoneErr != nil {
			break
		}
		ms, err := p(v, zone, now)
		if err != nil {
			continue
		}
		t := event.Time(time.UnixMilli(ms))
		if len(f.target) == 1 && f.target[0] == "@timestamp" {
			e.Set("@timestamp", t)
		} else {
			e.Put(f.target, t)
		}
		return plugin.Match
	}
	for _, t := range f.tagOnFailure {
		e.AddTag(t)
	}
	return plugin.NoMatch
}
