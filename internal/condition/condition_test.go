package condition

import (
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
)

// compile parses `filter { if <cond> { } }` and compiles its condition.
func compile(tb testing.TB, cond string) (Func, error) {
	tb.Helper()
	cfg, err := lsconf.Parse("test.conf", []byte("filter { if "+cond+" { } }"))
	if err != nil {
		tb.Fatalf("parse %q: %v", cond, err)
	}
	return Compile("test.conf", cfg.Sections[0].Body[0].If.Branches[0].Cond)
}

// ev builds an event from key, value pairs: a string or an event.Value.
func ev(kv ...any) *event.Event {
	e := &event.Event{}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(event.Value)
		if !ok {
			v = event.String(kv[i+1].(string))
		}
		e.Put(event.MustRef(kv[i].(string)), v)
	}
	return e
}

var ts = time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC)

func TestConditionTable(t *testing.T) {
	t.Parallel()
	msg := func(s string) *event.Event { return ev("message", s) }
	nums := ev("int", event.Int(123), "float", event.Float(1.5), "str", "123", "zero", event.Int(0),
		"empty", "", "f", event.Bool(false), "t", event.Bool(true), "null", event.Value{},
		"list", event.Strings("one", "two"), "nums", event.List(event.Int(1), event.Int(2)),
		"map", event.Map(event.Field{Key: "k", Value: event.String("v")}),
		"@timestamp", event.Time(ts), "later", event.Time(ts.Add(time.Second)),
		"[nested field][reference with][some spaces]", "hurray",
		"[@metadata][target]", "es")
	tests := []struct {
		cond string
		e    *event.Event
		want bool
	}{
		// Logstash 5's conditionals_spec.rb, "operators".
		{"[message] == 'sample'", msg("sample"), true},
		{"[message] == 'sample'", msg("different"), false},
		{"[message] != 'sample'", msg("sample"), false},
		{"[message] != 'sample'", msg("different"), true},
		{"[message] < 'sample'", msg("apple"), true},
		{"[message] < 'sample'", msg("zebra"), false},
		{"[message] > 'sample'", msg("zebra"), true},
		{"[message] > 'sample'", msg("apple"), false},
		{"[message] <= 'sample'", msg("sample"), true},
		{"[message] >= 'sample'", msg("sample"), true},
		{"[message] >= 'sample'", msg("apple"), false},
		{"[message] =~ /sample/", msg("apple"), false},
		{"[message] =~ /sample/", msg("some sample"), true},
		{"[message] !~ /sample/", msg("apple"), true},
		{"[message] !~ /sample/", msg("some sample"), false},
		// "negated expressions"
		{"!([message] == 'sample')", msg("sample"), false},
		{"!([message] < 'sample')", msg("zebra"), true},
		{"!([message] !~ /sample/)", msg("sample"), true},
		// "value as an expression"
		{"[message]", msg("apple"), true},
		{"[missing]", msg("apple"), false},
		// "logic operators"
		{"[message] and [message]", msg("x"), true},
		{"[message] and ![message]", msg("x"), false},
		{"![message] and [message]", msg("x"), false},
		{"[message] or ![message]", msg("x"), true},
		{"![message] or ![message]", msg("x"), false},
		// "field references"
		{"[field with space] == 'hurray'", ev("field with space", "hurray"), true},
		{"[nested field][reference with][some spaces] == 'hurray'", nums, true},
		// "the 'in' operator" and "the 'not in' operator"
		{"[foo] in [foobar]", ev("foo", "foo", "foobar", "foobar"), true},
		{`[foo] in "foo"`, ev("foo", "foo"), true},
		{`"hello" in [greeting]`, ev("greeting", "hello world"), true},
		{`[foo] in ["hello", "world", "foo"]`, ev("foo", "foo"), true},
		{"[missing] in [alsomissing]", ev(), false},
		{`!("foo" in ["hello", "world"])`, ev(), true},
		{`"foo" not in "baz"`, ev(), true},
		{`"foo" not in "foo"`, ev(), false},
		{`"foo" not in [list]`, nums, true},
		{`"one" not in [list]`, nums, false},
		{`"foo" not in [alsomissing]`, ev(), true},
		{"[foo] == [bar]", ev("foo", event.Int(123), "bar", event.Int(123)), true},

		// Ruby's == : types matter, numbers compare by value.
		{"[int] == 123", nums, true},
		{"[int] == 123.0", nums, true},
		{`[int] == "123"`, nums, false},
		{"[str] == 123", nums, false},
		{`[str] == "123"`, nums, true},
		{"[float] == 1.5", nums, true},
		{"[float] > 1", nums, true},
		{"[int] > 99", nums, true},
		{"[int] < -5", nums, false},
		{"[missing] == [alsomissing]", nums, true},
		{`[missing] == ""`, nums, false},
		{`[missing] != "x"`, nums, true},
		{"[null] == [missing]", nums, true},
		{`[list] == ["one", "two"]`, nums, true},
		{`[nums] == [1, 2]`, nums, true},
		// Where Ruby raises, the condition is false.
		{"[missing] > 5", nums, false},
		{"[str] > 5", nums, false},
		{"[list] < 5", nums, false},
		{`[int] in "123"`, nums, false},
		{`[int] not in "123"`, nums, true},
		// Timestamps compare with timestamps.
		{"[later] > [@timestamp]", nums, true},
		{"[@timestamp] == [@timestamp]", nums, true},
		{`[@timestamp] == "2017-07-19T15:34:57.000Z"`, nums, false},
		// Truthiness: everything but nil and false.
		{"[empty]", nums, true},
		{"[zero]", nums, true},
		{"[f]", nums, false},
		{"[t]", nums, true},
		{"[null]", nums, false},
		{"![f]", nums, true},
		{`"literal"`, nums, true},
		{"0", nums, true},
		// in: arrays (==), substrings, hash keys; nothing else.
		{`2 in [nums]`, nums, true},
		{`"2" in [nums]`, nums, false},
		{`"k" in [map]`, nums, true},
		{`"v" in [map]`, nums, false},
		{`"1" in [int]`, nums, false},
		{`"x" in [missing]`, nums, false},
		{`"x" not in [missing]`, nums, true},
		// A one-element array is a selector, as in Logstash: ["one"] is
		// the field named "one" with its quotes, which is missing.
		{`"one" in ["one"]`, nums, false},
		{`"one" in ["one", "x"]`, nums, true},
		{`"one" in [ "one" , "x" ]`, nums, true},
		// Regexps: Ruby's line anchors, strings only, a string pattern.
		{`[message] =~ /^b/`, msg("a\nb"), true},
		{`[message] =~ /a$/`, msg("a\nb"), true},
		{`[message] =~ /\Aa\Z/`, msg("a\n"), true},
		{`[message] =~ /^\h+$/`, msg("c0ffee"), true},
		{`[message] =~ /^\h+$/`, msg("coffee"), false},
		{`[message] =~ "^s.m"`, msg("sample"), true},
		{`[message] =~ "a\.b"`, msg("axb"), false},
		{`[message] =~ /a\/b/`, msg("a/b"), true},
		{`[int] =~ /1/`, nums, false},
		{`[int] !~ /1/`, nums, true},
		{`[missing] !~ /x/`, nums, true},
		// Metadata is visible to conditions.
		{`[@metadata][target] == "es"`, nums, true},
		{`[@metadata][missing]`, nums, false},
		// and / or share one precedence, grouped from the left (Ruby).
		{`[t] or [t] and [f]`, nums, false},
		{`[t] or ([t] and [f])`, nums, true},
		{`[f] and [f] or [t]`, nums, true},
		{`[t] xor [t]`, nums, false},
		{`[t] xor [f]`, nums, true},
		{`[t] nand [t]`, nums, false},
		{`[t] nand [f]`, nums, true},
		{`!([t] and [f])`, nums, true},
		{"[t]\n  # a comment\n  and [t]", nums, true},
	}
	for _, tt := range tests {
		f, err := compile(t, tt.cond)
		if err != nil {
			t.Errorf("Compile(%s) = %v", tt.cond, err)
			continue
		}
		if got := f(tt.e); got != tt.want {
			t.Errorf("if %s on %s = %v; want %v", tt.cond, show(tt.e), got, tt.want)
		}
	}
}

func show(e *event.Event) string {
	return strings.TrimSpace(string(event.JSON{}.Append(nil, e)))
}

func TestCompileRefusesWhatItCannotEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct{ cond, want string }{
		{"[a] == /x/", "test.conf:1:20: a regexp can only be the right side of =~ or !~"},
		{"/x/", "test.conf:1:13: a regexp can only be the right side of =~ or !~"},
		{"foo([a]) == 1", "test.conf:1:13: method calls such as foo(…) in conditions are not supported"},
		{"[a] =~ /(?<=x)y/", "test.conf:1:20: regexp /(?<=x)y/: not supported by Go's RE2 engine"},
		{"[a] == 99999999999999999999", "test.conf:1:20: number 99999999999999999999 is out of range"},
		{"[a] in [[1, 2], {}]", ""},
	}
	for _, tt := range tests {
		_, err := compile(t, tt.cond)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Compile(%s) = %v; want nil", tt.cond, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("Compile(%s) = %v; want prefix %q", tt.cond, err, tt.want)
		}
	}
}
