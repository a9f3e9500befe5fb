package mutate

import (
	"strings"

	"github.com/dlclark/regexp2/v2"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
)

// gsub is one field, pattern, replacement triple.
type gsub struct {
	ref                 event.Ref
	needle, replacement string
	re                  *regexp2.Regexp // nil: the needle has %{…}, compiled per event
}

func (g *gsub) apply(e *event.Event) {
	r := g.ref
	v, ok := e.Lookup(r)
	if !ok || v.Kind() != event.StringKind && v.Kind() != event.ListKind {
		return
	}
	re := g.re
	if re == nil {
		var err error
		if re, err = rubytext.Regexp(e.Sprintf(g.needle)); err != nil {
			return // Logstash raises here; the value stays
		}
	}
	repl := e.Sprintf(g.replacement)
	if v.Kind() == event.StringKind {
		e.Put(r, event.String(rubyGsub(re, v.Str(), repl)))
		return
	}
	out := make([]event.Value, len(v.List()))
	for i, it := range v.List() {
		if it.Kind() == event.StringKind {
			it = event.String(rubyGsub(re, it.Str(), repl))
		}
		out[i] = it
	}
	e.Put(r, event.List(out...))
}

// rubyGsub is String#gsub(re, replacement) (a match that times out
// leaves s as it was): in the replacement, \0 or \&
// is the match, \1…\9 the groups, \k<name> a named group, \` and \' the
// text before and after, \\ a backslash.
func rubyGsub(re *regexp2.Regexp, s, repl string) string {
	m, err := re.FindStringMatch(s)
	if err != nil || m == nil {
		return s
	}
	var b strings.Builder
	last := 0
	runes := []rune(s) // regexp2 indexes runes
	for ; m != nil && err == nil; m, err = re.FindNextMatch(m) {
		start, end := m.RuneIndex, m.RuneIndex+m.RuneLength
		b.WriteString(string(runes[last:start]))
		expand(&b, m, repl, runes, start, end)
		last = end
	}
	if err != nil {
		return s
	}
	b.WriteString(string(runes[last:]))
	return b.String()
}

func expand(b *strings.Builder, m *regexp2.Match, repl string, runes []rune, start, end int) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 == len(repl) {
			b.WriteByte(c)
			continue
		}
		i++
		switch d := repl[i]; {
		case d >= '0' && d <= '9':
			if g := m.GroupByNumber(int(d - '0')); g != nil {
				b.WriteString(g.String())
			}
		case d == '&':
			b.WriteString(m.String())
		case d == '`':
			b.WriteString(string(runes[:start]))
		case d == '\'':
			b.WriteString(string(runes[end:]))
		case d == '\\':
			b.WriteByte('\\')
		case d == 'k' && i+1 < len(repl) && repl[i+1] == '<':
			if j := strings.IndexByte(repl[i:], '>'); j > 0 {
				if g := m.GroupByName(repl[i+2 : i+j]); g != nil {
					b.WriteString(g.String())
				}
				i += j
				continue
			}
			b.WriteString(`\k`)
		default:
			b.WriteByte('\\')
			b.WriteByte(d)
		}
	}
}
