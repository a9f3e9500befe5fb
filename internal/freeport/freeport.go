// Package freeport finds a TCP port on 127.0.0.1 that nothing listens on,
// for tests that start servers (redis-server, webapp, logship, a compose
// stack) which need a port number before they bind it.
package freeport

import (
	"net"
	"testing"
)

// Get returns a port that was free a moment ago. Another process may take
// it before the caller binds it; tests accept that small race.
func Get(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
