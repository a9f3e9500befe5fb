package useragent

import (
	_ "embed"
	"fmt"
	"regexp/syntax"

	"github.com/ua-parser/uap-go/uaparser"
	yaml "go.yaml.in/yaml/v3"
)

// defaultRegexes is the regexes.yaml logstash-filter-useragent 3.2.3
// (Logstash 5.6.16) ships: ua-parser/uap-core at commit 23bfabe34b86
// (2018-09-14), SHA-1 71e349c4e547939bd05240a2056cf335cbeabca0, the
// checksum its build verifies. Apache 2.0, see uapcore/LICENSE.
//
//go:embed uapcore/regexes.yaml
var defaultRegexes []byte

// parser is ua-parser (github.com/ua-parser/uap-go) over one regexes
// file, each expression behind its prefilter.
type parser struct {
	def                                 *uaparser.RegexDefinitions
	uaFilters, osFilters, deviceFilters []prefilter
}

// result is what one user agent parses to; an empty string is a version
// the user agent does not have.
type result struct {
	name, major, minor, patch string
	os, osMajor, osMinor      string
	device                    string
}

// newParser compiles a ua-parser regexes file. Logstash refuses a file
// without one of the three lists or with an entry without a regex; Go's
// regexp refuses what RE2 lacks (look-around, back references), which
// uap-go would panic on: each is an error naming the entry.
func newParser(src []byte) (*parser, error) {
	var def uaparser.RegexDefinitions
	if err := yaml.Unmarshal(src, &def); err != nil {
		return nil, err
	}
	type entry struct{ expr, flags string }
	lists := []struct {
		name    string
		entries []entry
	}{{name: "user_agent_parsers"}, {name: "os_parsers"}, {name: "device_parsers"}}
	for _, p := range def.UA {
		lists[0].entries = append(lists[0].entries, entry{p.Expr, p.Flags})
	}
	for _, p := range def.OS {
		lists[1].entries = append(lists[1].entries, entry{p.Expr, p.Flags})
	}
	for _, p := range def.Device {
		lists[2].entries = append(lists[2].entries, entry{p.Expr, p.Flags})
	}
	p := &parser{}
	filters := []*[]prefilter{&p.uaFilters, &p.osFilters, &p.deviceFilters}
	for i, l := range lists {
		if len(l.entries) == 0 {
			return nil, fmt.Errorf("%s is missing or empty", l.name)
		}
		for j, e := range l.entries {
			if e.expr == "" {
				return nil, fmt.Errorf("%s entry %d has no regex", l.name, j+1)
			}
			// As uap-go compiles it: its syntax errors are regexp's.
			expr := e.expr
			if e.flags != "" {
				expr = "(?" + e.flags + ")" + expr
			}
			re, err := syntax.Parse(expr, syntax.Perl)
			if err != nil {
				return nil, fmt.Errorf("%s entry %d: %w", l.name, j+1, err)
			}
			*filters[i] = append(*filters[i], newPrefilter(re))
		}
	}
	// uap-go compiles the expressions into def's entries; its own cache is
	// not used (parse calls the entries directly), so it gets the least.
	up, err := uaparser.New(uaparser.WithRegexDefinitions(def), uaparser.WithCacheSize(1))
	if err != nil {
		return nil, err
	}
	p.def = up.RegexDefinitions
	return p, nil
}

// parse parses ua as uap-go's ParseUserAgent, ParseOs and ParseDevice do,
// and keeps what Logstash sets.
func (p *parser) parse(ua string) *result {
	s := newSubject(ua)
	agent, os := p.agent(&s), p.os(&s)
	r := &result{
		name: agent.Family, major: agent.Major, minor: agent.Minor, patch: agent.Patch,
		os: os.Family, device: p.device(&s),
	}
	// Logstash sets os_major and os_minor only when the OS has both.
	if os.Major != "" && os.Minor != "" {
		r.osMajor, r.osMinor = os.Major, os.Minor
	}
	return r
}

// agent, os and device each return what the first entry of their list
// that matches s and yields a name gives, else "Other", trying only the
// entries whose prefilter allows s.
func (p *parser) agent(s *subject) uaparser.UserAgent {
	var r uaparser.UserAgent
	for i, e := range p.def.UA {
		if p.uaFilters[i].allows(s) {
			if e.Match(s.ua, &r); r.Family != "" {
				return r
			}
		}
	}
	return uaparser.UserAgent{Family: "Other"}
}

func (p *parser) os(s *subject) uaparser.Os {
	var r uaparser.Os
	for i, e := range p.def.OS {
		if p.osFilters[i].allows(s) {
			if e.Match(s.ua, &r); r.Family != "" {
				return r
			}
		}
	}
	return uaparser.Os{Family: "Other"}
}

func (p *parser) device(s *subject) string {
	var r uaparser.Device
	for i, e := range p.def.Device {
		if p.deviceFilters[i].allows(s) {
			if e.Match(s.ua, &r); r.Family != "" {
				return r.Family
			}
		}
	}
	return "Other"
}
