package main

import (
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/redistest"
)

// TestAmbiguousFramingClosesTheConnection sends requests whose end a
// proxy in front may place elsewhere than the app does, each followed on
// the same connection by a second request, which such a proxy would have
// forwarded as the first one's body: a smuggled request. Node answers
// 400 and closes; webapp answers and closes (fasthttp joins folded lines
// unseen, so webapp reads the raw header block). Neither answers the
// smuggled request.
func TestAmbiguousFramingClosesTheConnection(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	node := startNode(t, srv.Port)
	webapp := startWebapp(t, map[string]string{"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(srv.Port)})

	smuggled := "GET /hello/smuggled HTTP/1.1\r\nHost: t\r\n\r\n"
	body := "0\r\n\r\n" + smuggled
	cl := "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	tests := []struct {
		name, req string
		nodeCode  string // Node's single answer; "" where Node answers both
	}{
		{"Content-Length, then Transfer-Encoding", "GET / HTTP/1.1\r\nHost: t\r\n" + cl + "Transfer-Encoding: chunked\r\n\r\n" + body, "400"},
		{"Transfer-Encoding, then Content-Length", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n" + cl + "\r\n" + body, "400"},
		{"an obs-fold Transfer-Encoding with Content-Length", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n" + cl + "\r\n" + body, "400"},
		{"an obs-fold Transfer-Encoding alone", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n" + body, "400"},
		{"Transfer-Encoding folded into another header", "GET / HTTP/1.1\r\nHost: t\r\nX-Foo: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + body, "400"},
		{"HTTP/1.0 keep-alive with both", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + body, "400"},
		{"HTTP/1.0 keep-alive with Transfer-Encoding", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + body, ""},
		{"Transfer-Encoding alone", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			codes, closed := exchange(t, node.Addr, tt.req)
			switch {
			case tt.nodeCode != "" && (len(codes) != 1 || codes[0] != tt.nodeCode || !closed):
				t.Errorf("node answered %v, closed %v; want only %s and the connection closed", codes, closed, tt.nodeCode)
			case tt.nodeCode == "":
				t.Logf("node answered %v, closed %v: to Node this framing is plain, the second request a pipelined one", codes, closed)
			}
			codes, closed = exchange(t, webapp.Addr, tt.req)
			if len(codes) != 1 || !closed {
				t.Errorf("webapp answered %v, closed %v; want one answer and the connection closed", codes, closed)
			}
		})
	}
	// The control: an ordinary pipelined pair is answered twice by both.
	for _, a := range []*app{node, webapp} {
		t.Run("a pipelined pair to "+a.Name, func(t *testing.T) {
			t.Parallel()
			if codes, _ := exchange(t, a.Addr, "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"+smuggled); len(codes) != 2 {
				t.Errorf("%s answered two pipelined requests with %v; want two answers", a.Name, codes)
			}
		})
	}
}

var statusLineRe = regexp.MustCompile(`HTTP/1\.[01] (\d{3}) `)

// exchange writes req on a new connection and reads for up to 3 s: it
// returns the status codes of the responses, and whether the app closed
// the connection.
func exchange(t *testing.T, addr, req string) (codes []string, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	switch {
	case err == nil || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset"):
		closed = true
	case !errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("read from %s: %v", addr, err)
	}
	for _, m := range statusLineRe.FindAllStringSubmatch(string(b), -1) {
		codes = append(codes, m[1])
	}
	return codes, closed
}
