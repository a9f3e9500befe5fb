package swarmtest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestTheResolverAnswersNXDomainAtOnce(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go answerNXDomain(conn)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", conn.LocalAddr().String())
	}}
	for _, name := range []string{"sentinel1", "redis_primary.appstack_default", "a.b.c.example"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start := time.Now()
		addrs, err := r.LookupHost(ctx, name)
		cancel()
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Errorf("LookupHost(%q) = %v, %v; want a not-found DNS error", name, addrs, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("LookupHost(%q) took %s; want an answer at once", name, took)
		}
	}
}

func TestNXDomainIgnoresWhatIsNotAQuery(t *testing.T) {
	query := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0}
	reply, ok := nxdomain(query)
	if !ok {
		t.Fatalf("nxdomain(a query for a with an OPT record) = not answered; want an answer")
	}
	want := []byte{0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1}
	if string(reply) != string(want) {
		t.Errorf("nxdomain reply = % x; want % x", reply, want)
	}
	for name, msg := range map[string][]byte{
		"short":             query[:11],
		"a response":        append([]byte{0x12, 0x34, 0x81, 0x80}, query[4:]...),
		"two questions":     append([]byte{0x12, 0x34, 0x01, 0x00, 0, 2}, query[6:]...),
		"a truncated name":  query[:14],
		"a compressed name": []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1},
	} {
		if r, ok := nxdomain(msg); ok {
			t.Errorf("nxdomain(%s) = % x; want no answer", name, r)
		}
	}
}

func TestPickSubnetAvoidsRoutedNetworks(t *testing.T) {
	parse := func(cidrs ...string) []*net.IPNet {
		var out []*net.IPNet
		for _, c := range cidrs {
			_, n, err := net.ParseCIDR(c)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		routes []*net.IPNet
		want   string
	}{
		{"no routes", nil, "10.213.70."},
		{"the first /24 routed", parse("10.213.70.0/24"), "10.213.71."},
		{"a wider route covers two", parse("10.213.70.0/23", "192.168.0.0/16"), "10.213.72."},
		{"a host route inside one", parse("10.213.70.9/32"), "10.213.71."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickSubnet(tc.routes)
			if err != nil || got != tc.want {
				t.Errorf("pickSubnet = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if got, err := pickSubnet(parse("10.0.0.0/8")); err == nil {
		t.Errorf("pickSubnet(10.0.0.0/8 routed) = %q; want an error", got)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/var/tmp/a`:        "/var/tmp/a",
		`/var/tmp/a\040b`:   "/var/tmp/a b",
		`/x\011y\134z`:      "/x\ty\\z",
		`/trailing\04`:      `/trailing\04`,
		`/not\999an\escape`: `/not\999an\escape`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q; want %q", in, got, want)
		}
	}
}
