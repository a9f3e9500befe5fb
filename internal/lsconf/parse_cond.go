package lsconf

import "strings"

// The condition grammar, from Logstash 5's grammar.treetop:
//
//	condition  := expression (_ ("and"|"or"|"xor"|"nand") _ expression)*
//	expression := "(" _ condition _ ")" | "!" _ "(" _ condition _ ")" | "!" _ selector
//	            | rvalue _ "in" _ rvalue | rvalue _ "not " _ "in" _ rvalue
//	            | rvalue _ ("=="|"!="|"<="|">="|"<"|">") _ rvalue
//	            | rvalue _ ("=~"|"!~") _ (string | regexp) | rvalue
//	rvalue     := string | number | selector | array | method_call | regexp
//	selector   := ("[" [^\],]+ "]")+
//
// The selector is tried before the array, so `["a"]` is the field named
// `"a"` (quotes included), as in Logstash; `["a", "b"]` is an array.

// condition parses a chain of expressions joined by boolean operators,
// grouped from the left (Ruby's `and` and `or` share one precedence).
func (p *parser) condition() (Expr, error) {
	leave, err := p.nest(p.off)
	if err != nil {
		return nil, err
	}
	defer leave()
	left, err := p.expression()
	if err != nil {
		return nil, err
	}
	for {
		save := p.off
		p.skip()
		op := ""
		for _, o := range []string{"and", "or", "xor", "nand"} {
			if strings.HasPrefix(p.src[p.off:], o) {
				op = o
				break
			}
		}
		if op == "" {
			p.off = save
			return left, nil
		}
		p.off += len(op)
		p.skip()
		right, err := p.expression()
		if err != nil {
			return nil, err
		}
		left = &BoolExpr{Pos: left.ExprPos(), Op: op, Left: left, Right: right}
	}
}

func (p *parser) expression() (Expr, error) {
	if p.eof() {
		return nil, p.expected("a condition")
	}
	start := p.off
	switch p.src[p.off] {
	case '(':
		return p.parenthesized()
	case '!':
		p.off++
		p.skip()
		if !p.eof() && p.src[p.off] == '(' {
			x, err := p.parenthesized()
			if err != nil {
				return nil, err
			}
			return &NotExpr{Pos: p.pos(start), X: x}, nil
		}
		if p.eof() || p.src[p.off] != '[' {
			return nil, p.expected(`a [field] or "(" after "!"`)
		}
		sel, ok := p.selector()
		if !ok {
			return nil, p.expected(`a [field] after "!"`)
		}
		return &NotExpr{Pos: p.pos(start), X: sel}, nil
	}
	left, err := p.rvalue()
	if err != nil {
		return nil, err
	}
	save := p.off
	p.skip()
	rest := p.src[p.off:]
	switch {
	case strings.HasPrefix(rest, "in") && !(len(rest) > 2 && isWordByte(rest[2])):
		p.off += 2
		p.skip()
		list, err := p.rvalue()
		if err != nil {
			return nil, err
		}
		return &InExpr{Pos: left.Pos, Item: left, List: list}, nil
	case strings.HasPrefix(rest, "not "):
		p.off += len("not ")
		p.skip()
		if !strings.HasPrefix(p.src[p.off:], "in") {
			return nil, p.expected(`"in" after "not"`)
		}
		p.off += 2
		p.skip()
		list, err := p.rvalue()
		if err != nil {
			return nil, err
		}
		return &InExpr{Pos: left.Pos, Not: true, Item: left, List: list}, nil
	case strings.HasPrefix(rest, "=~") || strings.HasPrefix(rest, "!~"):
		op := rest[:2]
		p.off += 2
		p.skip()
		if p.eof() || !strings.ContainsRune(`"'/`, rune(p.src[p.off])) {
			return nil, p.expected("a /regexp/ or a string after " + op)
		}
		right, err := p.rvalue()
		if err != nil {
			return nil, err
		}
		return &MatchExpr{Pos: left.Pos, Op: op, Left: left, Right: right}, nil
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			p.off += len(op)
			p.skip()
			right, err := p.rvalue()
			if err != nil {
				return nil, err
			}
			return &CompareExpr{Pos: left.Pos, Op: op, Left: left, Right: right}, nil
		}
	}
	p.off = save
	return left, nil
}

// parenthesized parses "(" _ condition _ ")".
func (p *parser) parenthesized() (Expr, error) {
	start := p.off
	p.off++ // (
	p.skip()
	x, err := p.condition()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.eof() {
		return nil, p.errAt(start, `"(" is not closed: missing ")"`)
	}
	if err := p.expect(')', `")" or a boolean operator (and, or, xor, nand)`); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *parser) rvalue() (*RValue, error) {
	if p.eof() {
		return nil, p.expected("a value")
	}
	start := p.off
	pos := p.pos(start)
	switch c := p.src[p.off]; {
	case c == '"' || c == '\'':
		text, err := p.str()
		if err != nil {
			return nil, err
		}
		return &RValue{Kind: RString, Pos: pos, Text: text, Raw: p.src[start+1 : p.off-1]}, nil
	case c == '-' || c >= '0' && c <= '9':
		// "-"? [0-9]+ ("." [0-9]*)?, with nothing required after it.
		if c == '-' {
			p.off++
		}
		digits := p.word(func(c byte) bool { return c >= '0' && c <= '9' })
		if digits == "" {
			return nil, p.expected("a digit")
		}
		if !p.eof() && p.src[p.off] == '.' {
			p.off++
			p.word(func(c byte) bool { return c >= '0' && c <= '9' })
		}
		return &RValue{Kind: RNumber, Pos: pos, Text: p.src[start:p.off]}, nil
	case c == '[':
		if sel, ok := p.selector(); ok {
			return sel, nil
		}
		v, err := p.array()
		if err != nil {
			return nil, err
		}
		return &RValue{Kind: RArray, Pos: pos, Array: v}, nil
	case c == '/':
		p.off++
		for {
			if p.eof() {
				return nil, p.errAt(start, "regexp is not closed: missing /")
			}
			switch {
			case strings.HasPrefix(p.src[p.off:], `\/`):
				p.off += 2
				continue
			case p.src[p.off] == '/':
				p.off++
				return &RValue{Kind: RRegexp, Pos: pos, Text: p.src[start+1 : p.off-1]}, nil
			}
			p.off++
		}
	case isWordStart(c):
		name := p.word(isWordByte)
		p.skip()
		if len(name) < 2 || p.eof() || p.src[p.off] != '(' {
			p.off = start
			return nil, p.expected(`a value in the condition: a "string", a number, a [field], an array, or a /regexp/`)
		}
		return p.methodCall(name, pos)
	}
	return nil, p.expected(`a value in the condition: a "string", a number, a [field], an array, or a /regexp/`)
}

// selector parses one or more [key] elements; ok is false, with the
// cursor unmoved, when the first one is not a selector element.
func (p *parser) selector() (*RValue, bool) {
	start := p.off
	pos := p.pos(start)
	var path []string
	for !p.eof() && p.src[p.off] == '[' {
		end := strings.IndexAny(p.src[p.off+1:], "],")
		if end <= 0 || p.src[p.off+1+end] != ']' {
			break
		}
		path = append(path, p.src[p.off+1:p.off+1+end])
		p.off += end + 2
	}
	if len(path) == 0 {
		p.off = start
		return nil, false
	}
	return &RValue{Kind: RSelector, Pos: pos, Path: path}, true
}

// methodCall parses the arguments of name( … ), which Logstash's grammar
// accepts and logship refuses when it compiles the condition.
func (p *parser) methodCall(name string, pos Pos) (*RValue, error) {
	leave, err := p.nest(p.off)
	if err != nil {
		return nil, err
	}
	defer leave()
	m := &RValue{Kind: RMethod, Pos: pos, Text: name}
	p.off++ // (
	p.skip()
	if !p.eof() && p.src[p.off] == ')' {
		p.off++
		return m, nil
	}
	for {
		p.skip()
		arg, err := p.rvalue()
		if err != nil {
			return nil, err
		}
		m.Args = append(m.Args, arg)
		p.skip()
		if p.eof() {
			return nil, p.expected(`")" to close the arguments of ` + name)
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case ')':
			p.off++
			return m, nil
		default:
			return nil, p.expected(`"," or ")" in the arguments of ` + name)
		}
	}
}
