package web

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/appstack/appstack/internal/accesslog"
	"github.com/appstack/appstack/internal/session"
)

// IdleTimeout is Node's http server keepAliveTimeout, which every
// response advertises in a Keep-Alive header as Node's do; Listen idles
// connections out after it.
const IdleTimeout = 5 * time.Second

var keepAlive = "timeout=" + strconv.Itoa(int(IdleTimeout/time.Second))

// Serve answers one request: it sets the headers Express and Node send on
// every response, lets the router answer, then counts the request and,
// unless its route is quiet, writes the access log line.
func (h *Handler) Serve(c *fasthttp.RequestCtx) {
	if !asciiTarget(c.Request.Header.RequestURI()) {
		// Node's parser refuses such a request line as it refuses any it
		// cannot read: a bare 400, the connection closed, nothing logged.
		refuse(c, nil)
		h.router.unmatched.observe(c.Response.StatusCode(), time.Since(c.Time()))
		return
	}
	e, _ := h.exchanges.Get().(*exchange)
	if e == nil {
		e = new(exchange)
	}
	*e = exchange{ctx: c, hdr: readHeaders(c.Request.Header.RawHeaders()), contentLength: -1}
	defer func() {
		*e = exchange{}
		h.exchanges.Put(e)
	}()
	c.Response.Header.Set("X-Powered-By", "Express")
	h.metrics.inFlight.Inc()
	rm, quiet := h.router.serve(e)
	h.metrics.inFlight.Dec()
	if c.Request.Header.ConnectionClose() || c.Response.ConnectionClose() || e.hdr.ambiguous || h.closing.Load() {
		// Node says so when the client asked to close; fasthttp closes
		// the connection after a response that says so.
		c.SetConnectionClose()
	} else {
		c.Response.Header.Set("Connection", "keep-alive")
		c.Response.Header.Set("Keep-Alive", keepAlive)
	}
	end := time.Now()
	status := c.Response.StatusCode()
	rm.observe(status, end.Sub(c.Time()))
	if quiet {
		return
	}
	buf, _ := h.lines.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	major, minor := 1, 1
	if !c.Request.Header.IsHTTP11() {
		minor = 0
	}
	referrer := e.hdr.referer
	if len(referrer) == 0 {
		referrer = e.hdr.joined(e.hdr.referrer, "Referrer", ", ")
	}
	remote, _ := netip.AddrFromSlice(c.RemoteIP())
	*buf = accesslog.AppendDefault((*buf)[:0], &accesslog.Entry{
		Remote:        remote,
		Time:          end,
		Method:        c.Method(),
		URL:           c.Request.Header.RequestURI(),
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Status:        status,
		ContentLength: e.contentLength,
		Referrer:      referrer,
		UserAgent:     e.hdr.userAgent,
	})
	// Write only buffers the line; the log file itself reports its
	// failed writes and counts the lines it drops.
	_, _ = h.accessLog.Write(*buf)
	h.lines.Put(buf)
}

// sessionMiddleware gives a route connect's session lifecycle: the
// session is loaded before the handler runs and committed once it has
// prepared the response, before anything is written, which is when
// connect saves it (res.end) and sets the cookie (the 'header' event). If
// the store fails the request is served without a session, as connect
// serves it while its store is disconnected, and a metric counts it.
func sessionMiddleware(sessions Sessions, m *metrics, log *slog.Logger, now func() time.Time) func(handler) handler {
	notReplicated, failed := newSampler(time.Second, now), newSampler(time.Second, now)
	discarded := newSampler(time.Second, now)
	logFailure := func(stage string, err error) {
		m.degraded.WithLabelValues(stage + "_failed").Inc()
		if n, ok := failed.allow(); ok {
			log.Warn("session store failed: serving without a session", "stage", stage, "err", err, "similar_since_last", n)
		}
	}
	logDiscarded := func(err error) {
		reason := discardedCorrupt
		if errors.Is(err, session.ErrTooLarge) {
			reason = discardedTooLarge
		}
		m.discarded.WithLabelValues(reason).Inc()
		if n, ok := discarded.allow(); ok {
			log.Warn("stored session discarded: serving a new one", "reason", reason, "err", err, "similar_since_last", n)
		}
	}
	return func(next handler) handler {
		return func(e *exchange) {
			// connect skips requests whose URL does not start with the
			// cookie path, "/": absolute-form request targets.
			if uri := e.ctx.Request.Header.RequestURI(); len(uri) == 0 || uri[0] != '/' {
				next(e)
				return
			}
			// Not the request's context: a session is saved even if the
			// client has gone, as connect saves it (a returning session's
			// TTL still rolls), and fasthttp's is done at shutdown.
			ctx := context.Background()
			s, err := sessions.Load(ctx, cookieFields(&e.hdr))
			if err != nil {
				logFailure("load", err)
				next(e)
				return
			}
			if s.Discarded != nil {
				logDiscarded(s.Discarded)
			}
			next(e)
			cookie, err := sessions.Commit(ctx, s)
			switch {
			case errors.Is(err, session.ErrNotReplicated):
				m.degraded.WithLabelValues("not_replicated").Inc()
				if n, ok := notReplicated.allow(); ok {
					log.Warn("session not acknowledged: no replica confirmed the write", "session_new", s.New, "err", err, "similar_since_last", n)
				}
			case err != nil:
				logFailure("save", err)
			case cookie != "":
				e.ctx.Response.Header.Set("Set-Cookie", cookie)
			}
		}
	}
}

// cookieFields are the Cookie header fields as the session package reads
// them.
func cookieFields(h *requestHeaders) []string {
	vals := h.values(h.cookie, "Cookie")
	if len(vals) == 0 {
		return nil
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

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
