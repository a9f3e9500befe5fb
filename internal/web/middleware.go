package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/appstack/appstack/internal/accesslog"
	"github.com/appstack/appstack/internal/session"
)

// IdleTimeout is Node's http server keepAliveTimeout, which every
// response advertises in a Keep-Alive header as Node's do; the server
// running this handler must idle connections out after it.
const IdleTimeout = 5 * time.Second

var keepAliveHeader = []string{"timeout=" + strconv.Itoa(int(IdleTimeout/time.Second))}

// observe wraps every request: it sets the headers Express and Node send
// on every response, then after the response counts the request and,
// unless its route is quiet, writes the access log line.
func observe(log io.Writer, m *metrics, next http.Handler) http.Handler {
	var pool sync.Pool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h := w.Header()
		h["X-Powered-By"] = []string{"Express"}
		if r.Close {
			// Node says so; net/http closes the connection either way.
			h["Connection"] = []string{"close"}
		} else {
			h["Connection"] = []string{"keep-alive"}
			h["Keep-Alive"] = keepAliveHeader
		}
		m.inFlight.Inc()
		defer m.inFlight.Dec()

		next.ServeHTTP(rec, r)

		if rec.status == 0 {
			rec.WriteHeader(http.StatusOK)
		}
		end := time.Now()
		m.observe(rec.route, rec.status, end.Sub(start))
		if rec.quiet {
			return
		}
		buf, _ := pool.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		*buf = accesslog.AppendDefault((*buf)[:0], &accesslog.Entry{
			RemoteAddr:    accesslog.NodeAddr(r.RemoteAddr),
			Time:          end,
			Method:        r.Method,
			URL:           r.RequestURI,
			ProtoMajor:    r.ProtoMajor,
			ProtoMinor:    r.ProtoMinor,
			Status:        rec.status,
			ContentLength: rec.contentLength,
			Referrer:      accesslog.Referrer(r.Header),
			UserAgent:     accesslog.UserAgent(r.Header),
		})
		// Write only buffers the line; the log file itself reports its
		// failed writes (onError) and counts the lines it drops.
		_, _ = log.Write(*buf)
		pool.Put(buf)
	})
}

// recorder remembers the status and Content-Length a handler sent, and
// the route the router matched.
type recorder struct {
	http.ResponseWriter
	status        int
	contentLength string
	route         string // "" if none matched
	quiet         bool   // the route keeps out of the access log
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.contentLength = first(r.Header()["Content-Length"])
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// sessionMiddleware gives a route connect's session lifecycle: the
// session is loaded before the handler runs and committed just before the
// response headers go out, which is when connect saves it (res.end) and
// sets the cookie (the 'header' event). If the store fails the request
// is served without a session, as connect serves it while its store is
// disconnected, and a metric counts it.
func sessionMiddleware(sessions Sessions, m *metrics, log *slog.Logger, now func() time.Time) func(http.Handler) http.Handler {
	notReplicated, failed := newSampler(time.Second, now), newSampler(time.Second, now)
	logFailure := func(ctx context.Context, stage string, err error) {
		m.degraded.WithLabelValues(stage + "_failed").Inc()
		if n, ok := failed.allow(); ok {
			log.WarnContext(ctx, "session store failed: serving without a session", "stage", stage, "err", err, "similar_since_last", n)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// connect skips requests whose URL does not start with the
			// cookie path, "/": absolute-form request targets.
			if len(r.RequestURI) == 0 || r.RequestURI[0] != '/' {
				next.ServeHTTP(w, r)
				return
			}
			ctx := r.Context()
			s, err := sessions.Load(ctx, r.Header)
			if err != nil {
				logFailure(ctx, "load", err)
				next.ServeHTTP(w, r)
				return
			}
			sw := &sessionWriter{ResponseWriter: w, commit: func(h http.Header) {
				// Save even if the client has gone, as connect does: a
				// returning session's TTL still rolls.
				cookie, err := sessions.Commit(context.WithoutCancel(ctx), s)
				switch {
				case errors.Is(err, session.ErrNotReplicated):
					m.degraded.WithLabelValues("not_replicated").Inc()
					if n, ok := notReplicated.allow(); ok {
						log.WarnContext(ctx, "session not acknowledged: no replica confirmed the write", "session_new", s.New, "err", err, "similar_since_last", n)
					}
				case err != nil:
					logFailure(ctx, "save", err)
				case cookie != "":
					h["Set-Cookie"] = append(h["Set-Cookie"], cookie)
				}
			}}
			next.ServeHTTP(sw, r)
			if !sw.committed {
				sw.WriteHeader(http.StatusOK)
			}
		})
	}
}

// sessionWriter commits the session before the first header is written.
type sessionWriter struct {
	http.ResponseWriter
	commit    func(http.Header)
	committed bool
}

func (w *sessionWriter) WriteHeader(code int) {
	if !w.committed {
		w.committed = true
		w.commit(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.committed {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sampler lets one event through per interval and counts the rest, so
// that an outage logs a line a second rather than one per request.
type sampler struct {
	every time.Duration
	now   func() time.Time
	mu    sync.Mutex
	last  time.Time
	n     int
}

func newSampler(every time.Duration, now func() time.Time) *sampler {
	return &sampler{every: every, now: now}
}

// allow reports whether to log now, and how many events were held back
// since the last logged one.
func (s *sampler) allow() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.last) >= s.every {
		n := s.n
		s.last, s.n = now, 0
		return n, true
	}
	s.n++
	return 0, false
}
