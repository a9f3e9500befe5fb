// Package beats is Logstash's beats input (logstash-input-beats 3.1.32,
// Logstash 5.6): a Lumberjack v2 server (github.com/elastic/go-lumber)
// that Filebeat and the other Beats send to, building events as that
// input does. A window of events is acknowledged to the client only when
// the pipeline acknowledges its batch, that is once every output has its
// events: a Beat resends what was not acknowledged, so nothing acked is
// lost when logship dies.
package beats

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-lumber/lj"
	lumberlog "github.com/elastic/go-lumber/log"
	lumber "github.com/elastic/go-lumber/server/v2"

	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/input/listen"
	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/lsjson"
	"github.com/appstack/appstack/internal/plugin"
)

// Defaults of logship's own bounds. A connection holds at most two
// windows (one being delivered, one read ahead), each of at most
// maxWindow frames of at most max_frame_bytes.
const (
	DefaultMaxConnections = 1000
	DefaultMaxFrameBytes  = 16 << 20 // Filebeat's max_bytes is 10 MiB
	maxWindow             = 10000    // go-lumber's default bound on a window
	keepalive             = 3 * time.Second
)

// Env is what cmd/logship gives every beats input.
type Env struct {
	Log *slog.Logger
	// Now is the clock of @timestamp when a Beat sends none (time.Now if
	// nil).
	Now func() time.Time
}

// Input is one beats block.
type Input struct {
	addr       string
	tls        *tls.Config
	codec      *codec.Codec
	codecTag   string // "" unless include_codec_tag
	rawTag     string
	common     plugin.InputCommon
	inactivity time.Duration
	maxConns   int
	maxFrame   uint32
	log        *slog.Logger
	now        func() time.Time

	ready chan net.Addr // receives the listening address, for tests
}

// New reads the beats options from o, as logstash-input-beats 3.1.32
// declares them, plus logship's max_connections and max_frame_bytes. It
// loads the TLS files the ssl options name (so that -t checks them) and
// records every problem on o; it does not listen.
func New(o *plugin.Options, env Env) *Input {
	in := &Input{
		common:   plugin.ReadInputCommon(o),
		log:      env.Log,
		now:      env.Now,
		maxConns: o.Int("max_connections", DefaultMaxConnections, 1, 1<<20),
		maxFrame: uint32(o.Int("max_frame_bytes", DefaultMaxFrameBytes, 1024, 1<<30)),
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.now == nil {
		in.now = time.Now
	}
	if pl, ok := o.Plugin("codec"); ok && pl.Name == "multiline" {
		o.Errorf("codec", "the multiline codec is not supported on the beats input (Logstash deprecates it there: "+
			"it mixes the streams of different files and Beats); join lines in the Beat, e.g. Filebeat's multiline.pattern")
		// The default codec, its options unread: the error says enough.
		in.codec = codec.Read(plugin.New("input", o.File(), &lsconf.Plugin{Name: o.Name()}), "plain", codec.Env{Now: in.now})
	} else {
		in.codec = codec.Read(o, "plain", codec.Env{Now: in.now}, "plain", "json")
	}
	if o.Bool("include_codec_tag", true) {
		in.codecTag = "beats_input_codec_" + in.codec.Name() + "_applied"
		in.rawTag = "beats_input_raw_event"
	}
	in.addr = listen.Addr(o)
	in.inactivity = time.Duration(o.Float("client_inactivity_timeout", 60) * float64(time.Second))
	if in.inactivity <= 0 {
		o.Errorf("client_inactivity_timeout", "want a positive number of seconds")
		in.inactivity = time.Minute
	}
	o.Ignore("congestion_threshold", "deprecated in Logstash: congestion is handled by acknowledgements")
	o.Ignore("target_field_for_codec", "deprecated in Logstash: the codec decodes message (or line)")
	o.Ignore("executor_threads", "each connection has its own goroutine")
	in.tls = readTLS(o)
	return in
}

// readTLS reads the ssl options: with ssl => true, a server certificate
// and key; with ssl_verify_mode peer or force_peer, client certificates
// signed by one of ssl_certificate_authorities (peer verifies one when
// given, force_peer requires one).
func readTLS(o *plugin.Options) *tls.Config {
	enable := o.Bool("ssl", false)
	certFile := o.String("ssl_certificate", "")
	keyFile := o.String("ssl_key", "")
	cas := o.StringList("ssl_certificate_authorities", nil)
	mode := o.Enum("ssl_verify_mode", "none", "none", "peer", "force_peer")
	o.Ignore("ssl_handshake_timeout", "the handshake is part of a connection's first read; a client that never completes it holds one of max_connections")
	minV := o.String("tls_min_version", "1")
	maxV := o.String("tls_max_version", "1.2")
	ciphers := o.StringList("cipher_suites", nil)
	if o.String("ssl_key_passphrase", "") != "" {
		o.Errorf("ssl_key_passphrase", "encrypted keys are not supported: give ssl_key unencrypted (openssl pkey -in key.pem -out plain.pem)")
	}
	if !enable {
		for _, n := range []string{"ssl_certificate", "ssl_key"} {
			if o.Has(n) {
				o.Warn(n, "has no effect without ssl => true (Logstash warns too)")
			}
		}
		return nil
	}
	if len(ciphers) > 0 {
		o.Warn("cipher_suites", "Go's TLS chooses among its own secure cipher suites; the list is not used")
	}
	if certFile == "" || keyFile == "" {
		o.Fail("ssl => true needs ssl_certificate and ssl_key")
		return nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		o.Errorf("ssl_certificate", "%v", err)
		return nil
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tlsVersion(o, "tls_min_version", minV), MaxVersion: tlsVersion(o, "tls_max_version", maxV)}
	if mode != "none" && len(cas) == 0 {
		o.Errorf("ssl_verify_mode", "%s needs ssl_certificate_authorities", mode)
		return cfg
	}
	if len(cas) > 0 {
		pool := x509.NewCertPool()
		listen.AddCerts(o, "ssl_certificate_authorities", pool, cas)
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if mode == "force_peer" {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg
}

// tlsVersion reads Logstash's TLS version numbers: 1, 1.1, 1.2 (and 1.3).
func tlsVersion(o *plugin.Options, name, v string) uint16 {
	switch v {
	case "1", "1.0":
		return tls.VersionTLS10
	case "1.1":
		return tls.VersionTLS11
	case "1.2":
		return tls.VersionTLS12
	case "1.3":
		return tls.VersionTLS13
	}
	o.Errorf(name, "want 1, 1.1, 1.2 or 1.3, got %q", v)
	return 0
}

// Run serves Beats until ctx is done. Each window a client sends is one
// batch, acknowledged to the client when the pipeline acknowledges it; at
// shutdown the connections close and what was not acknowledged is sent
// again by the Beats when they reconnect.
func (in *Input) Run(ctx context.Context, out chan<- event.Batch) error {
	routeLumberLog(in.log)
	l, err := net.Listen("tcp", in.addr)
	if err != nil {
		return fmt.Errorf("beats input: %w", err)
	}
	if in.tls != nil {
		l = tls.NewListener(l, in.tls)
	}
	gl := &guardListener{Listener: listen.Limit(l, in.maxConns), maxFrame: in.maxFrame, maxWindow: maxWindow, reject: in.reject}
	windows := make(chan *lj.Batch)
	srv, err := lumber.NewWithListener(gl,
		lumber.Channel(windows),
		lumber.Timeout(in.inactivity),
		lumber.Keepalive(keepalive),
		lumber.MaxWindowSize(maxWindow),
		lumber.JSONDecoder(decodeFrame))
	if err != nil {
		l.Close()
		return fmt.Errorf("beats input: %w", err)
	}
	in.log.Info("beats input listening", "addr", l.Addr().String(), "tls", in.tls != nil)
	if in.ready != nil {
		in.ready <- l.Addr()
	}
	defer srv.Close()
	var batches codec.Batches
	dec := in.codec.NewDecoder()
	for {
		select {
		case <-ctx.Done():
			return nil
		case w := <-windows:
			evs := batches.Events()
			for _, raw := range w.Events {
				fields, _ := raw.(event.Value)
				evs = in.build(evs, dec, fields.Map())
			}
			if len(evs) == 0 { // nothing to deliver: settled at once
				w.ACK()
				continue
			}
			batches.Send(out, evs, w.ACK)
		}
	}
}

func (in *Input) reject(c net.Conn, err error) {
	in.log.Warn("beats input: closing a connection", "client", c.RemoteAddr().String(), "err", err)
}

// decodeFrame reads the JSON of one event frame, as the beats input's
// Jackson does: an object, read into an event.Value.
func decodeFrame(b []byte, v any) error {
	val, err := lsjson.ParseFirst(string(b))
	if err != nil {
		return fmt.Errorf("beats event: %w", err)
	}
	if val.Kind() != event.MapKind {
		return errors.New("beats event: not a JSON object")
	}
	*(v.(*any)) = val
	return nil
}

// build appends the events of one Beats event, as the beats input's
// MessageListener does: with a message (Filebeat) or line
// (logstash-forwarder), the codec decodes it and the Beat's other fields
// are set on each event it gives (keys as field references, @timestamp
// read if it can be), tagged beats_input_codec_<codec>_applied; without,
// the fields are the event (Event.new), tagged beats_input_raw_event.
// Either way host is beat.hostname when absent, then the input's common
// options apply.
func (in *Input) build(dst []event.Event, dec codec.Decoder, fs []event.Field) []event.Event {
	target := -1
	for _, key := range []string{"message", "line"} {
		for i, f := range fs {
			if f.Key == key && f.Value.Kind() != event.Nil {
				target = i
				break
			}
		}
		if target >= 0 {
			break
		}
	}
	n := len(dst)
	tag := in.codecTag
	if target < 0 {
		dst = appendRaw(dst, fs, in.now())
		tag = in.rawTag
	} else {
		text := fs[target].Value
		msg := text.Str()
		if text.Kind() != event.StringKind {
			msg = text.Text()
		}
		dst = dec.Decode(dst, codec.Unit{Text: msg})
		for i := n; i < len(dst); i++ {
			merge(&dst[i], fs, target)
		}
	}
	for i := n; i < len(dst); i++ {
		e := &dst[i]
		if h, ok := e.Lookup(beatHostname); ok && h.Kind() != event.Nil {
			if v, ok := e.Get("host"); !ok || v.Kind() == event.Nil {
				e.Set("host", h)
			}
		}
		in.common.Decorate(e)
		if tag != "" {
			e.AddTag(tag)
		}
	}
	return dst
}

var beatHostname = event.MustRef("[beat][hostname]")

// appendRaw appends Event.new(fields).
func appendRaw(dst []event.Event, fs []event.Field, now time.Time) []event.Event {
	dst = append(dst, event.Event{})
	e := &dst[len(dst)-1]
	if err := codec.FromMap(e, fs, now); err != nil {
		// An @metadata that is not an object: keep it as a field rather
		// than lose the event.
		*e = event.Event{}
		codec.FromMap(e, renameMetadata(fs), now)
	}
	return dst
}

func renameMetadata(fs []event.Field) []event.Field {
	out := make([]event.Field, len(fs))
	for i, f := range fs {
		if f.Key == event.MetadataKey {
			f.Key = "_@metadata"
		}
		out[i] = f
	}
	return out
}

// merge sets the Beat's fields but the decoded one on e, as
// DecodedEventTransform does: @timestamp when it reads as one, the
// others as field references (@metadata sets the metadata).
func merge(e *event.Event, fs []event.Field, skip int) {
	for i, f := range fs {
		if i == skip {
			continue
		}
		if f.Key == "@timestamp" {
			if t, ok := codec.Timestamp(f.Value); ok {
				e.Set("@timestamp", event.Time(t))
			}
			continue
		}
		r, err := event.ParseRef(f.Key)
		if err != nil {
			r = event.Ref{f.Key}
		}
		e.Put(r, f.Value)
	}
}

// go-lumber logs through a process-wide logger of its own, chatty (every
// connection opened and closed): routeLumberLog sends it to the slog
// logger of the latest beats input at debug level, so stderr stays JSON.
// The package-level variables are a deliberate exception to "no
// package-level loggers": go-lumber's logger is global.
var (
	lumberLog     atomic.Pointer[slog.Logger]
	setLumberOnce sync.Once
)

func routeLumberLog(l *slog.Logger) {
	lumberLog.Store(l)
	setLumberOnce.Do(func() { lumberlog.Logger = lumberLogger{} })
}

type lumberLogger struct{}

func (lumberLogger) Printf(format string, args ...any) { lumberDebug(fmt.Sprintf(format, args...)) }
func (lumberLogger) Println(args ...any)               { lumberDebug(fmt.Sprint(args...)) }
func (lumberLogger) Print(args ...any)                 { lumberDebug(fmt.Sprint(args...)) }

func lumberDebug(msg string) {
	if l := lumberLog.Load(); l != nil {
		l.Debug("go-lumber: " + msg)
	}
}
