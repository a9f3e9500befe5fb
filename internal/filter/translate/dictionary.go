package translate

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dlclark/regexp2/v2"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/rubytext"
)

// dictionary is keys and their translations in insertion order, which a
// Ruby Hash keeps and the regex mode tries keys in.
type dictionary struct {
	keys  []string
	vals  []event.Value
	index map[string]int
}

func newDictionary() *dictionary { return &dictionary{index: map[string]int{}} }

// set adds key, or replaces its value where it is, as Hash#[]= does.
func (d *dictionary) set(key string, v event.Value) {
	if i, ok := d.index[key]; ok {
		d.vals[i] = v
		return
	}
	d.index[key] = len(d.keys)
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
}

// merged returns d with other's entries set in, as Hash#merge does;
// d is unchanged.
func (d *dictionary) merged(other *dictionary) *dictionary {
	out := &dictionary{
		keys:  append([]string(nil), d.keys...),
		vals:  append([]event.Value(nil), d.vals...),
		index: make(map[string]int, len(d.index)+len(other.keys)),
	}
	for k, i := range d.index {
		out.index[k] = i
	}
	for i, k := range other.keys {
		out.set(k, other.vals[i])
	}
	return out
}

// matcher is a dictionary compiled for one way of matching.
type matcher struct {
	dict *dictionary
	// regex: the keys as Ruby regular expressions, for exact => true,
	// regex => true; a key whose match times out does not match.
	regex []*regexp2.Regexp
	// union matches any key literally, the first key first at a position,
	// as Ruby's Regexp.union does: for exact => false. Nil when there are
	// no keys.
	union *regexp.Regexp
}

// compile prepares d for the mode: regex keys compiled with a
// backtracking engine, as Ruby's Regexp.new (^ and $ at line
// boundaries), or the keys' union for substitution.
func compile(d *dictionary, exact, regex bool) (*matcher, error) {
	m := &matcher{dict: d}
	switch {
	case exact && regex:
		m.regex = make([]*regexp2.Regexp, len(d.keys))
		for i, k := range d.keys {
			re, err := rubytext.Regexp(k)
			if err != nil {
				return nil, fmt.Errorf("key %q is not a regular expression: %w", k, err)
			}
			m.regex[i] = re
		}
	case !exact && len(d.keys) > 0:
		quoted := make([]string, len(d.keys))
		for i, k := range d.keys {
			quoted[i] = regexp.QuoteMeta(k)
		}
		re, err := regexp.Compile(strings.Join(quoted, "|"))
		if err != nil {
			return nil, fmt.Errorf("the keys' union: %w", err)
		}
		m.union = re
	}
	return m, nil
}

// exactly returns the translation of s when it is a key.
func (m *matcher) exactly(s string) (event.Value, bool) {
	i, ok := m.dict.index[s]
	if !ok {
		return event.Value{}, false
	}
	return m.dict.vals[i], true
}

// firstMatching returns the translation of the first key, in order, whose
// regular expression matches s.
func (m *matcher) firstMatching(s string) (event.Value, bool) {
	for i, re := range m.regex {
		if ok, err := re.MatchString(s); err == nil && ok {
			return m.dict.vals[i], true
		}
	}
	return event.Value{}, false
}

// substitute replaces every key found in s by its translation (as text),
// as String#gsub with the keys' union and the dictionary does.
func (m *matcher) substitute(s string) string {
	if m.union == nil {
		return s
	}
	return m.union.ReplaceAllStringFunc(s, func(k string) string {
		v, _ := m.exactly(k)
		return rubytext.ToS(v)
	})
}
