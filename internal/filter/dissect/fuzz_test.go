package dissect

import (
	"strings"
	"testing"
)

// FuzzDissect feeds dissections and texts to the compiler and the
// dissector: neither may panic, and a successful dissection's spans lie
// within the text, in order.
func FuzzDissect(f *testing.F) {
	for _, seed := range []struct{ mapping, text string }{
		{"%{ts} %{+ts} %{+ts} %{src} %{} %{prog}[%{pid}]: %{msg}", "Mar 16 00:01:25 evita skip postfix/smtpd[1713]: hi"},
		{"%{+a/2} %{+a/1} %{+a/4} %{+a/3}", "1 2 3 go"},
		{"error: %{?err}, %{&err}", "error: e, d"},
		{"%{id->} %{function} %{server}.", "f3   Calc m."},
		{"%{?->}-%{a}", "-----666"},
		{"{%{a}}{%{b}}%{rest}", "{foo}{bar}"},
	} {
		f.Add(seed.mapping, seed.text)
	}
	f.Fuzz(func(t *testing.T, mapping, text string) {
		d, err := compile(mapping)
		if err != nil {
			return
		}
		spans := make([]span, len(d.fields))
		if !d.dissect(text, spans) {
			return
		}
		prev := 0
		for i, sp := range spans {
			if sp.start < 0 || sp.start > sp.end || sp.end > len(text) {
				t.Fatalf("%q on %q: field %d span %v outside the text", mapping, text, i, sp)
			}
			if sp.start < prev && sp.end > sp.start {
				t.Fatalf("%q on %q: field %d span %v starts before the previous field's end %d", mapping, text, i, sp, prev)
			}
			prev = max(prev, sp.end)
		}
	})
}

// FuzzRoundTrip joins values with a delimiter and checks that the
// dissection of that text gives the values back, whenever the text is
// unambiguous: the first delimiter after each value is the one that ends
// it. (An empty first value is the plugin's quirk: a delimiter at the
// very start does not end the first field.)
func FuzzRoundTrip(f *testing.F) {
	f.Add("a\x00b\x00c", " - ")
	f.Add("1\x002\x00\x00x y", ",")
	f.Fuzz(func(t *testing.T, joined, delim string) {
		values := strings.Split(joined, "\x00")
		if delim == "" || strings.ContainsAny(delim, "%{}") || len(values) > 26 || values[0] == "" {
			return
		}
		text := strings.Join(values, delim)
		names := make([]string, len(values))
		for i, pos := 0, 0; i < len(values); i++ {
			if i < len(values)-1 && strings.Index(text[pos:], delim) != len(values[i]) {
				return
			}
			pos += len(values[i]) + len(delim)
			names[i] = "%{f" + string(rune('a'+i)) + "}"
		}
		mapping := strings.Join(names, delim)
		d, err := compile(mapping)
		if err != nil {
			t.Fatalf("compile %q: %v", mapping, err)
		}
		spans := make([]span, len(d.fields))
		if !d.dissect(text, spans) {
			t.Fatalf("%q on %q: no match; want %q", mapping, text, values)
		}
		for i, v := range values {
			if got := text[spans[i].start:spans[i].end]; got != v {
				t.Fatalf("%q on %q: field %d = %q; want %q", mapping, text, i, got, v)
			}
		}
	})
}
