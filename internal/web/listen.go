package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Limits of the HTTP server. Node's default is a 16 KiB limit on the
// request line and headers; fasthttp's read buffer must hold them whole,
// so it is the same limit (431 beyond it). A request must arrive within
// ReadTimeout, as net/http's ReadHeaderTimeout bounded it (slowloris).
const (
	ReadTimeout    = 5 * time.Second
	maxHeaderBytes = 16 << 10
	// writeTimeout bounds writing a response once the handler is done:
	// a client that does not read holds its connection no longer.
	writeTimeout = 10 * time.Second
)

// Server serves a Handler on a listener, with a lifecycle like
// net/http's: Listen, Serve, then Shutdown or Close.
type Server struct {
	h  *Handler
	fs *fasthttp.Server
	ln net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{} // open connections, for Close
}

// Listen listens on addr (":port"; port 0 picks one), so that a port in
// use fails here rather than in Serve. Diagnostics go to log.
func Listen(addr string, h *Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{h: h, ln: ln, conns: map[net.Conn]struct{}{}}
	s.fs = &fasthttp.Server{
		Handler:     h.Serve,
		ReadTimeout: ReadTimeout,
		// What the Keep-Alive header says.
		IdleTimeout:    IdleTimeout,
		WriteTimeout:   writeTimeout,
		ReadBufferSize: maxHeaderBytes,
		// Bodies are not read (the seed's routes take none): streamed,
		// so that none is held in memory; fasthttp discards what is left,
		// or closes the connection if that is over 256 KiB.
		StreamRequestBody:             true,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: true, // ETag, not Etag
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		CloseOnShutdown:               true,
		SecureErrorLogMessage:         true,
		ErrorHandler:                  refuse,
		Logger:                        fasthttpLogger{log},
		ConnState:                     s.track,
	}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Serve serves until Shutdown or Close, then returns nil; or returns why
// it could not.
func (s *Server) Serve() error {
	if err := s.fs.Serve(s.ln); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections and waits until those open are
// done with their requests, or ctx is done. From then on responses close
// their connections.
func (s *Server) Shutdown(ctx context.Context) error {
	s.h.closing.Store(true)
	if err := s.fs.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close closes the listener and every open connection: requests in
// flight are cut off.
func (s *Server) Close() error {
	s.h.closing.Store(true)
	err := s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (s *Server) track(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}
}

// refuse answers a request that could not be read (err says why; nil for
// a request line Node's parser refuses) as Node's parser does: the status
// alone, and the connection closed. Node answers 400, and 431 for a head
// over its limit; fasthttp adds 408 for a read timeout and 413 for an
// oversized body, which Node would read.
func refuse(c *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		c.SetStatusCode(fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		c.SetStatusCode(fasthttp.StatusRequestEntityTooLarge)
	default:
		var timeout interface{ Timeout() bool }
		if errors.As(err, &timeout) && timeout.Timeout() {
			c.SetStatusCode(fasthttp.StatusRequestTimeout)
		} else {
			c.SetStatusCode(fasthttp.StatusBadRequest)
		}
	}
	c.SetConnectionClose()
}

// fasthttpLogger puts fasthttp's messages in webapp's log.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...), "component", "fasthttp")
}
