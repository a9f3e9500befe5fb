package csv

import (
	"errors"
	"fmt"
	"strings"
)

// field is one parsed column: nil for an unquoted empty column.
type field struct {
	text string
	null bool
}

var errNoRow = errors.New("no row: the text is empty")

// parseLine is Ruby 1.9's CSV.parse_line (JRuby 1.7, Logstash 5): the
// row separator is the first "\r\n", "\n" or "\r" in the text (else
// "\n"); the first row is split on sep and quoted columns rejoined, with
// its errors (stray or unclosed quotes, a line break in an unquoted
// column). An empty text has no row (Logstash then fails the event); a
// blank line is a row without columns. A sep of one space splits like
// awk: on runs of white space, leading white space ignored.
func parseLine(text, sep, quote string) ([]field, error) {
	rowSep := "\n"
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		rowSep = text[i : i+1]
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			rowSep = "\r\n"
		}
	}
	rest := text
	gets := func() (string, bool) {
		if rest == "" {
			return "", false
		}
		line := rest
		if i := strings.Index(rest, rowSep); i >= 0 {
			line, rest = rest[:i+len(rowSep)], rest[i+len(rowSep):]
		} else {
			rest = ""
		}
		return strings.TrimSuffix(line, rowSep), true
	}
	var row []field
	inQuoted := false
	for {
		line, ok := gets()
		if !ok {
			if inQuoted {
				return nil, fmt.Errorf("unclosed quoted field on line 1")
			}
			return nil, errNoRow
		}
		if len(row) == 0 && line == "" {
			return []field{}, nil
		}
		parts := split(line, sep)
		if len(parts) == 0 {
			if inQuoted {
				row[len(row)-1].text += sep
			} else {
				row = append(row, field{null: true})
			}
		}
		for _, part := range parts {
			switch {
			case inQuoted:
				if strings.HasSuffix(part, quote) && strings.Count(part, quote)%2 != 0 {
					last := &row[len(row)-1]
					last.text += strings.TrimSuffix(part, quote)
					if hasStrayQuote(last.text, quote) {
						return nil, fmt.Errorf("missing or stray quote in line 1")
					}
					last.text = strings.ReplaceAll(last.text, quote+quote, quote)
					inQuoted = false
				} else {
					row[len(row)-1].text += part + sep
				}
			case strings.HasPrefix(part, quote):
				if !strings.HasSuffix(part, quote) || strings.Count(part, quote)%2 != 0 {
					row = append(row, field{text: part[len(quote):] + sep})
					inQuoted = true
					continue
				}
				inner := part[len(quote) : len(part)-len(quote)]
				if hasStrayQuote(inner, quote) {
					return nil, fmt.Errorf("missing or stray quote in line 1")
				}
				row = append(row, field{text: strings.ReplaceAll(inner, quote+quote, quote)})
			case strings.ContainsAny(part, "\r\n"):
				return nil, fmt.Errorf("unquoted fields do not allow \\r or \\n (line 1)")
			case strings.Contains(part, quote):
				return nil, fmt.Errorf("illegal quoting in line 1")
			default:
				row = append(row, field{text: part, null: part == ""})
			}
		}
		if !inQuoted {
			return row, nil
		}
		// Ruby replaces the last character (the separator just added) of
		// the open column with the row separator, then reads on.
		last := &row[len(row)-1]
		_, size := lastRune(last.text)
		last.text = last.text[:len(last.text)-size] + rowSep
		if rest == "" {
			return nil, fmt.Errorf("unclosed quoted field on line 1")
		}
	}
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return []rune(s[i:])[0], len(s) - i
		}
	}
	return 0, 0
}

// hasStrayQuote is Ruby CSV's /[^"]"[^"]/: a quote with a non-quote
// character on each side.
func hasStrayQuote(s, quote string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], quote)
		if j < 0 {
			return false
		}
		j += i
		before, after := s[:j], s[j+len(quote):]
		if before != "" && !strings.HasSuffix(before, quote) && after != "" && !strings.HasPrefix(after, quote) {
			return true
		}
		i = j + len(quote)
	}
}

// split is Ruby's String#split(sep, -1): trailing empty strings kept; a
// sep of " " splits on runs of white space, ignoring leading white space.
func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	if sep != " " {
		return strings.Split(s, sep)
	}
	var parts []string
	i := 0
	for i < len(s) && isRubySpace(s[i]) {
		i++
	}
	if i == len(s) {
		return nil
	}
	start := i
	for i < len(s) {
		if !isRubySpace(s[i]) {
			i++
			continue
		}
		parts = append(parts, s[start:i])
		for i < len(s) && isRubySpace(s[i]) {
			i++
		}
		start = i
	}
	return append(parts, s[start:])
}
