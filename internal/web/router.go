package web

import (
	"bytes"
	"net/url"

	"github.com/appstack/appstack/internal/js"
)

// router dispatches to the first route whose path matches. Unknown paths
// get a 404 and other methods than GET and HEAD a 405, both as JSON, where
// Express answers "Cannot GET /x" as text.
type router struct {
	routes []route
	// unmatched are the metrics of requests no route matched.
	unmatched *routeMetrics
}

func newRouter(routes []route, m *metrics) router {
	for i := range routes {
		routes[i].pattern = parsePattern(routes[i].path)
		routes[i].metrics = m.route(routes[i].path)
	}
	return router{routes: routes, unmatched: m.route("unmatched")}
}

// serve answers e and returns the metrics of the route that answered,
// which also says whether it is quiet: the caller labels the request
// with the route, rather than the router reaching into the caller.
func (rt *router) serve(e *exchange) (*routeMetrics, bool) {
	path := expressPath(e.ctx.Request.Header.RequestURI())
	for i := range rt.routes {
		r := &rt.routes[i]
		param, ok := r.pattern.match(path)
		if !ok {
			continue
		}
		if !e.ctx.IsGet() && !e.ctx.IsHead() {
			e.ctx.Response.Header.Set("Allow", "GET, HEAD")
			sendError(e, 405)
			return r.metrics, r.quiet
		}
		if r.pattern.param != "" {
			// Express's router decodes a parameter before the handler
			// sees it, and fails the request if it does not decode.
			name, ok := js.DecodeURIComponent(string(param))
			if !ok {
				sendError(e, 400)
				return r.metrics, r.quiet
			}
			e.param = name
		}
		r.handler(e)
		return r.metrics, r.quiet
	}
	sendError(e, 404)
	return rt.unmatched, false
}

// asciiTarget reports whether a request target is printable ASCII, as
// HTTP requires and Node's parser enforces.
func asciiTarget(s []byte) bool {
	for _, c := range s {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// expressPath is the pathname Express matches routes against:
// url.parse(req.url).pathname, which drops the query and fragment, takes
// the path of an absolute URL, and turns backslashes into slashes.
func expressPath(target []byte) []byte {
	if len(target) == 0 || target[0] != '/' {
		// Absolute form, rare: parse it as net/url does.
		u, err := url.ParseRequestURI(string(target))
		if err != nil {
			return nil
		}
		return []byte(u.EscapedPath())
	}
	if i := bytes.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	if bytes.IndexByte(target, '\\') >= 0 {
		return bytes.ReplaceAll(target, []byte(`\`), []byte("/"))
	}
	return target
}

// pattern is an Express route path with at most one ":param" segment,
// matched as Express compiles it: case-insensitively, with an optional
// trailing slash, the parameter one or more characters without '/'
// (/hello/:name is ^\/hello\/(?:([^\/]+?))\/?$ with the i flag).
type pattern struct {
	prefix []byte // before the parameter, or the whole path
	param  string // the parameter's name; "" if none
}

func parsePattern(p string) pattern {
	if i := bytes.IndexByte([]byte(p), ':'); i >= 0 {
		return pattern{prefix: []byte(p[:i]), param: p[i+1:]}
	}
	return pattern{prefix: []byte(p)}
}

// match reports whether path (raw, still percent-encoded) matches, and
// returns the raw parameter.
func (p pattern) match(path []byte) ([]byte, bool) {
	if len(path) < len(p.prefix) || !bytes.EqualFold(path[:len(p.prefix)], p.prefix) {
		return nil, false
	}
	rest := path[len(p.prefix):]
	if p.param == "" {
		return nil, len(rest) == 0 || (len(rest) == 1 && rest[0] == '/')
	}
	rest = bytes.TrimSuffix(rest, []byte("/"))
	if len(rest) == 0 || bytes.IndexByte(rest, '/') >= 0 {
		return nil, false
	}
	return rest, true
}
