// Package lsjson reads JSON as Logstash 5 does (JrJackson 0.4 over
// Jackson 2.9, strict JSON) into event values: for the json filter, the
// json and json_lines codecs and the beats input.
package lsjson

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/appstack/appstack/internal/event"
)

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 1000

// Parse reads text as Logstash 5's LogStash::Json.load does (the json
// filter): every root value in the text is read and the last one is the
// result; empty or blank text is nil (ok with a Nil value). Objects keep their keys' first positions, a
// repeated key's last value. Integers are Int (beyond int64, Float);
// numbers with a fraction or exponent are Float (Logstash keeps them as
// BigDecimal: see the README).
func Parse(text string) (event.Value, error) {
	p := parser{s: text}
	var v event.Value
	for {
		p.space()
		if p.i == len(p.s) {
			return v, nil
		}
		var err error
		if v, err = p.value(0, true); err != nil {
			return event.Value{}, err
		}
	}
}

// ParseFirst reads the first JSON value of text, as Jackson's
// ObjectMapper.readValue does where Logstash 5 builds events from JSON
// (the json and json_lines codecs' Event.from_json, the beats input):
// what follows that value is not read. Blank text is Nil, ok.
func ParseFirst(text string) (event.Value, error) {
	p := parser{s: text}
	p.space()
	if p.i == len(p.s) {
		return event.Value{}, nil
	}
	return p.value(0, false)
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int, root bool) (event.Value, error) {
	if depth > maxDepth {
		return event.Value{}, p.errorf("nested deeper than %d levels", maxDepth)
	}
	if p.i == len(p.s) {
		return event.Value{}, p.errorf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		return event.String(s), err
	case c == '-' || c >= '0' && c <= '9':
		return p.number(root)
	case c == 't':
		return event.Bool(true), p.literal("true")
	case c == 'f':
		return event.Bool(false), p.literal("false")
	case c == 'n':
		return event.Value{}, p.literal("null")
	default:
		r, _ := utf8.DecodeRuneInString(p.s[p.i:])
		return event.Value{}, p.errorf("unexpected character %q", r)
	}
}

// literal reads word; like Jackson, a letter or digit right after it
// makes it an unknown token ("truex").
func (p *parser) literal(word string) error {
	end := p.i
	for end < len(p.s) && (isIdent(p.s[end]) || p.s[end] >= 0x80) {
		end++
	}
	if p.s[p.i:end] != word {
		return p.errorf("unrecognized token %q", p.s[p.i:end])
	}
	p.i = end
	return nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) object(depth int) (event.Value, error) {
	p.i++ // {
	var fs []event.Field
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return event.Map(fs...), nil
	}
	for {
		p.space()
		if p.i == len(p.s) || p.s[p.i] != '"' {
			return event.Value{}, p.errorf("want a field name in double quotes")
		}
		key, err := p.str()
		if err != nil {
			return event.Value{}, err
		}
		p.space()
		if p.i == len(p.s) || p.s[p.i] != ':' {
			return event.Value{}, p.errorf("want ':' after a field name")
		}
		p.i++
		p.space()
		v, err := p.value(depth+1, false)
		if err != nil {
			return event.Value{}, err
		}
		fs = setField(fs, key, v)
		p.space()
		if p.i == len(p.s) {
			return event.Value{}, p.errorf("unexpected end of input in an object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return event.Map(fs...), nil
		default:
			return event.Value{}, p.errorf("want ',' or '}' in an object")
		}
	}
}

// setField is Ruby's Hash#[]=: a new key goes last, a known key keeps
// its place and takes the new value.
func setField(fs []event.Field, key string, v event.Value) []event.Field {
	for i := range fs {
		if fs[i].Key == key {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, event.Field{Key: key, Value: v})
}

func (p *parser) array(depth int) (event.Value, error) {
	p.i++ // [
	var vs []event.Value
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return event.List(vs...), nil
	}
	for {
		p.space()
		v, err := p.value(depth+1, false)
		if err != nil {
			return event.Value{}, err
		}
		vs = append(vs, v)
		p.space()
		if p.i == len(p.s) {
			return event.Value{}, p.errorf("unexpected end of input in an array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return event.List(vs...), nil
		default:
			return event.Value{}, p.errorf("want ',' or ']' in an array")
		}
	}
}

func (p *parser) number(root bool) (event.Value, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	switch n := digits(); {
	case n == 0:
		return event.Value{}, p.errorf("want a digit")
	case n > 1 && p.s[intStart] == '0':
		return event.Value{}, p.errorf("leading zeroes not allowed")
	}
	isFloat := false
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		isFloat = true
		if digits() == 0 {
			return event.Value{}, p.errorf("want a digit after the decimal point")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		isFloat = true
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return event.Value{}, p.errorf("want a digit in the exponent")
		}
	}
	text := p.s[start:p.i]
	// Jackson wants white space (or the end) after a root-level number.
	if root && p.i < len(p.s) && !isSpace(p.s[p.i]) {
		return event.Value{}, p.errorf("want white space after the root-level number %s", text)
	}
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return event.Int(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return event.Value{}, p.errorf("bad number %s", text)
	}
	if math.IsInf(f, 0) && !isFloat {
		return event.Value{}, p.errorf("integer %s out of range", text)
	}
	return event.Float(f), nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// str reads a double-quoted string with JSON's escapes; control
// characters must be escaped, as Jackson requires. A lone surrogate
// becomes U+FFFD.
func (p *parser) str() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("unescaped control character %#x in a string", c)
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 == len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					lo, ok := p.hex4()
					if !ok {
						return "", p.errorf("bad \\u escape")
					}
					if r2 = utf16.DecodeRune(r, lo); r2 == utf8.RuneError {
						p.i = save // not a pair: read the second one on its own
					}
				}
				r = r2
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.errorf("unrecognized escape \\%c", e)
		}
	}
	return "", p.errorf("unexpected end of input in a string")
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}
