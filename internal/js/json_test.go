package js

import (
	"math"
	"strconv"
	"testing"

	"github.com/appstack/appstack/internal/nodetest"
)

// jsonInputs are documents whose JSON.stringify(JSON.parse(doc)) we
// compare with node's.
var jsonInputs = []string{
	`{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}}`,
	`{"b":1,"2":2,"a":3,"1":4,"01":5,"4294967294":6,"4294967295":7,"-1":8}`,
	`{"a":1,"b":2,"a":3}`,
	`{"0":1,"0":2,"x":{"9":[],"10":{}}}`,
	` [ 1 , -0 , 0.1 , 1e21 , 1e-7 , 123456789012345678901234 , 1.5e300 , 1e400 , -1e-400 , 5e-324 ] `,
	`[0.000001, 1e-6, 0.0000001, 100, 1e2, 1E+2, 123.456e1, 9007199254740993, 1.7976931348623157e308]`,
	`["\u0041\/\"\\\b\f\n\r\t\u0000\u001f\u007f\u2028\u2029<>&é😀", "\ud83d\ude00", "\ud800", "a\udc00b", "\ud800\ud800"]`,
	`[true,false,null,{},[],""]`,
	`"just a string"`,
	`{"__proto__x":1,"constructor":2}`,
	`{"nested":{"deep":[[[[{"k":[1,{"2":3,"1":4}]}]]]]}}`,
	`{}`, `[`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `"\x"`, `"\u12"`, "\"tab\there\"", `nul`, `{"a" 1}`, `[1 2]`, `{} x`, ``, `   `,
	`{"a":"` + "\u00e9" + `"}`,
	// Past scanLimit members keys are found through a map.
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"a":11,"9":12,"j":13,"3":14,"9":15,"b":{"x":1,"x":2}}`,
	`{"9":1,"8":2,"7":3,"6":4,"5":5,"4":6,"3":7,"2":8,"1":9,"0":10,"10":11,"x":12,"5":13,"01":14,"4294967294":15,"4294967295":16}`,
	manyKeys(2000),
}

// manyKeys is an object of n members mixing named keys, array-index keys
// out of order and repeats of both, as a stress of property order.
func manyKeys(n int) string {
	b := []byte{'{'}
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		var key string
		switch i % 5 {
		case 0:
			key = "k" + strconv.Itoa(i)
		case 1:
			key = strconv.Itoa((n - i) * 7 % 1000) // index keys, descending, some repeated
		case 2:
			key = "k" + strconv.Itoa(i/2) // repeats an earlier named key now and then
		case 3:
			key = "0" + strconv.Itoa(i) // not canonical: a named key
		default:
			key = strconv.Itoa(i % 37) // small index keys, repeated
		}
		b = strconv.AppendQuote(b, key) // ASCII letters and digits: as JSON quotes them
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(i), 10)
	}
	return string(append(b, '}'))
}

func TestParseAppendMatchesNode(t *testing.T) {
	t.Parallel()
	var want []*string
	nodetest.Eval(t, `print(input.map((s) => { try { return JSON.stringify(JSON.parse(s)); } catch (e) { return null; } }));`, jsonInputs, &want)
	for i, in := range jsonInputs {
		v, err := Parse([]byte(in))
		switch {
		case want[i] == nil && err == nil:
			t.Errorf("Parse(%q) = %s, nil; node's JSON.parse throws", in, v.Append(nil))
		case want[i] != nil && err != nil:
			t.Errorf("Parse(%q): %v; node gives %s", in, err, *want[i])
		case want[i] != nil:
			if got := string(v.Append(nil)); got != *want[i] {
				t.Errorf("Append(Parse(%q)) = %s\n node's JSON.stringify gives %s", in, got, *want[i])
			}
		}
	}
}

func TestAppendNumberMatchesNode(t *testing.T) {
	t.Parallel()
	nums := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.2 + 0.1, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 1.5e-7,
		5e-324, math.MaxFloat64, 2592000000, 1 << 53, 1<<53 + 2, 0.5, 100, 1e100, -1e-100, 4.35, 1.0 / 3, math.Inf(1), math.NaN()}
	in := make([]string, len(nums))
	for i, f := range nums {
		in[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	var want []string
	nodetest.Eval(t, `print(input.map((s) => JSON.stringify(Number(s === "+Inf" ? Infinity : s))));`, in, &want)
	for i, f := range nums {
		if got := string(AppendNumber(nil, f)); got != want[i] {
			t.Errorf("AppendNumber(%s) = %s; node gives %s", in[i], got, want[i])
		}
	}
}

func TestAppendQuoteMatchesNode(t *testing.T) {
	t.Parallel()
	var in []string
	for c := rune(0); c < 0x80; c++ {
		in = append(in, "a"+string(c)+"b")
	}
	in = append(in, "é", "€😀", "\u2028\u2029", "\ufeff", "<script>&amp;", `'single'`, "\x7f")
	var want []string
	nodetest.Eval(t, `print(input.map((s) => JSON.stringify(s)));`, in, &want)
	for i, s := range in {
		if got := string(AppendQuote(nil, s)); got != want[i] {
			t.Errorf("AppendQuote(%q) = %s; node gives %s", s, got, want[i])
		}
	}
}

func TestSetKeepsJavaScriptPropertyOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"string keys keep insertion order", []string{"b", "a", "c"}, `{"b":0,"a":1,"c":2}`},
		{"index keys sort first, numerically", []string{"b", "10", "a", "2"}, `{"2":3,"10":1,"b":0,"a":2}`},
		{"non-canonical numbers are strings", []string{"01", "1", "-1", "1.0"}, `{"1":1,"01":0,"-1":2,"1.0":3}`},
		{"reassignment keeps the position", []string{"a", "b", "a"}, `{"a":2,"b":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Value{Kind: Object}
			for i, k := range tt.keys {
				v.Set(k, Value{Kind: Number, Num: float64(i)})
			}
			if got := string(v.Append(nil)); got != tt.want {
				t.Errorf("after Set %q: %s; want %s", tt.keys, got, tt.want)
			}
		})
	}
}

// TestParseWorkIsLinear is a complexity check of building objects, by
// counting work (keys compared, map operations, members moved), not time:
// a session of 300,000 keys must take about 300/80 times the work of one
// of 80,000. Building them with Set, as Parse once did, took quadratic
// work: minutes for 300,000 keys.
func TestParseWorkIsLinear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  func(i, n int) string
	}{
		{"named keys, as a session's", func(i, _ int) string { return "key" + strconv.Itoa(i) }},
		{"array-index keys in descending order", func(i, n int) string { return strconv.Itoa(n - i) }},
		{"every key twice", func(i, _ int) string { return "key" + strconv.Itoa(i/2) }},
	}
	const small, large = 80_000, 300_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := func(n int) int {
				doc := []byte(`{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}`)
				for i := range n {
					doc = append(doc, ',')
					doc = strconv.AppendQuote(doc, tt.key(i, n))
					doc = append(doc, ":1"...)
				}
				doc = append(doc, '}')
				v, w, err := parse(doc)
				if err != nil {
					t.Fatalf("parse of %d keys: %v", n, err)
				}
				if c, ok := v.Get("cookie"); !ok || c.Kind != Object {
					t.Fatalf("parse of %d keys lost the cookie", n)
				}
				return w
			}
			ws, wl := work(small), work(large)
			ratio, want := float64(wl)/float64(ws), float64(large)/small
			t.Logf("work: %d for %d keys, %d for %d keys: ×%.2f for ×%.2f the keys", ws, small, wl, large, ratio, want)
			if ratio > 1.25*want {
				t.Errorf("work grew ×%.2f for ×%.2f the keys (%d → %d); want linear growth", ratio, want, ws, wl)
			}
			if per := float64(wl) / large; per > 40 {
				t.Errorf("work per key = %.1f for %d keys; want a small constant", per, large)
			}
		})
	}
}

func TestParseRejectsHostileInput(t *testing.T) {
	t.Parallel()
	deep := make([]byte, 0, 2*maxDepth+4)
	for range maxDepth + 2 {
		deep = append(deep, '[')
	}
	for range maxDepth + 2 {
		deep = append(deep, ']')
	}
	tests := map[string][]byte{
		"invalid UTF-8":           []byte("\"\xff\""),
		"nesting beyond maxDepth": deep,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if v, err := Parse(in); err == nil {
				t.Errorf("Parse(%.40q) = %s, nil; want an error", in, v.Append(nil))
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range jsonInputs {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if err != nil {
			return
		}
		// Stringify is a fixed point: what we write parses back to itself.
		out := v.Append(nil)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Append(Parse(%q))) = %v; Append gave %q", b, err, out)
		}
		if out2 := v2.Append(nil); string(out2) != string(out) {
			t.Fatalf("Append is not stable for %q: %q then %q", b, out, out2)
		}
		checkPropertyOrder(t, v)
	})
}

// checkPropertyOrder fails unless every object in v has unique keys,
// array-index keys first and ascending.
func checkPropertyOrder(t *testing.T, v Value) {
	t.Helper()
	for _, el := range v.Arr {
		checkPropertyOrder(t, el)
	}
	seen := make(map[string]bool, len(v.Obj))
	named, last := false, uint64(0)
	for i, m := range v.Obj {
		if seen[m.Key] {
			t.Fatalf("key %q twice in %s", m.Key, v.Append(nil))
		}
		seen[m.Key] = true
		n, isIndex := arrayIndex(m.Key)
		switch {
		case isIndex && named:
			t.Fatalf("index key %q after a named key in %s", m.Key, v.Append(nil))
		case isIndex && i > 0 && n <= last:
			t.Fatalf("index key %q not ascending in %s", m.Key, v.Append(nil))
		case isIndex:
			last = n
		default:
			named = true
		}
		checkPropertyOrder(t, m.Value)
	}
}

// BenchmarkParseSession parses sessions of many keys: time per key should
// not grow with their number.
func BenchmarkParseSession(b *testing.B) {
	for _, n := range []int{1_000, 80_000, 300_000} {
		doc := []byte(`{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"}`)
		for i := range n {
			doc = append(doc, ',')
			doc = strconv.AppendQuote(doc, "key"+strconv.Itoa(i))
			doc = append(doc, ":1"...)
		}
		doc = append(doc, '}')
		b.Run("keys="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Parse(doc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
		})
	}
}
