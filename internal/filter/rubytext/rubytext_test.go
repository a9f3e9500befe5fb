package rubytext

import (
	"math"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
)

func TestNumbers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in string
		i  int64
		f  float64
	}{
		{"12", 12, 12}, {"  -12abc", -12, -12}, {"+7", 7, 7}, {"1_000", 1000, 1000}, {"1__0", 1, 1},
		{"x", 0, 0}, {"", 0, 0}, {"3.9", 3, 3.9}, {".5", 0, 0.5}, {"1e3", 1, 1000}, {"1e", 1, 1},
		{"-2.5e-1x", -2, -0.25}, {"1.", 1, 1}, {" -7x", -7, -7}, {"1_0.5", 10, 10.5}, {"454.33", 454, 454.33},
	} {
		if got, ok := ToI(c.in); !ok || got != c.i {
			t.Errorf("ToI(%q) = %d, %v; want %d", c.in, got, ok, c.i)
		}
		if got := ToF(c.in); got != c.f {
			t.Errorf("ToF(%q) = %v; want %v", c.in, got, c.f)
		}
	}
	for _, s := range []string{"99999999999999999999", "-99999999999999999999"} {
		if _, ok := ToI(s); ok {
			t.Errorf("ToI(%q) beyond int64: ok; want false", s)
		}
	}
	if got := ToF("1e999"); !math.IsInf(got, 1) {
		t.Errorf("ToF(1e999) = %v; want +Inf, as Ruby's", got)
	}
}

func TestCaseAndStrip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fn       func(string) string
		in, want string
	}{
		{Upcase, "abc é", "ABC é"}, {Downcase, "ÉCOLE", "École"}, {Capitalize, "hELLO", "Hello"},
		{Capitalize, "élan", "élan"}, {Capitalize, "", ""}, {Strip, "\t a b \x00\n", "a b"},
	} {
		if got := c.fn(c.in); got != c.want {
			t.Errorf("(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestToSAndInspect(t *testing.T) {
	t.Parallel()
	when := time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.FixedZone("", 2*3600))
	for _, c := range []struct {
		v             event.Value
		toS, inspects string
	}{
		{event.String(`a "b"`), `a "b"`, `"a \"b\""`},
		{event.Value{}, "", "nil"},
		{event.Int(-3), "-3", "-3"},
		{event.Float(1.5), "1.5", "1.5"},
		{event.Float(2), "2.0", "2.0"},
		{event.Float(1e20), "1.0e+20", "1.0e+20"},
		{event.Bool(true), "true", "true"},
		{event.Time(when), "2017-07-19T13:34:57.884Z", "2017-07-19T13:34:57.884Z"},
		{event.List(event.Int(1), event.String("a"), event.Value{}), `[1, "a", nil]`, `[1, "a", nil]`},
		{event.Map(event.Field{Key: "k", Value: event.Map(event.Field{Key: "n", Value: event.Float(0.5)})}), `{"k"=>{"n"=>0.5}}`, `{"k"=>{"n"=>0.5}}`},
	} {
		if got := ToS(c.v); got != c.toS {
			t.Errorf("ToS(%v) = %q; want %q", c.v, got, c.toS)
		}
		if got := Inspect(c.v); got != c.inspects {
			t.Errorf("Inspect(%v) = %q; want %q", c.v, got, c.inspects)
		}
	}
}

func TestRegexpAnchorsAtLines(t *testing.T) {
	t.Parallel()
	re, err := Regexp(`^b$`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := re.MatchString("a\nb\nc"); !ok || err != nil {
		t.Errorf(`Regexp("^b$").MatchString("a\nb\nc") = %v, %v; want true, as Ruby's ^ and $ match at lines`, ok, err)
	}
	if re.MatchTimeout != MatchTimeout {
		t.Errorf("MatchTimeout = %v; want %v", re.MatchTimeout, MatchTimeout)
	}
	if _, err := Regexp("("); err == nil {
		t.Error(`Regexp("(") = nil error; want one`)
	}
}
