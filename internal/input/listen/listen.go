// Package listen has what logship's network inputs (tcp, udp, beats)
// share: the address their host and port options name, a listener that
// serves a bounded number of connections at once, and the certificate
// authorities their TLS options name.
package listen

import (
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/appstack/appstack/internal/plugin"
)

// Addr reads the port (required) and host ("0.0.0.0") options into the
// address to listen on.
func Addr(o *plugin.Options) string {
	o.Require("port")
	port := o.Int("port", 0, 0, 65535)
	return net.JoinHostPort(o.String("host", "0.0.0.0"), strconv.Itoa(port))
}

// AddCerts adds the PEM certificates of files to pool, recording on o,
// against option, each file that cannot be read or holds none. Empty
// names are skipped.
func AddCerts(o *plugin.Options, option string, pool *x509.CertPool, files []string) {
	for _, f := range files {
		if f == "" {
			continue
		}
		pem, err := os.ReadFile(f)
		if err == nil && !pool.AppendCertsFromPEM(pem) {
			err = errors.New("no PEM certificate in it")
		}
		if err != nil {
			o.Errorf(option, "%s: %v", f, err)
		}
	}
}

// Limit returns a listener that serves at most n connections at once:
// Accept waits for one of them to close (the next clients wait in the
// listen backlog), and returns net.ErrClosed once the listener is
// closed. A connection frees its place when first closed.
func Limit(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, free: l.slots}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// slotConn gives its place back when first closed.
type slotConn struct {
	net.Conn
	free chan struct{}
	once sync.Once
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.free })
	return err
}
