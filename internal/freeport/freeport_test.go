package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestGetReturnsABindablePort(t *testing.T) {
	port := Get(t)
	if port <= 0 || port > 65535 {
		t.Fatalf("Get() = %d, want a port in 1..65535", port)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen on the port Get returned: %v", err)
	}
	l.Close()
}
