package lsconf

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Parse parses src, read from file (used in errors only), into a Config.
// It checks the grammar only: plugins check their options themselves.
func Parse(file string, src []byte) (*Config, error) {
	p := &parser{file: file, src: string(src)}
	p.lines = append(p.lines, 0)
	for i := 0; i < len(p.src); i++ {
		if p.src[i] == '\n' {
			p.lines = append(p.lines, i+1)
		}
	}
	if !utf8.ValidString(p.src) {
		off := 0
		for off < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, p.errAt(off, "invalid UTF-8 in config")
	}
	cfg := &Config{File: file}
	for {
		p.skip()
		if p.eof() {
			return cfg, nil
		}
		s, err := p.section()
		if err != nil {
			return nil, err
		}
		cfg.Sections = append(cfg.Sections, s)
	}
}

type parser struct {
	file  string
	src   string
	off   int
	lines []int // byte offset of each line start
	depth int   // nesting of arrays, hashes and plugins

	// The last position computed: the parser asks for positions in
	// increasing order, so counting on from it keeps pos linear overall.
	lastOff int
	lastPos Pos
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 100

func (p *parser) eof() bool { return p.off >= len(p.src) }

func (p *parser) pos(off int) Pos {
	line := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	from, col := p.lines[line], 1
	if p.lastPos.Line == line+1 && p.lastOff <= off {
		from, col = p.lastOff, p.lastPos.Col
	}
	pos := Pos{Line: line + 1, Col: col + utf8.RuneCountInString(p.src[from:off])}
	p.lastOff, p.lastPos = off, pos
	return pos
}

// nest enters one level of nesting; the caller defers the returned func.
func (p *parser) nest(off int) (func(), error) {
	p.depth++
	if p.depth > maxDepth {
		return nil, p.errAt(off, "nesting deeper than %d levels", maxDepth)
	}
	return func() { p.depth-- }, nil
}

func (p *parser) errAt(off int, format string, args ...any) error {
	return &Error{File: p.file, Pos: p.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// found describes what is at the cursor, for "expected X, found Y".
func (p *parser) found() string {
	if p.eof() {
		return "end of file"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.off:])
	return fmt.Sprintf("%q", r)
}

func (p *parser) expected(what string) error {
	return p.errAt(p.off, "expected %s, found %s", what, p.found())
}

// skip skips whitespace and # comments.
func (p *parser) skip() {
	for !p.eof() {
		switch c := p.src[p.off]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			p.off++
		case c == '#':
			for !p.eof() && p.src[p.off] != '\n' {
				p.off++
			}
		default:
			return
		}
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }

// word reads a run of bytes accepted by ok.
func (p *parser) word(ok func(byte) bool) string {
	start := p.off
	for !p.eof() && ok(p.src[p.off]) {
		p.off++
	}
	return p.src[start:p.off]
}

func (p *parser) section() (Section, error) {
	start := p.off
	kind := p.word(isNameByte)
	switch kind {
	case "input", "filter", "output":
	case "":
		return Section{}, p.expected(`a section ("input", "filter" or "output")`)
	default:
		return Section{}, p.errAt(start, "unknown section %q: want input, filter or output", kind)
	}
	s := Section{Kind: kind, File: p.file, Pos: p.pos(start)}
	p.skip()
	if err := p.expect('{', fmt.Sprintf(`"{" after %q`, kind)); err != nil {
		return s, err
	}
	body, err := p.body(kind, start, kind+" section")
	if err != nil {
		return s, err
	}
	s.Body = body
	s.Plugins = flatten(s.Body, nil)
	point(s.Body, &s.Plugins)
	return s, nil
}

// body parses statements up to and including the "}" that closes what
// opened at start (described by what, for the error when it is missing).
func (p *parser) body(kind string, start int, what string) ([]Statement, error) {
	var body []Statement
	for {
		p.skip()
		if p.eof() {
			return nil, p.errAt(start, "%s is not closed: missing \"}\"", what)
		}
		if p.src[p.off] == '}' {
			p.off++
			return body, nil
		}
		wstart := p.off
		switch w := p.word(isNameByte); w {
		case "if":
			if kind == "input" {
				return nil, p.errAt(wstart, "conditionals are not allowed in an input section (Logstash runs every input)")
			}
			p.off = wstart
			c, err := p.conditional(kind)
			if err != nil {
				return nil, err
			}
			body = append(body, Statement{If: c})
			continue
		case "else", "elseif":
			return nil, p.errAt(wstart, "%q without \"if\" before it", w)
		}
		p.off = wstart
		pl, err := p.plugin()
		if err != nil {
			return nil, err
		}
		body = append(body, Statement{Plugin: pl})
	}
}

// flatten appends the plugins of body, depth first, in source order.
func flatten(body []Statement, out []Plugin) []Plugin {
	for _, st := range body {
		if st.Plugin != nil {
			out = append(out, *st.Plugin)
			continue
		}
		for _, b := range st.If.Branches {
			out = flatten(b.Body, out)
		}
	}
	return out
}

// point makes body's plugins point into *plugins, which flatten built in
// the same order, so that both views share one copy.
func point(body []Statement, plugins *[]Plugin) {
	var walk func([]Statement)
	i := 0
	walk = func(body []Statement) {
		for k := range body {
			if body[k].Plugin != nil {
				body[k].Plugin = &(*plugins)[i]
				i++
				continue
			}
			for _, b := range body[k].If.Branches {
				walk(b.Body)
			}
		}
	}
	walk(body)
}

// conditional parses `if cond { … }`, then any `else if cond { … }` and
// an optional `else { … }`.
func (p *parser) conditional(kind string) (*If, error) {
	start := p.off
	leave, err := p.nest(start)
	if err != nil {
		return nil, err
	}
	defer leave()
	c := &If{Pos: p.pos(start)}
	p.off += len("if")
	bstart, what := start, "if block"
	for {
		var cond Expr
		bpos := p.pos(bstart)
		p.skip()
		if what != "else block" {
			if cond, err = p.condition(); err != nil {
				return nil, err
			}
			p.skip()
		}
		if err := p.expect('{', fmt.Sprintf(`"{" to open the %s`, what)); err != nil {
			return nil, err
		}
		body, err := p.body(kind, bstart, what)
		if err != nil {
			return nil, err
		}
		c.Branches = append(c.Branches, Branch{Pos: bpos, Cond: cond, Body: body})
		if cond == nil {
			return c, nil // else ends the chain
		}
		save := p.off
		p.skip()
		bstart = p.off
		switch p.word(isNameByte) {
		case "elseif": // Logstash's grammar allows no space: "else" _ "if"
			what = "else if block"
			continue
		case "else":
			afterElse := p.off
			p.skip()
			if p.word(isNameByte) == "if" {
				what = "else if block"
				continue
			}
			p.off = afterElse
			what = "else block"
			continue
		}
		p.off = save
		return c, nil
	}
}

func (p *parser) expect(c byte, what string) error {
	if p.eof() || p.src[p.off] != c {
		return p.expected(what)
	}
	p.off++
	return nil
}

// name reads a plugin or attribute name: [A-Za-z0-9_-]+ or a string.
func (p *parser) name(what string) (string, error) {
	if !p.eof() && (p.src[p.off] == '"' || p.src[p.off] == '\'') {
		return p.str()
	}
	n := p.word(isNameByte)
	if n == "" {
		return "", p.expected(what)
	}
	return n, nil
}

// plugin parses `name { attributes }`; repeated attributes are merged.
func (p *parser) plugin() (*Plugin, error) {
	start := p.off
	leave, err := p.nest(start)
	if err != nil {
		return nil, err
	}
	defer leave()
	name, err := p.name("a plugin name")
	if err != nil {
		return nil, err
	}
	pl := &Plugin{Name: name, Pos: p.pos(start)}
	p.skip()
	if err := p.expect('{', fmt.Sprintf(`"{" after plugin name %q`, name)); err != nil {
		return nil, err
	}
	for {
		p.skip()
		if p.eof() {
			return nil, p.errAt(start, "plugin %q is not closed: missing \"}\"", name)
		}
		if p.src[p.off] == '}' {
			p.off++
			pl.Settings = mergeSettings(pl.Settings)
			return pl, nil
		}
		kpos := p.pos(p.off)
		key, err := p.name(`an option name or "}"`)
		if err != nil {
			return nil, err
		}
		p.skip()
		if err := p.arrow(key); err != nil {
			return nil, err
		}
		p.skip()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		pl.Settings = append(pl.Settings, Setting{Key: key, Pos: kpos, Value: v})
	}
}

func (p *parser) arrow(key string) error {
	if !strings.HasPrefix(p.src[p.off:], "=>") {
		return p.expected(fmt.Sprintf(`"=>" after %q`, key))
	}
	p.off += 2
	return nil
}

func (p *parser) value() (Value, error) {
	start := p.off
	pos := p.pos(start)
	if p.eof() {
		return Value{}, p.expected("a value")
	}
	switch c := p.src[p.off]; {
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return Value{}, err
		}
		// A quoted plugin name: `codec => "json_lines" { }`.
		save := p.off
		p.skip()
		if !p.eof() && p.src[p.off] == '{' {
			p.off = start
			pl, err := p.plugin()
			return Value{Kind: PluginValue, Pos: pos, Plugin: pl}, err
		}
		p.off = save
		return Value{Kind: String, Pos: pos, Text: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		n, err := p.number()
		return Value{Kind: Number, Pos: pos, Text: n}, err
	case c == '[':
		return p.array()
	case c == '{':
		return p.hash()
	case isNameByte(c):
		// A bareword, or a plugin used as a value: `line { ... }`.
		w := p.word(isNameByte)
		save := p.off
		p.skip()
		if !p.eof() && p.src[p.off] == '{' {
			p.off = start
			pl, err := p.plugin()
			return Value{Kind: PluginValue, Pos: pos, Plugin: pl}, err
		}
		p.off = save
		if !isWordStart(w[0]) || len(w) < 2 || strings.IndexFunc(w, func(r rune) bool { return r == '-' }) >= 0 {
			return Value{}, p.errAt(start, "invalid bareword %q: quote it", w)
		}
		return Value{Kind: Bareword, Pos: pos, Text: w}, nil
	}
	return Value{}, p.expected("a value (string, number, bareword, array or hash)")
}

// str parses a single- or double-quoted string and applies Logstash's
// escapes (config.support_escapes): \" \' \\ \n \r \t; any other
// backslash pair stays as written.
func (p *parser) str() (string, error) {
	start := p.off
	q := p.src[p.off]
	p.off++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errAt(start, "string is not closed: missing %c", q)
		}
		c := p.src[p.off]
		switch {
		case c == q:
			p.off++
			return b.String(), nil
		case c == '\\' && p.off+1 < len(p.src):
			switch e := p.src[p.off+1]; e {
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			p.off += 2
		default:
			b.WriteByte(c)
			p.off++
		}
	}
}

// number parses "-"? [0-9]+ ("." [0-9]*)?.
func (p *parser) number() (string, error) {
	start := p.off
	if p.src[p.off] == '-' {
		p.off++
	}
	digits := func() int {
		s := p.off
		for !p.eof() && p.src[p.off] >= '0' && p.src[p.off] <= '9' {
			p.off++
		}
		return p.off - s
	}
	if digits() == 0 {
		return "", p.expected("a digit")
	}
	if !p.eof() && p.src[p.off] == '.' {
		p.off++
		digits()
	}
	if !p.eof() && isWordByte(p.src[p.off]) {
		return "", p.errAt(start, "invalid number %q: quote it if it is a string", p.src[start:p.off]+p.word(isNameByte))
	}
	return p.src[start:p.off], nil
}

func (p *parser) array() (Value, error) {
	start := p.off
	leave, err := p.nest(start)
	if err != nil {
		return Value{}, err
	}
	defer leave()
	v := Value{Kind: Array, Pos: p.pos(start)}
	p.off++ // [
	p.skip()
	if !p.eof() && p.src[p.off] == ']' {
		p.off++
		return v, nil
	}
	for {
		p.skip()
		item, err := p.value()
		if err != nil {
			return v, err
		}
		v.Items = append(v.Items, item)
		p.skip()
		if p.eof() {
			return v, p.errAt(start, "array is not closed: missing \"]\"")
		}
		switch p.src[p.off] {
		case ',':
			p.off++
		case ']':
			p.off++
			return v, nil
		default:
			return v, p.expected(`"," or "]" in array`)
		}
	}
}

func (p *parser) hash() (Value, error) {
	start := p.off
	leave, err := p.nest(start)
	if err != nil {
		return Value{}, err
	}
	defer leave()
	v := Value{Kind: Hash, Pos: p.pos(start)}
	seen := map[string]Pos{}
	p.off++ // {
	for {
		p.skip()
		if p.eof() {
			return v, p.errAt(start, "hash is not closed: missing \"}\"")
		}
		if p.src[p.off] == '}' {
			p.off++
			return v, nil
		}
		kpos := p.pos(p.off)
		var key string
		var err error
		switch c := p.src[p.off]; {
		case c == '"' || c == '\'':
			key, err = p.str()
		case c == '-' || c >= '0' && c <= '9':
			key, err = p.number()
		case isWordStart(c):
			key = p.word(isWordByte)
		default:
			err = p.expected(`a hash key or "}"`)
		}
		if err != nil {
			return v, err
		}
		p.skip()
		if err := p.arrow(key); err != nil {
			return v, err
		}
		p.skip()
		val, err := p.value()
		if err != nil {
			return v, err
		}
		if first, dup := seen[key]; dup {
			// Logstash refuses a hash literal with a key twice.
			return v, &Error{File: p.file, Pos: kpos, Msg: fmt.Sprintf("duplicate key %q in hash (first at %d:%d)", key, first.Line, first.Col)}
		}
		seen[key] = kpos
		v.Entries = append(v.Entries, Entry{Key: key, Pos: kpos, Value: val})
	}
}
