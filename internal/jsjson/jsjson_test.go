package jsjson

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
	})
}
