package lsconf

import (
	"strconv"
	"strings"
)

// Expr is a condition of an if or else if: *BoolExpr, *NotExpr,
// *CompareExpr, *MatchExpr, *InExpr, or an *RValue standing alone (true
// unless it is a missing field, nil or false).
type Expr interface {
	ExprPos() Pos
	String() string
}

// BoolExpr is `Left Op Right` with Op "and", "or", "xor" or "nand".
// Logstash 5 compiles a condition to Ruby, where `and` and `or` have the
// same precedence: a chain is grouped from the left, `a or b and c` is
// `(a or b) and c`.
type BoolExpr struct {
	Pos         Pos
	Op          string
	Left, Right Expr
}

// NotExpr is `! [field]` or `! ( condition )`.
type NotExpr struct {
	Pos Pos
	X   Expr
}

// CompareExpr is `Left Op Right` with Op "==", "!=", "<", ">", "<=" or
// ">=".
type CompareExpr struct {
	Pos         Pos
	Op          string
	Left, Right *RValue
}

// MatchExpr is `Left =~ Right` or `Left !~ Right`; Right is a regexp or
// a string, whose text as written (escapes unprocessed) is the pattern.
type MatchExpr struct {
	Pos   Pos
	Op    string
	Left  *RValue
	Right *RValue
}

// InExpr is `Item in List`, or `Item not in List` when Not.
type InExpr struct {
	Pos        Pos
	Not        bool
	Item, List *RValue
}

// RKind is the kind of an operand.
type RKind int

// The kinds of operands.
const (
	RString   RKind = iota + 1 // "text" or 'text'
	RNumber                    // -12, 3.5
	RSelector                  // [field][sub]
	RArray                     // ["a", "b"]
	RRegexp                    // /pattern/
	RMethod                    // name(args): parsed, never supported
)

// RValue is an operand of a condition.
type RValue struct {
	Kind RKind
	Pos  Pos
	// Text is a string's text with escapes processed, a number's literal,
	// a regexp's pattern (between the slashes, as written) or a method's
	// name.
	Text string
	// Raw is a string's text between its quotes as written: what Logstash
	// compiles into a regexp when the string is right of =~ or !~.
	Raw string
	// Path is a selector's keys: [a][b] is ["a", "b"].
	Path []string
	// Array is an array literal's value (Kind Array).
	Array Value
	// Args are a method call's arguments.
	Args []*RValue
}

func (x *BoolExpr) ExprPos() Pos    { return x.Pos }
func (x *NotExpr) ExprPos() Pos     { return x.Pos }
func (x *CompareExpr) ExprPos() Pos { return x.Pos }
func (x *MatchExpr) ExprPos() Pos   { return x.Pos }
func (x *InExpr) ExprPos() Pos      { return x.Pos }
func (x *RValue) ExprPos() Pos      { return x.Pos }

// String forms print an expression fully parenthesized, to show how it
// was grouped.
func (x *BoolExpr) String() string {
	return "(" + x.Left.String() + " " + x.Op + " " + x.Right.String() + ")"
}
func (x *NotExpr) String() string { return "!" + x.X.String() }
func (x *CompareExpr) String() string {
	return "(" + x.Left.String() + " " + x.Op + " " + x.Right.String() + ")"
}
func (x *MatchExpr) String() string {
	return "(" + x.Left.String() + " " + x.Op + " " + x.Right.String() + ")"
}
func (x *InExpr) String() string {
	op := " in "
	if x.Not {
		op = " not in "
	}
	return "(" + x.Item.String() + op + x.List.String() + ")"
}

func (x *RValue) String() string {
	switch x.Kind {
	case RString:
		return strconv.Quote(x.Text)
	case RNumber:
		return x.Text
	case RSelector:
		return "[" + strings.Join(x.Path, "][") + "]"
	case RArray:
		return formatValue(x.Array)
	case RRegexp:
		return "/" + x.Text + "/"
	case RMethod:
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = a.String()
		}
		return x.Text + "(" + strings.Join(args, ", ") + ")"
	}
	return "?"
}

func formatValue(v Value) string {
	switch v.Kind {
	case String:
		return strconv.Quote(v.Text)
	case Array:
		items := make([]string, len(v.Items))
		for i, it := range v.Items {
			items[i] = formatValue(it)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case Hash:
		entries := make([]string, len(v.Entries))
		for i, e := range v.Entries {
			entries[i] = strconv.Quote(e.Key) + " => " + formatValue(e.Value)
		}
		return "{" + strings.Join(entries, " ") + "}"
	case PluginValue:
		return v.Plugin.Name + " {…}"
	}
	return v.Text
}
