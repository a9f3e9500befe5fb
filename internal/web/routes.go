package web

import "net/http"

// routes lists every route. The seed's routes are Express paths, matched
// as Express matches them (see pattern), and keep connect's sessions;
// the probes and metrics are webapp's own and touch no session.
func routes(d Deps, m *metrics) []route {
	withSession := sessionMiddleware(d.Sessions, m, d.Log)
	return []route{
		{path: "/", handler: withSession(handleStatus())},
		{path: "/hello/:name", handler: withSession(handleHello())},
		{path: "/healthz", handler: handleHealthz()},
		{path: "/readyz", handler: handleReadyz(d.Ready, d.Log)},
		{path: "/metrics", handler: handleMetrics(d.Registry)},
	}
}

// route serves GET (and so HEAD, as Express does) on an Express path.
type route struct {
	path    string
	handler http.Handler
	pattern pattern
}
