package swarmtest

import (
	"encoding/binary"
	"errors"
	"net"
	"syscall"
)

// serveNXDomain answers every DNS query on addr (UDP port 53) with
// NXDOMAIN, until the returned stop is called. It is the nodes' upstream
// resolver: Swarm's embedded DNS forwards every name it does not know, a
// service whose task is not healthy yet among them, and drops the query when
// the upstream does not answer, so the client waits out its resolver's
// timeout (10 s with glibc's defaults). Redis and Sentinel resolve names in
// their event loop, which then stalls. A network with a resolver answers at
// once; so does this one. If something already serves port 53 on the host,
// it answers instead.
func serveNXDomain(addr string) (stop func(), err error) {
	conn, err := net.ListenPacket("udp", net.JoinHostPort(addr, "53"))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return func() {}, nil
		}
		return nil, err
	}
	go answerNXDomain(conn)
	return func() { conn.Close() }, nil
}

// answerNXDomain answers every query on conn until it is closed.
func answerNXDomain(conn net.PacketConn) {
	buf := make([]byte, 4096)
	for {
		n, from, err := conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		if reply, ok := nxdomain(buf[:n]); ok {
			_, _ = conn.WriteTo(reply, from)
		}
	}
}

// nxdomain builds the NXDOMAIN answer to a query: its header with the
// response bit, recursion available and RCODE 3, and its question.
func nxdomain(q []byte) ([]byte, bool) {
	if len(q) < 12 || q[2]&0x80 != 0 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil, false // not a query with one question
	}
	end := 12
	for end < len(q) && q[end] != 0 {
		if q[end]&0xC0 != 0 {
			return nil, false // a query's name is not compressed
		}
		end += int(q[end]) + 1
	}
	end += 1 + 4 // the root label, QTYPE and QCLASS
	if end > len(q) {
		return nil, false
	}
	r := append([]byte(nil), q[:end]...)
	r[2] = 0x80 | q[2]&0x79 // QR, opcode and RD kept; no AA, no TC
	r[3] = 0x80 | 3         // RA, NXDOMAIN
	binary.BigEndian.PutUint16(r[6:8], 0)
	binary.BigEndian.PutUint16(r[8:10], 0)
	binary.BigEndian.PutUint16(r[10:12], 0)
	return r, true
}
