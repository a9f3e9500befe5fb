// Package filtertest holds what the filter packages' tests share: a
// filter block parsed from config text, and events built and shown
// compactly.
package filtertest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

// Options parses `filter { block }` and returns the options of its one
// plugin, as cmd/logship would give them to the filter's constructor.
func Options(tb testing.TB, block string) *plugin.Options {
	tb.Helper()
	return plugintest.Options(tb, config(block))
}

// config is block in a filter section, on its own line.
func config(block string) string { return "filter {\n" + block + "\n}" }

// Build parses block and builds its filter with newFilter, failing the
// test on any option error.
func Build[F any](tb testing.TB, block string, newFilter func(*plugin.Options) F) F {
	tb.Helper()
	return plugintest.Build(tb, config(block), newFilter)
}

// BuildErr parses block, builds its filter and returns the options'
// error, which the caller expects to be non-nil.
func BuildErr[F any](tb testing.TB, block string, newFilter func(*plugin.Options) F) error {
	tb.Helper()
	return plugintest.BuildErr(tb, config(block), newFilter)
}

// Refused checks that newFilter refuses block with an error at
// test.conf:line:col that contains want.
func Refused[F any](tb testing.TB, block string, newFilter func(*plugin.Options) F, want string) {
	tb.Helper()
	plugintest.CheckErr(tb, block, BuildErr(tb, block, newFilter), want)
}

// Filter is what every filter package's *Filter is.
type Filter interface {
	Apply(e *event.Event) plugin.Result
}

// Example is an event through a filter: its config, the event, what
// Apply returns and fields after (field reference → JSON, or Absent).
type Example struct {
	Name   string
	Config string
	Event  *event.Event
	Result plugin.Result
	Want   map[string]string
}

// Run runs each example, as a subtest, through the filter newFilter
// builds from its config.
func Run[F Filter](t *testing.T, newFilter func(*plugin.Options) F, examples []Example) {
	t.Helper()
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			f := Build(t, ex.Config, newFilter)
			before := Show(ex.Event)
			if got := f.Apply(ex.Event); got != ex.Result {
				t.Errorf("Apply(%s) = %v; want %v\nevent after: %s", before, got, ex.Result, Show(ex.Event))
			}
			Check(t, ex.Event, ex.Want)
		})
	}
}

// Time is the @timestamp of the events Event builds.
var Time = time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)

// Event returns an event with @timestamp and @version, then fields
// given as key, value pairs (a string, or an event.Value).
func Event(kv ...any) *event.Event {
	e := &event.Event{Fields: []event.Field{
		{Key: "@timestamp", Value: event.Time(Time)},
		{Key: "@version", Value: event.String("1")},
	}}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			e.Put(event.MustRef(k), event.String(v))
		case event.Value:
			e.Put(event.MustRef(k), v)
		default:
			panic("filtertest.Event: value of " + k + " is neither a string nor an event.Value")
		}
	}
	return e
}

// Absent is what JSON returns for a field the event does not have.
const Absent = "<absent>"

// JSON returns the value of field (a field reference) as JSON, or Absent.
func JSON(e *event.Event, field string) string {
	v, ok := e.Lookup(event.MustRef(field))
	if !ok {
		return Absent
	}
	one := event.Event{Fields: []event.Field{{Key: "v", Value: v}}}
	s := string(event.JSON{}.Append(nil, &one))
	return s[len(`{"v":`) : len(s)-1]
}

// Check compares fields of e (field reference → JSON, or Absent) with
// want, reporting each difference with the whole event.
func Check(tb testing.TB, e *event.Event, want map[string]string) {
	tb.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if got := JSON(e, k); got != want[k] {
			tb.Errorf("%s = %s; want %s\nevent: %s", k, got, want[k], Show(e))
		}
	}
}

// Show prints e as one-line JSON (fields in Logstash's order), the form
// failure messages and expectations use.
func Show(e *event.Event) string {
	return strings.TrimSuffix(string(event.JSON{}.Append(nil, e)), "\n")
}
