// Package tcp is Logstash's tcp input in server mode
// (logstash-input-tcp 4.2.4, Logstash 5.6): it listens, decodes each
// connection with its own codec (line by default), and adds the client's
// address and port to the events.
//
// Memory is bounded: at most max_connections connections are served (the
// next ones wait in the listen backlog), a line keeps at most
// max_line_bytes (the rest is skipped, the event tagged _linetoolong), and
// a connection is not read while the pipeline has not taken its last
// batch, so a fast client is slowed by TCP flow control rather than
// buffered.
package tcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/appstack/appstack/internal/backoff"
	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/input/listen"
	"github.com/appstack/appstack/internal/plugin"
)

// Defaults of logship's own bounds.
const (
	DefaultMaxLineBytes   = 1 << 20
	DefaultMaxConnections = 1000
)

// readSize is what one read of a connection asks for, as Logstash's
// sysread(16384).
const readSize = 16384

// Env is what cmd/logship gives every tcp input.
type Env struct {
	Log *slog.Logger
	// Now is the clock of @timestamp (time.Now if nil).
	Now func() time.Time
}

// Input is one tcp block.
type Input struct {
	addr     string
	tls      *tls.Config // nil: plain TCP
	maxLine  int
	maxConns int
	codec    *codec.Codec
	common   plugin.InputCommon
	log      *slog.Logger

	ready chan net.Addr // receives the listening address, for tests
}

// New reads the tcp options from o, as logstash-input-tcp 4.2.4 declares
// them, plus logship's max_line_bytes and max_connections. It loads the
// TLS certificate and key files ssl_cert and ssl_key name (so that -t
// checks them) and records every problem on o; it does not listen.
func New(o *plugin.Options, env Env) *Input {
	in := &Input{
		common:   plugin.ReadInputCommon(o),
		codec:    codec.Read(o, "line", codec.Env{Now: env.Now}).Streaming(),
		log:      env.Log,
		maxLine:  o.Int("max_line_bytes", DefaultMaxLineBytes, 1, 1<<30),
		maxConns: o.Int("max_connections", DefaultMaxConnections, 1, 1<<20),
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	in.addr = listen.Addr(o)
	if o.Enum("mode", "server", "server", "client") == "client" {
		o.Errorf("mode", "mode => client is not supported: logship's tcp input listens (mode => server)")
	}
	if o.Bool("proxy_protocol", false) {
		o.Errorf("proxy_protocol", "the PROXY protocol is not supported")
	}
	o.Ignore("data_timeout", "Logstash does not use it either (deprecated)")
	in.tls = readTLS(o)
	return in
}

// readTLS reads the ssl_* options: with ssl_enable, a server certificate
// (ssl_cert, ssl_key) and, with ssl_verify (the default, as in Logstash),
// clients must present a certificate signed by an authority of the system
// store, ssl_cacert or ssl_extra_chain_certs.
func readTLS(o *plugin.Options) *tls.Config {
	enable := o.Bool("ssl_enable", false)
	verify := o.Bool("ssl_verify", true)
	certFile := o.String("ssl_cert", "")
	keyFile := o.String("ssl_key", "")
	cacert := o.String("ssl_cacert", "")
	extra := o.StringList("ssl_extra_chain_certs", nil)
	if o.String("ssl_key_passphrase", "") != "" {
		o.Errorf("ssl_key_passphrase", "encrypted keys are not supported: give ssl_key unencrypted (openssl pkey -in key.pem -out plain.pem)")
	}
	if !enable {
		for _, n := range []string{"ssl_cert", "ssl_key", "ssl_cacert", "ssl_extra_chain_certs"} {
			if o.Has(n) {
				o.Warn(n, "has no effect without ssl_enable => true")
			}
		}
		return nil
	}
	if certFile == "" || keyFile == "" {
		o.Fail("ssl_enable => true needs ssl_cert and ssl_key")
		return nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		o.Errorf("ssl_cert", "%v", err)
		return nil
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if !verify {
		return cfg
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	listen.AddCerts(o, "ssl_cacert", pool, append([]string{cacert}, extra...))
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg
}

// Run listens and serves connections until ctx is done; then it closes
// them, each connection flushing what its codec holds, and returns once
// every connection's last events are sent.
func (in *Input) Run(ctx context.Context, out chan<- event.Batch) error {
	l, err := net.Listen("tcp", in.addr)
	if err != nil {
		return fmt.Errorf("tcp input: %w", err)
	}
	if in.tls != nil {
		l = tls.NewListener(l, in.tls)
	}
	in.log.Info("tcp input listening", "addr", l.Addr().String(), "tls", in.tls != nil)
	if in.ready != nil {
		in.ready <- l.Addr()
	}
	l = listen.Limit(l, in.maxConns)
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()

	var conns sync.WaitGroup
	defer conns.Wait()
	delays := backoff.Backoff{Min: 5 * time.Millisecond, Max: time.Second}
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of descriptors or the like: wait and retry, as net/http
			// does, rather than end the input.
			delay := delays.Next()
			in.log.Warn("tcp input: accept failed, retrying", "err", err, "backoff", delay.String())
			_ = backoff.Wait(ctx, delay) // ctx done: Accept fails next, and the loop ends
			continue
		}
		delays.Reset()
		conns.Add(1)
		go func() {
			defer conns.Done()
			in.serve(ctx, c, out)
		}()
	}
}

// serve decodes one connection until the client closes it, a read fails
// or ctx is done.
func (in *Input) serve(ctx context.Context, c net.Conn, out chan<- event.Batch) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	host, portText, _ := net.SplitHostPort(c.RemoteAddr().String())
	port, _ := strconv.Atoi(portText)
	decorate := func(e *event.Event) {
		if _, ok := e.Get("host"); !ok {
			e.Set("host", event.String(host))
		}
		if _, ok := e.Get("port"); !ok {
			e.Set("port", event.Int(int64(port)))
		}
		in.common.Decorate(e)
	}
	err := codec.Pump(ctx, c, in.codec.NewStream(in.maxLine), readSize, decorate, out)
	if err != nil && ctx.Err() == nil {
		in.log.Info("tcp input: connection closed", "client", c.RemoteAddr().String(), "err", err)
	}
}
