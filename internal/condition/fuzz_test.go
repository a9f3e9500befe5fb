package condition

import (
	"testing"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
)

// FuzzCompile parses, compiles and evaluates arbitrary conditions on an
// event with values of every kind: nothing may panic.
func FuzzCompile(f *testing.F) {
	for _, c := range []string{
		`[a] == "b"`, `[n] > 1.5 and [s] =~ /^\h+\Z/`, `"x" in [l] or [m][k] not in "kv"`,
		`!([t] xor [n] nand [a]) or [a] <= 'x'`, `[@metadata][m] in [[1], {}]`, `[s] !~ "a[\\]b]"`,
	} {
		f.Add(c)
	}
	e := &event.Event{}
	for k, v := range map[string]event.Value{
		"a": event.String("b"), "n": event.Int(3), "f": event.Float(1.5), "t": event.Bool(true),
		"l": event.Strings("x", "y"), "m": event.Map(event.Field{Key: "k", Value: event.Int(1)}), "null": {},
	} {
		e.Set(k, v)
	}
	e.Metadata = []event.Field{{Key: "m", Value: event.String("x")}}
	f.Fuzz(func(t *testing.T, cond string) {
		cfg, err := lsconf.Parse("f.conf", []byte("filter { if "+cond+" { } }"))
		if err != nil || len(cfg.Sections) != 1 || len(cfg.Sections[0].Body) != 1 || cfg.Sections[0].Body[0].If == nil {
			return
		}
		fn, err := Compile("f.conf", cfg.Sections[0].Body[0].If.Branches[0].Cond)
		if err != nil {
			return
		}
		fn(e)
	})
}
