// Package web is webapp's HTTP surface: the seed app's routes answered
// byte for byte as Express answers them, with connect's sessions, its
// access log and Prometheus metrics, plus probes.
package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/session"
)

// Sessions loads and commits a request's session. *session.Manager
// implements it. Implementations are safe for concurrent use and return by
// the context's deadline.
type Sessions interface {
	// Load returns the request's session; an error means the store failed.
	Load(ctx context.Context, h http.Header) (*session.Session, error)
	// Commit saves s and returns the Set-Cookie value to send, if any.
	Commit(ctx context.Context, s *session.Session) (string, error)
}

// Pinger tells whether a dependency answers; /readyz asks it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the server needs. Sessions, Ready and Registry are
// required; AccessLog and Log may be nil.
type Deps struct {
	Sessions Sessions
	Ready    Pinger
	// Registry receives the server's metrics and serves /metrics.
	Registry *prometheus.Registry
	// AccessLog receives one line per request in connect's default format,
	// one Write per line.
	AccessLog io.Writer
	// Log receives the server's own diagnostics.
	Log *slog.Logger
	// Now, if set, is the clock that samples repeated warnings (at most
	// one a second); time.Now if nil.
	Now func() time.Time
}

// NewServer returns the handler of every route webapp serves.
func NewServer(d Deps) http.Handler {
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
	return observe(d.AccessLog, m, newRouter(routes(d, m)))
}
