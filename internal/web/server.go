// Package web is webapp's HTTP surface: the seed app's routes answered
// byte for byte as Express answers them, with connect's sessions, its
// access log and Prometheus metrics, plus probes. It serves HTTP with
// fasthttp, which costs a third less CPU per request than net/http here
// and, like Node, writes headers in the order they were set.
package web

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/appstack/appstack/internal/session"
)

// Sessions loads and commits a request's session. *session.Manager
// implements it. Implementations are safe for concurrent use and return by
// the context's deadline.
type Sessions interface {
	// Load returns the session named by the request's Cookie header
	// fields; an error means the store failed.
	Load(ctx context.Context, cookieFields []string) (*session.Session, error)
	// Commit saves s and returns the Set-Cookie value to send, if any.
	Commit(ctx context.Context, s *session.Session) (string, error)
}

// Pinger tells whether a dependency answers; /readyz asks it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the handler needs. Sessions, Ready and Registry are
// required; AccessLog and Log may be nil.
type Deps struct {
	Sessions Sessions
	Ready    Pinger
	// Registry receives the handler's metrics and serves /metrics.
	Registry *prometheus.Registry
	// AccessLog receives one line per request in connect's default format,
	// one Write per line.
	AccessLog io.Writer
	// Log receives the handler's own diagnostics.
	Log *slog.Logger
	// Now, if set, is the clock that samples repeated warnings (at most
	// one a second); time.Now if nil.
	Now func() time.Time
}

// Handler serves every route webapp serves. Serve is its
// fasthttp.RequestHandler; Listen runs it.
type Handler struct {
	router    router
	metrics   *metrics
	accessLog io.Writer
	lines     sync.Pool // of *[]byte: access log lines being built
	exchanges sync.Pool // of *exchange: the handlers' functions keep it off the stack
	// closing makes every response close its connection: the server is
	// shutting down (see Server.Shutdown).
	closing atomic.Bool
}

// NewHandler returns the handler of every route webapp serves.
func NewHandler(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.AccessLog == nil {
		d.AccessLog = io.Discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	m := newMetrics(d.Registry)
	h := &Handler{metrics: m, accessLog: d.AccessLog}
	h.router = newRouter(routes(d, m), m)
	return h
}

// exchange is one request being served: what the handler, the router,
// the session middleware and the route handlers share.
type exchange struct {
	ctx *fasthttp.RequestCtx
	hdr requestHeaders
	// param is the matched route's parameter, decoded.
	param string
	// contentLength is the Content-Length sent, -1 for none (a 304).
	contentLength int
}
