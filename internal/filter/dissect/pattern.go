package dissect

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/event"
)

// kind is what a dissect field does with its value.
type kind uint8

const (
	skip     kind = iota // %{} or %{?name}: found, not stored
	normal               // %{name}: stored under name
	appended             // %{+name} or %{+name/n}: appended to name
	indirect             // %{&name}: stored under the value of name
)

// field is one %{…} of a dissection.
type field struct {
	kind  kind
	name  string
	ref   event.Ref // of name, for normal, append and indirect fields
	order int       // the append order (/n), for sorting
	// prev is the delimiter before the field (the first field's is the
	// text the mapping starts with); next the one after it. greedy: the
	// -> suffix, which makes next skip its repetitions.
	prev, next string
	greedy     bool
}

// dissector is one compiled dissection: fields in text order, and the
// stored ones in the order they are stored (normal, append by order,
// indirect), as logstash-filter-dissect does.
type dissector struct {
	mapping   string
	fields    []field
	saved     []int // indexes into fields
	leadDelim bool  // the mapping starts with a delimiter
}

// fieldSyntax is the plugin's DELIMITER_FIELD_PATTERN: text up to %{,
// the field up to the first }.
var fieldSyntax = regexp.MustCompile(`(?s)(.*?)%\{([^}]*?)}`)

// suffix is the plugin's SUFFIX_REGEX: an order (/n), a padding marker
// (->), or both, at the end of a field's name.
var (
	suffixOnly = regexp.MustCompile(`^(/\d{1,2}|->|/\d{1,2}->|->/\d{1,2})?$`)
	suffix     = regexp.MustCompile(`^(.+?)(/\d{1,2}|->|/\d{1,2}->|->/\d{1,2})?$`)
	digits     = regexp.MustCompile(`\d+`)
)

// compile reads a dissection as logstash-filter-dissect 1.2 does.
// Text after the last field is a delimiter that must be found; the
// text it precedes is skipped.
func compile(mapping string) (*dissector, error) {
	if mapping == "" {
		return nil, fmt.Errorf("the dissection is empty")
	}
	d := &dissector{mapping: mapping}
	rest := mapping
	for _, m := range fieldSyntax.FindAllStringSubmatchIndex(mapping, -1) {
		delim, spec := mapping[m[2]:m[3]], mapping[m[4]:m[5]]
		f, err := parseField(spec)
		if err != nil {
			return nil, fmt.Errorf("field %%{%s}: %w", spec, err)
		}
		f.prev = delim
		if n := len(d.fields); n > 0 {
			d.fields[n-1].next = delim
		} else {
			d.leadDelim = delim != ""
		}
		d.fields = append(d.fields, f)
		rest = mapping[m[1]:]
	}
	if len(d.fields) == 0 {
		return nil, fmt.Errorf("the dissection %q has no %%{field}", mapping)
	}
	if i := strings.LastIndexByte(rest, '}'); i >= 0 {
		rest = rest[i+1:]
	}
	if rest != "" {
		d.fields[len(d.fields)-1].next = rest
		d.fields = append(d.fields, field{kind: skip, name: "auto_added_skip", prev: rest})
	}
	for i, f := range d.fields {
		if f.kind != skip {
			d.saved = append(d.saved, i)
		}
	}
	sort.SliceStable(d.saved, func(a, b int) bool {
		return d.fields[d.saved[a]].ordinal() < d.fields[d.saved[b]].ordinal()
	})
	return d, nil
}

func (f *field) ordinal() int {
	switch f.kind {
	case normal:
		return 1
	case appended:
		return 100 + f.order
	}
	return 1000
}

// parseField reads what is between %{ and }: a prefix (? skip, + append,
// & indirect), the name, and a suffix (/n order, -> padding).
func parseField(spec string) (field, error) {
	var f field
	body := spec
	switch {
	case spec == "" || spec[0] == '?':
		f.kind = skip
		body = strings.TrimPrefix(spec, "?")
	case strings.HasPrefix(spec, "+&"), strings.HasPrefix(spec, "&+"):
		return f, fmt.Errorf("a field cannot be both append (+) and indirect (&)")
	case spec[0] == '+':
		f.kind = appended
		body = spec[1:]
	case spec[0] == '&':
		f.kind = indirect
		body = spec[1:]
	default:
		f.kind = normal
	}
	if (f.kind == appended || f.kind == indirect) && body == "" {
		return f, fmt.Errorf("a prefix needs a name after it")
	}
	var suf string
	if suffixOnly.MatchString(body) {
		suf = body
		body = ""
	} else if m := suffix.FindStringSubmatch(body); m != nil {
		body, suf = m[1], m[2]
	}
	f.name = body
	f.greedy = strings.Contains(suf, "->")
	if d := digits.FindString(suf); d != "" {
		f.order, _ = strconv.Atoi(d)
	}
	switch {
	case f.name == "" && f.kind != skip && f.kind != normal:
		return f, fmt.Errorf("a prefix needs a name after it")
	case f.name == "" && f.kind == normal:
		f.kind = skip // %{->}: padding skipped, nothing stored
	}
	if f.kind != skip {
		r, err := event.ParseRef(f.name)
		if err != nil {
			return f, err
		}
		f.ref = r
	}
	return f, nil
}

// span is where a field's value is in the text.
type span struct{ start, end int }

// dissect finds each field's value in s, with the plugin's algorithm;
// ok is false when a delimiter is not found where it must be.
func (d *dissector) dissect(s string, spans []span) (ok bool) {
	left := 0
	last := len(d.fields) - 1
	for i := 0; i < last; i++ {
		f := &d.fields[i]
		start, ok := d.beyond(s, i, left)
		if !ok {
			return false
		}
		left = start
		pos := strings.Index(s[left:], f.next)
		if f.next == "" || pos < 0 {
			// An empty delimiter (%{a}%{b}) is never found, as in the plugin.
			return false
		}
		pos += left
		spans[i] = span{left, left}
		if pos > 0 {
			spans[i] = span{left, pos}
			left = pos + len(f.next)
		}
	}
	start, ok := d.beyond(s, last, left)
	if !ok {
		return false
	}
	spans[last] = span{start, len(s)}
	return true
}

// beyond moves past field i's leading delimiter: its repetitions when
// the field before it has ->, the mapping's leading text for the first
// field. It returns where the field's value starts.
func (d *dissector) beyond(s string, i, left int) (int, bool) {
	f := &d.fields[i]
	if i > 0 && d.fields[i-1].greedy {
		for f.prev != "" && strings.HasPrefix(s[left:], f.prev) {
			left += len(f.prev)
		}
		return left, true
	}
	if i == 0 && d.leadDelim {
		if !strings.HasPrefix(s, f.prev) {
			return 0, false
		}
		left = len(f.prev)
	}
	return left, true
}
