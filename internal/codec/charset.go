package codec

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/appstack/appstack/internal/plugin"
)

// converter turns text in the codec's charset into UTF-8, as Logstash's
// LogStash::Util::Charset does, but for invalid bytes: Logstash replaces
// a UTF-8 text with bytes that are not UTF-8 by its Ruby inspect
// ("\xFF", with quotes and backslashes escaped too); logship replaces
// each invalid byte with U+FFFD, as its file input does, and leaves the
// rest of the text as it is.
type converter struct {
	ascii bool              // US-ASCII, BINARY: bytes above 0x7F are invalid
	enc   encoding.Encoding // nil: UTF-8
}

func readCharset(o *plugin.Options) converter {
	name := o.String("charset", "UTF-8")
	c, err := lookupCharset(name)
	if err != nil {
		o.Errorf("charset", "%v", err)
	}
	return c
}

// lookupCharset finds a charset by one of Ruby's names for it (what
// Logstash validates charset with), or its IANA or WHATWG name, in any
// case.
func lookupCharset(name string) (converter, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch n {
	case "UTF-8", "UTF8", "CP65001":
		return converter{}, nil
	case "US-ASCII", "ASCII", "ANSI_X3.4-1968", "646", "ASCII-8BIT", "BINARY":
		return converter{ascii: true}, nil
	}
	if rest, ok := strings.CutPrefix(n, "ISO8859-"); ok { // Ruby's alias spelling
		n = "ISO-8859-" + rest
	}
	if e, err := ianaindex.IANA.Encoding(n); err == nil && e != nil {
		return converter{enc: e}, nil
	}
	if e, err := htmlindex.Get(n); err == nil {
		return converter{enc: e}, nil
	}
	return converter{}, fmt.Errorf("unknown or unsupported charset %q", name)
}

// convert returns s as UTF-8.
func (c converter) convert(s string) string {
	switch {
	case c.enc != nil:
		if out, err := c.enc.NewDecoder().String(s); err == nil {
			return out
		}
		return replaceInvalid(s, false) // cannot happen with x/text's decoders, which substitute
	case c.ascii:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return replaceInvalid(s, true)
			}
		}
		return s
	case utf8.ValidString(s):
		return s
	}
	return replaceInvalid(s, false)
}

// replaceInvalid replaces each byte of s that is not part of a valid
// UTF-8 character (with ascii, each byte above 0x7F) with U+FFFD.
func replaceInvalid(s string, ascii bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		if ascii && s[i] >= 0x80 {
			b.WriteString("\uFFFD")
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
