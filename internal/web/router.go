package web

import "net/http"

// router dispatches to the first route whose path matches. Unknown paths
// get a 404 and other methods than GET and HEAD a 405, both as JSON, where
// Express answers "Cannot GET /x" as text.
type router struct {
	routes []route
}

func newRouter(routes []route) *router {
	for i := range routes {
		routes[i].pattern = parsePattern(routes[i].path)
	}
	return &router{routes: routes}
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !asciiTarget(r.RequestURI) {
		// Node's parser refuses such a request line with a bare 400.
		sendError(w, r, http.StatusBadRequest)
		return
	}
	path := expressPath(r)
	for _, route := range rt.routes {
		param, ok := route.pattern.match(path)
		if !ok {
			continue
		}
		if rec, ok := w.(*recorder); ok {
			rec.route = route.path // the metrics label
			rec.quiet = route.quiet
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header()["Allow"] = []string{"GET, HEAD"}
			sendError(w, r, http.StatusMethodNotAllowed)
			return
		}
		if route.pattern.param != "" {
			// Express's router decodes a parameter before the handler
			// sees it, and fails the request if it does not decode.
			name, ok := decodeParam(param)
			if !ok {
				sendError(w, r, http.StatusBadRequest)
				return
			}
			r.SetPathValue(route.pattern.param, name)
		}
		route.handler.ServeHTTP(w, r)
		return
	}
	sendError(w, r, http.StatusNotFound)
}

// asciiTarget reports whether a request target is printable ASCII, as
// HTTP requires and Node's parser enforces.
func asciiTarget(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
