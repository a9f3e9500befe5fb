package useragent

import (
	"regexp"
	"regexp/syntax"
	"testing"
)

func TestPrefilter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		expr, flags, ua string
		want            bool
	}{
		{`(Firefox)/(\d+)\.(\d+)`, "", "Mozilla/5.0 Firefox/3.5", true},
		{`(Firefox)/(\d+)\.(\d+)`, "", "Mozilla/5.0 Chrome/26.0", false},
		{`(Firefox)/(\d+)\.(\d+)`, "", "Mozilla/5.0 firefox/3.5", false}, // case matters
		{`(bot|crawl|spider)`, "i", "Googlebot/2.1", true},
		{`(bot|crawl|spider)`, "i", "Mozilla/5.0 Chrome/26.0", false},
		{`Android.*(?:Tab|Pad)`, "", "Linux; Android 4.2; Nexus Pad", true},
		{`Android.*(?:Tab|Pad)`, "", "Linux; Android 4.2; Nexus 7", false},
		{`Android.*(?:Tab|Pad)`, "", "iPad; CPU OS 7", false},
		{`(?:Tab|Pad)?Phone`, "", "Phone", true}, // an optional part requires nothing
		{`(kindle)`, "i", "KINDLE", true},
		// Under (?i) k also matches the Kelvin sign: a user agent that is
		// not ASCII is let through.
		{`(kindle)`, "i", "\u212Aindle", true},
		{`x(?:a|b*)`, "", "x", true}, // a branch without a literal: the alternation requires nothing
	} {
		s := newSubject(c.ua)
		if got := prefilterOf(t, c.expr, c.flags).allows(&s); got != c.want {
			t.Errorf("prefilter of %q (flags %q) allows(%q) = %v; want %v", c.expr, c.flags, c.ua, got, c.want)
		}
		if !c.want {
			continue
		}
		// What the prefilter lets through in these cases, the expression
		// matches.
		expr := c.expr
		if c.flags != "" {
			expr = "(?" + c.flags + ")" + expr
		}
		if !regexp.MustCompile(expr).MatchString(c.ua) {
			t.Errorf("case %q on %q: the expression does not match; fix the case", c.expr, c.ua)
		}
	}
}

// prefilterOf parses expr as uap-go compiles it with flags and returns
// its prefilter.
func prefilterOf(tb testing.TB, expr, flags string) prefilter {
	tb.Helper()
	if flags != "" {
		expr = "(?" + flags + ")" + expr
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		tb.Fatal(err)
	}
	return newPrefilter(re)
}

// FuzzPrefilter checks that a prefilter never rejects what its expression
// matches: it may only skip expressions that cannot match.
func FuzzPrefilter(f *testing.F) {
	for _, s := range []struct {
		expr string
		fold bool
		ua   string
	}{
		{`(Firefox)/(\d+)\.(\d+)`, false, "Mozilla/5.0 Firefox/3.5"},
		{`(bot|BUbiNG|zao|borg|^NING|CCBot)`, true, "Googlebot/2.1"},
		{`(?:(?:iPhone|Android).*(?:(?:Bot|Yeti)-Mobile|YRSpider))`, false, "Android 4 Yeti-Mobile"},
		{`; *(JY-[^;/]+|G[234]S?) Build`, false, "Linux; G3 Build/X"},
		{`(kindle)`, true, "\u212Aindle"},
		{`[Ss]amsung{2,3}x+`, false, "Samsunggx"},
	} {
		f.Add(s.expr, s.fold, s.ua)
	}
	f.Fuzz(func(t *testing.T, expr string, fold bool, ua string) {
		if fold {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		p := prefilterOf(t, expr, "")
		s := newSubject(ua)
		if re.MatchString(ua) && !p.allows(&s) {
			t.Fatalf("%q matches %q, but its prefilter %v rejects it", expr, ua, p)
		}
	})
}
