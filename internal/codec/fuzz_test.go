package codec

import (
	"slices"
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/event"
)

// FuzzLines checks the framing of a stream cut into reads of any size
// against splitting all of it at once: the same units, each cut at the
// cap and marked when longer.
func FuzzLines(f *testing.F) {
	f.Add("a\nb\r\nc", "\n", uint8(3), uint8(4))
	f.Add("a|||b||c", "||", uint8(1), uint8(2))
	f.Add("xaaaab", "aab", uint8(2), uint8(10))
	f.Add("é\né", "\n", uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, in, delim string, size, max uint8) {
		if delim == "" || len(delim) > 4 || size == 0 || max == 0 {
			return
		}
		var want []string
		parts := strings.Split(in, delim)
		if parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		for _, p := range parts {
			if len(p) > int(max) {
				p = cut(p, int(max)) + "!"
			}
			want = append(want, p)
		}
		l := &lines{delim: delim, max: int(max)}
		var got []string
		emit := func(s string, truncated bool) {
			if len(s) > int(max) {
				t.Fatalf("unit %q is over the cap %d", s, max)
			}
			if truncated {
				s += "!"
			}
			got = append(got, s)
		}
		for i := 0; i < len(in); i += int(size) {
			l.write(in[i:min(i+int(size), len(in))], emit)
		}
		l.flush(emit)
		if !slices.Equal(got, want) {
			t.Fatalf("reads of %d bytes of %q split at %q (cap %d): %q; want %q", size, in, delim, max, got, want)
		}
	})
}

// FuzzMultiline decodes arbitrary lines and checks that no line is lost
// or changed: the events' messages, split at "\n", are the non-empty
// lines in order, and Settled never passes a line not yet returned.
func FuzzMultiline(f *testing.F) {
	f.Add("a\n b\nc\n\n d\n", false, false, uint8(3), uint16(100))
	f.Add("x\\\ny\nz\\\n", true, false, uint8(2), uint16(5))
	f.Add("2017-01-01 a\nb\n", false, true, uint8(0), uint16(1))
	f.Fuzz(func(t *testing.T, in string, next, negate bool, maxLines uint8, maxBytes uint16) {
		if maxBytes == 0 || !strings.HasSuffix(in, "\n") {
			return
		}
		c := build(t, `multiline { pattern => "^\s" what => "previous" }`, "plain")
		ml := *c.ml
		ml.next, ml.negate, ml.maxLines, ml.maxBytes = next, negate, int(maxLines), int64(maxBytes)
		c.ml = &ml
		d := c.NewDecoder()
		var evs []event.Event
		var units []string
		end := int64(0)
		for _, u := range strings.SplitAfter(in, "\n") {
			if u == "" {
				continue
			}
			end += int64(len(u))
			text := strings.TrimSuffix(u, "\n")
			units = append(units, text)
			evs = d.Decode(evs, Unit{Text: text, End: end})
			if d.Settled() > end {
				t.Fatalf("Settled %d past the last unit's End %d", d.Settled(), end)
			}
		}
		evs = d.Flush(evs)
		if d.Settled() != end && strings.TrimRight(in, "\n") != "" {
			t.Fatalf("after Flush, Settled = %d; want %d", d.Settled(), end)
		}
		var want, got []string
		for _, u := range units {
			if u != "" {
				want = append(want, c.conv.convert(u))
			}
		}
		for i := range evs {
			v, _ := evs[i].Get("message")
			got = append(got, strings.Split(v.Str(), "\n")...)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("lines out %q; want %q", got, want)
		}
	})
}

// FuzzJSON decodes arbitrary text: no panic, and text that makes no
// object is kept whole as the message of one failure event.
func FuzzJSON(f *testing.F) {
	f.Add(`{"a":1,"@timestamp":"2017-01-01T00:00:00Z","@metadata":{"x":1}}`)
	f.Add(`[{"a":1},{"b":[1,2,{"c":null}]}]`)
	f.Add(`{"a":`)
	f.Add(`"\ud800"`)
	f.Add("  ")
	f.Fuzz(func(t *testing.T, in string) {
		c := build(t, "json", "plain")
		evs := c.NewDecoder().Decode(nil, Unit{Text: in})
		text := c.conv.convert(in)
		for i := range evs {
			e := &evs[i]
			if _, ok := e.Get("@timestamp"); !ok {
				t.Fatalf("event %s has no @timestamp", show(e))
			}
			if e.HasTag(JSONFailureTag) {
				if len(evs) != 1 {
					t.Fatalf("a failure among %d events", len(evs))
				}
				if v, _ := e.Get("message"); v.Str() != text {
					t.Fatalf("failure message %q; want the text %q", v.Str(), text)
				}
			}
		}
		if len(evs) == 0 && !blank(text) && !strings.HasPrefix(strings.TrimLeft(text, " \t\r\n"), "[") {
			t.Fatalf("text %q made no event", in)
		}
	})
}
