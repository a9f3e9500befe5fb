package json

import (
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/plugin"
)

func TestApply(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, block, message string
		result               plugin.Result
		want                 map[string]string
	}{
		{"the docs' example: JSON in message goes to the root", `json { source => "message" }`,
			`{"user":"alice","n":42,"f":1.5,"ok":true,"none":null,"list":[1,"a"],"obj":{"k":"v"}}`, plugin.Match,
			map[string]string{"user": `"alice"`, "n": "42", "f": "1.5", "ok": "true", "none": "null", "list": `[1,"a"]`, "[obj][k]": `"v"`}},
		{"the docs' target example", `json { source => "message" target => "doc" }`, `{"a":{"b":1}}`, plugin.Match,
			map[string]string{"[doc][a][b]": "1", "a": filtertest.Absent}},
		{"a target takes any JSON value", `json { source => "message" target => "doc" }`, `[1,2]`, plugin.Match,
			map[string]string{"doc": "[1,2]"}},
		{"an empty text with a target sets null", `json { source => "message" target => "doc" }`, ``, plugin.Match,
			map[string]string{"doc": "null"}},
		{"a non-object without target fails", `json { source => "message" }`, `[1,2]`, plugin.NoMatch,
			map[string]string{"tags": `["_jsonparsefailure"]`}},
		{"invalid JSON fails, the event untouched", `json { source => "message" }`, `{"a":`, plugin.NoMatch,
			map[string]string{"tags": `["_jsonparsefailure"]`, "a": filtertest.Absent, "message": `"{\"a\":"`}},
		{"tag_on_failure", `json { source => "message" tag_on_failure => ["bad", "json"] }`, `nope`, plugin.NoMatch,
			map[string]string{"tags": `["bad","json"]`}},
		{"skip_on_invalid_json", `json { source => "message" skip_on_invalid_json => true }`, `nope`, plugin.NoMatch,
			map[string]string{"tags": filtertest.Absent}},
		{"@timestamp becomes the event's timestamp", `json { source => "message" }`, `{"@timestamp":"2017-01-02T03:04:05.678+01:00","a":1}`, plugin.Match,
			map[string]string{"@timestamp": `"2017-01-02T02:04:05.678Z"`, "a": "1"}},
		{"a bad @timestamp is kept in _@timestamp", `json { source => "message" }`, `{"@timestamp":"yesterday"}`, plugin.Match,
			map[string]string{"@timestamp": `"2020-02-02T00:00:00.000Z"`, "_@timestamp": `"yesterday"`, "tags": `["_timestampparsefailure"]`}},
		{"a numeric @timestamp is a failure too", `json { source => "message" }`, `{"@timestamp":12}`, plugin.Match,
			map[string]string{"_@timestamp": `"12"`, "tags": `["_timestampparsefailure"]`}},
		{"a null @timestamp is dropped", `json { source => "message" }`, `{"@timestamp":null,"a":1}`, plugin.Match,
			map[string]string{"@timestamp": `"2017-07-19T15:34:57.884Z"`, "a": "1"}},
		{"keys are field references", `json { source => "message" }`, `{"[x][y]":1}`, plugin.Match,
			map[string]string{"[x][y]": "1"}},
		{"several root values: the last wins, as JrJackson", `json { source => "message" target => "t" }`, `{"a":1} {"b":2}`, plugin.Match,
			map[string]string{"[t][b]": "2", "[t][a]": filtertest.Absent}},
		{"big integers become floats", `json { source => "message" }`, `{"n":12345678901234567890}`, plugin.Match,
			map[string]string{"n": "1.2345678901234567E19"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, New)
			f.now = func() time.Time { return time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC) }
			e := filtertest.Event("message", c.message)
			if got := f.Apply(e); got != c.result {
				t.Errorf("Apply(%q) = %v; want %v (event %s)", c.message, got, c.result, filtertest.Show(e))
			}
			filtertest.Check(t, e, c.want)
		})
	}
}

func TestMissingOrNonStringSource(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `json { source => "data" }`, New)
	missing := filtertest.Event("message", "{}")
	if got := f.Apply(missing); got != plugin.NoMatch || missing.HasTag("_jsonparsefailure") {
		t.Errorf("missing source: Apply = %v, %s; want NoMatch, untagged", got, filtertest.Show(missing))
	}
	num := filtertest.Event("data", event.Int(3))
	if got := f.Apply(num); got != plugin.NoMatch || !num.HasTag("_jsonparsefailure") {
		t.Errorf("numeric source: Apply = %v, %s; want NoMatch with _jsonparsefailure", got, filtertest.Show(num))
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ block, want string }{
		{`json { }`, `missing required option "source"`},
		{`json { source => "message" target => "[a" }`, "target"},
		{`json { source => "message" skip_on_invalid_json => "maybe" }`, "skip_on_invalid_json"},
	} {
		filtertest.Refused(t, c.block, New, c.want)
	}
}
