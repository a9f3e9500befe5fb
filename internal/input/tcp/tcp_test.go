package tcp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/input/inputtest"
	"github.com/appstack/appstack/internal/plugin"
)

// start runs the tcp input of block (its port is replaced by a free one)
// and returns its address and the sink of its events.
func start(t *testing.T, block string) (string, *inputtest.Sink) {
	t.Helper()
	sink := inputtest.NewSink(t)
	return startTo(t, block, sink.C), sink
}

func startTo(t *testing.T, block string, out chan event.Batch) string {
	t.Helper()
	in := inputtest.Build(t, block, func(o *plugin.Options) *Input { return New(o, Env{Now: inputtest.Clock}) })
	in.addr = "127.0.0.1:0"
	in.ready = make(chan net.Addr, 1)
	return inputtest.Listen(t, in.Run, in.ready, out).String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

func withMessage(evs []map[string]any, msg string) map[string]any {
	for _, e := range evs {
		if e["message"] == msg {
			return e
		}
	}
	return nil
}

func hasMessages(msgs ...string) func([]map[string]any) bool {
	return func(evs []map[string]any) bool {
		for _, m := range msgs {
			if withMessage(evs, m) == nil {
				return false
			}
		}
		return true
	}
}

func TestLinesPerConnection(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `tcp { port => 5000 type => "syslog" add_field => { "via" => "tcp" } }`)
	a, b := dial(t, addr), dial(t, addr)
	// Partial lines of two clients interleave; each connection has its
	// own framing, so they do not mix.
	write(t, a, "alpha ")
	write(t, b, "bravo ")
	write(t, a, "one\nalpha two\n")
	write(t, b, "one\n")
	evs := sink.Wait(t, 10*time.Second, "both clients' lines", hasMessages("alpha one", "alpha two", "bravo one"))
	e := withMessage(evs, "alpha one")
	_, port, _ := net.SplitHostPort(a.LocalAddr().String())
	for k, want := range map[string]any{"host": "127.0.0.1", "port": mustFloat(port), "type": "syslog", "via": "tcp", "@version": "1"} {
		if e[k] != want {
			t.Errorf("%s = %#v; want %#v (event %v)", k, e[k], want, e)
		}
	}
}

func mustFloat(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}

func TestLineLongerThanTheCap(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `tcp { port => 5000 max_line_bytes => 10 }`)
	c := dial(t, addr)
	write(t, c, strings.Repeat("x", 100)+"\nshort\n")
	evs := sink.Wait(t, 10*time.Second, "the cut line and the next", hasMessages("xxxxxxxxxx", "short"))
	if tags, _ := withMessage(evs, "xxxxxxxxxx")["tags"].([]any); !slices.Contains(tags, any("_linetoolong")) {
		t.Errorf("the cut line has tags %v; want _linetoolong", tags)
	}
	if withMessage(evs, "short")["tags"] != nil {
		t.Errorf("the next line has tags %v; want none", withMessage(evs, "short")["tags"])
	}
}

// TestManyConnections opens more connections than max_connections: the
// extra ones wait until a slot frees, and every line arrives.
func TestManyConnections(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `tcp { port => 5000 max_connections => 2 }`)
	first, second := dial(t, addr), dial(t, addr)
	write(t, first, "first\n")
	write(t, second, "second\n")
	sink.Wait(t, 10*time.Second, "the two served clients", hasMessages("first", "second"))
	third := dial(t, addr) // accepted by the kernel, not yet served
	write(t, third, "third\n")
	// A round trip on a served connection: the third client's line,
	// written before, is still not read.
	write(t, first, "first again\n")
	evs := sink.Wait(t, 10*time.Second, "the round trip", hasMessages("first again"))
	if withMessage(evs, "third") != nil {
		t.Fatalf("a third connection was served with max_connections => 2: %s", inputtest.Show(evs))
	}
	first.Close()
	sink.Wait(t, 10*time.Second, "the third client, once a slot is free", hasMessages("third"))

	// Then many short-lived clients, all served in turn.
	second.Close()
	third.Close()
	var want []string
	for i := range 50 {
		c := dial(t, addr)
		msg := fmt.Sprintf("client %d", i)
		want = append(want, msg)
		write(t, c, msg+"\n")
		c.Close()
	}
	sink.Wait(t, 20*time.Second, "50 clients' lines", hasMessages(want...))
}

// TestStalledClient: a client that stops in the middle of a line does
// not hold up the others, and its partial line is an event once it goes.
func TestStalledClient(t *testing.T) {
	t.Parallel()
	addr, sink := start(t, `tcp { port => 5000 }`)
	stalled := dial(t, addr)
	write(t, stalled, "half a li")
	other := dial(t, addr)
	write(t, other, "from the other\n")
	sink.Wait(t, 10*time.Second, "the other client's line", hasMessages("from the other"))
	stalled.Close()
	sink.Wait(t, 10*time.Second, "the stalled client's partial line", hasMessages("half a li"))
}

// TestBackpressure: while the pipeline takes nothing, the input stops
// reading, and a client writing fast is blocked by TCP flow control
// instead of being buffered in memory.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	out := make(chan event.Batch) // nobody takes batches yet
	addr := startTo(t, `tcp { port => 5000 }`, out)
	c := dial(t, addr)
	line := strings.Repeat("y", 1023) + "\n"
	chunk := strings.Repeat(line, 1024) // 1 MiB
	const total = 256                   // MiB the client tries to write
	written := 0
	for ; written < total; written++ {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c, chunk); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatal(err)
			}
			break
		}
	}
	if written >= total {
		t.Fatalf("the client wrote all %d MiB with nobody taking events: the input buffers without bound", total)
	}
	t.Logf("the client was blocked after %d MiB (socket buffers)", written)
	// Taking batches again lets the data through.
	got := 0
	for got < 1024 {
		b := <-out
		got += len(b.Events)
		if b.Ack != nil {
			b.Ack()
		}
	}
	go func() {
		for b := range out {
			if b.Ack != nil {
				b.Ack()
			}
		}
	}()
}

func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, certFile, keyFile := selfSigned(t, dir)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)

	addr, sink := start(t, fmt.Sprintf(`tcp { port => 5000 ssl_enable => true ssl_verify => false ssl_cert => %q ssl_key => %q }`, certFile, keyFile))
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write(t, c, "over TLS\n")
	sink.Wait(t, 10*time.Second, "the line sent over TLS", hasMessages("over TLS"))

	// ssl_verify (the default) wants a client certificate from a known
	// authority.
	addr, sink = start(t, fmt.Sprintf(`tcp { port => 5000 ssl_enable => true ssl_cert => %q ssl_key => %q ssl_cacert => %q }`, certFile, keyFile, certFile))
	anon, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err == nil {
		io.WriteString(anon, "anonymous\n")
		_, err = anon.Read(make([]byte, 1)) // the server's refusal arrives after the handshake
		anon.Close()
	}
	if err == nil {
		t.Fatal("a client without a certificate was served with ssl_verify => true")
	}
	known, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer known.Close()
	write(t, known, "with a client certificate\n")
	evs := sink.Wait(t, 10*time.Second, "the verified client's line", hasMessages("with a client certificate"))
	if withMessage(evs, "anonymous") != nil {
		t.Errorf("the anonymous client's line was read: %s", inputtest.Show(evs))
	}
}

// selfSigned writes a self-signed certificate for localhost, usable by a
// server and a client, and its key.
func selfSigned(t *testing.T, dir string) (tls.Certificate, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ block, want string }{
		{`tcp { }`, `missing required option "port"`},
		{`tcp { port => 70000 }`, `option "port": want an integer from 0 to 65535`},
		{`tcp { port => 1 mode => client }`, `mode => client is not supported`},
		{`tcp { port => 1 ssl_enable => true }`, `ssl_enable => true needs ssl_cert and ssl_key`},
		{`tcp { port => 1 ssl_enable => true ssl_cert => "/nonexistent.pem" ssl_key => "/nonexistent.key" }`, `option "ssl_cert": open /nonexistent.pem`},
		{`tcp { port => 1 codec => multiline { pattern => "x" } }`, `missing required option "what"`},
		{`tcp { port => 1 max_connections => 0 }`, `option "max_connections"`},
	} {
		inputtest.Refused(t, tt.block, func(o *plugin.Options) *Input { return New(o, Env{}) }, tt.want)
	}
}
