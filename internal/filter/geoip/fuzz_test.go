package geoip

import (
	"net/netip"
	"testing"
)

// FuzzParseAddr: parseAddr never panics, reads back what it writes, and
// agrees with net/netip on the addresses both read.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"8.8.8.8", "008.8.2056", "134744072", "::ffff:8.8.8.8", "[2607:f0d0:1002:51::4]", "fe80::1%eth0", "N/A", "1.2.3.4.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseAddr(s)
		if ok {
			b, ok := parseAddr(a.text)
			if !ok || b != a {
				t.Fatalf("parseAddr(%q) = %+v, but parseAddr(%q) = %+v, %v", s, a, a.text, b, ok)
			}
		}
		if n, err := netip.ParseAddr(s); err == nil {
			if !ok || a.ip != n.Unmap() && a.ip != n {
				t.Fatalf("parseAddr(%q) = %+v, %v; net/netip reads %v", s, a, ok, n)
			}
		}
	})
}
