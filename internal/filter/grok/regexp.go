package grok

import (
	"fmt"
	"time"
)

// Regexp is a grok pattern that only answers whether a text matches: how
// the multiline codec uses grok. Copy it for each goroutine: a Regexp is
// not safe for concurrent use, its copies share the compiled pattern.
type Regexp struct {
	p *pattern
	m matcher
}

// CompileRegexp expands source with Logstash's built-in patterns and the
// patterns of every file of patternsDir (a directory contributes all its
// files, as the multiline codec loads them), then compiles it. A match
// running longer than timeout (0: no bound) is abandoned.
func CompileRegexp(source string, patternsDir []string, timeout time.Duration) (*Regexp, error) {
	core, err := builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in patterns: %w", err)
	}
	files, err := patternFiles(patternsDir, "*")
	if err != nil {
		return nil, err
	}
	lib, err := core.withFiles(files)
	if err != nil {
		return nil, err
	}
	p, err := compile(source, lib, true, timeout)
	if err != nil {
		return nil, err
	}
	return &Regexp{p: p}, nil
}

// Copy returns a Regexp sharing r's compiled pattern, for another
// goroutine.
func (r *Regexp) Copy() *Regexp { return &Regexp{p: r.p} }

// MatchString reports whether s contains a match of r. An error means the
// match was abandoned (timeout or backtracking limit).
func (r *Regexp) MatchString(s string) (bool, error) {
	defer r.m.forget()
	return r.m.match(r.p, s)
}
