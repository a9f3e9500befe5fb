package condition

import (
	"fmt"
	"regexp"
	"strings"
)

// compileRuby compiles a Ruby regexp (what Logstash 5 evaluates =~ with)
// as an RE2 regexp with the same meaning where RE2 can express it:
//
//   - Ruby's ^ and $ always match at line starts and ends: (?m);
//   - \h and \H (hex digit) are spelled out, \Z (end, or before a final
//     newline) becomes \n?\z, which gives the same yes/no answer.
//
// Lookaround, backreferences, atomic groups and possessive quantifiers do
// not exist in RE2: such a pattern is refused with RE2's message, at
// `-t` time.
func compileRuby(src string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?m)")
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			i++
			switch e := src[i]; {
			case e == 'h' && inClass:
				b.WriteString("0-9a-fA-F")
			case e == 'h':
				b.WriteString("[0-9a-fA-F]")
			case e == 'H' && !inClass:
				b.WriteString("[^0-9a-fA-F]")
			case e == 'Z' && !inClass:
				b.WriteString(`\n?\z`)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			continue
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ] right after [ or [^ is a literal.
			if i+1 < len(src) && src[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(src) && src[i+1] == ']' {
				i++
				b.WriteByte(']')
			}
			continue
		case c == ']' && inClass:
			inClass = false
		}
		b.WriteByte(c)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("not supported by Go's RE2 engine, which logship uses (no lookaround, backreferences, atomic groups or possessive quantifiers): %w", err)
	}
	return re, nil
}
