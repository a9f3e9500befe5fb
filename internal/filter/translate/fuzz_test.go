package translate

import (
	"encoding/json"
	"testing"
)

// FuzzParseJSON: the ordered JSON reader never panics and reads every
// object encoding/json reads, with the same keys.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{dictJSON, `{"a": [1, 2.5, {"b": null}], "a": true}`, `{"big": 123456789012345678901234567890}`, `[]`, `{"a":1}x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, _, err := parseJSON([]byte(s))
		var want map[string]any
		if json.Unmarshal([]byte(s), &want) != nil {
			return
		}
		if err != nil {
			t.Fatalf("parseJSON(%q): %v; encoding/json reads it", s, err)
		}
		if len(d.keys) != len(want) {
			t.Fatalf("parseJSON(%q) has keys %q; encoding/json %v", s, d.keys, want)
		}
		for k := range want {
			if _, ok := d.index[k]; !ok {
				t.Fatalf("parseJSON(%q) lacks key %q", s, k)
			}
		}
	})
}

// FuzzParseYAML: the YAML reader never panics, and what it reads it can
// compile for each way of matching.
func FuzzParseYAML(f *testing.F) {
	for _, s := range []string{dictYML, "\"100\": Continue\nmerci: gracias\n", "list: [1, 2.5, true, ~]\nmap: {k: v}\nflag: yes\n", "a: &x [1]\nb: *x\n", "- a\n- b\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, _, err := parseYAML([]byte(s))
		if err != nil {
			return
		}
		if _, err := compile(d, false, false); err != nil {
			t.Fatalf("keys of %q do not compile into a union: %v", s, err)
		}
	})
}
