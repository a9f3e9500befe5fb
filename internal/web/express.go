package web

import (
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/session"
)

// This file holds what webapp copies from Express 3.3.8 to answer byte for
// byte as the seed app does: its path matching and res.json/res.send.

// pattern is an Express route path with at most one ":param" segment,
// matched as Express compiles it: case-insensitively, with an optional
// trailing slash, the parameter one or more characters without '/'
// (/hello/:name is ^\/hello\/(?:([^\/]+?))\/?$ with the i flag).
type pattern struct {
	prefix string // before the parameter, or the whole path
	param  string // the parameter's name; "" if none
}

func parsePattern(p string) pattern {
	if i := strings.Index(p, ":"); i >= 0 {
		return pattern{prefix: p[:i], param: p[i+1:]}
	}
	return pattern{prefix: p}
}

// match reports whether path (raw, still percent-encoded) matches, and
// returns the raw parameter.
func (p pattern) match(path string) (string, bool) {
	if len(path) < len(p.prefix) || !strings.EqualFold(path[:len(p.prefix)], p.prefix) {
		return "", false
	}
	rest := path[len(p.prefix):]
	if p.param == "" {
		return "", rest == "" || rest == "/"
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.IndexByte(rest, '/') >= 0 {
		return "", false
	}
	return rest, true
}

// decodeParam decodes a raw route parameter as Express 3's Route.match
// does, with decodeURIComponent; false where that throws (Express answers
// 500 with a stack trace, webapp 400).
func decodeParam(raw string) (string, bool) {
	return session.DecodeURIComponent(raw)
}

// expressPath is the pathname Express matches routes against:
// url.parse(req.url).pathname, which drops the query and fragment, takes
// the path of an absolute URL, and turns backslashes into slashes.
func expressPath(r *http.Request) string {
	p := r.RequestURI
	if !strings.HasPrefix(p, "/") {
		return r.URL.EscapedPath()
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return strings.ReplaceAll(p, `\`, "/")
}

// sendJSON is Express's res.json(obj) once obj is stringified, and the
// res.send(body) it calls: Content-Type and Content-Length; an ETag (the
// signed CRC-32 of the body) for GET bodies over 1024 bytes; 304 without
// Content-Type, Content-Length and body when the request is fresh; no body
// for HEAD.
func sendJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	etag := ""
	if len(body) > 1024 && r.Method == http.MethodGet {
		etag = `"` + strconv.Itoa(int(int32(crc32.ChecksumIEEE(body)))) + `"`
		h["ETag"] = []string{etag} // as Node spells it; net/http writes keys as given
	}
	if status >= 200 && status < 300 && fresh(r, etag) {
		delete(h, "Content-Type")
		delete(h, "Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// fresh is Express's req.fresh (the fresh module) for a response without
// Last-Modified: a GET or HEAD whose If-None-Match lists etag or starts
// with "*", without If-Modified-Since (which never matches a missing
// Last-Modified) and without Cache-Control: no-cache.
func fresh(r *http.Request, etag string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	noneMatch := strings.Join(r.Header["If-None-Match"], ", ")
	if noneMatch == "" || first(r.Header["If-Modified-Since"]) != "" {
		return false
	}
	if strings.Contains(strings.Join(r.Header["Cache-Control"], ", "), "no-cache") {
		return false
	}
	tags := splitCommaSpaces(noneMatch)
	if tags[0] == "*" {
		return true
	}
	for _, t := range tags {
		if etag != "" && t == etag {
			return true
		}
	}
	return false
}

// splitCommaSpaces is JavaScript's s.split(/ *, */).
func splitCommaSpaces(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if i > 0 {
			p = strings.TrimLeft(p, " ")
		}
		if i < len(parts)-1 {
			p = strings.TrimRight(p, " ")
		}
		parts[i] = p
	}
	return parts
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
