package js

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/appstack/appstack/internal/nodetest"
)

func TestDecodeURIComponentMatchesNode(t *testing.T) {
	t.Parallel()
	in := []string{"", "plain", "a%20b", "%41%42", "%e2%82%ac", "%E2%82%AC", "%", "%4", "%G0", "%FF", "%C0%80",
		"%ED%9F%BF", "%ED%A0%80", "%F0%90%80%80", "%F4%8F%BF%BF", "%F4%90%80%80", "%F8%88%80%80%80", "%80", "%E2%82",
		"%E2%82%41", "a+b", "%2F%3F%23", "%00", "é%C3%A9"}
	var want []*string
	nodetest.Eval(t, `print(input.map((s) => { try { return decodeURIComponent(s); } catch (e) { return null; } }));`, in, &want)
	for i, s := range in {
		got, ok := DecodeURIComponent(s)
		switch {
		case want[i] == nil && ok:
			t.Errorf("DecodeURIComponent(%q) = %q, true; node throws URIError", s, got)
		case want[i] != nil && (!ok || got != *want[i]):
			t.Errorf("DecodeURIComponent(%q) = %q, %v; node gives %q", s, got, ok, *want[i])
		}
	}
}

func TestEncodeURIComponentMatchesNode(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for c := byte(0x20); c < 0x7f; c++ {
		all.WriteByte(c)
	}
	in := []string{all.String(), "s:abc.d+e/f=", "é€😀"}
	var want []string
	nodetest.Eval(t, `print(input.map(encodeURIComponent));`, in, &want)
	for i, s := range in {
		if got := string(AppendEncodeURIComponent(nil, s)); got != want[i] {
			t.Errorf("AppendEncodeURIComponent(%q) = %q; node's encodeURIComponent gives %q", s, got, want[i])
		}
	}
}

func TestAppendISOStringMatchesNode(t *testing.T) {
	t.Parallel()
	ms := []int64{0, 1500000000123, -1, 253402300799999, 253402300800000, -62167219200001, -62198755200000, 8.64e15, -8.64e15}
	var want []string
	nodetest.Eval(t, `print(input.map((ms) => new Date(ms).toISOString()));`, ms, &want)
	for i, m := range ms {
		if got := string(AppendISOString(nil, time.UnixMilli(m))); got != want[i] {
			t.Errorf("AppendISOString(%d ms) = %q; node's toISOString gives %q", m, got, want[i])
		}
	}
}

func TestTrimAndSplitMatchNode(t *testing.T) {
	t.Parallel()
	in := []string{"", " a ", "\t\n\v\f\r a b \xa0", "\xa0\xa0", "x", " , a ,b,  ,c  ", ",", "a , , b"}
	var want []struct {
		Trim  string   `json:"trim"`
		Split []string `json:"split"`
	}
	nodetest.Eval(t, `print(input.map((b) => { const s = Buffer.from(b, 'base64').toString('latin1');
  return {trim: Buffer.from(s.trim(), 'latin1').toString('base64'), split: s.split(/ *, */)}; }));`, bytesOf(in), &want)
	for i, s := range in {
		w := want[i]
		trimmed, err := base64.StdEncoding.DecodeString(w.Trim)
		if err != nil {
			t.Fatal(err)
		}
		if got := Trim(s); got != string(trimmed) {
			t.Errorf("Trim(%q) = %q; node's trim gives %q", s, got, trimmed)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
			continue // split compared on ASCII only: node read the bytes as Latin-1
		}
		if got := SplitCommaSpaces(s); strings.Join(got, "|") != strings.Join(w.Split, "|") || len(got) != len(w.Split) {
			t.Errorf("SplitCommaSpaces(%q) = %q; node's split gives %q", s, got, w.Split)
		}
	}
}

func TestLatin1(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "plain": "plain", "caf\xc3\xa9": "caf\u00c3\u00a9", "\xe9t\xe9": "\u00e9t\u00e9", "\xff": "\u00ff"} {
		if got := Latin1(in); got != want {
			t.Errorf("Latin1(%q) = %q; want %q", in, got, want)
		}
		if got := string(AppendLatin1([]byte("x"), []byte(in))); got != "x"+want {
			t.Errorf("AppendLatin1(x, %q) = %q; want %q", in, got, "x"+want)
		}
	}
}

func FuzzDecodeURIComponent(f *testing.F) {
	for _, s := range []string{"a%20b", "%E2%82%AC", "%FF", "%", "%ED%A0%80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := DecodeURIComponent(s)
		if !ok {
			return
		}
		if utf8.ValidString(s) && !utf8.ValidString(d) {
			t.Fatalf("DecodeURIComponent(%q) = %q: not UTF-8", s, d)
		}
		// Decoding an encoding gives the original back.
		if utf8.ValidString(d) {
			if back, ok := DecodeURIComponent(string(AppendEncodeURIComponent(nil, d))); !ok || back != d {
				t.Fatalf("DecodeURIComponent(encodeURIComponent(%q)) = %q, %v", d, back, ok)
			}
		}
	})
}

// bytesOf makes strings, which may not be UTF-8, into what JSON carries
// intact to node: base64.
func bytesOf(in []string) [][]byte {
	out := make([][]byte, len(in))
	for i, s := range in {
		out[i] = []byte(s)
	}
	return out
}
