package web

// routes lists every route. The seed's routes are Express paths, matched
// as Express matches them (see pattern), and keep connect's sessions;
// the probes and metrics are webapp's own, touch no session, and stay out
// of the access log: a Docker healthcheck every few seconds would
// otherwise drown the users' lines in what logship ships.
func routes(d Deps, m *metrics) []route {
	withSession := sessionMiddleware(d.Sessions, m, d.Log, d.Now)
	return []route{
		{path: "/", handler: withSession(handleStatus())},
		{path: "/hello/:name", handler: withSession(handleHello())},
		{path: "/healthz", handler: handleHealthz(), quiet: true},
		{path: "/readyz", handler: handleReadyz(d.Ready, d.Log), quiet: true},
		{path: "/metrics", handler: handleMetrics(d.Registry), quiet: true},
	}
}

// handler answers one exchange.
type handler func(e *exchange)

// route serves GET (and so HEAD, as Express does) on an Express path.
type route struct {
	path    string
	handler handler
	quiet   bool // no access-log line
	pattern pattern
	metrics *routeMetrics
}
