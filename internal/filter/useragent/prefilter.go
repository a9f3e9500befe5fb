package useragent

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A ua-parser regexes file is about a thousand regular expressions tried
// in order; most begin with an alternation or a class, so Go's regexp
// scans the whole string for each. A prefilter skips the expressions
// that cannot match: from each expression's syntax tree it derives
// literals that every match contains, and the expression runs only when
// the user agent contains them. Skipping only what cannot match, it
// leaves the first match, and so the result, unchanged.

// literal is a string a match contains, compared in ASCII lower case when
// fold is set (the expression is case-insensitive there).
type literal struct {
	s    string
	fold bool
}

// anyOf holds when the user agent contains one of its literals.
type anyOf []literal

// prefilter holds when each of its anyOfs does; an empty one always
// holds.
type prefilter []anyOf

// newPrefilter derives the prefilter of a parsed expression.
func newPrefilter(re *syntax.Regexp) prefilter {
	var p prefilter
	for _, a := range required(re) {
		if a, ok := lowerFolded(a); ok {
			p = append(p, a)
		}
	}
	return p
}

// required returns literals every match of re contains: a literal of
// each anyOf.
func required(re *syntax.Regexp) []anyOf {
	switch re.Op {
	case syntax.OpLiteral:
		return []anyOf{{{string(re.Rune), re.Flags&syntax.FoldCase != 0}}}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		var all []anyOf
		for _, s := range re.Sub {
			all = append(all, required(s)...)
		}
		return all
	case syntax.OpAlternate:
		// Each branch contributes its most selective requirement; a branch
		// with none makes the whole alternation unconstrained.
		var any anyOf
		for _, s := range re.Sub {
			reqs := required(s)
			if len(reqs) == 0 {
				return nil
			}
			best := reqs[0]
			for _, a := range reqs[1:] {
				if shortest(a) > shortest(best) || shortest(a) == shortest(best) && len(a) < len(best) {
					best = a
				}
			}
			any = append(any, best...)
		}
		return []anyOf{any}
	}
	return nil
}

func shortest(a anyOf) int {
	n := -1
	for _, l := range a {
		if n < 0 || len(l.s) < n {
			n = len(l.s)
		}
	}
	return n
}

// lowerFolded lowers a's case-insensitive literals; ok is false when one
// is not ASCII (Unicode folding is more than ASCII lower case).
func lowerFolded(a anyOf) (anyOf, bool) {
	for i := range a {
		if !a[i].fold {
			continue
		}
		for j := 0; j < len(a[i].s); j++ {
			if a[i].s[j] >= utf8.RuneSelf {
				return nil, false
			}
		}
		a[i].s = strings.ToLower(a[i].s)
	}
	return a, true
}

// subject is a user agent as the prefilters look at it.
type subject struct {
	ua    string
	lower string // ua in ASCII lower case
	ascii bool   // ua is ASCII: lower case comparison is then exact
}

func newSubject(ua string) subject {
	s := subject{ua: ua, ascii: true}
	for i := 0; i < len(ua); i++ {
		if ua[i] >= utf8.RuneSelf {
			s.ascii = false
			break
		}
	}
	if s.ascii {
		// Under (?i), k and s also match U+212A and U+017F: with ua ASCII
		// only, lower case comparison is the same as folding.
		s.lower = strings.ToLower(ua)
	}
	return s
}

// allows reports whether the expression may match s.
func (p prefilter) allows(s *subject) bool {
	for _, a := range p {
		if !a.allows(s) {
			return false
		}
	}
	return true
}

func (a anyOf) allows(s *subject) bool {
	for _, l := range a {
		switch {
		case !l.fold:
			if strings.Contains(s.ua, l.s) {
				return true
			}
		case !s.ascii:
			return true
		case strings.Contains(s.lower, l.s):
			return true
		}
	}
	return false
}
