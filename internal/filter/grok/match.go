package grok

import (
	"errors"

	"github.com/dlclark/regexp2/v2"
)

// span is where a group matched, in bytes; ok is false for a group that
// did not take part in the match.
type span struct {
	start, end int
	ok         bool
}

// matcher runs patterns on strings. regexp2 works on runes; matcher
// keeps the rune buffer and the rune → byte offsets between calls, so a
// match allocates nothing. It is not safe for concurrent use.
type matcher struct {
	text  string // what runes holds, so that several patterns on one text convert it once
	runes []rune
	offs  []int // byte offset of each rune and of the end; nil for ASCII text
	spans []span
}

// errGaveUp is a match that ran past timeout_millis or regexp2's
// backtracking limit.
var errGaveUp = errors.New("grok gave up")

// match runs p on s. On success, m.spans[g] is group g's span in s.
func (m *matcher) match(p *pattern, s string) (bool, error) {
	m.load(s)
	matched := false
	err := p.re.FindRunesMatches(m.runes, 0, func(v regexp2.MatchView) bool {
		matched = true
		n := v.GroupCount()
		if cap(m.spans) < n {
			m.spans = make([]span, n)
		}
		m.spans = m.spans[:n]
		for g := range m.spans {
			i, l, ok := v.GroupRange(g)
			if !ok {
				m.spans[g] = span{}
				continue
			}
			m.spans[g] = span{m.byteOffset(i), m.byteOffset(i + l), true}
		}
		return false
	})
	if err != nil {
		return false, errors.Join(errGaveUp, err)
	}
	return matched, nil
}

func (m *matcher) load(s string) {
	if s == m.text && len(m.runes) > 0 {
		return
	}
	m.text = s
	m.runes = m.runes[:0]
	m.offs = m.offs[:0]
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			m.runes = append(m.runes, rune(s[i]))
		}
		m.offs = nil
		return
	}
	for i, r := range s {
		m.runes = append(m.runes, r)
		m.offs = append(m.offs, i)
	}
	m.offs = append(m.offs, len(s))
}

// forget drops the text the matcher holds.
func (m *matcher) forget() { m.text = ""; m.runes = m.runes[:0] }

func (m *matcher) byteOffset(runeIndex int) int {
	if m.offs == nil {
		return runeIndex
	}
	return m.offs[runeIndex]
}
