package beats

import (
	"encoding/binary"
	"fmt"
	"net"
)

// guardConn checks the Lumberjack v2 frames a client sends as they are
// read, before go-lumber's reader sees them: go-lumber allocates a frame's
// announced size before reading it, so a client announcing 4 GiB would
// make it try. A frame over the limit closes the connection.
type guardConn struct {
	net.Conn
	g      frameGuard
	reject func(conn net.Conn, err error)
}

func (c *guardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if gerr := c.g.check(p[:n]); gerr != nil {
		c.reject(c.Conn, gerr)
		c.Conn.Close()
		return 0, gerr
	}
	return n, err
}

// Lumberjack v2 frames: '2', a type, then per type a header and a
// payload.
const (
	protocolVersion = '2'
	frameWindow     = 'W' // count uint32
	frameJSON       = 'J' // seq uint32, size uint32, size bytes of JSON
	frameCompressed = 'C' // size uint32, size bytes of zlib data holding frames
)

// frameGuard follows the frame boundaries of a Lumberjack v2 stream fed
// in pieces of any size, and refuses a frame larger than maxFrame, a
// window of more than maxWindow events, or bytes that are not a v2
// frame. Its verdict does not depend on how the stream is cut.
type frameGuard struct {
	maxFrame  uint32
	maxWindow uint32

	state int // 0: version, 1: type, 2: header
	typ   byte
	hdr   [8]byte
	have  int    // header bytes read
	skip  uint64 // payload bytes still to pass
	err   error  // the first refusal: the stream is dead after it
}

func headerLen(typ byte) int {
	if typ == frameJSON {
		return 8
	}
	return 4
}

// check consumes the next bytes of the stream.
func (g *frameGuard) check(b []byte) error {
	for len(b) > 0 && g.err == nil {
		if g.skip > 0 {
			n := uint64(len(b))
			if n > g.skip {
				n = g.skip
			}
			g.skip -= n
			b = b[n:]
			continue
		}
		switch g.state {
		case 0:
			if b[0] != protocolVersion {
				g.err = fmt.Errorf("lumberjack: protocol version %q, want '2' (Lumberjack v2, as Beats send)", b[0])
				break
			}
			g.state, b = 1, b[1:]
		case 1:
			switch b[0] {
			case frameWindow, frameJSON, frameCompressed:
			default:
				g.err = fmt.Errorf("lumberjack: unknown frame type %q", b[0])
			}
			g.typ, g.have, g.state, b = b[0], 0, 2, b[1:]
		case 2:
			n := copy(g.hdr[g.have:headerLen(g.typ)], b)
			g.have += n
			b = b[n:]
			if g.have < headerLen(g.typ) {
				break
			}
			g.state = 0
			switch g.typ {
			case frameWindow:
				if c := binary.BigEndian.Uint32(g.hdr[:4]); g.maxWindow > 0 && c > g.maxWindow {
					g.err = fmt.Errorf("lumberjack: window of %d events, over the maximum of %d", c, g.maxWindow)
				}
			case frameJSON:
				g.err = g.payload(binary.BigEndian.Uint32(g.hdr[4:8]))
			case frameCompressed:
				g.err = g.payload(binary.BigEndian.Uint32(g.hdr[:4]))
			}
		}
	}
	return g.err
}

func (g *frameGuard) payload(size uint32) error {
	if size > g.maxFrame {
		return fmt.Errorf("lumberjack: frame of %d bytes, over max_frame_bytes (%d)", size, g.maxFrame)
	}
	g.skip = uint64(size)
	return nil
}

// guardListener wraps each accepted connection in a guardConn.
type guardListener struct {
	net.Listener
	maxFrame  uint32
	maxWindow uint32
	reject    func(net.Conn, error)
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, g: frameGuard{maxFrame: l.maxFrame, maxWindow: l.maxWindow}, reject: l.reject}, nil
}
