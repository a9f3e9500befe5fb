package grok

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCompile feeds patterns to the expander and the Ruby → regexp2
// translation, and runs what compiles on a text: neither may panic, and
// every captured span must lie within the text, on character bounds.
func FuzzCompile(f *testing.F) {
	lib, err := builtin()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct{ pattern, text string }{
		{"%{COMBINEDAPACHELOG}", apacheLine},
		{"%{SYSLOGBASE} %{GREEDYDATA:msg}", "Jan  1 06:25:43 mailserver14 postfix/cleanup[21403]: hi"},
		{"%{NUMBER:n:int} %{NUMBER:f:float} %{WORD:[a][b]}", "12 3.5 x"},
		{"(?<q>\\h+)(?m).(?i:x){,2}[[:alpha:]\\h]", "beef\nXx"},
		{"%{FOO=a+}%{FOO:b}", "aaa"},
		{"(?<a>x)\\k<a>(?#c)(?>y)(?<=y)z?+", "xxyz"},
		{"%{QS:q}|%{IPORHOST:h}", `"a\"b" 1.2.3.4`},
		{"x?*y{2}+", "yy"},
	} {
		f.Add(seed.pattern, seed.text, true)
	}
	var m matcher
	f.Fuzz(func(t *testing.T, pattern, text string, namedOnly bool) {
		p, err := compile(pattern, lib, namedOnly, 50*time.Millisecond)
		if err != nil {
			return
		}
		ok, err := m.match(p, text)
		if err != nil || !ok {
			return
		}
		for _, c := range p.captures {
			for _, g := range c.groups {
				sp := m.spans[g]
				if !sp.ok {
					continue
				}
				if sp.start < 0 || sp.start > sp.end || sp.end > len(text) {
					t.Fatalf("pattern %q on %q: group %d span [%d,%d) outside the text", pattern, text, g, sp.start, sp.end)
				}
				if utf8.ValidString(text) && !utf8.ValidString(text[sp.start:sp.end]) {
					t.Fatalf("pattern %q on %q: group %d span [%d,%d) cuts a character", pattern, text, g, sp.start, sp.end)
				}
			}
		}
	})
}
