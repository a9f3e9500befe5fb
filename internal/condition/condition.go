// Package condition compiles the condition of a Logstash `if` (an
// lsconf.Expr) into a predicate on events, with Logstash 5's semantics.
//
// Logstash 5 compiles a condition to Ruby, so Ruby decides: `==` is
// Ruby's == (a string never equals a number, 1 == 1.0, a missing field is
// nil and equals only another missing field); `<` `>` `<=` `>=` compare
// two strings (bytewise) or two numbers or two timestamps; `=~` matches
// strings only; `in` looks for an item in an array (==), a substring in a
// string, or a key in a hash; a value alone is true unless it is missing,
// nil or false (so "" and 0 are true). `and` and `or` are grouped from
// the left with equal precedence (lsconf does that); `xor` is true when
// exactly one side is, `nand` when not both are.
//
// Where Ruby raises an exception, which stops Logstash 5's pipeline (a
// missing field or a string compared with `<` to a number, a number
// looked for `in` a string), the predicate is false (and `not in` true):
// the event goes on, through the else branch.
package condition

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
)

// Func reports whether a condition holds for an event. It does not change
// the event and is safe for concurrent use.
type Func func(*event.Event) bool

// Compile compiles x, read from file (named in errors), into a Func. It
// refuses, at the operand's position, what logship cannot evaluate: a
// method call, a regexp anywhere but right of =~ or !~, a regexp RE2
// cannot compile, a number out of range.
func Compile(file string, x lsconf.Expr) (Func, error) {
	c := compiler{file: file}
	return c.expr(x)
}

type compiler struct{ file string }

func (c *compiler) errorf(pos lsconf.Pos, format string, args ...any) error {
	return &lsconf.Error{File: c.file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (c *compiler) expr(x lsconf.Expr) (Func, error) {
	switch x := x.(type) {
	case *lsconf.BoolExpr:
		l, err := c.expr(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := c.expr(x.Right)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case "and":
			return func(e *event.Event) bool { return l(e) && r(e) }, nil
		case "or":
			return func(e *event.Event) bool { return l(e) || r(e) }, nil
		case "xor":
			return func(e *event.Event) bool { return l(e) != r(e) }, nil
		case "nand":
			return func(e *event.Event) bool { return !(l(e) && r(e)) }, nil
		}
		return nil, c.errorf(x.Pos, "unknown boolean operator %q", x.Op)
	case *lsconf.NotExpr:
		f, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		return func(e *event.Event) bool { return !f(e) }, nil
	case *lsconf.CompareExpr:
		return c.compare(x)
	case *lsconf.MatchExpr:
		return c.match(x)
	case *lsconf.InExpr:
		item, err := c.operand(x.Item)
		if err != nil {
			return nil, err
		}
		list, err := c.operand(x.List)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return func(e *event.Event) bool { return !in(item(e), list(e)) }, nil
		}
		return func(e *event.Event) bool { return in(item(e), list(e)) }, nil
	case *lsconf.RValue:
		v, err := c.operand(x)
		if err != nil {
			return nil, err
		}
		return func(e *event.Event) bool { return truthy(v(e)) }, nil
	}
	return nil, c.errorf(x.ExprPos(), "unsupported condition %s", x)
}

// operand returns the value of an operand for an event: the zero Value
// (nil) for a missing field.
type operand func(*event.Event) event.Value

func (c *compiler) operand(r *lsconf.RValue) (operand, error) {
	switch r.Kind {
	case lsconf.RSelector:
		ref := event.Ref(r.Path)
		return func(e *event.Event) event.Value {
			v, _ := e.Lookup(ref)
			return v
		}, nil
	case lsconf.RString, lsconf.RNumber, lsconf.RArray:
		v, err := c.literal(r)
		if err != nil {
			return nil, err
		}
		return func(*event.Event) event.Value { return v }, nil
	case lsconf.RRegexp:
		return nil, c.errorf(r.Pos, "a regexp can only be the right side of =~ or !~")
	case lsconf.RMethod:
		return nil, c.errorf(r.Pos, "method calls such as %s(…) in conditions are not supported", r.Text)
	}
	return nil, c.errorf(r.Pos, "unsupported operand %s", r)
}

func (c *compiler) literal(r *lsconf.RValue) (event.Value, error) {
	switch r.Kind {
	case lsconf.RString:
		return event.String(r.Text), nil
	case lsconf.RNumber:
		return c.number(r.Text, r.Pos)
	}
	return c.value(r.Array)
}

// number reads a number literal as Ruby would: an integer, or a float
// when it has a decimal point.
func (c *compiler) number(text string, pos lsconf.Pos) (event.Value, error) {
	if !strings.Contains(text, ".") {
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return event.Value{}, c.errorf(pos, "number %s is out of range", text)
		}
		return event.Int(i), nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(text, "."), 64)
	if err != nil || math.IsInf(f, 0) {
		return event.Value{}, c.errorf(pos, "number %s is out of range", text)
	}
	return event.Float(f), nil
}

// value converts an array literal (and what it holds) to an event value.
func (c *compiler) value(v lsconf.Value) (event.Value, error) {
	switch v.Kind {
	case lsconf.String, lsconf.Bareword:
		return event.String(v.Text), nil
	case lsconf.Number:
		return c.number(v.Text, v.Pos)
	case lsconf.Array:
		items := make([]event.Value, len(v.Items))
		for i, it := range v.Items {
			x, err := c.value(it)
			if err != nil {
				return event.Value{}, err
			}
			items[i] = x
		}
		return event.List(items...), nil
	case lsconf.Hash:
		fields := make([]event.Field, len(v.Entries))
		for i, en := range v.Entries {
			x, err := c.value(en.Value)
			if err != nil {
				return event.Value{}, err
			}
			fields[i] = event.Field{Key: en.Key, Value: x}
		}
		return event.Map(fields...), nil
	}
	return event.Value{}, c.errorf(v.Pos, "a %s cannot be a value in a condition", v.Kind)
}

func (c *compiler) compare(x *lsconf.CompareExpr) (Func, error) {
	l, err := c.operand(x.Left)
	if err != nil {
		return nil, err
	}
	r, err := c.operand(x.Right)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "==":
		return func(e *event.Event) bool { return equal(l(e), r(e)) }, nil
	case "!=":
		return func(e *event.Event) bool { return !equal(l(e), r(e)) }, nil
	}
	var want func(int) bool
	switch x.Op {
	case "<":
		want = func(c int) bool { return c < 0 }
	case ">":
		want = func(c int) bool { return c > 0 }
	case "<=":
		want = func(c int) bool { return c <= 0 }
	case ">=":
		want = func(c int) bool { return c >= 0 }
	default:
		return nil, c.errorf(x.Pos, "unknown comparison %q", x.Op)
	}
	return func(e *event.Event) bool {
		c, ok := order(l(e), r(e))
		return ok && want(c)
	}, nil
}

func (c *compiler) match(x *lsconf.MatchExpr) (Func, error) {
	l, err := c.operand(x.Left)
	if err != nil {
		return nil, err
	}
	src := x.Right.Text
	if x.Right.Kind == lsconf.RString {
		src = x.Right.Raw // Logstash puts the string as written between slashes
	}
	re, err := compileRuby(src)
	if err != nil {
		return nil, c.errorf(x.Right.Pos, "regexp %s: %v", x.Right, err)
	}
	negate := x.Op == "!~"
	return func(e *event.Event) bool {
		v := l(e)
		matched := v.Kind() == event.StringKind && re.MatchString(v.Str())
		return matched != negate
	}, nil
}

// truthy is Ruby's truth: everything but nil and false.
func truthy(v event.Value) bool {
	switch v.Kind() {
	case event.Nil:
		return false
	case event.BoolKind:
		return v.Bool()
	}
	return true
}

// equal is Ruby's == on event values.
func equal(a, b event.Value) bool {
	if an, ok := num(a); ok {
		bn, ok := num(b)
		if !ok {
			return false
		}
		if a.Kind() == event.IntKind && b.Kind() == event.IntKind {
			return a.Int() == b.Int()
		}
		return an == bn
	}
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case event.Nil:
		return true
	case event.StringKind:
		return a.Str() == b.Str()
	case event.BoolKind:
		return a.Bool() == b.Bool()
	case event.TimeKind:
		return a.Time().Equal(b.Time())
	case event.ListKind:
		al, bl := a.List(), b.List()
		if len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !equal(al[i], bl[i]) {
				return false
			}
		}
		return true
	case event.MapKind:
		am, bm := a.Map(), b.Map()
		if len(am) != len(bm) {
			return false
		}
	outer:
		for _, fa := range am {
			for _, fb := range bm {
				if fa.Key == fb.Key {
					if !equal(fa.Value, fb.Value) {
						return false
					}
					continue outer
				}
			}
			return false
		}
		return true
	}
	return false
}

func num(v event.Value) (float64, bool) {
	switch v.Kind() {
	case event.IntKind:
		return float64(v.Int()), true
	case event.FloatKind:
		return v.Float(), true
	}
	return 0, false
}

// order is Ruby's <=> where Comparable defines it: two strings, two
// numbers, two timestamps. ok is false for anything else, where Ruby
// raises.
func order(a, b event.Value) (int, bool) {
	if an, ok := num(a); ok {
		bn, ok := num(b)
		switch {
		case !ok || math.IsNaN(an) || math.IsNaN(bn):
			return 0, false
		case a.Kind() == event.IntKind && b.Kind() == event.IntKind:
			return cmp3(a.Int(), b.Int()), true
		}
		return cmp3(an, bn), true
	}
	switch {
	case a.Kind() == event.StringKind && b.Kind() == event.StringKind:
		return strings.Compare(a.Str(), b.Str()), true
	case a.Kind() == event.TimeKind && b.Kind() == event.TimeKind:
		return a.Time().Compare(b.Time()), true
	}
	return 0, false
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// in is Logstash's `item in list`: list.include?(item) where list
// responds to include?.
func in(item, list event.Value) bool {
	switch list.Kind() {
	case event.ListKind:
		for _, x := range list.List() {
			if equal(item, x) {
				return true
			}
		}
	case event.StringKind:
		return item.Kind() == event.StringKind && strings.Contains(list.Str(), item.Str())
	case event.MapKind:
		if item.Kind() != event.StringKind {
			return false
		}
		for _, f := range list.Map() {
			if f.Key == item.Str() {
				return true
			}
		}
	}
	return false
}
