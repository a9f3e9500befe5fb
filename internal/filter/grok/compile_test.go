package grok

import "testing"

// TestTranslate pins the rewrites from Ruby's regexp dialect to
// regexp2's.
func TestTranslate(t *testing.T) {
	tests := []struct{ ruby, want string }{
		{`(?<name>a)(?'other'b)`, `(?<g0>a)(?<g1>b)`},
		{`(?m)a.b(?mi:c)(?-m)`, `(?s)a.b(?si:c)(?-s)`},
		{`\h+[\h_]\H`, `[0-9a-fA-F]+[0-9a-fA-F_][^0-9a-fA-F]`},
		{`a{,3}b{2,}c{1,2}`, `a{0,3}b{2,}c{1,2}`},
		{`a?*`, `(?:a?)*`},
		{`(ab)?*`, `(?:(ab)?)*`},
		{`a{2}+`, `(?:a{2})+`},
		{`a{2}?`, `(?:a{2})?`},
		{`a{2,3}?`, `a{2,3}?`},
		{`a*?b+?c??`, `a*?b+?c??`},
		{`a*+b++c?+`, `a*+b++c?+`},
		{`[a-z]{2}*`, `(?:[a-z]{2})*`},
		{`(?<=x)(?<!y)(?=z)(?!w)(?>v)`, `(?<=x)(?<!y)(?=z)(?!w)(?>v)`},
		{`a(?#comment)b`, `ab`},
		{`[]a]`, `[\]a]`},
		{`[[:alpha:]-]`, `[[:alpha:]-]`},
		{`{x}`, `{x}`},
		{`(?<a>x)\k<a>`, `(?<g0>x)\k<g0>`},
		{`é*`, `é*`},
		{`é?*`, `(?:é?)*`},
	}
	for _, tt := range tests {
		got, _, err := translate(tt.ruby, nil)
		if err != nil || got != tt.want {
			t.Errorf("translate(%q) = %q, %v; want %q", tt.ruby, got, err, tt.want)
		}
	}
}
