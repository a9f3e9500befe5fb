package grok

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"

	"github.com/appstack/appstack/internal/event"
)

// maxExpanded bounds a pattern's expansion: definitions that refer to
// each other twice per level grow exponentially.
const maxExpanded = 1 << 20

// capture is one named group of a pattern as jls-grok (the grok library
// of Logstash 5) reports it: groups of the same name share an entry,
// entries come in the order their name first appears, and each entry
// yields its groups in pattern order.
type capture struct {
	field  string // as written: what overwrite compares with
	ref    event.Ref
	coerce byte  // 0, 'i' (:int) or 'f' (:float)
	groups []int // regexp2 group numbers
}

// pattern is one compiled match pattern.
type pattern struct {
	re       *regexp2.Regexp
	captures []capture
}

// compile expands source with the patterns of lib (jls-grok's %{NAME},
// %{NAME:field}, %{NAME:field:int|float} and %{NAME=definition}), turns
// the Ruby (Onigmo) regular expression into regexp2's dialect and
// compiles it. Unnamed %{NAME} capture only when namedOnly is false.
func compile(source string, lib library, namedOnly bool, timeout time.Duration) (*pattern, error) {
	x := expander{lib: lib, namedOnly: namedOnly}
	if err := x.expand(source); err != nil {
		return nil, err
	}
	expr, groups, err := translate(x.out.String(), x.names)
	if err != nil {
		return nil, err
	}
	// Ruby's grok regexps are Regexp::MULTILINE (. matches a newline) and
	// Ruby's ^ and $ always match at line breaks. RE2 mode gives Ruby's
	// ASCII \w, \d and \s, POSIX bracket classes, and keeps lookaround,
	// atomic groups and possessive quantifiers. Only named groups capture,
	// as in Ruby when a regexp has named groups.
	re, err := regexp2.Compile(expr, regexp2.RE2|regexp2.Multiline|regexp2.Singleline|regexp2.ExplicitCapture)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	if timeout > 0 {
		re.MatchTimeout = timeout
	}
	p := &pattern{re: re}
	byName := map[string]int{}
	for _, g := range groups {
		num := re.GroupNumberFromName(g.net)
		if num < 0 {
			return nil, fmt.Errorf("group %q lost in compilation", g.ruby)
		}
		if i, ok := byName[g.ruby]; ok {
			p.captures[i].groups = append(p.captures[i].groups, num)
			continue
		}
		c, err := newCapture(g.ruby)
		if err != nil {
			return nil, err
		}
		c.groups = []int{num}
		byName[g.ruby] = len(p.captures)
		p.captures = append(p.captures, c)
	}
	return p, nil
}

// newCapture reads a group name as jls-grok does: "PATTERN:field:type"
// split at colons; a name without a field is its own field.
func newCapture(name string) (capture, error) {
	parts := strings.Split(name, ":")
	for len(parts) > 1 && parts[len(parts)-1] == "" { // Ruby's split drops trailing empties
		parts = parts[:len(parts)-1]
	}
	c := capture{field: parts[0]}
	if len(parts) > 1 {
		c.field = parts[1]
	}
	if len(parts) > 2 {
		switch parts[2] {
		case "int":
			c.coerce = 'i'
		case "float":
			c.coerce = 'f'
		}
	}
	if c.field == "" {
		return c, fmt.Errorf("capture %q names no field", name)
	}
	ref, err := event.ParseRef(c.field)
	if err != nil {
		return c, fmt.Errorf("capture %q: %w", name, err)
	}
	c.ref = ref
	return c, nil
}

// expander expands %{…} references depth first, left to right: the
// order in which jls-grok substitutes them, so an inline definition
// (%{NAME=regexp}) applies to the references after it.
type expander struct {
	lib       library
	copied    bool // lib is this expander's own copy
	namedOnly bool
	out       strings.Builder
	names     []string // the jls-grok name of each group written, by marker number
	stack     []string // names being expanded
}

// groupMarker starts the name of a group the expander writes, so that
// translate tells them from a user's own (?<name>…).
const groupMarker = "\x00"

func (x *expander) expand(s string) error {
	for {
		i := strings.Index(s, "%{")
		if i < 0 {
			x.out.WriteString(s)
			return nil
		}
		r, n, ok := parseRef(s[i:])
		if !ok {
			x.out.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		x.out.WriteString(s[:i])
		s = s[i+n:]
		if r.hasDefinition {
			if !x.copied {
				x.lib = maps.Clone(x.lib)
				x.copied = true
			}
			x.lib[r.pattern] = r.definition
		}
		body, found := x.lib[r.pattern]
		if !found {
			return fmt.Errorf("pattern %%{%s} not defined", r.name)
		}
		if slices.Contains(x.stack, r.pattern) {
			return fmt.Errorf("pattern %%{%s} refers to itself (through %s)", r.pattern, strings.Join(x.stack, " → "))
		}
		if x.namedOnly && !strings.Contains(r.name, ":") {
			x.out.WriteString("(?:")
		} else {
			x.out.WriteString("(?<" + groupMarker + strconv.Itoa(len(x.names)) + ">")
			x.names = append(x.names, r.name)
		}
		x.stack = append(x.stack, r.pattern)
		if err := x.expand(body); err != nil {
			return err
		}
		x.stack = x.stack[:len(x.stack)-1]
		x.out.WriteString(")")
		if x.out.Len() > maxExpanded {
			return fmt.Errorf("pattern expands to more than %d bytes", maxExpanded)
		}
	}
}

// ref is one %{…} reference.
type ref struct {
	name          string // "PATTERN" or "PATTERN:subname", the group's name
	pattern       string
	hasDefinition bool
	definition    string
}

// parseRef reads the reference s starts with ("%{"), as jls-grok's
// PATTERN_RE does: a name of [A-z0-9] characters, an optional
// :subname of [@\[\]A-z0-9_:.-] characters, an optional =definition
// (balanced braces, backslash escapes), anything else up to the closing
// brace ignored. It returns the length read; ok is false when s does not
// start a reference, which then stays literal text.
func parseRef(s string) (r ref, n int, ok bool) {
	isName := func(c byte) bool { return c >= 'A' && c <= 'z' || c >= '0' && c <= '9' }
	isSub := func(c byte) bool { return isName(c) || strings.IndexByte("@[]_:.-", c) >= 0 }
	i := 2
	for i < len(s) && isName(s[i]) {
		i++
	}
	if i == 2 {
		return ref{}, 0, false
	}
	r.pattern = s[2:i]
	if i+1 < len(s) && s[i] == ':' && isSub(s[i+1]) {
		i++
		for i < len(s) && isSub(s[i]) {
			i++
		}
	}
	r.name = s[2:i]
	if i < len(s) && s[i] == '=' {
		start, depth := i+1, 0
		for i++; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
				continue
			case '{':
				depth++
				continue
			case '}':
				depth--
			default:
				continue
			}
			if depth < 0 {
				break
			}
		}
		if i > len(s) {
			i = len(s)
		}
		r.hasDefinition, r.definition = true, s[start:i]
		if r.definition == "" {
			return ref{}, 0, false
		}
	}
	end := strings.IndexByte(s[i:], '}')
	if end < 0 {
		return ref{}, 0, false
	}
	return r, i + end + 1, true
}

// group is one named group of a translated regexp: its Ruby name and
// the name regexp2 knows it by.
type group struct{ ruby, net string }

// translate rewrites a Ruby (Onigmo) regular expression for regexp2:
// named groups are renamed g0, g1, … (Ruby allows names such as
// "NUMBER:[a][b]:int"), (?m) becomes (?s) (Ruby's m is dot-all), \h is a
// hex digit, \R a line break, {,n} is {0,n}. What regexp2 would read
// differently and has no rewrite is refused, rather than matching
// something else.
func translate(s string, markers []string) (string, []group, error) {
	b := make(buf, 0, len(s)+len(s)/8)
	var groups []group
	netName := func(ruby string) string {
		n := "g" + strconv.Itoa(len(groups))
		groups = append(groups, group{ruby: ruby, net: n})
		return n
	}
	var (
		open      []int // output offsets of the open groups
		atom      = -1  // output offset of the last atom, the target of a quantifier
		quantEnd  = -1  // output offset just past the last quantifier
		quantFlex bool  // that quantifier is ?, * or + without a modifier
		interval  bool  // that quantifier is {n,}, {n,m} or {,m} without a modifier
	)
	for i := 0; i < len(s); {
		c := s[i]
		if q := quantifierLen(s[i:]); q > 0 {
			afterQuant := quantEnd == len(b) && atom >= 0
			switch {
			case afterQuant && c == '?' && (quantFlex || interval):
				b.WriteByte('?') // lazy
				quantFlex, interval = false, false
			case afterQuant && c == '+' && quantFlex:
				b.WriteByte('+') // possessive, as in Ruby
				quantFlex = false
			default:
				if afterQuant {
					// Ruby reads a quantifier of a quantifier (x?*, x{2}+) as
					// a nested repetition, which regexp2 refuses or reads as
					// possessive: make the nesting explicit.
					b = slices.Insert(b, atom, []byte("(?:")...)
					b.WriteByte(')')
				}
				b.writeQuantifier(s[i : i+q])
				// Ruby's {n}? is (?:x{n})?, not lazy: only ranges take ?.
				quantFlex, interval = q == 1, c == '{' && strings.Contains(s[i:i+q], ",")
			}
			i += q
			quantEnd = len(b)
			continue
		}
		switch c {
		case '\\':
			atom = len(b)
			n, err := translateEscape(&b, s[i:], groups)
			if err != nil {
				return "", nil, err
			}
			i += n
		case '[':
			atom = len(b)
			n, err := translateClass(&b, s[i:])
			if err != nil {
				return "", nil, err
			}
			i += n
		case '(':
			at := len(b)
			n, opens, err := translateGroup(&b, s[i:], markers, netName)
			if err != nil {
				return "", nil, err
			}
			if opens {
				open = append(open, at)
			}
			atom = -1
			i += n
		case ')':
			if len(open) > 0 {
				atom = open[len(open)-1]
				open = open[:len(open)-1]
			}
			b.WriteByte(c)
			i++
		case '|':
			atom = -1
			b.WriteByte(c)
			i++
		default:
			atom = len(b)
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return string(b), groups, nil
}

// quantifierLen returns the length of the quantifier s starts with: ?,
// * or +, or a Ruby interval {n}, {n,}, {n,m} or {,m}; 0 if none.
func quantifierLen(s string) int {
	switch s[0] {
	case '?', '*', '+':
		return 1
	case '{':
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return 0
		}
		lo, hi, comma := strings.Cut(s[1:end], ",")
		if (lo == "" || allDigits(lo)) && (hi == "" || allDigits(hi)) && (lo != "" || comma && hi != "") {
			return end + 1
		}
	}
	return 0
}

// buf is the translated expression being written.
type buf []byte

func (b *buf) WriteByte(c byte) error { *b = append(*b, c); return nil }
func (b *buf) WriteString(s string)   { *b = append(*b, s...) }
func (b *buf) writeQuantifier(q string) {
	if strings.HasPrefix(q, "{,") { // Ruby's {,n} is {0,n}; regexp2 would read it as text
		b.WriteString("{0")
		q = q[1:]
	}
	b.WriteString(q)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// translateGroup handles s starting with "(" and returns how much it read.
func translateGroup(b *buf, s string, markers []string, netName func(string) string) (n int, opens bool, err error) {
	if len(s) < 2 || s[1] != '?' {
		b.WriteByte('(')
		return 1, true, nil
	}
	if len(s) < 3 {
		return 0, false, fmt.Errorf("unterminated group at %q", s)
	}
	switch s[2] {
	case ':', '=', '!', '>':
		b.WriteString(s[:3])
		return 3, true, nil
	case '#':
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return 0, false, fmt.Errorf("unterminated comment (?#")
		}
		return end + 1, false, nil
	case '<', '\'':
		if s[2] == '<' && len(s) > 3 && (s[3] == '=' || s[3] == '!') {
			b.WriteString(s[:4])
			return 4, true, nil
		}
		close := byte('>')
		if s[2] == '\'' {
			close = '\''
		}
		end := strings.IndexByte(s[3:], close)
		if end < 0 {
			return 0, false, fmt.Errorf("unterminated group name at %q", trim(s))
		}
		name := s[3 : 3+end]
		if name == "" {
			return 0, false, fmt.Errorf("empty group name")
		}
		if strings.HasPrefix(name, groupMarker) {
			k, _ := strconv.Atoi(name[len(groupMarker):])
			name = markers[k]
		} else if strings.Contains(name, groupMarker) {
			return 0, false, fmt.Errorf("group name %q: not supported", name)
		}
		b.WriteString("(?<" + netName(name) + ">")
		return 3 + end + 1, true, nil
	case '~':
		return 0, false, fmt.Errorf("the absence operator (?~…) is not supported")
	case '(':
		return 0, false, fmt.Errorf("conditional groups (?(…)…) are not supported")
	case 'P':
		return 0, false, fmt.Errorf("(?P<name>…) is not Ruby syntax: use (?<name>…)")
	}
	// Options: (?imx-imx) or (?imx-imx:…). Ruby's m is regexp2's s.
	j := 2
	for j < len(s) && strings.IndexByte("imx-", s[j]) >= 0 {
		j++
	}
	if j == len(s) || (s[j] != ')' && s[j] != ':') {
		return 0, false, fmt.Errorf("unknown group construct at %q", trim(s))
	}
	b.WriteString("(?")
	b.WriteString(strings.ReplaceAll(s[2:j], "m", "s"))
	b.WriteByte(s[j])
	return j + 1, s[j] == ':', nil
}

// translateEscape handles s starting with a backslash.
func translateEscape(b *buf, s string, groups []group) (int, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("trailing backslash")
	}
	switch c := s[1]; c {
	case 'h':
		b.WriteString("[0-9a-fA-F]")
	case 'H':
		b.WriteString("[^0-9a-fA-F]")
	case 'R':
		b.WriteString("(?:\r\n|[\n\v\f\r\u0085\u2028\u2029])")
	case 'k':
		if len(s) < 3 || (s[2] != '<' && s[2] != '\'') {
			return 0, fmt.Errorf(`\k needs a group name: \k<name>`)
		}
		close := byte('>')
		if s[2] == '\'' {
			close = '\''
		}
		end := strings.IndexByte(s[3:], close)
		if end < 0 {
			return 0, fmt.Errorf(`unterminated \k<name>`)
		}
		name := s[3 : 3+end]
		for _, g := range groups {
			if g.ruby == name {
				b.WriteString(`\k<` + g.net + `>`)
				return 3 + end + 1, nil
			}
		}
		return 0, fmt.Errorf(`\k<%s> refers to no group before it`, name)
	case 'g':
		return 0, fmt.Errorf(`subexpression calls (\g) are not supported`)
	case 'K':
		return 0, fmt.Errorf(`\K is not supported`)
	case 'X':
		return 0, fmt.Errorf(`\X is not supported`)
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return 0, fmt.Errorf(`numbered back-references (\%c) are not supported with named captures: use (?<name>…) and \k<name>`, c)
	default:
		// Copy the escape and the whole character it escapes.
		n := 2
		for n < len(s) && n < 5 && s[n]&0xC0 == 0x80 {
			n++
		}
		b.WriteString(s[:n])
		return n, nil
	}
	return 2, nil
}

// translateClass copies the character class s starts with. Inside it,
// \h becomes 0-9a-fA-F; POSIX brackets ([:alpha:]) stay; Ruby's nested
// classes and && intersections, which regexp2 would read as literal
// characters, are refused.
func translateClass(b *buf, s string) (int, error) {
	i := 1
	b.WriteByte('[')
	if i < len(s) && s[i] == '^' {
		b.WriteByte('^')
		i++
	}
	if i < len(s) && s[i] == ']' { // a leading ] is literal
		b.WriteString(`\]`)
		i++
	}
	for i < len(s) {
		switch c := s[i]; {
		case c == ']':
			b.WriteByte(']')
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(s) {
				return 0, fmt.Errorf("trailing backslash in a character class")
			}
			switch s[i+1] {
			case 'h':
				b.WriteString("0-9a-fA-F")
			case 'H', 'R', 'X', 'K':
				return 0, fmt.Errorf(`\%c in a character class is not supported`, s[i+1])
			default:
				b.WriteString(s[i : i+2])
			}
			i += 2
		case c == '[':
			if i+1 < len(s) && s[i+1] == ':' {
				end := strings.Index(s[i:], ":]")
				if end < 0 {
					return 0, fmt.Errorf("unterminated POSIX class at %q", trim(s[i:]))
				}
				b.WriteString(s[i : i+end+2])
				i += end + 2
				continue
			}
			return 0, fmt.Errorf("nested character classes are not supported: escape the [ (\\[)")
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			return 0, fmt.Errorf("character class intersection (&&) is not supported")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return 0, fmt.Errorf("unterminated character class at %q", trim(s))
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
