package web

import (
	"bytes"
	"hash/crc32"
	"strconv"

	"github.com/appstack/appstack/internal/js"
)

// This file holds what webapp copies from Express 3.3.8's res.json and
// res.send to answer byte for byte as the seed app does. Its path
// matching is in router.go.

var jsonType = []byte("application/json; charset=utf-8")

// sendJSON is Express's res.json(obj) once obj is stringified, and the
// res.send(body) it calls: Content-Type and Content-Length; an ETag (the
// signed CRC-32 of the body) for GET bodies over 1024 bytes; 304 without
// Content-Type, Content-Length and body when the request is fresh; no body
// for HEAD (fasthttp still sends its Content-Length, as Node does).
// body must not change until the response is written.
func sendJSON(e *exchange, status int, body []byte) {
	resp := &e.ctx.Response
	etag := ""
	if len(body) > 1024 && e.ctx.IsGet() {
		etag = `"` + strconv.Itoa(int(int32(crc32.ChecksumIEEE(body)))) + `"`
		resp.Header.Set("ETag", etag) // as Node spells it: names are not normalized
	}
	if status >= 200 && status < 300 && fresh(e, etag) {
		resp.SetStatusCode(304)
		e.contentLength = -1
		return
	}
	resp.Header.SetContentTypeBytes(jsonType)
	resp.SetStatusCode(status)
	resp.SetBodyRaw(body)
	e.contentLength = len(body)
}

// fresh is Express's req.fresh (the fresh module) for a response without
// Last-Modified: a GET or HEAD whose If-None-Match lists etag or starts
// with "*", without If-Modified-Since (which never matches a missing
// Last-Modified) and without Cache-Control: no-cache.
func fresh(e *exchange, etag string) bool {
	if !e.ctx.IsGet() && !e.ctx.IsHead() {
		return false
	}
	noneMatch := e.hdr.joined(e.hdr.ifNoneMatch, "If-None-Match", ", ")
	if len(noneMatch) == 0 || len(e.hdr.ifModifiedSince) != 0 {
		return false
	}
	if bytes.Contains(e.hdr.joined(e.hdr.cacheControl, "Cache-Control", ", "), []byte("no-cache")) {
		return false
	}
	tags := js.SplitCommaSpaces(string(noneMatch))
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
