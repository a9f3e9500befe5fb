package geoip

import (
	"net/netip"
	"strconv"
	"strings"
)

// address is an IP address and its text as Logstash writes it in the ip
// field (Java's InetAddress.getHostAddress).
type address struct {
	ip   netip.Addr
	text string
}

// parseAddr reads an IP literal as Java's InetAddress.getByName does: an
// IPv4 address in the forms Java accepts (a.b.c.d, a.b.c, a.b or a, in
// decimal, leading zeros allowed), or an IPv6 one, in brackets or not,
// maybe with a zone; an IPv4-mapped IPv6 address is the IPv4 one. Host
// names are not resolved (see the package comment).
func parseAddr(s string) (address, bool) {
	if b, ok := javaIPv4(s); ok {
		a := netip.AddrFrom4(b)
		return address{a, a.String()}, true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	if !strings.Contains(s, ":") {
		return address{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return address{}, false
	}
	if a.Is4In6() {
		a = a.Unmap()
		return address{a, a.String()}, true
	}
	return address{a, javaIPv6(a)}, true
}

// javaIPv4 is Java 8's IPAddressUtil.textToNumericFormatV4: one to four
// decimal parts separated by dots, the last filling the bytes left.
func javaIPv4(s string) ([4]byte, bool) {
	var out [4]byte
	if s == "" || len(s) > 15 {
		return out, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return out, false
	}
	for i, p := range parts {
		if p == "" || strings.TrimLeft(p, "0123456789") != "" {
			return out, false
		}
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return out, false
		}
		if i < len(parts)-1 {
			if v > 0xff {
				return out, false
			}
			out[i] = byte(v)
			continue
		}
		rest := 4 - i // bytes the last part fills
		if v >= 1<<(8*rest) {
			return out, false
		}
		for j := 3; j >= i; j-- {
			out[j] = byte(v)
			v >>= 8
		}
	}
	return out, true
}

// javaIPv6 writes a as Java's Inet6Address.getHostAddress does: eight
// groups in lower-case hex, zeros not compressed, then %zone.
func javaIPv6(a netip.Addr) string {
	b := a.As16()
	var sb strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(b[i])<<8|uint64(b[i+1]), 16))
	}
	if z := a.Zone(); z != "" {
		sb.WriteString("%" + z)
	}
	return sb.String()
}
