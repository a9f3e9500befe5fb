package listen

import (
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

func TestAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ block, want, err string }{
		{`tcp { port => 5000 }`, "0.0.0.0:5000", ""},
		{`tcp { port => 5044 host => "::1" }`, "[::1]:5044", ""},
		{`tcp { }`, ":0", `missing required option "port"`},
		{`tcp { port => 65536 }`, ":0", `option "port": want an integer from 0 to 65535`},
	} {
		config := "input { " + tt.block + " }"
		var got string
		err := plugintest.BuildErr(t, config, func(o *plugin.Options) string { got = Addr(o); return got })
		plugintest.CheckErr(t, config, err, tt.err)
		if tt.err == "" && got != tt.want {
			t.Errorf("%s: Addr = %q; want %q", tt.block, got, tt.want)
		}
	}
}

func TestAddCerts(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{""}, ""},
		{[]string{"/nonexistent.pem"}, `option "cas": /nonexistent.pem: open /nonexistent.pem`},
		{[]string{notPEM}, notPEM + ": no PEM certificate in it"},
	} {
		config := `input { tcp { cas => "x" } }`
		err := plugintest.BuildErr(t, config, func(o *plugin.Options) bool {
			o.String("cas", "")
			AddCerts(o, "cas", x509.NewCertPool(), tt.files)
			return true
		})
		plugintest.CheckErr(t, config, err, tt.want)
	}
}

// TestLimit serves one connection at a time: a second client waits
// until the first connection closes (twice: it frees one place), and
// Accept, waiting for a place, returns net.ErrClosed once the listener
// is closed, though a client is waiting in the backlog.
func TestLimit(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Limit(ln, 1)
	defer l.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	type accepted struct {
		c   net.Conn
		err error
	}
	accept := func() <-chan accepted {
		ch := make(chan accepted, 1)
		go func() { c, err := l.Accept(); ch <- accepted{c, err} }()
		return ch
	}
	first, second := dial(), dial()
	a := <-accept()
	if a.err != nil {
		t.Fatalf("Accept = %v", a.err)
	}
	next := accept()
	a.c.Close()
	a.c.Close()
	b := <-next
	if b.err != nil {
		t.Fatalf("Accept after the first connection closed = %v", b.err)
	}
	defer b.c.Close()
	if b.c.RemoteAddr().String() != second.LocalAddr().String() || a.c.RemoteAddr().String() != first.LocalAddr().String() {
		t.Errorf("served %s then %s; want the clients in order, %s then %s",
			a.c.RemoteAddr(), b.c.RemoteAddr(), first.LocalAddr(), second.LocalAddr())
	}
	if n := len(l.(*limitListener).slots); n != 1 {
		t.Errorf("places taken = %d; want 1 (a second Close frees nothing)", n)
	}
	dial()
	waiting := accept()
	l.Close()
	if c := <-waiting; !errors.Is(c.err, net.ErrClosed) {
		t.Errorf("Accept on a closed listener, no place free = %v, %v; want net.ErrClosed", c.c, c.err)
	}
}
